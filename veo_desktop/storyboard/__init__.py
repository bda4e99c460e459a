"""Storyboards: a shot list turned into one film. Plans what is missing and what it costs,
sends the shots in dependency order through the engine, and renders the chosen takes with
``veo_desktop.film``. Qt-free; below the runtime, above the engine and the film renderer.

- :mod:`.files`: the JSON the window exports and ``storyboard render`` reads, checked;
- :mod:`.planner`: what is missing, in which order, at what price (pure);
- :mod:`.service`: :class:`StoryboardService`, every storyboard of a data folder, edited
  and kept in the task store, each take linked durably before its POST;
- :mod:`.director`: generating the missing shots through the engine, once agreed to;
- :mod:`.takes`: more takes (variations) of one shot;
- :mod:`.render`: the film, through :mod:`veo_desktop.film.render` (import it from there: it
  loads PyAV, which the window's start-up does not need).
"""

from veo_desktop.records.storyboard import SendMark, Shot, ShotStart, Storyboard
from veo_desktop.storyboard.director import (
    GenerateProgress,
    GenerateResult,
    OnGenerateProgress,
    generate_missing,
)
from veo_desktop.storyboard.files import (
    ShotProblem,
    StoryboardFileError,
    TaskLookup,
    parse_storyboard,
    read_storyboard_file,
)
from veo_desktop.storyboard.planner import Plan, PlannedShot, ShotStatus, plan, usable_take
from veo_desktop.storyboard.service import (
    FrameCheck,
    FrameUrl,
    OnBoardChange,
    StoryboardError,
    StoryboardService,
)

__all__ = [
    "FrameCheck",
    "FrameUrl",
    "GenerateProgress",
    "GenerateResult",
    "OnBoardChange",
    "OnGenerateProgress",
    "Plan",
    "PlannedShot",
    "SendMark",
    "Shot",
    "ShotProblem",
    "ShotStart",
    "ShotStatus",
    "Storyboard",
    "StoryboardError",
    "StoryboardFileError",
    "StoryboardService",
    "TaskLookup",
    "generate_missing",
    "parse_storyboard",
    "plan",
    "read_storyboard_file",
    "usable_take",
]
