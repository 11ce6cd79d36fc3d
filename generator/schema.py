"""What a valid profile looks like: keys, types, defaults, limits and Cloud Foundry's rules.

One declarative spec (:data:`PROFILE`) drives both the validator in
:mod:`generator.profile` and the JSON Schema printed by ``cf-bluegreen schema``, so
the two cannot drift apart: a key, a default or a range is written down once.
Defaults are read from the model's dataclasses for the same reason.

Each string rule is a *check*: a function that returns ``None`` for a good value, or
the phrase saying what is wrong with it ("is not a valid host name"), optionally with
its own "what is allowed" text. The JSON Schema expresses most, not all, of these
rules (it has no "printable", no case-insensitive sameness, no cross-key arithmetic,
and counts 60.0 as an integer): it is an editor's aid, the validator is the authority,
and the tests prove that every document the validator accepts, the schema accepts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from generator.model import Cutover, Health, Profile

Flaw = str | tuple[str, str] | None
"""What a check returns: nothing, a phrase, or a phrase with its own allowed text."""
Check = Callable[[str], Flaw]

# Character classes shared by the Python checks and the JSON Schema patterns, written
# in the common subset of Python's ``re`` and ECMA-262 regexes.
CTRL = r"\u0000-\u001f\u007f"
HOST = r"[A-Za-z0-9_-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
DOMAIN = rf"{_LABEL}(?:\.{_LABEL})+"
_PCHAR = r"(?:[A-Za-z0-9._~!$&'()*+,;=:@-]|%[0-9A-Fa-f]{2})"
ROUTE_PATH = rf"/(?:{_PCHAR}|/)*"
HEALTH_PATH = rf"/(?:{_PCHAR}|/)*(?:\?(?:{_PCHAR}|[/?])*)?"
API_URL = rf"https?://[^\s{CTRL}/?#]+(?:[/?#][^\s{CTRL}]*)?"
SIZE = r"[1-9][0-9]{0,8}[MmGg][Bb]?"
VAR_NAME = r"[A-Za-z_][A-Za-z0-9_-]*"
NOT_FLAG = "a value that does not start with '-'"
LOCK_SUFFIX = "-bluegreen-lock"
"""The deploy lock is an app named ``<app>-bluegreen-lock`` (docs/fakecf-contract.md)."""


# --- checks -----------------------------------------------------------------------


def _matches(regex: str, phrase: str) -> Check:
    compiled = re.compile(regex)
    return lambda s: None if compiled.fullmatch(s) else phrase


def _at_most(limit: int) -> Check:
    return lambda s: f"is {len(s)} characters long" if len(s) > limit else None


def _not_empty(s: str) -> Flaw:
    return "is empty" if s == "" else None


def _not_blank(s: str) -> Flaw:
    return "is empty" if not s.strip() else None


def _no_nul(s: str) -> Flaw:
    return "contains a NUL character" if "\0" in s else None


def _one_line(s: str) -> Flaw:
    return "contains a line break" if "\n" in s or "\r" in s else None


def _printable(s: str) -> Flaw:
    return None if s.isprintable() else "contains a non-printable character"


def _no_edge_space(s: str) -> Flaw:
    return "has leading or trailing whitespace" if s != s.strip() else None


def not_flag(s: str) -> Flaw:
    """The cf CLI's flag parser ignores ``--``: a leading '-' would be read as a flag."""
    if s.startswith("-"):
        return "starts with '-', which the cf CLI would read as a flag", NOT_FLAG
    return None


def _no_wildcard(s: str) -> Flaw:
    return "is a wildcard host, which cannot be health-checked" if s == "*" else None


def _no_space(s: str) -> Flaw:
    return "contains whitespace" if any(c.isspace() for c in s) else None


def _starts_with_slash(s: str) -> Flaw:
    return None if s.startswith("/") else "does not start with '/'"


def _route_path_shape(s: str) -> Flaw:
    if s == "/":
        return "is '/' alone, which Cloud Foundry rejects"
    return "contains '?'" if "?" in s else None


