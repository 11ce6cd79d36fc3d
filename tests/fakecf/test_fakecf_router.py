"""The stub `curl` (gorouter model, router lag, round robin) and the stub `sleep`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import World

CODE = ["-s", "-o", "/dev/null", "-w", "%{http_code}"]


def test_health_probe_form_from_the_contract(world: World) -> None:
    body = world.work / "body.txt"
    r = world.curl("-sS", "-o", str(body), "-w", "%{http_code}", "--max-time", "5",
                   "https://www.example.com/health")
    assert (r.code, r.out, r.err) == (0, "200", "")
    assert body.read_text() == "ok v1"


def test_http_errors_exit_0_without_fail(world: World) -> None:
    r = world.curl("-sS", "-w", "%{http_code}", "https://nobody.example.com/")
    assert r.code == 0
    assert r.out == "404 Not Found: Requested route ('nobody.example.com') does not exist.\n404"


def test_fail_flag_exits_22(world: World) -> None:
    r = world.curl("-sSf", "https://nobody.example.com/")
    assert (r.code, r.out, r.err) == (22, "", "curl: (22) The requested URL returned error: "
                                              "404\n")
    assert world.curl("-sf", "https://nobody.example.com/").err == ""  # silent, no -S
    r = world.curl("-f", "-w", "%{http_code}", "-s", "https://nobody.example.com/")
    assert (r.code, r.out) == (22, "404")


def test_unknown_domain_is_exit_6(world: World) -> None:
    r = world.curl("-sS", "-w", "%{http_code}", "https://www.elsewhere.org/")
    assert (r.code, r.out, r.err) == (6, "000", "curl: (6) Could not resolve host: "
                                                "www.elsewhere.org\n")
    assert world.curl("-s", "https://www.elsewhere.org/").err == ""


def test_usage_errors_exit_2(world: World) -> None:
    r = world.curl("--bogus", "https://www.example.com/")
    assert (r.code, r.err.splitlines()[0]) == (2, "curl: option --bogus: is unknown")
    assert world.curl("-s").code == 2
    r = world.curl("-m", "soon", "https://www.example.com/")
    assert (r.code, r.err.splitlines()[0]) == (2, "curl: option -m: expected a proper "
                                                  "numerical parameter")
    r = world.curl("-sSLk", "-H", "Accept: */*", "-X", "GET", "-m5", "https://www.example.com/")
    assert (r.code, r.out) == (0, "ok v1")


def test_round_robin_between_mapped_apps(world: World) -> None:
    world.fnd.add_app("green", behaviour={"body": "ok v2"})
    world.fnd.map_route("green", "www", "example.com")
    bodies = [world.curl("-s", "https://www.example.com/").out for _ in range(4)]
    assert bodies in (["ok v1", "ok v2"] * 2, ["ok v2", "ok v1"] * 2)


def test_longest_path_prefix_wins(world: World) -> None:
    world.fnd.add_app("api", behaviour={"body": "api"})
    world.fnd.map_route("api", "www", "example.com", "/api")
    assert world.curl("-s", "https://www.example.com/api/v1?x=1").out == "api"
    assert world.curl("-s", "https://www.example.com/apix").out == "ok v1"
    world.cf("stop", "api")  # no running instance: the shorter route answers
    assert world.curl("-s", "https://www.example.com/api").out == "ok v1"


def test_stopped_app_leaves_the_pool_at_once(world: World) -> None:
    world.cf("stop", "blue")
    assert world.curl(*CODE, "https://www.example.com/").out == "404"


def test_router_lag_delays_map_and_unmap(make_world: Callable[..., World]) -> None:
    w = make_world(router_lag_seconds=5)
    w.fnd.add_app("blue", behaviour={"body": "blue"})
    w.fnd.map_route("blue", "www", "example.com")
    w.fnd.add_app("green", behaviour={"body": "green"})
    url = "https://www.example.com/"
    w.cf("map-route", "green", "example.com", "--hostname", "www")
    assert {w.curl("-s", url).out for _ in range(3)} == {"blue"}
    assert w.fnd.route_table()["www.example.com"] == ["blue"]
    w.sleep("5")
    assert {w.curl("-s", url).out for _ in range(4)} == {"blue", "green"}
    w.cf("unmap-route", "blue", "example.com", "--hostname", "www")
    assert w.fnd.app("blue")["routes"] == []  # type: ignore[index]  # CC knows at once
    assert {w.curl("-s", url).out for _ in range(4)} == {"blue", "green"}
    w.sleep("4.9")
    assert "blue" in {w.curl("-s", url).out for _ in range(4)}
    w.sleep("0.1")
    assert {w.curl("-s", url).out for _ in range(4)} == {"green"}
    assert w.fnd.route_table(at=0)["www.example.com"] == ["blue"]


def test_curl_requests_are_logged(world: World) -> None:
    world.curl("-s", "https://www.example.com/")
    event = world.fnd.events()[-1]
    assert (event["tool"], event["status"], event["app"]) == ("curl", 200, "blue")


def test_sleep_advances_the_simulated_clock(world: World) -> None:
    assert world.sleep("1.5").code == 0
    assert world.sleep("2", "1m").code == 0
    assert world.fnd.clock() == 63.5
    r = world.sleep("soon")
    assert (r.code, r.err) == (1, "sleep: invalid time interval 'soon'\nTry 'sleep --help' for "
                                  "more information.\n")
    assert world.sleep().err.startswith("sleep: missing operand")
    assert world.fnd.clock() == 63.5
