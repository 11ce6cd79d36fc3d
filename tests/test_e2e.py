"""End to end: the emitted scripts, run by bash against the simulated foundation.

Each test names a situation of DESIGN.md, runs the real emitted script and
checks the foundation afterwards: who holds the live routes, app states,
recorded labels, the lock, and that the invariant checker saw no violation.
"""

from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Callable

import pytest

from generator.rehearsal import STATE_LABEL, Sandbox, live_record_problem, records
from tests.conftest import deploy, example, explain, only_on_live

WEB_EXAMPLES = ["sinatra", "shop", "minimal"]
Make = Callable[..., Sandbox]


def assert_live(sandbox: Sandbox, color: str, version: str | None = None) -> None:
    """``color`` alone holds every live route, is started and recorded live."""
    for url, apps in sandbox.live_apps().items():
        assert apps == [color], f"{url} is mapped to {apps}, expected only {color}"
    app = sandbox.foundation.app(color)
    assert app is not None and app["state"] == "STARTED"
    assert live_record_problem(sandbox.profile, app) is None
    if version is not None:
        assert app["behaviour"]["version"] == version
    staging = sandbox.profile.staging_route
    if staging is not None:
        assert staging.url not in app["routes"], "the staging route stays mapped"
    assert sandbox.lock_app() is None, "the deploy lock was not released"
    assert sandbox.foundation.violations() == []


def mutating_calls(run) -> list[list[str]]:
    return [call["argv"] for call in run.calls if call["mutating"]]


@pytest.mark.parametrize("name", WEB_EXAMPLES)
def test_first_deploy_when_nothing_exists(make_sandbox: Make, name: str) -> None:
    sandbox = make_sandbox(name, "first-deploy")
    run = deploy(sandbox, version="v1")
    assert run.exit_code == 0, explain(run)
    blue, green = sandbox.profile.colors
    assert_live(sandbox, blue, "v1")
    assert sandbox.foundation.app(green) is None
    assert "is live (first deploy)" in run.stderr


@pytest.mark.parametrize("name", WEB_EXAMPLES)
def test_blue_live_deploys_to_green_and_stops_blue(make_sandbox: Make, name: str) -> None:
    sandbox = make_sandbox(name, "blue-live")
    run = deploy(sandbox)
    assert run.exit_code == 0, explain(run)
    blue, green = sandbox.profile.colors
    assert_live(sandbox, green, "v2")
    old = sandbox.foundation.app(blue)
    retire = sandbox.profile.cutover.retire
    assert old["state"] == ("STARTED" if retire == "keep" else "STOPPED")
    assert old["routes"] == [] and old["labels"] == records(sandbox.profile)["standby"]
    # The new color gets the live color's instance count (seeded: 2).
    assert sandbox.foundation.app(green)["instances"] == 2
    for service in sandbox.profile.services:
        assert ["bind-service", green, service] in run.cf_argvs()


def test_cutover_order_maps_every_live_route_before_unmapping_any(make_sandbox: Make) -> None:
    sandbox = make_sandbox("shop", "blue-live")
    run = deploy(sandbox)
    assert run.exit_code == 0, explain(run)
    blue, green = sandbox.profile.colors
    route_changes = [argv[:2] for argv in run.cf_argvs() if argv[0].endswith("map-route")]
    assert route_changes == [
        ["map-route", green],  # staging
        ["map-route", green],
        ["map-route", green],
        ["unmap-route", blue],
        ["unmap-route", blue],
        ["unmap-route", green],  # staging
    ]
    # The settle wait sits between the last live map and the first unmap.
    last_map = max(c["seq"] for c in run.calls if c["argv"][:2] == ["map-route", green])
    first_unmap = min(c["seq"] for c in run.calls if c["argv"][:2] == ["unmap-route", blue])
    settle = sandbox.profile.cutover.settle_seconds
    assert any(
        e["tool"] == "sleep" and e["seconds"] == settle and last_map < e["seq"] < first_unmap
        for e in run.events
    )


def test_green_live_deploys_to_blue(make_sandbox: Make) -> None:
    sandbox = make_sandbox("sinatra", "green-live")
    run = deploy(sandbox)
    assert run.exit_code == 0, explain(run)
    blue, green = sandbox.profile.colors
    assert_live(sandbox, blue, "v2")
    assert sandbox.foundation.app(green)["state"] == "STOPPED"


