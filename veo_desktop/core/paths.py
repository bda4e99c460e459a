"""Where Veo Desktop keeps its data, settings, cache, logs and videos."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "Veo Desktop"
#: Overrides the data directory (like ``--data-dir``); everything then lives under it.
DATA_DIR_ENV = "VEO_DESKTOP_DATA_DIR"
STORE_NAME = "tasks.sqlite3"


#: The demo's own folder inside the library.
DEMO_LIBRARY = "Demo"


@dataclass(frozen=True)
class AppPaths:
    """The app's directories. Nothing is created until :meth:`ensure` is called.

    When a data directory is given (``--data-dir`` or ``VEO_DESKTOP_DATA_DIR``), the
    config, cache, log and default library directories live inside it, so a test or a
    portable install never touches the person's home.
    """

    data_dir: Path
    config_dir: Path
    cache_dir: Path
    log_dir: Path
    library_dir: Path

    @classmethod
    def resolve(cls, data_dir: Path | str | None = None) -> AppPaths:
        """The paths for ``data_dir``, else ``$VEO_DESKTOP_DATA_DIR``, else the platform's."""
        chosen = data_dir if data_dir not in (None, "") else os.environ.get(DATA_DIR_ENV)
        if chosen:
            root = Path(chosen).expanduser().resolve()
            return cls(
                data_dir=root,
                config_dir=root / "config",
                cache_dir=root / "cache",
                log_dir=root / "logs",
                library_dir=root / "videos",
            )
        return cls(
            data_dir=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
            config_dir=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
            cache_dir=Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
            log_dir=Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
            library_dir=Path(platformdirs.user_videos_dir()) / APP_NAME,
        )

    @property
    def store_path(self) -> Path:
        """The sqlite file holding every task."""
        return self.data_dir / STORE_NAME

    @property
    def settings_path(self) -> Path:
        return self.config_dir / "settings.json"

    def ensure(self) -> AppPaths:
        """Create the data, config, cache and log directories (not the library)."""
        for path in (self.data_dir, self.config_dir, self.cache_dir, self.log_dir):
            path.mkdir(parents=True, exist_ok=True)
        return self

    def demo(self) -> AppPaths:
        """Separate paths for demo mode, so simulated tasks never mix with paid ones.

        The demo's videos go to a ``Demo`` folder inside the library, where a person looks
        for videos (``~/Videos/Veo Desktop/Demo``), not into the hidden data folder.
        """
        root = self.data_dir / "demo"
        return AppPaths(
            data_dir=root,
            config_dir=self.config_dir,
            cache_dir=self.cache_dir / "demo",
            log_dir=self.log_dir,
            library_dir=self.library_dir / DEMO_LIBRARY,
        )
