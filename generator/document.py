"""The profile document as pydantic models: keys, types, defaults and every rule, once.

The models describe the TOML file as a user writes it (``extra="forbid"``, strict:
``8`` is not ``"8"``); validation, the JSON Schema (``cf-bluegreen schema``) and the
defaults (read from :mod:`generator.model`, the renderer's view) all come from them.
A :class:`Rules` marker in a type's ``Annotated`` metadata carries the named Cloud
Foundry *checks* (each returns ``None`` or the phrase saying what is wrong; the first
flaw is reported: one problem per value), the "what is allowed" text of every message
about the key, and the JSON Schema keywords saying the same. Rules relating keys are
validators on the smallest model that sees all their keys, so they run whenever those
keys are valid, whatever else is wrong; their problems travel as one
``profile_rule`` error holding ``(key path, text)`` pairs. The JSON Schema cannot say
everything (printable text, case-insensitive sameness, cross-key arithmetic; it
counts 60.0 as an integer): the tests prove it accepts all the validator accepts and
rejects what the validator rejects wherever JSON Schema can say it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, NoReturn

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.json_schema import GenerateJsonSchema, NoDefault
from pydantic_core import PydanticCustomError, core_schema

from generator import model

KeyPath = tuple[str | int, ...]
Flaw = str | tuple[str, str] | None
"""What a check returns: nothing, a phrase, or a phrase with its own allowed text."""
Check = Callable[[str], Flaw]

# Character classes shared by the checks and the JSON Schema patterns, written in the
# common subset of Python's ``re`` and ECMA-262 regexes.
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


# --- showing values in messages ---------------------------------------------------


def _quote(text: str, limit: int = 60) -> str:
    """A one-line, escaped, bounded rendering: a problem must stay one line."""
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    dumped = json.dumps(text, ensure_ascii=False)
    # TOML's escapes: \\uXXXX, and \\UXXXXXXXX beyond the Basic Multilingual Plane.
    return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF
                   else f"\\U{ord(c):08x}" for c in dumped)


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
    if isinstance(value, list | tuple):
        return "an array"
    kinds = {"datetime": "a date-time", "date": "a date", "time": "a time"}
    return kinds.get(type(value).__name__, f"a {type(value).__name__} value")


def fail(*problems: tuple[KeyPath, str], absolute: bool = False) -> NoReturn:
    """Raise cross-key problems as one error; paths are relative to the validated value
    (``absolute``: to the document, for rules on the document that name other keys)."""
    raise PydanticCustomError(
        "profile_rule",
        "{summary}",
        {"summary": "; ".join(text for _, text in problems), "problems": problems,
         "absolute": absolute},
    )


# --- checks -----------------------------------------------------------------------


def _flaw(bad: Callable[[str], bool], phrase: str) -> Check:
    return lambda s: phrase if bad(s) else None


def _matches(regex: str, phrase: str) -> Check:
    compiled = re.compile(regex)
    return _flaw(lambda s: not compiled.fullmatch(s), phrase)


def _at_most(limit: int) -> Check:
    return lambda s: f"is {len(s)} characters long" if len(s) > limit else None


def _unicode(s: str) -> Flaw:
    """TOML cannot hold a lone surrogate, but a dict handed to the validator can,
    and such text cannot be written to a script file."""
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode text (it holds a lone surrogate; {allowed})"
    return None


def _not_flag(s: str) -> Flaw:
    """The cf CLI's flag parser ignores ``--``: a leading '-' would be read as a flag."""
    if s.startswith("-"):
        return "starts with '-', which the cf CLI would read as a flag", NOT_FLAG
    return None


def _not_quoted(s: str) -> Flaw:
    """go-flags unquotes a flag value that starts with '"' (strconv.Unquote): the cf
    CLI would refuse the value, or pass on a different one."""
    if s.startswith('"'):
        return "starts with '\"', which the cf CLI's flag parser would unquote"
    return None


