"""Fixtures for the simulated foundation: a throw-away world per test.

A :class:`World` is a state file, the stub executables installed in ``bin/`` and a
working directory; ``world.cf(...)`` runs the stub exactly as a script would (a
subprocess with the stubs first on PATH), so these tests exercise the real entry
point, not just the Python functions behind it.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from generator.fakecf import Foundation, install


@dataclass(frozen=True)
class Result:
    """What one stub invocation did."""

    code: int
    out: str
    err: str

    def __str__(self) -> str:
        return f"exit {self.code}\n--- stdout\n{self.out}--- stderr\n{self.err}"


class World:
    """A simulated foundation plus the environment to run stubs and scripts in."""

    def __init__(self, root: Path, **create: object) -> None:
        self.root = root
        self.state = root / "state.json"
        self.fnd = Foundation.create(self.state, **create)  # type: ignore[arg-type]
        self.env = dict(os.environ, CF_COLOR="false", **install(root / "bin", self.state))
        self.env.pop("FAKECF_TARGET_PID", None)
        self.work = root / "work"
        self.work.mkdir(exist_ok=True)

    def run(self, argv: list[str], stdin: str = "", timeout: float = 30,
            env: dict[str, str] | None = None) -> Result:
        proc = subprocess.run(argv, cwd=self.work, env=dict(self.env, **(env or {})),
                              input=stdin, capture_output=True, text=True, timeout=timeout)
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def cf(self, *args: str, stdin: str = "") -> Result:
        return self.run(["cf", *args], stdin=stdin)

    def curl(self, *args: str) -> Result:
        return self.run(["curl", *args])

    def sleep(self, *args: str) -> Result:
        return self.run(["sleep", *args])

    def bash(self, script: str, timeout: float = 60) -> Result:
        """Run a bash script as the harness does (FAKECF_TARGET_PID = the script)."""
        path = self.root / "script.sh"
        path.write_text("set -u\n" + script, encoding="utf-8")
        return self.run(["bash", "-c", 'export FAKECF_TARGET_PID=$$; exec bash "$0"', str(path)],
                        timeout=timeout)

    def app_dir(self, name: str, **behaviour: object) -> Path:
        """A pushable directory (relative to the work dir) with ``.fakecf-app.json``."""
        folder = self.work / name
        folder.mkdir(parents=True, exist_ok=True)
        if behaviour:
            (folder / ".fakecf-app.json").write_text(json.dumps(behaviour), encoding="utf-8")
        return folder

    def space_guid(self) -> str:
        return self.cf("space", "production", "--guid").out.strip()

    def guid(self, app: str) -> str:
        found = self.fnd.app(app)
        assert found is not None, f"no app {app}"
        return str(found["guid"])


@pytest.fixture
def make_world(tmp_path: Path) -> Callable[..., World]:
    """``make_world(cf_major=8, router_lag_seconds=0, ...)`` -> a fresh World."""
    counter = iter(range(1000))

    def make(**create: object) -> World:
        root = tmp_path / f"world{next(counter)}"
        root.mkdir()
        return World(root, **create)

    return make


@pytest.fixture
def world(make_world: Callable[..., World]) -> World:
    """A cf v8 world with ``blue`` live on www.example.com (watched)."""
    w = make_world()
    w.fnd.add_app("blue", instances=2, behaviour={"version": "v1", "body": "ok v1"})
    w.fnd.map_route("blue", "www", "example.com")
    w.fnd.watch_live_routes(["www.example.com"])
    return w