def _route_path(s: str) -> Flaw:
    """CF route path rules; the empty string means "no path"."""
    if s == "":
        return None
    for check in _ROUTE_PATH_CHECKS:
        flaw = check(s)
        if flaw is not None:
            return flaw
    return None


_ROUTE_PATH_CHECKS: tuple[Check, ...] = (
    _starts_with_slash,
    _route_path_shape,
    _no_space,
    _at_most(128),
    _matches(ROUTE_PATH, "is not a valid URI path"),
)


def host_flaw(host: str) -> str | None:
    """Why ``host`` is not a host name we can deploy to, or None (reused for defaults)."""
    for check in HOST_CHECKS:
        flaw = check(host)
        if flaw is not None:
            return flaw if isinstance(flaw, str) else flaw[0]
    return None


HOST_CHECKS: tuple[Check, ...] = (
    _no_wildcard,
    _matches(HOST, "is not a valid host name"),
    _at_most(63),
    not_flag,
)


# --- spec nodes -------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """A string; ``checks`` run in order, the first flaw is reported."""

    description: str
    allowed: str
    checks: tuple[Check, ...] = ()
    enum: tuple[str, ...] = ()
    default: str | None = None
    missing: str | None = None
    """What to say when a required key is absent (default: ``allowed``)."""
    schema: dict[str, Any] = field(default_factory=dict)
    """JSON Schema keywords approximating ``checks`` (pattern, lengths)."""


@dataclass(frozen=True)
class Int:
    """An integer (never a boolean) within ``minimum``..``maximum`` or in ``enum``."""

    description: str
    allowed: str
    minimum: int | None = None
    maximum: int | None = None
    enum: tuple[int, ...] = ()
    default: int | None = None


@dataclass(frozen=True)
class Bool:
    """``true`` or ``false``."""

    description: str
    default: bool
    allowed: str = "true or false"


@dataclass(frozen=True)
class Array:
    """A list of ``items``; uniqueness is checked by the validator with its own rules."""

    description: str
    allowed: str
    items: Node
    min_items: int = 0
    max_items: int | None = None
    unique: bool = True
    """Tells the JSON Schema; the validator checks sameness itself (case rules differ)."""


@dataclass(frozen=True)
class Table:
    """A table with exactly these keys; unknown keys are errors."""

    description: str
    fields: dict[str, Node]
    required: tuple[str, ...] = ()
    schema: dict[str, Any] = field(default_factory=dict)
    """Cross-key JSON Schema keywords (dependentRequired, ...)."""


@dataclass(frozen=True)
class Map:
    """A table of free keys matching ``key_checks``, each holding a ``values`` node."""

    description: str
    key_allowed: str
    key_checks: tuple[Check, ...]
    key_pattern: str
    values: Node


@dataclass(frozen=True)
class Choice:
    """One of several nodes, picked by the value's type (``instances``)."""

    description: str
    expected: str
    allowed: str
    options: tuple[Text | Int, ...]
    default: str | int | None = None


Node = Text | Int | Bool | Array | Table | Map | Choice


# --- the profile ------------------------------------------------------------------

_NAME_ALLOWED = "printable characters, no leading or trailing whitespace, at most {n} characters"
_LINE = rf"[^{CTRL}]"
_INSTANCES = '"match-live" or an integer, 1 to 1000'


def _cf_name(
    description: str, limit: int, allowed: str | None = None, missing: str | None = None
) -> Text:
    """App, org and space names: CF's ``[[:print:]]`` rule, stripped, bounded."""
    return Text(
        description,
        allowed or _NAME_ALLOWED.format(n=limit),
        missing=missing,
        checks=(
            _not_empty,
            _no_nul,
            _one_line,
            _printable,
            _no_edge_space,
            _at_most(limit),
            not_flag,
        ),
        schema={
            "minLength": 1,
            "maxLength": limit,
            "pattern": rf"^[^-\s{CTRL}](?:{_LINE}*[^\s{CTRL}])?$",
        },
    )


