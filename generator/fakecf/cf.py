"""The stub `cf`: parse like the real CLI, run against the state file, log the call.

Flow of one invocation (all under the state lock unless a fault says otherwise):
count the call, apply an injected fault (fail / hang / signal), parse (go-flags
rules, then v7/v8 extra-argument check or the v6 legacy re-parse), run the command,
check the invariants after a mutating command, record the call, save, print.
"""

from __future__ import annotations

import importlib
import os
import re
import signal
import sys
import time
from collections.abc import Callable

from . import grammar, invariants
from . import state as S
from .core import CfError, Ctx, Out

# command -> (module, function). Modules are imported on demand: every cf call is a
# new process, and most calls need one module only.
COMMANDS = {
    "version": ("cmd_info", "cmd_version"), "help": ("cmd_info", "cmd_help"),
    "target": ("cmd_info", "cmd_target"), "api": ("cmd_info", "cmd_api"),
    "space": ("cmd_info", "cmd_space"), "services": ("cmd_info", "cmd_services"),
    "bind-service": ("cmd_info", "cmd_bind_service"),
    "unbind-service": ("cmd_info", "cmd_unbind_service"), "labels": ("cmd_info", "cmd_labels"),
    "set-label": ("cmd_info", "cmd_set_label"), "unset-label": ("cmd_info", "cmd_unset_label"),
    "app": ("cmd_apps", "cmd_app"), "apps": ("cmd_apps", "cmd_apps"),
    "push": ("cmd_apps", "cmd_push"), "start": ("cmd_apps", "cmd_start"),
    "stop": ("cmd_apps", "cmd_stop"), "restart": ("cmd_apps", "cmd_restart"),
    "restage": ("cmd_apps", "cmd_restage"), "delete": ("cmd_apps", "cmd_delete"),
    "rename": ("cmd_apps", "cmd_rename"), "scale": ("cmd_apps", "cmd_scale"),
    "create-app": ("cmd_apps", "cmd_create_app"),
    "v3-create-app": ("cmd_apps", "cmd_create_app"), "env": ("cmd_apps", "cmd_env"),
    "set-env": ("cmd_apps", "cmd_set_env"), "unset-env": ("cmd_apps", "cmd_unset_env"),
    "logs": ("cmd_apps", "cmd_logs"), "routes": ("cmd_routes", "cmd_routes"),
    "map-route": ("cmd_routes", "cmd_map_route"),
    "unmap-route": ("cmd_routes", "cmd_unmap_route"),
    "create-route": ("cmd_routes", "cmd_create_route"),
    "delete-route": ("cmd_routes", "cmd_delete_route"),
    "check-route": ("cmd_routes", "cmd_check_route"), "curl": ("ccapi", "cmd_curl"),
}


def _command(name: str) -> Callable[[Ctx], None] | None:
    where = COMMANDS.get(name)
    if where is None:
        return None
    module = importlib.import_module(f"{__package__}.{where[0]}")
    return getattr(module, where[1])


# Commands that change the foundation (cf curl: any method but GET).
MUTATING = {"push", "start", "stop", "restart", "restage", "delete", "rename", "scale",
            "map-route", "unmap-route", "create-route", "delete-route", "bind-service",
            "unbind-service", "set-env", "unset-env", "create-app", "v3-create-app",
            "set-label", "unset-label"}
DEFAULT_FAIL = "Server error, status code: 502, error code: 0, message: Bad Gateway"
HANG_MAX_SECONDS = 120.0


class DeferredHang(Exception):
    """Raised instead of sleeping when a server runs the stub (see ``server.py``):
    the waiting happens in the client process, so other callers are not blocked."""

    def __init__(self, seconds: float, index: int) -> None:
        super().__init__(seconds, index)
        self.seconds = seconds
        self.index = index


def main(argv: list[str], defer_hang: bool = False) -> int:
    path = os.environ.get("FAKECF_STATE")
    if not path:
        sys.stderr.write("fakecf: FAKECF_STATE is not set (path of the simulated foundation)\n")
        return 1
    cwd = os.getcwd()
    out = Out()
    with S.Locked(path) as lk:
        st = lk.state
        st["cf_calls"] += 1
        index = st["cf_calls"]
        entry = {"seq": S.next_seq(st), "index": index, "argv": list(argv),
                 "time": st["clock"], "status": None, "mutating": False, "fault": None}
        st["calls"].append(entry)
        fault = _take_fault(st, index, argv)
        lk.commit()
        kind = fault["kind"] if fault else None
        after = bool(fault and fault.get("after"))
        entry["fault"] = f"{kind} after the call took effect" if after else kind
        if kind is None or after:
            out = _execute(st, entry, argv, cwd)
        elif kind == "fail":
            entry["status"] = 1
            _print_error(out, fault.get("message") or DEFAULT_FAIL, legacy=False)
        elif kind == "signal":
            entry["status"] = 128 + int(_signal_of(fault))
    # The state is saved; only now does the caller see any output.
    if kind in (None, "fail"):
        if kind is None and st.get("live") and entry["mutating"]:
            from . import realtime  # live mode only: no import cost per simulated call

            realtime.await_instances(path, st, entry, out)
        return _finish(out, entry)
    if kind == "signal":
        sig = _signal_of(fault)
        target = os.environ.get("FAKECF_TARGET_PID")
        os.kill(int(target) if target else os.getppid(), sig)
        if after:
            # The change happened; the caller is told only after its signal.
            return _finish(out, entry)
        return 128 + int(sig)
    # hang: wait in real time without holding the lock, then run normally.
    assert fault is not None
    seconds = min(float(fault.get("seconds") or HANG_MAX_SECONDS), HANG_MAX_SECONDS)
    if defer_hang:
        raise DeferredHang(seconds, index)
    time.sleep(seconds)
    return resume(argv, index)


