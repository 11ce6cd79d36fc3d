"""Negative controls: the same router and prober must see downtime where there is some.

The same situation (sinatra, v0 live on sinatra_a, router lag 1 s) deployed four
ways: our deploy.sh (zero failed requests), deploy.sh with the old color stopped
before it is unmapped, deploy.sh with zero drain, and the anynines guide's
manual procedure as a plain script. Each control must show failed requests;
the figures are printed side by side at the end of the test session.
"""

from __future__ import annotations

import pytest

from generator.live.analysis import summary_table
from generator.live.controls import manual_procedure, stop_before_unmap, zero_drain
from generator.live.story import Step, run_story
from tests.live.conftest import MIN_REQUESTS, TOTAL_RATE, live_example

pytestmark = [pytest.mark.live, pytest.mark.timeout(120)]

VARIANTS = {
    "ours": "deploy.sh as generated",
    "stop-before-unmap": "deploy.sh, old color stopped before its live route is unmapped",
    "zero-drain": "deploy.sh generated with drain_seconds = 0",
    "manual-procedure": "the anynines guide's manual procedure, as a plain script",
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_negative_controls_see_downtime(variant: str, make_world, record_property) -> None:
    profile = live_example("sinatra")
    if variant == "zero-drain":
        profile = zero_drain(profile)
    world = make_world(profile)
    world.seed("blue-live")
    app = str(world.sandbox.app_dir("v1"))
    if variant == "manual-procedure":
        manual_procedure(profile, world.sandbox.scripts / "manual.sh", world.sandbox.app_dir("v1"))
        # It is over in a second: keep the traffic up long enough to count 1,000.
        step = Step(VARIANTS[variant], "manual.sh", hold_after=MIN_REQUESTS / TOTAL_RATE + 1)
    elif variant == "stop-before-unmap":
        env = stop_before_unmap(profile, world.root / "control-bin", world.root / "bin" / "cf",
                                world.sandbox.env["PATH"])
        step = Step(VARIANTS[variant], "deploy.sh", ("--path", app),
                    extra_env=tuple(env.items()))
    else:
        step = Step(VARIANTS[variant], "deploy.sh", ("--path", app))
    result = run_story(world, [step])
    summary = result.summaries[0]
    print(summary_table(result.summaries))
    record_property("live_control", {"variant": variant, "what": VARIANTS[variant],
                                     "requests": summary.requests, "failed": summary.failed,
                                     "exit": result.runs[0].run.exit_code,
                                     "failures": summary.failures})
    assert not result.world_errors
    assert summary.requests >= MIN_REQUESTS
    assert summary.to_version == "v1", summary.versions  # every variant did switch
    if variant == "ours":
        assert result.runs[0].run.exit_code == 0, result.runs[0].run.stderr
        assert summary.failed == 0, summary.failures
    else:
        assert summary.failed > 0, f"{variant} should drop requests under router lag"