_not_empty = _flaw(lambda s: s == "", "is empty")
_not_blank = _flaw(lambda s: not s.strip(), "is empty")
_no_nul = _flaw(lambda s: "\0" in s, "contains a NUL character")
_one_line = _flaw(lambda s: "\n" in s or "\r" in s, "contains a line break")
_printable = _flaw(lambda s: not s.isprintable(), "contains a non-printable character")
_no_edge_space = _flaw(lambda s: s != s.strip(), "has leading or trailing whitespace")
_no_wildcard = _flaw(lambda s: s == "*", "is a wildcard host, which cannot be health-checked")
_no_space = _flaw(lambda s: any(c.isspace() for c in s), "contains whitespace")
_starts_with_slash = _flaw(lambda s: not s.startswith("/"), "does not start with '/'")
_not_root = _flaw(lambda s: s == "/", "is '/' alone, which Cloud Foundry rejects")
_no_query = _flaw(lambda s: "?" in s, "contains '?'")


def _first_flaw(checks: tuple[Check, ...], value: str) -> Flaw:
    return next((flaw for check in checks if (flaw := check(value)) is not None), None)


_ROUTE_PATH_CHECKS = (_starts_with_slash, _not_root, _no_query, _no_space, _at_most(128),
                      _matches(ROUTE_PATH, "is not a valid URI path"))
_HOST_CHECKS = (_no_wildcard, _matches(HOST, "is not a valid host name"), _at_most(63), _not_flag)


def _route_path(s: str) -> Flaw:
    """CF route path rules; the empty string means "no path"."""
    return None if s == "" else _first_flaw(_ROUTE_PATH_CHECKS, s)


def _host(s: str) -> Flaw:
    """A DNS label; the empty string is an apex route (no host)."""
    return None if s == "" else _first_flaw(_HOST_CHECKS, s)


def host_flaw(host: str) -> str | None:
    """Why ``host`` is not a host name we can deploy to, or None (for derived hosts)."""
    flaw = _first_flaw(_HOST_CHECKS, host)
    return flaw if flaw is None or isinstance(flaw, str) else flaw[0]


# --- the Rules marker -------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Rules:
    """Annotated metadata: what is allowed (for messages), checks, and JSON Schema."""

    allowed: str
    checks: tuple[Check, ...] = ()
    schema: dict[str, Any] = field(default_factory=dict)
    missing: str | None = None
    """What to say when a required key is absent (default: ``allowed``)."""
    expected: str | None = None
    """The kind named in a wrong-type message, where the type alone does not say it."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        schema = handler(source)
        if not self.checks:
            return schema
        return core_schema.no_info_after_validator_function(self._check, schema)

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        return {**handler(schema), **self.schema}

    def _check(self, value: str) -> str:
        flaw = _first_flaw((_unicode, *self.checks), value)
        if flaw is None:
            return value
        phrase, allowed = flaw if isinstance(flaw, tuple) else (flaw, self.allowed)
        text = f"{show(value)} {phrase.format(allowed=allowed)}"
        if "{allowed}" not in phrase:
            text += f" ({allowed})"
        raise PydanticCustomError("profile_flaw", "{text}", {"text": text})


def _text(allowed: str, *checks: Check, missing: str | None = None, **schema: Any) -> Any:
    """A string type with these checks; ``schema``: the JSON Schema keywords saying them."""
    return Annotated[str, Rules(allowed, checks, schema, missing)]


_NAME_ALLOWED = "printable characters, no leading or trailing whitespace, at most {n} characters"
_LINE = rf"[^{CTRL}]"


def _cf_name(limit: int, allowed: str | None = None, missing: str | None = None) -> Any:
    """App, org and space names: CF's ``[[:print:]]`` rule, stripped, bounded."""
    return _text(
        allowed or _NAME_ALLOWED.format(n=limit),
        _not_empty, _no_nul, _one_line, _printable, _no_edge_space, _at_most(limit), _not_flag,
        missing=missing, minLength=1, maxLength=limit,
        pattern=rf"^[^-\s{CTRL}](?:{_LINE}*[^\s{CTRL}])?$",
    )


