"""``cf-bluegreen plan`` and ``cf-bluegreen rehearse``."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.plan import SITUATIONS, plan_profile
from generator.rehearsal import Run, Sandbox
from tests.conftest import EXAMPLES, example, explain

GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
                  r"|<guid of [^>]+>|<space guid>")


def _comparable(argv: list[str]) -> list[str]:
    """Mask what differs between a dry run and a real run (GUIDs, lock holder, secrets)."""
    out = []
    for index, arg in enumerate(argv):
        if arg.startswith('{"name":'):
            arg = "<lock body>"
        elif index and argv[index - 1] == "--var":
            arg = arg.split("=", 1)[0] + "=***"
        out.append(GUID.sub("<guid>", arg))
    return out


@pytest.mark.parametrize("name", ["shop", "worker"])
def test_plan_is_what_a_real_run_executes(tmp_path: Path, name: str) -> None:
    profile = example(name)
    entries = plan_profile(profile)
    assert [entry.situation for entry in entries] == list(SITUATIONS)
    for number, entry in enumerate(entries):
        with Sandbox(profile, tmp_path / str(number)) as sandbox:
            sandbox.seed(entry.situation.seed)
            run = sandbox.run(entry.situation.script)
        assert run.exit_code == entry.exit_code, explain(run)
        executed = [_comparable(c["argv"]) for c in run.calls if c["mutating"]]
        planned = [_comparable(shlex.split(line)[1:]) for line in entry.commands]
        assert planned == executed, f"{entry.situation.title}: plan and real run differ"


def test_plan_command_prints_every_situation() -> None:
    result = CliRunner().invoke(main, ["plan", str(EXAMPLES["sinatra"])])
    assert result.exit_code == 0, result.output
    for situation in SITUATIONS:
        assert f"## {situation.title}" in result.output
    assert "cf map-route sinatra_b example.com --hostname sinatralive" in result.output
    assert "<guid of sinatra_a>" in result.output  # the rollback records its target


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_rehearse_every_example_without_violations(name: str) -> None:
    result = CliRunner().invoke(main, ["rehearse", str(EXAMPLES[name])])
    assert result.exit_code == 0, result.output
    assert "invariant violations: none" in result.output
    assert "deploy.sh --path" in result.output and "$ rollback.sh" in result.output
    assert re.search(r"\[t= *\d+\.\ds\] cf push ", result.output)


def test_rehearse_with_a_failing_call_shows_the_failure_and_the_rerun() -> None:
    result = CliRunner().invoke(main, ["rehearse", str(EXAMPLES["sinatra"]), "--fail-at", "12"])
    assert result.exit_code == 0, result.output
    assert "fault: cf call 12 of the deploy fails" in result.output
    assert "(injected fault: fail)" in result.output
    verdict = result.output.split("Verdict:")[1]
    # Call 12 is cf start: a cf failure (502), not a bad build, so exit 1.
    assert "deploy.sh --path: exit 1" in verdict and "deploy.sh --path: exit 0" in verdict


@pytest.mark.parametrize("scenario", ["first-deploy", "green-live", "interrupted-cutover"])
def test_rehearse_scenarios(scenario: str) -> None:
    result = CliRunner().invoke(main, ["rehearse", str(EXAMPLES["shop"]),
                                       "--scenario", scenario])
    assert result.exit_code == 0, result.output
    assert f"Rehearsal of shop: {scenario}" in result.output


def test_a_script_that_unmaps_before_it_maps_is_caught(tmp_path: Path) -> None:
    """Break the emitted cutover on purpose: the simulator must report it."""
    with Sandbox(example("sinatra"), tmp_path) as sandbox:
        sandbox.seed("blue-live")
        deploy = sandbox.scripts / "deploy.sh"
        text = deploy.read_text()
        good = '  map_live_routes "${new}" || return 1\n'
        bad = '  unmap_live_routes "${old}" || return 2\n' + good
        assert good in text
        deploy.write_text(text.replace(good, bad, 1))
        run = sandbox.run("deploy.sh")
        kinds = {v["kind"] for v in sandbox.foundation.violations()}
    assert "unserved" in kinds, explain(run)


DRAIN_CALL = 'drain "${new}" "${old}" || return 3'
DRAIN_OWED = "C_DRAIN_OWED[i]=1"


def _skip_drain(sandbox: Sandbox, *lines: str) -> Run:
    deploy = sandbox.scripts / "deploy.sh"
    text = deploy.read_text()
    for line in lines:
        assert line in text
        text = text.replace(line, ":")
    deploy.write_text(text)
    return sandbox.run("deploy.sh")


def test_a_script_that_skips_the_drain_is_caught(tmp_path: Path) -> None:
    """No drain after the cutover, and no drain owed by the stop: caught."""
    with Sandbox(example("minimal"), tmp_path, router_lag_seconds=10) as sandbox:
        sandbox.seed("blue-live")
        run = _skip_drain(sandbox, DRAIN_CALL, DRAIN_OWED)
        kinds = {v["kind"] for v in sandbox.foundation.violations()}
    assert "stopped-while-routed" in kinds, explain(run)


def test_stopping_a_color_that_left_a_live_route_waits_for_the_drain(tmp_path: Path) -> None:
    """Defence in depth: even with the cutover's drain step gone, stop_color drains
    a color that left a live route before it stops it."""
    with Sandbox(example("minimal"), tmp_path, router_lag_seconds=10) as sandbox:
        sandbox.seed("blue-live")
        run = _skip_drain(sandbox, DRAIN_CALL)
        assert run.exit_code == 0, explain(run)
        assert sandbox.foundation.violations() == []


def test_rehearse_rejects_a_bad_profile(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('app = "-x"\n')
    result = CliRunner().invoke(main, ["rehearse", str(bad)])
    assert result.exit_code == 2
    assert "bad.toml:1: app:" in result.stderr
