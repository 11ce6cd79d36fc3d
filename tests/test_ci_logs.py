"""CI-native logs of the emitted scripts (issue 11).

Under GitHub Actions (``GITHUB_ACTIONS=true``) each numbered step is a
``::group::``/``::endgroup::`` pair and a failure is an ``::error`` annotation;
under GitLab CI (``GITLAB_CI=true``) each step is a collapsible section; colour
only when stderr is a terminal and neither ``NO_COLOR`` nor a CI variable is
set; and the last line of every run says how it ended and after how long.

The scripts run against the simulated foundation of :class:`Sandbox`, but
through :func:`run_raw` here rather than ``Sandbox.run``: it keeps the bytes
(``Sandbox.run`` reads text, which turns GitLab's ``\\r`` into a newline) and can
give the script a pseudo-terminal as stderr.
"""

from __future__ import annotations

import contextlib
import errno
import os
import pty
import re
import select
import signal
import subprocess
import termios
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from generator.rehearsal import Sandbox

Make = Callable[..., Sandbox]
LOCK_SINCE = "2026-11-30T02:00:00Z"
SGR = re.compile(r"\x1b\[[0-9;]*m")  # a colour or weight code


@dataclass(frozen=True)
class RawRun:
    """One script run, as bytes, with the wall-clock time around it."""

    script: str
    args: tuple[str, ...]
    exit_code: int
    stdout: bytes
    stderr: bytes
    started: float
    ended: float

    @property
    def log(self) -> str:
        return self.stderr.decode("utf-8")

    def explain(self) -> str:
        return (f"exit {self.exit_code}\n--- stdout\n{self.stdout.decode('utf-8', 'replace')}"
                f"\n--- stderr\n{self.stderr!r}")


def run_raw(sandbox: Sandbox, script: str, *args: str, env: dict[str, str] | None = None,
            unset: tuple[str, ...] = (), terminal: bool = False,
            timeout: float = 300) -> RawRun:
    """Run ``script`` as ``Sandbox.run`` does (same environment, folder and
    ``FAKECF_TARGET_PID``), keeping raw bytes; ``terminal``: stderr is a pty."""
    environment = {key: value for key, value in sandbox.env.items() if key not in unset}
    environment.update(env or {})
    command = [sandbox.bash or "bash", "-c", 'export FAKECF_TARGET_PID=$$; exec "$0" "$@"',
               str(sandbox.scripts / script), *args]
    started = time.time()
    if not terminal:
        proc = subprocess.Popen(command, cwd=sandbox.work, env=environment,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True)
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        finally:
            _stop(proc)
        return RawRun(script, args, proc.returncode, stdout, stderr, started, time.time())
    master, slave = pty.openpty()
    attributes = termios.tcgetattr(slave)
    attributes[1] &= ~termios.ONLCR  # keep "\n" as written (no "\r\n")
    termios.tcsetattr(slave, termios.TCSANOW, attributes)
    stdout_path = sandbox.root / f"stdout-{time.monotonic_ns()}"
    chunks: list[bytes] = []
    try:
        with open(stdout_path, "wb") as stdout_file:
            proc = subprocess.Popen(command, cwd=sandbox.work, env=environment,
                                    stdin=subprocess.DEVNULL, stdout=stdout_file,
                                    stderr=slave, start_new_session=True)
        os.close(slave)
        slave = -1
        try:
            deadline = time.monotonic() + timeout
            while True:  # until every writer has closed the terminal (EIO)
                if time.monotonic() > deadline:
                    pytest.fail(f"{script} did not finish within {timeout}s")
                ready, _, _ = select.select([master], [], [], 1)
                if not ready:
                    continue
                try:
                    data = os.read(master, 65536)
                except OSError as exc:
                    if exc.errno != errno.EIO:
                        raise
                    break
                if not data:
                    break
                chunks.append(data)
            proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        finally:
            _stop(proc)
        stdout = stdout_path.read_bytes()
    finally:
        os.close(master)
        if slave >= 0:
            os.close(slave)
        stdout_path.unlink(missing_ok=True)
    return RawRun(script, args, proc.returncode, stdout, b"".join(chunks), started,
                  time.time())


