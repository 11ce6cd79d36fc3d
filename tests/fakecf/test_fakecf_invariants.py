"""The invariant checker catches broken cut-over sequences and passes the right one."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import World

MAP_GREEN = "cf map-route green example.com --hostname www >/dev/null\n"
UNMAP_BLUE = "cf unmap-route blue example.com --hostname www >/dev/null\n"
STOP_BLUE = "cf stop blue >/dev/null\n"


def _cutover_world(make_world: Callable[..., World], lag: float, **green: object) -> World:
    """blue live on www (watched), green started and healthy but not routed yet."""
    w = make_world(router_lag_seconds=lag)
    w.fnd.add_app("blue", instances=2, behaviour={"body": "v1"})
    w.fnd.map_route("blue", "www", "example.com")
    w.fnd.add_app("green", instances=2, behaviour=dict({"body": "v2"}, **green))
    w.fnd.watch_live_routes(["https://www.example.com"])
    return w


@pytest.mark.parametrize("lag", [0, 5])
def test_unmapping_the_old_app_before_mapping_the_new_one_is_caught(
        make_world: Callable[..., World], lag: float) -> None:
    w = _cutover_world(make_world, lag)
    r = w.bash(UNMAP_BLUE + MAP_GREEN + f"sleep {lag + 1}\n" + STOP_BLUE)
    assert r.code == 0, str(r)
    found = w.fnd.violations()
    assert [(v["kind"], v["route"], v["call"]) for v in found] == [
        ("unserved", "www.example.com", 1)]
    assert found[0]["argv"] == ["cf", "unmap-route", "blue", "example.com", "--hostname", "www"]
    assert "live route www.example.com is served by no started, healthy app" in found[0]["message"]
    # Some router may drop blue at once, and none has learned green yet.
    assert found[0]["at"] == 0


def test_stopping_right_after_unmapping_with_lag_is_caught(
        make_world: Callable[..., World]) -> None:
    w = _cutover_world(make_world, 3)
    r = w.bash(MAP_GREEN + "sleep 3\n" + UNMAP_BLUE + STOP_BLUE)
    assert r.code == 0, str(r)
    found = w.fnd.violations()
    assert [(v["kind"], v["app"], v["call"]) for v in found] == [
        ("stopped-while-routed", "blue", 3)]
    assert "may still receive traffic" in found[0]["message"]
    assert "until t=6s" in found[0]["message"]


def test_the_correct_order_reports_nothing(make_world: Callable[..., World]) -> None:
    w = _cutover_world(make_world, 3)
    r = w.bash(MAP_GREEN + "sleep 3\n" + UNMAP_BLUE + "sleep 3\n" + STOP_BLUE)
    assert r.code == 0, str(r)
    assert w.fnd.violations() == []
    assert w.fnd.route_table()["www.example.com"] == ["green"]
    calls = w.fnd.calls()
    assert [c["mutating"] for c in calls] == [True, True, True]
    assert calls[0]["routes"] == {"www.example.com": ["blue"]}  # green not effective yet
    assert calls[0]["served"] == {"www.example.com": True}


def test_unmapping_before_the_new_mapping_propagated_is_caught(
        make_world: Callable[..., World]) -> None:
    """Map, then unmap at once: routers learn changes at their own moment and in any
    order (field note 1), so some may drop blue before they learn green."""
    w = _cutover_world(make_world, 3)
    w.bash(MAP_GREEN + UNMAP_BLUE + "sleep 4\n" + STOP_BLUE)
    found = w.fnd.violations()
    assert [(v["kind"], v["call"], v["at"]) for v in found] == [("unserved", 2, 0)]


def test_settling_for_the_router_lag_before_unmapping_serves(
        make_world: Callable[..., World]) -> None:
    w = _cutover_world(make_world, 3)
    w.bash(MAP_GREEN + "sleep 3\n" + UNMAP_BLUE + "sleep 3\n" + STOP_BLUE)
    assert w.fnd.violations() == []


def test_a_route_taken_back_after_it_may_have_answered_is_caught(
        make_world: Callable[..., World]) -> None:
    """A first deploy maps a live route, then takes it back at once: no router may
    have learned it yet for certain, but one may have, and its users got answers."""
    w = make_world(router_lag_seconds=5)
    w.fnd.add_app("green", instances=1)
    w.fnd.watch_live_routes(["www.example.com"])
    w.bash(MAP_GREEN)
    assert w.fnd.violations() == [], "a first deploy ramping up is not a violation"
    w.bash("cf unmap-route green example.com --hostname www >/dev/null\n")
    found = w.fnd.violations()
    assert [(v["kind"], v["route"], v["call"]) for v in found] == [
        ("unserved", "www.example.com", 2)]
    assert "may already have answered requests" in found[0]["message"]


def test_stopping_an_app_mapped_a_moment_ago_is_caught(
        make_world: Callable[..., World]) -> None:
    """The mapping is not certain anywhere yet, but a router may already use it."""
    w = _cutover_world(make_world, 5)
    w.bash(MAP_GREEN + "cf unmap-route green example.com --hostname www >/dev/null\n"
           + "cf stop green >/dev/null\n")
    found = w.fnd.violations()
    assert [(v["kind"], v["app"]) for v in found] == [("stopped-while-routed", "green")]
    assert "until t=5s" in found[0]["message"]


@pytest.mark.parametrize(("behaviour", "why"), [({"healthy": False}, "unhealthy"),
                                                ({"start": "fail"}, "crashed")])
def test_unhealthy_app_on_the_live_route_is_caught(make_world: Callable[..., World],
                                                   behaviour: dict, why: str) -> None:
    w = _cutover_world(make_world, 0, **behaviour)
    w.bash(MAP_GREEN)
    found = w.fnd.violations()
    assert [(v["kind"], v["app"]) for v in found] == [("unhealthy", "green")]
    assert why in found[0]["message"]
    w.bash("cf unmap-route green example.com --hostname www >/dev/null\n" + MAP_GREEN)
    assert len(w.fnd.violations()) == 2  # fixed in between, broken again: recorded again


def test_a_violation_is_recorded_once(make_world: Callable[..., World]) -> None:
    w = _cutover_world(make_world, 0)
    w.bash(UNMAP_BLUE + "cf app blue >/dev/null\ncf set-env blue A 1 >/dev/null\nsleep 1\n"
           + MAP_GREEN)
    assert len(w.fnd.violations()) == 1


def test_first_deploy_is_not_armed_until_served(make_world: Callable[..., World]) -> None:
    w = make_world()
    w.fnd.watch_live_routes(["www.example.com"])
    r = w.bash("cf push green --no-route --no-start >/dev/null\n" + MAP_GREEN
               + "cf start green >/dev/null\n")
    assert r.code == 0
    assert w.fnd.violations() == []
    w.bash("cf stop green >/dev/null\n")
    kinds = sorted(v["kind"] for v in w.fnd.violations())
    assert kinds == ["stopped-while-routed", "unserved"]


def test_deleting_a_routed_app_is_caught(make_world: Callable[..., World]) -> None:
    w = _cutover_world(make_world, 0)
    w.bash(MAP_GREEN + "cf delete blue -f >/dev/null 2>&1\n")
    found = w.fnd.violations()
    assert [(v["kind"], v["app"]) for v in found] == [("stopped-while-routed", "blue")]
    assert "was deleted at" in found[0]["message"]


def test_push_no_start_on_the_live_app_is_caught(make_world: Callable[..., World]) -> None:
    w = _cutover_world(make_world, 0)
    w.bash("cf push blue --no-start >/dev/null\n")
    kinds = sorted(v["kind"] for v in w.fnd.violations())
    assert kinds == ["stopped-while-routed", "unserved"]
