"""Shared fixtures: example profiles and simulated-foundation sandboxes."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from generator.lint_cache import CACHE_DIR_ENV
from generator.model import Profile
from generator.profile import load_profile
from generator.rehearsal import Run, Sandbox

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = {path.stem: path for path in sorted((ROOT / "profiles").glob("*.toml"))}
TEST_PROFILES = {path.stem: path for path in sorted((ROOT / "tests/profiles_apex").glob("*.toml"))}


# Property tests explore new examples on every developer's run; in CI (CI set, as
# .ci/run and every CI system does) they replay a fixed sequence, so a landing is
# judged on the same examples each time. A failure found locally is kept in
# .hypothesis/ and replayed first, until fixed.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: two workers per core. Most of a test's time is spent waiting on
    the processes it runs (bash, the stub server, nginx, real sleeps), so one
    worker per core leaves half the CPU idle."""
    return max(2, min(8, 2 * (os.cpu_count() or 1)))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Live tests first: xdist hands out tests in collection order, so they land
    together at the start of one worker's share and run one after another there
    (tests/live/conftest.py also serialises them), beside the CPU-bound rest,
    rather than all at once at the end."""
    items.sort(key=lambda item: item.get_closest_marker("live") is None)


@pytest.fixture(scope="session", autouse=True)
def lint_cache_of_the_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Tests keep their lint cache to themselves, never in the developer's ~/.cache."""
    folder = tmp_path_factory.mktemp("lint-cache")
    before = os.environ.get(CACHE_DIR_ENV)
    os.environ[CACHE_DIR_ENV] = str(folder)
    yield folder
    if before is None:
        os.environ.pop(CACHE_DIR_ENV, None)
    else:
        os.environ[CACHE_DIR_ENV] = before


def example(name: str) -> Profile:
    """A bundled example profile (or one of the tests' own, e.g. "apex"), loaded
    through the real loader."""
    return load_profile(EXAMPLES.get(name) or TEST_PROFILES[name])


def explain(run: Run) -> str:
    """Both streams of a run, for assertion messages."""
    return f"exit {run.exit_code}\n--- stdout\n{run.stdout}\n--- stderr\n{run.stderr}"


def deploy(sandbox: Sandbox, *args: str, version: str = "v2", **behaviour: object) -> Run:
    """Run deploy.sh with a fresh app directory reporting ``version``."""
    return sandbox.run("deploy.sh", "--path", str(sandbox.app_dir(version, **behaviour)), *args)


def only_on_live(sandbox: Sandbox, color: str) -> bool:
    """``color`` alone holds every live route."""
    return all(apps == [color] for apps in sandbox.live_apps().values())


@pytest.fixture
def make_sandbox(tmp_path: Path) -> Iterator[Callable[..., Sandbox]]:
    """Build sandboxes for a profile (by example name or Profile) in tmp_path."""
    count = 0
    made: list[Sandbox] = []

    def build(profile: Profile | str, situation: str | None = None, **kwargs: object) -> Sandbox:
        nonlocal count
        count += 1
        if isinstance(profile, str):
            profile = example(profile)
        sandbox = Sandbox(profile, tmp_path / f"sandbox{count}", **kwargs)  # type: ignore[arg-type]
        made.append(sandbox)
        if situation is not None:
            sandbox.seed(situation)
        return sandbox

    yield build
    for sandbox in made:
        sandbox.close()


_MATRIX: dict[str, dict[str, int]] = {}
_CONTROLS: dict[str, dict] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Collect fault-matrix counts (this runs in the controller under xdist too)."""
    if report.when != "call":
        return
    for key, value in report.user_properties:
        if key == "fault_matrix" and isinstance(value, dict):
            _MATRIX[report.nodeid] = value
        if key == "live_control" and isinstance(value, dict):
            _CONTROLS[str(value["variant"])] = value


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _CONTROLS:
        terminalreporter.section("live: failed requests, ours vs negative controls")
        for control in sorted(_CONTROLS.values(), key=lambda c: c["variant"] != "ours"):
            terminalreporter.write_line(
                f"{control['failed']:>6} failed of {control['requests']:>6} requests "
                f"(exit {control['exit']}): {control['what']}")
    if not _MATRIX:
        return
    cases = sum(v["cases"] for v in _MATRIX.values())
    failed = sum(v["failed"] for v in _MATRIX.values())
    terminalreporter.section("fault matrix")
    profiles = sorted({v.get("profile", "?") for v in _MATRIX.values()})
    for profile in profiles:
        cells = [v for v in _MATRIX.values() if v.get("profile", "?") == profile]
        runs = sum(v["cases"] for v in cells)
        bad = sum(v["failed"] for v in cells)
        terminalreporter.write_line(
            f"{profile:>10}: {len(cells)} cells, {runs} faulted runs: "
            f"{runs - bad} passed, {bad} failed")
    terminalreporter.write_line(
        f"{'all':>10}: {len(_MATRIX)} profile x situation x fault-kind cells, {cases} faulted "
        f"runs (each followed by a converging re-run): {cases - failed} passed, {failed} failed"
    )
