"""Edge-case behaviour of the stub `cf`, per major version (semantics.md section 1)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import World

WHERE = "in org demo-org / space production as ci-user..."


def _app(w: World, name: str) -> dict:
    found = w.fnd.app(name)
    assert found is not None, f"no app {name}"
    return found


# --- map-route / unmap-route --------------------------------------------------------


@pytest.mark.parametrize(("major", "tail"), [(8, " Nothing has been updated."), (7, "")])
def test_map_route_already_mapped_is_ok(world_factory: Callable[..., World], major: int,
                                         tail: str) -> None:
    w = world_factory(major)
    r = w.cf("map-route", "blue", "example.com", "--hostname", "www")
    assert r.code == 0
    assert r.out == (f"Mapping route www.example.com to app blue {WHERE}\n"
                     f"App 'blue' is already mapped to route 'www.example.com'.{tail}\nOK\n\n")
    assert w.fnd.route_table()["www.example.com"] == ["blue"]


def test_map_route_creates_a_missing_route(world: World) -> None:
    r = world.cf("map-route", "blue", "example.com", "--hostname", "new", "--path", "api")
    assert r.code == 0, str(r)
    assert r.out.startswith("Creating route new.example.com/api for org demo-org / space "
                            "production as ci-user...\nOK\n\nMapping route new.example.com/api")
    assert world.fnd.route_table()["new.example.com/api"] == ["blue"]


def test_map_route_unknown_domain_and_app(world: World) -> None:
    r = world.cf("map-route", "blue", "nope.org", "--hostname", "www")
    assert (r.code, r.err, r.out) == (1, "Domain 'nope.org' not found.\n", "FAILED\n")
    r = world.cf("map-route", "ghost", "example.com", "--hostname", "www")
    assert (r.code, r.err) == (1, "App 'ghost' not found.\n")


def test_map_route_v6_is_legacy_output(world_factory: Callable[..., World]) -> None:
    w = world_factory(6)
    r = w.cf("map-route", "blue", "example.com", "-n", "WWW")
    assert r.code == 0
    assert "Adding route www.example.com to app blue" in r.out
    assert "Route www.example.com already exists" in r.out


def test_unmap_route_not_mapped_is_ok_but_missing_route_fails(world: World) -> None:
    world.fnd.add_route("other", "example.com")
    r = world.cf("unmap-route", "blue", "example.com", "--hostname", "other")
    assert r.code == 0
    assert r.out == (f"Removing route other.example.com from app blue {WHERE}\n"
                     "Route to be unmapped is not currently mapped to the application.\nOK\n\n")
    r = world.cf("unmap-route", "blue", "example.com", "--hostname", "gone", "--path", "/p")
    assert r.code == 1
    assert r.err == "Route with host 'gone', domain 'example.com', and path '/p' not found.\n"
    r = world.cf("unmap-route", "blue", "example.com", "--hostname", "gone")
    assert "and path '/' not found." in r.err
    r = world.cf("unmap-route", "blue", "nope.org", "--hostname", "www")
    assert (r.code, r.err) == (1, "Domain 'nope.org' not found.\n")


def test_unmap_route_removes_one_destination_only(world: World) -> None:
    world.fnd.add_app("green")
    world.fnd.map_route("green", "www", "example.com")
    assert world.cf("unmap-route", "blue", "example.com", "--hostname", "www").code == 0
    assert world.fnd.route_table()["www.example.com"] == ["green"]


def test_unmap_route_v6_missing_route(world_factory: Callable[..., World]) -> None:
    w = world_factory(6)
    r = w.cf("unmap-route", "blue", "example.com", "-n", "gone")
    assert (r.code, r.out, r.err) == (1, "FAILED\nRoute gone not found\n", "")


# --- start / stop / restart ---------------------------------------------------------


def test_stop_of_stopped_and_start_of_started(world: World) -> None:
    r = world.cf("start", "blue")
    assert (r.code, r.out) == (0, f"Starting app blue {WHERE}\n\nApp 'blue' is already "
                                  "started.\nOK\n\n")
    assert world.cf("stop", "blue").out == f"Stopping app blue {WHERE}\nOK\n\n"
    r = world.cf("stop", "blue")
    assert (r.code, r.out) == (0, "App blue is already stopped.\nOK\n\n")


def test_stop_and_start_v6(world_factory: Callable[..., World]) -> None:
    w = world_factory(6)
    assert w.cf("start", "blue").out == f"Starting app blue {WHERE}\nApp blue is already started\n"
    assert w.cf("stop", "blue").code == 0
    r = w.cf("stop", "blue")
    assert (r.code, r.out) == (0, "App blue is already stopped\n")
    r = w.cf("stop", "ghost")
    assert (r.code, r.out, r.err) == (1, "FAILED\nApp ghost not found\n", "")


def test_missing_app_messages(world: World) -> None:
    for verb in ("start", "stop", "restart"):
        r = world.cf(verb, "ghost")
        assert (r.code, r.err, r.out) == (1, "App 'ghost' not found.\n", "FAILED\n"), verb
    r = world.cf("app", "ghost", "--guid")
    assert (r.code, r.out) == (1, "FAILED\n")


def test_restart_starts_a_stopped_app(world: World) -> None:
    world.cf("stop", "blue")
    assert world.cf("restart", "blue").code == 0
    assert _app(world, "blue")["state"] == "STARTED"


@pytest.mark.parametrize(("start", "message"), [("fail", "Start unsuccessful\n\nTIP: use 'cf "
                                                 "logs green --recent' for more information"),
                                                ("timeout", "Start app timeout\n\nTIP: "
                                                 "Application must be listening")])
def test_start_failure_leaves_requested_state_started_without_instances(
        world: World, start: str, message: str) -> None:
    world.app_dir("bad", start=start)
    assert world.cf("push", "green", "--no-route", "--no-start", "-p", "bad", "-i", "2").code == 0
    r = world.cf("start", "green")
    assert r.code == 1
    assert r.err.startswith(message)
    assert r.out.endswith("FAILED\n")
    app = world.cf("app", "green").out
    assert "requested state:   started" in app
    assert "instances:      0/2" in app
    row = "crashed" if start == "fail" else "starting"
    assert app.count(f"   {row}   ") == 2
    assert world.cf("stop", "green").code == 0


def test_unhealthy_app_starts_but_answers_500(world: World) -> None:
    world.app_dir("sick", healthy=False)
    world.cf("push", "green", "-p", "sick")
    assert _app(world, "green")["state"] == "STARTED"
    r = world.curl("-sS", "-w", "%{http_code}", "https://green.example.com/")
    assert r.out == "unhealthy500"


def test_slow_start_answers_503_until_ready(world: World) -> None:
    world.app_dir("slow", slow_start_seconds=10, body="ready")
    world.cf("push", "green", "-p", "slow")
    url = "https://green.example.com/"
    assert world.curl("-s", "-o", "/dev/null", "-w", "%{http_code}", url).out == "503"
    world.sleep("9.5")
    assert world.curl("-s", "-o", "/dev/null", "-w", "%{http_code}", url).out == "503"
    world.sleep("0.5")
    assert world.curl("-s", url).out == "ready"


# --- delete / rename ---------------------------------------------------------------


def test_delete_force_of_missing_app(world: World) -> None:
    r = world.cf("delete", "ghost", "-f")
    assert (r.code, r.err) == (0, "App 'ghost' does not exist.\n")
    assert r.out == f"Deleting app ghost {WHERE}\nOK\n\n"


def test_delete_force_of_missing_app_v6(world_factory: Callable[..., World]) -> None:
    r = world_factory(6).cf("delete", "ghost", "-f")
    assert (r.code, r.err) == (0, "")
    assert r.out == f"Deleting app ghost {WHERE}\nOK\nApp ghost does not exist.\n"


def test_delete_prompts_without_force(world: World) -> None:
    r = world.cf("delete", "blue")  # stdin at EOF
    assert (r.code, r.out, r.err) == (1, "Really delete the app blue? [yN]: FAILED\n", "EOF\n")
    assert world.fnd.app("blue") is not None
    r = world.cf("delete", "blue", stdin="\n")
    assert (r.code, r.out.endswith("App 'blue' has not been deleted.\n")) == (0, True)
    assert world.fnd.app("blue") is not None
    assert world.cf("delete", "blue", stdin="y\n").code == 0
    assert world.fnd.app("blue") is None


def test_delete_removes_mappings_and_bindings(world: World) -> None:
    world.fnd.add_service("db")
    world.fnd.bind("blue", "db")
    world.cf("delete", "blue", "-f")
    assert world.fnd.route_table()["www.example.com"] == []
    assert "blue" not in world.cf("services").out


def test_delete_r_refuses_shared_routes(world: World) -> None:
    world.fnd.add_app("green")
    world.fnd.map_route("green", "www", "example.com")
    r = world.cf("delete", "blue", "-f", "-r")
    assert r.code == 1
    assert "is mapped to more than one app" in r.err
    assert world.fnd.app("blue") is not None


def test_rename_keeps_guid_and_routes(world: World) -> None:
    guid = world.guid("blue")
    world.fnd.add_app("green")
    r = world.cf("rename", "blue", "green")
    assert (r.code, r.err) == (1, "App with the name 'green' already exists.\n")
    assert world.cf("rename", "blue", "azure").code == 0
    assert (_app(world, "azure")["guid"], _app(world, "azure")["routes"]) == (
        guid, ["www.example.com"])


# --- push ---------------------------------------------------------------------------


def test_push_new_app_maps_default_route_and_starts(world: World) -> None:
    world.app_dir("v2", version="v2", body="ok v2")
    r = world.cf("push", "green", "-p", "v2")
    assert r.code == 0, str(r)
    green = _app(world, "green")
    assert (green["state"], green["routes"], green["behaviour"]["version"]) == (
        "STARTED", ["green.example.com"], "v2")
    assert world.curl("-s", "http://green.example.com/").out == "ok v2"


def test_push_reads_behaviour_from_working_directory(world: World) -> None:
    (world.work / ".fakecf-app.json").write_text('{"body": "from cwd"}')
    world.cf("push", "green")
    assert world.curl("-s", "green.example.com").out == "from cwd"


def test_push_without_behaviour_file_is_healthy_ok(world: World) -> None:
    world.cf("push", "green")
    assert world.curl("-s", "-w", " %{http_code}", "green.example.com").out == "ok 200"


def test_push_no_start_stops_a_running_app(world: World) -> None:
    r = world.cf("push", "blue", "--no-start")
    assert r.code == 0
    assert _app(world, "blue")["state"] == "STOPPED"
    assert _app(world, "blue")["routes"] == ["www.example.com"]


def test_push_no_route_removes_every_route(world: World) -> None:
    world.cf("map-route", "blue", "example.com", "--hostname", "x")
    world.cf("push", "blue", "--no-route")
    assert _app(world, "blue")["routes"] == []


def test_push_existing_app_without_routes_gets_default_route(world: World) -> None:
    world.cf("push", "green", "--no-route", "--no-start")
    assert _app(world, "green")["routes"] == []
    world.cf("push", "green", "--no-start")
    assert _app(world, "green")["routes"] == ["green.example.com"]
    world.cf("push", "blue")
    assert _app(world, "blue")["routes"] == ["www.example.com"]


def test_push_options_are_stored(world: World) -> None:
    world.cf("push", "green", "--no-route", "--no-start", "-i", "3", "--docker-image", "org/i:2",
             "-m", "512M")
    green = _app(world, "green")
    assert green["instances"] == 3
    state = world.fnd.load()
    raw = next(a for a in state["apps"] if a["name"] == "green")
    assert (raw["docker_image"], raw["lifecycle"], raw["memory_mb"]) == ("org/i:2", "docker", 512)
    assert "docker image:      org/i:2" in world.cf("app", "green").out


def test_push_no_start_then_start_stages_the_new_package(world: World) -> None:
    world.app_dir("v2", body="ok v2")
    world.cf("push", "blue", "--no-start", "-p", "v2")
    assert _app(world, "blue")["behaviour"]["body"] == "ok v1"  # not staged yet
    assert "Staging app" in world.cf("start", "blue").out
    assert world.curl("-s", "www.example.com").out == "ok v2"


def test_push_v6_hostname_and_domain(world_factory: Callable[..., World]) -> None:
    w = world_factory(6)
    assert w.cf("push", "green", "-n", "stage", "-d", "example.com", "--no-start").code == 0
    assert _app(w, "green")["routes"] == ["stage.example.com"]


# --- services, env, logs, labels ---------------------------------------------------


@pytest.mark.parametrize(("major", "already"), [
    (8, "App blue is already bound to service instance db."),
    (7, "App blue is already bound to db."),
    (6, "App blue is already bound to db.")])
def test_bind_service_twice(world_factory: Callable[..., World], major: int,
                            already: str) -> None:
    w = world_factory(major)
    w.fnd.add_service("db")
    first = w.cf("bind-service", "blue", "db")
    assert first.code == 0 and "TIP: Use 'cf restage blue'" in first.out
    again = w.cf("bind-service", "blue", "db")
    assert again.code == 0
    assert f"{already}\nOK\n" in again.out
    missing = w.cf("bind-service", "blue", "nosuch")
    assert missing.code == 1 and "nosuch" in missing.err


def test_unbind_not_bound(world: World) -> None:
    world.fnd.add_service("db")
    r = world.cf("unbind-service", "blue", "db")
    assert r.code == 0 and "Binding between db and blue does not exist\nOK" in r.out


def test_set_env_and_unset_env(world: World) -> None:
    assert world.cf("set-env", "blue", "A", "1").code == 0
    r = world.cf("unset-env", "blue", "B")
    assert (r.code, "Env variable B was not set.\nOK" in r.out) == (0, True)
    assert "A: 1" in world.cf("env", "blue").out
    world.cf("unset-env", "blue", "A")
    assert _app(world, "blue")["env"] == {}


def test_logs_recent(world: World) -> None:
    world.app_dir("bad", start="fail")
    world.cf("push", "green", "-p", "bad")
    r = world.cf("logs", "green", "--recent")
    assert r.code == 0
    assert r.out.startswith(f"Retrieving logs for app green {WHERE}\n\n")
    assert "[APP/PROC/WEB/0] ERR Exit status 1" in r.out
    assert world.cf("logs", "green").code == 1  # streaming is not simulated


def test_labels(world: World) -> None:
    assert world.cf("set-label", "app", "blue", "tier=web", "team=a").code == 0
    assert world.cf("unset-label", "app", "blue", "team").code == 0
    r = world.cf("labels", "app", "blue")
    assert r.out.endswith("key    value\ntier   web\n")
    r = world.cf("labels", "bogus", "blue")
    assert (r.code, r.err) == (1, "Unsupported resource type of 'bogus'\n")


# --- routes commands -----------------------------------------------------------------


def test_create_check_delete_route(world: World) -> None:
    r = world.cf("create-route", "example.com", "--hostname", "www")
    assert (r.code, r.err) == (0, "Route www.example.com already exists.\n")
    assert world.cf("create-route", "example.com", "--hostname", "new").code == 0
    r = world.cf("check-route", "example.com", "--hostname", "new")
    assert (r.code, r.out) == (0, "Checking for route...\nRoute 'new.example.com' does exist.\n"
                                  "OK\n\n")
    assert "does not exist." in world.cf("check-route", "example.com", "--hostname", "x").out
    assert world.cf("check-route", "nope.org", "--hostname", "x").code == 1
    r = world.cf("delete-route", "example.com", "--hostname", "gone", "-f")
    assert r.code == 0 and "Unable to delete. Route with host 'gone'" in r.out
    assert world.cf("delete-route", "example.com", "--hostname", "new", "-f").code == 0
    assert "new.example.com" not in world.fnd.route_table()


def test_shared_domain_needs_a_host(make_world: Callable[..., World]) -> None:
    w = make_world(domains=("corp.com",), shared_domains=("apps.example.com",))
    w.fnd.add_app("x")
    r = w.cf("map-route", "x", "apps.example.com")
    assert r.code == 1 and "Missing host" in r.err
    assert w.cf("map-route", "x", "corp.com").code == 0
    assert w.fnd.route_table()["corp.com"] == ["x"]


# --- login / target ------------------------------------------------------------------


def test_not_logged_in(world: World) -> None:
    world.fnd.configure(logged_in=False)
    for argv in (["target"], ["app", "blue"], ["map-route", "blue", "example.com"]):
        r = world.cf(*argv)
        assert (r.code, r.err) == (1, "Not logged in. Use 'cf login' or 'cf login --sso' to "
                                      "log in.\n"), argv
    assert world.cf("version").code == 0


def test_no_space_targeted(world: World) -> None:
    world.fnd.untarget(space_only=True)
    r = world.cf("app", "blue")
    assert (r.code, r.err) == (1, "No space targeted, use 'cf target -s SPACE' to target a "
                                  "space.\n")
    r = world.cf("target")
    assert r.code == 0
    assert r.out.endswith("org:            demo-org\nNo space targeted, use 'cf target -s "
                          "SPACE'\n")


def test_target_switch_failure_clears_target(world: World) -> None:
    r = world.cf("target", "-o", "demo-org", "-s", "nope")
    assert (r.code, r.err) == (1, "Space 'nope' not found.\n")
    assert "org:" not in world.cf("target").out
    assert world.cf("target", "-o", "demo-org").code == 0  # auto-targets the only space
    assert "space:          production" in world.cf("target").out


@pytest.fixture
def world_factory(make_world: Callable[..., World]) -> Callable[[int], World]:
    """``world_factory(major)``: blue (2 instances) live on www.example.com."""

    def make(major: int) -> World:
        w = make_world(cf_major=major)
        w.fnd.add_app("blue", instances=2, behaviour={"body": "ok v1"})
        w.fnd.map_route("blue", "www", "example.com")
        return w

    return make
