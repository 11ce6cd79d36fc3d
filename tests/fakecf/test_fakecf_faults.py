"""Injected faults: a failing call, a hanging call, a signal to the calling script."""

from __future__ import annotations

import subprocess
import time
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import World

BAD_GATEWAY = "Server error, status code: 502, error code: 0, message: Bad Gateway\n"


def test_fail_nth_call_does_nothing_and_fires_once(world: World) -> None:
    world.fnd.set_fault(fail_call=2)
    assert world.cf("version").code == 0
    r = world.cf("map-route", "blue", "example.com", "--hostname", "api")
    assert (r.code, r.err, r.out) == (1, BAD_GATEWAY, "FAILED\n")
    assert "api.example.com" not in world.fnd.route_table()
    assert world.cf("map-route", "blue", "example.com", "--hostname", "api").code == 0
    calls = world.fnd.calls()
    assert [(c["index"], c["status"], c["fault"]) for c in calls] == [
        (1, 0, None), (2, 1, "fail"), (3, 0, None)]
    assert calls[1]["argv"] == ["map-route", "blue", "example.com", "--hostname", "api"]


def test_fail_first_matching_call(world: World) -> None:
    world.fnd.set_fault(fail_match=r"^unmap-route .*www", message="boom")
    assert world.cf("app", "blue").code == 0
    r = world.cf("unmap-route", "blue", "example.com", "--hostname", "www")
    assert (r.code, r.err) == (1, "boom\n")
    assert world.fnd.route_table()["www.example.com"] == ["blue"]
    assert world.cf("unmap-route", "blue", "example.com", "--hostname", "www").code == 0


def test_hang_is_real_time_and_does_not_hold_the_lock(world: World) -> None:
    world.fnd.set_fault(hang_call=1, hang_seconds=30)
    started = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired):
        world.run(["cf", "stop", "blue"], timeout=1.5)
    assert time.monotonic() - started < 10
    quick = time.monotonic()
    assert world.cf("app", "blue", "--guid").code == 0  # the lock is free
    assert time.monotonic() - quick < 5
    calls = world.fnd.calls()
    assert (calls[0]["fault"], calls[0]["status"]) == ("hang", None)
    assert world.fnd.app("blue")["state"] == "STARTED"  # type: ignore[index]


def test_short_hang_then_runs_normally(world: World) -> None:
    world.fnd.set_fault(hang_match="stop", hang_seconds=0.3)
    started = time.monotonic()
    assert world.cf("stop", "blue").code == 0
    assert time.monotonic() - started >= 0.3
    assert world.fnd.app("blue")["state"] == "STOPPED"  # type: ignore[index]
    assert world.fnd.calls()[0]["status"] == 0


@pytest.mark.parametrize(("sig", "code"), [("INT", 130), ("TERM", 143)])
def test_signal_reaches_the_script_and_the_call_does_nothing(world: World, sig: str,
                                                             code: int) -> None:
    world.fnd.set_fault(signal=sig, signal_call=2)
    r = world.bash(f"""
trap 'echo "trapped {sig}" >&2; exit {code}' {sig}
cf version >/dev/null
cf map-route blue example.com --hostname sig
echo "after the signal"
""")
    assert r.code == code, str(r)
    assert f"trapped {sig}" in r.err
    assert "after the signal" not in r.out
    assert "sig.example.com" not in world.fnd.route_table()
    assert [(c["status"], c["fault"]) for c in world.fnd.calls()] == [(0, None),
                                                                      (code, "signal")]


@pytest.mark.parametrize(("sig", "code"), [("INT", 130), ("TERM", 143)])
def test_signal_after_the_call_took_effect(world: World, sig: str, code: int) -> None:
    """The change is saved in the foundation; the script is signalled before it has
    seen the call's result."""
    world.fnd.set_fault(signal=sig, signal_match=r"^map-route ", signal_after=True)
    r = world.bash(f"""
trap 'echo "trapped {sig}" >&2; exit {code}' {sig}
cf map-route blue example.com --hostname sig >/dev/null &
wait $!
echo "after the signal"
""")
    assert r.code == code, str(r)
    assert f"trapped {sig}" in r.err
    assert "after the signal" not in r.out
    assert world.fnd.app("blue")["routes"][-1] == "sig.example.com"  # type: ignore[index]
    assert [(c["status"], c["fault"]) for c in world.fnd.calls()] == [
        (0, "signal after the call took effect")]


def test_set_fault_validates(world: World) -> None:
    with pytest.raises(ValueError):
        world.fnd.set_fault()
    with pytest.raises(ValueError):
        world.fnd.set_fault(signal="HUP", signal_call=1)
