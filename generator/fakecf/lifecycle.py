"""App lifecycle on the simulated foundation: stage, start, stop, delete, map, unmap.

Commands and the v3 API both go through these helpers so that invariant (c) (an app
is never stopped while it may still receive traffic) is checked on every path that
takes instances away, and every change is logged where `cf logs --recent` finds it.
"""

from __future__ import annotations

import json
import os

from . import invariants
from . import state as S
from .core import CfError, Ctx

LOG_KEEP = 60


def log(ctx: Ctx, app: dict, source: str, text: str, stream: str = "OUT") -> None:
    app.setdefault("log", []).append([ctx.now, source, stream, text])
    del app["log"][:-LOG_KEEP]


def new_app(ctx: Ctx, name: str, lifecycle: str = "buildpack") -> dict:
    app = {
        "guid": S.new_guid(ctx.st, "app"), "name": name, "space_guid": ctx.space["guid"],
        "state": "STOPPED", "instances": 1, "memory_mb": 1024, "disk_mb": 1024,
        "created_at": ctx.now, "updated_at": ctx.now, "started_at": None,
        "start_failed": None, "lifecycle": lifecycle, "docker_image": None,
        "buildpacks": [], "stack": "cflinuxfs4", "package": None, "droplet": None,
        "labels": {}, "annotations": {}, "env": {}, "push": {}, "log": [],
    }
    ctx.st["apps"].append(app)
    log(ctx, app, "API/0", f"Created app with guid {app['guid']}")
    ctx.changed = True
    return app


def load_behaviour(ctx: Ctx, directory: str) -> dict:
    """``DIR/.fakecf-app.json`` (missing: a healthy app answering ``200 ok``)."""
    beh = dict(S.DEFAULT_BEHAVIOUR)
    path = os.path.join(directory, ".fakecf-app.json")
    if not os.path.isfile(path):
        return beh
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise CfError(f"fakecf: cannot read app behaviour {path}: {e}") from e
    if not isinstance(data, dict):
        raise CfError(f"fakecf: {path} must hold a JSON object")
    unknown = set(data) - set(S.DEFAULT_BEHAVIOUR)
    if unknown:
        raise CfError(f"fakecf: {path}: unknown keys {sorted(unknown)}")
    if data.get("start", "ok") not in ("ok", "fail", "timeout"):
        raise CfError(f"fakecf: {path}: start must be ok, fail or timeout")
    beh.update(data)
    return beh


def upload_package(ctx: Ctx, app: dict, behaviour: dict) -> None:
    app["package"] = {"guid": S.new_guid(ctx.st, "package"), "behaviour": behaviour,
                      "uploaded_at": ctx.now, "staged": False}
    app["updated_at"] = ctx.now
    log(ctx, app, "API/0", f"Uploaded package {app['package']['guid']}")
    ctx.changed = True


def stage(ctx: Ctx, app: dict) -> None:
    """The newest package becomes the current droplet (staging never fails here)."""
    pkg = app["package"]
    if pkg is None:
        return
    app["droplet"] = dict(pkg["behaviour"])
    app["droplet"]["guid"] = S.new_guid(ctx.st, "droplet")
    app["droplet"]["staged_at"] = ctx.now
    pkg["staged"] = True
    log(ctx, app, "STG/0", "Staging complete")
    ctx.changed = True


def has_unstaged_package(app: dict) -> bool:
    return bool(app["package"]) and not app["package"]["staged"]


def stop(ctx: Ctx, app: dict, how: str = "stopped") -> None:
    if app["state"] == "STARTED":
        invariants.check_stop(ctx.st, app, how, ctx.cause())
    app["state"] = "STOPPED"
    app["started_at"] = None
    app["start_failed"] = None
    app["updated_at"] = ctx.now
    log(ctx, app, "API/0", f"Updated app with guid {app['guid']} ({{\"state\"=>\"STOPPED\"}})")
    ctx.changed = True


