"""The TOML key locator: every key path maps to the line where it is written.

Fixed documents cover each TOML form a profile may use (nested tables, inline tables,
arrays of tables, dotted keys, multi-line arrays, strings that look like syntax); a
property writes random documents in randomly mixed styles, records where it put each
key, and checks the locator finds exactly those lines.
"""

from __future__ import annotations

import datetime
import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.errors import ProfileError
from generator.locate import key_lines, line_of
from generator.profile import load_profile

NESTED = """\
# a comment with [brackets] and key = "value"
app = "demo"          # trailing comment
cf_cli = 8

[routes]
live = [
  { host = "a", domain = "example.com" },   # first
  # a comment between items
  { domain = "example.org", path = "/x" },
]


[routes.staging]
host = "s"
domain = "example.com"

[push.vars]
"quoted key" = "x"
'literal key' = 'y # not a comment'
"esc\\u0041ped" = "z"
"""


def test_nested_tables_inline_tables_and_multiline_arrays() -> None:
    assert tomllib.loads(NESTED)["push"]["vars"]["escAped"] == "z"
    lines = key_lines(NESTED)
    assert lines[("app",)] == 2
    assert lines[("cf_cli",)] == 3
    assert lines[("routes",)] == 5
    assert lines[("routes", "live")] == 6
    assert lines[("routes", "live", 0)] == 7
    assert lines[("routes", "live", 0, "host")] == 7
    assert lines[("routes", "live", 1)] == 9
    assert lines[("routes", "live", 1, "domain")] == 9
    assert lines[("routes", "live", 1, "path")] == 9
    assert lines[("routes", "staging")] == 13
    assert lines[("routes", "staging", "domain")] == 15
    assert lines[("push",)] == 17  # defined implicitly by [push.vars]
    assert lines[("push", "vars", "quoted key")] == 18
    assert lines[("push", "vars", "literal key")] == 19
    assert lines[("push", "vars", "escAped")] == 20


ARRAYS_OF_TABLES = """\
app = "demo"

[[routes.live]]
host = "a"
domain = "example.com"

[[routes.live]]
domain = "example.org"

[[fruit]]
name = "apple"
[fruit.colour]
shade = "red"
[[fruit.variety]]
name = "gala"
[[fruit]]
name = "pear"
[[fruit.variety]]
name = "conference"
[[fruit.variety]]
name = "williams"
"""


def test_arrays_of_tables_count_their_items() -> None:
    assert tomllib.loads(ARRAYS_OF_TABLES)["fruit"][1]["variety"][1]["name"] == "williams"
    lines = key_lines(ARRAYS_OF_TABLES)
    assert lines[("routes", "live")] == 3
    assert lines[("routes", "live", 0)] == 3
    assert lines[("routes", "live", 0, "domain")] == 5
    assert lines[("routes", "live", 1)] == 7
    assert lines[("routes", "live", 1, "domain")] == 8
    assert lines[("fruit", 0, "colour", "shade")] == 13
    assert lines[("fruit", 0, "variety", 0, "name")] == 15
    assert lines[("fruit", 1, "name")] == 17
    assert lines[("fruit", 1, "variety", 1, "name")] == 21


DOTTED_AND_TRICKY = '''\
routes.live = [{ host = "a", domain = "example.com" }]
health . path = "/h"
cutover.smoke_test = """
[cutover]
settle_seconds = 5 # looks like a table, is a string ""
"""
cutover.after_cutover = \'\'\'
retire = "keep" \'\'
\'\'\'
when = 1979-05-27 07:32:00Z
dates = [1979-05-27, 07:32:00, 1979-05-27T07:32:00-08:00]
numbers = [ +1, -0.5e3, inf, nan, 0xff, 1_000, ]
push.vars = {}
nested = { a.b = 1, c = { d = [ { e = 2 } ] } }
last = true
'''


def test_dotted_keys_strings_that_look_like_syntax_and_scalars() -> None:
    assert tomllib.loads(DOTTED_AND_TRICKY)  # the fixture is valid TOML
    lines = key_lines(DOTTED_AND_TRICKY)
    assert lines[("routes",)] == 1
    assert lines[("routes", "live", 0, "domain")] == 1
    assert lines[("health", "path")] == 2
    assert lines[("cutover", "smoke_test")] == 3
    assert ("cutover", "settle_seconds") not in lines
    assert lines[("cutover", "after_cutover")] == 7
    assert ("retire",) not in lines
    assert lines[("when",)] == 10
    assert lines[("dates", 2)] == 11
    assert lines[("numbers", 5)] == 12
    assert lines[("nested", "a", "b")] == 14
    assert lines[("nested", "c", "d", 0, "e")] == 14
    assert lines[("last",)] == 15


def test_line_of_falls_back_to_the_nearest_written_table() -> None:
    lines = key_lines(NESTED)
    assert line_of(lines, ("routes", "live", 1, "host")) == 9  # missing: the item's line
    assert line_of(lines, ("health", "path")) is None  # nothing of it is written
    assert line_of(lines, ()) is None


def test_crlf_and_unexpected_text_never_raise() -> None:
    assert key_lines('a = 1\r\n[b]\r\nc = "x"\r\n') == {("a",): 1, ("b",): 2, ("b", "c"): 3}
    # Not TOML (the loader never passes such text, but the scanner must not care).
    assert key_lines('a = 1\n= oops\nb = 2\n') == {("a",): 1}
    assert key_lines("x = " + "[" * 50_000)[("x",)] == 1  # too deep: RecursionError kept in
    assert key_lines("x = [" * 5000)[("x",)] == 1
    assert key_lines("") == {}


