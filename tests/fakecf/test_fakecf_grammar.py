"""The stub accepts every command form the scripts use, and refuses what the real
cf CLI refuses -- with the real words, streams and exit codes."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import World

LOCK_BODY = ('{"name":"demo-bluegreen-lock","relationships":{"space":{"data":{"guid":"SG"}}},'
             '"metadata":{"annotations":{"cf-bluegreen-holder":"ci@host","cf-bluegreen-since":'
             '"2025-03-04T10:00:00Z"}}}')
PATCH_BODY = '{"metadata":{"labels":{"cf-bluegreen-state":"live"}}}'


def _seeded(make_world: Callable[..., World], major: int) -> World:
    w = make_world(cf_major=major)
    w.fnd.add_app("blue", instances=2)
    w.fnd.map_route("blue", "www", "example.com")
    w.fnd.add_app("green", state="STOPPED")
    w.fnd.add_service("db")
    (w.work / "manifest.yml").write_text("---\napplications:\n- name: green\n")
    (w.work / "vars.yml").write_text("---\n")
    w.app_dir("app", version="v2")
    return w


# Every form of docs/fakecf-contract.md, in a v7/v8 and a v6 spelling.
CONTRACT_V7 = [
    ["version"], ["target"], ["space", "production", "--guid"], ["app", "blue"],
    ["app", "blue", "--guid"],
    ["curl", "-f", "/v3/apps?names=blue&space_guids=SG"],
    ["curl", "-f", "/v3/apps/BLUE", "-X", "PATCH", "-d", PATCH_BODY],
    ["curl", "-f", "/v3/apps", "-X", "POST", "-d", LOCK_BODY],
    ["delete", "demo-bluegreen-lock", "-f"],
    ["push", "green", "--no-route", "--no-start", "--instances", "2", "--manifest",
     "manifest.yml", "--path", "app", "--var", "K=V", "--var", "A=B", "--vars-file",
     "vars.yml", "--buildpack", "ruby_buildpack", "--stack", "cflinuxfs4", "--memory", "256M",
     "--disk", "1G", "--app-start-timeout", "60"],
    ["push", "green", "--no-route", "--no-start", "--docker-image", "org/img:1"],
    ["bind-service", "green", "db"], ["bind-service", "green", "db"],
    ["map-route", "green", "example.com", "--hostname", "www"],
    ["map-route", "green", "example.com", "--hostname", "www", "--path", "/api"],
    ["unmap-route", "green", "example.com", "--hostname", "www", "--path", "/api"],
    ["start", "green"], ["logs", "green", "--recent"],
    ["unmap-route", "blue", "example.com", "--hostname", "www"], ["stop", "blue"],
    ["delete", "blue", "-f"],
]
CONTRACT_V6 = [
    ["version"], ["target"], ["space", "production", "--guid"], ["app", "blue"],
    ["app", "blue", "--guid"],
    ["curl", "-f", "/v3/apps?names=blue&space_guids=SG"],
    ["curl", "-f", "/v3/apps/BLUE", "-X", "PATCH", "-d", PATCH_BODY],
    ["curl", "-f", "/v3/apps", "-X", "POST", "-d", LOCK_BODY],
    ["delete", "demo-bluegreen-lock", "-f"],
    ["push", "green", "--no-route", "--no-start", "-i", "2", "-f", "manifest.yml", "-p", "app",
     "--var", "K=V", "--vars-file", "vars.yml", "-b", "ruby_buildpack", "-s", "cflinuxfs4",
     "-m", "256M", "-k", "1G", "-t", "60"],
    ["push", "green", "--no-route", "--no-start", "-o", "org/img:1"],
    ["bind-service", "green", "db"], ["bind-service", "green", "db"],
    ["map-route", "green", "example.com", "-n", "www"],
    ["map-route", "green", "example.com", "-n", "www", "--path", "/api"],
    ["unmap-route", "green", "example.com", "-n", "www", "--path", "/api"],
    ["start", "green"], ["logs", "green", "--recent"],
    ["unmap-route", "blue", "example.com", "-n", "www"], ["stop", "blue"],
    ["delete", "blue", "-f"],
]


@pytest.mark.parametrize(("major", "forms"), [(8, CONTRACT_V7), (7, CONTRACT_V7),
                                               (6, CONTRACT_V6)])
def test_every_contract_form_runs(make_world: Callable[..., World], major: int,
                                  forms: list[list[str]]) -> None:
    w = _seeded(make_world, major)
    sg, blue = w.space_guid(), w.guid("blue")
    for form in forms:
        argv = [a.replace("SG", sg).replace("BLUE", blue) for a in form]
        r = w.cf(*argv)
        assert r.code == 0, f"cf {' '.join(argv)}\n{r}"
        assert "Incorrect Usage" not in r.out + r.err
    assert w.fnd.app("blue") is None
    green = w.fnd.app("green")
    assert green is not None and green["state"] == "STARTED"
    assert green["routes"] == ["www.example.com"]


# (major, argv, exit, text expected on stderr, text expected on stdout)
INVALID = [
    (8, ["push", "x", "-n", "y"], 1, "Incorrect Usage: unknown flag `n'\n\n", "NAME:"),
    (7, ["push", "x", "-d", "example.com"], 1, "Incorrect Usage: unknown flag `d'", "NAME:"),
    (8, ["push", "x", "--hostname", "h"], 1, "Incorrect Usage: unknown flag `hostname'", "USAGE:"),
    (8, ["push", "x", "--route-path", "/p"], 1, "unknown flag `route-path'", "push"),
    (8, ["push", "x", "--no-hostname"], 1, "unknown flag `no-hostname'", "push"),
    (8, ["map-route", "app"], 1,
     "Incorrect Usage: the required argument `DOMAIN` was not provided", "map-route"),
    (7, ["map-route"], 1,
     "the required arguments `APP_NAME` and `DOMAIN` were not provided", "map-route"),
    (6, ["map-route", "app"], 1, "the required argument `DOMAIN` was not provided", "NAME:"),
    (8, ["map-route", "a", "example.com", "extra"], 1,
     'Incorrect Usage: unexpected argument "extra"', "FAILED\n\nNAME:"),
    (7, ["unmap-route", "a", "example.com", "x", "y"], 1,
     'Incorrect Usage: unexpected argument "x y"', "FAILED"),
    (8, ["stop"], 1, "the required argument `APP_NAME` was not provided", "stop"),
    (6, ["stop"], 1, "the required argument `APP_NAME` was not provided", "stop"),
    (8, ["push", "x", "--bogus"], 1, "Incorrect Usage: unknown flag `bogus'", "push"),
    (8, ["push", "x", "-i"], 1, "expected argument for flag `-i, --instances'", "push"),
    (8, ["push", "x", "-i", "-1"], 1, "invalid argument for flag '-i' (expected int > 0)",
     "push"),
    (8, ["scale", "x", "-i", "abc"], 1, "invalid argument for flag '-i' (expected int > 0)",
     "scale"),
    (8, ["map-route", "a", "example.com", "--hostname", "--path", "/x"], 1,
     "expected argument for flag `-n, --hostname', but got option `--path'", "map-route"),
    (8, ["push", "x", "-f", "missing.yml"], 1,
     "Incorrect Usage: The specified path 'missing.yml' does not exist.", "push"),
    (8, ["push", "x", "-u", "bogus"], 1,
     'HEALTH_CHECK_TYPE must be "port", "process", or "http"', "push"),
    (8, ["push", "x", "--no-route", "--random-route"], 1,
     "Incorrect Usage: The following arguments cannot be used together: --no-route, "
     "--random-route", "FAILED"),
    (8, ["bogus"], 1, "'bogus' is not a registered command. See 'cf help -a'", ""),
    (6, ["create-app", "x"], 0 + 1, "", "'create-app' is not a registered command"),
    (6, ["labels", "app", "x"], 1, "", "'labels' is not a registered command"),
    (7, ["curl", "/v3/apps", "-fi"], 1, "", "FAILED\nIncorrect Usage\n\nInvalid flag: -fi"),
    (6, ["delete", "-fr", "x"], 1, "", "FAILED\nIncorrect Usage\n\nInvalid flag: -fr"),
    (6, ["map-route", "a", "example.com", "-nwww"], 1, "", "Invalid flag: -nwww"),
    (6, ["map-route", "a", "example.com", "extra"], 1, "",
     "FAILED\nIncorrect Usage. Requires APP_NAME and DOMAIN as arguments\n\nNAME:"),
    (6, ["map-route", "a", "example.com", "--port", "80", "-n", "h"], 1, "",
     "FAILED\nCannot specify port together with hostname and/or path."),
    (8, ["create-service", "p-mysql", "small", "db"], 1, "is not simulated", "FAILED"),
]


@pytest.mark.parametrize(("major", "argv", "code", "err", "out"), INVALID,
                         ids=[f"v{m}-{'_'.join(a)}" for m, a, *_ in INVALID])
def test_invalid_invocations_fail_like_the_real_cli(
        make_world: Callable[..., World], major: int, argv: list[str], code: int, err: str,
        out: str) -> None:
    w = make_world(cf_major=major)
    r = w.cf(*argv)
    assert r.code == code, str(r)
    assert err in r.err, str(r)
    assert out in r.out, str(r)
    assert w.fnd.app("x") is None
    assert w.fnd.calls()[-1]["status"] == code


@pytest.mark.parametrize("argv", [["push", "x", "--no-start=true"], ["delete", "x", "-f=true"],
                                  ["push", "x", "--no-route=false", "--no-start"]])
def test_bool_flag_with_a_value_exits_0_without_running(make_world: Callable[..., World],
                                                        argv: list[str]) -> None:
    w = make_world()
    w.fnd.add_app("x")
    r = w.cf(*argv)
    assert r.code == 0
    assert r.err.startswith("Unexpected flag error\ntype: no argument for bool\nmessage: bool "
                            "flag `")
    assert "cannot have an argument" in r.err
    assert r.out == ""
    assert w.fnd.app("x") is not None and w.fnd.app("x")["state"] == "STARTED"  # type: ignore


@pytest.mark.parametrize("major", [6, 7, 8])
def test_help_flag_prints_help_and_runs_nothing(make_world: Callable[..., World],
                                                major: int) -> None:
    w = make_world(cf_major=major)
    w.fnd.add_app("x")
    r = w.cf("stop", "x", "-h")
    assert r.code == 0
    assert r.out.startswith("NAME:\n   stop - ")
    assert w.fnd.app("x")["state"] == "STARTED"  # type: ignore[index]


def test_set_env_value_may_start_with_a_dash(make_world: Callable[..., World]) -> None:
    w = make_world()
    w.fnd.add_app("x")
    r = w.cf("set-env", "x", "OPTS", "-Xmx1g")
    assert r.code == 0, str(r)
    assert w.fnd.app("x")["env"] == {"OPTS": "-Xmx1g"}  # type: ignore[index]


def test_cf_dash_v_is_cf_version(make_world: Callable[..., World]) -> None:
    w = make_world(cf_major=7)
    assert w.cf("-v").out == w.cf("version").out == "cf version 7.8.0+cb395bf.2024-12-02\n"
    assert w.cf("--version").code == 0


def test_aliases_resolve(make_world: Callable[..., World]) -> None:
    w = make_world()
    w.fnd.add_app("x")
    assert w.cf("sp", "x").code == 0
    assert w.fnd.app("x")["state"] == "STOPPED"  # type: ignore[index]
    assert w.cf("a").code == 0  # apps


def test_glued_and_equals_values_are_accepted(make_world: Callable[..., World]) -> None:
    w = make_world()
    w.fnd.add_app("x")
    assert w.cf("map-route", "x", "example.com", "-nwww").code == 0
    assert w.cf("map-route", "x", "example.com", "--hostname=api", "--path=v1").code == 0
    assert sorted(w.fnd.app("x")["routes"]) == ["api.example.com/v1",  # type: ignore[index]
                                                "www.example.com"]