def test_rollback_after_a_deploy_restores_the_previous_version(make_sandbox: Make) -> None:
    sandbox = make_sandbox("sinatra", "blue-live")
    assert deploy(sandbox).exit_code == 0
    run = sandbox.run("rollback.sh")
    assert run.exit_code == 0, explain(run)
    blue, green = sandbox.profile.colors
    assert_live(sandbox, blue, "v0")
    assert sandbox.foundation.app(green)["state"] == "STOPPED"
    # A second rollback goes forward again: the stopped color is the target.
    run = sandbox.run("rollback.sh")
    assert run.exit_code == 0, explain(run)
    assert_live(sandbox, green, "v2")


@pytest.mark.parametrize(
    ("behaviour", "reason"),
    [({"healthy": False}, "failed its health check"), ({"start": "fail"}, "did not start")],
)
def test_unhealthy_version_is_taken_down_and_live_untouched(
    make_sandbox: Make, behaviour: dict, reason: str
) -> None:
    sandbox = make_sandbox("shop", "blue-live")
    run = deploy(sandbox, **behaviour)
    assert run.exit_code == 3, explain(run)
    assert reason in run.stderr
    blue, green = sandbox.profile.colors
    assert only_on_live(sandbox, blue)
    new = sandbox.foundation.app(green)
    assert new["state"] == "STOPPED" and new["routes"] == []
    assert new["labels"][STATE_LABEL] == "failed"
    assert ["logs", green, "--recent"] in run.cf_argvs()
    assert sandbox.lock_app() is None
    assert sandbox.foundation.violations() == []
    # Rolling back to a failed build is refused.
    assert sandbox.run("rollback.sh").exit_code == 6


def test_failed_smoke_test_exits_3(make_sandbox: Make) -> None:
    profile = dataclasses.replace(
        example("sinatra"),
        cutover=dataclasses.replace(
            example("sinatra").cutover, smoke_test='test -z "$STAGING_URL"'
        ),
    )
    sandbox = make_sandbox(profile, "blue-live")
    run = deploy(sandbox)
    assert run.exit_code == 3, explain(run)
    assert "the smoke test failed" in run.stderr
    assert only_on_live(sandbox, profile.colors[0])


@pytest.mark.parametrize("script", ["deploy.sh", "rollback.sh"])
@pytest.mark.parametrize("situation", ["blue-live", "green-live", "interrupted-cutover"])
def test_dry_run_changes_nothing(make_sandbox: Make, script: str, situation: str) -> None:
    sandbox = make_sandbox("shop", situation)
    before = sandbox.foundation.apps()
    run = sandbox.run(script, "--dry-run")
    if script == "rollback.sh" and situation == "blue-live":
        assert run.exit_code == 6, "an adopted app has nothing to roll back to"
        assert mutating_calls(run) == []
        assert [line.split()[1] for line in run.stdout.splitlines()] == ["curl", "delete"]
        return
    assert run.exit_code == 0, explain(run)
    assert sandbox.foundation.apps() == before
    assert mutating_calls(run) == []
    printed = run.stdout.splitlines()
    assert printed and all(line.startswith("cf ") for line in printed)
    assert "dry run complete: nothing was changed" in run.stderr
    assert "done:" not in run.stderr, "a dry run claimed to have done something"


def test_dry_run_prints_the_commands_a_real_run_executes(make_sandbox: Make) -> None:
    dry = make_sandbox("shop", "blue-live")
    planned = [line for line in dry.run("deploy.sh", "--dry-run").stdout.splitlines()]
    real = make_sandbox("shop", "blue-live")
    run = real.run("deploy.sh")
    assert run.exit_code == 0, explain(run)
    executed = [
        [("node_env=***" if arg.startswith("node_env=") else arg) for arg in argv]
        for argv in mutating_calls(run)
        if argv[:2] != ["curl", "-f"]
    ]
    planned_plain = [line for line in planned if not line.startswith("cf curl")]
    assert [shlex.split(line)[1:] for line in planned_plain] == executed


def test_worker_deploy_and_rollback(make_sandbox: Make) -> None:
    base = example("worker")
    profile = dataclasses.replace(base, cutover=dataclasses.replace(base.cutover, retire="stop"))
    sandbox = make_sandbox(profile, "first-deploy")
    blue, green = sandbox.profile.colors
    run = deploy(sandbox, version="v1")
    assert run.exit_code == 0, explain(run)
    assert sandbox.foundation.app(blue)["state"] == "STARTED"
    run = deploy(sandbox, version="v2")
    assert run.exit_code == 0, explain(run)
    assert sandbox.foundation.app(green)["state"] == "STARTED"
    assert sandbox.foundation.app(blue)["state"] == "STOPPED"
    assert not any(argv[0].endswith("map-route") for argv in run.cf_argvs())
    run = sandbox.run("rollback.sh")
    assert run.exit_code == 0, explain(run)
    assert sandbox.foundation.app(blue)["state"] == "STARTED"
    assert sandbox.foundation.app(green)["state"] == "STOPPED"
    assert sandbox.foundation.app(blue)["labels"][STATE_LABEL] == "live"


