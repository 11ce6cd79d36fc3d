"""Write a commented TOML document, and put a new file in place without clobbering.

tomlkit does the TOML: it escapes every string value as TOML requires and lays
out tables, inline tables and arrays with per-item comments. Comments are ours to
make safe: a comment holds any text we show (a manifest's route, a service name),
and a newline in it would end the comment and start a key. So every comment goes
through :func:`comment_safe`, which leaves it on one line with no control
character in it.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.items import Table

from generator.errors import InputError

WIDTH = 88


def comment_safe(text: str) -> str:
    """``text`` with every non-printable character (newlines, U+2028, DEL...) escaped."""
    out = []
    for char in text:
        if char.isprintable():
            out.append(char)
        elif ord(char) <= 0xFFFF:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    return "".join(out)


def quoted(value: str) -> str:
    """A value shown inside a comment: double-quoted, escaped, one line."""
    return comment_safe(json.dumps(value, ensure_ascii=False))


def toml_value(value: Any) -> str:
    """The TOML text of one value (for a key written commented out)."""
    return comment_safe(tomlkit.item(value).as_string())


class Section:
    """A document or table being written: comments, keys, commented-out keys."""

    def __init__(self, container: tomlkit.TOMLDocument | Table) -> None:
        self.container = container

    def comment(self, text: str) -> Section:
        """A comment, wrapped to the page width; each line made safe."""
        for line in textwrap.wrap(comment_safe(text), WIDTH - 2, break_long_words=False,
                                  break_on_hyphens=False) or [""]:
            self.container.add(tomlkit.comment(line))
        return self

    def key(self, name: str, value: Any, note: str | None = None) -> Section:
        """``name = value``, with ``note`` as a comment above it."""
        if note:
            self.comment(note)
        self.container.add(name, value)
        return self

    def commented_key(self, name: str, value: Any, note: str | None = None) -> Section:
        """``# name = value``: shown for the reader to uncomment, not in effect."""
        if note:
            self.comment(note)
        self.container.add(tomlkit.comment(f"{name} = {toml_value(value)}"))
        return self

    def blank(self) -> Section:
        self.container.add(tomlkit.nl())
        return self

    def table(self, name: str) -> Section:
        """A ``[name]`` table appended to this document."""
        table = tomlkit.table()
        self.container.add(name, table)
        return Section(table)


def inline(**values: Any) -> Any:
    """An inline table, ``{ host = "a", domain = "b" }``."""
    table = tomlkit.inline_table()
    table.update(values)
    return table


def lines_array(items: list[tuple[Any, str | None]]) -> Any:
    """A multi-line array, one item per line, each with an optional trailing comment."""
    array = tomlkit.array()
    for value, note in items:
        array.add_line(value, comment=comment_safe(note) if note else None)
    array.add_line(indent="")
    return array


def new_document() -> tuple[tomlkit.TOMLDocument, Section]:
    document = tomlkit.document()
    return document, Section(document)


def refuse_existing(path: Path) -> None:
    """Fail early, before any work, when the output is already there."""
    if path.exists() or path.is_symlink():
        raise InputError(f"{path}: already exists; init never overwrites a file "
                         "(move it away, or choose another name with -o)")


def write_new_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` only if nothing is there, all at once or not at all.

    The text goes to a temporary file beside ``path``, which is then hard-linked
    into place: ``link`` fails if ``path`` exists (no race with another writer)
    and a reader never sees half a file.
    """
    refuse_existing(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", delete=False
        )
    except OSError as exc:
        raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from None
    temporary = Path(handle.name)
    try:
        with handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        try:
            os.link(temporary, path)
        except FileExistsError:
            refuse_existing(path)
            raise
        except OSError:  # a file system without hard links: exclusive create instead
            with open(path, "x", encoding="utf-8") as out:
                out.write(text)
    except FileExistsError:
        refuse_existing(path)
    except OSError as exc:
        raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink()
