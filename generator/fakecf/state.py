"""The simulated foundation's state: one JSON file shared by every stub process.

Each `cf`, `curl` and `sleep` call is its own short-lived process, and two deploy
scripts may run at once (lock tests), so every read-modify-write happens under an
exclusive ``flock`` on ``<state>.lock`` and the file is replaced atomically: a
killed stub can never leave half a state behind.

The routing questions ("who answers for this route at simulated time T?") are pure
functions of the state dict and live here too, so the stub `curl`, the invariant
checker and the Python API all give the same answer.
"""

from __future__ import annotations

import fcntl
import json
import os
import time

FORMAT = "fakecf-state/1"

# Default CLI builds per major version (release tag, commit, build date of that release).
CLI_VERSIONS = {
    6: "6.53.0+8e2b70a.2020-09-30",
    7: "7.8.0+cb395bf.2024-12-02",
    8: "8.18.4+5883401.2025-10-02",
}
CC_API_VERSION = "3.195.0"
# Simulated clock 0 == this instant (UTC); only used to print timestamps.
EPOCH = 1741082400  # 2025-03-04T10:00:00Z
DEFAULT_BEHAVIOUR = {
    "version": "",
    "healthy": True,
    "status": 200,
    "body": "ok",
    "start": "ok",
    "slow_start_seconds": 0,
    # 0: never. Else the app starts answering 500 that many simulated seconds
    # after it started: a build that passes its checks, then degrades in service.
    "fails_after_seconds": 0,
}

_GUID_KIND = {"app": 0xA, "route": 0xB, "dest": 0xC, "domain": 0xD, "service": 0xE,
              "org": 0x1, "space": 0x2, "package": 0x3, "droplet": 0x4, "binding": 0x5}


