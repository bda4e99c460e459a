"""Where every tile and section header of the gallery sits: arithmetic, not widgets.

The gallery is a column-wrapped grid under section headers. Given the sections (how many
tiles each has) and the width, :class:`GalleryLayout` answers in O(log sections) which
tiles and headers meet a band of the content (what a paint needs), where a tile is, which
tile is under a point, and which tile is above, below, before or after another one (the
arrow keys). Nothing here is proportional to the number of videos except building the
section table once per change; scrolling 100,000 tiles costs what the visible ones cost.

Content coordinates: y grows down from the top of the first header, x from the left edge.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QRect


@dataclass(frozen=True)
class Metrics:
    """The sizes the layout works with (pixels).

    A row holds the column count nearest to tiles ``tile_width`` wide; tiles share the row
    but stay between ``min_tile_width`` and ``tile_width`` (see :func:`tile_width_for`); a
    tile's picture is 16:9 and ``text_height`` goes under it.
    """

    tile_width: int
    min_tile_width: int
    text_height: int
    header_height: int
    spacing: int = 12
    margin: int = 10


def tile_width_for(metrics: Metrics, width: int) -> tuple[int, int]:
    """(columns, tile width) for a viewport ``width`` wide: the column count nearest to
    tiles of ``tile_width``, each tile then sharing the row (never wider than ``tile_width``:
    thumbnails are not enlarged; never narrower than ``min_tile_width``)."""
    m = metrics
    usable = max(m.min_tile_width, width - 2 * m.margin)
    columns = max(1, round((usable + m.spacing) / (m.tile_width + m.spacing)))
    tile = (usable - (columns - 1) * m.spacing) // columns
    while columns > 1 and tile < m.min_tile_width:
        columns -= 1
        tile = (usable - (columns - 1) * m.spacing) // columns
    return columns, min(tile, m.tile_width)


def picture_height(tile_width: int) -> int:
    """The height of a tile's 16:9 picture."""
    return tile_width * 9 // 16


@dataclass(frozen=True)
class _Placed:
    top: int  # of the header
    first: int  # position of the section's first tile
    count: int
    rows: int


class GalleryLayout:
    """Tiles in sections, laid out for one width (see the module docstring).

    Args:
        metrics: tile, header and gap sizes.
        counts: how many tiles each section has, in order (positions run 0.. through them).
        width: the width available (the viewport's).
    """

    def __init__(self, metrics: Metrics, counts: Sequence[int], width: int) -> None:
        self.metrics = metrics
        m = metrics
        self.columns, self.tile_width = tile_width_for(m, width)
        self.tile_height = picture_height(self.tile_width) + m.text_height
        # Where tiles are at their widest, the spare width goes between them.
        spare = max(0, width - 2 * m.margin - self.columns * self.tile_width)
        self.gap = max(m.spacing, spare // (self.columns - 1)) if self.columns > 1 else m.spacing
        self.row_height = self.tile_height + m.spacing
        self._sections: list[_Placed] = []
        self._tops: list[int] = []
        self._firsts: list[int] = []
        top, first = 0, 0
        for count in counts:
            rows = -(-count // self.columns)
            self._sections.append(_Placed(top, first, count, rows))
            self._tops.append(top)
            self._firsts.append(first)
            top += m.header_height + rows * self.row_height + m.spacing
            first += count
        self.height = top + m.margin
        self.count = first

    # -- geometry ------------------------------------------------------------------------

    @property
    def sections(self) -> int:
        return len(self._sections)

    def header_rect(self, section: int) -> QRect:
        placed = self._sections[section]
        m = self.metrics
        return QRect(m.margin, placed.top, self._row_width(), m.header_height)

    def tile_rect(self, position: int) -> QRect:
        section = self.section_of(position)
        placed = self._sections[section]
        index = position - placed.first
        row, column = divmod(index, self.columns)
        m = self.metrics
        x = m.margin + column * (self.tile_width + self.gap)
        y = placed.top + m.header_height + row * self.row_height
        return QRect(x, y, self.tile_width, self.tile_height)

    def section_of(self, position: int) -> int:
        return max(0, bisect_right(self._firsts, position) - 1)

    def section_range(self, section: int) -> range:
        placed = self._sections[section]
        return range(placed.first, placed.first + placed.count)

    def visible(self, top: int, bottom: int) -> Iterator[tuple[int, range]]:
        """The sections meeting the band ``top..bottom`` and, for each, the positions of
        its tiles in that band."""
        m = self.metrics
        start = max(0, bisect_right(self._tops, top) - 1)
        for section in range(start, len(self._sections)):
            placed = self._sections[section]
            if placed.top > bottom:
                return
            tiles_top = placed.top + m.header_height
            first_row = max(0, (top - tiles_top) // self.row_height)
            last_row = min(placed.rows - 1, (bottom - tiles_top) // self.row_height)
            if last_row < first_row:
                yield section, range(0)
                continue
            begin = placed.first + first_row * self.columns
            end = min(placed.first + placed.count, placed.first + (last_row + 1) * self.columns)
            yield section, range(begin, end)

    def position_at(self, x: int, y: int) -> int | None:
        """The tile at content point (x, y), if any."""
        m = self.metrics
        section = bisect_right(self._tops, y) - 1
        if section < 0:
            return None
        placed = self._sections[section]
        row, inside_y = divmod(y - placed.top - m.header_height, self.row_height)
        column, inside_x = divmod(x - m.margin, self.tile_width + self.gap)
        if y < placed.top + m.header_height or row >= placed.rows or inside_y >= self.tile_height:
            return None
        if not 0 <= column < self.columns or inside_x >= self.tile_width:
            return None
        index = row * self.columns + column
        return placed.first + index if index < placed.count else None

    def positions_in(self, rect: QRect) -> list[int]:
        """Every tile meeting ``rect`` (content coordinates), in order."""
        found: list[int] = []
        for _section, positions in self.visible(rect.top(), rect.bottom()):
            found.extend(p for p in positions if self.tile_rect(p).intersects(rect))
        return found

    # -- moving through the grid ---------------------------------------------------------

    def step(self, position: int, rows: int) -> int:
        """The tile ``rows`` grid rows below (negative: above) ``position``, in the same
        column where it can be; crossing into the next or previous section."""
        section = self.section_of(position)
        placed = self._sections[section]
        column = (position - placed.first) % self.columns
        row = (position - placed.first) // self.columns
        target_row = row + rows
        while target_row >= placed.rows and section + 1 < len(self._sections):
            target_row -= placed.rows
            section += 1
            placed = self._sections[section]
        while target_row < 0 and section > 0:
            section -= 1
            placed = self._sections[section]
            target_row += placed.rows
        target_row = min(max(0, target_row), placed.rows - 1)
        index = min(target_row * self.columns + column, placed.count - 1)
        return placed.first + index

    def _row_width(self) -> int:
        return self.columns * self.tile_width + (self.columns - 1) * self.gap