def _stop(proc: subprocess.Popen) -> None:
    """Kill the run's process group if it is still running (a failed test)."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def step_pattern(script: str) -> re.Pattern[str]:
    """A numbered, timed step line: ``deploy.sh: [3 +1s] reading the state ...``."""
    return re.compile(rf"{re.escape(script)}: \[(\d+) \+(\d+)s\] \S.*")


def check_last_line(run: RawRun) -> None:
    """The log ends with ``<script>: exit <status> after <N>s``, N no more than
    the seconds the run took."""
    assert run.log.endswith("\n"), run.explain()
    last = run.log.splitlines()[-1]
    match = re.fullmatch(rf"{re.escape(run.script)}: exit (\d+) after (\d+)s", last)
    assert match, f"last line {last!r}\n{run.explain()}"
    assert int(match[1]) == run.exit_code
    assert 0 <= int(match[2]) <= run.ended - run.started + 1


# -- the runs each log test covers -------------------------------------------------------
def _lock(sandbox: Sandbox, holder: str = "bob@ci:7") -> None:
    """Another run holds the deploy lock (as tests/test_e2e.py seeds it)."""
    sandbox.foundation.add_app(
        f"{sandbox.profile.app}-bluegreen-lock", state="STOPPED", instances=0,
        annotations={"cf-bluegreen-holder": holder, "cf-bluegreen-since": LOCK_SINCE})


@dataclass(frozen=True)
class Case:
    """A script run: profile and situation, what to do first, the run, its exit."""

    profile: str
    situation: str
    script: str
    exit_code: int
    prepare: Callable[[Sandbox], list[str]] = lambda sandbox: []


def _new_version(**behaviour: object) -> Callable[[Sandbox], list[str]]:
    return lambda sandbox: ["--path", str(sandbox.app_dir("v2", **behaviour))]


def _locked(sandbox: Sandbox) -> list[str]:
    _lock(sandbox)
    return []


def _logged_out(sandbox: Sandbox) -> list[str]:
    sandbox.foundation.configure(logged_in=False)
    return []


def _interrupt_at_push(sandbox: Sandbox) -> list[str]:
    sandbox.foundation.set_fault(signal="INT", signal_match="^push ")
    return _new_version()(sandbox)


CASES = {
    "deploy": Case("sinatra", "blue-live", "deploy.sh", 0, _new_version()),
    "deploy-dry-run": Case("sinatra", "green-live", "deploy.sh", 0,
                           lambda sandbox: ["--dry-run"]),
    "deploy-unhealthy": Case("sinatra", "blue-live", "deploy.sh", 3,
                             _new_version(healthy=False)),
    "deploy-locked": Case("sinatra", "blue-live", "deploy.sh", 4, _locked),
    "deploy-logged-out": Case("sinatra", "blue-live", "deploy.sh", 5, _logged_out),
    "deploy-interrupted": Case("sinatra", "blue-live", "deploy.sh", 130, _interrupt_at_push),
    "deploy-resume": Case("shop", "interrupted-cutover", "deploy.sh", 0),
    "deploy-worker": Case("worker", "blue-live", "deploy.sh", 0, _new_version()),
    "rollback": Case("sinatra", "green-live", "rollback.sh", 0),
    "rollback-dry-run": Case("sinatra", "green-live", "rollback.sh", 0,
                             lambda sandbox: ["--dry-run"]),
    "rollback-nothing": Case("sinatra", "blue-live", "rollback.sh", 6),
    "status": Case("sinatra", "interrupted-cutover", "status.sh", 0),
    "status-json": Case("shop", "green-live", "status.sh", 0, lambda sandbox: ["--json"]),
    "status-logged-out": Case("sinatra", "blue-live", "status.sh", 5, _logged_out),
}


def run_case(make_sandbox: Make, name: str, **options: object) -> RawRun:
    case = CASES[name]
    sandbox = make_sandbox(case.profile, case.situation)
    run = run_raw(sandbox, case.script, *case.prepare(sandbox), **options)  # type: ignore[arg-type]
    assert run.exit_code == case.exit_code, run.explain()
    return run


def error_messages(run: RawRun) -> list[str]:
    """The messages of the run's ``<script>: error: ...`` lines (die)."""
    prefix = f"{run.script}: error: "
    return [line[len(prefix):] for line in run.log.splitlines() if line.startswith(prefix)]


