"""Guarantees beyond the happy path: the lock, bounded waits, automatic
switch-back, preflight refusals, and the states users really have."""

from __future__ import annotations

import dataclasses
import subprocess
import threading
import time
from collections.abc import Callable

import pytest

from generator.rehearsal import STATE_LABEL, Sandbox, live_record_problem
from tests.conftest import deploy, example, explain, only_on_live

Make = Callable[..., Sandbox]


def hold_lock(sandbox: Sandbox, holder: str = "alice@ci-7:4242") -> None:
    lock = f"{sandbox.profile.app}-bluegreen-lock"
    sandbox.foundation.add_app(lock, state="STOPPED", instances=0, annotations={
        "cf-bluegreen-holder": holder, "cf-bluegreen-since": "2026-11-30T01:02:03Z"})


# -- the deploy lock ------------------------------------------------------------------
@pytest.mark.parametrize("script", ["deploy.sh", "rollback.sh"])
def test_held_lock_exits_4_naming_holder_and_changes_nothing(make_sandbox: Make, script: str):
    sandbox = make_sandbox("sinatra", "green-live")
    hold_lock(sandbox)
    before = sandbox.foundation.apps()
    run = sandbox.run(script)
    assert run.exit_code == 4, explain(run)
    assert "held by alice@ci-7:4242 since 2026-11-30T01:02:03Z" in run.stderr
    assert "--break-lock" in run.stderr
    assert sandbox.foundation.apps() == before, "a locked-out run changed something"


def test_break_lock_removes_a_stale_lock_and_deploys(make_sandbox: Make) -> None:
    sandbox = make_sandbox("sinatra", "blue-live")
    hold_lock(sandbox)
    run = deploy(sandbox, "--break-lock")
    assert run.exit_code == 0, explain(run)
    assert "removing the deploy lock held by alice@ci-7:4242" in run.stderr
    assert only_on_live(sandbox, sandbox.profile.colors[1])
    assert sandbox.lock_app() is None


def test_dry_run_reports_a_held_lock_without_taking_it(make_sandbox: Make) -> None:
    sandbox = make_sandbox("sinatra", "blue-live")
    hold_lock(sandbox)
    run = sandbox.run("deploy.sh", "--dry-run")
    assert run.exit_code == 0, explain(run)
    assert "a real run would exit 4" in run.stderr
    assert sandbox.lock_app() is not None, "a dry run must not touch the lock"


def test_two_deploys_at_once_one_waits_out_with_4(make_sandbox: Make) -> None:
    """The second run starts while the first holds the lock (its push hangs 3 s)."""
    sandbox = make_sandbox("shop", "blue-live")
    sandbox.foundation.set_fault(hang_match=r"^push ", hang_seconds=3)
    results: dict[str, object] = {}
    first = threading.Thread(target=lambda: results.setdefault("first", deploy(sandbox)))
    first.start()
    deadline = time.monotonic() + 20
    while sandbox.lock_app() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sandbox.lock_app() is not None, "the first run never took the lock"
    second = sandbox.run("deploy.sh")
    first.join(60)
    assert second.exit_code == 4, explain(second)
    assert not any(call["mutating"] for call in second.calls if call["argv"][0] != "curl")
    one = results["first"]
    assert one.exit_code == 0, explain(one)  # type: ignore[attr-defined]
    assert only_on_live(sandbox, sandbox.profile.colors[1])
    assert sandbox.foundation.violations() == []


# -- bounded waits ----------------------------------------------------------------------
def test_a_hanging_cf_call_is_killed_after_the_timeout(make_sandbox: Make) -> None:
    sandbox = make_sandbox("sinatra", "blue-live")
    sandbox.foundation.set_fault(hang_match=r"^map-route \S+ example.com --hostname sinatralive",
                                 hang_seconds=60)
    started = time.monotonic()
    run = sandbox.run("deploy.sh", extra_env={"CF_BLUEGREEN_CF_TIMEOUT": "2"})
    elapsed = time.monotonic() - started
    assert run.exit_code == 1, explain(run)
    assert "did not answer within 2s" in run.stderr
    assert elapsed < 30, f"the script waited {elapsed:.0f}s for a hung cf"
    blue, green = sandbox.profile.colors
    assert only_on_live(sandbox, blue)
    assert sandbox.foundation.app(green)["state"] == "STOPPED"
    assert sandbox.lock_app() is None
    rerun = sandbox.run("deploy.sh")
    assert rerun.exit_code == 0, explain(rerun)
    assert only_on_live(sandbox, green)
    assert sandbox.foundation.violations() == []