def _cli_value(allowed: str, limit: int = 4096) -> Any:
    """A one-line value handed to the cf CLI as a flag value (paths, image, stack)."""
    return _text(
        allowed, _not_empty, _no_nul, _one_line, _printable, _at_most(limit), _not_flag,
        _not_quoted, minLength=1, maxLength=limit, pattern=rf'^[^-"{CTRL}][^{CTRL}]*$',
    )


def _seconds(low: int, high: int) -> Any:
    return Annotated[int, Field(ge=low, le=high), Rules(f"whole seconds, {low} to {high}")]


def _size(example: str) -> Any:
    return _text(f"a size: 1 to 9 digits and M, G, MB or GB, e.g. {example}",
                 _matches(SIZE, "is not a size"), pattern=rf"^{SIZE}$")


def _unique(allowed: str) -> Rules:
    """Arrays whose items must differ: the validator checks sameness itself (with CF's
    case rules); the schema says what it can (exact duplicates)."""
    return Rules(allowed, schema={"uniqueItems": True})


ROUTE_ALLOWED = {
    "host": "letters, digits, '_' and '-', at most 63 characters",
    "domain": "DNS labels of letters, digits and '-', not starting or ending with '-', "
    "at most 63 characters each, at least one dot, at most 253 characters",
    "path": "empty, or '/' followed by URI path characters; not '/' alone, "
    "no '?' or whitespace, at most 128 characters",
}
_APP_ALLOWED = _NAME_ALLOWED.format(n=240) + f", so that '<app>{LOCK_SUFFIX}' fits in 255"
_INSTANCES = '"match-live" or an integer, 1 to 1000'
_ONE_LINE = "one line of text, at most {n} characters"

# The types of the profile's values, named so the models read like the README.
AppName = _cf_name(240, _APP_ALLOWED, missing='the base name of the app, e.g. app = "sinatra"')
CfName = _cf_name(255)
FilePath = _cli_value("a file path")
BitsPath = _cli_value("a directory or archive path")
ApiUrl = _text(
    "an http:// or https:// URL, e.g. https://api.example.com",
    _matches(API_URL, "is not an http:// or https:// URL"), _at_most(2048),
    pattern=rf"^{API_URL}$", maxLength=2048,
)
Host = _text(
    ROUTE_ALLOWED["host"], _host,
    pattern=rf"^(?:{HOST})?$", maxLength=63, **{"not": {"pattern": "^-"}},
)
Domain = _text(
    ROUTE_ALLOWED["domain"], _matches(DOMAIN, "is not a valid domain"), _at_most(253),
    pattern=rf"^{DOMAIN}$", maxLength=253,
)
RoutePath = _text(
    ROUTE_ALLOWED["path"], _route_path,
    pattern=rf"^(?:{ROUTE_PATH})?$", maxLength=128, **{"not": {"const": "/"}},
)
ServiceName = _text(
    "printable characters, at most 255 characters",
    _not_empty, _no_nul, _one_line, _printable, _at_most(255), _not_flag,
    minLength=1, maxLength=255, pattern=rf"^[^-{CTRL}]{_LINE}*$",
)
HealthPath = _text(
    "'/' followed by URI path characters, optionally '?query', at most 1024 characters",
    _starts_with_slash, _no_space, _at_most(1024), _matches(HEALTH_PATH, "is not a valid URL path"),
    pattern=rf"^{HEALTH_PATH}$", maxLength=1024,
)
BodyText = _text(
    _ONE_LINE.format(n=1024), _not_empty, _no_nul, _one_line, _at_most(1024),
    minLength=1, maxLength=1024, pattern=r"^[^\u0000\n\r]*$",
)
Command = _text(
    "a shell command, at most 8192 characters",
    _no_nul, _not_blank, _at_most(8192),
    maxLength=8192, pattern=r"^[^\u0000]*[^\s\u0000][^\u0000]*$",
)
DockerImage = _cli_value("a Docker image reference")
Buildpack = _cli_value("a buildpack name or URL")
Stack = _cli_value("a stack name")
MemorySize = _size("256M")
DiskSize = _size("1G")
VarName = _text(
    "letters, digits, '_' and '-', starting with a letter or '_', at most 255 characters",
    _matches(VAR_NAME, "is not a valid variable name"), _at_most(255),
)
VarValue = _text(
    _ONE_LINE.format(n=4096), _no_nul, _one_line, _at_most(4096),
    maxLength=4096, pattern=r"^[^\u0000\n\r]*$",
)
def _instances_kind(value: Any) -> str | None:
    """Pick the member by the value's type, so the message fits the value."""
    if isinstance(value, bool):
        return None
    return "count" if isinstance(value, int) else "word" if isinstance(value, str) else None


