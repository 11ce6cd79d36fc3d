"""The simulated Cloud Foundry foundation that tests and `rehearse` run scripts against.

:func:`install` puts stub ``cf``, ``curl`` and ``sleep`` executables in a directory;
with the returned environment on a subprocess, the emitted scripts talk to a
:class:`Foundation` (one JSON state file) instead of a real foundation. The stubs
accept exactly the real cf CLI grammar of the chosen major version and mirror its
edge cases and output layout; `sleep` advances a simulated clock; router lag, faults
and the design's invariants are modelled here (see the module docstrings).

Every :class:`Foundation` mutator is its own locked load-modify-save transaction, and
every query reads the file afresh, so a test can interleave seeding, script runs and
assertions without calling :meth:`Foundation.save` itself.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Iterable
from pathlib import Path

from . import invariants
from . import state as S

__all__ = ["Foundation", "StubServer", "install"]

_ENTRY = Path(__file__).resolve().with_name("_entry.py")
_SERVER = Path(__file__).resolve().with_name("server.py")


def install(bin_dir: Path, state_path: Path) -> dict[str, str]:
    """Write ``cf``, ``curl`` and ``sleep`` wrappers into ``bin_dir``; return the env
    additions (``PATH`` with ``bin_dir`` first, ``FAKECF_STATE``) for a subprocess."""
    bin_dir = Path(bin_dir).resolve()
    bin_dir.mkdir(parents=True, exist_ok=True)
    python = shlex.quote(os.path.abspath(sys.executable))
    entry = shlex.quote(str(_ENTRY))
    for tool in ("cf", "curl", "sleep"):
        wrapper = bin_dir / tool
        wrapper.write_text(f'#!/bin/sh\nexec {python} -I -S {entry} {tool} "$@"\n')
        wrapper.chmod(0o755)
    rest = os.environ.get("PATH", "")
    return {"PATH": f"{bin_dir}{os.pathsep}{rest}" if rest else str(bin_dir),
            "FAKECF_STATE": str(Path(state_path).resolve())}


class StubServer:
    """A resident stub server (``server.py``) and the bash clients that reach it.

    Same behaviour as :func:`install`'s per-call stubs, several times faster,
    which is what makes an exhaustive fault matrix affordable. Stop it with
    :meth:`close` (also on garbage collection and interpreter exit).
    """

    def __init__(self, bin_dir: Path, state_path: Path, timeout: float = 10,
                 tools: tuple[str, ...] = ("cf", "curl", "sleep")) -> None:
        import subprocess
        import time
        import weakref

        from .server import write_clients

        bin_dir = Path(bin_dir).resolve()
        bin_dir.mkdir(parents=True, exist_ok=True)
        port_file = bin_dir / ".port"
        self.process = subprocess.Popen(
            [os.path.abspath(sys.executable), "-I", "-S", str(_SERVER),
             str(Path(state_path).resolve()), str(port_file)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
        )
        self._finalizer = weakref.finalize(self, _stop, self.process)
        deadline = time.monotonic() + timeout
        while not port_file.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError("the fakecf stub server did not start")
            time.sleep(0.005)
        write_clients(str(bin_dir), int(port_file.read_text()), tools)
        rest = os.environ.get("PATH", "")
        self.env = {"PATH": f"{bin_dir}{os.pathsep}{rest}" if rest else str(bin_dir),
                    "FAKECF_STATE": str(Path(state_path).resolve())}

    def close(self) -> None:
        self._finalizer()


def _stop(process: object) -> None:
    import subprocess

    assert isinstance(process, subprocess.Popen)
    if process.poll() is None:
        process.kill()
        process.wait()
    if process.stdin is not None:
        process.stdin.close()


class Foundation:
    """A handle on one state file (see ``state.new_state`` for its layout)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    # -- creation / raw access ----------------------------------------------------------
    @classmethod
    def create(
        cls,
        path: Path,
        cf_major: int = 8,
        api: str = "https://api.example.com",
        org: str = "demo-org",
        space: str = "production",
        user: str = "ci-user",
        domains: Iterable[str] = ("example.com",),
        logged_in: bool = True,
        router_lag_seconds: float = 0,
        shared_domains: Iterable[str] = (),
    ) -> Foundation:
        """A fresh foundation: one org with one space, targeted and logged in.

        ``domains`` belong to the org (private domains: apex routes allowed);
        ``shared_domains`` are shared (a route on them needs a host, as CC requires).
        The first domain is the default one (push's default route ``<app>.<domain>``).
        """
        st = S.new_state(cf_major=cf_major, api=api, org=org, space=space, user=user,
                         domains=list(domains), logged_in=logged_in,
                         router_lag_seconds=router_lag_seconds)
        for d in shared_domains:
            st["domains"].append({"name": d.lower(), "guid": S.new_guid(st, "domain"),
                                  "shared": True})
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        S.save(str(path), st)
        return cls(path)

    def load(self) -> dict:
        """The whole state, read now (a copy: changing it changes nothing on disk)."""
        return S.load(str(self.path))

    def save(self, state: dict) -> None:
        """Replace the whole state (under the lock)."""
        with S.Locked(str(self.path)) as lk:
            lk.state.clear()
            lk.state.update(state)
            lk.commit()

    def _tx(self) -> S.Locked:
        return S.Locked(str(self.path))

    def configure(self, **values: object) -> None:
        """Set top-level settings: ``router_lag_seconds``, ``logged_in``, ``api``,
        ``cli_version``, ``cf_major``, ``user``, ``clock``, ``live`` (real-clock mode,
        see ``state.refresh_clock`` and ``realtime``)."""
        allowed = {"router_lag_seconds", "logged_in", "api", "cli_version", "cf_major", "user",
                   "clock", "live"}
        bad = set(values) - allowed
        if bad:
            raise ValueError(f"unknown settings: {sorted(bad)}")
        with self._tx() as lk:
            lk.state.update(values)
            if "cf_major" in values and "cli_version" not in values:
                lk.state["cli_version"] = S.CLI_VERSIONS[int(str(values["cf_major"]))]
            lk.commit()

    def untarget(self, space_only: bool = False) -> None:
        """Clear the targeted space (and org), as after a failed `cf target`."""
        with self._tx() as lk:
            lk.state["target"]["space"] = None
            if not space_only:
                lk.state["target"]["org"] = None
            lk.commit()

    # -- seeding -------------------------------------------------------------------------
    def add_app(
        self,
        name: str,
        state: str = "STARTED",
        instances: int = 1,
        behaviour: dict | None = None,
        labels: dict[str, str] | None = None,
        annotations: dict[str, str] | None = None,
    ) -> str:
        """An app deployed earlier: staged droplet from ``behaviour`` (keys of
        ``.fakecf-app.json``), running and ready now when ``state`` is STARTED. Returns
        its GUID."""
        if state not in ("STARTED", "STOPPED"):
            raise ValueError("state must be STARTED or STOPPED")
        beh = dict(S.DEFAULT_BEHAVIOUR)
        beh.update(behaviour or {})
        with self._tx() as lk:
            st = lk.state
            space = S.targeted_space(st) or st["orgs"][0]["spaces"][0]
            if S.app_by_name(st, name, space["guid"]) is not None:
                raise ValueError(f"app {name} exists already")
            now = st["clock"]
            guid = S.new_guid(st, "app")
            droplet = dict(beh, guid=S.new_guid(st, "droplet"), staged_at=now)
            failed = None if state == "STOPPED" or beh["start"] == "ok" else beh["start"]
            st["apps"].append({
                "guid": guid, "name": name, "space_guid": space["guid"], "state": state,
                "instances": instances, "memory_mb": 1024, "disk_mb": 1024, "created_at": now,
                "updated_at": now,
                "started_at": now - float(beh["slow_start_seconds"]) if state == "STARTED"
                else None,
                "start_failed": failed, "lifecycle": "buildpack", "docker_image": None,
                "buildpacks": [], "stack": "cflinuxfs4",
                "package": {"guid": S.new_guid(st, "package"), "behaviour": beh,
                            "uploaded_at": now, "staged": True},
                "droplet": droplet, "labels": dict(labels or {}),
                "annotations": dict(annotations or {}), "env": {}, "push": {}, "log": [],
            })
            _arm(st)
            lk.commit()
        return guid

    def add_route(self, host: str, domain: str, path: str = "") -> str:
        """A route in the targeted space (no app mapped). Returns its GUID."""
        with self._tx() as lk:
            guid = _ensure_route(lk.state, host, domain, path)["guid"]
            lk.commit()
        return guid

    def map_route(self, app: str, host: str, domain: str, path: str = "") -> None:
        """Map ``app`` to the route (created if needed), effective at once (as if the
        mapping were old enough for every router to know it)."""
        with self._tx() as lk:
            st = lk.state
            a = _app(st, app)
            route = _ensure_route(st, host, domain, path)
            if not any(d["app_guid"] == a["guid"] for d in S.live_destinations(st,
                                                                                route["guid"])):
                st["destinations"].append({
                    "guid": S.new_guid(st, "dest"), "route_guid": route["guid"],
                    "app_guid": a["guid"],
                    "mapped_at": st["clock"] - st["router_lag_seconds"], "unmapped_at": None})
            _arm(st)
            lk.commit()

    def add_service(self, name: str, offering: str = "user-provided", plan: str = "") -> str:
        """A service instance in the targeted space. Returns its GUID."""
        with self._tx() as lk:
            st = lk.state
            space = S.targeted_space(st) or st["orgs"][0]["spaces"][0]
            guid = S.new_guid(st, "service")
            st["services"].append({"guid": guid, "name": name, "offering": offering,
                                   "plan": plan, "space_guid": space["guid"], "bindings": []})
            lk.commit()
        return guid

    def bind(self, app: str, service: str) -> None:
        with self._tx() as lk:
            st = lk.state
            a = _app(st, app)
            svc = next((s for s in st["services"] if s["name"] == service), None)
            if svc is None:
                raise ValueError(f"no service instance {service}")
            if a["guid"] not in svc["bindings"]:
                svc["bindings"].append(a["guid"])
            lk.commit()

    def watch_live_routes(self, urls: Iterable[str]) -> None:
        """Routes the invariants protect (``host.domain[/path]``, scheme optional). A
        route already served now is armed at once; otherwise (first deploy) it is armed
        the first time it is served."""
        with self._tx() as lk:
            st = lk.state
            for u in urls:
                n = invariants.normalise_url(u)
                if n not in st["watched"]:
                    st["watched"].append(n)
            _arm(st)
            lk.commit()

    def set_fault(
        self,
        *,
        fail_call: int | None = None,
        fail_match: str | None = None,
        hang_call: int | None = None,
        hang_match: str | None = None,
        hang_seconds: float = 120,
        signal: str | None = None,
        signal_call: int | None = None,
        signal_match: str | None = None,
        signal_after: bool = False,
        message: str | None = None,
    ) -> None:
        """Inject faults; each fires once. ``*_call`` counts every cf invocation
        (1-based, including earlier ones); ``*_match`` is a regex searched in the
        space-joined argv (with or without a leading ``cf``). ``signal`` is INT or TERM,
        sent to ``$FAKECF_TARGET_PID`` (else the parent process): before the call does
        anything, or with ``signal_after`` once its change is saved in the foundation
        but before the caller has seen its result (the call took effect; the caller
        cannot know it)."""
        faults = []
        if fail_call is not None or fail_match is not None:
            faults.append({"kind": "fail", "call": fail_call, "match": fail_match,
                           "message": message})
        if hang_call is not None or hang_match is not None:
            faults.append({"kind": "hang", "call": hang_call, "match": hang_match,
                           "seconds": min(float(hang_seconds), 120.0)})
        if signal_call is not None or signal_match is not None or signal is not None:
            sig = (signal or "INT").upper().removeprefix("SIG")
            if sig not in ("INT", "TERM"):
                raise ValueError("signal must be INT or TERM")
            if signal_call is None and signal_match is None:
                raise ValueError("signal needs signal_call or signal_match")
            faults.append({"kind": "signal", "call": signal_call, "match": signal_match,
                           "signal": sig, "after": bool(signal_after)})
        if not faults:
            raise ValueError("no fault given")
        with self._tx() as lk:
            for f in faults:
                f["fired"] = False
                lk.state["faults"].append(f)
            lk.commit()

    # -- queries ---------------------------------------------------------------------------
    def apps(self) -> list[dict]:
        """Each app: name, guid, state, instances, running (instances serving requests),
        routes (CC mappings now), labels, annotations, behaviour (current droplet),
        start_failed, env."""
        st = self.load()
        out = []
        for a in st["apps"]:
            out.append({
                "name": a["name"], "guid": a["guid"], "state": a["state"],
                "instances": a["instances"],
                "running": a["instances"] if S.app_running(a) else 0,
                "routes": [S.route_url(st, r) for r in S.app_routes(st, a["guid"])],
                "labels": dict(a["labels"]), "annotations": dict(a["annotations"]),
                "behaviour": {k: v for k, v in (a.get("droplet") or {}).items()
                              if k in S.DEFAULT_BEHAVIOUR},
                "start_failed": a.get("start_failed"), "env": dict(a["env"]),
            })
        return out

    def app(self, name: str) -> dict | None:
        return next((a for a in self.apps() if a["name"] == name), None)

    def route_table(self, at: float | None = None) -> dict[str, list[str]]:
        """Route URL -> apps whose mapping the routers hold at ``at`` (default: now),
        router lag applied; whether they answer is :meth:`served`."""
        return S.route_table(self.load(), at)

    def served(self, url: str, at: float | None = None) -> bool:
        """Does every router send ``url`` to a started, healthy app at ``at`` (default now)?"""
        st = self.load()
        return invariants.served(st, invariants.normalise_url(url),
                                 st["clock"] if at is None else at)

    def calls(self) -> list[dict]:
        """Every cf invocation: index, argv, status (exit), time (simulated), mutating,
        fault, and for mutating calls ``routes``/``served`` of the watched routes."""
        return self.load()["calls"]

    def events(self) -> list[dict]:
        """curl requests and sleeps, in order (``seq`` orders them with ``calls()``)."""
        return self.load()["events"]

    def violations(self) -> list[dict]:
        """Invariant violations: kind (unserved | unhealthy | stopped-while-routed),
        route, app, call index and argv that caused it, time, at, message."""
        return self.load()["violations"]

    def clock(self) -> float:
        return float(self.load()["clock"])


