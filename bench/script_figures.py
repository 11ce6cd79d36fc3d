"""Figures of the emitted scripts of the example profiles: length, and cf calls per situation.

The cf calls are counted from real runs of the scripts on the simulated
foundation (generator.rehearsal.Sandbox), each situation seeded fresh, so they
are what a deploy makes, not what the template seems to say.

Run: python bench/script_figures.py (the figures of this checkout's templates)
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.batch import load_batch  # noqa: E402
from generator.model import Profile  # noqa: E402
from generator.rehearsal import Sandbox  # noqa: E402
from generator.render import SCRIPTS, render_profile  # noqa: E402


@dataclass(frozen=True)
class Situation:
    """A column of the cf calls table."""

    title: str
    seed: str
    script: str
    target: int | None
    """The issue's target for the Sinatra profile (None: no target)."""


SITUATIONS = (
    Situation("first deploy", "first-deploy", "deploy.sh", 12),
    # The first color deployed by hand (no record); the idle color does not exist yet.
    Situation("deploy, first color live", "blue-live", "deploy.sh", 15),
    # The second color live, the first stopped as the rollback target.
    Situation("deploy, second color live", "green-live", "deploy.sh", 15),
    Situation("rollback", "green-live", "rollback.sh", 15),
)
TARGET_PROFILE = "sinatra"

_CHANGING_CURL_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
_READ_ONLY_COMMANDS = {"version", "space", "spaces", "app", "apps", "routes", "services",
                       "service", "domains", "curl", "target"}


def is_read_only(argv: list[str]) -> bool:
    """A cf call that changes nothing on the foundation (nor cf's own target)."""
    if not argv or argv[0] not in _READ_ONLY_COMMANDS:
        return False
    if argv[0] == "target":
        return len(argv) == 1
    if argv[0] == "curl":
        methods = {argv[i + 1].upper() for i, word in enumerate(argv[:-1]) if word == "-X"}
        return not methods & _CHANGING_CURL_METHODS and "-d" not in argv
    return True


@dataclass(frozen=True)
class Calls:
    """The cf calls of one script run."""

    exit_code: int
    total: int
    read_only: int

    def cell(self) -> str:
        text = f"{self.total} ({self.read_only} reads)"
        return text if self.exit_code == 0 else f"{text} EXIT {self.exit_code}"


def line_counts(profile: Profile) -> dict[str, int]:
    """Lines of each emitted script."""
    return {name: text.count("\n") for name, text in render_profile(profile).items()}


def cf_calls(profile: Profile, situation: Situation) -> Calls:
    """Run one situation on a fresh simulated foundation and count its cf calls."""
    with (tempfile.TemporaryDirectory(prefix="cf-bluegreen-bench-") as tmp,
          Sandbox(profile, Path(tmp)) as sandbox):
        sandbox.seed(situation.seed)
        args = ("--path", str(sandbox.app_dir("v2"))) if situation.script == "deploy.sh" else ()
        run = sandbox.run(situation.script, *args)
    argvs = run.cf_argvs()
    return Calls(run.exit_code, len(argvs), sum(is_read_only(argv) for argv in argvs))


def table(header: list[str], rows: list[list[str]]) -> str:
    """A plain text table, first column left-aligned, the others right-aligned."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i])
                         for i, cell in enumerate(cells)).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def report(profiles: list[Profile]) -> str:
    """The tables for the example profiles, with the issue's targets."""
    lengths = [[p.name, *(str(line_counts(p)[s]) for s in SCRIPTS)] for p in profiles]
    measured = {p.name: [cf_calls(p, s) for s in SITUATIONS] for p in profiles}
    calls = [[name, *(c.cell() for c in row)] for name, row in measured.items()]
    targets = [f"target ({TARGET_PROFILE})",
               *(f"<= {s.target}" if s.target is not None else "" for s in SITUATIONS)]
    sections = [
        "Lines per emitted script (example profiles)\n"
        + table(["profile", *SCRIPTS], lengths),
        "cf calls per situation (simulated foundation; reads = read-only calls)\n"
        + table(["profile", *(s.title for s in SITUATIONS)], [*calls, targets]),
    ]
    if TARGET_PROFILE in measured:
        sections.append(f"cf calls of the {TARGET_PROFILE} profile vs the issue's targets\n"
                        + table(["situation", "target", "actual", "verdict"],
                                target_rows(measured[TARGET_PROFILE])))
    return "\n\n".join(sections)


def target_rows(calls: list[Calls]) -> list[list[str]]:
    """One row per situation with a target: target, actual, and whether it is met."""
    rows = []
    for situation, measured in zip(SITUATIONS, calls, strict=True):
        if situation.target is None:
            continue
        met = measured.exit_code == 0 and measured.total <= situation.target
        verdict = "met" if met else ("OVER" if measured.exit_code == 0
                                     else f"EXIT {measured.exit_code}")
        rows.append([situation.title, f"<= {situation.target}", str(measured.total), verdict])
    return rows


def main() -> None:
    print(report(load_batch([ROOT / "profiles"])))


if __name__ == "__main__":
    main()
