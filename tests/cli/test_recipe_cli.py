"""The command line and the recipe: ``--output`` copies carry it (``--no-recipe`` and the
setting turn it off), ``veo-desktop recipe FILE`` prints it, ``veo-desktop import FOLDER``
adds a folder's videos to another library once."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from tests.cli.test_cli import FAST, cli, stored  # noqa: F401  (cli is a fixture)
from tests.fixtures.recipe import assert_carries_recipe, with_tags
from tests.fixtures.sim import SIM_API_KEY
from veo_desktop.cli import ExitCode
from veo_desktop.core.paths import AppPaths
from veo_desktop.core.settings import Settings
from veo_desktop.film.recipe import STORYBOARD_KEY, read_recipe


def test_output_recipe_and_import(cli: Any, tmp_path: Path) -> None:  # noqa: F811
    out = tmp_path / "fox.mp4"
    made = cli(
        "generate", "--prompt", "A red fox", "--seed", "9", "--wait", "--output", str(out), *FAST
    )
    assert made.code == ExitCode.OK, made.err
    (record,) = stored(cli.data)
    video = Path(record.files[0])
    library_bytes = video.read_bytes()
    recipe = assert_carries_recipe(out, video, record)
    assert recipe["seed"] == 9

    # `recipe FILE` prints it as JSON; the key is nowhere.
    shown = cli("recipe", str(out))
    assert shown.code == ExitCode.OK and shown.err == ""
    assert json.loads(shown.out) == recipe and SIM_API_KEY not in shown.out
    # A library video carries none: the settings next to it are printed, and said so.
    beside = cli("recipe", str(video))
    assert beside.code == ExitCode.OK
    assert json.loads(beside.out)["apixo_task_id"] == record.apixo_task_id
    assert "carries no recipe; these are the settings in" in beside.err
    # A storyboard's film gives the storyboard it carries.
    board = {"name": "Fox story", "shots": [{"take": record.local_id}]}
    film = with_tags(video, tmp_path / "film.mp4", {STORYBOARD_KEY: json.dumps(board)})
    carried = cli("recipe", str(film))
    assert carried.code == ExitCode.OK and json.loads(carried.out) == board
    assert "film.mp4 is a storyboard's film" in carried.err
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all")
    refused = cli("recipe", str(junk))
    assert refused.code == ExitCode.INVALID and refused.out == ""
    assert refused.err == "veo-desktop: error: junk.mp4 is not a video file that can be read.\n"

    # --no-recipe, and the setting, copy the file as it is.
    plain = tmp_path / "plain.mp4"
    again = cli("download", record.local_id[:8], "--output", str(plain), "--no-recipe")
    assert again.code == ExitCode.OK, again.err
    assert plain.read_bytes() == library_bytes
    paths = AppPaths.resolve(cli.data)
    settings = Settings.load(paths)
    settings.embed_recipe = False
    settings.save(paths)
    assert Settings.load(paths).embed_recipe is False
    off = tmp_path / "off.mp4"
    assert cli("download", record.local_id[:8], "--output", str(off)).code == ExitCode.OK
    assert off.read_bytes() == library_bytes and read_recipe(off) is None
    assert video.read_bytes() == library_bytes  # the library's file never changes

    # Import into another data folder: the renamed copy (recipe only) joins once.
    handed = tmp_path / "handed over"
    handed.mkdir()
    shutil.move(out, handed / "renamed without sidecar.mp4")
    other = tmp_path / "other data"
    first = cli("import", str(handed), "--data-dir", str(other))
    assert first.code == ExitCode.OK, first.err
    (imported,) = stored(other)
    assert imported.apixo_task_id == record.apixo_task_id and imported.prompt == "A red fox"
    assert first.out == f"{imported.short_id}  {imported.files[0]}\n"
    assert first.err.strip().endswith("Imported 1 video from handed over.")
    second = cli("import", str(handed), "--data-dir", str(other))
    assert second.code == ExitCode.OK and second.out == "" and len(stored(other)) == 1
    assert "skipped renamed without sidecar.mp4: already in the library" in second.err
    listed = cli("list", "--data-dir", str(other))
    assert imported.short_id in listed.out
