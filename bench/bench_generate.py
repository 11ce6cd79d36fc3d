"""Benchmarks: print figures, assert nothing (timing belongs here, not in tests).

- generation: render + lint of the bundled profiles (cold, then memoised lint),
  and render only, per script;
- the simulated foundation: one stub call through the resident server and
  through a fresh interpreter per call;
- one full deploy on the simulator, and peak memory of the generator.

Run: python bench/bench_generate.py
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.batch import load_batch, render_batch  # noqa: E402
from generator.fakecf import Foundation, StubServer, install  # noqa: E402
from generator.profile import load_profile  # noqa: E402
from generator.rehearsal import Sandbox  # noqa: E402
from generator.render import make_environment, render_profile  # noqa: E402


def timed(function, repeat: int = 5) -> tuple[float, object]:
    samples = []
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), result


def main() -> None:
    profiles = load_batch([ROOT / "profiles"])
    scripts = 3 * len(profiles)
    started = time.perf_counter()
    render_batch(profiles)
    cold = time.perf_counter() - started
    print(f"generate (render + shellcheck) of {scripts} scripts, cold: {cold:.2f} s "
          f"({cold / scripts * 1000:.0f} ms per script)")
    warm, _ = timed(lambda: render_batch(profiles))
    print(f"generate again (lint memoised per text):      {warm * 1000:.0f} ms")
    env = make_environment()
    render, _ = timed(lambda: [render_profile(p, env) for p in profiles], repeat=20)
    print(f"render only:                                   {render / scripts * 1000:.1f} ms "
          "per script")

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        Foundation.create(root / "state.json")
        per_call = install(root / "percall", root / "state.json")
        server = StubServer(root / "served", root / "state.json")
        for label, stub_env in (("fresh interpreter", per_call), ("resident server", server.env)):
            def call(stub_env=stub_env) -> None:
                subprocess.run(["cf", "apps"], env=stub_env, capture_output=True, check=True)
            seconds, _ = timed(call, repeat=30)
            print(f"one stub cf call, {label + ':':<19}        {seconds * 1000:.1f} ms")
        server.close()

        profile = load_profile(ROOT / "profiles" / "shop.toml")
        with Sandbox(profile, root / "sandbox") as sandbox:
            sandbox.seed("blue-live")
            started = time.perf_counter()
            run = sandbox.run("deploy.sh")
            took = time.perf_counter() - started
            print(f"one deploy of shop on the simulator:            {took:.2f} s "
                  f"({len(run.calls)} cf calls, {len(run.events)} probes/sleeps, "
                  f"exit {run.exit_code})")

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak memory of this process:                    {peak / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
