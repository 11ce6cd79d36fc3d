"""The app-instance supervisor: what Diego does for the live rehearsal.

It reconciles real processes with the simulated foundation's state: every app
that Cloud Controller has STARTED (and that did not fail to start) gets
``instances`` processes of ``app_server.py`` serving its current droplet; a new
start (a new ``started_at``: restart, restage, push) replaces them; an app that is
stopped or deleted has its processes stopped the way Diego stops them: SIGTERM,
a grace period in which requests in flight finish, then SIGKILL.

After every change it writes the acknowledgement file that the stub `cf` waits on
(``generator/fakecf/realtime.py``), so `cf start` returns once the new instances
listen. The router asks :meth:`Supervisor.endpoints` for the addresses to route
to; a stopped instance's address stays known to the router for the router lag
after it stopped (a stale routing table), exactly as a mapping does after
``unmap-route``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from generator.fakecf import state as S

APP_SERVER = Path(__file__).resolve().with_name("app_server.py")


@dataclass
class Instance:
    """One process of one app."""

    app_guid: str
    app_name: str
    index: int
    generation: float
    version: str
    process: subprocess.Popen
    port_file: Path
    port: int | None = None
    stopping_since: float | None = None
    """Wall-clock time SIGTERM was sent (None while it should run)."""
    exited_at: float | None = None

    @property
    def ready(self) -> bool:
        return self.port is not None and self.stopping_since is None and self.exited_at is None


@dataclass
class Supervisor:
    """Starts and stops app processes to match the foundation's state."""

    run_dir: Path
    ack_path: Path
    health_paths: tuple[str, ...]
    router_lag: float
    startup_delay: float = 0.5
    grace_seconds: float = 2.0
    max_seconds: float = 1800.0
    instances: list[Instance] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    _last_ack: str = ""
    _started: int = 0

    # -- reconciling -----------------------------------------------------------------
    def reconcile(self, st: dict) -> None:
        """Make the processes match ``st``; then reap, enforce grace, acknowledge."""
        wanted: dict[str, dict] = {a["guid"]: a for a in st["apps"]
                                   if S.app_running(a) and a.get("droplet")}
        for inst in self.running():
            app = wanted.get(inst.app_guid)
            if (app is None or app["started_at"] != inst.generation
                    or inst.index >= int(app["instances"])):
                self._terminate(inst)
        for guid, app in wanted.items():
            have = {i.index for i in self.running() if i.app_guid == guid}
            for index in range(int(app["instances"])):
                if index not in have:
                    self._spawn(app, index)
        self.poll()

    def running(self) -> list[Instance]:
        """Instances that should be serving (started or starting, not being stopped)."""
        return [i for i in self.instances if i.stopping_since is None and i.exited_at is None]

    def poll(self) -> None:
        """Notice ports written and processes gone; SIGKILL past the grace period."""
        now = time.time()
        for inst in self.instances:
            if inst.exited_at is not None:
                continue
            if inst.port is None and inst.port_file.exists():
                with contextlib.suppress(OSError, ValueError):
                    inst.port = int(inst.port_file.read_text())
                    self._event("listening", inst)
            code = inst.process.poll()
            if code is not None:
                inst.exited_at = now
                self._event("exited", inst, status=code)
                if inst.stopping_since is None:
                    # Died on its own: Diego would start it again; here the app's
                    # behaviour never crashes, so this is a harness problem. Report it.
                    self._event("crashed", inst, status=code)
            elif (inst.stopping_since is not None
                  and now - inst.stopping_since >= self.grace_seconds):
                with contextlib.suppress(ProcessLookupError):
                    inst.process.kill()
                self._event("killed", inst)
        self._acknowledge()

    def _acknowledge(self) -> None:
        apps: dict[str, dict] = {}
        for inst in self.running():
            entry = apps.setdefault(inst.app_guid, {"generation": inst.generation, "ready": 0})
            if inst.generation == entry["generation"] and inst.port is not None:
                entry["ready"] += 1
        text = json.dumps({"apps": apps}, sort_keys=True)
        if text != self._last_ack:
            tmp = self.ack_path.with_name(self.ack_path.name + ".tmp")
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, self.ack_path)
            self._last_ack = text

    # -- processes -----------------------------------------------------------------------
    def _spawn(self, app: dict, index: int) -> None:
        self._started += 1
        droplet = app["droplet"]
        port_file = self.run_dir / f"instance-{self._started}.port"
        spec = {
            "app": app["name"], "guid": app["guid"], "index": index,
            "version": droplet.get("version") or "", "healthy": droplet.get("healthy", True),
            "status": droplet.get("status", 200), "body": droplet.get("body", "ok"),
            "slow_start_seconds": droplet.get("slow_start_seconds", 0),
            "fails_after_seconds": droplet.get("fails_after_seconds", 0),
            "health_paths": list(self.health_paths), "startup_delay": self.startup_delay,
            "port_file": str(port_file), "max_seconds": self.max_seconds,
        }
        log = open(self.run_dir / f"instance-{self._started}.log", "wb")  # noqa: SIM115
        try:
            process = subprocess.Popen(
                [sys.executable, "-I", "-S", str(APP_SERVER), json.dumps(spec)],
                stdin=subprocess.PIPE, stdout=log, stderr=log, start_new_session=True)
        finally:
            log.close()
        inst = Instance(app["guid"], app["name"], index, app["started_at"],
                        spec["version"], process, port_file)
        self.instances.append(inst)
        self._event("spawned", inst)

    def _terminate(self, inst: Instance) -> None:
        inst.stopping_since = time.time()
        with contextlib.suppress(ProcessLookupError):
            inst.process.send_signal(signal.SIGTERM)
        self._event("sigterm", inst)

    def degrade(self, app_guid: str, indexes: tuple[int, ...] | None = None,
                how: str = "fail") -> int:
        """Make running instances of the app (all, or those ``indexes``) fail from now
        on: ``fail`` answers 500 (SIGUSR1), ``hang`` never answers (SIGUSR2). A build
        that passed its checks and then breaks in service. Returns how many."""
        sig = {"fail": signal.SIGUSR1, "hang": signal.SIGUSR2}[how]
        count = 0
        for inst in self.running():
            # Only listening instances: before that the signal would kill the process.
            if (inst.app_guid == app_guid and inst.port is not None
                    and (indexes is None or inst.index in indexes)):
                with contextlib.suppress(ProcessLookupError):
                    inst.process.send_signal(sig)
                count += 1
        self._event("degraded", None, app=app_guid, instances=count, how=how)
        return count

    def stop_all(self, timeout: float = 5.0) -> None:
        """SIGTERM everything, wait up to ``timeout``, SIGKILL what is left, reap."""
        for inst in self.instances:
            if inst.exited_at is None and inst.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    inst.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for inst in self.instances:
            remaining = max(0.0, deadline - time.monotonic())
            try:
                inst.process.wait(remaining)
            except subprocess.TimeoutExpired:
                inst.process.kill()
                inst.process.wait()
            if inst.process.stdin is not None:
                with contextlib.suppress(OSError):
                    inst.process.stdin.close()
            if inst.exited_at is None:
                inst.exited_at = time.time()

    # -- what the router needs -----------------------------------------------------------
    def endpoints(self, now: float) -> dict[str, list[tuple[int, int]]]:
        """App guid -> [(instance index, port)] the router knows at wall time ``now``:
        listening instances, and stopped ones until ``router_lag`` after they were
        told to stop (the router's table is that late). In start order, so where a
        restarted instance and its stale predecessor share an index, the newer
        one comes last."""
        table: dict[str, list[tuple[int, int]]] = {}
        for inst in self.instances:
            if inst.port is None:
                continue
            gone = inst.stopping_since if inst.stopping_since is not None else inst.exited_at
            if gone is not None and now >= gone + self.router_lag:
                continue
            table.setdefault(inst.app_guid, []).append((inst.index, inst.port))
        return table

    def alive(self, app_guid: str) -> list[Instance]:
        """Instances of the app whose process still exists."""
        return [i for i in self.instances if i.app_guid == app_guid and i.process.poll() is None]

    def _event(self, kind: str, inst: Instance | None, **extra: object) -> None:
        row: dict[str, object] = {"time": time.time(), "kind": kind}
        if inst is not None:
            row.update(app=inst.app_name, guid=inst.app_guid, index=inst.index,
                       version=inst.version, port=inst.port)
        row.update(extra)
        self.events.append(row)
