"""Where the APIXO key in use came from, and the environment variable that can carry it.

Tiny on purpose: the window reads it before its first paint, when neither the keyring nor
the settings dialog has been loaded.
"""

from __future__ import annotations

from enum import StrEnum

#: An API key in this variable wins over the keyring, in the window and the command line.
API_KEY_ENV = "APIXO_API_KEY"


class KeySource(StrEnum):
    """Where the key in use came from."""

    NONE = "none"
    KEYRING = "keyring"
    ENVIRONMENT = "environment"
    SESSION = "session"
    DEMO = "demo"
