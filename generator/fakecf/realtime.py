"""Live mode's one hook into the stub `cf`: commands that start instances return
once the instances listen, as Cloud Foundry's `cf start` and `cf push` do.

In live mode (``state["live"]``, see ``generator.live``) every started app instance
is a real HTTP server process, run by a supervisor outside the stub. The
supervisor watches the state file and writes an acknowledgement file
(``state["live"]["ack"]``) after each change it has carried out::

    {"apps": {"<app guid>": {"generation": <started_at>, "ready": <instances listening>}}}

After a changing command has been saved (so the supervisor can see it), the stub
waits here, without holding the state lock, until every app that should run has
as many listening instances of its current start as it asks for. The wait is
bounded by ``state["live"]["start_timeout"]``: past it the command fails like a
real start timeout, the app is recorded as not running (``start_failed``) and the
call's exit status becomes 1, so a dead or stuck supervisor can never hang a run.
"""

from __future__ import annotations

import json
import time

from . import state as S
from .core import Out

POLL_SECONDS = 0.01


def _wanted(st: dict) -> dict[str, tuple[float, int, str]]:
    """App guid -> (generation, instances, name) of every app that should be running."""
    return {a["guid"]: (a["started_at"], int(a["instances"]), a["name"])
            for a in st["apps"] if S.app_running(a) and a.get("droplet")}


def _read_ack(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return {}
    apps = data.get("apps") if isinstance(data, dict) else None
    return apps if isinstance(apps, dict) else {}


def _missing(wanted: dict[str, tuple[float, int, str]], acked: dict) -> list[str]:
    missing = []
    for guid, (generation, instances, _name) in wanted.items():
        ack = acked.get(guid) or {}
        if ack.get("generation") != generation or int(ack.get("ready") or 0) < instances:
            missing.append(guid)
    return missing


def await_instances(path: str, st: dict, entry: dict, out: Out) -> None:
    """Block until the supervisor reports the instances of ``st`` listening; on
    timeout turn the call into a failed start (see the module docstring)."""
    live = st["live"]
    wanted = _wanted(st)
    if not wanted:
        return
    deadline = time.monotonic() + float(live.get("start_timeout", 30))
    missing = _missing(wanted, _read_ack(live["ack"]))
    while missing and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        missing = _missing(wanted, _read_ack(live["ack"]))
    if not missing:
        return
    names = ", ".join(sorted(wanted[guid][2] for guid in missing))
    with S.Locked(path) as lk:
        for app in lk.state["apps"]:
            if app["guid"] in missing and app["started_at"] == wanted[app["guid"]][0]:
                app["start_failed"] = "timeout"
        for call in lk.state["calls"]:
            if call["index"] == entry["index"]:
                call["status"] = 1
        lk.commit()
    entry["status"] = 1
    out.e(f"Start app timeout\n\nfakecf live: the instances of {names} did not listen within "
          f"{float(live.get('start_timeout', 30)):g}s (is the live supervisor running?)")
    out.o("FAILED")