class Locked:
    """Context manager: exclusive lock on ``<state>.lock``, state loaded on enter.

    ``commit()`` marks the state to be written back on exit; an exception inside the
    block leaves the file untouched.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.fd = -1
        self.state: dict = {}
        self._commit = False

    def __enter__(self) -> Locked:
        self.fd = os.open(self.path + ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        self.state = load(self.path)
        return self

    def commit(self) -> None:
        self._commit = True

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        try:
            if self._commit and exc_type is None:
                save(self.path, self.state)
        finally:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)


def load(path: str) -> dict:
    with open(path, encoding="utf-8") as f:
        st = json.load(f)
    refresh_clock(st)
    return st


def refresh_clock(st: dict) -> None:
    """The one place the clock is read. Simulated (default): ``st["clock"]``, moved
    only by the stub `sleep`. Live mode (``st["live"]``, set by ``generator.live``):
    real seconds since ``st["live"]["epoch"]`` (wall clock), so that the real `sleep`
    and `date` the scripts run there, the real router's lag and the recorded call
    times share one time axis. Every state load passes here, so no command needs
    to know which mode it runs in."""
    live = st.get("live")
    if live:
        st["clock"] = round(time.time() - float(live["epoch"]), 4)


def save(path: str, state: dict) -> None:
    """Write atomically: a reader (or a killed writer) sees the old or the new file."""
    tmp = f"{path}.tmp.{os.getpid()}"
    # json.dumps without indent runs the C encoder (json.dump never does): ~10x faster.
    text = json.dumps(state, separators=(",", ":"), ensure_ascii=False)
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    os.replace(tmp, path)


def new_guid(state: dict, kind: str) -> str:
    """Deterministic GUIDs (a counter), so rehearsals print the same thing every run."""
    n = state["next_id"]
    state["next_id"] = n + 1
    return f"{_GUID_KIND[kind]:08x}-0000-4000-8000-{n:012x}"


def new_state(
    *,
    cf_major: int = 8,
    api: str = "https://api.example.com",
    org: str = "demo-org",
    space: str = "production",
    user: str = "ci-user",
    domains: tuple[str, ...] | list[str] = ("example.com",),
    logged_in: bool = True,
    router_lag_seconds: float = 0,
) -> dict:
    """A fresh foundation: one org with one space, targeted, logged in."""
    if cf_major not in CLI_VERSIONS:
        raise ValueError(f"cf_major must be 6, 7 or 8, not {cf_major!r}")
    st: dict = {
        "format": FORMAT,
        "cf_major": cf_major,
        "cli_version": CLI_VERSIONS[cf_major],
        "api": api,
        "api_version": CC_API_VERSION,
        "logged_in": logged_in,
        "user": user,
        "next_id": 1,
        "clock": 0.0,
        "router_lag_seconds": float(router_lag_seconds),
        "orgs": [],
        "target": {"org": None, "space": None},
        "domains": [],
        "apps": [],
        "routes": [],
        "destinations": [],
        "services": [],
        "rr": {},
        "faults": [],
        "watched": [],
        "armed": [],
        "touched": [],
        "open_issues": [],
        "violations": [],
        "cf_calls": 0,
        "seq": 0,
        "calls": [],
        "events": [],
    }
    org_guid = new_guid(st, "org")
    space_guid = new_guid(st, "space")
    st["orgs"].append({"name": org, "guid": org_guid,
                       "spaces": [{"name": space, "guid": space_guid}]})
    st["target"] = {"org": org_guid, "space": space_guid}
    for d in domains:
        # Org-owned (private) domains: apex routes allowed. Foundation.create adds shared ones.
        st["domains"].append({"name": d.lower(), "guid": new_guid(st, "domain"), "shared": False})
    return st


# --- lookups -------------------------------------------------------------------


def targeted_org(st: dict) -> dict | None:
    guid = st["target"]["org"]
    return next((o for o in st["orgs"] if o["guid"] == guid), None) if guid else None


def targeted_space(st: dict) -> dict | None:
    org = targeted_org(st)
    guid = st["target"]["space"]
    if org is None or not guid:
        return None
    return next((s for s in org["spaces"] if s["guid"] == guid), None)


def app_by_name(st: dict, name: str, space_guid: str) -> dict | None:
    return next((a for a in st["apps"] if a["name"] == name and a["space_guid"] == space_guid),
                None)


def app_by_guid(st: dict, guid: str) -> dict | None:
    return next((a for a in st["apps"] if a["guid"] == guid), None)


def domain_by_name(st: dict, name: str) -> dict | None:
    name = name.lower()
    return next((d for d in st["domains"] if d["name"] == name), None)


def domain_by_guid(st: dict, guid: str) -> dict | None:
    return next((d for d in st["domains"] if d["guid"] == guid), None)


def route_fqdn(st: dict, route: dict) -> str:
    """The hostname a route answers for: ``host.domain`` (apex: ``domain``)."""
    dom = domain_by_guid(st, route["domain_guid"])
    dname = dom["name"] if dom else "?"
    return f"{route['host']}.{dname}" if route["host"] else dname


def route_url(st: dict, route: dict) -> str:
    """CC's ``url`` of a route: ``host.domain[/path]`` (apex: ``domain[/path]``)."""
    return route_fqdn(st, route) + route["path"]


def live_destinations(st: dict, route_guid: str | None = None) -> list[dict]:
    """Destinations Cloud Controller currently holds (not yet unmapped)."""
    return [d for d in st["destinations"] if d["unmapped_at"] is None
            and (route_guid is None or d["route_guid"] == route_guid)]


def app_routes(st: dict, app_guid: str) -> list[dict]:
    """The app's routes in CC order (order of first mapping), each once."""
    seen: list[str] = []
    for d in st["destinations"]:
        if d["unmapped_at"] is None and d["app_guid"] == app_guid and d["route_guid"] not in seen:
            seen.append(d["route_guid"])
    by_guid = {r["guid"]: r for r in st["routes"] if not r["deleted"]}
    return [by_guid[g] for g in seen if g in by_guid]


# --- time ----------------------------------------------------------------------


def iso(st: dict, t: float | None = None) -> str:
    """Simulated time as CC prints it (RFC 3339, UTC)."""
    secs = EPOCH + int(st["clock"] if t is None else t)
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(secs))


