"""One live world: the simulated foundation with real processes, nginx and traffic.

:class:`LiveWorld` puts together, in one temporary folder:

- a :class:`~generator.rehearsal.Sandbox` (the profile's real emitted scripts, the
  foundation's state) whose PATH stubs only ``cf``: the scripts run the real
  ``curl``, ``sleep`` and ``date``;
- the foundation switched to its real clock (``state["live"]``);
- a :class:`~generator.live.supervisor.Supervisor` (app instances as processes)
  and :class:`~generator.live.router.Nginx` (the router), driven by one
  controller thread that watches the state file every 20 ms;
- a curl config (``CURL_HOME/.curlrc``: ``connect-to`` every host's ports 80 and
  443 to the router, ``cacert`` the run's CA), so the scripts' own curl calls
  reach the router unchanged;
- the load prober, started and stopped around the script runs (:meth:`probing`).

Everything listens on 127.0.0.1 only, every child has a bounded lifetime and
stops by itself when this process dies (a pipe on its standard input, or
PR_SET_PDEATHSIG for nginx), and :meth:`close` stops all of it — also on Ctrl-C,
a test failure or an exception — and leaves no process or port behind.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from generator.fakecf import state as S
from generator.live.certs import make_certificates
from generator.live.errors import LiveError
from generator.live.prereqs import require
from generator.live.router import Nginx, router_view
from generator.live.supervisor import Supervisor
from generator.model import Profile
from generator.rehearsal import Run, Sandbox

PROBER = Path(__file__).resolve().with_name("prober.py")
TICK_SECONDS = 0.02


@dataclass(frozen=True)
class LiveSettings:
    """Knobs of a live world; the defaults are what ``rehearse --live`` uses."""

    router_lag: float = 2.0
    """Seconds a route change takes to reach the router (both directions)."""
    rate: float = 50.0
    """Requests per second per live route."""
    startup_delay: float = 0.5
    """Seconds an app instance takes to boot before it listens."""
    grace_seconds: float = 2.0
    """SIGTERM to SIGKILL when an instance is stopped (CF gives 10 s)."""
    start_timeout: float = 30.0
    request_timeout: float = 5.0
    lead_seconds: float = 1.0
    """Probing before the first script starts."""
    tail_seconds: float = 1.0
    """Probing after the last script ended."""


@dataclass
class ScriptRun:
    """One script run in real time: the sandbox's Run plus when it happened."""

    label: str
    run: Run
    started: float
    ended: float
    """Foundation clock (seconds since the world's epoch)."""


@dataclass
class Probing:
    """What the prober recorded (filled when the ``probing`` block ends)."""

    records: list[dict] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0