def test_invalid_cf_timeout_is_a_usage_error(make_sandbox: Make) -> None:
    sandbox = make_sandbox("sinatra", "blue-live")
    run = sandbox.run("deploy.sh", extra_env={"CF_BLUEGREEN_CF_TIMEOUT": "soon"})
    assert run.exit_code == 2 and run.calls == []
    assert "CF_BLUEGREEN_CF_TIMEOUT must be a whole number" in run.stderr


def test_slow_start_within_the_timeout_is_healthy(make_sandbox: Make) -> None:
    sandbox = make_sandbox("sinatra", "blue-live")
    run = deploy(sandbox, slow_start_seconds=20)
    assert run.exit_code == 0, explain(run)
    assert "not healthy yet: instance(s) 0 1: HTTP 503" in run.stderr


def test_health_check_gives_up_after_timeout_seconds(make_sandbox: Make) -> None:
    sandbox = make_sandbox("sinatra", "blue-live")
    start = sandbox.foundation.clock()
    run = deploy(sandbox, slow_start_seconds=10_000)
    assert run.exit_code == 3, explain(run)
    probes = [e for e in run.events if e["tool"] == "curl" and "staging" in e["url"]]
    timeout = sandbox.profile.health.timeout_seconds
    interval = sandbox.profile.health.interval_seconds
    instances = sandbox.foundation.app(sandbox.profile.colors[1])["instances"]
    assert instances == 2
    # Every round probes every instance that has not answered yet (here: none do).
    assert len(probes) == timeout // interval * instances
    assert [p["instance"] for p in probes[:4]] == ["0", "1", "0", "1"]
    assert probes[-1]["time"] - start <= timeout


# -- verify_live: the automatic switch-back ------------------------------------------------
def test_verify_live_switches_back_when_the_new_color_degrades_on_live(make_sandbox: Make):
    sandbox = make_sandbox("sinatra", "blue-live")
    blue, green = sandbox.profile.colors
    run = deploy(sandbox, fails_after_seconds=12)
    assert run.exit_code == 3, explain(run)
    assert "switching back" in run.stderr
    assert only_on_live(sandbox, blue)
    new = sandbox.foundation.app(green)
    assert new["state"] == "STOPPED" and new["labels"][STATE_LABEL] == "failed"
    assert live_record_problem(sandbox.profile, sandbox.foundation.app(blue)) is None
    assert sandbox.foundation.app(blue)["state"] == "STARTED"
    # The app failing on live is the platform's fault, not the script's: every
    # violation the simulator saw names the new color, and none outlived the switch.
    violations = sandbox.foundation.violations()
    assert all(v["app"] in (green, None) for v in violations), violations
    assert sandbox.foundation.served(sandbox.profile.live_routes[0].url)
    assert sandbox.run("rollback.sh").exit_code == 6, "a failed build is no rollback target"


def test_a_fix_can_be_deployed_over_a_broken_live_color(make_sandbox: Make) -> None:
    """Live probes are pinned to the new color (X-CF-APP-INSTANCE): a broken old
    color answering on the live route must neither block nor undo the fix."""
    sandbox = make_sandbox("sinatra")
    blue, green = sandbox.profile.colors
    sandbox.foundation.add_app(blue, instances=2, behaviour=sandbox.behaviour("v0",
                                                                             healthy=False))
    sandbox.foundation.map_route(blue, "sinatralive", "example.com")
    run = deploy(sandbox)
    assert run.exit_code == 0, explain(run)
    assert only_on_live(sandbox, green)
    live_probes = [e for e in run.events if e["tool"] == "curl" and "live" in e["url"]]
    assert live_probes and all(e["app"] == green for e in live_probes)
    assert all(v["app"] == blue for v in sandbox.foundation.violations())