def test_problem_lines_name_the_key_line_in_every_form(tmp_path: Path) -> None:
    profile = tmp_path / "x.toml"
    profile.write_text(
        'app = "demo"\n'
        'cutover.retire = "destroy"\n'
        'push = { vars = { "my var" = "v" } }\n'
        "[[routes.live]]\n"
        'host = "bad host"\n'
        'domain = "example.com"\n'
        "[[routes.live]]\n"
        'path = "/a"\n'
        "[services]\n"
        "bind = [\n"
        '  "db",\n'
        '  "-x",\n'
        "]\n"
    )
    with pytest.raises(ProfileError) as info:
        load_profile(profile, display_name="x.toml")
    assert [line.split(": ")[:2] for line in info.value.problems] == [
        ["x.toml:2", "cutover.retire"],
        ["x.toml:3", 'push.vars."my var"'],
        ["x.toml:5", "routes.live[0].host"],
        ["x.toml:7", "routes.live[1].domain"],  # missing: the line of its table
        ["x.toml:12", "services.bind[1]"],
    ]


# --- the property: a writer that knows where it put every key ---------------------

_BARE_KEYS = st.from_regex(r"[A-Za-z0-9_-]{1,6}", fullmatch=True)
_ODD_KEYS = st.sampled_from(['a b', 'x.y', '"q"', "it's", "#", "[t]", "=", "", "é"])
KEYS = _BARE_KEYS | _ODD_KEYS
_STRINGS = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12) | (
    st.sampled_from(['a = "b"', "[x]", "[[y]]", "# c", '"""', "'''", "\n[z]\nk = 1\n", "\\"]))
SCALARS = st.one_of(
    st.integers(-(2**63), 2**63 - 1), st.booleans(), _STRINGS,
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(), st.datetimes(timezones=st.just(datetime.UTC)),
)
DOCUMENTS = st.recursive(
    st.dictionaries(KEYS, SCALARS, max_size=3),
    lambda inner: st.dictionaries(
        KEYS, inner | st.lists(inner, min_size=1, max_size=3) | st.lists(SCALARS, max_size=3),
        max_size=3),
    max_leaves=12,
)


def _key(key: str) -> str:
    if key and all(c.isascii() and (c.isalnum() or c in "_-") for c in key):
        return key
    return json.dumps(key)


def _scalar(value: Any, style: int) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" " if style % 2 else "T")
    if isinstance(value, datetime.date):
        return value.isoformat()
    literal = all(c.isprintable() or c in "\n\t" for c in value) and "'''" not in value
    if style % 3 == 0 and literal and not value.endswith("'"):
        return "'''\n" + value + "'''"
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


class Writer:
    """Writes a document, mixing styles by ``choices``, noting each key's line."""

    def __init__(self, choices: st.DataObject) -> None:
        self.choices = choices
        self.out: list[str] = []
        self.lines: dict[tuple[Any, ...], int] = {}

    @property
    def line(self) -> int:
        return "".join(self.out).count("\n") + 1

    def emit(self, text: str) -> None:
        self.out.append(text)

    def inline(self, value: Any, path: tuple[Any, ...], multiline: bool) -> None:
        if isinstance(value, dict):
            self.emit("{")
            for number, (key, item) in enumerate(value.items()):
                self.emit(", " if number else " ")
                self.lines[(*path, key)] = self.line
                self.emit(f"{_key(key)} = ")
                self.inline(item, (*path, key), multiline=False)
            self.emit(" }" if value else "}")
        elif isinstance(value, list):
            self.emit("[")
            for index, item in enumerate(value):
                self.emit("\n  # item\n  " if multiline else " ")
                self.lines[(*path, index)] = self.line
                self.inline(item, (*path, index), multiline)
                self.emit(",")
            self.emit("\n]" if multiline else " ]")
        else:
            text = _scalar(value, self.choices.draw(st.integers(0, 5)))
            self.emit(text)

    def table(self, table: dict[str, Any], path: tuple[Any, ...]) -> None:
        later: list[tuple[str, Any]] = []
        for key, value in table.items():
            kind = self.choices.draw(st.sampled_from(["inline", "multiline", "header"]))
            is_table = isinstance(value, dict)
            is_tables = isinstance(value, list) and value and all(isinstance(v, dict)
                                                                  for v in value)
            if kind == "header" and (is_table or is_tables):
                later.append((key, value))
                continue
            self.lines[(*path, key)] = self.line
            self.emit(f"{_key(key)} = ")
            self.inline(value, (*path, key), kind == "multiline")
            self.emit("  # done\n")
        for key, value in later:
            name = ".".join(_key(p) for p in (*path, key) if isinstance(p, str))
            if isinstance(value, dict):
                self.emit(f"\n[{name}]\n")
                self.lines.setdefault((*path, key), self.line - 1)
                self.table(value, (*path, key))
            else:
                for index, item in enumerate(value):
                    self.emit(f"\n[[{name}]]\n")
                    self.lines.setdefault((*path, key), self.line - 1)
                    self.lines[(*path, key, index)] = self.line - 1
                    self.table(item, (*path, key, index))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENTS, st.data())
def test_the_locator_finds_every_key_where_it_was_written(doc: dict[str, Any],
                                                          choices: st.DataObject) -> None:
    writer = Writer(choices)
    writer.table(doc, ())
    text = "".join(writer.out)
    assert tomllib.loads(text) == doc, text  # the writer writes what it means
    found = key_lines(text)
    for path, line in writer.lines.items():
        assert found.get(path) == line, f"{path}: {found.get(path)} != {line}\n{text}"
