"""The gallery's geometry: columns for a width, tiles and headers placed, hit-tested and
stepped through, consistently (no widget needed)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect

from veo_desktop.ui.library.gallery_layout import GalleryLayout, Metrics, tile_width_for

METRICS = Metrics(tile_width=200, min_tile_width=136, text_height=40, header_height=30)


@pytest.mark.parametrize(("width", "columns"), [(180, 1), (330, 2), (700, 3), (1200, 6), (1600, 8)])
def test_a_row_holds_as_many_tiles_as_fit_between_the_narrowest_and_widest(
    width: int, columns: int
) -> None:
    found, tile = tile_width_for(METRICS, width)
    assert found == columns
    assert tile <= METRICS.tile_width
    assert tile >= METRICS.min_tile_width or columns == 1
    layout = GalleryLayout(METRICS, [columns * 2], width)
    last = layout.tile_rect(columns - 1)
    assert last.right() < width, "the row fits the width"


def test_every_tile_is_found_where_it_is_drawn_and_the_band_holds_the_visible_ones() -> None:
    counts = [5, 1, 12]
    layout = GalleryLayout(METRICS, counts, 700)
    assert layout.count == 18 and layout.columns == 3
    headers = [layout.header_rect(s) for s in range(3)]
    for position in range(layout.count):
        rect = layout.tile_rect(position)
        assert layout.position_at(rect.center().x(), rect.center().y()) == position
        section = layout.section_of(position)
        assert headers[section].bottom() < rect.top()
        assert all(not rect.intersects(h) for h in headers)
    for header in headers:
        assert layout.position_at(header.center().x(), header.center().y()) is None
    assert layout.position_at(5, 5) is None
    band = QRect(0, 250, 700, 300)
    shown = [p for _s, positions in layout.visible(band.top(), band.bottom()) for p in positions]
    expected = [p for p in range(layout.count) if layout.tile_rect(p).intersects(band)]
    assert set(expected) <= set(shown)
    assert layout.positions_in(band) == expected
    assert layout.height > layout.tile_rect(17).bottom()


def test_arrow_keys_move_by_rows_across_sections() -> None:
    layout = GalleryLayout(METRICS, [5, 1, 12], 700)  # 3 columns: rows [0 1 2][3 4] [5] [6 7 8]..
    assert layout.step(1, 1) == 4
    assert layout.step(2, 1) == 4, "below the last column of a short row: its last tile"
    assert layout.step(4, 1) == 5, "into the next section"
    assert layout.step(5, 1) == 6
    assert layout.step(7, -1) == 5
    assert layout.step(5, -1) == 3
    assert layout.step(0, -1) == 0 and layout.step(17, 1) == 17
    assert layout.step(0, 100) == 15, "a page past the end stops in the last row"
