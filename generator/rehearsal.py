"""Run the emitted scripts against the simulated foundation.

One :class:`Sandbox` is one throw-away world: a profile's scripts rendered into a
temporary folder, stub ``cf``/``curl``/``sleep`` first on PATH, a simulated
foundation seeded for a named situation, and an app directory per version. The
``rehearse`` and ``plan`` commands and the end-to-end tests all use it, so what a
user rehearses is exactly what the tests prove.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from generator.fakecf import Foundation, StubServer
from generator.model import Profile
from generator.render import lock_app_name, render_profile

STATE_LABEL = "cf-bluegreen-state"
SITUATIONS: dict[str, str] = {
    "first-deploy": "nothing deployed yet",
    "blue-live": "the first color is live (deployed by hand: no recorded state)",
    "green-live": "the second color is live, the first stopped as the rollback target",
    "interrupted-cutover": "a deploy died mid-cutover: both colors hold the live routes",
    "after-rollback": "the first color is live again after a rollback; the second stopped",
}


def records(profile: Profile) -> dict[str, dict[str, str]]:
    """The labels the emitted scripts leave on a color, by its role.

    A worker's colors carry their role (``live``, ``standby``, ``deploy-candidate``).
    A web app's colors carry no record in the normal course: the route table
    says which is live, and the staging route which one a move was under way
    to; only a rollback's target (``rollback-candidate``, kept until that color
    is deployed to again) and a build that failed (``failed``) are recorded.
    """
    if profile.is_worker:
        return {"live": {STATE_LABEL: "live"}, "standby": {STATE_LABEL: "standby"},
                "deploy-candidate": {STATE_LABEL: "deploy-candidate"},
                "rolled-back-to": {STATE_LABEL: "live"}}
    return {"live": {}, "standby": {}, "deploy-candidate": {},
            "rolled-back-to": {STATE_LABEL: "rollback-candidate"}}


def live_record_problem(profile: Profile, app: dict) -> str | None:
    """What is wrong with the record on a color that finished taking the traffic,
    or None. A worker's says ``live``; a web app's says nothing, or that a
    rollback moved the traffic to it."""
    label = app["labels"].get(STATE_LABEL)
    if profile.is_worker:
        return None if label == "live" else f"{app['name']} is recorded as {label}, not live"
    if label in (None, "rollback-candidate"):
        return None
    return f"{app['name']} is recorded as {label}"


@dataclass(frozen=True)
class Run:
    """One script run: how it ended, what it printed, the cf calls it made."""

    script: str
    args: tuple[str, ...]
    exit_code: int
    stdout: str
    stderr: str
    calls: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)

    def cf_argvs(self) -> list[list[str]]:
        """The argv of every cf call this run made, without the leading ``cf``."""
        return [call["argv"] for call in self.calls]


class Sandbox:
    """A simulated foundation with one profile's scripts, in ``root``."""

    def __init__(self, profile: Profile, root: Path, router_lag_seconds: float = 2,
                 bash: str | None = None,
                 stub_tools: tuple[str, ...] = ("cf", "curl", "sleep")) -> None:
        """``bash``: the bash to run the scripts (and their hooks) with; default
        ``$CF_BLUEGREEN_TEST_BASH``, else the first ``bash`` on PATH. ``stub_tools``:
        the stubs on PATH (live mode stubs only ``cf``)."""
        self.profile = profile
        self.root = root
        self.bash = bash or os.environ.get("CF_BLUEGREEN_TEST_BASH") or None
        self.work = root / "work"
        self.scripts = root / "scripts"
        for folder in (self.work, self.scripts, root / "home", root / "tmp"):
            folder.mkdir(parents=True, exist_ok=True)
        self.install(profile)
        domains = sorted({r.domain for r in profile.live_routes}
                         | ({profile.staging_route.domain} if profile.staging_route else set()))
        self.foundation = Foundation.create(
            root / "state.json",
            cf_major=profile.cf_cli,
            api=profile.target.api or "https://api.example.com",
            org=profile.target.org or "demo-org",
            space=profile.target.space or "production",
            domains=domains or ("example.com",),
            router_lag_seconds=router_lag_seconds,
        )
        for service in profile.services:
            self.foundation.add_service(service)
        self.foundation.watch_live_routes(route.url for route in profile.live_routes)
        # Live mode stubs only cf: the real curl and sleep come next on PATH.
        self.server = StubServer(root / "bin", root / "state.json", tools=stub_tools)
        if self.bash:
            # First on PATH: the scripts' `#!/usr/bin/env bash`, their `bash -c`
            # hooks and the stub clients all run under the bash being tested.
            (root / "bin" / "bash").symlink_to(Path(self.bash).resolve())
        self.env = self._environment(self.server.env)
        self._prepare_work_dir()

    def _environment(self, stubs: dict[str, str]) -> dict[str, str]:
        env = {
            "PATH": stubs["PATH"],
            "FAKECF_STATE": stubs["FAKECF_STATE"],
            "HOME": str(self.root / "home"),
            "TMPDIR": str(self.root / "tmp"),
            "CI": "true",
            "LC_ALL": "C",
            "CF_BLUEGREEN_CF_TIMEOUT": "60",
        }
        return env

    def _prepare_work_dir(self) -> None:
        """Files the profile names (manifest, vars files, push path) exist in the work dir."""
        profile = self.profile
        for name in (profile.manifest, *profile.push.vars_files):
            if name:
                target = self.work / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text("---\n", encoding="utf-8")
        self.app_dir("v1", into=self.work / (profile.path or "."))

    def app_dir(self, version: str, into: Path | None = None, **behaviour: object) -> Path:
        """A pushable directory whose app reports ``version``; ``behaviour`` overrides
        the simulator's defaults (``healthy``, ``start``, ``slow_start_seconds`` ...)."""
        folder = into or self.root / "apps" / version
        folder.mkdir(parents=True, exist_ok=True)
        body = f"ok {version}"
        if self.profile.health.expect_body:
            body = f"{self.profile.health.expect_body} {version}"
        spec = {"version": version, "healthy": True, "status": self.profile.health.expect_status,
                "body": body, "start": "ok", "slow_start_seconds": 0}
        spec.update(behaviour)
        (folder / ".fakecf-app.json").write_text(json.dumps(spec), encoding="utf-8")
        return folder

    def install(self, profile: Profile) -> None:
        """Render ``profile``'s scripts into the sandbox (again, after a change
        of the profile: the foundation is kept)."""
        self.profile = profile
        for name, text in render_profile(profile).items():
            script = self.scripts / name
            script.write_text(text, encoding="utf-8")
            script.chmod(0o755)

    # -- situations -----------------------------------------------------------------
    def seed(self, situation: str, instances: int = 2) -> None:
        """Put the foundation in one of :data:`SITUATIONS`, with the records the
        scripts leave there (:func:`records`)."""
        if situation not in SITUATIONS:
            raise ValueError(f"unknown situation {situation!r}; one of {', '.join(SITUATIONS)}")
        blue, green = self.profile.colors
        behaviour = {"version": "v0", "body": self._body("v0"),
                     "status": self.profile.health.expect_status}
        record = records(self.profile)
        if situation == "blue-live":
            self.foundation.add_app(blue, instances=instances, behaviour=behaviour)
            self._bind_and_map(blue)
        elif situation == "green-live":
            self.foundation.add_app(blue, state="STOPPED", instances=instances,
                                    behaviour=dict(behaviour, version="v-1",
                                                   body=self._body("v-1")),
                                    labels=record["standby"])
            self.foundation.add_app(green, instances=instances, behaviour=behaviour,
                                    labels=record["live"])
            self._bind_and_map(green)
        elif situation == "after-rollback":
            self.foundation.add_app(blue, instances=instances, behaviour=behaviour,
                                    labels=record["rolled-back-to"])
            self.foundation.add_app(green, state="STOPPED", instances=instances,
                                    behaviour=dict(behaviour, version="v1",
                                                   body=self._body("v1")),
                                    labels=record["standby"])
            self._bind_and_map(blue)
            for service in self.profile.services:
                self.foundation.bind(green, service)
        elif situation == "interrupted-cutover":
            self.foundation.add_app(blue, instances=instances, behaviour=behaviour,
                                    labels=record["live"])
            self.foundation.add_app(green, instances=instances,
                                    behaviour=dict(behaviour, version="v1",
                                                   body=self._body("v1")),
                                    labels=record["deploy-candidate"])
            self._bind_and_map(blue)
            self._bind_and_map(green)
            if self.profile.staging_route is not None:
                route = self.profile.staging_route
                self.foundation.map_route(green, route.host, route.domain, route.path)

    def behaviour(self, version: str, **overrides: object) -> dict[str, object]:
        """An app behaviour that passes this profile's health check, reporting ``version``."""
        spec: dict[str, object] = {"version": version, "body": self._body(version),
                                   "status": self.profile.health.expect_status}
        spec.update(overrides)
        return spec

    def _body(self, version: str) -> str:
        expect = self.profile.health.expect_body
        return f"{expect} {version}" if expect else f"ok {version}"

    def _bind_and_map(self, app: str) -> None:
        for service in self.profile.services:
            self.foundation.bind(app, service)
        for route in self.profile.live_routes:
            self.foundation.map_route(app, route.host, route.domain, route.path)

    # -- running ----------------------------------------------------------------------
    def run(self, script: str, *args: str, timeout: float = 300,
            extra_env: dict[str, str] | None = None) -> Run:
        """Run ``script`` (deploy.sh, rollback.sh, status.sh) to completion.

        The script runs as ``bash -c 'export FAKECF_TARGET_PID=$$; exec ...'`` so a
        signal fault reaches the script itself, not a subshell.
        """
        before = self.foundation.load()
        before_calls, before_events = len(before["calls"]), len(before["events"])
        env = dict(self.env, **(extra_env or {}))
        command = [self.bash or 'bash', '-c', 'export FAKECF_TARGET_PID=$$; exec "$0" "$@"',
                   str(self.scripts / script), *args]
        proc = subprocess.Popen(command, cwd=self.work, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            stdout, stderr = proc.communicate()
            stderr += f"\n[rehearsal: {script} killed after {timeout}s]"
        except BaseException:
            # Ctrl-C or a test timeout: the script runs in its own session, so
            # nothing else would stop it.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise
        after = self.foundation.load()
        calls, events = after["calls"][before_calls:], after["events"][before_events:]
        return Run(script, tuple(args), proc.returncode, stdout, stderr, calls, events)

    def close(self) -> None:
        """Stop the stub server."""
        self.server.close()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading the world --------------------------------------------------------------
    def live_apps(self) -> dict[str, list[str]]:
        """Each live route (lower case, as routers match) -> the apps CC has mapped to it."""
        apps = self.foundation.apps()
        table: dict[str, list[str]] = {}
        for route in self.profile.live_routes:
            url = route.url.lower()
            table[url] = sorted(a["name"] for a in apps
                                if url in (r.lower() for r in a["routes"]))
        return table

    def lock_app(self) -> dict | None:
        return self.foundation.app(lock_app_name(self.profile))
