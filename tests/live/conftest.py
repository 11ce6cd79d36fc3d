"""Live tests: the emitted scripts against real processes, nginx and traffic.

Functional assertions only — request counts, failed counts, which version
answered, which processes exist — never durations, so a loaded machine makes
them slower, not red. Every world binds to 127.0.0.1, is bounded in time
(pytest-timeout per test, bounded waits inside) and is closed at teardown even
when the test fails.

Shortened timings (a copy of each profile): settle 1 s, drain 3 s, health
interval 1 s, router lag 1 s; the drain stays longer than the router lag, as
the scripts require.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from generator.live.controls import replace_fields
from generator.live.prereqs import find
from generator.live.story import with_timings
from generator.live.world import LiveSettings, LiveWorld
from generator.model import Profile
from tests.conftest import example

LAG = 1.0
TOTAL_RATE = 200.0
"""Requests per second over all live routes of a profile (runs of ~8 s: >1,000 each)."""
MIN_REQUESTS = 1000


def live_example(name: str, drain: int = 3) -> Profile:
    profile, _notes = with_timings(example(name), settle=1, drain=drain, interval=1)
    return profile


def settings_for(profile: Profile) -> LiveSettings:
    return LiveSettings(router_lag=LAG, rate=TOTAL_RATE / max(1, len(profile.live_routes)),
                        startup_delay=0.3, grace_seconds=1.0, lead_seconds=0.5,
                        tail_seconds=0.5)


def first_deploy_hold(profile: Profile) -> float:
    """Traffic kept up after a first deploy so that its run sees enough live requests
    (on a first deploy the route is live only at the very end)."""
    return MIN_REQUESTS / TOTAL_RATE + 1.0


def wait_for(predicate: Callable[[], bool], timeout: float = 15, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        time.sleep(0.05)


@pytest.fixture(autouse=True)
def _live_programs() -> None:
    missing = [p for p in ("nginx", "openssl", "curl", "chromium") if find(p) is None]
    if missing and not os.environ.get("CI"):
        pytest.skip(f"live tests need {', '.join(missing)} (apt-get install nginx chromium)")


@pytest.fixture(autouse=True)
def _one_live_test_at_a_time(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Live tests measure failed requests in real time: two of them at once (each
    with a router, app processes and 200 requests/s) would measure each other.
    A lock file shared by every xdist worker of the session runs them one at a
    time, whatever the scheduling."""
    lock = tmp_path_factory.getbasetemp().parent / "live-tests.lock"
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture
def make_world(tmp_path: Path) -> Iterator[Callable[..., LiveWorld]]:
    """Build live worlds in tmp_path; all are closed at teardown."""
    made: list[LiveWorld] = []

    def build(profile: Profile, **overrides: object) -> LiveWorld:
        settings = replace_fields(settings_for(profile), **overrides)
        world = LiveWorld(profile, tmp_path / f"world{len(made) + 1}", settings)
        made.append(world)
        return world.__enter__()

    yield build
    for world in made:
        world.close()
