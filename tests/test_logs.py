"""Logging: the rotating file, the redaction filter on every handler, Qt's messages."""

from __future__ import annotations

import io
import logging
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veo_desktop import logs
from veo_desktop.logs import REDACTED, redact
from veo_desktop.safe_text import is_printable

KEY = "apx-sk-9f8E7d6C5b4A3z2Y1x0W"


@pytest.fixture(autouse=True)
def clean_logging() -> Iterator[None]:
    root = logging.getLogger()
    level = root.level
    yield
    logs.teardown_logging()
    logs.forget_secrets()
    logs.uninstall_qt_message_handler()
    root.setLevel(level)


def _flush() -> None:
    for handler in logging.getLogger().handlers:
        handler.flush()


# -- the patterns -------------------------------------------------------------------------------


def test_a_registered_key_is_removed_wherever_it_appears() -> None:
    logs.register_secret(KEY)
    assert redact(f"key={KEY}") == f"key={REDACTED}"
    assert (
        redact(f"url https://x.test/?k={KEY}&a=1 done")
        == f"url https://x.test/?k={REDACTED}&a=1 done"
    )
    assert KEY not in redact(f"{KEY}{KEY}")
    assert redact(f"('{KEY}',)") == f"('{REDACTED}',)"


def test_a_key_with_url_special_characters_is_removed_percent_encoded_too() -> None:
    key = "k3y/with+plus=="
    logs.register_secret(key)
    assert (
        redact("https://x.test/?key=k3y%2Fwith%2Bplus%3D%3D") == f"https://x.test/?key={REDACTED}"
    )
    assert redact(f"raw {key} end") == f"raw {REDACTED} end"


def test_blank_secrets_are_ignored() -> None:
    logs.register_secret("")
    logs.register_secret("   ")
    logs.register_secret(None)
    assert redact("plain text stays") == "plain text stays"


@pytest.mark.parametrize(
    ("text", "leaked"),
    [
        ("Authorization: Bearer abc.DEF-123_xyz", "abc.DEF-123_xyz"),
        ("authorization: Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
        ("headers={'Authorization': 'Bearer s3cr3tT0ken', 'Accept': '*/*'}", "s3cr3tT0ken"),
        ('{"authorization": "Bearer s3cr3tT0ken"}', "s3cr3tT0ken"),
        ("Proxy-Authorization: Basic cHJveHk6cHc=", "cHJveHk6cHc="),
        ("sent bearer tok_live_123456 to the server", "tok_live_123456"),
        ("Bearer    eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig", "eyJhbGciOiJIUzI1NiJ9"),
    ],
)
def test_authorization_and_bearer_values_are_removed(text: str, leaked: str) -> None:
    cleaned = redact(text)
    assert leaked not in cleaned
    assert REDACTED in cleaned


@pytest.mark.parametrize(
    ("text", "leaked"),
    [
        (
            "GET https://bucket.s3.amazonaws.com/a.png?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKIDEXAMPLE%2F20250101%2Fus-east-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20250101T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host"
            "&X-Amz-Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
            "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
        ),
        ("?X-Amz-Credential=AKIDEXAMPLE%2F20250101%2Fus-east-1&x=1", "AKIDEXAMPLE"),
        ("?X-Amz-Security-Token=IQoJb3JpZ2luX2VjEJr%2F%2F&X-Amz-Date=1", "IQoJb3JpZ2luX2VjEJr"),
        ("x-amz-security-token: FwoGZXIvYXdzEBYaDH", "FwoGZXIvYXdzEBYaDH"),
        (
            "https://cdn.test/v.mp4?Expires=1700000000&Signature=Qm9ndXNTaWc~&Key-Pair-Id=K1",
            "Qm9ndXNTaWc~",
        ),
        (
            "https://storage.googleapis.com/b/o?X-Goog-Signature=abcdef0123&X-Goog-Date=1",
            "abcdef0123",
        ),
        ("https://acct.blob.core.windows.net/c/v.mp4?sv=2022&sig=QUJDREVGRw%3D%3D", "QUJDREVGRw"),
    ],
)
def test_presigned_url_signatures_and_credentials_are_removed(text: str, leaked: str) -> None:
    cleaned = redact(text)
    assert leaked not in cleaned
    assert REDACTED in cleaned


def test_a_presigned_url_keeps_everything_but_its_secrets() -> None:
    url = (
        "https://b.s3.amazonaws.com/in.png?X-Amz-Expires=3600"
        "&X-Amz-Signature=deadbeef&X-Amz-SignedHeaders=host"
    )
    assert redact(url) == (
        f"https://b.s3.amazonaws.com/in.png?X-Amz-Expires=3600"
        f"&X-Amz-Signature={REDACTED}&X-Amz-SignedHeaders=host"
    )


@pytest.mark.parametrize(
    ("text", "leaked"),
    [
        ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI"),
        ("secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY in a sentence", "wJalrXUtnFEMI"),
        ('{"SecretAccessKey": "abc/DEF+ghi"}', "abc/DEF+ghi"),
        ("access key AKIAIOSFODNN7EXAMPLE used", "AKIAIOSFODNN7EXAMPLE"),
        ("AWS_SESSION_TOKEN=FQoGZXIvYXdzEPT", "FQoGZXIvYXdzEPT"),
        ("APIXO_API_KEY=abc123 veo-desktop balance", "abc123"),
        ("x-api-key: zzz-top-secret", "zzz-top-secret"),
        ("api_key='k-1234'", "k-1234"),
        ("password=hunter2", "hunter2"),
    ],
)
def test_aws_secrets_and_credential_assignments_are_removed(text: str, leaked: str) -> None:
    cleaned = redact(text)
    assert leaked not in cleaned
    assert REDACTED in cleaned


@pytest.mark.parametrize(
    "text",
    [
        "task task_03b41e16108f7860fafe7562a1aef1a0 succeeded",
        "commit 2fd4e1c67a2d28fced849ee1bb76e7391b93eb12 (sha1, lower-case hex)",
        "GET https://api.apixo.ai/api/v1/statusTask/veo-3-1?taskId=task_12345678 -> 200",
        "Downloaded 2025-01-01_a-paper-boat_26bf4b73.mp4 (31 KB) in 0.7 s",
        "The Authorization header is missing",
        "mode=fast aspect_ratio=16:9 generationType=TEXT_2_VIDEO",
    ],
)
def test_ordinary_log_lines_are_left_alone(text: str) -> None:
    assert redact(text) == text


@settings(max_examples=150, deadline=None)
@given(
    key=st.text(
        alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="%"),
        min_size=8,
        max_size=64,
    ),
    before=st.text(max_size=30),
    after=st.text(max_size=30),
)
def test_any_registered_key_never_survives(key: str, before: str, after: str) -> None:
    logs.forget_secrets()
    logs.register_secret(key)
    assert key not in redact(before + key + after)