def next_seq(st: dict) -> int:
    st["seq"] += 1
    return st["seq"]


# --- routing (what the routers do, with lag) -------------------------------------


def dest_effective(d: dict, t: float, lag: float) -> bool:
    """What the simulated router (the stub curl) does: a mapping reaches it ``lag``
    seconds after map-route and leaves it ``lag`` seconds after unmap-route."""
    if d["mapped_at"] + lag > t:
        return False
    return d["unmapped_at"] is None or t < d["unmapped_at"] + lag


# A real foundation has many routers, each learning a change at its own moment
# within ``lag`` seconds, in any order (field note 1). The invariants therefore
# reason about two bounds rather than the one simulated router above:


def certainly_held(d: dict, t: float, lag: float) -> bool:
    """Every router holds the mapping at ``t``: it was made at least ``lag`` seconds
    ago, and it has not been unmapped (some router may have dropped it at once)."""
    if d["mapped_at"] + lag > t:
        return False
    return d["unmapped_at"] is None or t < d["unmapped_at"]


def possibly_held(d: dict, t: float, lag: float) -> bool:
    """Some router may hold the mapping at ``t``: it exists (a router may have learned
    it at once), or it was unmapped less than ``lag`` seconds ago."""
    if d["mapped_at"] > t:
        return False
    return d["unmapped_at"] is None or t < d["unmapped_at"] + lag


def effective_app_guids(st: dict, route_guid: str, t: float) -> list[str]:
    lag = st["router_lag_seconds"]
    out: list[str] = []
    for d in st["destinations"]:
        if d["route_guid"] == route_guid and dest_effective(d, t, lag) and d["app_guid"] not in out:
            out.append(d["app_guid"])
    return out


def app_running(app: dict) -> bool:
    """Has instances the routers can send requests to (healthy or not)."""
    return app["state"] == "STARTED" and not app.get("start_failed") and app["instances"] > 0


def ready_at(app: dict) -> float:
    beh = app.get("droplet") or {}
    return (app.get("started_at") or 0.0) + float(beh.get("slow_start_seconds") or 0)


def degraded(app: dict, t: float) -> bool:
    """Has the app's ``fails_after_seconds`` run out at ``t``?"""
    after = float((app.get("droplet") or {}).get("fails_after_seconds") or 0)
    return after > 0 and t >= (app.get("started_at") or 0.0) + after


def app_serving(app: dict, t: float) -> bool:
    """Running, healthy and past its slow start: a request answered as the app intends."""
    beh = app.get("droplet") or {}
    return (app_running(app) and bool(beh.get("healthy", True)) and t >= ready_at(app)
            and not degraded(app, t))


def app_answer(app: dict, t: float) -> tuple[int, str]:
    """What one instance of ``app`` answers at time ``t`` (status, body)."""
    beh = app.get("droplet") or DEFAULT_BEHAVIOUR
    if not beh.get("healthy", True) or degraded(app, t):
        return 500, "unhealthy"
    if t < ready_at(app):
        return 503, "503 Service Unavailable: app is starting"
    return int(beh.get("status", 200)), str(beh.get("body", "ok"))


def route_table(st: dict, t: float | None = None) -> dict[str, list[str]]:
    """Route URL -> names of the apps whose mapping the routers hold at ``t`` (default:
    now); stopped apps stay listed while mapped (they just have no instance to answer).

    Lists every existing route (possibly with no app) and a deleted route only while
    a lingering mapping still reaches the routers.
    """
    now = st["clock"] if t is None else t
    names = {a["guid"]: a["name"] for a in st["apps"]}
    table: dict[str, list[str]] = {}
    for r in st["routes"]:
        apps = [names[g] for g in effective_app_guids(st, r["guid"], now) if g in names]
        if r["deleted"] and not apps:
            continue
        row = table.setdefault(route_url(st, r), [])
        row.extend(a for a in apps if a not in row)
    return table
