"""Benchmarks: print figures, assert nothing (timing belongs here, not in tests).

1. the example profiles' scripts: lines per script, and cf calls per situation
   from real runs on the simulated foundation (with the issue's targets);
2. a generated fleet (default 1,000 profiles): check, cold and warm generate,
   next to shellcheck alone over the same files, and peak memory;
3. the simulated foundation: one stub cf call, resident server vs fresh interpreter.

Run: python bench/bench_generate.py [--profiles N]
The cold 1,000-profile run is ~3,000 scripts of shellcheck (~20 minutes on 2
cores, twice: once alone, once by generate); CI runs a small fleet.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import fleet_timings  # noqa: E402
import script_figures  # noqa: E402

from generator.batch import load_batch  # noqa: E402
from generator.fakecf import Foundation, StubServer, install  # noqa: E402


def stub_call_latency(repeat: int = 30) -> str:
    """Median wall time of one ``cf apps`` through each kind of stub."""
    lines = ["One stub cf call (median of 30)"]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        Foundation.create(root / "state.json")
        per_call = install(root / "percall", root / "state.json")
        server = StubServer(root / "served", root / "state.json")
        try:
            for label, env in (("fresh interpreter", per_call), ("resident server", server.env)):
                samples = []
                for _ in range(repeat):
                    started = time.perf_counter()
                    subprocess.run(["cf", "apps"], env=env, capture_output=True, check=True)
                    samples.append(time.perf_counter() - started)
                lines.append(f"  {label}: {statistics.median(samples) * 1000:.1f} ms")
        finally:
            server.close()
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="cf-bluegreen benchmarks (figures only)")
    parser.add_argument("--profiles", type=int, default=1000,
                        help="size of the generated fleet (default 1000)")
    arguments = parser.parse_args()
    sections = [
        lambda: script_figures.report(load_batch([ROOT / "profiles"])),
        lambda: fleet_timings.report(arguments.profiles),
        stub_call_latency,
    ]
    for section in sections:
        print(section(), end="\n\n", flush=True)


if __name__ == "__main__":
    main()