def _signal_of(fault: dict | None) -> signal.Signals:
    return signal.SIGTERM if (fault or {}).get("signal") == "TERM" else signal.SIGINT


def resume(argv: list[str], index: int) -> int:
    """Run call ``index`` after its injected hang."""
    path = os.environ["FAKECF_STATE"]
    cwd = os.getcwd()
    with S.Locked(path) as lk:
        st = lk.state
        entry = next(c for c in st["calls"] if c["index"] == index)
        lk.commit()
        out = _execute(st, entry, argv, cwd)
    if st.get("live") and entry["mutating"]:
        from . import realtime  # live mode only: no import cost per simulated call

        realtime.await_instances(path, st, entry, out)
    return _finish(out, entry)


def _finish(out: Out, entry: dict) -> int:
    out.flush()
    return int(entry["status"])


def _take_fault(st: dict, index: int, argv: list[str]) -> dict | None:
    """The first unfired fault that matches this call (fires once)."""
    joined = " ".join(argv)
    for f in st["faults"]:
        if f.get("fired"):
            continue
        hit = f.get("call") == index
        pat = f.get("match")
        if not hit and pat:
            hit = bool(re.search(pat, joined) or re.search(pat, "cf " + joined))
        if hit:
            f["fired"] = True
            f["fired_at_call"] = index
            return f
    return None


def _print_error(out: Out, message: str, legacy: bool) -> None:
    if legacy:
        out.o("FAILED")
        out.o(message)
    else:
        out.e(message)
        out.o("FAILED")


def _execute(st: dict, entry: dict, argv: list[str], cwd: str) -> Out:
    """Parse and run; fill ``entry`` (status, mutating, route snapshot)."""
    out = Out()
    major = st["cf_major"]
    try:
        parsed = grammar.parse(major, argv, cwd)
    except grammar.UsageError as e:
        entry["status"] = _usage(out, major, e)
        return out
    ctx = Ctx(st, parsed, out, argv, cwd, entry["index"])
    if parsed.spec:
        try:
            _post_parse_checks(ctx)
        except grammar.UsageError as e:
            entry["status"] = _usage(out, major, e)
            return out
    run = _command(parsed.name) if parsed.spec else None
    if run is None:
        out.e(f"fakecf: `cf {parsed.name}` is a valid cf {major} command but is not simulated")
        out.o("FAILED")
        entry["status"] = 1
        return out
    try:
        run(ctx)
        status = 0
    except CfError as e:
        _print_error(out, e.message, ctx.legacy)
        if e.usage:
            out.o()
            out.raw(grammar.help_text(major, parsed.name))
        status = e.code
    entry["status"] = status
    if parsed.name in MUTATING or ctx.changed:
        entry["mutating"] = True
        invariants.check(st, ctx.cause())
        entry["routes"], entry["served"] = invariants.snapshot(st)
    return out


def _post_parse_checks(ctx: Ctx) -> None:
    """v7/v8 refuse extra positionals; v6 legacy commands and v7 curl re-parse."""
    p = ctx.p
    if p.extra and p.spec.get("extra") == "error":
        raise grammar.UsageError("extra", f'Incorrect Usage: unexpected argument '
                                          f'"{" ".join(p.extra)}"', p.name)
    if ctx.legacy:
        grammar.legacy_reparse(p, p.args)


def _usage(out: Out, major: int, e: grammar.UsageError) -> int:
    """Print a parse-stage refusal exactly where the real CLI prints it."""
    if e.kind == "help":
        out.raw(grammar.help_text(major, e.command))
        return 0
    if e.kind == "bool_arg":
        out.e(f"Unexpected flag error\ntype: no argument for bool\nmessage: {e.message}")
        return 0
    if e.kind == "unknown_command":
        msg = f"'{e.message}' is not a registered command. See 'cf help -a'"
        out.o(msg) if major == 6 else out.e(msg)
        return 1
    if e.kind == "flag":
        out.e(f"Incorrect Usage: {e.message}\n")
        out.raw(grammar.help_text(major, e.command))
        return 1
    if e.kind == "extra":
        out.e(e.message)
        out.o("FAILED")
        out.o()
        out.raw(grammar.help_text(major, e.command))
        return 1
    # legacy re-parse: everything on stdout
    out.o("FAILED")
    out.o(f"{e.message}\n")
    out.raw(grammar.help_text(major, e.command))
    return 1
