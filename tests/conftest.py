"""Suite-wide setup: Qt runs offscreen, fixtures come from tests/fixtures/."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")
# Never touch the developer's real keyring, settings or library from a test.
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")

pytest_plugins = [
    "tests.fixtures.sim",
    "tests.fixtures.core",
    "tests.fixtures.qt",
    "tests.fixtures.s3",
]