Instances = Annotated[
    Annotated[Literal["match-live"], Tag("word")]
    | Annotated[int, Field(ge=1, le=1000), Tag("count")],
    Discriminator(_instances_kind, custom_error_type="wrong_type", custom_error_message="type"),
    Rules(_INSTANCES, expected='"match-live" or an integer'),
]


# --- the models -------------------------------------------------------------------


class _Table(BaseModel):
    """A TOML table: exactly these keys, TOML's own types, frozen once validated.

    A key that is not set holds ``None`` (TOML has no null, so ``None`` is never a
    valid value: the annotation names the type a user may write).
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True,
                              use_attribute_docstrings=True)


class Target(_Table):
    """Where the scripts may run; each part that is set is checked."""

    api: ApiUrl = Field(None, examples=["https://api.example.com"])
    """API endpoint the scripts must be logged in to."""
    org: CfName = None
    """Organization name."""
    space: CfName = None
    """Space name."""


class Route(_Table):
    """An HTTP route, host.domain/path; without a host, an apex route (private domains)."""

    host: Host = Field("", examples=["shop"])
    """Host name (a DNS label; routers match it case-insensitively). Leave it out for an
    apex route (the domain itself), which Cloud Foundry allows on private domains."""
    domain: Domain = Field(examples=["example.com"])
    """Domain of the route."""
    path: RoutePath = Field("", examples=["/shop"])
    """Optional route path."""

    @property
    def url(self) -> str:
        """The route as ``cf app`` prints it (``host.domain/path``), for messages."""
        return (f"{self.host}.{self.domain}" if self.host else self.domain) + self.path

    @property
    def identity(self) -> tuple[str, str, str]:
        """Routers match host and domain case-insensitively; paths are compared as written."""
        return self.host.lower(), self.domain.lower(), self.path

    def too_long(self) -> str | None:
        """CF caps host + "." + domain at 253 characters (a DNS name)."""
        fqdn = f"{self.host}.{self.domain}" if self.host else self.domain
        if len(fqdn) <= 253:
            return None
        return (f"{show(fqdn)} is {len(fqdn)} characters long "
                "(host and domain together at most 253 characters)")

    @model_validator(mode="after")
    def _fits_in_dns(self) -> Route:
        if (problem := self.too_long()) is not None:
            fail(((), problem))
        return self


def default_staging(app: str, live: list[Route]) -> Route:
    """``<app>-staging`` on the first live route's domain (not validated: see callers)."""
    return Route.model_construct(host=f"{app}-staging", domain=live[0].domain, path="")


def _repeats(keys: list[Any]) -> list[tuple[int, int]]:
    """``(index, index of its first occurrence)`` for every item seen before."""
    seen: dict[Any, int] = {}
    return [(i, seen[key]) for i, key in enumerate(keys) if seen.setdefault(key, i) != i]