def _cli_value(description: str, allowed: str, limit: int = 4096) -> Text:
    """A one-line value handed to the cf CLI as a flag value (paths, image, stack)."""
    return Text(
        description,
        allowed,
        checks=(_not_empty, _no_nul, _one_line, _printable, _at_most(limit), not_flag),
        schema={"minLength": 1, "maxLength": limit, "pattern": rf"^[^-{CTRL}][^{CTRL}]*$"},
    )


def _command(description: str) -> Text:
    """A shell command run by the script; may span lines, cannot hold NUL (bash can't)."""
    return Text(
        description,
        "a shell command, at most 8192 characters",
        checks=(_no_nul, _not_blank, _at_most(8192)),
        schema={"maxLength": 8192, "pattern": r"^[^\u0000]*[^\s\u0000][^\u0000]*$"},
    )


def _seconds(description: str, low: int, high: int, default: int) -> Int:
    return Int(description, f"whole seconds, {low} to {high}", low, high, default=default)


ROUTE_ALLOWED = {
    "host": "letters, digits, '_' and '-', at most 63 characters",
    "domain": "DNS labels of letters, digits and '-', not starting or ending with '-', "
    "at most 63 characters each, at least one dot, at most 253 characters",
    "path": "empty, or '/' followed by URI path characters; not '/' alone, "
    "no '?' or whitespace, at most 128 characters",
}


def _route(description: str) -> Table:
    return Table(
        description,
        {
            "host": Text(
                "Host name on a shared domain (a DNS label; routers match it case-insensitively).",
                ROUTE_ALLOWED["host"],
                HOST_CHECKS,
                missing="a host name: only routes with a host on a shared domain are supported",
                schema={"pattern": rf"^{HOST}$", "maxLength": 63, "not": {"pattern": "^-"}},
            ),
            "domain": Text(
                "Domain of the route, e.g. example.com.",
                ROUTE_ALLOWED["domain"],
                (_matches(DOMAIN, "is not a valid domain"), _at_most(253)),
                schema={"pattern": rf"^{DOMAIN}$", "maxLength": 253},
            ),
            "path": Text(
                "Optional route path, e.g. /shop.",
                ROUTE_ALLOWED["path"],
                (_route_path,),
                default="",
                schema={
                    "pattern": rf"^(?:{ROUTE_PATH})?$",
                    "maxLength": 128,
                    "not": {"const": "/"},
                },
            ),
        },
        required=("host", "domain"),
    )


