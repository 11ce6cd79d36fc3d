"""What every simulated `cf` command shares: buffered output, errors, the context.

Output is buffered and written only after the state has been saved, so a command
either happened (state + its output) or, if the process dies first, did not.
"""

from __future__ import annotations

import sys

from . import state as S
from .grammar import Parsed


class CfError(Exception):
    """A command failure: message on stderr + ``FAILED`` on stdout (v7/v8 and refactored
    v6 commands) or both on stdout (legacy code paths). ``usage`` adds the command help."""

    def __init__(self, message: str, code: int = 1, usage: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.usage = usage


class Out:
    """Ordered stdout/stderr buffer."""

    def __init__(self) -> None:
        self.parts: list[tuple[int, str]] = []

    def o(self, text: str = "") -> None:
        self.parts.append((1, text + "\n"))

    def e(self, text: str) -> None:
        self.parts.append((2, text + "\n"))

    def raw(self, text: str, stream: int = 1) -> None:
        self.parts.append((stream, text))

    def ok(self) -> None:
        """``OK`` and one blank line (ui.DisplayOK)."""
        self.o("OK")
        self.o()

    def lines(self, rows: list[str]) -> None:
        for r in rows:
            self.o(r)

    def flush(self) -> None:
        for stream, t in self.parts:
            f = sys.stdout if stream == 1 else sys.stderr
            f.write(t)
            f.flush()
        self.parts.clear()


def table(rows: list[list[str]], padding: int = 3, prefix: str = "") -> list[str]:
    """ui.DisplayNonWrappingTable: each column padded to its widest cell + ``padding``,
    the last column unpadded; empty rows are dropped (DisplayKeyValueTable)."""
    rows = [r for r in rows if r]
    if not rows:
        return []
    ncol = len(rows[0])
    widths = [max(len(r[c]) for r in rows) + padding for c in range(ncol)]
    out = []
    for r in rows:
        cells = [r[c].ljust(widths[c]) if c + 1 < ncol else r[c] for c in range(ncol)]
        out.append(prefix + "".join(cells))
    return out


class Ctx:
    """One `cf` invocation: parsed line, state, output, and who/where/when."""

    def __init__(self, st: dict, parsed: Parsed, out: Out, argv: list[str], cwd: str,
                 call_index: int) -> None:
        self.st = st
        self.p = parsed
        self.out = out
        self.argv = argv
        self.cwd = cwd
        self.call_index = call_index
        self.major: int = st["cf_major"]
        self.legacy = bool(parsed.spec.get("legacy")) and (
            self.major == 6 or parsed.name == "curl")
        self.changed = False

    # -- who / where / when ----------------------------------------------------------
    @property
    def now(self) -> float:
        return self.st["clock"]

    @property
    def user(self) -> str:
        return self.st["user"]

    @property
    def org(self) -> dict:
        org = S.targeted_org(self.st)
        assert org is not None
        return org

    @property
    def space(self) -> dict:
        space = S.targeted_space(self.st)
        assert space is not None
        return space

    def where(self) -> str:
        """``org O / space S as U`` as the CLI's progress lines print it."""
        return f"org {self.org['name']} / space {self.space['name']} as {self.user}"

    def minor(self) -> tuple[int, int, int]:
        core = self.st["cli_version"].split("+", 1)[0]
        parts = [int(x) if x.isdigit() else 0 for x in core.split(".")[:3]]
        while len(parts) < 3:
            parts.append(0)
        return parts[0], parts[1], parts[2]

    def cause(self) -> dict:
        return {"call": self.call_index, "argv": ["cf", *self.argv]}

    # -- checks ------------------------------------------------------------------------
    def check_target(self, org: bool = True, space: bool = True) -> None:
        """actor/sharedaction/check_target.go (v6 legacy: cf/requirements)."""
        if not self.st["api"]:
            raise CfError("No API endpoint set. Use 'cf login' or 'cf api' to target an endpoint.")
        if not self.st["logged_in"]:
            raise CfError("Not logged in. Use 'cf login' or 'cf login --sso' to log in.")
        if org and S.targeted_org(self.st) is None:
            if self.legacy and space:
                raise CfError("No org and space targeted, use 'cf target -o ORG -s SPACE' to "
                              "target an org and space")
            raise CfError("No org targeted, use 'cf target -o ORG' to target an org.")
        if org and space and S.targeted_space(self.st) is None:
            if self.legacy:
                raise CfError("No space targeted, use 'cf target -s' to target a space.")
            raise CfError("No space targeted, use 'cf target -s SPACE' to target a space.")

    def app(self, name: str) -> dict | None:
        return S.app_by_name(self.st, name, self.space["guid"])

    def need_app(self, name: str) -> dict:
        a = self.app(name)
        if a is None:
            raise CfError(f"App {name} not found" if self.legacy else f"App '{name}' not found.")
        return a

    def need_domain(self, name: str) -> dict:
        d = S.domain_by_name(self.st, name)
        if d is None:
            raise CfError(f"Domain {name} not found" if self.legacy
                          else f"Domain '{name}' not found.")
        return d

    def read_stdin_line(self) -> str | None:
        """One answer line for a prompt; None at EOF (scripts run cf </dev/null)."""
        line = sys.stdin.readline()
        return line.rstrip("\n") if line else None
