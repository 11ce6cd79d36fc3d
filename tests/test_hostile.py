"""Hostile profiles: every input is refused with a clear message, or made literal.

The guarantee under test: whatever a profile holds (shell metacharacters, ``$(...)``,
backticks, quotes, newlines, NUL, unicode, very long strings, wrong types, missing
sections, unknown keys), the generator either rejects it with one
``FILE[:LINE]: key.path: what is wrong (what is allowed)`` line per problem and exit status 2,
or emits shellcheck-clean scripts in which every profile value reaches ``cf`` as one
literal argument. No traceback, ever.

Four properties (hypothesis) and a few fixed regression cases:

1. validation: random and adversarial documents -> a Profile or a ProfileError whose
   lines have the exact documented shape; nothing else may escape;
2. the CLI (``cf-bluegreen validate``) on the same documents written as TOML, and on
   raw garbage bytes: exit 0 or 2, problem lines only, no traceback;
3. generation: hostile-but-valid profiles render to scripts whose values, read back
   by bash, are exactly the profile's values, and whose deploy.sh passes the lint gate;
4. end to end: hostile-but-valid profiles deployed on the simulated foundation: the
   stub cf receives each value as exactly one argv element, and no ``$(touch ...)``
   payload ever runs.

Fixed cases add minimal regressions (rejections with their key path, a smoke test and
a multi-line hook that run as written only when not a dry run, expect_body matched as
text, the cf_run watchdog race), and the end of the module keeps a regression test for
each bug these properties found.
"""

from __future__ import annotations

import atexit
import copy
import datetime
import json
import re
import shlex
import shutil
import subprocess
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from generator.cli import main
from generator.errors import ProfileError
from generator.lint import lint_scripts
from generator.model import Profile
from generator.profile import profile_json_schema, validate_mapping
from generator.rehearsal import Run, Sandbox
from generator.render import SCRIPTS, lock_app_name, render_profile

SRC = "hostile.toml"
HASH = "0" * 64


# --- the shape of a problem line ----------------------------------------------------
#
# profile.py emits ``SOURCE:LINE: key.path: TEXT (ALLOWED)``, or ``SOURCE: key.path: ...``
# where no line applies (a dict that came from no file, a missing top-level key); a key
# path part is a bare key, a JSON-quoted key, or ``[index]``. A document that is not a
# table at all has no key path: ``SOURCE: expected a table, got ... (a table with keys
# ...)``. Loading a file adds file-level lines: ``SOURCE[:LINE]: invalid TOML: ...`` and
# ``SOURCE: cannot read: ...``.

_SEGMENT = r'(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*")'
_KEY_PATH = rf"{_SEGMENT}(?:\.{_SEGMENT}|\[\d+\])*"
KEYED_PROBLEM = re.compile(rf"(?P<path>{_KEY_PATH}): (?P<text>.+ \(.+\))")
WHOLE_DOCUMENT = re.compile(r"expected a table, got .+ \(a table with keys app, .+\)")
FILE_LEVEL = re.compile(r"(?:invalid TOML|cannot read): .+")
_FIRST_SEGMENT = re.compile(_SEGMENT)
_UNKNOWN = object()


def assert_problem_lines(problems: object, source: str, doc: object = _UNKNOWN,
                         key_lines: dict[str, int] | None = None) -> None:
    """Every line is one printable line, starts with the source and has the exact shape.

    ``doc`` is the document that was validated (``_UNKNOWN`` when it came from a file
    that may not even parse). ``key_lines``: the line each top-level key was written on,
    for files written one top-level key per line; each keyed problem must then name
    the line of its first key (none for a key that is not written, the missing app).
    """
    assert isinstance(problems, list) and problems, "a ProfileError names its problems"
    prefix = re.compile(re.escape(source) + r"(?::(?P<line>[1-9][0-9]*))?: (?P<rest>.*)")
    for line in problems:
        assert isinstance(line, str)
        assert line.isprintable(), f"not one printable line: {line!r}"
        head = prefix.fullmatch(line)
        assert head, line
        rest = head["rest"]
        if doc is _UNKNOWN and FILE_LEVEL.fullmatch(rest):
            continue
        if doc is not _UNKNOWN and not isinstance(doc, dict):
            assert WHOLE_DOCUMENT.fullmatch(rest), line
            assert len(problems) == 1
            continue
        match = KEYED_PROBLEM.fullmatch(rest)
        assert match, f"not SOURCE[:LINE]: key.path: what (allowed): {line!r}"
        first = _FIRST_SEGMENT.match(match["path"])
        assert first is not None
        if isinstance(doc, dict) and not first[0].startswith('"'):
            # A bare first key names a key of the document, or the missing "app".
            assert first[0] in doc or first[0] == "app", line
        if key_lines is not None:
            # A quoted key is shown as TOML writes it (\\uXXXX, \\UXXXXXXXX escapes).
            key = tomllib.loads(f"k = {first[0]}")["k"] if first[0].startswith('"') else first[0]
            if key.endswith("...") and key not in key_lines:
                # A long key is shown cut short (a problem stays one line).
                key = next((k for k in key_lines if k.startswith(key[:-3])), key)
            number = int(head["line"]) if head["line"] else None
            assert number == key_lines.get(key), f"wrong line for {key!r}: {line}"


def assert_faithful(profile: Profile, doc: dict[str, Any]) -> None:
    """An accepted document is kept verbatim, and nothing in it can pose as a flag."""
    assert isinstance(profile, Profile)
    assert profile.app == doc["app"]
    if "colors" in doc:
        assert profile.colors == tuple(doc["colors"])
    services = doc.get("services", {}).get("bind", [])
    assert profile.services == tuple(services)
    push = doc.get("push", {})
    assert profile.push.vars == tuple(push.get("vars", {}).items())
    assert profile.push.vars_files == tuple(push.get("vars_files", ()))
    cutover = doc.get("cutover", {})
    for hook in ("smoke_test", "before_cutover", "after_cutover"):
        assert getattr(profile.cutover, hook) == cutover.get(hook)
    words = [
        profile.app, *profile.colors, *profile.services, profile.manifest, profile.path,
        profile.push.docker_image, profile.push.buildpack, profile.push.stack,
        *profile.push.vars_files, profile.target.org, profile.target.space,
        *(route.host for route in profile.live_routes),
    ]
    for word in filter(None, words):
        assert not word.startswith("-"), f"{word!r} would be read as a flag"
        assert not set(word) & set("\n\r\0"), repr(word)
    for _, value in profile.push.vars:
        assert not set(value) & set("\n\r\0"), repr(value)