PROFILE = Table(
    "A cf-bluegreen profile: how one Cloud Foundry app is deployed blue-green.",
    {
        "app": _cf_name(
            "Base name of the app; default colors, the staging host and the deploy lock "
            f"('<app>{LOCK_SUFFIX}') are named after it.",
            240,
            _NAME_ALLOWED.format(n=240) + f", so that '<app>{LOCK_SUFFIX}' fits in 255",
            missing='the base name of the app, e.g. app = "sinatra"',
        ),
        "colors": Array(
            "The two Cloud Foundry app names that take turns being live "
            "(default: '<app>-blue' and '<app>-green').",
            "exactly two different app names",
            _cf_name("A color's app name.", 255),
            2,
            2,
        ),
        "manifest": _cli_value("Manifest passed to cf push --manifest.", "a file path"),
        "path": _cli_value("App bits passed to cf push --path.", "a directory or archive path"),
        "cf_cli": Int(
            "Major version of the cf CLI the scripts will run (6 is legacy syntax).",
            "6, 7 or 8",
            enum=(6, 7, 8),
            default=Profile.cf_cli,
        ),
        "target": Table(
            "Where the scripts may run; each part that is set is checked.",
            {
                "api": Text(
                    "API endpoint, e.g. https://api.example.com.",
                    "an http:// or https:// URL, e.g. https://api.example.com",
                    (_matches(API_URL, "is not an http:// or https:// URL"), _at_most(2048)),
                    schema={"pattern": rf"^{API_URL}$", "maxLength": 2048},
                ),
                "org": _cf_name("Organization name.", 255),
                "space": _cf_name("Space name.", 255),
            },
        ),
        "routes": Table(
            "HTTP routes; without live routes the app is a worker.",
            {
                "live": Array(
                    "Routes that serve users; each is moved to the new color at cutover.",
                    "at least one route; leave out [routes] for a worker app",
                    _route("A live route."),
                    1,
                ),
                "staging": _route(
                    "Route the new color is checked on before it goes live "
                    "(default: host '<app>-staging' on the first live route's domain)."
                ),
            },
            schema={"dependentRequired": {"staging": ["live"]}},
        ),
        "services": Table(
            "Service instances.",
            {
                "bind": Array(
                    "Service instances bound to both colors.",
                    "service instance names",
                    Text(
                        "A service instance name.",
                        "printable characters, at most 255 characters",
                        (_not_empty, _no_nul, _one_line, _printable, _at_most(255), not_flag),
                        schema={
                            "minLength": 1,
                            "maxLength": 255,
                            "pattern": rf"^[^-{CTRL}]{_LINE}*$",
                        },
                    ),
                ),
            },
        ),
        "health": Table(
            "How a color proves it is ready: an HTTP probe.",
            {
                "path": Text(
                    "Path (and optional query) probed on the route.",
                    "'/' followed by URI path characters, optionally '?query', "
                    "at most 1024 characters",
                    (
                        _starts_with_slash,
                        _no_space,
                        _at_most(1024),
                        _matches(HEALTH_PATH, "is not a valid URL path"),
                    ),
                    default=Health.path,
                    schema={"pattern": rf"^{HEALTH_PATH}$", "maxLength": 1024},
                ),
                "scheme": Text(
                    "Scheme of the probe.",
                    "https or http",
                    enum=("https", "http"),
                    default=Health.scheme,
                ),
                "expect_status": Int(
                    "HTTP status the probe expects.",
                    "an HTTP status, 100 to 599",
                    100,
                    599,
                    default=Health.expect_status,
                ),
                "expect_body": Text(
                    "Text the response body must contain.",
                    "one line of text, at most 1024 characters",
                    (_not_empty, _no_nul, _one_line, _at_most(1024)),
                    schema={"minLength": 1, "maxLength": 1024, "pattern": r"^[^\u0000\n\r]*$"},
                ),
                "timeout_seconds": _seconds(
                    "Give up probing after this long.", 1, 3600, Health.timeout_seconds
                ),
                "interval_seconds": _seconds(
                    "Wait between probes; at most timeout_seconds.", 1, 300, Health.interval_seconds
                ),
            },
        ),
        "cutover": Table(
            "How traffic moves from the old color to the new one.",
            {
                "settle_seconds": _seconds(
                    "Wait after mapping the new color before unmapping the old.",
                    0,
                    600,
                    Cutover.settle_seconds,
                ),
                "drain_seconds": _seconds(
                    "Wait between unmapping the old color and retiring it.",
                    0,
                    3600,
                    Cutover.drain_seconds,
                ),
                "retire": Text(
                    "What happens to the old color.",
                    "stop, delete or keep",
                    enum=("stop", "delete", "keep"),
                    default=Cutover.retire,
                ),
                "smoke_test": _command(
                    "Command run with STAGING_URL set; non-zero exit fails the deploy."
                ),
                "before_cutover": _command("Command run just before live routes move."),
                "after_cutover": _command("Command run after the old color is retired."),
                "instances": Choice(
                    "New color's instances: 'match-live' (as many as the live one) or a number.",
                    '"match-live" or an integer',
                    _INSTANCES,
                    (Text("", _INSTANCES, enum=("match-live",)), Int("", _INSTANCES, 1, 1000)),
                    default="match-live",
                ),
                "verify_live": Bool(
                    "Probe the live route during the drain; switch back if it fails.",
                    Cutover.verify_live,
                ),
            },
        ),
        "push": Table(
            "cf push options passed through when set.",
            {
                "docker_image": _cli_value("cf push --docker-image.", "a Docker image reference"),
                "buildpack": _cli_value("cf push --buildpack.", "a buildpack name or URL"),
                "stack": _cli_value("cf push --stack.", "a stack name"),
                "memory": Text(
                    "cf push --memory.",
                    "a size: 1 to 9 digits and M, G, MB or GB, e.g. 256M",
                    (_matches(SIZE, "is not a size"),),
                    schema={"pattern": rf"^{SIZE}$"},
                ),
                "disk": Text(
                    "cf push --disk.",
                    "a size: 1 to 9 digits and M, G, MB or GB, e.g. 1G",
                    (_matches(SIZE, "is not a size"),),
                    schema={"pattern": rf"^{SIZE}$"},
                ),
                "timeout": Int("cf push --app-start-timeout.", "whole seconds, 1 to 600", 1, 600),
                "vars": Map(
                    "cf push --var NAME=VALUE, one per entry.",
                    "letters, digits, '_' and '-', starting with a letter or '_', "
                    "at most 255 characters",
                    (_matches(VAR_NAME, "is not a valid variable name"), _at_most(255)),
                    rf"^{VAR_NAME}$",
                    Text(
                        "A variable's value (a string: quote numbers).",
                        "one line of text, at most 4096 characters",
                        (_no_nul, _one_line, _at_most(4096)),
                        schema={"maxLength": 4096, "pattern": r"^[^\u0000\n\r]*$"},
                    ),
                ),
                "vars_files": Array(
                    "cf push --vars-file, in order.",
                    "file paths",
                    _cli_value("A vars file.", "a file path"),
                    unique=False,
                ),
            },
            schema={
                "dependentSchemas": {
                    "docker_image": {
                        "not": {"anyOf": [{"required": ["buildpack"]}, {"required": ["stack"]}]}
                    }
                }
            },
        ),
    },
    required=("app",),
    schema={
        "if": {"required": ["push"], "properties": {"push": {"required": ["docker_image"]}}},
        "then": {"not": {"required": ["path"]}},
    },
)


