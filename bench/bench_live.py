"""Benchmark: the live rehearsal's figures (prints a table; asserts nothing).

For each web example profile, on a live world (real nginx, real app processes,
real curl/sleep/date, the prober at RATE requests/s per live route, router lag
LAG s), starting with v0 live on the first color:

- deploy v1, then roll back to v0: failed / total requests, p99 latency before
  the cutover and during it (cutover + drain), how long both versions answered,
  and the wall time of each phase (push, health, cutover, drain);
- the anynines guide's manual procedure from the same start, as a plain script:
  its failed / total requests next to ours.

Run: python bench/bench_live.py [--quick] [--rate N] [--lag S] [--profile NAME ...]
(--quick rehearses copies of the profiles with settle 1 s, drain 3 s, interval
1 s; without it, the profiles' own waits are used, as a real deploy would).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.live.analysis import RunSummary  # noqa: E402
from generator.live.controls import manual_procedure  # noqa: E402
from generator.live.story import Step, run_story, with_timings  # noqa: E402
from generator.live.world import LiveSettings, LiveWorld  # noqa: E402
from generator.profile import load_profile  # noqa: E402

PHASES = ("push", "health", "cutover", "drain")


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _row(profile: str, run: str, s: RunSummary, exit_code: int) -> list[str]:
    phases = [f"{s.phases[p][1] - s.phases[p][0]:.2f}" if p in s.phases else "-"
              for p in PHASES]
    both = "-" if s.switch_seconds is None else f"{s.switch_seconds:.2f}"
    return [profile, run, str(exit_code), f"{s.failed}/{s.requests}", _ms(s.p99_before_ms),
            _ms(s.p99_cutover_ms), both, *phases, f"{s.ended - s.started:.2f}"]


def bench_profile(name: str, quick: bool, settings: LiveSettings) -> list[list[str]]:
    profile = load_profile(ROOT / "profiles" / f"{name}.toml")
    if quick:
        profile, _ = with_timings(profile, settle=1, drain=3, interval=1)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-live-") as tmp:
        with LiveWorld(profile, Path(tmp) / "ours", settings) as world:
            world.seed("blue-live")
            result = run_story(world, [
                Step("deploy", "deploy.sh", ("--path", str(world.sandbox.app_dir("v1")))),
                Step("rollback", "rollback.sh")])
            for summary, run in zip(result.summaries, result.runs, strict=True):
                rows.append(_row(name, summary.label, summary, run.run.exit_code))
        with LiveWorld(profile, Path(tmp) / "manual", settings) as world:
            world.seed("blue-live")
            script = manual_procedure(profile, world.sandbox.scripts / "manual.sh",
                                      world.sandbox.app_dir("v1"))
            result = run_story(world, [Step("manual", script.name, hold_after=5)])
            summary = result.summaries[0]
            rows.append(_row(name, "manual procedure", summary, result.runs[0].run.exit_code))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="settle 1 s, drain 3 s, interval 1 s")
    parser.add_argument("--rate", type=float, default=50.0, help="requests/s per live route")
    parser.add_argument("--lag", type=float, default=2.0, help="router lag, seconds")
    parser.add_argument("--profile", action="append", default=None,
                        help="minimal, sinatra, shop (default: all three)")
    args = parser.parse_args()
    settings = LiveSettings(router_lag=args.lag, rate=args.rate)
    started = time.monotonic()
    head = ["profile", "run", "exit", "failed/total", "p99 ms before", "p99 ms cutover",
            "both answered s", *[f"{p} s" for p in PHASES], "run s"]
    rows = [head]
    for name in args.profile or ["minimal", "sinatra", "shop"]:
        rows += bench_profile(name, args.quick, settings)
    widths = [max(len(r[c]) for r in rows) for c in range(len(head))]
    mode = "quick (settle 1 s, drain 3 s, interval 1 s)" if args.quick else "profiles' own waits"
    print(f"live rehearsal: router lag {args.lag:g} s, {args.rate:g} requests/s per live route, "
          f"{mode}")
    for n, row in enumerate(rows):
        print("  ".join(cell.rjust(widths[c]) if c > 1 else cell.ljust(widths[c])
                        for c, cell in enumerate(row)))
        if n == 0:
            print("  ".join("-" * w for w in widths))
    print(f"(benchmark took {time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
