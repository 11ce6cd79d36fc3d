"""Output layouts the scripts parse: `cf app` summary, `cf apps`, `cf routes`.

Layouts follow command/v7/shared/app_summary_displayer.go and util/ui (piped, not a
TTY: non-wrapping tables, columns padded to the widest cell + 3 spaces).
"""

from __future__ import annotations

import time

from . import state as S
from .core import Ctx, table


def friendly_date(st: dict, t: float) -> str:
    """ui.UserFriendlyDate: ``Tue 04 Mar 10:15:02 UTC 2025`` (UTC here)."""
    return time.strftime("%a %d %b %H:%M:%S UTC %Y", time.gmtime(S.EPOCH + int(t)))


def mem(mb: int) -> str:
    """bytefmt.ByteSize of a megabyte count (``1G``, ``512M``)."""
    if mb and mb % 1024 == 0:
        return f"{mb // 1024}G"
    return f"{mb}M"


def route_urls(st: dict, app: dict) -> str:
    return ", ".join(S.route_url(st, r) for r in S.app_routes(st, app["guid"]))


def running_count(app: dict) -> int:
    return app["instances"] if S.app_running(app) else 0


def instance_state(app: dict) -> str:
    if app["state"] != "STARTED":
        return "down"
    if app.get("start_failed") == "fail":
        return "crashed"
    if app.get("start_failed") == "timeout":
        return "starting"
    return "running"


def _buildpack_rows(app: dict) -> list[list[str]]:
    rows = []
    for bp in app["buildpacks"] or ["ruby_buildpack"]:
        rows.append([bp, "1.8.0", bp.replace("_buildpack", ""), bp])
    return rows


def app_summary(ctx: Ctx, app: dict) -> list[str]:
    """The `cf app NAME` body after the header line (v6 / v7 / v8 variants)."""
    st = ctx.st
    major, minor, patch = ctx.minor()
    droplet = app.get("droplet")
    docker = app["lifecycle"] == "docker"
    kv = [
        ["name:", app["name"]],
        ["requested state:", app["state"].lower()],
        ["routes:", route_urls(st, app)],
        ["last uploaded:", friendly_date(st, droplet["staged_at"]) if droplet else ""],
        ["stack:", "" if docker or not droplet else app["stack"]],
    ]
    bp_table = (major, minor) >= (7, 1)
    if docker:
        kv.append(["docker image:", app["docker_image"] or ""])
    elif bp_table:
        kv.append(["buildpacks:", ""])
    else:
        kv.append(["buildpacks:", ", ".join(app["buildpacks"] or ["ruby_buildpack"])
                   if droplet else ""])
    lines = table(kv)
    if not docker and bp_table and droplet:
        lines += table([["name", "version", "detect output", "buildpack name"],
                        *_buildpack_rows(app)], prefix="\t")
    lines.append("")
    lines += table([["type:", "web"], ["sidecars:", ""],
                    ["instances:", f"{running_count(app)}/{app['instances']}"],
                    ["memory usage:", f"{app['memory_mb']}M"]])
    if app["instances"] == 0:
        lines.append("There are no running instances of this process.")
        return lines
    lines += table(_instance_rows(ctx, app))
    return lines


def _instance_rows(ctx: Ctx, app: dict) -> list[list[str]]:
    major, minor, patch = ctx.minor()
    ver = (major, minor, patch)
    logging = ver >= (8, 5, 0)
    entitlement = ver >= (8, 7, 11)
    ready = ver >= (8, 17, 0)
    head = ["", "state", "since", "cpu", "memory", "disk"]
    head += ["logging"] if logging else []
    head += ["cpu entitlement"] if entitlement else []
    head += ["details"]
    head += ["ready"] if ready else []
    rows = [head]
    state = instance_state(app)
    quota_m, quota_d = mem(app["memory_mb"]), mem(app["disk_mb"])
    since_t = app["started_at"] if state == "running" and app["started_at"] is not None \
        else ctx.now
    for i in range(app["instances"]):
        up = state == "running"
        row = [f"#{i}", state, S.iso(ctx.st, since_t), "0.2%" if up else "0.0%",
               f"{'64M' if up else '0'} of {quota_m}", f"{'128M' if up else '0'} of {quota_d}"]
        if logging:
            row.append(f"{'0B/s' if up else '0/s'} of 16K/s")
        if entitlement:
            row.append("")
        row.append("")
        if ready:
            row.append("true" if up else "false")
        rows.append(row)
    return rows
