"""Load a profile (TOML), validate it completely, and build the typed model.

A user fixing a profile wants every mistake at once, not one per run: the walker
collects all problems, then sorts them into document order, one line each, in the
form ``FILE: key.path: what is wrong (what is allowed)``. Nothing here may raise
anything but :class:`ProfileError` for bad input, whatever the bytes or the dict.

The keys, types, defaults and naming rules live in :mod:`generator.schema`; this
module walks a document against them, adds the rules that relate keys to each other
(distinct colors and routes, the default staging route, interval within timeout,
push flags the cf CLI refuses together) and builds the frozen model.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import tomllib
from pathlib import Path
from typing import Any

from generator.errors import ProfileError
from generator.model import Cutover, Health, Profile, PushOptions, Route, Target
from generator.schema import (
    LOCK_SUFFIX,
    PROFILE,
    Array,
    Bool,
    Check,
    Choice,
    Flaw,
    Int,
    Map,
    Node,
    Table,
    Text,
    host_flaw,
    json_schema,
)

KeyPath = tuple[str | int, ...]
Problem = tuple[KeyPath, str]


class _Problems(list[Problem]):
    """Problems found so far, each with its key path so they can be put in document order."""

    def add(self, path: KeyPath, text: str) -> None:
        """Record one problem: ``text`` is "what is wrong (what is allowed)"."""
        self.append((path, text))


_INVALID: Any = object()
"""Stands for a value that failed validation; its problem is already recorded."""

__all__ = ["find_profiles", "load_profile", "profile_json_schema", "validate_mapping"]


# --- public API -------------------------------------------------------------------


def load_profile(path: Path, display_name: str | None = None) -> Profile:
    """Read, parse and validate one profile file; ``display_name`` prefixes problems."""
    source = str(path) if display_name is None else display_name
    try:
        raw = path.read_bytes()
    except (OSError, ValueError) as exc:
        raise ProfileError([f"{source}: cannot read: {_reason(exc)}"]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        byte = raw[exc.start]
        raise ProfileError(
            [f"{source}: invalid TOML: not UTF-8 text (byte 0x{byte:02x} on line {line})"]
        ) from None
    try:
        data = tomllib.loads(text.removeprefix("\ufeff"))  # tolerate an editor's BOM
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError([f"{source}: invalid TOML: {exc}"]) from None
    except ValueError as exc:  # Python refuses to convert integers of > 4300 digits
        message = "an integer has too many digits" if "digits" in str(exc) else str(exc)
        raise ProfileError([f"{source}: invalid TOML: {message}"]) from None
    except RecursionError:
        problem = f"{source}: invalid TOML: arrays or tables nested too deeply"
        raise ProfileError([problem]) from None
    return validate_mapping(data, source, path.stem, hashlib.sha256(raw).hexdigest())


def validate_mapping(data: dict[str, Any], source: str, name: str, source_hash: str) -> Profile:
    """Validate an already parsed document (tests feed dicts here) and build the model."""
    problems = _Problems()
    clean = _walk(PROFILE, data, (), problems)
    if isinstance(clean, dict):
        _check_relations(data, clean, problems)
    if problems:
        problems.sort(key=lambda problem: _position(data, problem[0]))
        raise ProfileError([_line(source, path, text) for path, text in problems])
    return _build(clean, name, source_hash)


def find_profiles(paths: list[Path]) -> list[Path]:
    """Expand the command line: files as given, directories to their ``*.toml``, sorted."""
    if not paths:
        raise ProfileError(["no profile given (a .toml file, or a directory of them)"])
    found: list[Path] = []
    problems: list[str] = []
    for path in paths:
        try:
            if path.is_dir():
                files = sorted(
                    (p for p in path.glob("*.toml") if p.is_file() and not p.name.startswith(".")),
                    key=lambda p: p.name,
                )
                if not files:
                    problems.append(f"{path}: no profiles in this directory (files named *.toml)")
                found.extend(files)
            elif path.exists():
                found.append(path)
            else:
                problems.append(f"{path}: cannot read: no such file or directory")
        except (OSError, ValueError) as exc:
            problems.append(f"{path}: cannot read: {_reason(exc)}")
    if problems:
        raise ProfileError(problems)
    unique: dict[Path, Path] = {}
    for path in found:  # the same file named twice is generated once
        unique.setdefault(path.absolute(), path)
    return list(unique.values())


def profile_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of the TOML document, built from the validator's spec."""
    return json_schema()


