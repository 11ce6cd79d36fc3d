"""check and generate over a generated fleet, next to the same shellcheck work run directly.

Each command runs in a fresh process (bench/run_measured.py) with a cache
folder of its own, so a cold run is really cold. "shellcheck alone" is the
shellcheck binary run by xargs over the very files the cold run wrote, in the
batch size and with the parallelism the generator chose: the work the cold run
cannot avoid. Its ratio is the generator's whole overhead (start-up, loading,
rendering, the bash 3.2 scan, writing, the cache).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from fleet import write_fleet
from script_figures import table

from generator.shellcheck import SHELLCHECK_ARGS, plan_batches, shellcheck_binary, worker_count

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Measured:
    """One command's wall time and the generator's own CPU and memory."""

    wall: float
    cpu: float
    children_cpu: float
    max_rss_mib: float
    children_max_rss_mib: float


def run_cli(arguments: list[str], env: dict[str, str], scratch: Path) -> Measured:
    """``cf-bluegreen ARGUMENTS`` in a fresh process; fails loudly if the command failed."""
    report = scratch / "usage.json"
    started = time.perf_counter()
    result = subprocess.run([sys.executable, str(HERE / "run_measured.py"), str(report),
                             *arguments], env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"cf-bluegreen {' '.join(arguments)} failed "
                         f"(exit {result.returncode}):\n{result.stderr[-3000:]}")
    usage = json.loads(report.read_text())
    own, children = usage["self"], usage["children"]
    return Measured(wall, own["user"] + own["system"], children["user"] + children["system"],
                    own["max_rss_mib"], children["max_rss_mib"])


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def shellcheck_alone(files: list[Path]) -> tuple[float, float]:
    """Wall and CPU seconds of xargs running shellcheck over ``files`` in the generator's
    batches (the CPU is load-independent, so its ratio shows overhead through the noise)."""
    size = plan_batches(len(files), worker_count())
    cpu_before = _children_cpu()
    started = time.perf_counter()
    result = subprocess.run(
        ["xargs", "-0", "-P", str(worker_count()), "-n", str(size), shellcheck_binary(),
         *SHELLCHECK_ARGS],
        input="\0".join(map(str, files)), capture_output=True, text=True, check=False,
    )
    wall = time.perf_counter() - started
    cpu = _children_cpu() - cpu_before
    if result.returncode != 0:
        raise SystemExit(f"shellcheck alone failed (exit {result.returncode}): "
                         f"{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return wall, cpu


def report(count: int, repeat: int = 3) -> str:
    """The fleet table for ``count`` generated profiles."""
    with tempfile.TemporaryDirectory(prefix="cf-bluegreen-fleet-") as tmp:
        root = Path(tmp)
        profiles = root / "profiles"
        write_fleet(profiles, count)
        out = root / "out"
        env = dict(os.environ, CF_BLUEGREEN_CACHE_DIR=str(root / "cache"))
        cold = run_cli(["generate", str(profiles), "-o", str(out)], env, root)
        scripts = sorted(out.glob("*/*.sh"))
        alone, alone_cpu = shellcheck_alone(scripts)
        warm = [run_cli(["generate", str(profiles), "-o", str(out)], env, root)
                for _ in range(repeat)]
        fresh = run_cli(["generate", str(profiles), "-o", str(root / "out2")], env, root)
        check = [run_cli(["check", str(profiles), "-o", str(out)], env, root)
                 for _ in range(repeat)]

    def median(runs: list[Measured]) -> Measured:
        return sorted(runs, key=lambda m: m.wall)[len(runs) // 2]

    def row(label: str, m: Measured, target: str) -> list[str]:
        total = m.cpu + m.children_cpu
        return [label, f"{m.wall:.2f}", f"{m.wall / alone:.2f}x", f"{m.cpu:.2f}",
                f"{total:.1f}", f"{total / alone_cpu:.2f}x",
                f"{m.max_rss_mib:.0f}", f"{m.children_max_rss_mib:.0f}", target]

    rows = [
        ["shellcheck alone (xargs)", f"{alone:.2f}", "1.00x", "", f"{alone_cpu:.1f}", "1.00x",
         "", "", ""],
        row("generate, cold cache", cold, "<= 1.10x alone"),
        row("generate, warm, out/ up to date", median(warm), "< 10 s"),
        row("generate, warm, empty out/", fresh, "< 10 s"),
        row("check", median(check), "< 5 s"),
    ]
    peak = max(m.max_rss_mib for m in [cold, *warm, fresh, *check])
    return "\n".join([
        f"{count} generated profiles ({len(scripts)} scripts) on {worker_count()} cores, "
        f"shellcheck in batches of {plan_batches(len(scripts), worker_count())}; "
        f"warm and check rows: median of {repeat}",
        "wall s: elapsed (the targets). own CPU: the generator process's user+system s;",
        "all CPU: with its shellcheck children, whose ratio to shellcheck alone is the",
        "overhead without the machine's noise. RSS: peak resident MiB of the generator",
        "process (RUSAGE_SELF); child RSS: of the largest shellcheck (RUSAGE_CHILDREN).",
        table(["command", "wall s", "vs alone", "own CPU", "all CPU", "vs alone", "RSS",
               "child RSS", "target (wall)"], rows),
        f"peak memory of the generator process over all runs: {peak:.0f} MiB (target < 300)",
    ])