# --- adversarial building blocks ----------------------------------------------------

CANARY = "hostile-canary"
"""A relative canary: ``$(touch hostile-canary)`` would create it in the working dir."""
CANARY_DIR = Path(tempfile.mkdtemp(prefix="cf-bluegreen-canary-"))
atexit.register(shutil.rmtree, CANARY_DIR, ignore_errors=True)
CANARY_PATH = CANARY_DIR / "canary"
"""An absolute canary, for values that are not file names."""
PAYLOADS = (
    f"$(touch {CANARY})", f"`touch {CANARY}`", "${IFS}", "$HOME", "$'\\x41'", "'", '"',
    "\\", ";", "&&", "|", "||", "&", ">", "<", "\n", "\r", "\r\n", "\0", "\t", "\x1b[31m",
    "\x7f", "\u202e", "\u200b", "\u200f", "\ufeff", "\u2028", "\u00a0", "\u2019", "\U0001f600",
    "e\u0301", "\u0301", "\u05e9\u05dc\u05d5\u05dd", "\u4e2d\u6587", "-", "--help", "-f",
    " ", "*", "?", "[a]", "{a,b}", "~", "#", "!", "%41", "%", "=", ",", "/", "..", "\\n",
)
SURROGATES = ("\ud800", "\udfff")
_LONG_LENGTHS = (61, 64, 129, 241, 256, 300, 1025, 4097, 5000, 8193)


def hostile_text(surrogates: bool = False) -> st.SearchStrategy[str]:
    """Strings built from shell and unicode payloads, random text and very long runs."""
    pieces = st.sampled_from(PAYLOADS + (SURROGATES if surrogates else ()))
    alphabet = st.characters() if surrogates else st.characters(codec="utf-8")
    composed = st.lists(pieces | st.text(alphabet, max_size=6), min_size=1, max_size=6)
    long_runs = st.tuples(pieces | st.sampled_from(["a", "\u00e9", "-x"]),
                          st.sampled_from(_LONG_LENGTHS))
    return st.one_of(
        composed.map("".join),
        st.text(alphabet, max_size=40),
        long_runs.map(lambda t: ((t[0] or "a") * t[1])[: t[1]]),
        # leading/trailing whitespace around something plausible
        st.sampled_from([" demo", "demo ", "\tdemo", "demo\n", " ", ""]),
    )


_SCALARS = st.one_of(
    st.integers(), st.floats(), st.booleans(), st.text(st.characters(codec="utf-8"), max_size=5),
    st.dates(), st.times(), st.datetimes(),
)
WRONG_TYPES = st.one_of(
    _SCALARS,
    st.integers(min_value=2**64, max_value=2**80),
    st.lists(_SCALARS, max_size=3),
    st.dictionaries(st.text(st.characters(codec="utf-8"), max_size=5), _SCALARS, max_size=3),
)
DELETE = object()
"""An edit that removes the key (a missing section or value)."""


SCHEMA = profile_json_schema()


def _deref(node: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in node:
        return SCHEMA["$defs"][node["$ref"].removeprefix("#/$defs/")]
    return node


def _is_table(node: dict[str, Any]) -> bool:
    return "properties" in node


def _is_map(node: dict[str, Any]) -> bool:
    return isinstance(node.get("additionalProperties"), dict)


def _spec_paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    """Every key path the JSON Schema knows (array items at index 0 and 1, one map entry)."""
    node = _deref(node)
    found: list[tuple[tuple[Any, ...], Any]] = []
    if _is_table(node):
        for key, child in node["properties"].items():
            found.append(((*prefix, key), _deref(child)))
            found += _spec_paths(child, (*prefix, key))
    elif node.get("type") == "array":
        for index in (0, 1):
            found.append(((*prefix, index), _deref(node["items"])))
            found += _spec_paths(node["items"], (*prefix, index))
    elif _is_map(node):
        found.append(((*prefix, "greeting"), _deref(node["additionalProperties"])))
    return found


SPEC_PATHS = _spec_paths(SCHEMA)
TABLE_PATHS = [(), *(path for path, node in SPEC_PATHS if _is_table(node))]

FULL: dict[str, Any] = {
    "app": "shop",
    "colors": ["shop-a", "shop-b"],
    "manifest": "manifest.yml",
    "path": "dist",
    "cf_cli": 7,
    "target": {"api": "https://api.example.com", "org": "demo-org", "space": "production"},
    "routes": {
        "live": [{"host": "shop", "domain": "example.com"},
                 {"host": "www", "domain": "example.org", "path": "/shop"}],
        "staging": {"host": "shop-staging", "domain": "example.com"},
    },
    "services": {"bind": ["shop-db", "shop-cache"]},
    "health": {"path": "/health", "scheme": "https", "expect_status": 200, "expect_body": "UP",
               "timeout_seconds": 120, "interval_seconds": 5},
    "cutover": {"settle_seconds": 10, "drain_seconds": 30, "retire": "keep",
                "instances": "match-live", "verify_live": True,
                "smoke_test": 'curl -fsS "$STAGING_URL/cart"', "before_cutover": "echo before",
                "after_cutover": "echo after"},
    "push": {"buildpack": "nodejs_buildpack", "stack": "cflinuxfs4", "memory": "512M",
             "disk": "1G", "timeout": 180, "vars": {"node_env": "production"},
             "vars_files": ["vars/production.yml"]},
}
BASES = (FULL, {"app": "demo"}, {}, {"app": "worker", "services": {"bind": ["db"]}})

_GOOD_TEXT = {
    "host": ["demo", "a_b", "X9", "_", ""],
    "domain": ["example.com", "a.b.c", "x-y.example.org"],
    "api": ["https://api.example.com", "http://10.0.0.1:8080/x?y#z"],
    "memory": ["256M", "1GB", "64m"],
    "disk": ["1G", "2048MB"],
}
_GOOD_PATHS = {
    ("routes", "live"): ["", "/x", "/a$&'()*+,;=:@!~%41/b"],
    ("routes", "staging"): ["", "/s"],
    ("health",): ["/", "/h?x=1&y=$(z)", "/a/'b'"],
}


def _good_value(path: tuple[Any, ...], node: Any) -> st.SearchStrategy[Any]:
    """A value of the right type that is often valid (so accepted profiles occur too)."""
    key = next(part for part in reversed(path) if isinstance(part, str))
    kind = node.get("type")
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        if "enum" in node:
            return st.sampled_from(node["enum"])
        return st.integers(node.get("minimum", 0), node.get("maximum", 10_000))
    if "oneOf" in node:
        return st.just("match-live") | st.integers(1, 1000)
    if kind == "string" and "enum" in node:
        return st.sampled_from(node["enum"])
    if kind == "string" and key == "path" and path[0] in ("routes", "health"):
        return st.sampled_from(_GOOD_PATHS[path[:2] if path[0] == "routes" else path[:1]])
    if kind == "string":
        good = _GOOD_TEXT.get(key)
        return st.sampled_from(good) if good else hostile_text()
    current: Any = FULL
    for part in path:
        try:
            current = current[part]
        except (KeyError, IndexError, TypeError):
            return st.just({} if _is_table(node) or _is_map(node) else [])
    return st.just(current).map(copy.deepcopy)  # never hand out FULL's own objects


def _edit(surrogates: bool) -> st.SearchStrategy[tuple[tuple[Any, ...], Any]]:
    text = hostile_text(surrogates)

    def at(path_node: tuple[tuple[Any, ...], Any]) -> st.SearchStrategy[Any]:
        path, node = path_node
        good = _good_value(path, node)
        value = st.one_of(good, good, good, good, text, WRONG_TYPES, st.just(DELETE))
        return st.tuples(st.just(path), value)

    unknown_key = st.tuples(st.sampled_from(TABLE_PATHS), text, text | WRONG_TYPES).map(
        lambda t: ((*t[0], t[1]), t[2]))
    var_entry = st.tuples(text, text | WRONG_TYPES).map(
        lambda t: (("push", "vars", t[0]), t[1]))
    known = st.sampled_from(SPEC_PATHS).flatmap(at)
    return st.one_of(known, known, known, known, known, known, unknown_key, var_entry)


def _apply(doc: dict[Any, Any], path: tuple[Any, ...], value: Any) -> None:
    """Set (or delete) ``doc[path]``, making missing tables on the way."""
    node: Any = doc
    for part in path[:-1]:
        if isinstance(node, dict):
            if not isinstance(node.get(part), (dict, list)):
                node[part] = {}
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return
    last = path[-1]
    if isinstance(node, dict):
        if value is DELETE:
            node.pop(last, None)
        else:
            node[last] = value
    elif isinstance(node, list) and isinstance(last, int) and last < len(node):
        if value is DELETE:
            del node[last]
        else:
            node[last] = value


@st.composite
def hostile_documents(draw: st.DrawFn, surrogates: bool = True) -> dict[Any, Any]:
    doc = copy.deepcopy(draw(st.sampled_from(BASES)))
    for path, value in draw(st.lists(_edit(surrogates), max_size=6)):
        _apply(doc, path, value)
    return doc


# --- 1. validation ------------------------------------------------------------------


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.large_base_example])
@given(st.one_of(hostile_documents(), hostile_documents(), hostile_documents(), WRONG_TYPES,
                 st.deferred(lambda: hostile_valid_documents())))