# --- showing values and key paths -------------------------------------------------

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _reason(exc: Exception) -> str:
    """The OS's own words ("no such file or directory"), without errno noise."""
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return text[:1].lower() + text[1:]


def _quote(text: str, limit: int = 60) -> str:
    """A one-line, escaped, bounded rendering: a problem must stay one line."""
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    dumped = json.dumps(text, ensure_ascii=False)
    return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in dumped)


def show(value: object) -> str:
    """How a value appears in a problem line: TOML-like scalars, kinds for the rest."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if value.bit_length() <= 64 else "a very large integer"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    kinds = {"datetime": "a date-time", "date": "a date", "time": "a time"}
    return kinds.get(type(value).__name__, f"a {type(value).__name__} value")


def _key(part: str | int) -> str:
    """One key path part as TOML would write it: bare, quoted, or ``[index]``."""
    if isinstance(part, int):
        return f"[{part}]"
    return part if _BARE_KEY.fullmatch(part) else _quote(part)


def _line(source: str, path: KeyPath, text: str) -> str:
    """``FILE: key.path: text``; a problem with the whole document has no key path."""
    if not path:
        return f"{source}: {text}"
    rendered = "".join(_key(p) if isinstance(p, int) else "." + _key(p) for p in path)
    return f"{source}: {rendered[1:]}: {text}"


def _position(data: object, path: KeyPath) -> tuple[int, ...]:
    """Where a key path sits in the document; a missing key sorts at its table's end."""
    position: list[int] = []
    node = data
    for part in path:
        if isinstance(node, dict):
            keys = list(node)
            index = keys.index(part) if part in node else len(keys)
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            index, node = part, node[part]
        else:
            index, node = 0, None
        position.append(index)
    return tuple(position)


# --- walking a document against the spec ------------------------------------------

_EXPECTED = {
    Text: "a string",
    Int: "an integer",
    Bool: "a boolean",
    Array: "an array",
    Table: "a table",
    Map: "a table",
}


def _allowed(node: Node) -> str:
    """The "what is allowed" text; for tables, the keys they take."""
    if isinstance(node, Table):
        return "a table with keys " + ", ".join(node.fields)
    if isinstance(node, Map):
        return 'a table of NAME = "value" entries'
    return node.allowed


def _wrong_type(node: Node, value: object, path: KeyPath, out: _Problems) -> Any:
    """Type mistakes name both types: TOML's ``"8"`` versus ``8`` is easy to miss."""
    expected = node.expected if isinstance(node, Choice) else _EXPECTED[type(node)]
    out.add(path, f"expected {expected}, got {show(value)} ({_allowed(node)})")
    return _INVALID


def _first_flaw(checks: tuple[Check, ...], value: str) -> Flaw:
    """Checks run in order and stop at the first flaw: one problem per value."""
    for check in checks:
        flaw = check(value)
        if flaw is not None:
            return flaw
    return None


def _flawed(value: object, flaw: Flaw, allowed: str, path: KeyPath, out: _Problems) -> bool:
    """Record ``flaw`` (if any) as "VALUE PHRASE (ALLOWED)"; True when there was one."""
    if flaw is None:
        return False
    phrase, allowed = flaw if isinstance(flaw, tuple) else (flaw, allowed)
    out.add(path, f"{show(value)} {phrase} ({allowed})")
    return True