# -- the filter on handlers ---------------------------------------------------------------------


def test_the_file_gets_no_key_from_messages_arguments_tracebacks_or_stacks(tmp_path: Path) -> None:
    path = logs.setup_logging(tmp_path / "logs", level=logging.DEBUG, secrets=[KEY])
    assert path == tmp_path / "logs" / logs.LOG_FILE_NAME
    logger = logging.getLogger("veo_desktop.test")
    logger.info("in the message %s", KEY)
    logger.warning("as an argument: %r", {"Authorization": f"Bearer {KEY}"})
    try:
        raise ValueError(f"bad key {KEY}")
    except ValueError:
        logger.exception("with a traceback")
    logger.error("with a stack", stack_info=True, extra={"unused": KEY})
    logger.info("a %s malformed %d", KEY)  # wrong argument count: logged, still redacted
    _flush()
    text = path.read_text(encoding="utf-8")
    assert KEY not in text
    assert "ValueError: bad key [REDACTED]" in text
    assert "with a stack" in text and "Stack (most recent call last)" in text
    assert text.count(REDACTED) >= 4


def test_handlers_that_existed_before_setup_are_filtered_too(tmp_path: Path) -> None:
    stream = io.StringIO()
    earlier = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(earlier)
    try:
        logs.setup_logging(tmp_path, secrets=[KEY])
        logging.getLogger("veo_desktop.test").warning("key %s", KEY)
        logs.teardown_logging()
        assert earlier.filters == [], "teardown gives foreign handlers back unchanged"
    finally:
        root.removeHandler(earlier)
    assert "key [REDACTED]" in stream.getvalue()
    assert KEY not in stream.getvalue()


def test_a_key_registered_later_is_removed_from_then_on(tmp_path: Path) -> None:
    path = logs.setup_logging(tmp_path)
    assert path is not None
    logs.register_secret("late-key-0123456789")
    logging.getLogger("veo_desktop.test").warning("now late-key-0123456789")
    _flush()
    assert "late-key-0123456789" not in path.read_text(encoding="utf-8")


def test_the_console_handler_is_redacted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    logs.setup_logging(None, console=True, secrets=[KEY])
    logging.getLogger("veo_desktop.test").warning("console %s", KEY)
    err = capsys.readouterr().err
    assert "console [REDACTED]" in err
    assert KEY not in err


