"""What tools read from the emitted scripts: ``status.sh --json`` and ``--version``.

``status.sh --json`` is parsed with :func:`json.loads` in each situation the
simulated foundation seeds, with the deploy lock free and held, for a web app
and a worker, and for names that need escaping; every value is compared with
what the situation holds. ``--version`` of every script of every example
profile names the generator version, the profile and its sha256, and runs no
cf command.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

import generator
from generator.profile import load_profile
from generator.rehearsal import STATE_LABEL, Run, Sandbox, records
from generator.render import SCRIPTS
from tests.conftest import EXAMPLES, deploy, example, explain

Make = Callable[..., Sandbox]
SITUATIONS = ["first-deploy", "blue-live", "green-live", "interrupted-cutover"]
HOLDER, SINCE = "bob@ci:7", "2026-11-30T02:00:00Z"

def hold_lock(sandbox: Sandbox) -> None:
    """Another run holds the deploy lock (as tests/test_e2e.py seeds it)."""
    sandbox.foundation.add_app(
        f"{sandbox.profile.app}-bluegreen-lock", state="STOPPED", instances=0,
        annotations={"cf-bluegreen-holder": HOLDER, "cf-bluegreen-since": SINCE})


def status_json(sandbox: Sandbox) -> tuple[dict, Run]:
    """Run ``status.sh --json``: exit 0, one line of JSON on stdout, nothing changed."""
    run = sandbox.run("status.sh", "--json")
    assert run.exit_code == 0, explain(run)
    assert run.stdout.endswith("\n") and run.stdout.count("\n") == 1, explain(run)
    assert not any(call["mutating"] for call in run.calls)
    assert run.stderr.splitlines()[-1].startswith("status.sh: exit 0 after "), explain(run)
    try:
        return json.loads(run.stdout), run
    except json.JSONDecodeError as exc:
        raise AssertionError(
            f"status.sh --json printed invalid JSON: {exc}\n{explain(run)}") from None


def color(name: str, state: str | None = None, routes: tuple[str, ...] = (),
          recorded: dict[str, str] | None = None, instances: int = 2) -> dict:
    """The object ``--json`` prints for one color; ``state`` None: does not exist."""
    if state is None:
        return {"name": name, "exists": False, "state": None, "instances": 0, "routes": [],
                "recorded": None}
    return {"name": name, "exists": True, "state": state, "instances": instances,
            "routes": sorted(routes), "recorded": (recorded or {}).get(STATE_LABEL)}


def expected_status(sandbox: Sandbox, situation: str, lock_held: bool) -> dict:
    """What status.sh must report for a situation as :meth:`Sandbox.seed` lays it
    out (two instances each, the records of :func:`records`)."""
    profile = sandbox.profile
    blue, green = profile.colors
    live = [route.url.lower() for route in profile.live_routes]
    staging = [profile.staging_route.url.lower()] if profile.staging_route else []
    record = records(profile)
    if situation == "first-deploy":
        colors = [color(blue), color(green)]
        live_color = moving = target = None
        reason = "no color is live"
    elif situation == "blue-live":
        colors = [color(blue, "started", live), color(green)]
        live_color, moving, target, reason = blue, None, green, "it does not exist"
    elif situation == "green-live":
        colors = [color(blue, "stopped", (), record["standby"]),
                  color(green, "started", live, record["live"])]
        live_color, moving, target, reason = green, None, blue, None
    elif situation == "interrupted-cutover":
        # Both hold the live routes; the staging route (a worker: the record)
        # says the move was under way to the second color, which counts as live.
        colors = [color(blue, "started", live, record["live"]),
                  color(green, "started", (*live, *staging), record["deploy-candidate"])]
        live_color, moving, target, reason = green, green, blue, None
    else:
        raise ValueError(situation)
    return {
        "app": profile.app,
        "live": live_color,
        "moving_to": moving,
        "colors": colors,
        "rollback": {"available": reason is None, "color": target, "reason": reason},
        "live_routes": live,
        "lock": {"held": lock_held, "holder": HOLDER if lock_held else None,
                 "since": SINCE if lock_held else None},
    }


def normalized(status: dict) -> dict:
    """Route lists in a fixed order (Cloud Controller lists routes in its own)."""
    for entry in status.get("colors", []):
        if isinstance(entry, dict) and isinstance(entry.get("routes"), list):
            entry["routes"] = sorted(entry["routes"])
    return status


CASES = [
    pytest.param(profile, situation, lock, id=f"{profile}-{situation}-{lock}")
    for profile in ("sinatra", "worker")
    for situation in SITUATIONS
    for lock in ("free", "held")
]


@pytest.mark.parametrize(("profile", "situation", "lock"), CASES)
def test_status_json_reports_the_situation(make_sandbox: Make, profile: str, situation: str,
                                           lock: str) -> None:
    sandbox = make_sandbox(profile, situation)
    if lock == "held":
        hold_lock(sandbox)
    status, run = status_json(sandbox)
    assert list(status) == ["app", "live", "moving_to", "colors", "rollback", "live_routes",
                            "lock"]
    assert normalized(status) == expected_status(sandbox, situation, lock == "held"), (
        explain(run))
    assert "unbound variable" not in run.stderr


def test_status_json_agrees_with_the_text_report(make_sandbox: Make) -> None:
    """The same facts as ``status.sh`` without --json, which tests/test_e2e.py checks."""
    sandbox = make_sandbox("shop", "green-live")
    hold_lock(sandbox)
    status, _ = status_json(sandbox)
    text = sandbox.run("status.sh").stdout
    blue, green = sandbox.profile.colors
    assert text.startswith(f"live:      {status['live']} (started, 2 instance(s)")
    assert f"rollback:  available: {status['rollback']['color']} (stopped" in text
    assert f"routes:    {' '.join(status['live_routes'])}\n" in text
    assert f"lock:      held by {status['lock']['holder']} since {status['lock']['since']}" in text
    assert (status["live"], status["rollback"]["color"]) == (green, blue)
    assert status["live_routes"] == ["shop.example.com", "www.example.org/shop"]


def test_status_json_after_a_build_that_failed_its_health_check(make_sandbox: Make) -> None:
    sandbox = make_sandbox("sinatra", "blue-live")
    run = deploy(sandbox, healthy=False)
    assert run.exit_code == 3, explain(run)
    blue, green = sandbox.profile.colors
    status, _ = status_json(sandbox)
    assert status["live"] == blue and status["moving_to"] is None
    assert status["colors"][1] == color(green, "stopped", (), {STATE_LABEL: "failed"})
    assert status["rollback"] == {"available": False, "color": green,
                                  "reason": "it holds a build that failed its health check"}
    assert status["lock"] == {"held": False, "holder": None, "since": None}



def test_status_json_when_both_colors_hold_the_live_routes_and_nothing_says_why(
        make_sandbox: Make) -> None:
    """Both colors mapped to the live routes by hand, no staging route, no record:
    no color can be called live, so there is no rollback target, and the reason says so."""
    sandbox = make_sandbox("sinatra", "blue-live")
    blue, green = sandbox.profile.colors
    sandbox.foundation.add_app(green, instances=2)
    for route in sandbox.profile.live_routes:
        sandbox.foundation.map_route(green, route.host, route.domain, route.path)
    status, _ = status_json(sandbox)
    assert (status["live"], status["moving_to"]) == (None, None)
    assert status["rollback"] == {"available": False, "color": None,
                                  "reason": "both colors are live and nothing says which is new"}
    text = sandbox.run("status.sh")
    assert text.exit_code == 0, explain(text)
    assert text.stdout.startswith(
        f"live:      BOTH {blue} (started, 2 instance(s)"), explain(text)
    assert (f"and {green} (started, 2 instance(s)" in text.stdout
            and "(an interrupted cutover: run deploy.sh or rollback.sh to finish)\n"
            in text.stdout), explain(text)
    assert "rollback:" not in text.stdout, explain(text)

# -- names that JSON must escape ------------------------------------------------------------
APP = 'say "hi" \\o/'
COLORS = ('blue "one"', "green\\two é,%2C")


def escaped_profile(folder: Path, app: str = APP, colors: tuple[str, str] = COLORS,
                    live_path: str | None = None):
    """The sinatra example with other names (and live route path), through the
    real loader: the validator accepts them."""
    text = EXAMPLES["sinatra"].read_text(encoding="utf-8")
    assert 'app = "sinatra"' in text and 'colors = ["sinatra_a", "sinatra_b"]' in text
    text = text.replace('app = "sinatra"', f"app = {json.dumps(app, ensure_ascii=False)}")
    text = text.replace('colors = ["sinatra_a", "sinatra_b"]',
                        f"colors = {json.dumps(list(colors), ensure_ascii=False)}")
    if live_path is not None:
        old = 'live = [{ host = "sinatralive", domain = "example.com" }]'
        assert old in text
        text = text.replace(old, 'live = [{ host = "sinatralive", domain = "example.com", '
                                 f"path = {json.dumps(live_path)} }}]")
    path = folder / "escaped.toml"
    path.write_text(text, encoding="utf-8")
    return load_profile(path)


@pytest.mark.parametrize("situation", SITUATIONS)
def test_status_json_escapes_quotes_and_backslashes_in_names(
        make_sandbox: Make, tmp_path: Path, situation: str) -> None:
    profile = escaped_profile(tmp_path)
    assert (profile.app, profile.colors) == (APP, COLORS)
    sandbox = make_sandbox(profile, situation)
    hold_lock(sandbox)
    status, run = status_json(sandbox)
    assert normalized(status) == expected_status(sandbox, situation, True), explain(run)
    assert status["app"] == APP and [c["name"] for c in status["colors"]] == list(COLORS)


def test_status_json_prints_a_route_with_a_star_as_it_is(make_sandbox: Make,
                                                         tmp_path: Path) -> None:
    profile = escaped_profile(tmp_path, app="sinatra", colors=("sinatra_a", "sinatra_b"),
                              live_path="/a*")
    sandbox = make_sandbox(profile, "blue-live")
    # A folder that the route, read as a glob from where status.sh runs, matches.
    (sandbox.work / "sinatralive.example.com" / "abc").mkdir(parents=True)
    status, run = status_json(sandbox)
    assert status["live_routes"] == ["sinatralive.example.com/a*"], explain(run)
    assert status["colors"][0]["routes"] == ["sinatralive.example.com/a*"], explain(run)


# -- --version ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_version_names_generator_profile_and_hash_and_runs_no_cf(make_sandbox: Make,
                                                                 name: str) -> None:
    digest = hashlib.sha256(EXAMPLES[name].read_bytes()).hexdigest()
    sandbox = make_sandbox(example(name), "blue-live")
    assert sandbox.profile.source_hash == digest
    for script in SCRIPTS:
        run = sandbox.run(script, "--version")
        assert run.exit_code == 0, explain(run)
        assert run.stdout.endswith("\n") and run.stdout.count("\n") == 1, explain(run)
        line = run.stdout.rstrip("\n")
        assert line.startswith(f"{script} "), line
        assert f"cf-bluegreen {generator.__version__} " in line, line
        assert f" profile {name} " in line and f"sha256 {digest}" in line, line
        assert run.stderr == "", explain(run)
        assert run.calls == [] and run.events == [], f"{script} --version ran {run.calls}"
        # The header comment of the script names the same version and hash.
        header = (sandbox.scripts / script).read_text(encoding="utf-8")[:600]
        assert f"cf-bluegreen {generator.__version__} " in header and digest in header