class Routes(_Table):
    """HTTP routes; without live routes the app is a worker."""

    model_config = ConfigDict(json_schema_extra={"dependentRequired": {"staging": ["live"]}})

    live: Annotated[list[Route], Field(min_length=1),
                    _unique("at least one route; leave out [routes] for a worker app")] = Field(
        None, examples=[[{"host": "shop", "domain": "example.com"},
                         {"domain": "shop.example.org", "path": "/cart"}]])
    """Routes that serve users; each is moved to the new color at cutover."""
    staging: Route = None
    """Route the new color is checked on before it goes live (default: host
    '<app>-staging' on the first live route's domain)."""

    @field_validator("live")
    @classmethod
    def _live_routes_differ(cls, live: list[Route]) -> list[Route]:
        if repeats := _repeats([route.identity for route in live]):
            fail(*(((i,), f"{show(live[i].url)} is the same route as routes.live[{first}] "
                          "(each live route once; case does not count)")
                   for i, first in repeats))
        return live

    @model_validator(mode="after")
    def _staging_is_not_live(self) -> Routes:
        if self.staging is None:
            return self
        if not self.live:
            fail((("staging",), "is set without routes.live (a staging route only together "
                                "with live routes; a worker app has neither)"))
        for i, route in enumerate(self.live):
            if route.identity == self.staging.identity:
                fail((("staging",), f"{show(self.staging.url)} is also routes.live[{i}] "
                                    "(a route that is not live)"))
        return self


class Services(_Table):
    """Service instances."""

    bind: Annotated[list[ServiceName], _unique("service instance names")] = Field(
        None, examples=[["shop-db"]])
    """Service instances bound to the new color before it starts."""

    @field_validator("bind")
    @classmethod
    def _each_once(cls, bind: list[str]) -> list[str]:
        if repeats := _repeats(bind):
            fail(*(((i,), f"{show(bind[i])} is already services.bind[{first}] "
                          "(each service instance once)") for i, first in repeats))
        return bind


_HEALTH, _CUTOVER = model.Health, model.Cutover  # the view holds the defaults


class Health(_Table):
    """How a color proves it is ready: an HTTP probe on the staging, then the live routes.
    A worker (no live routes) is ready when every instance runs: only the timeout and
    the interval apply to it."""

    path: HealthPath = Field(_HEALTH.path, examples=["/health"])
    """Path (and optional query) probed on the route."""
    scheme: Annotated[Literal["https", "http"], Rules("https or http")] = _HEALTH.scheme
    """Scheme of the probe."""
    expect_status: Annotated[int, Field(ge=100, le=599), Rules("an HTTP status, 100 to 599")] = (
        _HEALTH.expect_status)
    """HTTP status the probe expects."""
    expect_body: BodyText = Field(None, examples=["UP"])
    """Text the response body must contain."""
    timeout_seconds: _seconds(1, 3600) = _HEALTH.timeout_seconds
    """Give up probing (a worker: waiting for every instance to run) after this long."""
    interval_seconds: _seconds(1, 300) = _HEALTH.interval_seconds
    """Wait between probes; at most timeout_seconds."""

    model_config = ConfigDict(json_schema_extra={
        # What JSON Schema can say of the interval rule: within the default timeout.
        "if": {"not": {"required": ["timeout_seconds"]}},
        "then": {"properties": {"interval_seconds": {"maximum": _HEALTH.timeout_seconds}}},
    })

    @model_validator(mode="after")
    def _interval_within_timeout(self) -> Health:
        """Probing more rarely than the timeout allows would give up before a second probe."""
        if self.interval_seconds > self.timeout_seconds:
            fail((("interval_seconds",), f"{self.interval_seconds} is longer than the timeout "
                  f"of {self.timeout_seconds} seconds (at most health.timeout_seconds)"))
        return self


class Cutover(_Table):
    """How traffic moves from the old color to the new one."""

    settle_seconds: _seconds(0, 600) = _CUTOVER.settle_seconds
    """Wait after mapping the new color before unmapping the old."""
    drain_seconds: _seconds(0, 3600) = _CUTOVER.drain_seconds
    """Wait between unmapping the old color (a worker: starting the new one) and retiring
    the old one."""
    retire: Annotated[Literal["stop", "delete", "keep"], Rules("stop, delete or keep")] = (
        _CUTOVER.retire)
    """What happens to the old color."""
    smoke_test: Command = Field(None, examples=['curl -fsS "$STAGING_URL/" >/dev/null'])
    """Command run with STAGING_URL set; non-zero exit fails the deploy."""
    before_cutover: Command = None
    """Command run just before live routes move."""
    after_cutover: Command = None
    """Command run after the old color is retired."""
    instances: Instances = "match-live"
    """New color's instances: 'match-live' (as many as the live one) or a number."""
    verify_live: Annotated[bool, Rules("true or false")] = _CUTOVER.verify_live
    """Probe the live routes during the drain; switch back if they fail."""


