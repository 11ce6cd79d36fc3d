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
