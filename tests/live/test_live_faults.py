"""Live faults: a build that fails once it is live, and an interrupted cutover.

- verify_live: v1 passes every check on staging and on the live route, then
  fails once the old color has left the live routes (its instances are made to
  answer 500 at that moment). The drain's live check must switch traffic back
  to v0 (exit 3), and the failed requests in between are counted and reported,
  not hidden.
- SIGINT lands on deploy.sh just before it unmaps the old color (both colors on
  the live route); a re-run finishes the move. Zero failed requests over the
  whole sequence.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from generator.fakecf import state as S
from generator.live.analysis import summary_table
from generator.live.controls import replace_fields
from generator.live.report import render
from generator.live.story import Step, run_story
from generator.live.world import LiveWorld
from tests.live.conftest import MIN_REQUESTS, live_example, wait_for

pytestmark = [pytest.mark.live, pytest.mark.timeout(120)]


def _alone_on_live(world: LiveWorld, new: str, old: str) -> Callable[[dict], bool]:
    """A state predicate: ``new`` holds every live route (in Cloud Controller) and
    ``old`` none."""
    urls = {r.url.lower() for r in world.profile.live_routes}

    def holds(st: dict, name: str) -> set[str]:
        app = next((a for a in st["apps"] if a["name"] == name), None)
        if app is None:
            return set()
        return {S.route_url(st, r).lower() for r in S.app_routes(st, app["guid"])}

    return lambda st: urls <= holds(st, new) and not urls & holds(st, old)


def test_verify_live_switches_back_and_reports_the_failures(make_world) -> None:
    profile = live_example("shop", drain=4)
    assert profile.cutover.verify_live
    world = make_world(profile)
    world.seed("blue-live")
    blue, green = profile.colors
    degraded: list[int] = []
    world.when(_alone_on_live(world, green, blue), lambda: degraded.append(world.degrade(green)))
    result = run_story(world, [Step("deploy v1 (fails once live)", "deploy.sh",
                                    ("--path", str(world.sandbox.app_dir("v1"))),
                                    hold_after=3)])
    summary = result.summaries[0]
    table = summary_table(result.summaries)
    print(table)
    run = result.runs[0].run
    assert degraded == [2], "v1 never took the live routes alone"
    assert run.exit_code == 3, run.stderr
    assert "switching back" in run.stderr
    assert summary.to_version == "v0", summary.versions  # traffic is back on the old color
    assert summary.versions == ("v0", "v1")
    assert summary.requests >= MIN_REQUESTS
    assert summary.failed > 0  # the degraded build did fail live requests ...
    assert f"failed in {summary.label}: " in table  # ... and they are reported
    assert f"{summary.failed}" in table.splitlines()[2]
    assert f"{summary.failed:,} failed of" in render(result)
    wait_for(lambda: not world.processes(green), what="the failed build's processes to stop")
    assert set(world.instance_versions(blue)) == {"v0"}


def test_sigint_mid_cutover_then_rerun_drops_no_request(make_world) -> None:
    profile = live_example("sinatra")
    world = make_world(profile)
    world.seed("blue-live")
    blue, green = profile.colors
    # SIGINT reaches deploy.sh as it is about to unmap the old color: both hold the route.
    world.sandbox.foundation.set_fault(signal="INT", signal_match=f"^unmap-route {blue} ")
    args = ("--path", str(world.sandbox.app_dir("v1")))
    result = run_story(world, [Step("deploy v1, interrupted mid-cutover", "deploy.sh", args),
                               Step("deploy v1, run again", "deploy.sh", args)])
    print(summary_table(result.summaries))
    interrupted, rerun = result.runs
    assert interrupted.run.exit_code == 130, interrupted.run.stderr
    assert "interrupted by SIGINT" in interrupted.run.stderr
    assert rerun.run.exit_code == 0, rerun.run.stderr
    assert sum(s.requests for s in result.summaries) >= MIN_REQUESTS
    assert [s.failed for s in result.summaries] == [0, 0]
    assert result.summaries[0].versions == ("v0", "v1")  # both answered when it stopped
    assert result.summaries[1].to_version == "v1"
    wait_for(lambda: not world.processes(blue), what=f"{blue} to stop")
    assert set(world.instance_versions(green)) == {"v1"}


# --- the scripts' HTTP probing against real servers ---------------------------------
# Found by the live mode: once, verify_live probed only instance 0 of the new
# color, and a hanging build was probed for attempts x --max-time instead of
# timeout_seconds.


def test_verify_live_catches_a_failing_instance_other_than_0(make_world) -> None:
    """The drain's live check probes every instance of the new color
    (``X-CF-APP-INSTANCE: GUID:INDEX``): when instance 1 fails once live, every
    other live request fails, and the deploy must switch back (exit 3)."""
    profile = live_example("shop", drain=4)
    world = make_world(profile)
    world.seed("blue-live")
    blue, green = profile.colors
    world.when(_alone_on_live(world, green, blue), lambda: world.degrade(green, indexes=(1,)))
    result = run_story(world, [Step("deploy v1 (instance 1 fails once live)", "deploy.sh",
                                    ("--path", str(world.sandbox.app_dir("v1"))),
                                    hold_after=2)])
    summary = result.summaries[0]
    print(summary_table(result.summaries))
    assert summary.failed > 0  # the prober and router see instance 1's failures
    run = result.runs[0].run
    assert run.exit_code == 3, run.stderr
    assert "instance 1" in run.stderr and "switching back" in run.stderr
    assert summary.to_version == "v0"


def test_health_timeout_bounds_probing_of_a_hanging_build(make_world) -> None:
    """A build that accepts connections and never answers (a deadlock) must be given
    up after ``timeout_seconds`` of probing, live untouched: each probe's
    ``--max-time`` is cut to what is left of the timeout."""
    profile = live_example("sinatra")
    profile = replace_fields(profile, health=replace_fields(profile.health, timeout_seconds=3))
    world = make_world(profile)
    world.seed("blue-live")
    green = profile.colors[1]

    def listening(st: dict) -> bool:
        app = next((a for a in st["apps"] if a["name"] == green), None)
        return bool(app and app["state"] == "STARTED"
                     and sum(1 for i in world.supervisor.running()
                             if i.app_name == green and i.port) >= app["instances"])

    world.when(listening, lambda: world.degrade(green, how="hang"))
    result = run_story(world, [Step("deploy v1 (hangs)", "deploy.sh",
                                    ("--path", str(world.sandbox.app_dir("v1"))))])
    run, summary = result.runs[0].run, result.summaries[0]
    print(summary_table(result.summaries))
    assert run.exit_code == 3, run.stderr  # unhealthy: taken back down ...
    assert summary.failed == 0 and summary.versions == ("v0",)  # ... live untouched
    # Probing starts once the staging route is mapped (cf push started the app).
    staging = profile.staging_route.host
    start = next(c for c in result.calls
                 if c["argv"][:1] == ["map-route"] and staging in c["argv"])
    after = next(c for c in result.calls if c["index"] > start["index"])  # giving up
    probing = after["time"] - start["time"]
    # Probing ends within timeout_seconds (no probe outlasts what is left of it);
    # the slack is the start-up of the instances and one interval.
    bound = profile.health.timeout_seconds + profile.health.interval_seconds + 2
    assert probing <= bound, f"probing a hanging build took {probing:.1f}s"