# -- the last line -------------------------------------------------------------------------
@pytest.mark.parametrize("name", CASES)
def test_the_last_line_says_how_the_run_ended(make_sandbox: Make, name: str) -> None:
    run = run_case(make_sandbox, name)
    check_last_line(run)
    if run.exit_code not in (0, 130):
        assert len(error_messages(run)) == 1, run.explain()


@pytest.mark.parametrize("script", ["deploy.sh", "rollback.sh", "status.sh"])
def test_a_run_stopped_by_a_failing_cf_call_ends_with_its_exit_line(
        make_sandbox: Make, script: str) -> None:
    """A cf call that fails (here: the first one) ends the run with the same last line."""
    sandbox = make_sandbox("minimal", "blue-live")
    sandbox.foundation.set_fault(fail_match="^version$", message="the API is down")
    run = run_raw(sandbox, script)
    assert run.exit_code == 5, run.explain()
    assert error_messages(run)[0].startswith("cf version failed:")
    check_last_line(run)


# -- GitHub Actions ---------------------------------------------------------------------
def github_groups(run: RawRun) -> list[tuple[int, str]]:
    """Check the ``::group::`` structure of a log and return each group's step
    number and title. Groups never nest, every group is closed before the last
    line, each holds exactly one step, numbered 1, 2, 3 ... in order."""
    step = step_pattern(run.script)
    groups: list[tuple[int, str]] = []
    open_group = False
    lines = run.log.splitlines()
    for number, line in enumerate(lines, 1):
        where = f"line {number}: {line!r}\n{run.explain()}"
        if line.startswith("::group::"):
            assert not open_group, f"a group opened inside another, {where}"
            title = line.removeprefix("::group::")
            match = step.fullmatch(title)
            assert match, f"a group that is not a step, {where}"
            assert int(match[1]) == len(groups) + 1, f"steps out of order, {where}"
            groups.append((int(match[1]), title))
            open_group = True
        elif line == "::endgroup::":
            assert open_group, f"::endgroup:: without a group, {where}"
            open_group = False
        else:
            assert not step.fullmatch(line), f"a step outside a group, {where}"
            assert not line.startswith("::group") and "::endgroup::" not in line, where
            if line.startswith("::error "):
                assert not open_group, f"the error annotation is inside a group, {where}"
    assert not open_group, f"the last group was never closed\n{run.explain()}"
    assert groups, run.explain()
    return groups


@pytest.mark.parametrize("name", CASES)
def test_github_actions_folds_each_step_into_a_group(make_sandbox: Make, name: str) -> None:
    run = run_case(make_sandbox, name, env={"GITHUB_ACTIONS": "true"})
    github_groups(run)
    check_last_line(run)
    assert "\x1b" not in run.log and "\r" not in run.log, run.explain()
    if "--json" in run.args:  # stdout carries the JSON alone
        assert run.stdout.startswith(b'{"app":') and run.stdout.count(b"\n") == 1
    messages = error_messages(run)
    annotations = [line for line in run.log.splitlines() if line.startswith("::error")]
    if run.exit_code in (0, 130):
        assert messages == [] and annotations == [], run.explain()
        return
    # The error line, then the same message as an annotation titled by the script.
    assert len(messages) == 1 and len(annotations) == 1, run.explain()
    lines = run.log.splitlines()
    plain = lines.index(f"{run.script}: error: {messages[0]}")
    assert lines[plain + 1] == f"::error title={run.script}::{messages[0]}", run.explain()


def test_github_annotation_escapes_percent(make_sandbox: Make) -> None:
    """GitHub reads ``%25`` as ``%`` in a workflow command: a literal ``%`` is
    escaped, and so is the ``%`` of a ``%25`` already in the message."""
    sandbox = make_sandbox("sinatra", "blue-live")
    _lock(sandbox, holder="ci%25runner@host:100%")
    run = run_raw(sandbox, "rollback.sh", env={"GITHUB_ACTIONS": "true"})
    assert run.exit_code == 4, run.explain()
    github_groups(run)
    [message] = error_messages(run)
    assert "held by ci%25runner@host:100% since" in message
    annotation = next(line for line in run.log.splitlines() if line.startswith("::error"))
    assert annotation == ("::error title=rollback.sh::"
                          + message.replace("%", "%25")), run.explain()
    assert "held by ci%2525runner@host:100%25 since" in annotation
    check_last_line(run)


