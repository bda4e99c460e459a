"""``veo-desktop recipe FILE`` and ``veo-desktop import FOLDER``: the recipe inside a video,
and videos made elsewhere joining the library.

``recipe`` prints the recipe a video carries (``veo_desktop.film.recipe``) as JSON on stdout;
a storyboard's film gives the storyboard it carries, and a library video without a recipe
the settings of the ``.json`` next to it (each said on stderr). ``import`` copies every Veo
video of a folder with settings (a sidecar or a recipe inside) into the library as a
finished task, skipping those already there; it works on the store directly, so it needs no
API key (a window already open shows them when next opened).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from veo_desktop.cli.args import ExitCode
from veo_desktop.cli.output import clean

if TYPE_CHECKING:
    from veo_desktop.cli.commands import Context


def show_recipe(ctx: Context) -> ExitCode:
    """Print the recipe of ``ctx.args.file`` as JSON."""
    from veo_desktop.cli.commands import CliError
    from veo_desktop.core import sidecar
    from veo_desktop.film.recipe import (
        RECIPE_KEY,
        STORYBOARD_KEY,
        RecipeError,
        parse_recipe,
        parse_storyboard,
        read_tags,
        recipe_text,
    )

    path = Path(ctx.args.file).expanduser()
    if not path.is_file():
        raise CliError(ExitCode.INVALID, f"{clean(str(path))} is not a file.")
    try:
        tags = read_tags(path)
        text = tags.get(RECIPE_KEY)
        recipe = None if text is None else parse_recipe(text, name=path.name)
        board = tags.get(STORYBOARD_KEY)
        if recipe is None and board is not None:
            recipe = parse_storyboard(board, name=path.name)
            print(
                f"veo-desktop: {clean(path.name)} is a storyboard's film; this is the "
                "storyboard it carries.",
                file=ctx.err,
                flush=True,
            )
    except RecipeError as error:
        raise CliError(ExitCode.INVALID, clean(str(error))) from error
    except OSError as error:
        raise CliError(ExitCode.LOCAL, f"{clean(str(path))} cannot be read: {error}") from error
    if recipe is None:
        side = sidecar.sidecar_for(path)
        if side is None:
            raise CliError(
                ExitCode.INVALID,
                f"{clean(path.name)} carries no recipe, and no settings file is next to it.",
            )
        try:
            recipe = sidecar.read_sidecar(side)
        except sidecar.SidecarError as error:
            raise CliError(ExitCode.INVALID, clean(str(error))) from error
        print(
            f"veo-desktop: {clean(path.name)} carries no recipe; these are the settings in "
            f"{clean(side.name)} next to it.",
            file=ctx.err,
            flush=True,
        )
    print(recipe_text(recipe, indent=2), file=ctx.out, flush=True)
    return ExitCode.OK


def import_videos(ctx: Context) -> ExitCode:
    """Import the Veo videos of ``ctx.args.folder`` into the library (skipping duplicates)."""
    from veo_desktop.cli.commands import CliError
    from veo_desktop.core.library_import import import_folder
    from veo_desktop.film.recipe import read_recipe
    from veo_desktop.storage.store import StoreError, TaskStore

    folder = Path(ctx.args.folder).expanduser()
    if not folder.is_dir():
        raise CliError(ExitCode.INVALID, f"{clean(str(folder))} is not a folder.")
    library = ctx.paths.library_dir if ctx.demo else ctx.settings.library(ctx.paths)
    try:
        store = TaskStore.open(ctx.paths.store_path)
    except StoreError as error:
        raise CliError(ExitCode.LOCAL, str(error)) from error
    try:
        result = import_folder(
            folder,
            library_dir=library,
            known=store.load_all(),
            add=store.insert,
            embedded=read_recipe,
        )
    except OSError as error:
        raise CliError(ExitCode.LOCAL, f"Import stopped: {clean(str(error))}") from error
    finally:
        store.close()
    for record in result.added:
        print(f"{record.short_id}  {clean(record.files[0])}", file=ctx.out, flush=True)
    for line in result.details():
        print(f"veo-desktop: skipped {clean(line)}", file=ctx.err, flush=True)
    print(clean(result.summary()), file=ctx.err, flush=True)
    return ExitCode.OK