class Push(_Table):
    """cf push options passed through when set."""

    model_config = ConfigDict(json_schema_extra={"dependentSchemas": {"docker_image": {
        "not": {"anyOf": [{"required": ["buildpack"]}, {"required": ["stack"]}]}}}})

    docker_image: DockerImage = None
    """cf push --docker-image."""
    buildpack: Buildpack = None
    """cf push --buildpack."""
    stack: Stack = None
    """cf push --stack."""
    memory: MemorySize = Field(None, examples=["512M"])
    """cf push --memory."""
    disk: DiskSize = Field(None, examples=["1G"])
    """cf push --disk."""
    timeout: Annotated[int, Field(ge=1, le=600), Rules("whole seconds, 1 to 600")] = None
    """cf push --app-start-timeout."""
    vars: Annotated[
        dict[VarName, VarValue],
        Rules('a table of NAME = "value" entries',
              schema={"propertyNames": {"pattern": rf"^{VAR_NAME}$", "maxLength": 255}}),
    ] = Field(None, examples=[{"node_env": "production"}])
    """cf push --var NAME=VALUE, one per entry (values are strings: quote numbers)."""
    vars_files: Annotated[list[FilePath], Rules("file paths")] = None
    """cf push --vars-file, in order."""

    @model_validator(mode="after")
    def _docker_or_buildpack(self) -> Push:
        given = [key for key in ("buildpack", "stack") if getattr(self, key) is not None]
        if self.docker_image is not None and given:
            fail(*(((key,), f"{show(getattr(self, key))} {DOCKER_CONFLICT}") for key in given))
        return self


DOCKER_CONFLICT = (
    "cannot be combined with push.docker_image "
    "(cf push takes a Docker image, or app bits with a buildpack and stack)"
)

_NO_HTTP = (
    "which has no HTTP route to check (remove it: a worker is healthy when every instance "
    "runs; health.timeout_seconds and health.interval_seconds bound that wait)"
)
WEB_ONLY: dict[str, dict[str, str]] = {
    "health": dict.fromkeys(("path", "scheme", "expect_status", "expect_body"), _NO_HTTP),
    "cutover": {
        "smoke_test": "which has no staging URL to test "
        "(remove it, or run checks in cutover.before_cutover)",
        "settle_seconds": "which has no route changes to wait for (remove it)",
        "verify_live": "which has no live route to probe (remove it)",
    },
}
"""Settings that can have no effect on a worker (no routes.live), and why."""