def test_worker_example_deletes_the_old_color(make_sandbox: Make) -> None:
    sandbox = make_sandbox("worker", "blue-live")
    run = deploy(sandbox, version="v2")
    assert run.exit_code == 0, explain(run)
    blue, green = sandbox.profile.colors
    assert sandbox.foundation.app(blue) is None
    assert sandbox.foundation.app(green)["state"] == "STARTED"
    assert sandbox.run("rollback.sh").exit_code == 6


def test_worker_that_does_not_start_is_taken_down(make_sandbox: Make) -> None:
    sandbox = make_sandbox("worker", "first-deploy")
    assert deploy(sandbox, version="v1").exit_code == 0
    run = deploy(sandbox, start="fail")
    assert run.exit_code == 3, explain(run)
    blue, green = sandbox.profile.colors
    assert sandbox.foundation.app(blue)["state"] == "STARTED"
    assert sandbox.foundation.app(green)["state"] == "STOPPED"


def test_interrupted_cutover_is_finished_by_a_deploy_rerun(make_sandbox: Make) -> None:
    sandbox = make_sandbox("shop", "interrupted-cutover")
    run = sandbox.run("deploy.sh")
    assert run.exit_code == 0, explain(run)
    blue, green = sandbox.profile.colors
    assert_live(sandbox, green, "v1")
    assert "finished the interrupted move" in run.stderr
    # No new build was pushed: the re-run only finished the move.
    assert not any(argv[0] == "push" for argv in run.cf_argvs())


def test_interrupted_cutover_is_undone_by_rollback(make_sandbox: Make) -> None:
    sandbox = make_sandbox("shop", "interrupted-cutover")
    run = sandbox.run("rollback.sh")
    assert run.exit_code == 0, explain(run)
    blue, green = sandbox.profile.colors
    assert_live(sandbox, blue, "v0")


def test_both_live_without_a_record_refuses_to_guess(make_sandbox: Make) -> None:
    """Both colors hold the live routes and neither holds the staging route (the
    mark of the color a move was under way to): which one is new cannot be told."""
    sandbox = make_sandbox("sinatra")
    blue, green = sandbox.profile.colors
    for color in (blue, green):
        sandbox.foundation.add_app(color, instances=1)
        for route in sandbox.profile.live_routes:
            sandbox.foundation.map_route(color, route.host, route.domain, route.path)
    run = sandbox.run("deploy.sh")
    assert run.exit_code == 1, explain(run)
    assert "the staging route does not say which is new" in run.stderr
    lock = f"{sandbox.profile.app}-bluegreen-lock"
    for argv in mutating_calls(run):
        taking_lock = argv[:5] == ["curl", "-f", "/v3/apps", "-X", "POST"]
        assert taking_lock or argv == ["delete", lock, "-f"]


def test_rollback_with_nothing_deployed_exits_6(make_sandbox: Make) -> None:
    sandbox = make_sandbox("sinatra", "first-deploy")
    run = sandbox.run("rollback.sh")
    assert run.exit_code == 6, explain(run)


def test_rollback_after_retire_delete_exits_6(make_sandbox: Make) -> None:
    base = example("sinatra")
    profile = dataclasses.replace(base, cutover=dataclasses.replace(base.cutover, retire="delete"))
    sandbox = make_sandbox(profile, "blue-live")
    run = deploy(sandbox)
    assert run.exit_code == 0, explain(run)
    assert sandbox.foundation.app(profile.colors[0]) is None
    # Stopped first, deleted after Cloud Foundry's 10 s shutdown window.
    blue = profile.colors[0]
    stop = next(c for c in run.calls if c["argv"] == ["stop", blue])
    delete = next(c for c in run.calls if c["argv"] == ["delete", blue, "-f"])
    assert delete["time"] - stop["time"] >= 10
    run = sandbox.run("rollback.sh")
    assert run.exit_code == 6, explain(run)
    assert "does not exist" in run.stderr


def test_status_reports_live_color_and_rollback_target(make_sandbox: Make) -> None:
    sandbox = make_sandbox("sinatra", "green-live")
    run = sandbox.run("status.sh")
    assert run.exit_code == 0, explain(run)
    blue, green = sandbox.profile.colors
    assert run.stdout.splitlines()[0].startswith(f"live:      {green} (started, 2 instance(s)")
    assert f"rollback:  available: {blue} (stopped" in run.stdout
    assert "lock:      free" in run.stdout
    assert mutating_calls(run) == []