def test_without_verify_live_the_drain_only_waits(make_sandbox: Make) -> None:
    base = example("sinatra")
    profile = dataclasses.replace(base, cutover=dataclasses.replace(base.cutover,
                                                                     verify_live=False))
    sandbox = make_sandbox(profile, "blue-live")
    run = deploy(sandbox)
    assert run.exit_code == 0, explain(run)
    live_probes = [e for e in run.events if e["tool"] == "curl" and "live" in e["url"]]
    # Only the cutover check probes the live route: once on each of the 2 instances.
    assert sorted(e["instance"] for e in live_probes) == ["0", "1"], live_probes
    assert any(e["tool"] == "sleep" and e["seconds"] == base.cutover.drain_seconds
               for e in run.events)


def test_drain_keeps_the_old_color_running_until_routers_forget_it(make_sandbox: Make) -> None:
    sandbox = make_sandbox("sinatra", "blue-live", router_lag_seconds=10)
    run = deploy(sandbox)
    assert run.exit_code == 0, explain(run)
    blue = sandbox.profile.colors[0]
    unmapped = next(c for c in run.calls if c["argv"][:2] == ["unmap-route", blue])
    stopped = next(c for c in run.calls if c["argv"] == ["stop", blue])
    assert stopped["time"] - unmapped["time"] >= sandbox.profile.cutover.drain_seconds
    assert sandbox.foundation.violations() == []


# -- preflight -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("setting", "message"),
    [({"logged_in": False}, "not logged in"),
     ({"cf_major": 7}, "speaks cf CLI v8 syntax but found: cf version 7")],
)
def test_preflight_refuses_before_any_change(make_sandbox: Make, setting: dict, message: str):
    sandbox = make_sandbox("sinatra", "blue-live")
    sandbox.foundation.configure(**setting)
    run = sandbox.run("deploy.sh")
    assert run.exit_code == 5, explain(run)
    assert message in run.stderr
    assert not any(call["mutating"] for call in run.calls)


def test_preflight_refuses_another_target(make_sandbox: Make) -> None:
    sandbox = make_sandbox("shop", "blue-live")  # shop pins org demo-org, space production
    state = sandbox.foundation.load()
    state["orgs"][0]["name"] = "someone-elses-org"
    sandbox.foundation.save(state)
    run = sandbox.run("deploy.sh")
    assert run.exit_code == 5, explain(run)
    assert "targeted org is someone-elses-org, the profile wants demo-org" in run.stderr


