"""Load a profile (TOML), validate it completely, and build the renderer's model.

A user fixing a profile wants every mistake at once, not one per run: pydantic
collects every problem of :class:`~generator.document.ProfileDocument`, and this
module turns each into one line, in document order, ``FILE:LINE: key.path: what is
wrong (what is allowed)`` (the line where the key is written, or its table when the
key is missing; ``FILE: ...`` where no line applies). Nothing here may raise
anything but :class:`ProfileError` for bad input, whatever the bytes or the dict.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Tag, ValidationError

from generator import model
from generator.document import KeyPath, ProfileDocument, Rules, default_staging, json_schema, show
from generator.errors import ProfileError
from generator.locate import key_lines, line_of

__all__ = ["find_profiles", "load_profile", "profile_json_schema", "validate_mapping"]

Problem = tuple[KeyPath, str]


# --- public API -------------------------------------------------------------------


def load_profile(path: Path, display_name: str | None = None) -> model.Profile:
    """Read, parse and validate one profile file; ``display_name`` prefixes problems."""
    source = str(path) if display_name is None else display_name
    try:
        raw = path.read_bytes()
    except (OSError, ValueError) as exc:
        raise ProfileError([f"{source}: cannot read: {_reason(exc)}"]) from None
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")  # tolerate an editor's BOM
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        byte = raw[exc.start]
        raise ProfileError(
            [f"{source}:{line}: invalid TOML: not UTF-8 text (byte 0x{byte:02x})"]
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError([_syntax_problem(source, str(exc))]) from None
    except ValueError as exc:  # Python refuses to convert integers of > 4300 digits
        message = "an integer has too many digits" if "digits" in str(exc) else str(exc)
        raise ProfileError([f"{source}: invalid TOML: {message}"]) from None
    except RecursionError:
        problem = f"{source}: invalid TOML: arrays or tables nested too deeply"
        raise ProfileError([problem]) from None
    digest = hashlib.sha256(raw).hexdigest()
    return validate_mapping(data, source, path.stem, digest, text=text)


def validate_mapping(
    data: Any, source: str, name: str, source_hash: str, text: str | None = None
) -> model.Profile:
    """Validate a parsed document (tests feed dicts here) and build the model.

    ``text``, the TOML it was parsed from, lets each problem name its line.
    """
    try:
        document = ProfileDocument.model_validate(data)
    except ValidationError as error:
        lines = key_lines(text) if text is not None else {}
        found = [(line_of(lines, path), path, what)
                 for item in error.errors() for path, what in _problems(item)]
        # Document order: by line (stable: the models' key order on one line); problems
        # without a line (missing keys, or no text) after them, in the models' order.
        found.sort(key=lambda problem: (problem[0] is None, problem[0] or 0))
        raise ProfileError([_line(source, *problem) for problem in found]) from None
    return _view(document, name, source_hash)


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
    """JSON Schema (draft 2020-12) of the TOML document, derived from the models."""
    return json_schema()


# --- problem lines ----------------------------------------------------------------

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_TOML_POSITION = re.compile(r"(.*) \(at line (\d+), column (\d+)\)")


def _reason(exc: Exception) -> str:
    """The OS's own words ("no such file or directory"), without errno noise."""
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return text[:1].lower() + text[1:]


def _syntax_problem(source: str, message: str) -> str:
    """tomllib's "MESSAGE (at line L, column C)" in the ``FILE:LINE:`` form."""
    found = _TOML_POSITION.fullmatch(message)
    if found is None:
        return f"{source}: invalid TOML: {message}"
    what, line, column = found.groups()
    return f"{source}:{line}: invalid TOML: {what} (column {column})"


def _key(part: str | int) -> str:
    """One key path part as TOML would write it: bare, quoted, or ``[index]``."""
    if isinstance(part, int):
        return f"[{part}]"
    return part if _BARE_KEY.fullmatch(part) else show(part)


def _line(source: str, line: int | None, path: KeyPath, text: str) -> str:
    """``FILE:LINE: key.path: text``; no line or key path where none applies."""
    where = source if line is None else f"{source}:{line}"
    if not path:
        return f"{where}: {text}"
    rendered = "".join(_key(p) if isinstance(p, int) else "." + _key(p) for p in path)
    return f"{where}: {rendered[1:]}: {text}"


# --- pydantic errors -> problems --------------------------------------------------


def _unwrap(annotation: Any, rules: Rules | None) -> tuple[Any, Rules | None]:
    """Strip ``Annotated``, keeping the innermost :class:`Rules` found on the way."""
    while typing.get_origin(annotation) is Annotated:
        rules = next((m for m in annotation.__metadata__ if isinstance(m, Rules)), rules)
        annotation = annotation.__origin__
    return annotation, rules


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _resolve(loc: tuple[str | int, ...]) -> tuple[KeyPath, Any, Rules | None]:
    """Follow a pydantic error location through the document's types: the key path a
    user sees (union tags and ``[key]`` markers dropped), the type there and its Rules."""
    annotation: Any = ProfileDocument
    rules: Rules | None = None
    path: list[str | int] = []
    for number, part in enumerate(loc):
        annotation, rules = _unwrap(annotation, rules)
        origin = typing.get_origin(annotation)
        if origin in (typing.Union, types.UnionType):
            tagged = [m for m in typing.get_args(annotation) if _tag(m) == part]
            annotation = tagged[0] if tagged else None
            continue
        if part == "[key]":
            continue
        path.append(part if isinstance(part, str) or origin is list else repr(part))
        if _is_model(annotation) and isinstance(part, str):
            field = annotation.model_fields.get(part)
            annotation = field and field.annotation
            rules = field and next((m for m in field.metadata if isinstance(m, Rules)), None)
        elif origin is list:
            annotation, rules = typing.get_args(annotation)[0], None
        elif origin is dict:  # a key's own problem is marked by a following "[key]"
            key_problem = loc[number + 1 : number + 2] == ("[key]",)
            annotation, rules = typing.get_args(annotation)[0 if key_problem else 1], None
        else:
            annotation = None
    annotation, rules = _unwrap(annotation, rules)
    return tuple(path), annotation, rules