def test_validation_accepts_faithfully_or_explains_every_problem(doc: Any) -> None:
    snapshot = repr(doc)
    try:
        profile = validate_mapping(doc, SRC, "hostile", HASH)
    except ProfileError as error:
        event("rejected")
        assert_problem_lines(error.problems, SRC, doc)
        assert error.exit_code == 2
    else:
        event("accepted")
        assert_faithful(profile, doc)
    assert repr(doc) == snapshot, "validation must not change the document"


# --- 2. the CLI on TOML files -------------------------------------------------------

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def text_lines(text: str) -> list[str]:
    """Newline-terminated lines, split on newlines only (str.splitlines also splits on
    the separators U+001C-U+001E, U+0085, U+2028 and U+2029, which values may hold)."""
    assert text.endswith("\n") or text == "", repr(text[-80:])
    return text.split("\n")[:-1]


def toml_string(text: str) -> str:
    """A TOML basic string; control characters as \\uXXXX escapes."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return "nan"
        if value in (float("inf"), float("-inf")):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, (datetime.date, datetime.time)):  # datetime is a date
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    raise TypeError(type(value))  # pragma: no cover - the strategies make no other types


def toml_key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else toml_string(key)


def toml_document(doc: dict[str, Any]) -> str:
    return "".join(f"{toml_key(k)} = {toml_value(v)}\n" for k, v in doc.items())


def _string_keys(value: Any) -> Any:
    """What TOML can hold: string keys only (an int key 0 becomes "0")."""
    if isinstance(value, dict):
        return {str(k): _string_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_string_keys(item) for item in value]
    return value


def _canonical(value: Any) -> str:
    return json.dumps(value, default=str)


_RAW_FILES = st.one_of(
    st.binary(max_size=80),
    st.tuples(st.sampled_from([b'app = "demo"\n', b"[routes]\n", b""]),
              st.sampled_from([b"\xff\xfe", b"\x00", b"app = ", b"[[", b'"\n', b"\xc3",
                               b"a = 1\na = 2\n", b"x = [" * 50, b"\xef\xbb\xbfapp = 1\n"]))
    .map(lambda t: t[0] + t[1]),
)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.large_base_example])
@given(st.one_of(hostile_documents(surrogates=False).map(_string_keys), _RAW_FILES))
def test_cli_validate_exits_0_or_2_with_problem_lines_only(content: dict[str, Any] | bytes) -> None:
    if isinstance(content, dict):
        data = toml_document(content).encode("utf-8")
        assert _canonical(tomllib.loads(data.decode("utf-8"))) == _canonical(content), (
            "the test's TOML writer must round-trip"
        )
    else:
        data = content
    with tempfile.TemporaryDirectory(prefix="cf-bluegreen-hostile-") as tmp:
        path = Path(tmp) / SRC
        path.write_bytes(data)
        result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.exc_info
    )
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 0:
        assert result.stdout == "hostile: ok\n"
        assert result.stderr == ""
    else:
        assert result.stdout == ""
        lines = text_lines(result.stderr)
        doc = content if isinstance(content, dict) else _UNKNOWN
        written = {key: number for number, key in enumerate(content, start=1)} if isinstance(
            content, dict) else None
        assert_problem_lines(lines, str(path), doc, written)


# --- hostile but valid profiles -----------------------------------------------------

NAME_PIECES = (
    f"$(touch {CANARY_PATH})", f"`touch {CANARY_PATH}`", "${IFS}", "$HOME", "$", "'", '"',
    "\\", ";", "&&", "|", "&", ">", "<", "*", "?", "[x]", "{a..b}", "~", "#", "!", "%41",
    "%", "=", "+", "@", ":", "/", ".", "..", " ", "  ", "-", "--", "\u00e9", "e\u0301",
    "\U0001f600", "\u05e9\u05dc\u05d5\u05dd", "\u4e2d\u6587", "\u00df", "\u0130", "a", "Z", "0",
    ",", "{a,b}", "x\u2019s",
)
FILE_PIECES = tuple(p for p in NAME_PIECES if "/" not in p) + (
    f"$(touch {CANARY})", f"`touch {CANARY}`", " ")
_PRINTABLE = dict(codec="utf-8",
                  exclude_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"))


def cf_names(limit: int) -> st.SearchStrategy[str]:
    """App, color, service, org and space names a real CF accepts and a shell would not."""
    piece = st.sampled_from(NAME_PIECES) | st.text(st.characters(**_PRINTABLE), min_size=1,
                                              max_size=3)
    words = st.lists(piece, min_size=1, max_size=6).map("".join)
    long_words = st.tuples(piece, st.integers(limit - 40, limit)).map(
        lambda t: (t[0] * t[1])[: t[1]])
    return (words | long_words).map(str.strip).filter(
        lambda s: 0 < len(s) <= limit and s.isprintable() and not s.startswith("-"))


def one_line_values() -> st.SearchStrategy[str]:
    """push.vars values: one line, may start with '-', hold '=', tabs, escapes or nothing."""
    piece = st.sampled_from(NAME_PIECES + ("-x", "--flag=1", "=", "\t", "\x1b[0m", "")) | st.text(
        st.characters(codec="utf-8", exclude_characters="\n\r\0"), max_size=4)
    return st.lists(piece, max_size=6).map("".join)


def commands() -> st.SearchStrategy[str]:
    """Hooks and smoke tests: any text but NUL, multi-line, with live $(...) and quotes."""
    piece = st.sampled_from(NAME_PIECES + ("\n", "\r\n", "\t", "\x1b", "\u2028", "\u202e",
                                           "echo 'it''s'", 'printf "%s\\n" "$1"', "exit 0"))
    return st.lists(piece, min_size=1, max_size=8).map("".join).filter(
        lambda s: s.strip() != "")


_PCHAR = "ABCxyz019._~!$&'()*+,;=:@-"


def route_paths(upper: bool = True) -> st.SearchStrategy[str]:
    """Route paths with every character CF allows (``upper=False``: lower case only)."""
    chars = [*_PCHAR, "%41", "%2F", "/"] if upper else [*_PCHAR.lower(), "%41", "%2f", "/"]
    return st.lists(st.sampled_from(chars), min_size=1, max_size=24).map(
        lambda parts: "/" + "".join(parts)).filter(lambda p: p != "/")


def health_paths(upper: bool = True) -> st.SearchStrategy[str]:
    query = st.lists(st.sampled_from([*_PCHAR, "?", "/", "%20"]), max_size=16).map("".join)
    return st.tuples(route_paths(upper) | st.just("/"), query).map(
        lambda t: f"{t[0]}?{t[1]}" if t[1] else t[0])


hosts = st.from_regex(r"[A-Za-z0-9_-]{0,20}", fullmatch=True)


def file_names() -> st.SearchStrategy[str]:
    """Manifest, path and vars-file names: any printable text a file system takes (the
    callers prefix a letter, so none is empty, '.', '..' or starts with '-'; control
    characters are refused by the validator, so they never reach a log or a plan)."""
    piece = st.sampled_from(FILE_PIECES) | st.text(st.characters(
        codec="utf-8", exclude_characters="/\n\r\0"), min_size=1, max_size=3)
    return st.lists(piece, min_size=1, max_size=4).map("".join).filter(
        lambda s: len(s.encode()) <= 200 and s.isprintable())


@st.composite
def hostile_valid_documents(draw: st.DrawFn, sandbox: bool = False) -> dict[str, Any]:
    """A profile the validator accepts whose every free-text value is a shell hazard.

    ``sandbox``: values must also work on the simulated foundation (file names that
    can exist, no docker image beside a path, smoke tests that pass).
    """
    app = draw(cf_names(240))
    doc: dict[str, Any] = {"app": app}
    blue = draw(cf_names(255))
    green = draw(cf_names(255).filter(
        lambda g: g.lower() != blue.lower()))
    doc["colors"] = [blue, green]
    if sandbox or draw(st.booleans()):
        paths = route_paths()
        live = [{"host": "l" + draw(hosts), "domain": "example.com", "path": draw(paths)}]
        if draw(st.booleans()):
            live.append({"host": "l" + draw(hosts), "domain": "example.org"})
        staging = {"host": "stg" + draw(hosts), "domain": "example.com"}
        if draw(st.booleans()):
            staging["path"] = draw(paths)
        doc["routes"] = {"live": live, "staging": staging}
        doc["health"] = {"path": draw(health_paths())}
        if draw(st.booleans()):
            doc["health"]["expect_body"] = draw(one_line_values().filter(bool))
    services = draw(st.lists(cf_names(120), max_size=2, unique=True))
    if services:
        doc["services"] = {"bind": services}
    if draw(st.booleans()):
        doc["target"] = {"api": "https://api.example.com",
                         "org": draw(cf_names(120)),
                         "space": draw(cf_names(120))}
    var_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,12}", fullmatch=True)
    push: dict[str, Any] = {
        "vars": draw(st.dictionaries(var_names, one_line_values(), max_size=3)),
    }
    files = file_names()
    if draw(st.booleans()):
        doc["manifest"] = "m" + draw(files)
    if draw(st.booleans()):
        doc["path"] = "p" + draw(files)
    vars_files = draw(st.lists(files, max_size=2, unique=True))
    if vars_files:
        push["vars_files"] = [f"v{i}{name}" for i, name in enumerate(vars_files)]
    # Flag values that start with '"' are refused (the cf CLI's flag parser would
    # unquote them; tests/test_profile.py pins the message): these stay valid.
    flag_values = cf_names(200).filter(lambda s: not s.startswith('"'))
    if draw(st.booleans()):
        push["buildpack"] = draw(flag_values)
        push["stack"] = draw(flag_values)
    elif not sandbox and "path" not in doc and draw(st.booleans()):
        push["docker_image"] = draw(flag_values)
    doc["push"] = push
    cutover: dict[str, Any] = {"instances": draw(st.just("match-live") | st.integers(1, 3))}
    if not sandbox:
        for hook in ("smoke_test", "before_cutover", "after_cutover"):
            if draw(st.booleans()):
                cutover[hook] = draw(commands())
    doc["cutover"] = cutover
    return doc


def _valid(doc: dict[str, Any]) -> bool:
    try:
        validate_mapping(doc, SRC, "hostile", HASH)
    except ProfileError:
        return False
    return True


lintable_documents = hostile_valid_documents().filter(_valid)
"""Hostile-but-valid profiles."""


def accepted(doc: dict[str, Any]) -> Profile:
    """The validator must accept a hostile-but-valid document; show why if not."""
    try:
        return validate_mapping(doc, SRC, "hostile", HASH)
    except ProfileError as error:  # pragma: no cover - a failure message
        raise AssertionError("\n".join(error.problems)) from None


# Each example of the two slow properties runs bash, shellcheck or a whole rehearsal:
# shrinking a failure would take many minutes (hypothesis gives up after five), so they
# report the failing example as found. The fixed cases below are the minimal ones.
NO_SHRINK = (Phase.explicit, Phase.reuse, Phase.generate)

# --- 3. generation ------------------------------------------------------------------

# Every variable of the profile block a script may hold; each is printed (name,
# then its values) only where the script defines it: a feature the profile does
# not use leaves no variable behind.
_READ_BACK_NAMES = (
    "COLORS APP_NAME LOCK_APP TARGET_ORG TARGET_SPACE SERVICES PROFILE_VARS PROFILE_VARS_FILES "
    "DEFAULT_MANIFEST DEFAULT_PATH PUSH_DOCKER_IMAGE PUSH_BUILDPACK PUSH_STACK SMOKE_TEST "
    "BEFORE_CUTOVER_HOOK AFTER_CUTOVER_HOOK LIVE_HOSTS LIVE_PATHS STAGING_PATH HEALTH_PATH "
    "EXPECT_BODY")
_READ_BACK = r"""
for name in """ + _READ_BACK_NAMES + r"""; do
  declare -p "$name" >/dev/null 2>&1 || continue
  printf '%s\0' "$name"
  eval 'for v in ${'"$name"'[@]+"${'"$name"'[@]}"}; do printf "%s\0" "$v"; done'
  printf '\1\0'
