"""Fault paths that once dropped traffic or left a lock behind (issue 8).

Each test sets up the exact order of events, under a router lag of 5 s (routers
learn a change at their own moment within it, and keep sending traffic to an
unmapped app until it has passed), and checks what users would see.
"""

from __future__ import annotations

import re
import socket
import subprocess
from collections.abc import Callable

from generator.rehearsal import Sandbox, live_record_problem
from tests.conftest import deploy, explain, only_on_live

Make = Callable[..., Sandbox]
LAG = 5


def _times(run_calls: list[dict], pattern: str) -> list[float]:
    """Simulated times of the calls whose space-joined argv matches ``pattern``."""
    return [call["time"] for call in run_calls if re.fullmatch(pattern, " ".join(call["argv"]))]


# -- a multi-route cutover that fails part-way --------------------------------------
def test_first_deploy_keeps_the_live_routes_a_healthy_new_color_already_serves(
        make_sandbox: Make) -> None:
    sandbox = make_sandbox("shop", "first-deploy", router_lag_seconds=LAG)
    blue = sandbox.profile.colors[0]
    first, second = (route.url for route in sandbox.profile.live_routes)
    sandbox.foundation.set_fault(fail_match=rf"^map-route {blue} example\.org ")
    run = deploy(sandbox)
    assert run.exit_code == 1, explain(run)
    assert sandbox.foundation.violations() == [], sandbox.foundation.violations()
    assert sandbox.live_apps() == {first: [blue], second: []}
    assert sandbox.foundation.app(blue)["state"] == "STARTED"
    assert sandbox.foundation.served(first, at=sandbox.foundation.clock() + LAG)
    # The printed state says exactly which route is where.
    assert f"{first}: {blue}" in run.stderr
    assert f"{second}: no app" in run.stderr
    assert "deploy.sh again" in run.stderr
    rerun = deploy(sandbox)
    assert rerun.exit_code == 0, explain(rerun)
    assert only_on_live(sandbox, blue)
    assert live_record_problem(sandbox.profile, sandbox.foundation.app(blue)) is None
    assert sandbox.foundation.violations() == []


def test_a_route_taken_back_from_the_new_color_is_drained_before_it_stops(
        make_sandbox: Make) -> None:
    sandbox = make_sandbox("shop", "blue-live", router_lag_seconds=LAG)
    blue, green = sandbox.profile.colors
    sandbox.foundation.set_fault(fail_match=rf"^map-route {green} example\.org ")
    run = deploy(sandbox)
    assert run.exit_code == 1, explain(run)
    assert sandbox.foundation.violations() == [], sandbox.foundation.violations()
    assert only_on_live(sandbox, blue)
    [unmapped] = _times(run.calls, f"unmap-route {green} example.com --hostname shop")
    [stopped] = _times(run.calls, f"stop {green}")
    assert stopped - unmapped >= sandbox.profile.cutover.drain_seconds, explain(run)
    assert "drain" in run.stderr


def test_switch_back_drains_the_new_color_before_it_stops(make_sandbox: Make) -> None:
    sandbox = make_sandbox("shop", "blue-live", router_lag_seconds=LAG)
    blue, green = sandbox.profile.colors
    run = deploy(sandbox, fails_after_seconds=20)
    assert run.exit_code == 3, explain(run)
    assert only_on_live(sandbox, blue)
    unmaps = _times(run.calls, f"unmap-route {green} example.* --hostname (shop|www.*)")
    [stopped] = _times(run.calls, f"stop {green}")
    assert stopped - max(unmaps) >= sandbox.profile.cutover.drain_seconds, explain(run)
    assert not [v for v in sandbox.foundation.violations()
                if v["kind"] == "stopped-while-routed"], sandbox.foundation.violations()


# -- an interrupt that lands just after the lock was taken ---------------------------
def test_an_interrupt_after_the_lock_was_created_still_releases_it(make_sandbox: Make) -> None:
    sandbox = make_sandbox("sinatra", "blue-live")
    sandbox.foundation.set_fault(signal="INT", signal_match=r"^curl -f /v3/apps -X POST",
                                 signal_after=True)
    run = deploy(sandbox)
    assert run.exit_code == 130, explain(run)
    assert sandbox.lock_app() is None, "the lock created before the signal was left behind"
    assert "released the deploy lock" in run.stderr
    again = deploy(sandbox)
    assert again.exit_code == 0, explain(again)


def _hold_lock(sandbox: Sandbox, holder: str) -> None:
    sandbox.foundation.add_app(f"{sandbox.profile.app}-bluegreen-lock", state="STOPPED",
                               instances=0, annotations={
                                   "cf-bluegreen-holder": holder,
                                   "cf-bluegreen-since": "2026-11-30T01:02:03Z"})


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_a_lock_left_by_a_dead_run_on_this_host_is_released(make_sandbox: Make) -> None:
    sandbox = make_sandbox("sinatra", "blue-live")
    holder = f"ci-user@{socket.gethostname()}:{_dead_pid()}"
    _hold_lock(sandbox, holder)
    run = deploy(sandbox)
    assert run.exit_code == 0, explain(run)
    assert f"left by {holder}, which is no longer running" in run.stderr
    assert only_on_live(sandbox, sandbox.profile.colors[1])
    assert sandbox.lock_app() is None


def test_a_lock_held_by_a_running_process_on_this_host_is_respected(make_sandbox: Make) -> None:
    sandbox = make_sandbox("sinatra", "blue-live")
    with subprocess.Popen(["sleep", "60"]) as alive:
        try:
            _hold_lock(sandbox, f"ci-user@{socket.gethostname()}:{alive.pid}")
            run = deploy(sandbox)
        finally:
            alive.kill()
    assert run.exit_code == 4, explain(run)
    assert sandbox.lock_app() is not None


def test_a_lock_from_another_host_or_user_is_respected(make_sandbox: Make) -> None:
    dead = _dead_pid()
    for holder in (f"ci-user@some-other-host:{dead}",
                   f"someone-else@{socket.gethostname()}:{dead}"):
        sandbox = make_sandbox("sinatra", "blue-live")
        _hold_lock(sandbox, holder)
        run = deploy(sandbox)
        assert run.exit_code == 4, explain(run)
        assert f"held by {holder}" in run.stderr


# -- a run that ends early never reports success --------------------------------------
def test_a_run_that_stops_without_finishing_exits_1(make_sandbox: Make) -> None:
    """bash 3.2 ends a script with status 0 on a bad array subscript; here an
    ``exit 0`` in the middle of main stands in for such a silent stop."""
    sandbox = make_sandbox("sinatra", "blue-live")
    script = sandbox.scripts / "deploy.sh"
    text = script.read_text()
    anchor = '  prepare "${new}" "${live}"\n'
    assert anchor in text
    script.write_text(text.replace(anchor, "  exit 0\n" + anchor, 1))
    run = deploy(sandbox)
    assert run.exit_code == 1, explain(run)
    assert "stopped unexpectedly" in run.stderr
    assert sandbox.lock_app() is None