class ProfileDocument(_Table):
    """A cf-bluegreen profile: how one Cloud Foundry app is deployed blue-green."""

    model_config = ConfigDict(title="cf-bluegreen profile", json_schema_extra={"allOf": [
        {  # a Docker image is pushed without app bits
            "if": {"required": ["push"], "properties": {"push": {"required": ["docker_image"]}}},
            "then": {"not": {"required": ["path"]}},
        },
        {  # a worker (no routes.live) has nothing for the web-only settings to act on
            "if": {"not": {"required": ["routes"],
                           "properties": {"routes": {"required": ["live"]}}}},
            "then": {"properties": {table: {"properties": dict.fromkeys(keys, False)}
                                    for table, keys in WEB_ONLY.items()}},
        },
    ]})

    app: AppName = Field(examples=["shop"])
    """Base name of the app; default colors, the staging host and the deploy lock
    ('<app>-bluegreen-lock') are named after it."""
    colors: Annotated[list[CfName], Field(min_length=2, max_length=2),
                      _unique("exactly two different app names")] = Field(
        None, examples=[["shop-blue", "shop-green"]])
    """The two Cloud Foundry app names that take turns being live (default:
    '<app>-blue' and '<app>-green')."""
    manifest: FilePath = Field(None, examples=["manifest.yml"])
    """Manifest passed to cf push --manifest."""
    path: BitsPath = Field(None, examples=["dist"])
    """App bits passed to cf push --path."""
    cf_cli: Annotated[Literal[6, 7, 8], Rules("6, 7 or 8")] = model.Profile.cf_cli
    """Major version of the cf CLI the scripts will run (6 is legacy syntax)."""
    # Tables: described by their own models' docstrings.
    target: Target = Field(default_factory=Target)
    routes: Routes = Field(default_factory=Routes)
    services: Services = Field(default_factory=Services)
    health: Health = Field(default_factory=Health)
    cutover: Cutover = Field(default_factory=Cutover)
    push: Push = Field(default_factory=Push)

    @field_validator("colors")
    @classmethod
    def _two_apps_not_the_lock(cls, colors: list[str], info: ValidationInfo) -> list[str]:
        """Two apps Cloud Foundry can tell apart (it ignores case), neither the lock."""
        found = []
        if colors[0].lower() == colors[1].lower():
            found.append(((1,), f"{show(colors[1])} is the same app name as colors[0] "
                                "(two different app names; Cloud Foundry ignores case)"))
        if "app" in info.data:
            lock = info.data["app"] + LOCK_SUFFIX
            found += [((i,), f"{show(color)} is the name of the deploy lock app "
                             f"(any app name but {show(lock)})")
                      for i, color in enumerate(colors) if color.lower() == lock.lower()]
        if found:
            fail(*found)
        return colors

    @field_validator("routes")
    @classmethod
    def _default_staging_is_usable(cls, routes: Routes, info: ValidationInfo) -> Routes:
        """Without routes.staging, ``<app>-staging`` must be a valid host and not live."""
        if routes.staging is not None or not routes.live or "app" not in info.data:
            return routes
        staging = default_staging(info.data["app"], routes.live)
        flaw = host_flaw(staging.host)
        if flaw is not None:
            fail(((), f"the default staging host {show(staging.host)} {flaw} "
                      "(set routes.staging explicitly)"))
        if (problem := staging.too_long()) is not None:
            fail(((), problem))
        for i, route in enumerate(routes.live):
            if route.identity == staging.identity:
                fail(((), f"the default staging route {show(staging.url)} is also "
                          f"routes.live[{i}] (set routes.staging to a route that is not live)"))
        return routes

    @field_validator("health", "cutover")
    @classmethod
    def _no_web_settings_on_a_worker(cls, table: Health | Cutover,
                                     info: ValidationInfo) -> Health | Cutover:
        """A setting that cannot act on a worker is a mistake, not a no-op."""
        routes = info.data.get("routes")
        if routes is None or routes.live:
            return table  # routes invalid (reported) or a web app
        web_only = WEB_ONLY[info.field_name or ""]
        if found := [key for key in type(table).model_fields
                     if key in table.model_fields_set and key in web_only]:
            fail(*(((key,), f"is set for a worker (no routes.live), {web_only[key]}")
                   for key in found))
        return table

    @field_validator("push")
    @classmethod
    def _docker_without_bits(cls, push: Push, info: ValidationInfo) -> Push:
        path = info.data.get("path")
        if push.docker_image is not None and path is not None:
            fail((("path",), f"{show(path)} {DOCKER_CONFLICT}"), absolute=True)
        return push


class _ProfileJsonSchema(GenerateJsonSchema):
    """Draft 2020-12, without ``"default": null`` for keys that are simply not set."""

    def get_default_value(self, schema: core_schema.WithDefaultSchema) -> Any:
        value = super().get_default_value(schema)
        return NoDefault if value is None else value


def _one_line_descriptions(node: Any) -> None:
    """Docstrings wrap; an editor's tooltip should not."""
    if isinstance(node, dict) and isinstance(node.get("description"), str):
        node["description"] = " ".join(node["description"].split())
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
    for child in children:
        _one_line_descriptions(child)


def json_schema() -> dict[str, Any]:
    """The profile's JSON Schema, for editors (``cf-bluegreen schema``)."""
    schema = ProfileDocument.model_json_schema(schema_generator=_ProfileJsonSchema)
    _one_line_descriptions(schema)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