done
"""


# How every emitted script ends: main, then the line that tells cleanup main returned.
SCRIPT_TAIL = 'main "$@"\nREACHED_END=1\n'


def read_back(script: str, cwd: Path) -> dict[str, list[str]]:
    """Run the script's top level (everything but ``main "$@"``) in bash and return the
    profile values it holds, by variable: what bash made of the generated quoting."""
    body = script.removesuffix(SCRIPT_TAIL)
    assert body != script, f"scripts end with {SCRIPT_TAIL!r}"
    probe = cwd / "read-back.sh"
    probe.write_text(body + _READ_BACK, encoding="utf-8")
    result = subprocess.run(
        ["bash", str(probe)], cwd=cwd, capture_output=True, check=False,
        env={"PATH": "/usr/bin:/bin", "CI": "true", "LC_ALL": "C"},
    )
    probe.unlink()
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    fields = result.stdout.decode("utf-8").split("\0")
    assert fields[-1] == ""
    values: dict[str, list[str]] = {}
    name = None
    for field in fields[:-1]:
        if field == "\1":
            name = None
        elif name is None:
            name = field
            values[name] = []
        else:
            values[name].append(field)
    return values


def expected_read_back(profile: Profile, script: str) -> dict[str, list[str]]:
    """The profile values ``script`` must hold, exactly as the profile says them."""
    changes, deploy = script != "status.sh", script == "deploy.sh"
    web = not profile.is_worker
    routes = (*profile.live_routes, *([profile.staging_route] if profile.staging_route else []))
    out = {"COLORS": list(profile.colors), "APP_NAME": [profile.app],
           "LOCK_APP": [lock_app_name(profile)]}
    if profile.target.org:
        out["TARGET_ORG"] = [profile.target.org]
    if profile.target.space:
        out["TARGET_SPACE"] = [profile.target.space]
    if deploy:
        if profile.services:
            out["SERVICES"] = list(profile.services)
        if profile.push.vars:
            out["PROFILE_VARS"] = [f"{key}={value}" for key, value in profile.push.vars]
        if profile.push.vars_files:
            out["PROFILE_VARS_FILES"] = list(profile.push.vars_files)
        out["DEFAULT_MANIFEST"] = [profile.manifest or ""]
        out["DEFAULT_PATH"] = [profile.path or ""]
        for name, value in (("PUSH_DOCKER_IMAGE", profile.push.docker_image),
                            ("PUSH_BUILDPACK", profile.push.buildpack),
                            ("PUSH_STACK", profile.push.stack),
                            ("SMOKE_TEST", profile.cutover.smoke_test if web else None),
                            ("BEFORE_CUTOVER_HOOK", profile.cutover.before_cutover)):
            if value:
                out[name] = [value]
    if changes and profile.cutover.after_cutover:
        out["AFTER_CUTOVER_HOOK"] = [profile.cutover.after_cutover]
    if changes and web:
        out["LIVE_HOSTS"] = [route.host for route in profile.live_routes]
        if any(route.path for route in routes):
            out["LIVE_PATHS"] = [route.path for route in profile.live_routes]
            out["STAGING_PATH"] = [profile.staging_route.path]
        out["HEALTH_PATH"] = [profile.health.path]
        if profile.health.expect_body:
            out["EXPECT_BODY"] = [profile.health.expect_body]
    return out


def assert_no_canary(root: Path) -> None:
    """No ``$(touch ...)`` or backtick payload ran: neither canary exists anywhere."""
    assert not CANARY_PATH.exists(), "a $(touch ...) payload ran"
    hits = [p for p in root.rglob("*") if p.name == CANARY]
    assert hits == [], f"a $(touch ...) payload ran: {hits}"
    assert not (Path.cwd() / CANARY).exists()


@pytest.fixture(scope="module", autouse=True)
def _canary_dir_stays_empty() -> Iterator[None]:
    yield
    assert list(CANARY_DIR.iterdir()) == [], "a $(touch ...) payload ran"


@settings(phases=NO_SHRINK, max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.large_base_example])
@given(lintable_documents)
def test_hostile_valid_profiles_render_literal_and_lint_clean(raw: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory(prefix="hb") as tmp:
        root = Path(tmp)
        profile = accepted(raw)
        scripts = render_profile(profile)
        for name in SCRIPTS:
            assert read_back(scripts[name], root) == expected_read_back(profile, name), name
        assert_no_canary(root)
    # shellcheck costs about a second per deploy.sh; deploy.sh holds every profile value
    # (rollback.sh and status.sh hold a subset, quoted by the same filter), so only
    # deploy.sh is linted per example. The fixed cases below lint all three scripts.
    lint_scripts({"hostile/deploy.sh": scripts["deploy.sh"]})


# --- 4. end to end on the simulated foundation --------------------------------------


def explain(run: Run) -> str:
    return f"exit {run.exit_code}\n--- stdout\n{run.stdout}\n--- stderr\n{run.stderr}"


def masked(argv: list[str]) -> list[str]:
    """An argv as the scripts print it: each --var value masked (KEY=***)."""
    out = list(argv)
    for i in range(1, len(out)):
        if out[i - 1] == "--var":
            out[i] = out[i].split("=", 1)[0] + "=***"
    return out


def flag_pairs(argv: list[str]) -> list[tuple[str, str]]:
    assert len(argv) % 2 == 0, f"flags without values: {argv}"
    return list(zip(argv[::2], argv[1::2], strict=True))


def expected_push_pairs(profile: Profile, instances: int) -> list[tuple[str, str]]:
    push = profile.push
    pairs = [("--instances", str(profile.cutover.instances or instances))]
    optional = [("--manifest", profile.manifest), ("--path", profile.path),
                ("--docker-image", push.docker_image), ("--buildpack", push.buildpack),
                ("--stack", push.stack), ("--memory", push.memory), ("--disk", push.disk),
                ("--app-start-timeout", None if push.timeout is None else str(push.timeout))]
    pairs += [(flag, value) for flag, value in optional if value is not None]
    pairs += [("--var", f"{key}={value}") for key, value in push.vars]
    pairs += [("--vars-file", name) for name in push.vars_files]
    return pairs


def route_args(verb: str, app: str, route: Any) -> list[str]:
    argv = [verb, app, route.domain, "--hostname", route.host]
    return argv + (["--path", route.path] if route.path else [])


def names_queried(run: Run) -> set[str]:
    """The app names the run looked up through /v3/apps?names=..."""
    found = set()
    for argv in run.cf_argvs():
        if argv[:2] == ["curl", "-f"] and argv[2].startswith("/v3/apps?"):
            query = parse_qs(urlsplit(argv[2]).query)
            # Each name is encoded twice (Cloud Controller splits the filter on
            # commas after decoding the query, then unescapes each item).
            found.update(unquote(name) for value in query.get("names", [])
                         for name in value.split(","))
    return found


def assert_deploys_literally(profile: Profile, root: Path) -> None:
    """Dry run, then a real deploy from blue-live: every value is one argv element."""
    with Sandbox(profile, root / "sandbox") as sandbox:
        sandbox.seed("blue-live")
        _check_deploy(profile, sandbox)


def _check_deploy(profile: Profile, sandbox: Sandbox) -> None:
    blue, green = profile.colors
    lock = lock_app_name(profile)

    dry = sandbox.run("deploy.sh", "--dry-run")
    assert dry.exit_code == 0, explain(dry)
    assert [c["argv"] for c in dry.calls if c["mutating"]] == []
    planned = [shlex.split(line) for line in text_lines(dry.stdout)]
    assert planned and all(argv[0] == "cf" for argv in planned), dry.stdout

    run = sandbox.run("deploy.sh")
    assert run.exit_code == 0, explain(run)
    assert sandbox.foundation.violations() == []
    argvs = run.cf_argvs()

    pushes = [argv for argv in argvs if argv[0] == "push"]
    assert len(pushes) == 1, pushes
    push = pushes[0]
    # cf push starts the new color itself unless services must be bound first (or a
    # worker records itself as the candidate before it starts).
    starts = not profile.services and not profile.is_worker
    head = ["push", green, "--no-route", *([] if starts else ["--no-start"])]
    assert push[:len(head)] == head
    pairs = flag_pairs(push[len(head):])
    expected = expected_push_pairs(profile, instances=2)
    assert sorted(pairs) == sorted(expected)
    assert [p for p in pairs if p[0] == "--var"] == [p for p in expected if p[0] == "--var"]
    assert [p for p in pairs if p[0] == "--vars-file"] == [
        p for p in expected if p[0] == "--vars-file"]

    for service in profile.services:
        assert ["bind-service", green, service] in argvs
    for route in profile.live_routes:
        assert route_args("map-route", green, route) in argvs
        assert route_args("unmap-route", blue, route) in argvs
    assert profile.staging_route is not None
    assert route_args("map-route", green, profile.staging_route) in argvs
    assert route_args("unmap-route", green, profile.staging_route) in argvs
    assert ["stop", blue] in argvs
    if profile.target.space:
        assert ["space", profile.target.space, "--guid"] in argvs

    posts = [argv for argv in argvs if argv[:5] == ["curl", "-f", "/v3/apps", "-X", "POST"]]
    assert [json.loads(argv[6])["name"] for argv in posts] == [lock]
    assert ["delete", lock, "-f"] in argvs
    assert {blue, green} <= names_queried(run)

    executed = [masked(c["argv"]) for c in run.calls if c["mutating"] and c["argv"][0] != "curl"]
    assert [argv[1:] for argv in planned if argv[1] != "curl"] == executed, (
        "the dry run prints exactly the commands a real run executes")

    for url, apps in sandbox.live_apps().items():
        assert apps == [green], f"{url} is served by {apps}"
    assert sandbox.lock_app() is None


@settings(phases=NO_SHRINK, max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.large_base_example])
@given(hostile_valid_documents(sandbox=True))
def test_hostile_values_reach_cf_as_single_literal_arguments(raw: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory(prefix="hb") as tmp:
        root = Path(tmp)
        profile = accepted(raw)
        assert_deploys_literally(profile, root)
        assert_no_canary(root)


# --- 5. fixed adversarial cases -----------------------------------------------------

HOSTILE_APP = f"a'b\"c$(touch {CANARY_PATH})`touch {CANARY_PATH}`; x && y | z"
FIXED_VALID = {
    "quotes-and-substitutions": {
        "app": HOSTILE_APP,
        "colors": [f"blue 'one' $(touch {CANARY_PATH})", "gr\u00fc\u0301n \U0001f600 `id` \\"],
        "routes": {"live": [{"host": "live", "domain": "example.com",
                             "path": "/a/$&'()*+,;=:@!~%41"}],
                   "staging": {"host": "stg", "domain": "example.com"}},
        "services": {"bind": [f"db $(touch {CANARY_PATH})", 'c"ache;&|<>']},
        "push": {"vars": {"k": f"-x $(touch {CANARY_PATH})", "empty": "", "eq": "a=b=c"},
                 "vars_files": ["v f $(touch hostile-canary).yml"]},
        "manifest": "m `touch hostile-canary`.yml",
        "path": "dir 'x'",
    },
    "worker-with-unicode-names": {
        "app": "\u05e9\u05dc\u05d5\u05dd \u4e2d\u6587 \U0001f600 e\u0301 $HOME",
        "services": {"bind": ["*", "?", "[x]", "~", "#!"]},
        "cutover": {"instances": 2, "after_cutover": "echo one\necho 'two' $(echo three)\r\n"},
        "push": {"docker_image": f"img:$(touch {CANARY_PATH})", "vars": {"v": "\t\x1b[31m-red"}},
    },
}


@pytest.mark.parametrize("name", sorted(FIXED_VALID))
def test_fixed_hostile_profiles_render_literal_and_lint_clean(name: str) -> None:
    with tempfile.TemporaryDirectory(prefix="hb") as tmp:
        root = Path(tmp)
        profile = accepted(FIXED_VALID[name])
        scripts = render_profile(profile)
        for script in SCRIPTS:
            assert read_back(scripts[script], root) == expected_read_back(profile, script)
        assert_no_canary(root)
    lint_scripts({f"{name}/{script}": text for script, text in scripts.items()})


def test_fixed_hostile_profile_deploys_literally_without_running_payloads() -> None:
    with tempfile.TemporaryDirectory(prefix="hb") as tmp:
        root = Path(tmp)
        assert_deploys_literally(accepted(FIXED_VALID["quotes-and-substitutions"]), root)
        assert_no_canary(root)


def test_smoke_test_and_multiline_hook_run_as_written_only_when_real(tmp_path: Path) -> None:
    """The commands are literal in the script; ``$(...)`` in them expands only when the
    smoke test (with STAGING_URL set) and the hook actually run."""
    smoke = 'printf "%s|%s\\n" "$(printf %s "$STAGING_URL")" \'$(not run)\' > smoke.out'
    hook = "printf 'one\\n' >> hook.out\nprintf '%s\\n' \"it's $(echo two)\" >> hook.out\n"
    doc = copy.deepcopy(FIXED_VALID["quotes-and-substitutions"])
    doc["cutover"] = {"smoke_test": smoke, "after_cutover": hook, "before_cutover": "`true`"}
    profile = accepted(doc)
    assert profile.cutover.smoke_test == smoke and profile.cutover.after_cutover == hook

    with Sandbox(profile, tmp_path / "sandbox") as sandbox:
        sandbox.seed("blue-live")
        dry = sandbox.run("deploy.sh", "--dry-run")
        assert dry.exit_code == 0, explain(dry)
        assert not (sandbox.work / "smoke.out").exists(), "a dry run runs no smoke test"
        assert not (sandbox.work / "hook.out").exists(), "a dry run runs no hook"
        run = sandbox.run("deploy.sh")
        assert run.exit_code == 0, explain(run)
        smoked = (sandbox.work / "smoke.out").read_text()
        assert smoked == "https://stg.example.com|$(not run)\n"
        assert (sandbox.work / "hook.out").read_text() == "one\nit's two\n"
        assert sandbox.foundation.violations() == []
    assert_no_canary(tmp_path)


def test_expect_body_is_matched_literally_not_as_a_pattern(tmp_path: Path) -> None:
    doc = {"app": "demo", "routes": {"live": [{"host": "demo", "domain": "example.com"}]},
           "health": {"expect_body": "a*b [x] $(y)"}}
    profile = accepted(doc)

    with Sandbox(profile, tmp_path / "sandbox") as sandbox:
        sandbox.seed("blue-live")
        lookalike = sandbox.app_dir("v2", body="aXXb x $(y) v2")
        run = sandbox.run("deploy.sh", "--path", str(lookalike))
        assert run.exit_code == 3, explain(run)
        assert "lacks the expected text" in run.stderr
        assert sandbox.foundation.violations() == []
        exact = sandbox.app_dir("v3", body="-> a*b [x] $(y) <-")
        run = sandbox.run("deploy.sh", "--path", str(exact))
        assert run.exit_code == 0, explain(run)


REJECTED = [
    ({"app": "-demo"}, "app", "starts with '-'"),
    ({"app": "demo\n$(touch x)"}, "app", "contains a line break"),
    ({"app": "demo\0"}, "app", "contains a NUL character"),
    ({"app": " demo"}, "app", "has leading or trailing whitespace"),
    ({"app": "de\u202emo"}, "app", "contains a non-printable character"),
    ({"app": "a" * 241}, "app", "is 241 characters long"),
    ({"app": 7}, "app", "expected a string, got 7"),
    ({"app": "d", "colors": ["x", "--no-start"]}, "colors[1]", "starts with '-'"),
    ({"app": "d", "services": {"bind": ["-s"]}}, "services.bind[0]", "starts with '-'"),
    ({"app": "d", "path": "x\ny"}, "path", "contains a line break"),
    ({"app": "d", "cutover": {"smoke_test": "true\0"}}, "cutover.smoke_test",
     "contains a NUL character"),
    ({"app": "d", "cutover": {"after_cutover": " \n\t"}}, "cutover.after_cutover", "is empty"),
    ({"app": "d", "push": {"vars": {"$(x)": "v"}}}, 'push.vars."$(x)"',
     "is not a valid variable name"),
    ({"app": "d", "push": {"vars": {"k": "a\rb"}}}, "push.vars.k", "contains a line break"),
    ({"app": "d", "routes": {"live": [{"host": "$(x)", "domain": "example.com"}]}},
     "routes.live[0].host", "is not a valid host name"),
    ({"app": "d", "routes": {"live": [{"host": "h", "domain": "example.com",
                                       "path": "/a b"}]}},
     "routes.live[0].path", "contains whitespace"),
    ({"app": "d", "health": {"path": "/h`id`"}}, "health.path", "is not a valid URL path"),
    ({"app": "d", "$(touch x)": 1}, '"$(touch x)"', "unknown key"),
    ({"app": "d", "cutover": []}, "cutover", "expected a table, got an array"),
]


@pytest.mark.parametrize(("doc", "path", "phrase"), REJECTED,
                         ids=[f"{i}-{case[1]}" for i, case in enumerate(REJECTED)])
def test_fixed_hostile_values_are_rejected_with_their_key_path(
    doc: dict[str, Any], path: str, phrase: str
) -> None:
    with pytest.raises(ProfileError) as info:
        validate_mapping(doc, SRC, "hostile", HASH)
    assert_problem_lines(info.value.problems, SRC, doc)
    assert any(line.startswith(f"{SRC}: {path}: ") and phrase in line
               for line in info.value.problems), info.value.problems


def test_cli_generate_writes_lint_clean_scripts_for_a_hostile_profile(tmp_path: Path) -> None:
    doc = FIXED_VALID["quotes-and-substitutions"]
    source = tmp_path / "hostile.toml"
    source.write_text(toml_document(doc), encoding="utf-8")
    result = CliRunner().invoke(main, ["generate", str(source), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    written = {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / "out/hostile").iterdir()}
    assert set(written) == set(SCRIPTS)
    assert read_back(written["deploy.sh"], tmp_path) == expected_read_back(
        accepted(doc), "deploy.sh")
    assert_no_canary(tmp_path)


def test_cli_rejects_a_hostile_profile_with_exit_2_and_one_line_per_problem(
    tmp_path: Path,
) -> None:
    source = tmp_path / "bad.toml"
    source.write_text(
        'app = "-x$(touch y)"\ncolors = ["a\\nb", 5]\n"`id`" = true\n[cutover]\n'
        'smoke_test = "\\u0000"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["generate", str(source), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = text_lines(result.stderr)
    assert [line.split(": ")[1] for line in lines] == [
        "app", "colors[0]", "colors[1]", '"`id`"', "cutover.smoke_test"]
    assert_problem_lines(lines, str(source), tomllib.loads(source.read_text()))
    assert not (tmp_path / "out").exists()


_CF_RUN_LOOP = r"""
cf() { :; }
setup_traps
for ((i = 1; i <= 500; i++)); do
  cf_run version 2>>"${TMPDIR}/log" || true
  [[ -d "${WORK_DIR}" ]] || { printf 'WORK_DIR vanished after %d calls\n' "$i"; exit 9; }
