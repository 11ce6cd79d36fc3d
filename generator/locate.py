"""Where each key of a TOML document is written: key path -> line number.

``tomllib`` gives values, not positions, and no well-kept TOML library gives line
numbers either (tomlkit keeps formatting, not positions). This is a small scanner
over text that ``tomllib`` has already accepted: it follows table headers
(``[a.b]``, ``[[a]]``), dotted keys, inline tables and (multi-line) arrays, skips
strings and comments, and records the line where each key, table or array item
first appears. It never decides validity; on anything it does not expect it stops
and keeps what it found, so a problem line then simply shows a shorter key's line.
"""

from __future__ import annotations

import bisect
import json
import re

KeyPath = tuple[str | int, ...]

_BARE = re.compile(r"[A-Za-z0-9_-]+")
_SPACE = re.compile(r"[ \t]*")
_BLANK = re.compile(r"(?:[ \t\r\n]|#[^\n]*)*")
# A scalar runs to the next delimiter; a date-time may hold one space ("1979-05-27 07:32").
_SCALAR = re.compile(r"\d{4}-\d{2}-\d{2}[ Tt]\d[^\s,\]}#]*|[^\s,\]}#]+")
_BASIC = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_LITERAL = re.compile(r"'[^'\n]*'")
_ML_BASIC = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""(?:"{1,2}(?!"))?', re.S)
_ML_LITERAL = re.compile(r"'''(?:[^']|'(?!''))*'''(?:'{1,2}(?!'))?", re.S)


class _Stop(Exception):
    """The scanner met something it does not expect: keep what was found."""


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.newlines = [i for i, c in enumerate(text) if c == "\n"]
        self.lines: dict[KeyPath, int] = {}
        self.arrays_of_tables: dict[KeyPath, int] = {}

    def line(self) -> int:
        return bisect.bisect_right(self.newlines, self.pos - 1) + 1

    def record(self, path: KeyPath, line: int) -> None:
        self.lines.setdefault(path, line)

    def skip(self, pattern: re.Pattern[str]) -> None:
        self.pos = pattern.match(self.text, self.pos).end()  # type: ignore[union-attr]

    def peek(self, literal: str) -> bool:
        return self.text.startswith(literal, self.pos)

    def expect(self, literal: str) -> None:
        if not self.peek(literal):
            raise _Stop
        self.pos += len(literal)

    def take(self, *patterns: re.Pattern[str]) -> str:
        for pattern in patterns:
            found = pattern.match(self.text, self.pos)
            if found:
                self.pos = found.end()
                return found.group()
        raise _Stop

    def key_part(self) -> tuple[str, int]:
        """One simple key (bare, "basic" or 'literal'), unquoted, with its line."""
        self.skip(_SPACE)
        line = self.line()
        token = self.take(_BARE, _BASIC, _LITERAL)
        if token[0] == '"':
            return _unescape(token), line
        return (token[1:-1] if token[0] == "'" else token), line

    def dotted_key(self) -> list[tuple[str, int]]:
        parts = [self.key_part()]
        while True:
            self.skip(_SPACE)
            if not self.peek("."):
                return parts
            self.pos += 1
            parts.append(self.key_part())

    def document(self) -> None:
        table: KeyPath = ()
        while True:
            self.skip(_BLANK)
            if self.pos >= len(self.text):
                return
            if self.peek("["):
                table = self.header()
            else:
                self.key_value(table)

    def header(self) -> KeyPath:
        array = self.peek("[[")
        self.pos += 2 if array else 1
        parts = self.dotted_key()
        self.skip(_SPACE)
        self.expect("]]" if array else "]")
        path: KeyPath = ()
        for number, (key, line) in enumerate(parts, start=1):
            path = (*path, key)
            self.record(path, line)
            if path in self.arrays_of_tables and number < len(parts):
                path = (*path, self.arrays_of_tables[path] - 1)  # its latest table
        if array:
            index = self.arrays_of_tables.get(path, 0)
            self.arrays_of_tables[path] = index + 1
            path = (*path, index)
            self.record(path, parts[-1][1])
        elif path in self.arrays_of_tables:  # [a] after [[a]] is invalid TOML anyway
            raise _Stop
        return path

    def key_value(self, table: KeyPath) -> None:
        path = table
        for key, line in self.dotted_key():
            path = (*path, key)
            self.record(path, line)
        self.skip(_SPACE)
        self.expect("=")
        self.skip(_SPACE)
        self.value(path)

    def value(self, path: KeyPath) -> None:
        if self.peek("{"):
            self.pos += 1
            self.skip(_SPACE)
            while not self.peek("}"):
                self.key_value(path)
                self.skip(_SPACE)
                if self.peek(","):
                    self.pos += 1
                    self.skip(_SPACE)
            self.pos += 1
        elif self.peek("["):
            self.pos += 1
            index = 0
            while True:
                self.skip(_BLANK)
                if self.peek("]"):
                    break
                self.record((*path, index), self.line())
                self.value((*path, index))
                index += 1
                self.skip(_BLANK)
                if self.peek(","):
                    self.pos += 1
            self.pos += 1
        else:
            self.take(_ML_BASIC, _ML_LITERAL, _BASIC, _LITERAL, _SCALAR)


def _unescape(token: str) -> str:
    """A basic-string key: TOML's escapes are JSON's (but for the rare ``\\UXXXXXXXX``,
    kept as written)."""
    try:
        return json.loads(token)
    except ValueError:
        return token[1:-1]


def key_lines(text: str) -> dict[KeyPath, int]:
    """Line (1-based) where each key path is first written in ``text`` (valid TOML)."""
    scanner = _Scanner(text)
    try:
        scanner.document()
    except (_Stop, ValueError, RecursionError):
        pass
    return scanner.lines


def line_of(lines: dict[KeyPath, int], path: KeyPath) -> int | None:
    """The line of ``path``, or of its nearest written ancestor (a missing key: its table)."""
    for end in range(len(path), 0, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None
