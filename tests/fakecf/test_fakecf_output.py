"""Exact output layouts the scripts parse (semantics.md section 2, capi_v3_routes.md)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import World

HEAD = "Showing health and status for app blue in org demo-org / space production as ci-user...\n\n"


def _world(make_world: Callable[..., World], major: int, state: str = "STARTED") -> World:
    w = make_world(cf_major=major)
    w.fnd.add_app("blue", state=state, instances=2)
    w.fnd.map_route("blue", "www", "example.com")
    w.fnd.map_route("blue", "www", "example.com", "/api")
    w.fnd.map_route("blue", "blue", "example.com")
    return w


def test_cf_app_v8_layout(make_world: Callable[..., World]) -> None:
    w = _world(make_world, 8)
    r = w.cf("app", "blue")
    assert r.code == 0
    assert r.out == HEAD + (
        "name:              blue\n"
        "requested state:   started\n"
        "routes:            www.example.com, www.example.com/api, blue.example.com\n"
        "last uploaded:     Tue 04 Mar 10:00:00 UTC 2025\n"
        "stack:             cflinuxfs4\n"
        "buildpacks:        \n"
        "\tname             version   detect output   buildpack name\n"
        "\truby_buildpack   1.8.0     ruby            ruby_buildpack\n"
        "\n"
        "type:           web\n"
        "sidecars:       \n"
        "instances:      2/2\n"
        "memory usage:   1024M\n"
        "     state     since                  cpu    memory      disk         logging         "
        "cpu entitlement   details   ready\n"
        "#0   running   2025-03-04T10:00:00Z   0.2%   64M of 1G   128M of 1G   0B/s of 16K/s   "
        "                            true\n"
        "#1   running   2025-03-04T10:00:00Z   0.2%   64M of 1G   128M of 1G   0B/s of 16K/s   "
        "                            true\n")


def test_cf_app_stopped_shows_down_instances(make_world: Callable[..., World]) -> None:
    w = _world(make_world, 8, state="STOPPED")
    out = w.cf("app", "blue").out
    assert "requested state:   stopped\n" in out
    assert "instances:      0/2\n" in out
    assert out.count("   down    ") == 2


def test_cf_app_v7_has_no_v8_columns(make_world: Callable[..., World]) -> None:
    out = _world(make_world, 7).cf("app", "blue").out
    assert "     state     since                  cpu    memory      disk         details\n" in out
    assert "\tname             version" in out  # buildpack table since 7.1


def test_cf_app_v6_lists_buildpacks_inline(make_world: Callable[..., World]) -> None:
    out = _world(make_world, 6).cf("app", "blue").out
    assert "buildpacks:        ruby_buildpack\n" in out
    assert "\tname" not in out


@pytest.mark.parametrize("major", [6, 7, 8])
def test_routes_line_is_parseable_the_documented_way(make_world: Callable[..., World],
                                                     major: int) -> None:
    w = _world(make_world, major)
    r = w.run(["bash", "-c", "cf app blue | sed -n 's/^routes: *//p' | tr ',' '\\n' | "
                             "sed 's/^ *//;s/ *$//' | grep -qxF www.example.com/api"])
    assert r.code == 0


def test_cf_target_layout(make_world: Callable[..., World]) -> None:
    w8, w6 = make_world(cf_major=8), make_world(cf_major=6)
    assert w8.cf("target").out == ("API endpoint:   https://api.example.com\n"
                                   "API version:    3.195.0\n"
                                   "user:           ci-user\n"
                                   "org:            demo-org\n"
                                   "space:          production\n")
    assert w6.cf("target").out.startswith("api endpoint:   https://api.example.com\n")


def test_cf_version_per_major(make_world: Callable[..., World]) -> None:
    assert make_world(cf_major=8).cf("version").out == "cf version 8.18.4+5883401.2025-10-02\n"
    assert make_world(cf_major=6).cf("version").out.startswith("cf version 6.53.0+")


def test_cf_routes_layouts(make_world: Callable[..., World]) -> None:
    w8 = _world(make_world, 8)
    w8.fnd.add_app("green")
    w8.fnd.map_route("green", "www", "example.com")
    lines = w8.cf("routes").out.splitlines()
    assert lines[:2] == ["Getting routes for org demo-org / space production as ci-user...", ""]
    assert lines[2] == ("space        host   domain        port   path   protocol   app-protocol"
                        "   app-port   apps          service instance   options")
    assert "blue, green" in lines[3]
    w7 = _world(make_world, 7)
    assert w7.cf("routes").out.splitlines()[2].split() == [
        "space", "host", "domain", "port", "path", "protocol", "apps"]
    w6 = _world(make_world, 6)
    out6 = w6.cf("routes").out
    assert out6.startswith("Getting routes for org demo-org / space production as ci-user ...\n")
    assert "type" in out6.splitlines()[2]
    assert make_world(cf_major=8).cf("routes").out.endswith("No routes found.\n")


def test_cf_apps_layout(make_world: Callable[..., World]) -> None:
    out = _world(make_world, 8).cf("apps").out.splitlines()
    assert out[2:] == ["name   requested state   processes   routes",
                       "blue   started           web:2/2     www.example.com, "
                       "www.example.com/api, blue.example.com"]


@pytest.mark.parametrize("major", [6, 7, 8])
def test_cf_curl_whitespace_per_major(make_world: Callable[..., World], major: int) -> None:
    w = _world(make_world, major)
    r = w.cf("curl", "-f", f"/v3/apps?names=blue&space_guids={w.space_guid()}")
    assert r.code == 0
    body = json.loads(r.out)
    assert body["resources"][0]["name"] == "blue"
    assert body["pagination"]["total_results"] == 1
    if major == 8:
        assert r.out == json.dumps(body, separators=(",", ":")) + "\n"
    else:
        assert r.out == json.dumps(body, indent=3) + "\n"
        assert '\n   "pagination": {\n      "total_results": 1,' in r.out


@pytest.mark.parametrize(("major", "out", "err"), [
    (8, "FAILED\n", "The requested URL returned error: 404\n"),
    (7, "FAILED\nThe requested URL returned error: 404\n", ""),
    (6, "FAILED\nThe requested URL returned error: 404\n", "")])
def test_cf_curl_fail_exits_22(make_world: Callable[..., World], major: int, out: str,
                               err: str) -> None:
    w = make_world(cf_major=major)
    r = w.cf("curl", "-f", "/v3/apps/no-such-guid")
    assert (r.code, r.out, r.err) == (22, out, err)
    r = w.cf("curl", "/v3/apps/no-such-guid")
    assert r.code == 0
    assert json.loads(r.out)["errors"][0]["title"] == "CF-ResourceNotFound"


def test_cf_curl_unknown_path(world: World) -> None:
    r = world.cf("curl", "/v3/bogus")
    assert json.loads(r.out) == {"errors": [{"detail": "Unknown request", "title": "CF-NotFound",
                                             "code": 10000}]}


def test_cf_curl_app_lock_and_labels(world: World) -> None:
    sg = world.space_guid()
    body = json.dumps({"name": "lock", "relationships": {"space": {"data": {"guid": sg}}},
                       "metadata": {"annotations": {"holder": "me"}}})
    first = world.cf("curl", "-f", "/v3/apps", "-X", "POST", "-d", body)
    assert first.code == 0
    assert json.loads(first.out)["metadata"]["annotations"] == {"holder": "me"}
    again = world.cf("curl", "/v3/apps", "-X", "POST", "-d", body)
    assert json.loads(again.out)["errors"][0] == {
        "detail": "App with the name 'lock' already exists.", "title": "CF-UniquenessError",
        "code": 10016}
    assert world.cf("curl", "-f", "/v3/apps", "-X", "POST", "-d", body).code == 22
    guid = world.guid("blue")
    patch = '{"metadata":{"labels":{"cf-bluegreen-state":"live","old":"x"}}}'
    assert world.cf("curl", "-f", f"/v3/apps/{guid}", "-X", "PATCH", "-d", patch).code == 0
    patch = '{"metadata":{"labels":{"old":null}}}'
    out = json.loads(world.cf("curl", "-f", f"/v3/apps/{guid}", "-X", "PATCH", "-d", patch).out)
    assert out["metadata"]["labels"] == {"cf-bluegreen-state": "live"}
    assert world.cf("delete", "lock", "-f").code == 0
    assert world.cf("curl", "-f", "/v3/apps", "-X", "POST", "-d", body).code == 0


def test_cf_curl_routes_and_domains(world: World) -> None:
    domain = json.loads(world.cf("curl", "/v3/domains?names=example.com").out)["resources"][0]
    routes = json.loads(world.cf("curl", f"/v3/routes?domain_guids={domain['guid']}&hosts=www"
                                         "&paths=").out)
    assert routes["pagination"]["total_results"] == 1
    route = routes["resources"][0]
    assert list(route)[:9] == ["guid", "created_at", "updated_at", "protocol", "host", "path",
                               "port", "url", "destinations"]
    assert [d["app"]["guid"] for d in route["destinations"]] == [world.guid("blue")]
    mine = json.loads(world.cf("curl", f"/v3/routes?app_guids={world.guid('blue')}&hosts=x").out)
    assert mine["pagination"]["total_results"] == 0
    res = json.loads(world.cf("curl", f"/v3/domains/{domain['guid']}/route_reservations"
                                      "?host=www").out)
    assert res == {"matching_route": True}