def test_the_log_file_rotates_and_keeps_a_few_old_files(tmp_path: Path) -> None:
    path = logs.setup_logging(tmp_path, max_bytes=10_000, backup_count=2)
    assert path is not None
    logger = logging.getLogger("veo_desktop.test")
    for index in range(600):
        logger.info("line %04d %s", index, "x" * 80)
    _flush()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == [logs.LOG_FILE_NAME, f"{logs.LOG_FILE_NAME}.1", f"{logs.LOG_FILE_NAME}.2"]
    assert all(p.stat().st_size <= 10_000 for p in tmp_path.iterdir())
    assert "line 0599" in path.read_text(encoding="utf-8")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_log_files_are_private_to_their_owner(tmp_path: Path) -> None:
    path = logs.setup_logging(tmp_path, max_bytes=2_000, backup_count=1)
    assert path is not None
    for index in range(100):
        logging.getLogger("veo_desktop.test").warning("line %d %s", index, "y" * 50)
    _flush()
    for item in tmp_path.iterdir():
        assert stat.S_IMODE(item.stat().st_mode) == 0o600, item


def test_setup_again_replaces_its_handlers_and_current_log_file_follows(tmp_path: Path) -> None:
    logs.setup_logging(tmp_path / "a")
    logs.setup_logging(tmp_path / "b")
    files = [
        Path(h.baseFilename)
        for h in logging.getLogger().handlers
        if isinstance(h, logging.FileHandler) and Path(h.baseFilename).is_relative_to(tmp_path)
    ]
    assert [path.parent.name for path in files] == ["b"]
    assert logs.current_log_file() == tmp_path / "b" / logs.LOG_FILE_NAME
    logs.teardown_logging()
    assert logs.current_log_file() is None


# -- Qt's messages ------------------------------------------------------------------------------


def test_qt_messages_reach_python_logging(qapp: object, caplog: pytest.LogCaptureFixture) -> None:
    from PySide6.QtCore import qCritical, qWarning

    logs.install_qt_message_handler()
    logs.install_qt_message_handler()  # idempotent
    with caplog.at_level(logging.DEBUG):
        qWarning("the palette is odd")
        qCritical(f"critical with a key {KEY}")
    records = {r.getMessage().split(" (")[0]: r for r in caplog.records if r.name.startswith("qt")}
    assert records["the palette is odd"].levelno == logging.WARNING
    assert records["the palette is odd"].name == "qt"
    assert any(r.levelno == logging.ERROR for r in records.values())


def test_known_multimedia_noise_is_demoted_to_debug(
    qapp: object, caplog: pytest.LogCaptureFixture
) -> None:
    from PySide6.QtCore import qWarning

    logs.install_qt_message_handler()
    with caplog.at_level(logging.DEBUG):
        qWarning("No audio device detected")
    (record,) = [r for r in caplog.records if r.name == "qt"]
    assert record.levelno == logging.DEBUG


def test_qt_messages_in_the_file_are_redacted(qapp: object, tmp_path: Path) -> None:
    from PySide6.QtCore import qWarning

    path = logs.setup_logging(tmp_path, secrets=[KEY])
    assert path is not None
    logs.install_qt_message_handler()
    qWarning(f"QNetworkReply: Authorization: Bearer {KEY}")
    _flush()
    text = path.read_text(encoding="utf-8")
    assert "WARNING qt" in text.replace("  ", " ")
    assert KEY not in text


@pytest.mark.parametrize(
    ("category", "name"),
    [
        (None, "qt"),
        ("default", "qt"),
        ("qt.multimedia.ffmpeg", "qt.multimedia.ffmpeg"),
        ("js", "qt.js"),
    ],
)
def test_qt_categories_become_logger_names(category: str | None, name: str) -> None:
    assert logs.qt_logger_name(category) == name


# -- log injection ------------------------------------------------------------------------------

FORGED = "task_x\n2026-01-01 00:00:00,000 CRITICAL veo_desktop forged\r\x1b[2J\u202edone"


def _records(text: str) -> list[str]:
    """The log's lines that start a record (the file format starts with the date)."""
    return [line for line in text.splitlines() if line[:2] == "20"]