# --- JSON Schema ------------------------------------------------------------------


def _drop_none(**keywords: Any) -> dict[str, Any]:
    return {k: v for k, v in keywords.items() if v is not None and v != ()}


def node_schema(node: Node) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) fragment for one spec node."""
    match node:
        case Text():
            enum = list(node.enum) or None
            return (
                _drop_none(
                    type="string",
                    description=node.description or None,
                    enum=enum,
                    default=node.default,
                )
                | node.schema
            )
        case Int():
            return _drop_none(
                type="integer",
                description=node.description or None,
                minimum=node.minimum,
                maximum=node.maximum,
                enum=list(node.enum) or None,
                default=node.default,
            )
        case Bool():
            return {"type": "boolean", "description": node.description, "default": node.default}
        case Array():
            return _drop_none(
                type="array",
                description=node.description,
                items=node_schema(node.items),
                minItems=node.min_items or None,
                maxItems=node.max_items,
                uniqueItems=node.unique or None,
            )
        case Table():
            return (
                _drop_none(
                    type="object",
                    description=node.description,
                    properties={k: node_schema(v) for k, v in node.fields.items()},
                    required=list(node.required) or None,
                    additionalProperties=False,
                )
                | node.schema
            )
        case Map():
            return {
                "type": "object",
                "description": node.description,
                "propertyNames": {"pattern": node.key_pattern, "maxLength": 255},
                "additionalProperties": node_schema(node.values),
            }
        case Choice():
            return {
                "description": node.description,
                "default": node.default,
                "oneOf": [node_schema(option) for option in node.options],
            }
    raise TypeError(node)  # pragma: no cover - the match above is exhaustive


def json_schema() -> dict[str, Any]:
    """The whole profile's JSON Schema, for editors (``cf-bluegreen schema``)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "cf-bluegreen profile",
        **node_schema(PROFILE),
    }
