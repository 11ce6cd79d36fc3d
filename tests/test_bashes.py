"""The emitted scripts under each bash they promise to run on (3.2 is macOS's).

Set ``CF_BLUEGREEN_TEST_BASHES`` to a colon-separated list of bash executables
(for example ``bash-3.2/bash:bash-4.4/bash:bash-5.0/bash``) to run the main
situations of every example profile under each of them: deploys, a rollback, a
failing build, an interrupted cutover and its re-run, a dry run and the status.
Unset, these tests are skipped, saying so. (``CF_BLUEGREEN_TEST_BASH``, one
path, instead runs the whole suite under that bash: see ``Sandbox``.)
"""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.rehearsal import Sandbox, live_record_problem
from tests.conftest import EXAMPLES, deploy, example, explain, only_on_live

Make = Callable[..., Sandbox]
BASHES = [path for path in os.environ.get("CF_BLUEGREEN_TEST_BASHES", "").split(os.pathsep)
          if path]

pytestmark = pytest.mark.skipif(
    not BASHES, reason="CF_BLUEGREEN_TEST_BASHES is not set (colon-separated bash executables)")


def _version(bash: str) -> str:
    out = subprocess.run([bash, "-c", 'printf %s "$BASH_VERSION"'], capture_output=True,
                         text=True, check=True, timeout=10)
    return out.stdout


@pytest.mark.parametrize("name", sorted(EXAMPLES))
@pytest.mark.parametrize("bash", BASHES or ["unset"])
def test_main_situations_under_each_bash(make_sandbox: Make, bash: str, name: str) -> None:
    bash = str(Path(bash).resolve())
    version = _version(bash)
    profile = example(name)
    # A hook that reports which bash ran it: the scripts, their hooks and the stub
    # clients all resolve `bash` to the one under test.
    profile = dataclasses.replace(profile, cutover=dataclasses.replace(
        profile.cutover, before_cutover='printf "hook bash %s\\n" "$BASH_VERSION"'))
    sandbox = make_sandbox(profile, "first-deploy", bash=bash)
    blue, green = profile.colors

    def live_is(color: str, version: str) -> None:
        app = sandbox.foundation.app(color)
        assert app is not None and app["state"] == "STARTED", app
        assert app["behaviour"]["version"] == version
        assert live_record_problem(profile, app) is None, app["labels"]
        if not profile.is_worker:
            assert only_on_live(sandbox, color)

    first = deploy(sandbox, version="v1")
    assert first.exit_code == 0, explain(first)
    assert f"hook bash {version}" in first.stderr
    # The closing lines: what was done, the lock released, how the run ended.
    closing = first.stderr.splitlines()[-3:]
    assert "done:" in closing[0] and "delete" in closing[1], explain(first)
    assert re.fullmatch(r"deploy\.sh: exit 0 after \d+s", closing[2]), explain(first)
    live_is(blue, "v1")
    second = deploy(sandbox, version="v2")
    assert second.exit_code == 0, explain(second)
    live_is(green, "v2")
    dry = sandbox.run("deploy.sh", "--dry-run")
    assert dry.exit_code == 0 and "cf push" in dry.stdout, explain(dry)
    status = sandbox.run("status.sh")
    assert status.exit_code == 0 and green in status.stdout, explain(status)

    back = sandbox.run("rollback.sh")
    if profile.cutover.retire == "delete":
        assert back.exit_code == 6, explain(back)
    else:
        assert back.exit_code == 0, explain(back)
        live_is(blue, "v1")
    unhealthy = deploy(sandbox, version="v3", start="fail")
    assert unhealthy.exit_code == 3, explain(unhealthy)

    sandbox.foundation.set_fault(signal="INT", signal_match=r"^(map-route|start) ",
                                 signal_after=True)
    interrupted = deploy(sandbox, version="v4")
    assert interrupted.exit_code == 130, explain(interrupted)
    rerun = deploy(sandbox, version="v4")
    assert rerun.exit_code == 0, explain(rerun)
    assert any((app := sandbox.foundation.app(color)) and app["state"] == "STARTED"
               and live_record_problem(profile, app) is None
               and app["behaviour"]["version"] == "v4"
               for color in (blue, green)), sandbox.foundation.apps()
    assert sandbox.lock_app() is None
    assert sandbox.foundation.violations() == []
    assert sandbox.run("deploy.sh", "--help").exit_code == 0
