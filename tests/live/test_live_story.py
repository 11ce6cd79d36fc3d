"""Deploy v1 (first deploy), deploy v2, roll back to v1 — live, for three profiles.

Each run must answer at least 1,000 requests with zero failures, the version
answering must switch v1 -> v2 -> v1, and the old color's processes must be
really stopped (retire = stop) or still serving (retire = keep).
"""

from __future__ import annotations

import pytest

from generator.live.analysis import summary_table
from generator.live.story import Step, run_story
from generator.live.world import LiveWorld, ScriptRun
from tests.live.conftest import MIN_REQUESTS, first_deploy_hold, live_example, wait_for

pytestmark = [pytest.mark.live, pytest.mark.timeout(180)]


def _retired_as_profile_says(world: LiveWorld, old: str, old_version: str) -> None:
    """After a cutover away from ``old``: stopped processes, or still serving."""
    if world.profile.cutover.retire == "keep":
        assert world.processes(old), f"{old} should keep running (retire = keep)"
        assert set(world.instance_versions(old)) == {old_version}
        assert world.sandbox.foundation.app(old)["state"] == "STARTED"
    else:
        wait_for(lambda: not world.processes(old), what=f"{old}'s processes to exit")
        assert world.sandbox.foundation.app(old)["state"] == "STOPPED"


def _serving(world: LiveWorld, color: str, version: str) -> None:
    assert world.processes(color), f"{color} has no running process"
    answered = world.instance_versions(color)
    # On a mismatch, the supervisor's record of that app's instances says why.
    history = [event for event in world.supervisor.events if event.get("app") == color]
    assert set(answered) == {version}, f"{color} answered {answered}; instances: {history}"


@pytest.mark.parametrize("name", ["minimal", "sinatra", "shop"])
def test_deploy_deploy_rollback_drops_no_request(name: str, make_world) -> None:
    profile = live_example(name)
    world = make_world(profile)
    blue, green = profile.colors
    v1, v2 = str(world.sandbox.app_dir("v1")), str(world.sandbox.app_dir("v2"))

    def after_first(w: LiveWorld, run: ScriptRun) -> None:
        assert run.run.exit_code == 0, run.run.stderr
        _serving(w, blue, "v1")
        assert not w.processes(green)

    def after_deploy(w: LiveWorld, run: ScriptRun) -> None:
        assert run.run.exit_code == 0, run.run.stderr
        _serving(w, green, "v2")
        _retired_as_profile_says(w, blue, "v1")

    def after_rollback(w: LiveWorld, run: ScriptRun) -> None:
        assert run.run.exit_code == 0, run.run.stderr
        _serving(w, blue, "v1")
        _retired_as_profile_says(w, green, "v2")

    result = run_story(world, [
        Step("deploy v1 (first deploy)", "deploy.sh", ("--path", v1),
             hold_after=first_deploy_hold(profile), after=after_first),
        Step("deploy v2", "deploy.sh", ("--path", v2), after=after_deploy),
        Step("roll back to v1", "rollback.sh", after=after_rollback),
    ])
    print(summary_table(result.summaries))
    first, deploy, rollback = result.summaries
    assert [r.run.exit_code for r in result.runs] == [0, 0, 0], [r.run.stderr
                                                                for r in result.runs]
    assert not result.world_errors
    for summary in result.summaries:
        assert summary.requests >= MIN_REQUESTS, summary
        assert summary.failed == 0, summary.failures
    assert first.versions == ("v1",)
    assert (deploy.versions, deploy.to_version) == (("v1", "v2"), "v2")
    assert (rollback.versions, rollback.to_version) == (("v2", "v1"), "v1")
    assert first.before_live > 0  # the prober really ran before anything existed
    assert result.violations == []  # the simulator's own invariants agree