def test_missing_cf_is_a_preflight_failure(make_sandbox: Make) -> None:
    sandbox = make_sandbox("sinatra", "blue-live")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(sandbox.root / "home"), "CI": "true"}
    result = subprocess.run([str(sandbox.scripts / "deploy.sh")], env=env, cwd=sandbox.work,
                            capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert result.returncode == 5, result.stderr
    assert "the cf CLI is not on PATH" in result.stderr


# -- the states users really have --------------------------------------------------------------
def test_idle_color_crashed_is_pushed_over(make_sandbox: Make) -> None:
    sandbox = make_sandbox("sinatra", "blue-live")
    green = sandbox.profile.colors[1]
    sandbox.foundation.add_app(green, instances=1, behaviour=sandbox.behaviour("v1", start="fail"))
    run = deploy(sandbox)
    assert run.exit_code == 0, explain(run)
    assert only_on_live(sandbox, green)


def test_new_color_gets_the_live_instance_count_not_its_own(make_sandbox: Make) -> None:
    sandbox = make_sandbox("sinatra")
    blue, green = sandbox.profile.colors
    sandbox.foundation.add_app(blue, instances=3, behaviour=sandbox.behaviour("v0"))
    sandbox.foundation.map_route(blue, "sinatralive", "example.com")
    sandbox.foundation.add_app(green, state="STOPPED", instances=7,
                               behaviour=sandbox.behaviour("v-1"))
    run = deploy(sandbox)
    assert run.exit_code == 0, explain(run)
    push = next(argv for argv in run.cf_argvs() if argv[0] == "push")
    assert push[push.index("--instances") + 1] == "3"
    assert sandbox.foundation.app(green)["instances"] == 3


def test_fixed_instance_policy_wins_over_the_live_count(make_sandbox: Make) -> None:
    base = example("sinatra")
    profile = dataclasses.replace(base, cutover=dataclasses.replace(base.cutover, instances=4))
    sandbox = make_sandbox(profile, "blue-live")
    run = deploy(sandbox)
    assert run.exit_code == 0, explain(run)
    assert sandbox.foundation.app(profile.colors[1])["instances"] == 4


def test_routes_not_in_the_profile_stay_where_they_are(make_sandbox: Make) -> None:
    sandbox = make_sandbox("sinatra", "blue-live")
    blue, green = sandbox.profile.colors
    sandbox.foundation.map_route(blue, "sinatra-admin", "example.com")
    run = deploy(sandbox)
    assert run.exit_code == 0, explain(run)
    assert "sinatra-admin.example.com" in sandbox.foundation.app(blue)["routes"]
    assert only_on_live(sandbox, green)


def test_services_already_bound_are_fine(make_sandbox: Make) -> None:
    sandbox = make_sandbox("shop", "green-live")
    blue = sandbox.profile.colors[0]
    for service in sandbox.profile.services:
        sandbox.foundation.bind(blue, service)
    run = deploy(sandbox)
    assert run.exit_code == 0, explain(run)
    assert only_on_live(sandbox, blue)


def test_first_deploy_when_the_staging_route_already_exists(make_sandbox: Make) -> None:
    sandbox = make_sandbox("sinatra", "first-deploy")
    staging = sandbox.profile.staging_route
    sandbox.foundation.add_route(staging.host, staging.domain, staging.path)
    run = deploy(sandbox)
    assert run.exit_code == 0, explain(run)
    assert only_on_live(sandbox, sandbox.profile.colors[0])


def test_apps_deployed_by_hand_are_adopted(make_sandbox: Make) -> None:
    """The anynines manual procedure left sinatra_a live and sinatra_b stopped."""
    sandbox = make_sandbox("sinatra")
    blue, green = sandbox.profile.colors
    sandbox.foundation.add_app(blue, instances=2, behaviour=sandbox.behaviour("v1"))
    sandbox.foundation.map_route(blue, "sinatralive", "example.com")
    sandbox.foundation.add_app(green, state="STOPPED", behaviour=sandbox.behaviour("v0"))
    run = sandbox.run("rollback.sh")
    assert run.exit_code == 0, explain(run)
    assert only_on_live(sandbox, green)


def test_rollback_of_a_kept_color_skips_nothing(make_sandbox: Make) -> None:
    sandbox = make_sandbox("shop", "blue-live")  # shop retires with keep
    assert deploy(sandbox).exit_code == 0
    blue, green = sandbox.profile.colors
    assert sandbox.foundation.app(blue)["state"] == "STARTED"
    run = sandbox.run("rollback.sh")
    assert run.exit_code == 0, explain(run)
    assert only_on_live(sandbox, blue)
    assert sandbox.foundation.violations() == []


# -- other cf CLI majors ----------------------------------------------------------------------
@pytest.mark.parametrize("major", [6, 7, 8])
def test_every_cf_major_deploys_and_rolls_back(make_sandbox: Make, major: int) -> None:
    profile = dataclasses.replace(example("shop"), cf_cli=major)
    sandbox = make_sandbox(profile, "blue-live")
    run = deploy(sandbox)
    assert run.exit_code == 0, explain(run)
    assert only_on_live(sandbox, profile.colors[1])
    route_flag = "-n" if major == 6 else "--hostname"
    assert ["map-route", profile.colors[1], "example.com", route_flag, "shop"] in run.cf_argvs()
    assert sandbox.run("rollback.sh").exit_code == 0
    assert only_on_live(sandbox, profile.colors[0])
    assert sandbox.foundation.violations() == []