def _tag(annotation: Any) -> str | None:
    if typing.get_origin(annotation) is Annotated:
        return next((m.tag for m in annotation.__metadata__ if isinstance(m, Tag)), None)
    return None


_KINDS = {"string_type": "a string", "int_type": "an integer", "bool_type": "a boolean",
          "model_type": "a table", "dict_type": "a table", "list_type": "an array"}
_RANGE = {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}


def _allowed(annotation: Any, rules: Rules | None) -> str:
    """The "what is allowed" text; for tables, the keys they take."""
    if rules is not None:
        return rules.allowed
    if _is_model(annotation):
        return "a table with keys " + ", ".join(annotation.model_fields)
    return "see cf-bluegreen schema"  # pragma: no cover - every key has Rules or a model


def _problems(error: Mapping[str, Any]) -> list[Problem]:
    """One pydantic error as problems: ``(key path, "what is wrong (what is allowed)")``."""
    kind, loc, value = error["type"], tuple(error["loc"]), error.get("input")
    context = error.get("ctx") or {}
    if kind == "profile_rule":
        base = () if context["absolute"] else _resolve(loc)[0]
        return [((*base, *path), text) for path, text in context["problems"]]
    if kind in ("extra_forbidden", "invalid_key"):
        return [_unknown_key(loc)]
    path, annotation, rules = _resolve(loc)
    if kind == "string_unicode" and isinstance(value, str) and _is_model(annotation):
        # A table's key that is no Unicode text (a lone surrogate, which no TOML file
        # can hold): pydantic reports it on the table, with the key as the input.
        return [_unknown_key((*loc, value))]
    allowed = _allowed(annotation, rules)
    if kind == "profile_flaw":
        return [(path, context["text"])]
    if kind == "missing":
        return [(path, f"required key is missing ({rules and rules.missing or allowed})")]
    if kind == "literal_error":
        choices = typing.get_args(annotation) if typing.get_origin(annotation) is Literal else ()
        if choices and not any(type(value) is type(choice) for choice in choices):
            kind = "string_type" if isinstance(choices[0], str) else "int_type"
        else:
            return [(path, f"{show(value)} is not a valid choice ({allowed})")]
    if kind in _RANGE:
        return [(path, f"{show(value)} is out of range ({allowed})")]
    if kind in ("too_short", "too_long"):
        count = len(value)
        what = "is empty" if count == 0 else f"has {count} item{'' if count == 1 else 's'}"
        return [(path, f"{what} ({allowed})")]
    expected = (rules and rules.expected) or _KINDS.get(kind)
    if expected is None:  # a pydantic error this module does not know: still one line
        return [(path, f"{show(value)} is not valid: {error['msg']} ({allowed})")]
    return [(path, f"expected {expected}, got {show(value)} ({allowed})")]


def _unknown_key(loc: tuple[str | int, ...]) -> Problem:
    """Unknown keys are named with a suggestion and the keys the table takes."""
    parent_path, table, _ = _resolve(loc[:-1])
    name = loc[-1] if isinstance(loc[-1], str) else repr(loc[-1])
    fields = list(table.model_fields) if _is_model(table) else []
    close = difflib.get_close_matches(name, fields, n=1)
    hint = f', did you mean "{close[0]}"?' if close else ""
    return (*parent_path, name), f"unknown key{hint} (allowed keys: {', '.join(fields)})"


# --- the renderer's model ---------------------------------------------------------


def _view(document: ProfileDocument, name: str, source_hash: str) -> model.Profile:
    """The frozen model the renderer reads: defaults that depend on ``app`` filled in,
    ``"match-live"`` as ``None``, tables flattened to what the templates use."""
    app = document.app
    live = document.routes.live or []
    staging = document.routes.staging or (default_staging(app, live) if live else None)
    cutover, push = document.cutover, document.push
    return model.Profile(
        name=name, source_hash=source_hash, app=app,
        colors=tuple(document.colors or (f"{app}-blue", f"{app}-green")),  # type: ignore[arg-type]
        manifest=document.manifest, path=document.path, cf_cli=document.cf_cli,
        target=model.Target(**document.target.model_dump()),
        live_routes=tuple(model.Route(**route.model_dump()) for route in live),
        staging_route=model.Route(**staging.model_dump()) if staging else None,
        services=tuple(document.services.bind or ()),
        health=model.Health(**document.health.model_dump()),
        cutover=model.Cutover(**{**cutover.model_dump(), "instances": (
            None if cutover.instances == "match-live" else cutover.instances)}),
        push=model.PushOptions(**{**push.model_dump(), "vars": tuple((push.vars or {}).items()),
                                  "vars_files": tuple(push.vars_files or ())}),
    )
