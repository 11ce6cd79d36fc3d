"""Read a YAML file that a user hands us, safely and with line numbers.

PyYAML's safe loader does the parsing (libyaml when it is there: fast, and it
refuses flow collections nested deeper than 1000 levels by itself). What it does
not do is bound the work a small hostile file can ask for: aliases let a 1 KB
"billion laughs" document expand to 10^9 values. So the node graph is turned into
Python values here, by a walk that counts every value it produces (an alias
counts again each time it is used), refuses recursive aliases and deep nesting,
and records the line of every value for error messages.

Every failure is an :class:`~generator.errors.InputError` with one line of text;
nothing else escapes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from generator.errors import InputError

MAX_BYTES = 1024 * 1024
"""A real app manifest is a few kilobytes; a megabyte is already a generous bound."""
MAX_VALUES = 200_000
"""Values the document may expand to, aliases counted each time they are used."""
MAX_DEPTH = 64
"""Nesting depth; manifests nest about six levels deep."""

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

KeyPath = tuple[str | int, ...]
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"


@dataclass(frozen=True)
class YamlDocument:
    """A parsed document: plain Python values, and the line of each key path."""

    source: str
    data: Any
    lines: dict[KeyPath, int]

    def where(self, path: KeyPath) -> str:
        """``FILE: line N: key.path`` for messages about the value at ``path``."""
        line = self.lines.get(path)
        at = f" line {line}:" if line else ""
        return f"{self.source}:{at} {render_path(path)}" if path else f"{self.source}:{at}"


def render_path(path: KeyPath) -> str:
    """``applications[0].routes[1].route``: keys as written, indexes in brackets."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def read_yaml(path: Path, source: str | None = None) -> YamlDocument:
    """Read, decode and parse one YAML document from ``path``; bounded in size and work."""
    source = str(path) if source is None else source
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise InputError(f"{source}: cannot read: {reason[:1].lower()}{reason[1:]}") from None
    if len(raw) > MAX_BYTES:
        raise InputError(f"{source}: is larger than {MAX_BYTES // 1024} KiB, "
                        "which is far more than any app manifest (is it the right file?)")
    return parse_yaml(raw, source)


def parse_yaml(raw: bytes, source: str) -> YamlDocument:
    """Parse bytes already read; see :func:`read_yaml`."""
    if b"\0" in raw:
        line = raw[: raw.index(b"\0")].count(b"\n") + 1
        raise InputError(f"{source}: line {line}: is binary data, not YAML text (a NUL byte)")
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(f"{source}: line {line}: is not UTF-8 text "
                        f"(byte 0x{raw[exc.start]:02x}); is it binary data?") from None
    loader = _LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise InputError(f"{source}: is empty")
        walk = _Walk(loader, source)
        data = walk.value(node, ())
    except yaml.MarkedYAMLError as exc:
        raise InputError(_syntax_message(source, exc)) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow
        line = text[: exc.position].count("\n") + 1
        raise InputError(f"{source}: line {line}: invalid YAML: character "
                        f"U+{exc.character:04X} is not allowed in YAML text") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{source}: invalid YAML: {_one_line(str(exc))}") from None
    except RecursionError:
        raise InputError(f"{source}: invalid YAML: nested too deeply") from None
    finally:
        loader.dispose()
    return YamlDocument(source, data, walk.lines)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _syntax_message(source: str, exc: yaml.MarkedYAMLError) -> str:
    """``FILE: line L, column C: invalid YAML: context (line N), problem`` from PyYAML."""
    mark = exc.problem_mark or exc.context_mark
    where = f" line {mark.line + 1}, column {mark.column + 1}:" if mark else ""
    problem = _one_line(exc.problem or "")
    if exc.context:
        context = _one_line(exc.context)
        if exc.context_mark and mark is not exc.context_mark:
            context += f" (line {exc.context_mark.line + 1})"
        problem = f"{context}, {problem}" if problem else context
    return f"{source}:{where} invalid YAML: {problem or 'cannot be parsed'}"


class _Walk:
    """Node graph -> Python values, counting and bounding what it produces."""

    def __init__(self, loader: Any, source: str) -> None:
        self.loader = loader
        self.source = source
        self.count = 0
        self.lines: dict[KeyPath, int] = {}
        self.open: set[int] = set()

    def _fail(self, node: yaml.Node, text: str) -> InputError:
        return InputError(f"{self.source}: line {node.start_mark.line + 1}: {text}")

    def value(self, node: yaml.Node, path: KeyPath) -> Any:
        self.count += 1
        if self.count > MAX_VALUES:
            raise self._fail(node, f"the document expands to more than {MAX_VALUES:,} values "
                                   "(anchors and aliases used over and over?)")
        if len(path) > MAX_DEPTH:
            raise self._fail(node, f"nested deeper than {MAX_DEPTH} levels")
        if len(self.lines) < MAX_VALUES:
            self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if id(node) in self.open:
            raise self._fail(node, "an alias refers to a value that contains it (a loop)")
        expected = _SEQ if isinstance(node, yaml.SequenceNode) else _MAP
        if node.tag != expected:  # !!set, !!omap, !!python/...: not data a manifest holds
            raise self._fail(node, "invalid YAML: could not determine a constructor for the "
                                   f"tag {node.tag!r}")
        self.open.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.value(item, (*path, i)) for i, item in enumerate(node.value)]
            return self._mapping(node, path)
        finally:
            self.open.discard(id(node))

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        try:
            return self.loader.construct_object(node)
        except yaml.constructor.ConstructorError as exc:
            raise self._fail(node, f"invalid YAML: {_one_line(exc.problem or str(exc))}") from None
        except ValueError as exc:  # e.g. a timestamp with a month 13
            raise self._fail(node, f"invalid YAML value: {_one_line(str(exc))}") from None

    def _mapping(self, node: yaml.MappingNode, path: KeyPath) -> dict[Any, Any]:
        explicit: dict[Any, int] = {}
        for key_node, _ in node.value:  # a key written twice is an error; merged ones may repeat
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                key = self._key(key_node)
                if key in explicit:
                    raise self._fail(key_node, f"the key {key_node.value!r} appears twice in "
                                               f"one mapping (first on line {explicit[key]})")
                explicit[key] = key_node.start_mark.line + 1
        self.loader.flatten_mapping(node)  # resolves "<<" merge keys, as the safe loader does
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:  # merged pairs first: explicit ones win
            key = self._key(key_node)
            result[key] = self.value(value_node, (*path, _part(key)))
        return result

    def _key(self, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise self._fail(node, "a mapping key is a list or a mapping, not a name")
        key = self._scalar(node)
        if not isinstance(key, str | int | float | bool) and key is not None:
            key = node.value  # a date or binary key: keep it as written
        return key


def _part(key: object) -> str:
    """A key as a key-path part: text (``true`` and ``1`` keys are shown as written)."""
    return key if isinstance(key, str) else str(key)
