"""Saved prompts with named ``{placeholders}``, filled in before use.

``"A {animal} runs through {place} at dawn"`` has the placeholders ``animal`` and
``place``; ``{{`` and ``}}`` write a literal brace. Templates are kept as JSON in the config
folder, written atomically, so a crash never leaves half a file.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from veo_desktop.core.fsutil import atomic_write_text

log = logging.getLogger(__name__)

TEMPLATES_FILE = "templates.json"
TEMPLATES_VERSION = 1
MAX_NAME_LENGTH = 80
#: A placeholder name: starts with a letter or ``_``; letters, digits, ``_``, ``-``, spaces.
_NAME = re.compile(r"^[^\W\d][\w\- ]*$", re.UNICODE)


class TemplateError(ValueError):
    """A template cannot be used or saved; the message says why and how to fix it."""


class TemplateSyntaxError(TemplateError):
    """The text has a brace that opens no placeholder or a bad placeholder name."""

    def __init__(self, message: str, position: int) -> None:
        self.position = position
        super().__init__(message)


class MissingValuesError(TemplateError):
    """Some placeholders have no value; ``missing`` lists them in order."""

    def __init__(self, missing: list[str]) -> None:
        self.missing = missing
        names = ", ".join(f"{{{name}}}" for name in missing)
        super().__init__(f"Fill in {names} before using this prompt.")


@dataclass(frozen=True)
class Template:
    """A named prompt with placeholders."""

    name: str
    text: str

    def segments(self) -> list[tuple[str, bool]]:
        """The text as ``(literal, False)`` and ``(placeholder name, True)`` pieces.

        Raises:
            TemplateSyntaxError: a lone ``{`` or ``}``, an empty or invalid name.
        """
        pieces: list[tuple[str, bool]] = []
        literal: list[str] = []
        text = self.text
        i = 0
        while i < len(text):
            char = text[i]
            if char == "{" and text.startswith("{{", i):
                literal.append("{")
                i += 2
            elif char == "}" and text.startswith("}}", i):
                literal.append("}")
                i += 2
            elif char == "{":
                end = text.find("}", i + 1)
                inner = text[i + 1 : end] if end != -1 else ""
                if end == -1 or "{" in inner:
                    raise TemplateSyntaxError(
                        f"The '{{' at character {i + 1} opens no placeholder: close it with "
                        "'}', or write '{{' for a brace in the prompt.",
                        i,
                    )
                name = " ".join(inner.split())
                if not name:
                    raise TemplateSyntaxError(
                        f"The placeholder at character {i + 1} has no name: write "
                        "{name}, or '{{}}' for braces in the prompt.",
                        i,
                    )
                if not _NAME.match(name):
                    raise TemplateSyntaxError(
                        f"{{{name}}} at character {i + 1} is not a usable name: use letters, "
                        "digits, spaces, '-' and '_', starting with a letter.",
                        i,
                    )
                if literal:
                    pieces.append(("".join(literal), False))
                    literal = []
                pieces.append((name, True))
                i = end + 1
            elif char == "}":
                raise TemplateSyntaxError(
                    f"The '}}' at character {i + 1} closes no placeholder: write '}}}}' for a "
                    "brace in the prompt.",
                    i,
                )
            else:
                literal.append(char)
                i += 1
        if literal:
            pieces.append(("".join(literal), False))
        return pieces

    def placeholders(self) -> list[str]:
        """The placeholder names, each once, in order of first appearance.

        Raises:
            TemplateSyntaxError: as :meth:`segments`.
        """
        return list(dict.fromkeys(name for name, is_name in self.segments() if is_name))

    def problems(self) -> list[str]:
        """Why the template cannot be saved or used (empty when it can)."""
        problems: list[str] = []
        name = self.name.strip()
        if not name:
            problems.append("Give the prompt a name.")
        elif len(name) > MAX_NAME_LENGTH:
            problems.append(f"Keep the name under {MAX_NAME_LENGTH} characters.")
        if not self.text.strip():
            problems.append("Write the prompt text.")
        try:
            self.segments()
        except TemplateSyntaxError as error:
            problems.append(str(error))
        return problems

    def fill(self, values: Mapping[str, str]) -> str:
        """The prompt with every placeholder replaced by its value (used literally).

        Raises:
            MissingValuesError: a placeholder has no value, or only whitespace.
            TemplateSyntaxError: as :meth:`segments`.
        """
        pieces = self.segments()
        cleaned = {k: v for k, v in values.items() if isinstance(v, str) and v.strip()}
        missing = list(
            dict.fromkeys(name for name, is_name in pieces if is_name and name not in cleaned)
        )
        if missing:
            raise MissingValuesError(missing)
        return "".join(cleaned[text].strip() if is_name else text for text, is_name in pieces)

    def preview(self, values: Mapping[str, str]) -> str:
        """The prompt as filled so far, with unfilled placeholders left as ``{name}``."""
        try:
            pieces = self.segments()
        except TemplateSyntaxError:
            return self.text
        out: list[str] = []
        for text, is_name in pieces:
            if not is_name:
                out.append(text)
                continue
            value = values.get(text, "")
            out.append(value.strip() if value.strip() else f"{{{text}}}")
        return "".join(out)


def escape(text: str) -> str:
    """``text`` as template text that fills to itself (braces doubled)."""
    return text.replace("{", "{{").replace("}", "}}")


class TemplateStore:
    """The saved prompts, by name (names are unique regardless of case).

    Use :meth:`load`; every change through :meth:`put`/:meth:`remove` is saved at once.
    """

    def __init__(self, path: Path, templates: list[Template] | None = None) -> None:
        self.path = Path(path)
        self._templates: list[Template] = list(templates or [])

    @classmethod
    def load(cls, path: Path) -> TemplateStore:
        """Read ``path`` (a missing file is an empty store; a broken one is kept aside).

        A file that is not valid JSON is renamed to ``<name>.broken`` so the next save
        does not overwrite what the person may still want to recover.
        """
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls(path)
        except OSError as error:
            log.warning("cannot read saved prompts %s: %s", path, error)
            return cls(path)
        try:
            data = json.loads(text)
            raw = data["templates"] if isinstance(data, dict) else data
            templates = [_from_json(item) for item in raw]
        except (ValueError, KeyError, TypeError) as error:
            broken = path.with_name(path.name + ".broken")
            log.warning("saved prompts %s are damaged (%s); moved to %s", path, error, broken)
            try:
                path.replace(broken)
            except OSError:
                log.warning("could not move %s aside", path)
            return cls(path)
        return cls(path, templates)

    @classmethod
    def in_config_dir(cls, config_dir: Path) -> TemplateStore:
        """The store in the app's config folder (``templates.json``)."""
        return cls.load(Path(config_dir) / TEMPLATES_FILE)

    def __iter__(self) -> Iterator[Template]:
        return iter(self.all())

    def __len__(self) -> int:
        return len(self._templates)

    def all(self) -> list[Template]:
        """Every template, sorted by name (case-insensitive)."""
        return sorted(self._templates, key=lambda t: t.name.casefold())

    def get(self, name: str) -> Template | None:
        wanted = name.strip().casefold()
        return next((t for t in self._templates if t.name.strip().casefold() == wanted), None)

    def put(self, template: Template, *, replace: str | None = None) -> Template:
        """Save ``template`` (replacing the one named ``replace``, or its own name).

        Raises:
            TemplateError: the template has problems, or another one has its name.
            OSError: the file cannot be written (nothing changed then).
        """
        template = Template(template.name.strip(), template.text)
        problems = template.problems()
        if problems:
            raise TemplateError(" ".join(problems))
        old = (replace or template.name).strip().casefold()
        clash = self.get(template.name)
        if clash is not None and clash.name.casefold() != old:
            raise TemplateError(f"A saved prompt is already called {clash.name!r}.")
        kept = [t for t in self._templates if t.name.strip().casefold() != old]
        if clash is not None:
            kept = [t for t in kept if t is not clash]
        previous = self._templates
        self._templates = [*kept, template]
        try:
            self.save()
        except OSError:
            self._templates = previous
            raise
        return template

    def remove(self, name: str) -> bool:
        """Delete the template called ``name``; False when there is none.

        Raises:
            OSError: the file cannot be written (nothing changed then).
        """
        found = self.get(name)
        if found is None:
            return False
        previous = self._templates
        self._templates = [t for t in self._templates if t is not found]
        try:
            self.save()
        except OSError:
            self._templates = previous
            raise
        return True

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "version": TEMPLATES_VERSION,
            "templates": [{"name": t.name, "text": t.text} for t in self.all()],
        }
        atomic_write_text(self.path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _from_json(item: Any) -> Template:
    if not isinstance(item, dict):
        raise TypeError("each saved prompt must be an object")
    name, text = item.get("name"), item.get("text")
    if not isinstance(name, str) or not isinstance(text, str):
        raise TypeError("each saved prompt needs a name and a text")
    return Template(name, text)