def _unicode(text: str) -> bool:
    """TOML cannot hold a lone surrogate, but a dict handed to validate_mapping can,
    and such text cannot be written to a script file."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _walk(node: Node, value: object, path: KeyPath, out: _Problems) -> Any:
    """Validate ``value`` against ``node``; return its clean form or ``_INVALID``."""
    match node:
        case Table():
            return _walk_table(node, value, path, out)
        case Array():
            return _walk_array(node, value, path, out)
        case Map():
            return _walk_map(node, value, path, out)
        case Choice():
            for option in node.options:  # picked by type, so messages fit the value
                kind = str if isinstance(option, Text) else int
                if isinstance(value, kind) and not isinstance(value, bool):
                    return _walk(option, value, path, out)
            return _wrong_type(node, value, path, out)
        case Bool():
            return value if isinstance(value, bool) else _wrong_type(node, value, path, out)
        case Int():
            if isinstance(value, bool) or not isinstance(value, int):
                return _wrong_type(node, value, path, out)
            if node.enum and value not in node.enum:
                out.add(path, f"{show(value)} is not a valid choice ({node.allowed})")
            elif (node.minimum is not None and value < node.minimum) or (
                node.maximum is not None and value > node.maximum
            ):
                out.add(path, f"{show(value)} is out of range ({node.allowed})")
            else:
                return value
            return _INVALID
        case Text():
            if not isinstance(value, str):
                return _wrong_type(node, value, path, out)
            if not _unicode(value):
                out.add(path, f"{show(value)} is not valid Unicode text (it holds a lone "
                              f"surrogate; {node.allowed})")
                return _INVALID
            if node.enum and value not in node.enum:
                out.add(path, f"{show(value)} is not a valid choice ({node.allowed})")
                return _INVALID
            bad = _flawed(value, _first_flaw(node.checks, value), node.allowed, path, out)
            return _INVALID if bad else value
    raise TypeError(node)  # pragma: no cover - the match above is exhaustive


def _walk_table(node: Table, value: object, path: KeyPath, out: _Problems) -> Any:
    """Known keys are validated, unknown ones named with a suggestion; missing ones last."""
    if not isinstance(value, dict):
        return _wrong_type(node, value, path, out)
    clean: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(key, str) and key in node.fields:
            result = _walk(node.fields[key], item, (*path, key), out)
            if result is not _INVALID:
                clean[key] = result
            continue
        name = key if isinstance(key, str) else repr(key)
        close = difflib.get_close_matches(name, list(node.fields), n=1)
        hint = f', did you mean "{close[0]}"?' if close else ""
        out.add((*path, name), f"unknown key{hint} (allowed keys: {', '.join(node.fields)})")
    for key in node.required:
        if key not in value:
            field = node.fields[key]
            note = field.missing if isinstance(field, Text) and field.missing else _allowed(field)
            out.add((*path, key), f"required key is missing ({note})")
    return clean


def _walk_array(node: Array, value: object, path: KeyPath, out: _Problems) -> Any:
    """Items keep their index (invalid ones as ``_INVALID``) so relations name them right."""
    if not isinstance(value, list):
        return _wrong_type(node, value, path, out)
    count = len(value)
    bad_length = count < node.min_items or (node.max_items is not None and count > node.max_items)
    if bad_length:
        what = "is empty" if count == 0 else f"has {count} item{'' if count == 1 else 's'}"
        out.add(path, f"{what} ({node.allowed})")
    items = [_walk(node.items, item, (*path, i), out) for i, item in enumerate(value)]
    return _INVALID if bad_length else items


def _walk_map(node: Map, value: object, path: KeyPath, out: _Problems) -> Any:
    """Free keys (``push.vars``): each name and each value is checked."""
    if not isinstance(value, dict):
        return _wrong_type(node, value, path, out)
    clean: dict[str, Any] = {}
    for key, item in value.items():
        name = key if isinstance(key, str) else repr(key)
        if _flawed(name, _first_flaw(node.key_checks, name), node.key_allowed, (*path, name), out):
            continue
        result = _walk(node.values, item, (*path, name), out)
        if result is not _INVALID:
            clean[name] = result
    return clean


# --- rules that relate keys to each other -----------------------------------------


def _check_relations(raw: dict[str, Any], clean: dict[str, Any], out: _Problems) -> None:
    """Cross-key rules, run on the valid parts only so one mistake is reported once."""
    _check_colors(clean, out)
    routes = clean.get("routes")
    if isinstance(routes, dict):
        _check_routes(raw["routes"], routes, clean.get("app"), out)
    bind = clean.get("services", {}).get("bind")
    if isinstance(bind, list):
        seen: dict[str, int] = {}
        for i, service in enumerate(bind):
            if service is not _INVALID and seen.setdefault(service, i) != i:
                out.add(
                    ("services", "bind", i),
                    f"{show(service)} is already "
                    f"services.bind[{seen[service]}] (each service instance once)",
                )
    _check_health(raw.get("health"), clean.get("health"), out)
    smoke = clean.get("cutover", {}).get("smoke_test")
    if smoke not in (None, _INVALID) and not clean.get("routes", {}).get("live"):
        out.add(
            ("cutover", "smoke_test"),
            "is set for a worker (no routes.live), which has no staging URL to test "
            "(remove it, or run checks in cutover.before_cutover)",
        )
    push = clean.get("push", {})
    if "docker_image" in push:
        conflicts = [(("push", key), push[key]) for key in ("buildpack", "stack") if key in push]
        conflicts += [(("path",), clean["path"])] if "path" in clean else []
        for path, value in conflicts:
            out.add(
                path,
                f"{show(value)} cannot be combined with push.docker_image "
                "(cf push takes a Docker image, or app bits with a buildpack and stack)",
            )


def _check_colors(clean: dict[str, Any], out: _Problems) -> None:
    """Two apps that Cloud Foundry can tell apart (it ignores case), neither the lock."""
    colors = clean.get("colors")
    if not isinstance(colors, list):
        return
    first, second = colors
    if _INVALID not in (first, second) and first.lower() == second.lower():
        out.add(
            ("colors", 1),
            f"{show(second)} is the same app name as colors[0] "
            "(two different app names; Cloud Foundry ignores case)",
        )
    app = clean.get("app")
    if app is None:
        return
    lock = app + LOCK_SUFFIX
    for i, color in enumerate(colors):
        if color is not _INVALID and color.lower() == lock.lower():
            out.add(
                ("colors", i),
                f"{show(color)} is the name of the deploy lock app (any app name but {show(lock)})",
            )


def _url(route: dict[str, str]) -> str:
    """A route as ``cf app`` prints it, for messages."""
    return f"{route['host']}.{route['domain']}{route.get('path', '')}"


def _identity(route: dict[str, str]) -> tuple[str, str, str]:
    """Routers match host and domain case-insensitively; paths are compared as written."""
    return route["host"].lower(), route["domain"].lower(), route.get("path", "")


def _whole(route: object, raw: object) -> bool:
    """True when a route passed every check of its own (nothing dropped, host and domain)."""
    return (
        isinstance(route, dict)
        and isinstance(raw, dict)
        and set(route) == set(raw)
        and {"host", "domain"} <= set(route)
    )


def _too_long(route: dict[str, str], path: KeyPath, out: _Problems) -> bool:
    """CF caps host + "." + domain at 253 characters (a DNS name); True when over."""
    fqdn = f"{route['host']}.{route['domain']}"
    if len(fqdn) <= 253:
        return False
    out.add(
        path,
        f"{show(fqdn)} is {len(fqdn)} characters long "
        "(host and domain together at most 253 characters)",
    )
    return True


def _check_routes(
    raw: dict[str, Any], routes: dict[str, Any], app: str | None, out: _Problems
) -> None:
    """Live routes distinct; staging route (given or default) valid and not live."""
    live = routes.get("live")
    seen: dict[tuple[str, str, str], int] = {}
    whole: list[dict[str, str]] = []
    for i, route in enumerate(live if isinstance(live, list) else ()):
        if not _whole(route, raw["live"][i]):
            continue  # this route has its own problem already
        whole.append(route)
        if not _too_long(route, ("routes", "live", i), out):
            first = seen.setdefault(_identity(route), i)
            if first != i:
                out.add(
                    ("routes", "live", i),
                    f"{show(_url(route))} is the same route as "
                    f"routes.live[{first}] (each live route once; case does not count)",
                )
    if "staging" in raw:
        if "live" not in raw:
            out.add(
                ("routes", "staging"),
                "is set without routes.live (a staging route "
                "only together with live routes; a worker app has neither)",
            )
            return
        staging = routes.get("staging")
        if not _whole(staging, raw["staging"]):
            return
        where, label, hint = ("routes", "staging"), "", "a route that is not live"
    else:
        if not (isinstance(live, list) and whole and whole[0] is live[0] and app):
            return
        where, label = ("routes",), "the default staging route "
        hint = "set routes.staging to a route that is not live"
        staging = {"host": f"{app}-staging", "domain": whole[0]["domain"]}
        flaw = host_flaw(staging["host"])
        if flaw is not None:
            out.add(
                where,
                f"the default staging host {show(staging['host'])} {flaw} "
                "(set routes.staging explicitly)",
            )
            return
    if not _too_long(staging, where, out) and _identity(staging) in seen:
        out.add(
            where,
            f"{label}{show(_url(staging))} is also "
            f"routes.live[{seen[_identity(staging)]}] ({hint})",
        )


def _check_health(raw: object, health: object, out: _Problems) -> None:
    """Probing more rarely than the timeout allows would give up before a second probe."""
    if not isinstance(raw, dict) or not isinstance(health, dict):
        return
    interval = health.get("interval_seconds")
    timeout = health.get(
        "timeout_seconds", None if "timeout_seconds" in raw else Health.timeout_seconds
    )
    if interval is not None and timeout is not None and interval > timeout:
        out.add(
            ("health", "interval_seconds"),
            f"{interval} is longer than the timeout "
            f"of {timeout} seconds (at most health.timeout_seconds)",
        )


# --- building the model -----------------------------------------------------------


def _build(clean: dict[str, Any], name: str, source_hash: str) -> Profile:
    """Turn a validated document into the model, filling the defaults that depend on app."""
    app: str = clean["app"]
    blue, green = clean.get("colors", (f"{app}-blue", f"{app}-green"))
    routes = clean.get("routes", {})
    live = tuple(Route(**route) for route in routes.get("live", ()))
    staging = None
    if live:
        staging = Route(
            **routes.get("staging", {"host": f"{app}-staging", "domain": live[0].domain})
        )
    cutover = dict(clean.get("cutover", {}))
    if cutover.get("instances") == "match-live":
        cutover["instances"] = None
    push = dict(clean.get("push", {}))
    push["vars"] = tuple(push.get("vars", {}).items())
    push["vars_files"] = tuple(push.get("vars_files", ()))
    return Profile(
        name=name,
        source_hash=source_hash,
        app=app,
        colors=(blue, green),
        manifest=clean.get("manifest"),
        path=clean.get("path"),
        cf_cli=clean.get("cf_cli", Profile.cf_cli),
        target=Target(**clean.get("target", {})),
        live_routes=live,
        staging_route=staging,
        services=tuple(clean.get("services", {}).get("bind", ())),
        health=Health(**clean.get("health", {})),
        cutover=Cutover(**cutover),
        push=PushOptions(**push),
    )