def test_github_annotation_keeps_a_message_of_several_lines(make_sandbox: Make) -> None:
    """``cf version failed: <what cf printed>`` carries cf's output, which has
    several lines (``FAILED`` and the reason): all of it belongs to the annotation."""
    sandbox = make_sandbox("minimal", "blue-live")
    sandbox.foundation.set_fault(fail_match="^version$", message="disk 100% full")
    run = run_raw(sandbox, "deploy.sh", env={"GITHUB_ACTIONS": "true"})
    assert run.exit_code == 5, run.explain()
    annotations = [line for line in run.log.splitlines() if line.startswith("::error")]
    assert len(annotations) == 1, run.explain()
    assert annotations[0].startswith("::error title=deploy.sh::cf version failed: ")
    assert annotations[0].endswith("%0Adisk 100%25 full"), run.explain()
    assert "disk 100%25 full" not in run.log.replace(annotations[0], ""), run.explain()


# -- GitLab CI ------------------------------------------------------------------------------
GITLAB_START = re.compile(
    r"\x1b\[0Ksection_start:(?P<time>\d+):(?P<name>[^\[\r\n]+)\[collapsed=true\]\r\x1b\[0K"
    r"(?P<header>.*)")
GITLAB_END = re.compile(r"\x1b\[0Ksection_end:(?P<time>\d+):(?P<name>[^\r\n]+)\r\x1b\[0K")


def gitlab_sections(run: RawRun) -> list[tuple[str, int, int, str]]:
    """Check the collapsible sections of a log; return (name, start, end, header)
    for each. Sections never nest, each start is closed by an end of the same
    name before the last line, each holds one step (named step_N for step N),
    the times are Unix times within the run, and no stray escape or carriage
    return is left in the log."""
    step = step_pattern(run.script)
    sections: list[tuple[str, int, int, str]] = []
    current: tuple[str, int, str] | None = None
    earliest, latest = int(run.started), int(run.ended)
    for number, line in enumerate(run.log.split("\n"), 1):
        where = f"line {number}: {line!r}\n{run.explain()}"
        if start := GITLAB_START.fullmatch(line):
            assert current is None, f"a section opened inside another, {where}"
            header = step.fullmatch(start["header"])
            assert header, f"a section that is not a step, {where}"
            assert int(header[1]) == len(sections) + 1, f"steps out of order, {where}"
            assert start["name"] == f"step_{header[1]}", where
            assert earliest <= int(start["time"]) <= latest, f"start time outside the run, {where}"
            current = (start["name"], int(start["time"]), start["header"])
        elif end := GITLAB_END.fullmatch(line):
            assert current is not None, f"a section end without a start, {where}"
            name, started, header = current
            assert end["name"] == name, f"section {name} closed as {end['name']}, {where}"
            assert started <= int(end["time"]) <= latest, f"end time out of order, {where}"
            sections.append((name, started, int(end["time"]), header))
            current = None
        else:
            assert "\x1b" not in line and "\r" not in line, f"a stray control code, {where}"
            assert "section_" not in line and not step.fullmatch(line), where
    assert current is None, f"section {current} was never closed\n{run.explain()}"
    assert sections, run.explain()
    return sections


@pytest.mark.parametrize("name", CASES)
def test_gitlab_ci_folds_each_step_into_a_collapsed_section(make_sandbox: Make,
                                                            name: str) -> None:
    run = run_case(make_sandbox, name, env={"GITLAB_CI": "true"})
    sections = gitlab_sections(run)
    times = [time for _, start, end, _ in sections for time in (start, end)]
    assert times == sorted(times), "section times go back"
    check_last_line(run)
    assert "::group::" not in run.log and "::error" not in run.log, run.explain()