def _app(st: dict, name: str) -> dict:
    a = next((x for x in st["apps"] if x["name"] == name), None)
    if a is None:
        raise ValueError(f"no app {name}")
    return a


def _ensure_route(st: dict, host: str, domain: str, path: str) -> dict:
    dom = S.domain_by_name(st, domain)
    if dom is None:
        raise ValueError(f"unknown domain {domain}")
    if path and not path.startswith("/"):
        path = "/" + path
    host = host.lower()
    route = next((r for r in st["routes"] if not r["deleted"] and r["domain_guid"] == dom["guid"]
                  and r["host"] == host and r["path"] == path), None)
    if route is None:
        space = S.targeted_space(st) or st["orgs"][0]["spaces"][0]
        route = {"guid": S.new_guid(st, "route"), "host": host, "domain_guid": dom["guid"],
                 "path": path, "space_guid": space["guid"], "created_at": st["clock"],
                 "deleted": False}
        st["routes"].append(route)
    return route


def _arm(st: dict) -> None:
    touched = st.setdefault("touched", [])
    for url in st["watched"]:
        if url not in st["armed"] and invariants.served(st, url, st["clock"]):
            st["armed"].append(url)
        if url not in touched and invariants.possibly_served(st, url, st["clock"]):
            touched.append(url)