def start(ctx: Ctx, app: dict) -> None:
    """Request STARTED and run the droplet; raise the CLI's error when it does not come up.

    Like Cloud Controller, a failed start leaves the requested state STARTED with no
    running instance (``cf app`` shows ``0/N`` and crashed/starting rows); the script
    is expected to stop the app itself.
    """
    if app["droplet"] is None:
        raise CfError("Assign a droplet before starting this app.")
    app["state"] = "STARTED"
    app["started_at"] = ctx.now
    app["updated_at"] = ctx.now
    app["start_failed"] = None
    ctx.changed = True
    log(ctx, app, "API/0", f"Updated app with guid {app['guid']} ({{\"state\"=>\"STARTED\"}})")
    outcome = app["droplet"].get("start", "ok")
    if outcome == "fail":
        app["start_failed"] = "fail"
        log(ctx, app, "APP/PROC/WEB/0", "Exit status 1", "ERR")
        log(ctx, app, "CELL/0", "Process has crashed with type: \"web\"")
        raise CfError(f"Start unsuccessful\n\nTIP: use 'cf logs {app['name']} --recent' for "
                      "more information")
    if outcome == "timeout":
        app["start_failed"] = "timeout"
        log(ctx, app, "HEALTH/0", "Failed to make TCP connection to port 8080: connection "
                                  "refused", "ERR")
        raise CfError("Start app timeout\n\nTIP: Application must be listening on the right "
                      "port. Instead of hard coding the port, use the $PORT environment "
                      f"variable.\n\nUse 'cf logs {app['name']} --recent' for more information")
    version = app["droplet"].get("version") or ""
    log(ctx, app, "APP/PROC/WEB/0", f"Listening on port 8080 {version}".rstrip())
    log(ctx, app, "CELL/0", "Container became healthy")


def delete(ctx: Ctx, app: dict) -> None:
    if app["state"] == "STARTED":
        invariants.check_stop(ctx.st, app, "deleted", ctx.cause())
    for d in S.live_destinations(ctx.st):
        if d["app_guid"] == app["guid"]:
            d["unmapped_at"] = ctx.now
    for svc in ctx.st["services"]:
        if app["guid"] in svc["bindings"]:
            svc["bindings"].remove(app["guid"])
    ctx.st["apps"].remove(app)
    ctx.changed = True


def create_route(ctx: Ctx, domain: dict, host: str, path: str) -> dict:
    route = {"guid": S.new_guid(ctx.st, "route"), "host": host.lower(),
             "domain_guid": domain["guid"], "path": path, "space_guid": ctx.space["guid"],
             "created_at": ctx.now, "deleted": False}
    ctx.st["routes"].append(route)
    ctx.changed = True
    return route


def find_route(ctx: Ctx, domain: dict, host: str, path: str) -> dict | None:
    host = host.lower()
    return next((r for r in ctx.st["routes"] if not r["deleted"]
                 and r["domain_guid"] == domain["guid"] and r["host"] == host
                 and r["path"] == path), None)


def destination(ctx: Ctx, route: dict, app: dict) -> dict | None:
    return next((d for d in S.live_destinations(ctx.st, route["guid"])
                 if d["app_guid"] == app["guid"]), None)


def map_route(ctx: Ctx, route: dict, app: dict) -> None:
    ctx.st["destinations"].append({"guid": S.new_guid(ctx.st, "dest"),
                                   "route_guid": route["guid"], "app_guid": app["guid"],
                                   "mapped_at": ctx.now, "unmapped_at": None})
    ctx.changed = True


def unmap(ctx: Ctx, dest: dict) -> None:
    dest["unmapped_at"] = ctx.now
    ctx.changed = True


def delete_route(ctx: Ctx, route: dict) -> None:
    for d in S.live_destinations(ctx.st, route["guid"]):
        d["unmapped_at"] = ctx.now
    route["deleted"] = True
    ctx.changed = True