class LiveWorld:
    """See the module docstring. Use as a context manager."""

    def __init__(self, profile: Profile, root: Path, settings: LiveSettings | None = None
                 ) -> None:
        self.profile = profile
        self.root = root
        self.settings = settings or LiveSettings()
        self.programs = require("nginx", "openssl", "curl")
        self.errors: list[str] = []
        self.runs: list[ScriptRun] = []
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._state_stamp: tuple[int, int] | None = None
        self._st: dict = {}
        self._view: tuple = ()
        self.sandbox: Sandbox | None = None
        self.nginx: Nginx | None = None
        self.supervisor: Supervisor | None = None
        self._prober: subprocess.Popen | None = None
        self._watchers: list[Callable[[dict], bool]] = []

    # -- building and tearing down -------------------------------------------------------
    def __enter__(self) -> LiveWorld:
        try:
            self._open()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _open(self) -> None:
        lag = self.settings.router_lag
        self.sandbox = Sandbox(self.profile, self.root, router_lag_seconds=lag,
                               stub_tools=("cf",))
        self.epoch = time.time()
        live_dir = self.root / "live"
        live_dir.mkdir(parents=True, exist_ok=True)
        self.ack_path = live_dir / "instances.json"
        self.sandbox.foundation.configure(live={
            "epoch": self.epoch, "ack": str(self.ack_path),
            "start_timeout": self.settings.start_timeout})
        domains = [d["name"] for d in self.sandbox.foundation.load()["domains"]]
        certs = make_certificates(self.programs["openssl"], live_dir / "tls", domains)
        self.ca = certs.ca
        self.supervisor = Supervisor(live_dir / "instances", self.ack_path, self._health_paths(),
                                     lag, self.settings.startup_delay,
                                     self.settings.grace_seconds)
        self.supervisor.run_dir.mkdir(parents=True, exist_ok=True)
        self.nginx = Nginx(self.programs["nginx"], live_dir / "nginx", certs.cert, certs.key)
        self.nginx.start(())  # from this (main) thread: PR_SET_PDEATHSIG follows it
        curl_home = self.root / "curl"
        curl_home.mkdir(exist_ok=True)
        (curl_home / ".curlrc").write_text(
            "# cf-bluegreen live rehearsal: every route goes to the local router\n"
            f'connect-to = ":80:127.0.0.1:{self.nginx.http_port}"\n'
            f'connect-to = ":443:127.0.0.1:{self.nginx.https_port}"\n'
            f'cacert = "{certs.ca}"\n'
            'noproxy = "*"\n', encoding="utf-8")
        self.script_env = {"CURL_HOME": str(curl_home)}
        self._thread = threading.Thread(target=self._loop, name="live-controller", daemon=True)
        self._thread.start()

    def _health_paths(self) -> tuple[str, ...]:
        """The request paths an instance answers as its health endpoint: the health
        path, also behind every route path (apps see the full request path)."""
        health = self.profile.health.path.split("?", 1)[0]
        routes = [*self.profile.live_routes,
                  *([self.profile.staging_route] if self.profile.staging_route else [])]
        paths = {health}
        for route in routes:
            base = route.path.rstrip("/")
            if base:
                paths.add(base + health)
                if health == "/":
                    paths.add(base)
        return tuple(sorted(paths))

    def close(self) -> None:
        """Stop everything this world started, whatever state it is in. Idempotent.

        A second Ctrl-C while this runs is ignored (every step is bounded), so an
        impatient user cannot leave half the world behind."""
        import signal

        in_main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if in_main else None
        try:
            self._close()
        finally:
            if in_main:
                signal.signal(signal.SIGINT, previous)

    def _close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        if self._prober is not None:
            self._stop_prober()
        if self.supervisor is not None:
            with self._lock:
                self.supervisor.stop_all()
        if self.nginx is not None:
            self.nginx.stop()
        if self.sandbox is not None:
            self.sandbox.close()

    # -- the controller ----------------------------------------------------------------------
    def _loop(self) -> None:
        while not self._stop.wait(TICK_SECONDS):
            try:
                self.tick()
            except Exception as error:  # noqa: BLE001 - reported by check_healthy()
                message = f"live controller: {error}"
                if not self.errors or self.errors[-1] != message:
                    self.errors.append(message)
                time.sleep(0.2)

    def tick(self) -> None:
        """Follow the state: instances to start or stop, router table to apply."""
        assert self.sandbox is not None and self.supervisor is not None
        assert self.nginx is not None
        with self._lock:
            path = self.sandbox.foundation.path
            info = os.stat(path)
            stamp = (info.st_mtime_ns, info.st_size)
            if stamp != self._state_stamp:
                self._st = S.load(str(path))
                self._state_stamp = stamp
            self.supervisor.reconcile(self._st)
            self._watchers = [w for w in self._watchers if not w(self._st)]
            now = time.time()
            view = router_view(self._st, self.supervisor.endpoints(now), now - self.epoch,
                               self.settings.router_lag)
            if view != self._view:
                self.nginx.apply(view)
                self._view = view

    def problems(self) -> list[str]:
        """What went wrong inside the world itself (controller errors, instances that
        died on their own): a harness problem, never a verdict on the scripts."""
        crashed = [e for e in (self.supervisor.events if self.supervisor else [])
                   if e["kind"] == "crashed"]
        return list(self.errors) + [f"instance {e['app']}/{e['index']} died on its own "
                                    f"(exit {e.get('status')})" for e in crashed]

    def check_healthy(self) -> None:
        """Raise :class:`LiveError` listing :meth:`problems`, if any."""
        problems = self.problems()
        if problems:
            raise LiveError("; ".join(problems))

    def now(self) -> float:
        """The foundation's clock: seconds since this world's epoch."""
        return time.time() - self.epoch

    def wait_until_settled(self, timeout: float = 30) -> None:
        """Wait until every started app's instances listen and the router holds the
        table that the state says it should hold now."""
        assert self.sandbox is not None and self.supervisor is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                st = S.load(str(self.sandbox.foundation.path))
                wanted = {a["guid"]: a for a in st["apps"] if S.app_running(a)}
                listening = all(
                    sum(1 for i in self.supervisor.running() if i.app_guid == guid
                        and i.generation == a["started_at"] and i.port is not None)
                    >= int(a["instances"]) for guid, a in wanted.items())
                now = time.time()
                view = router_view(st, self.supervisor.endpoints(now), now - self.epoch,
                                   self.settings.router_lag)
                if listening and view == self._view and self._state_stamp is not None:
                    return
            time.sleep(TICK_SECONDS)
        raise LiveError(f"the live world did not settle within {timeout:g}s")

    # -- seeding and running -------------------------------------------------------------------
    def seed(self, situation: str) -> None:
        assert self.sandbox is not None
        self.sandbox.seed(situation)
        self.wait_until_settled()

    def run(self, script: str, *args: str, label: str = "", timeout: float = 300,
            extra_env: dict[str, str] | None = None) -> ScriptRun:
        """Run one emitted script (see :meth:`Sandbox.run`) with the live curl config."""
        assert self.sandbox is not None
        started = self.now()
        run = self.sandbox.run(script, *args, timeout=timeout,
                               extra_env={**self.script_env, **(extra_env or {})})
        record = ScriptRun(label or script, run, started, self.now())
        self.runs.append(record)
        return record

    def pause(self, seconds: float) -> None:
        """Real time passes (between runs), the controller keeps following."""
        time.sleep(seconds)

    # -- traffic ---------------------------------------------------------------------------------
    def targets(self) -> list[dict]:
        """One prober target per live route: its health URL through the router."""
        assert self.nginx is not None
        health = self.profile.health
        out = []
        for route in self.profile.live_routes:
            fqdn = f"{route.host}.{route.domain}" if route.host else route.domain
            base = route.path.rstrip("/")
            path = base + health.path if health.path != "/" or not base else base + "/"
            port = self.nginx.https_port if health.scheme == "https" else self.nginx.http_port
            out.append({"route": route.url, "host": fqdn, "path": path,
                        "scheme": health.scheme, "port": port,
                        "expect_status": health.expect_status,
                        "expect_body": health.expect_body or ""})
        return out

    @contextlib.contextmanager
    def probing(self, rate: float | None = None) -> Iterator[Probing]:
        """Steady traffic at every live route for the duration of the block, with
        ``lead_seconds`` before and ``tail_seconds`` after it."""
        if not self.profile.live_routes:
            raise LiveError(f"profile {self.profile.name} has no live route to send traffic to")
        live_dir = self.root / "live"
        result = Probing()
        config = {"epoch": self.epoch, "rate": rate or self.settings.rate,
                  "targets": self.targets(), "cafile": str(self.ca),
                  "timeout": self.settings.request_timeout, "max_seconds": 1800,
                  "out": str(live_dir / "requests.jsonl"), "ready": str(live_dir / "prober.ready")}
        log = open(live_dir / "prober.log", "wb")  # noqa: SIM115
        try:
            self._prober = subprocess.Popen(
                [sys.executable, "-I", "-S", str(PROBER), json.dumps(config)],
                stdin=subprocess.PIPE, stdout=log, stderr=log, start_new_session=True)
        finally:
            log.close()
        try:
            deadline = time.monotonic() + 10
            while not Path(config["ready"]).exists():
                if self._prober.poll() is not None or time.monotonic() > deadline:
                    raise LiveError("the load prober did not start: "
                                    + (live_dir / "prober.log").read_text(errors="replace"))
                time.sleep(0.01)
            result.started = self.now()
            time.sleep(self.settings.lead_seconds)
            yield result
            time.sleep(self.settings.tail_seconds)
        finally:
            result.ended = self.now()
            self._stop_prober()
        result.records = [json.loads(line) for line in
                          Path(config["out"]).read_text(encoding="utf-8").splitlines()]

    def _stop_prober(self) -> None:
        prober, self._prober = self._prober, None
        if prober is None:
            return
        with contextlib.suppress(OSError, ValueError):
            assert prober.stdin is not None
            prober.stdin.write(b"stop\n")
            prober.stdin.close()
        try:
            prober.wait(self.settings.request_timeout + 10)
        except subprocess.TimeoutExpired:
            prober.kill()
            prober.wait()

    # -- looking at the world ------------------------------------------------------------------
    def app_guid(self, name: str) -> str:
        assert self.sandbox is not None
        app = self.sandbox.foundation.app(name)
        if app is None:
            raise LiveError(f"no app {name}")
        return str(app["guid"])

    def processes(self, name: str) -> list[int]:
        """PIDs of the app's instance processes that exist right now."""
        assert self.supervisor is not None
        app = self.sandbox.foundation.app(name) if self.sandbox else None
        if app is None:
            return []
        with self._lock:
            self.supervisor.poll()
            return [i.process.pid for i in self.supervisor.alive(app["guid"])]

    def instance_versions(self, name: str) -> list[str]:
        """Ask every listening instance of the app directly (not through the router)
        which version it runs; an instance that does not answer gives ''."""
        assert self.supervisor is not None
        guid = self.app_guid(name)
        with self._lock:
            ports = [i.port for i in self.supervisor.alive(guid) if i.port is not None]
        return [_ask_version(port) for port in ports]

    def when(self, predicate: Callable[[dict], bool], action: Callable[[], None]) -> None:
        """Run ``action`` once, in the controller, on the first state for which
        ``predicate`` holds (checked after every change, before the router follows):
        how tests inject a fault at a precise point of a script's progress."""
        def watcher(st: dict) -> bool:
            if predicate(st):
                action()
                return True
            return False

        with self._lock:
            self._watchers.append(watcher)

    def degrade(self, name: str, indexes: tuple[int, ...] | None = None,
                how: str = "fail") -> int:
        """Make the app's running instances fail from now on (see Supervisor.degrade)."""
        assert self.supervisor is not None
        with self._lock:
            return self.supervisor.degrade(self.app_guid(name), indexes, how)

    def calls(self) -> list[dict]:
        assert self.sandbox is not None
        return self.sandbox.foundation.calls()

    def reloads(self) -> list[dict]:
        """Router reloads: wall time (as foundation clock) and the routes it held."""
        assert self.nginx is not None
        return [{"time": r["time"] - self.epoch, "complete": r["complete"] - self.epoch,
                 "generation": r["generation"],
                 "routes": {f"{v.fqdn}{v.path}": len(v.backends) for v in r["view"]}}
                for r in self.nginx.reloads]


def _ask_version(port: int, attempts: int = 3) -> str:
    """The ``X-App-Version`` an instance answers with, asked directly ('' when it does
    not answer). A few attempts with a generous timeout: this is the tests' own
    measurement, and on a busy machine an instance may take seconds to answer."""
    for _ in range(attempts):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.request("GET", "/", headers={"Host": "instance"})
            response = conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            continue
        finally:
            conn.close()
        version = response.getheader("X-App-Version")
        if version is not None:
            return version.strip()
    return ""
