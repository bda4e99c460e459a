"""safe_text: control characters escaped visibly, secrets removed, lengths bounded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veo_desktop import logs, safe_text
from veo_desktop.safe_text import (
    ELLIPSIS,
    REDACTED,
    UNSAFE,
    is_printable,
    printable,
    printable_block,
    safe,
    safe_block,
)

KEY = "apx-sk-Zq8Lm3Nv5Rt7Wx9Yb2Kd4F"
#: Every character printable() must escape, listed by hand (not from the regex under test).
CONTROLS = (
    [chr(c) for c in range(0x20)]
    + [chr(c) for c in range(0x7F, 0xA0)]
    + ["\u2028", "\u2029", "\u200e", "\u200f", "\ufeff"]
    + [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)]
)


@pytest.fixture(autouse=True)
def no_secrets() -> Iterator[None]:
    yield
    safe_text.forget_secrets()


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("line\nforged", "line\\nforged"),
        ("a\rb\tc", "a\\rb\\tc"),
        ("\x1b[2Jclear", "\\x1b[2Jclear"),
        ("nul\x00del\x7f", "nul\\x00del\\x7f"),
        ("c1\x85\x9b", "c1\\x85\\x9b"),
        ("evil\u202egpj.exe", "evil\\u202egpj.exe"),
        ("sep\u2028par\u2029", "sep\\u2028par\\u2029"),
        ("\ufeffbom", "\\ufeffbom"),
    ],
)
def test_control_characters_are_escaped_visibly(text: str, shown: str) -> None:
    assert printable(text) == shown
    assert is_printable(shown) and not is_printable(text)


@pytest.mark.parametrize("char", CONTROLS)
def test_every_listed_control_character_is_escaped(char: str) -> None:
    assert char not in printable(f"a{char}b")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "task_03b41e16108f7860fafe7562a1aef1a0",
        "Crème brûlée \u2014 \U0001f98a 東京 مرحبا",
        "C:\\Users\\me\\Videos\\clip.mp4",
        "https://r2.apixo.ai/a.mp4?x=1&y=2",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert printable(text) == text
    assert safe(text) == text
    assert is_printable(text)


def test_the_limit_clips_with_an_ellipsis() -> None:
    assert printable("abcdef", 4) == "abc" + ELLIPSIS
    assert printable("abcd", 4) == "abcd"
    assert printable("\n" * 10, 5) == "\\n\\n" + ELLIPSIS
    assert printable("abc", 0) == ""
    assert len(printable("x" * 1_000_000, 100)) == 100


def test_safe_removes_a_registered_key_and_escapes() -> None:
    safe_text.register_secret(KEY)
    assert safe(f"bad key {KEY}\n\x1b[31m") == f"bad key {REDACTED}\\n\\x1b[31m"
    assert KEY not in safe(f"{KEY}{KEY}")


def test_logs_and_safe_text_share_one_redaction() -> None:
    logs.register_secret(KEY)
    assert safe(KEY) == REDACTED
    assert logs.redact is safe_text.redact


def test_a_block_keeps_its_line_breaks_only() -> None:
    text = "Traceback\n  File x\r\nValueError: \x1b[2J\u2028end"
    assert printable_block(text) == "Traceback\n  File x\\r\nValueError: \\x1b[2J\\u2028end"
    safe_text.register_secret(KEY)
    assert safe_block(f"one {KEY}\ntwo") == f"one {REDACTED}\ntwo"


def test_printable_is_fast_on_huge_hostile_text() -> None:
    hostile = "\x1b\n" * 500_000
    assert len(printable(hostile, 1000)) == 1000  # only the part that can be shown is scanned


# -- properties ---------------------------------------------------------------------------------

ANY_TEXT = st.text(alphabet=st.one_of(st.characters(), st.sampled_from(CONTROLS)), max_size=200)


@settings(max_examples=300, deadline=None)
@given(text=ANY_TEXT, limit=st.none() | st.integers(min_value=0, max_value=300))
def test_printable_output_never_holds_an_unsafe_character(text: str, limit: int | None) -> None:
    out = printable(text, limit)
    assert not any(char in out for char in CONTROLS)
    assert UNSAFE.search(out) is None
    assert is_printable(out)
    if limit is not None:
        assert len(out) <= limit
    assert printable(out) == out  # idempotent: escaping twice changes nothing


@settings(max_examples=200, deadline=None)
@given(text=ANY_TEXT)
def test_a_block_holds_no_unsafe_character_but_its_line_breaks(text: str) -> None:
    out = printable_block(text)
    assert out.count("\n") == text.count("\n")
    assert all(is_printable(line) for line in out.split("\n"))


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(
        alphabet=st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Zl", "Zp")), max_size=200
    )
)
def test_ordinary_text_is_unchanged(text: str) -> None:
    assert printable(text) == text


@settings(max_examples=150, deadline=None)
@given(
    key=st.text(
        # No backslash: escaping makes backslashes, and a key is typed, never escaped.
        alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="%\\"),
        min_size=8,
        max_size=64,
    ),
    before=ANY_TEXT,
    after=ANY_TEXT,
)
def test_safe_never_lets_a_registered_key_through(key: str, before: str, after: str) -> None:
    safe_text.forget_secrets()
    safe_text.register_secret(key)
    assert key not in safe(before + key + after)
    assert key not in safe_block(before + key + after)


def test_a_lone_surrogate_is_escaped_so_a_utf8_file_can_hold_it() -> None:
    out = printable("answer \ud800 and \udfff")
    assert out == "answer \\ud800 and \\udfff"
    out.encode("utf-8")  # a log file or terminal takes it whole


def test_a_line_folds_breaks_and_spaces_then_escapes_and_clips() -> None:
    from veo_desktop.safe_text import safe_line

    assert safe_line("APIXO\n  said\r\n\x1b[2J no") == "APIXO said \\x1b[2J no"
    assert safe_line("x" * 10_000, 10) == "x" * 9 + "\u2026"


def test_a_line_never_keeps_part_of_a_key_however_far_it_stands() -> None:
    from veo_desktop.safe_text import safe_line

    key = "sk-Zq8vR2mXw4Ln7Tp1-partial-leak"
    safe_text.register_secret(key)
    try:
        for pad in (10, 2390, 2400, 50_000):
            out = safe_line(" " * pad + key, 300)
            assert "sk-Z" not in out and "Zq8v" not in out, (pad, out)
    finally:
        safe_text.forget_secrets()