def test_github_actions_wins_over_gitlab_ci(make_sandbox: Make) -> None:
    """Both variables set (a runner image that exports both): one format only."""
    sandbox = make_sandbox("minimal", "blue-live")
    run = run_raw(sandbox, "status.sh", env={"GITHUB_ACTIONS": "true", "GITLAB_CI": "true"})
    assert run.exit_code == 0, run.explain()
    assert len(github_groups(run)) == 2
    assert "section_" not in run.log


@pytest.mark.parametrize("value", ["false", "1", ""])
def test_only_the_value_true_turns_ci_logs_on(make_sandbox: Make, value: str) -> None:
    sandbox = make_sandbox("minimal", "blue-live")
    run = run_raw(sandbox, "status.sh", env={"GITHUB_ACTIONS": value, "GITLAB_CI": value})
    assert run.exit_code == 0, run.explain()
    assert "::" not in run.log and "\x1b" not in run.log and "\r" not in run.log
    assert step_pattern("status.sh").fullmatch(run.log.splitlines()[0]), run.explain()


# -- colour ------------------------------------------------------------------------------------
def _deploy_then_fail(make_sandbox: Make, **options: object) -> tuple[RawRun, RawRun]:
    """A deploy that succeeds, then one whose new version is unhealthy (exit 3):
    between them every coloured part of the log (steps, done, warning, error)."""
    sandbox = make_sandbox("sinatra", "blue-live")
    good = run_raw(sandbox, "deploy.sh", "--path", str(sandbox.app_dir("v2")),
                   **options)  # type: ignore[arg-type]
    assert good.exit_code == 0, good.explain()
    bad = run_raw(sandbox, "deploy.sh", "--path", str(sandbox.app_dir("v3", healthy=False)),
                  **options)  # type: ignore[arg-type]
    assert bad.exit_code == 3, bad.explain()
    return good, bad


@pytest.mark.parametrize("no_color", [None, ""], ids=["unset", "empty"])
def test_colour_for_a_person_at_a_terminal(make_sandbox: Make, no_color: str | None) -> None:
    """The control for the tests below: at a terminal, outside CI, the steps are
    bold, done green, warnings and errors red. (An empty NO_COLOR counts as
    unset, as no-color.org specifies.)"""
    env = {} if no_color is None else {"NO_COLOR": no_color}
    good, bad = _deploy_then_fail(make_sandbox, terminal=True, unset=("CI",), env=env)
    bold, green, red, reset = "\x1b[1m", "\x1b[32m", "\x1b[31m", "\x1b[0m"
    first = good.log.splitlines()[0]
    assert re.fullmatch(r"deploy\.sh: \x1b\[1m\[1 \+\d+s\]\x1b\[0m preflight: .+", first), first
    assert f"deploy.sh: {green}done:{reset} sinatra_b is live" in good.log, good.explain()
    assert f"deploy.sh: {red}warning:{reset} " in bad.log, bad.explain()
    assert f"deploy.sh: {red}error:{reset} deploy of sinatra failed: " in bad.log, bad.explain()
    for run in (good, bad):
        # Only those parts: the last line (and every other) is plain.
        plain = run.log
        for code in (bold, green, red, reset):
            plain = plain.replace(code, "")
        assert not SGR.search(plain), run.explain()
        check_last_line(run)


@pytest.mark.parametrize(("env", "unset", "terminal"), [
    ({"NO_COLOR": "1"}, ("CI",), True),
    ({"CI": "true"}, (), True),
    ({"GITHUB_ACTIONS": "true"}, ("CI",), True),
    ({"GITLAB_CI": "true"}, ("CI",), True),
    ({}, ("CI",), False),
], ids=["NO_COLOR", "CI", "GITHUB_ACTIONS", "GITLAB_CI", "not-a-terminal"])
def test_no_colour_with_no_color_in_ci_or_without_a_terminal(
        make_sandbox: Make, env: dict[str, str], unset: tuple[str, ...], terminal: bool) -> None:
    for run in _deploy_then_fail(make_sandbox, terminal=terminal, unset=unset, env=env):
        assert not SGR.search(run.log), run.explain()
        assert "done:" in run.log or "error:" in run.log
        check_last_line(run)
