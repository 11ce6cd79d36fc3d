"""Parse a `cf` command line exactly as the real CLI does, per major version.

The real CLI parses with github.com/jessevdk/go-flags (options = HelpFlag only), then
v7/v8 reject extra positionals, and v6 "legacy" commands (plus `curl` in every v7)
re-parse the line with the old cf/flags parser. Each stage fails with its own words,
stream and exit code; :class:`UsageError` carries which one so the stub can print it.
The command specs come from ``grammar.json`` beside this file (condensed once from
the cf CLI grammar facts; see its ``about``).
"""

from __future__ import annotations

import json
import os
import re

_GRAMMAR: dict | None = None
GLOBAL_OPTS = [
    {"l": "help", "s": "h", "h": "Show help"},
    {"l": "version", "s": "v", "h": "verbose"},
]


def grammar() -> dict:
    global _GRAMMAR
    if _GRAMMAR is None:
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "grammar.json")
        with open(path, encoding="utf-8") as f:
            _GRAMMAR = json.load(f)
    return _GRAMMAR


def version_grammar(major: int) -> dict:
    return grammar()["versions"][str(major)]


class UsageError(Exception):
    """A command line the real CLI refuses (or answers with help) before running it.

    ``kind``: ``unknown_command``, ``flag`` (go-flags error: ``Incorrect Usage: ...``
    on stderr, help on stdout, exit 1), ``bool_arg`` (``Unexpected flag error``, exit 0),
    ``help`` (exit 0), ``extra`` (v7/v8 unexpected argument), ``legacy`` (old parser:
    everything on stdout after ``FAILED``).
    """

    def __init__(self, kind: str, message: str = "", command: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.command = command


class Parsed:
    """A successfully parsed command line."""

    def __init__(self, name: str, spec: dict) -> None:
        self.name = name
        self.spec = spec
        self.opts: dict[str, object] = {}
        self.pos: list[str] = []
        self.args: list[str] = []  # the raw tokens after the command name
        self.extra: list[str] = []
        self.verbose = False
        # An error the CLI reports from Execute (after login checks), e.g. a bad RESOURCE.
        self.later_error: str | None = None

    def get(self, *keys: str) -> object:
        """First set option among ``keys`` (long or short names, version independent)."""
        for k in keys:
            if k in self.opts:
                return self.opts[k]
        return None

    def has(self, *keys: str) -> bool:
        return any(k in self.opts for k in keys)


def opt_str(o: dict) -> str:
    """go-flags' name of an option in messages: ``-s, --long``, ``-s`` or ``--long``."""
    if o.get("s") and o.get("l"):
        return f"-{o['s']}, --{o['l']}"
    return f"-{o['s']}" if o.get("s") else f"--{o['l']}"


def opt_key(o: dict) -> str:
    return o.get("l") or o["s"]


def is_option(arg: str) -> bool:
    """go-flags: ``-x...`` or ``--x...``; ``-``, ``--`` and ``---x`` are positionals."""
    if len(arg) > 1 and arg[0] == "-" and arg[1] != "-":
        return True
    return len(arg) > 2 and arg.startswith("--") and arg[2] != "-"


def resolve_command(major: int, word: str) -> str | None:
    vg = version_grammar(major)
    if word in vg["registered"]:
        return word
    return vg["aliases"].get(word)


# --- value types -----------------------------------------------------------------

# Patterns are compiled on first use (re caches them): start-up time is the budget.
_MEGABYTES = r"(?i)^\d+(M|MB|G|GB)$"
_BYTES = r"(?i)^(-1|\d+(B|K|KB|M|MB|G|GB|T|TB))$"
_INT = r"^[+-]?\d+$"


def _is_int(value: str) -> bool:
    return re.match(_INT, value) is not None


def _go_int_error(o: dict, value: str, kind: str = "int") -> str:
    fn = "ParseUint" if kind == "uint" else "ParseInt"
    return (f"invalid argument for flag `{opt_str(o)}' (expected {kind}): "
            f"strconv.{fn}: parsing {json.dumps(value)}: invalid syntax")


def check_value(o: dict, value: str, cwd: str) -> str:
    """Validate/convert a flag value like the CLI's flag types; return the stored value.

    Messages are the CLI's own (command/flag/*.go) where a dedicated type exists,
    go-flags' generic conversion error otherwise.
    """
    t = o.get("t", "string")
    long = o.get("l") or ""
    if t == "int":
        if o.get("s") == "i" and o.get("chk"):
            if not _is_int(value) or int(value) < 0:
                raise UsageError("flag", "invalid argument for flag '-i' (expected int > 0)")
        elif long == "app-start-timeout":
            if not _is_int(value) or int(value) < 1:
                raise UsageError("flag", "Timeout must be an integer greater than or equal to 1")
        elif not _is_int(value):
            raise UsageError("flag", _go_int_error(o, value))
    elif t == "uint":
        if not re.match(r"^\d+$", value):
            raise UsageError("flag", _go_int_error(o, value, "uint"))
    elif t == "megabytes":
        if not re.match(_MEGABYTES, value):
            raise UsageError("flag", "Byte quantity must be an integer with a unit of measurement "
                                     "like M, MB, G, or GB")
    elif t == "bytes_or_unlimited":
        if not re.match(_BYTES, value):
            raise UsageError("flag", "Byte quantity must be an integer with a unit of measurement "
                                     "like B, K, KB, M, MB, G, or GB")
    elif t == "enum":
        allowed = o.get("enum", [])
        cmp = value.lower() if o.get("ci") else value
        if cmp not in [a.lower() if o.get("ci") else a for a in allowed]:
            raise UsageError("flag", _enum_error(o, value, allowed))
        return cmp
    elif t == "existing_path":
        full = os.path.join(cwd, os.path.expanduser(value))
        if not os.path.exists(full):
            raise UsageError("flag", f"The specified path '{value}' does not exist.")
        if (long == "manifest" or (o.get("s") == "f" and not long)) and os.path.isdir(full):
            if not any(os.path.isfile(os.path.join(full, n))
                       for n in ("manifest.yml", "manifest.yaml")):
                raise UsageError("flag", f"The specified directory '{value}' does not contain "
                                         "a file named 'manifest.yml'.")
    elif t == "route_path":
        return value if value.startswith("/") or value == "" else "/" + value
    elif t == "json_or_file":
        if not _json_object_or_file(value, cwd):
            raise UsageError("flag", "Invalid configuration provided for -c flag. Please provide a "
                                     "valid JSON object or path to a file containing a valid JSON "
                                     "object.")
    return value


def _enum_error(o: dict, value: str, allowed: list[str]) -> str:
    long = o.get("l")
    if long == "health-check-type":
        return 'HEALTH_CHECK_TYPE must be "port", "process", or "http"'
    if long == "strategy" and "single" in allowed:
        return 'STRATEGY must be "single" or "multiple"'
    if long == "strategy":
        if "canary" in allowed:
            return 'STRATEGY must be "canary", "rolling" or not set'
        return 'STRATEGY must be "rolling" or not set'
    shown = [a for a in allowed if a]
    text = ", ".join(shown[:-1]) + (" or " + shown[-1] if len(shown) > 1 else shown[-1])
    return f"Invalid value `{value}' for option `{opt_str(o)}'. Allowed values are: {text}"


def _json_object_or_file(value: str, cwd: str) -> bool:
    text = value
    path = os.path.join(cwd, value)
    if os.path.isfile(path):
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


def _unquote(o: dict, value: str) -> str:
    """go-flags unquotes a value that starts with a double quote (strconv.Unquote)."""
    if not value.startswith('"'):
        return value
    try:
        out = json.loads(value)
        if isinstance(out, str):
            return out
    except ValueError:
        pass
    raise UsageError("flag", f"invalid argument for flag `{opt_str(o)}' (expected string): "
                             "invalid syntax")


# --- go-flags --------------------------------------------------------------------


def parse(major: int, argv: list[str], cwd: str) -> Parsed:
    """Parse ``argv`` (without the program name). Raises :class:`UsageError`."""
    i = 0
    # Global options before the command name: -v/--version, -h/--help only.
    verbose = False
    while i < len(argv) and is_option(argv[i]):
        a = argv[i]
        if a in ("-h", "--help"):
            raise UsageError("help", command=None)
        if a in ("-v", "--version"):
            verbose = True
            i += 1
            continue
        name = a[2:].split("=", 1)[0] if a.startswith("--") else a[1:2]
        if a.startswith("--") and "=" in a and name in ("help", "version"):
            shown = "-h, --help" if name == "help" else "-v, --version"
            raise UsageError("bool_arg", f"bool flag `{shown}' cannot have an argument")
        raise UsageError("flag", f"unknown flag `{name}'", command=None)
    if i >= len(argv):
        # `cf -v` / `cf --version` runs `cf version`; bare `cf` prints help.
        if verbose:
            p = Parsed("version", version_grammar(major)["commands"]["version"])
            return p
        raise UsageError("help", command=None)
    word = argv[i]
    name = resolve_command(major, word)
    if name is None:
        if any(a in ("-h", "--help", "--h") for a in argv):
            raise UsageError("help", command=None)
        raise UsageError("unknown_command", word)
    spec = version_grammar(major)["commands"].get(name)
    if spec is None:
        # Registered but outside the simulated set: the caller reports "not simulated".
        p = Parsed(name, {})
        p.pos = argv[i + 1:]
        return p
    p = Parsed(name, spec)
    p.verbose = verbose
    p.args = argv[i + 1:]
    try:
        _parse_command_args(p, p.args, cwd)
    except UsageError as e:
        e.command = e.command or name
        if not (name == "set-env" and e.kind == "flag" and e.message.startswith("unknown flag")):
            raise
        # command_parser.go: set-env re-parses with every dash token as a positional.
        p = Parsed(name, spec)
        p.verbose = verbose
        p.args = argv[i + 1:]
        _parse_command_args(p, p.args, cwd, dash_positional=True)
    return p


def _lookup(spec: dict) -> tuple[dict[str, dict], dict[str, dict]]:
    longs: dict[str, dict] = {}
    shorts: dict[str, dict] = {}
    for o in GLOBAL_OPTS + spec["opts"]:
        if o.get("l"):
            longs[o["l"]] = o
        if o.get("s"):
            shorts[o["s"]] = o
    return longs, shorts


def _parse_command_args(p: Parsed, args: list[str], cwd: str,
                        dash_positional: bool = False) -> None:
    longs, shorts = _lookup(p.spec)
    positionals: list[str] = []
    i = 0

    def set_opt(o: dict, argument: str | None, canarg: bool) -> None:
        nonlocal i
        if not o.get("v"):
            if argument is not None:
                raise UsageError("bool_arg", f"bool flag `{opt_str(o)}' cannot have an argument",
                                 p.name)
            if o.get("l") == "help":
                raise UsageError("help", command=p.name)
            if o.get("l") == "version" and o in GLOBAL_OPTS:
                p.verbose = True
                return
            p.opts[opt_key(o)] = True
            return
        if argument is None and canarg and i < len(args):
            value = args[i]
            i += 1
            if o.get("chk"):
                check_value(o, value, cwd)
            elif is_option(value) and not (o.get("neg") and len(value) > 1
                                           and value[1].isdigit()):
                raise UsageError("flag", f"expected argument for flag `{opt_str(o)}', but got "
                                         f"option `{value}'", p.name)
        elif argument is not None:
            value = argument
        else:
            raise UsageError("flag", f"expected argument for flag `{opt_str(o)}'", p.name)
        value = _unquote(o, value)
        value = check_value(o, value, cwd)
        key = opt_key(o)
        if o.get("acc"):
            lst = p.opts.setdefault(key, [])
            assert isinstance(lst, list)
            lst.append(value)
        else:
            p.opts[key] = value

    while i < len(args):
        arg = args[i]
        i += 1
        if dash_positional or not is_option(arg):
            positionals.append(arg)
            continue
        if arg.startswith("--"):
            name, eq, val = arg[2:].partition("=")
            o = longs.get(name)
            if o is None:
                raise UsageError("flag", f"unknown flag `{name}'", p.name)
            set_opt(o, val if eq else None, True)
            continue
        optname = arg[1:]
        argument: str | None = None
        if len(optname) > 1 and optname[1] == "=":
            optname, argument = optname[0], optname[2:]
        elif len(optname) > 1 and optname[0] in shorts and shorts[optname[0]].get("v"):
            optname, argument = optname[0], optname[1:]
        for k, c in enumerate(optname):
            o = shorts.get(c)
            if o is None:
                raise UsageError("flag", f"unknown flag `{c}'", p.name)
            set_opt(o, argument if k == 0 else None, k == len(optname) - 1)
            argument = None

    missing_flags = sorted(f"`{opt_str(o)}'" for o in p.spec["opts"]
                           if o.get("req") and opt_key(o) not in p.opts)
    if missing_flags:
        raise UsageError("flag", _required_text("flag", missing_flags, "specified"), p.name)

    slots = p.spec["pos"]
    missing: list[str] = []
    rest = list(positionals)
    for slot_name, required, variadic in slots:
        if variadic:
            got, rest = rest, []
            mins = 1 if required else 0
            if len(got) < mins:
                missing.append(f"`{slot_name} (at least 1 argument)`")
            p.pos.extend(got)
        elif rest:
            p.pos.append(rest.pop(0))
        elif required:
            missing.append(f"`{slot_name}`")
    if missing:
        raise UsageError("flag", _required_text("argument", missing, "provided"), p.name)
    p.extra = rest
    _check_positional_values(p)


def _required_text(what: str, names: list[str], verb: str) -> str:
    if len(names) == 1:
        return f"the required {what} {names[0]} was not {verb}"
    return (f"the required {what}s {', '.join(names[:-1])} and {names[-1]} were not {verb}")


def _check_positional_values(p: Parsed) -> None:
    pv = p.spec.get("pv")
    if not pv:
        return
    names = [s[0] for s in p.spec["pos"]]
    for idx, name in enumerate(names):
        rule = pv.get(name)
        if rule is None or idx >= len(p.pos):
            continue
        value = p.pos[idx]
        if rule["type"] == "enum":
            ok = value.lower() in rule["values"] if rule.get("ci") or rule.get(
                "case_insensitive") else value in rule["values"]
            if not ok and p.later_error is None:
                p.later_error = rule["error"].replace("<RESOURCE>", value)


# --- v6 legacy re-parse (cf/flags) ---------------------------------------------------

_GO_BOOL = {"1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"}


def legacy_reparse(p: Parsed, args: list[str]) -> None:
    """The old cf/flags parser that v6 legacy commands (and v7 ``curl``) run again.

    Rejects what go-flags accepted: combined shorts (``-fr``), glued values (``-nHOST``),
    and a positional count that differs from the exact number required.
    """
    lr = p.spec["legacy"]
    flags = lr["flags"]
    by_short = {v[0]: k for k, v in flags.items() if v[0]}
    positionals: list[str] = []
    args = list(args)
    c = 0
    while c < len(args):
        arg = args[c]
        if not lr["skip"] and arg.startswith("-"):
            flg = arg.lstrip("-")
            if "=" in flg:
                flg, val = flg.split("=", 1)
                args.insert(c + 1, val)
            name = flg if flg in flags else by_short.get(flg)
            if name is None:
                raise UsageError("legacy", "Incorrect Usage\n\nInvalid flag: " + arg, p.name)
            kind = flags[name][1]
            if kind == "bool":
                if c + 1 < len(args) and args[c + 1] in _GO_BOOL:
                    c += 1
            else:
                if c + 1 >= len(args):
                    raise UsageError("legacy", "Incorrect Usage\n\nNo value provided for flag: "
                                     + arg, p.name)
                c += 1
                if kind == "int" and not _is_int(args[c]):
                    raise UsageError("legacy", f"Incorrect Usage\n\nValue for flag '{name}' "
                                               "must be an integer", p.name)
        else:
            positionals.append(arg)
        c += 1
    if len(positionals) != lr["n"]:
        raise UsageError("legacy", lr["usage_error"], p.name)


# --- help ----------------------------------------------------------------------------


def help_text(major: int, name: str | None) -> str:
    """The command help the CLI prints with -h and after usage errors (approximate layout:
    NAME / USAGE / ALIAS / OPTIONS sections as `cf help CMD` prints them)."""
    vg = version_grammar(major)
    if name is None or name not in vg["commands"]:
        lines = ["cf - A command line tool to interact with Cloud Foundry", "",
                 "USAGE:", "   cf [global options] command [arguments...] [command options]",
                 "", "Commands:"]
        lines += [f"   {c}" for c in sorted(vg["commands"])]
        return "\n".join(lines) + "\n"
    spec = vg["commands"][name]
    out = ["NAME:", f"   {name} - {spec.get('desc', '')}", "", "USAGE:"]
    for u in spec.get("usage") or [f"cf {name}"]:
        out.append("   " + u.replace("CF_NAME", "cf"))
    if spec.get("aliases"):
        out += ["", "ALIAS:", "   " + ", ".join(spec["aliases"])]
    opts = [o for o in spec["opts"] if not o.get("hid")]
    if opts:
        out += ["", "OPTIONS:"]
        labels = []
        for o in opts:
            parts = ([f"--{o['l']}"] if o.get("l") else []) + ([f"-{o['s']}"] if o.get("s") else [])
            labels.append(", ".join(parts))
        width = max(len(lb) for lb in labels) + 6
        for lb, o in zip(labels, opts, strict=True):
            out.append(("   " + lb.ljust(width) + o.get("h", "")).rstrip())
    if spec.get("env"):
        out += ["", "ENVIRONMENT:"]
        for env_name, desc, default in spec["env"]:
            dflt = f"={default}" if default else "="
            out.append(f"   {(env_name + dflt).ljust(28)}{desc}")
    return "\n".join(out) + "\n"