def test_secret_vars_never_reach_the_logs(make_sandbox: Make) -> None:
    sandbox = make_sandbox("sinatra", "blue-live")
    run = deploy(sandbox, "--var", "password=s3cr3t-value")
    assert run.exit_code == 0, explain(run)
    assert "s3cr3t-value" not in run.stdout + run.stderr
    assert "password=***" in run.stderr
    push = next(argv for argv in run.cf_argvs() if argv[0] == "push")
    assert "password=s3cr3t-value" in push
    dry = sandbox.run("deploy.sh", "--dry-run", "--var", "password=s3cr3t-value")
    assert "s3cr3t-value" not in dry.stdout + dry.stderr


@pytest.mark.parametrize(
    ("args", "status"), [(["--bogus"], 2), (["--path"], 2), (["--var", "no-equals"], 2)]
)
def test_usage_errors_exit_2_before_touching_cf(make_sandbox: Make, args: list[str], status: int):
    sandbox = make_sandbox("sinatra", "blue-live")
    run = sandbox.run("deploy.sh", *args)
    assert run.exit_code == status, explain(run)
    assert run.calls == []


@pytest.mark.parametrize("script", ["deploy.sh", "rollback.sh", "status.sh"])
def test_help_lists_exit_statuses(make_sandbox: Make, script: str) -> None:
    sandbox = make_sandbox("sinatra")
    run = sandbox.run(script, "--help")
    assert run.exit_code == 0
    assert "Exit status:" in run.stdout and run.calls == []
    if script == "rollback.sh":
        assert "does not undo service-binding" in run.stdout.replace("\n", " ")


def test_run_time_overrides_reach_cf_push(make_sandbox: Make) -> None:
    sandbox = make_sandbox("shop", "blue-live")
    (sandbox.work / "other.yml").write_text("---\n")
    (sandbox.work / "extra.yml").write_text("---\n")
    dash_dir = sandbox.app_dir("v2", into=sandbox.work / "-build")
    assert dash_dir.is_dir()
    run = sandbox.run("deploy.sh", "--manifest", "other.yml", "--vars-file", "extra.yml",
                      "--path", "-build")
    assert run.exit_code == 0, explain(run)
    push = next(argv for argv in run.cf_argvs() if argv[0] == "push")
    assert push[push.index("--manifest") + 1] == "other.yml"
    # A leading '-' would be read by cf as a flag: the script makes it ./-build.
    assert push[push.index("--path") + 1] == "./-build"
    files = [push[i + 1] for i, arg in enumerate(push) if arg == "--vars-file"]
    assert files == ["vars/production.yml", "extra.yml"]
    assert sandbox.foundation.app(sandbox.profile.colors[1])["behaviour"]["version"] == "v2"


def _with_hooks(before: str | None, after: str | None):
    base = example("sinatra")
    return dataclasses.replace(base, cutover=dataclasses.replace(
        base.cutover, before_cutover=before, after_cutover=after))


def test_failing_before_cutover_hook_leaves_live_untouched(make_sandbox: Make) -> None:
    sandbox = make_sandbox(_with_hooks("exit 7", None), "blue-live")
    run = deploy(sandbox)
    assert run.exit_code == 1, explain(run)
    assert "the before-cutover hook exited 7" in run.stderr
    blue, green = sandbox.profile.colors
    assert only_on_live(sandbox, blue)
    assert sandbox.foundation.app(green)["state"] == "STOPPED"
    assert sandbox.foundation.violations() == []


def test_failing_after_cutover_hook_reports_but_new_color_is_live(make_sandbox: Make) -> None:
    sandbox = make_sandbox(_with_hooks(None, 'echo "hook ran"; exit 3'), "blue-live")
    run = deploy(sandbox)
    assert run.exit_code == 1, explain(run)
    assert "hook ran" in run.stderr
    assert "the after-cutover hook failed (sinatra_b is live)" in run.stderr
    blue, green = sandbox.profile.colors
    assert only_on_live(sandbox, green) and sandbox.foundation.app(blue)["state"] == "STOPPED"
    # The move is not closed until the hook passed: the staging route stays on
    # the new color, so a re-run runs the hook again and then closes it.
    assert sandbox.profile.staging_route.url in sandbox.foundation.app(green)["routes"]
    rerun = sandbox.run("deploy.sh")
    assert rerun.exit_code == 1 and rerun.stderr.count("hook ran") == 1, explain(rerun)
    fixed = dataclasses.replace(sandbox.profile, cutover=dataclasses.replace(
        sandbox.profile.cutover, after_cutover='echo "hook ran"'))
    sandbox.install(fixed)
    rerun = sandbox.run("deploy.sh")
    assert rerun.exit_code == 0, explain(rerun)
    assert "finished the interrupted move" in rerun.stderr
    assert not any(argv[0] == "push" for argv in rerun.cf_argvs())
    assert_live(sandbox, green, "v2")