done
echo survived
REACHED_END=1
"""


def test_cf_run_watchdog_cannot_run_the_scripts_cleanup(tmp_path: Path) -> None:
    """Regression: cf_run used to stop its watchdog with SIGTERM right after a fast cf
    call; the watchdog, a forked subshell that had not yet reset the inherited traps,
    then ran the script's cleanup (lock release, rm WORK_DIR) under the running script,
    which died mid-deploy. A no-op cf makes that window as wide as it gets: it showed
    within a few dozen calls."""
    script = render_profile(accepted({"app": "demo"}))["status.sh"]
    driver = tmp_path / "driver.sh"
    driver.write_text(script.removesuffix(SCRIPT_TAIL) + _CF_RUN_LOOP, encoding="utf-8")
    result = subprocess.run(["bash", str(driver)], capture_output=True, text=True, check=False,
                            env={"PATH": "/usr/bin:/bin", "TMPDIR": str(tmp_path), "CI": "1"},
                            timeout=120)
    log_file = tmp_path / "log"
    log = log_file.read_text(encoding="utf-8", errors="replace") if log_file.exists() else ""
    assert (result.returncode, result.stdout) == (0, "survived\n"), (
        result.stdout + result.stderr + log[-500:])


# --- regressions: product and simulator bugs these tests found ------------------------


@pytest.mark.parametrize("doc", [
    {"app": "a", "cutover": {"after_cutover": "echo \ud800"}},
    {"app": "a", "path": "x\udfff"},
    {"app": "a", "push": {"vars": {"k": "\ud800"}}},
], ids=["hook", "path", "var"])
def test_lone_surrogates_are_rejected_or_rendered(doc: dict[str, Any]) -> None:
    try:
        profile = validate_mapping(doc, SRC, "hostile", HASH)
    except ProfileError as error:
        assert_problem_lines(error.problems, SRC, doc)
        return
    lint_scripts({f"surrogate/{k}": v for k, v in render_profile(profile).items()})


@pytest.mark.parametrize("case", ["color", "lock"])
def test_comma_in_an_app_name_is_looked_up_literally(case: str, tmp_path: Path) -> None:
    routes = {"live": [{"host": "live", "domain": "example.com"}],
              "staging": {"host": "stg", "domain": "example.com"}}
    if case == "color":
        profile = accepted({"app": "demo", "colors": ["blue,x", "green"], "routes": routes})
        assert_deploys_literally(profile, tmp_path)
    else:
        profile = accepted({"app": "a,b", "routes": routes})
        with Sandbox(profile, tmp_path / "sandbox") as sandbox:
            sandbox.seed("blue-live")
            sandbox.foundation.add_app(lock_app_name(profile))
            run = sandbox.run("deploy.sh")
        assert run.exit_code == 4, explain(run)


def test_bash32_scan_reads_profile_values_as_code() -> None:
    profile = accepted({
        "app": "demo", "routes": {"live": [{"host": "demo", "domain": "example.com"}]},
        "services": {"bind": ['c"ache;|&']},
        "cutover": {"smoke_test": 'curl -fsS "$STAGING_URL/health" | jq -e .ok',
                    "after_cutover": "echo -n done"},
    })
    lint_scripts({"scan/deploy.sh": render_profile(profile)["deploy.sh"]})


def test_route_path_with_capitals_is_served(tmp_path: Path) -> None:
    profile = accepted({"app": "demo", "routes": {
        "live": [{"host": "demo", "domain": "example.com", "path": "/Shop"}]}})
    assert_deploys_literally(profile, tmp_path)


_ROUTE = {"live": [{"host": "demo", "domain": "example.com"}]}
SHELLCHECK_FALSE_ALARMS = {
    # shlex.quote's plain single quotes: shellcheck reads U+2018/U+2019 as misplaced
    # quotes (SC1112) and a backslash before the closing quote as an escape (SC1003).
    "typographic-apostrophe": {"app": "Bob\u2019s shop"},
    "backslash-before-quote": {"app": "demo", "path": "C:\\build\\",
                               "services": {"bind": ["it\\'s"]}},
    # words shlex.quote leaves bare: a leading '=' (SC2191 in an array, SC1097 as
    # `readonly APP_NAME==x`), commas in an array (SC2054: a route path "/a,b" is
    # valid CF), and the reserved words then/do/done/fi/esac (SC1010).
    "leading-equals-sign": {"app": "=x", "colors": ["=blue", "green"]},
    "comma-in-array": {"app": "demo", "services": {"bind": ["db,cache"]}, "routes": {
        "live": [{"host": "demo", "domain": "example.com", "path": "/shop,de"}]}},
    "reserved-word": {"app": "demo", "services": {"bind": ["do"]}, "routes": _ROUTE,
                      "health": {"expect_body": "done"}},
}


@pytest.mark.parametrize("case", sorted(SHELLCHECK_FALSE_ALARMS))
def test_shellcheck_false_alarms_on_valid_values(case: str) -> None:
    profile = accepted(SHELLCHECK_FALSE_ALARMS[case])
    lint_scripts({f"{case}/deploy.sh": render_profile(profile)["deploy.sh"]})
