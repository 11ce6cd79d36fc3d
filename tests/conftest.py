"""Shared fixtures: example profiles and simulated-foundation sandboxes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from generator.model import Profile
from generator.profile import load_profile
from generator.rehearsal import Run, Sandbox

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = {path.stem: path for path in sorted((ROOT / "profiles").glob("*.toml"))}


def example(name: str) -> Profile:
    """One of the bundled example profiles, loaded through the real loader."""
    return load_profile(EXAMPLES[name])


def explain(run: Run) -> str:
    """Both streams of a run, for assertion messages."""
    return f"exit {run.exit_code}\n--- stdout\n{run.stdout}\n--- stderr\n{run.stderr}"


@pytest.fixture
def make_sandbox(tmp_path: Path) -> Callable[..., Sandbox]:
    """Build a sandbox for a profile (by example name or Profile) in tmp_path."""
    count = 0

    def build(profile: Profile | str, situation: str | None = None, **kwargs: object) -> Sandbox:
        nonlocal count
        count += 1
        if isinstance(profile, str):
            profile = example(profile)
        sandbox = Sandbox(profile, tmp_path / f"sandbox{count}", **kwargs)  # type: ignore[arg-type]
        if situation is not None:
            sandbox.seed(situation)
        return sandbox

    return build