def test_a_server_text_cannot_forge_a_log_line_or_drive_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = logs.setup_logging(tmp_path, level=logging.DEBUG, console=True)
    assert path is not None
    logger = logging.getLogger("veo_desktop.test")
    logger.warning("status of %s: %s", FORGED, "queued")
    logger.warning(FORGED)
    _flush()
    raw = path.read_bytes()
    assert b"\x1b" not in raw and b"\r" not in raw
    assert "\u202e".encode() not in raw
    lines = raw.decode("utf-8").splitlines()
    assert len(lines) == 2, lines  # one line per record
    assert all(" WARNING " in line for line in lines)
    assert "forged" not in "".join(line for line in lines if "CRITICAL" in line.split()[2:3])
    assert "task_x\\n2026-01-01" in lines[0] and "\\x1b[2J" in lines[0]
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\r" not in err
    assert err.count("\n") == 2
    assert all(line.startswith("WARNING veo_desktop.test: ") for line in err.splitlines())


def test_a_traceback_keeps_its_lines_but_none_reads_as_a_record(tmp_path: Path) -> None:
    path = logs.setup_logging(tmp_path, level=logging.DEBUG)
    assert path is not None
    logger = logging.getLogger("veo_desktop.test")
    try:
        raise ValueError(f"bad answer {FORGED}")
    except ValueError:
        logger.exception("poll failed")
    logger.error("where", stack_info=True)
    _flush()
    raw = path.read_bytes()
    assert b"\x1b" not in raw and b"\r" not in raw
    text = raw.decode("utf-8")
    records = _records(text)
    assert len(records) == 2, records
    assert "poll failed" in records[0] and "where" in records[1]
    assert "| Traceback (most recent call last):" in text
    assert "| ValueError: bad answer task_x" in text
    assert "| 2026-01-01 00:00:00,000 CRITICAL veo_desktop forged\\r\\x1b[2J\\u202edone" in text
    assert "| Stack (most recent call last):" in text


def test_a_huge_message_is_clipped(tmp_path: Path) -> None:
    path = logs.setup_logging(tmp_path)
    assert path is not None
    logging.getLogger("veo_desktop.test").warning("taskId %s", "x" * 200_000)
    _flush()
    (line,) = path.read_text(encoding="utf-8").splitlines()
    assert len(line) < logs.MESSAGE_LIMIT + 200
    assert line.endswith("\u2026")


def test_a_record_seen_by_two_handlers_is_made_safe_once(tmp_path: Path) -> None:
    stream = io.StringIO()
    earlier = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(earlier)
    try:
        path = logs.setup_logging(tmp_path, level=logging.DEBUG)
        assert path is not None
        try:
            raise RuntimeError("two\nlines")
        except RuntimeError:
            logging.getLogger("veo_desktop.test").exception("once")
        _flush()
    finally:
        root.removeHandler(earlier)
    for text in (stream.getvalue(), path.read_text(encoding="utf-8")):
        assert "| RuntimeError: two\n| lines" in text
        assert "| | " not in text


@settings(max_examples=100, deadline=None)
@given(
    text=st.text(
        alphabet=st.one_of(st.characters(), st.sampled_from("\n\r\x1b\x85\u2028\u202e\x00")),
        max_size=80,
    )
)
def test_any_message_is_one_safe_line_in_the_file(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    path = logs.setup_logging(tmp_path_factory.mktemp("logs"), level=logging.DEBUG)
    assert path is not None
    logging.getLogger("veo_desktop.test").warning("answer %s", text)
    _flush()
    written = path.read_text(encoding="utf-8")
    logs.teardown_logging()
    assert written.count("\n") == 1 and written.endswith("\n")
    assert is_printable(written[:-1])


def test_a_log_file_that_cannot_be_written_says_so_once_without_a_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A full disk (``/dev/full`` answers every write with ENOSPC) must not flood stderr."""
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    handler = logs._PrivateRotatingFileHandler("/dev/full", maxBytes=0)
    logger = logging.getLogger("veo_desktop.test.full")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        for n in range(50):
            logger.warning("line %d", n)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
        handler.close()
    err = capsys.readouterr().err
    assert "Traceback" not in err and "Logging error" not in err
    (line,) = err.splitlines()
    assert line.startswith("veo-desktop: the log file /dev/full cannot be written (")


def test_with_nowhere_to_log_no_traceback_reaches_the_terminal() -> None:
    """The command line falls back to no log file when its folder cannot be written.

    Run in a fresh interpreter: pytest's own handlers would hide Python's last resort.
    """
    code = (
        "import logging\n"
        "from veo_desktop import logs\n"
        "logs.setup_logging(None)\n"
        "try:\n"
        "    raise RuntimeError('a bug')\n"
        "except RuntimeError:\n"
        "    logging.getLogger('veo_desktop.test').exception('unexpected error')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