def test_status_reports_an_interrupted_cutover_and_a_held_lock(make_sandbox: Make) -> None:
    sandbox = make_sandbox("sinatra", "interrupted-cutover")
    lock = f"{sandbox.profile.app}-bluegreen-lock"
    sandbox.foundation.add_app(lock, state="STOPPED", instances=0, annotations={
        "cf-bluegreen-holder": "bob@ci:7", "cf-bluegreen-since": "2026-11-30T02:00:00Z"})
    run = sandbox.run("status.sh")
    assert run.exit_code == 0, explain(run)
    blue, green = sandbox.profile.colors
    assert run.stdout.startswith(f"live:      BOTH {blue} (started")
    assert (f"an interrupted cutover to {green}: run deploy.sh or rollback.sh to finish"
            in run.stdout)
    assert "lock:      held by bob@ci:7 since 2026-11-30T02:00:00Z" in run.stdout
    assert not any(call["mutating"] for call in run.calls)


# -- apex routes (no host: the domain itself, on a private domain) ----------------------
APEX_LIVE = [["apex.example.org"], ["example.org", "--path", "/shop"]]
APEX_STAGING = ["apex-staging.example.org"]


def _route_calls(run, verb: str, app: str) -> list[list[str]]:
    return [argv[2:] for argv in run.cf_argvs() if argv[:2] == [verb, app]]


@pytest.mark.parametrize("major", [6, 7, 8])
def test_apex_routes_deploy_redeploy_and_roll_back(make_sandbox: Make, major: int) -> None:
    profile = dataclasses.replace(example("apex"), cf_cli=major)
    assert [route.host for route in profile.live_routes] == ["", ""]
    sandbox = make_sandbox(profile, "first-deploy")
    blue, green = profile.colors

    run = deploy(sandbox, version="v1")
    assert run.exit_code == 0, explain(run)
    assert_live(sandbox, blue, "v1")
    # The host-less form of every cf major: `cf map-route APP DOMAIN [--path P]`.
    assert _route_calls(run, "map-route", blue) == [APEX_STAGING, *APEX_LIVE]
    assert _route_calls(run, "unmap-route", blue) == [APEX_STAGING]
    probed = {event["url"] for event in run.events if event["tool"] == "curl"}
    assert probed == {"https://apex-staging.example.org/health",
                      "https://apex.example.org/health", "https://example.org/shop/health"}

    run = deploy(sandbox, version="v2")
    assert run.exit_code == 0, explain(run)
    assert_live(sandbox, green, "v2")
    assert _route_calls(run, "map-route", green) == [APEX_STAGING, *APEX_LIVE]
    assert _route_calls(run, "unmap-route", blue) == APEX_LIVE
    assert sandbox.foundation.app(blue)["state"] == "STOPPED"

    run = sandbox.run("rollback.sh")
    assert run.exit_code == 0, explain(run)
    assert_live(sandbox, blue, "v1")
    assert _route_calls(run, "map-route", blue) == [APEX_STAGING, *APEX_LIVE]
    assert _route_calls(run, "unmap-route", green) == APEX_LIVE
    status = sandbox.run("status.sh")
    assert status.stdout.startswith(f"live:      {blue} (started"), status.stdout


def test_apex_route_on_a_shared_domain_stops_before_touching_live(make_sandbox: Make) -> None:
    """CC refuses to create an apex route on a shared domain (here: the staging route's):
    the map fails, the candidate is taken down, the live color keeps serving (exit 1)."""
    sandbox = make_sandbox("apex", "blue-live")
    state = sandbox.foundation.load()
    for domain in state["domains"]:
        domain["shared"] = domain["name"] == "apex-staging.example.org"
    sandbox.foundation.save(state)
    run = deploy(sandbox)
    assert run.exit_code == 1, explain(run)
    assert "Missing host. Routes in shared domains must have a host defined." in run.stderr
    assert "could not map the staging route" in run.stderr
    blue, green = sandbox.profile.colors
    assert only_on_live(sandbox, blue)
    assert sandbox.foundation.app(green)["state"] == "STOPPED"
    assert sandbox.foundation.violations() == []
