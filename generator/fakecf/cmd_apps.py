"""App commands: app, apps, push, start, stop, restart, restage, delete, rename,
scale, create-app, env, set-env, unset-env, logs.

Messages and edge cases follow the cf CLI source (command/v7/*.go for v7/v8, the
legacy cf/commands for v6 where grammar marks the command legacy).
"""

from __future__ import annotations

import os
import re
import time

from . import display
from . import lifecycle as L
from . import state as S
from .core import CfError, Ctx, table


def cmd_app(ctx: Ctx) -> None:
    ctx.check_target()
    name = ctx.p.pos[0]
    if ctx.p.has("guid"):
        ctx.out.o(ctx.need_app(name)["guid"])
        return
    ctx.out.o(f"Showing health and status for app {name} in {ctx.where()}...")
    ctx.out.o()
    ctx.out.lines(display.app_summary(ctx, ctx.need_app(name)))


def cmd_apps(ctx: Ctx) -> None:
    ctx.check_target()
    apps = sorted((a for a in ctx.st["apps"] if a["space_guid"] == ctx.space["guid"]),
                  key=lambda a: a["name"].lower())
    ctx.out.o(f"Getting apps in {ctx.where()}...")
    if ctx.legacy:
        ctx.out.ok()
        if not apps:
            ctx.out.o("No apps found")
            return
        rows = [["name", "requested state", "instances", "memory", "disk", "urls"]]
        for a in apps:
            rows.append([a["name"], a["state"].lower(),
                         f"{display.running_count(a)}/{a['instances']}",
                         display.mem(a["memory_mb"]), display.mem(a["disk_mb"]),
                         display.route_urls(ctx.st, a)])
        ctx.out.lines(table(rows))
        return
    ctx.out.o()
    if not apps:
        ctx.out.o("No apps found")
        return
    no_stats = ctx.p.has("no-stats")
    head = ["name", "requested state"] + ([] if no_stats else ["processes"]) + ["routes"]
    rows = [head]
    for a in apps:
        procs = [] if no_stats else [f"web:{display.running_count(a)}/{a['instances']}"]
        rows.append([a["name"], a["state"].lower(), *procs, display.route_urls(ctx.st, a)])
    ctx.out.lines(table(rows))


# --- push --------------------------------------------------------------------------

_MANIFEST_NAME = r"(?m)^\s*-\s*name:\s*['\"]?([^'\"#\n]+?)['\"]?\s*$"


def _manifest_path(ctx: Ctx) -> str | None:
    given = ctx.p.get("manifest", "f")
    if isinstance(given, str):
        full = os.path.join(ctx.cwd, given)
        if os.path.isdir(full):
            for n in ("manifest.yml", "manifest.yaml"):
                if os.path.isfile(os.path.join(full, n)):
                    return os.path.join(full, n)
        return full
    if ctx.p.has("no-manifest"):
        return None
    for n in ("manifest.yml", "manifest.yaml"):
        if os.path.isfile(os.path.join(ctx.cwd, n)):
            return os.path.join(ctx.cwd, n)
    return None


def _manifest_app_names(path: str | None) -> list[str]:
    """Only the app names are read from a manifest (no YAML parser in the stdlib)."""
    if not path:
        return []
    try:
        with open(path, encoding="utf-8") as f:
            return [m.strip() for m in re.findall(_MANIFEST_NAME, f.read())]
    except OSError:
        return []


def _mb(value: str) -> int:
    m = re.match(r"^(\d+)\s*([MG])B?$", value.strip(), re.IGNORECASE)
    if not m:
        return 1024
    n = int(m.group(1))
    return n * 1024 if m.group(2).upper() == "G" else n


def _default_host(name: str) -> str:
    return re.sub(r"[^\w-]", "-", name.lower())


def _check_constraints(ctx: Ctx) -> None:
    """Cross-flag rules from the grammar (validated inside Execute, after login)."""
    for c in ctx.p.spec.get("constraints", []):
        if all(_cond(ctx, cond) for cond in c["when_all"]):
            msg = c["error"]
            if "<RESOURCE>" in msg and ctx.p.pos:
                msg = msg.replace("<RESOURCE>", ctx.p.pos[0])
            raise CfError(msg, usage=msg.startswith("Incorrect Usage"))


def _opt_value(ctx: Ctx, ref: str) -> object:
    if ref.startswith("#"):
        names = [s[0] for s in ctx.p.spec["pos"]]
        idx = names.index(ref[1:]) if ref[1:] in names else -1
        return ctx.p.pos[idx] if 0 <= idx < len(ctx.p.pos) else None
    return ctx.p.get(ref.lstrip("-"))


def _cond(ctx: Ctx, cond: dict) -> bool:
    if "present" in cond:
        return _opt_value(ctx, cond["present"]) is not None
    if "absent" in cond:
        return _opt_value(ctx, cond["absent"]) is None
    for key in ("value_in", "not_value_in", "any_value_in", "count_gt", "int_lt"):
        if key in cond:
            v = _opt_value(ctx, cond[key])
            break
    else:
        return False
    values = [str(x).lower() for x in cond.get("values", [])]
    if key == "value_in":
        return v is not None and str(v).lower() in values
    if key == "not_value_in":
        return v is None or str(v).lower() not in values
    if key == "any_value_in":
        return isinstance(v, list) and any(str(x).lower() in values for x in v)
    if key == "count_gt":
        return isinstance(v, list) and len(v) > cond["value"]
    return v is not None and re.match(r"^-?\d+$", str(v)) is not None \
        and int(str(v)) < cond["value"]


def cmd_push(ctx: Ctx) -> None:
    ctx.check_target()
    _check_constraints(ctx)
    p = ctx.p
    name = p.pos[0] if p.pos else None
    if name is None:
        names = _manifest_app_names(_manifest_path(ctx))
        if len(names) != 1:
            raise CfError("Incorrect Usage: The push command requires an app name. The app name "
                          "can be supplied as an argument or with a manifest.yml file.",
                          usage=True)
        name = names[0]
    path = p.get("path", "p")
    src = os.path.join(ctx.cwd, str(path)) if isinstance(path, str) else ctx.cwd
    behaviour = L.load_behaviour(ctx, src if os.path.isdir(src) else ctx.cwd)
    ctx.out.o(f"Pushing app {name} to {ctx.where()}...")
    ctx.out.o()
    app = ctx.app(name)
    docker = p.get("docker-image", "o")
    if app is None:
        app = L.new_app(ctx, name, "docker" if docker else "buildpack")
    _apply_push_options(ctx, app, docker)
    ctx.out.o("Packaging files to upload..." if not docker else "Staging docker image...")
    ctx.out.o("Uploading files...")
    ctx.out.o()
    ctx.out.o("Waiting for API to complete processing files...")
    ctx.out.o()
    L.upload_package(ctx, app, behaviour)
    _push_routes(ctx, app)
    if p.has("no-start"):
        if app["state"] == "STARTED":
            L.stop(ctx, app, "stopped by push --no-start")
    else:
        ctx.out.o("Staging app and tracing logs...")
        ctx.out.o("   Downloading app package...")
        ctx.out.o()
        L.stage(ctx, app)
        strategy = p.get("strategy")
        if app["state"] == "STARTED" and not strategy:
            L.stop(ctx, app, "restarted by push")
        ctx.out.o(f"Waiting for app {name} to start...")
        ctx.out.o()
        if app["state"] != "STARTED" or app.get("start_failed"):
            L.start(ctx, app)
        # else: rolling/canary deployment, the running instances keep serving
    ctx.out.lines(display.app_summary(ctx, app))


def _apply_push_options(ctx: Ctx, app: dict, docker: object) -> None:
    p = ctx.p
    instances = p.get("instances", "i")
    if isinstance(instances, str):
        app["instances"] = int(instances)
    memory = p.get("memory", "m")
    if isinstance(memory, str):
        app["memory_mb"] = _mb(memory)
    disk = p.get("disk", "k")
    if isinstance(disk, str):
        app["disk_mb"] = _mb(disk)
    stack = p.get("stack", "s")
    if isinstance(stack, str):
        app["stack"] = stack
    bps = p.get("buildpack", "b")
    if isinstance(bps, list):
        app["buildpacks"] = [b for b in bps if b not in ("default", "null")]
    if isinstance(docker, str):
        app["lifecycle"] = "docker"
        app["docker_image"] = docker
    recorded = {}
    for key in ("manifest", "f", "path", "p", "var", "vars-file", "docker-image", "o",
                "docker-username", "buildpack", "b", "stack", "s", "memory", "m", "disk", "k",
                "app-start-timeout", "t", "health-check-type", "u", "endpoint", "strategy",
                "start-command", "c", "instances", "i"):
        if key in p.opts:
            recorded[key] = p.opts[key]
    app["push"] = recorded


def _push_routes(ctx: Ctx, app: dict) -> None:
    p = ctx.p
    if p.has("no-route"):
        for d in S.live_destinations(ctx.st):
            if d["app_guid"] == app["guid"]:
                L.unmap(ctx, d)
        return
    domains = ctx.st["domains"]
    if not domains:
        return
    v6_route = ctx.major == 6 and p.has("hostname", "d", "route-path", "no-hostname")
    if v6_route:
        dname = p.get("d")
        domain = ctx.need_domain(dname) if isinstance(dname, str) else domains[0]
        host = "" if p.has("no-hostname") else str(p.get("hostname") or _default_host(app["name"]))
        path = str(p.get("route-path") or "")
    elif S.app_routes(ctx.st, app["guid"]):
        return
    else:
        domain = domains[0]
        host = _default_host(app["name"])
        if p.has("random-route"):
            host = f"{host}-{ctx.st['next_id']:04d}"
        path = ""
    route = L.find_route(ctx, domain, host, path) or L.create_route(ctx, domain, host, path)
    if L.destination(ctx, route, app) is None:
        ctx.out.o("Mapping routes...")
        L.map_route(ctx, route, app)


# --- start / stop / restart / restage ---------------------------------------------


def cmd_start(ctx: Ctx) -> None:
    ctx.check_target()
    name = ctx.p.pos[0]
    if ctx.major == 6:
        ctx.out.o(f"Starting app {name} in {ctx.where()}...")
        app = ctx.need_app(name)
        if app["state"] == "STARTED":
            ctx.out.o(f"App {name} is already started")
            return
    else:
        app = ctx.need_app(name)
        ctx.out.o(f"Starting app {name} in {ctx.where()}...")
        ctx.out.o()
        if app["state"] == "STARTED":
            ctx.out.o(f"App '{name}' is already started.")
            ctx.out.ok()
            return
    if L.has_unstaged_package(app):
        ctx.out.o("Staging app and tracing logs...")
        ctx.out.o()
        L.stage(ctx, app)
    ctx.out.o("Waiting for app to start...")
    ctx.out.o()
    L.start(ctx, app)
    ctx.out.lines(display.app_summary(ctx, app))


def cmd_stop(ctx: Ctx) -> None:
    ctx.check_target()
    name = ctx.p.pos[0]
    app = ctx.need_app(name)
    if app["state"] == "STOPPED":
        if ctx.legacy:
            ctx.out.o(f"App {name} is already stopped")
        else:
            ctx.out.o(f"App {name} is already stopped.")
            ctx.out.ok()
        return
    ctx.out.o(f"Stopping app {name} in {ctx.where()}...")
    L.stop(ctx, app)
    if ctx.legacy:
        ctx.out.o("OK")
    else:
        ctx.out.ok()


def cmd_restart(ctx: Ctx, restage: bool = False) -> None:
    ctx.check_target()
    _check_constraints(ctx)
    name = ctx.p.pos[0]
    app = ctx.need_app(name)
    verb = "Restaging" if restage else "Restarting"
    ctx.out.o(f"{verb} app {name} in {ctx.where()}...")
    ctx.out.o()
    if restage or L.has_unstaged_package(app):
        if app["package"] is None:
            raise CfError(f"App '{name}' has no package to stage.")
        ctx.out.o("Staging app and tracing logs...")
        ctx.out.o()
        if restage and app["package"]:
            app["package"]["staged"] = False
        L.stage(ctx, app)
    if ctx.p.get("strategy") and app["state"] == "STARTED" and not app.get("start_failed"):
        ctx.out.o(f"Creating deployment for app {name}...")
        ctx.out.o()
        ctx.out.o("Waiting for app to deploy...")
        ctx.out.o()
        # Rolling/canary: old instances serve until the new ones are up (no downtime).
    else:
        if app["state"] == "STARTED":
            ctx.out.o("Stopping app...")
            ctx.out.o()
            L.stop(ctx, app, "restarted")
        ctx.out.o("Waiting for app to start...")
        ctx.out.o()
        L.start(ctx, app)
    ctx.out.lines(display.app_summary(ctx, app))


def cmd_restage(ctx: Ctx) -> None:
    cmd_restart(ctx, restage=True)


# --- delete / rename / scale / create-app -----------------------------------------


def cmd_delete(ctx: Ctx) -> None:
    ctx.check_target()
    name = ctx.p.pos[0]
    if not ctx.p.has("f"):
        if ctx.legacy:
            ctx.out.raw(f"\nReally delete the app {name}?> ")
            answer = ctx.read_stdin_line()
            if (answer or "").strip().lower() not in ("y", "yes"):
                return
        else:
            suffix = " and associated routes" if ctx.p.has("r") else ""
            ctx.out.raw(f"Really delete the app {name}{suffix}? [yN]: ")
            answer = ctx.read_stdin_line()
            if answer is None:  # go-interact: io.EOF, no newline after the prompt
                raise CfError("EOF")
            if answer.strip().lower() not in ("y", "yes"):
                ctx.out.o(f"App '{name}' has not been deleted.")
                return
    ctx.out.o(f"Deleting app {name} in {ctx.where()}...")
    app = ctx.app(name)
    if app is None:
        if ctx.legacy:
            ctx.out.o("OK")
            ctx.out.o(f"App {name} does not exist.")
        else:
            ctx.out.e(f"App '{name}' does not exist.")
            ctx.out.ok()
        return
    routes = S.app_routes(ctx.st, app["guid"]) if ctx.p.has("r") else []
    if routes and not ctx.legacy:
        for r in routes:
            others = [d for d in S.live_destinations(ctx.st, r["guid"])
                      if d["app_guid"] != app["guid"]]
            if others:
                raise CfError(f"App '{name}' was not deleted because route "
                              f"'{S.route_url(ctx.st, r)}' is mapped to more than one app.")
    L.delete(ctx, app)
    for r in routes:
        L.delete_route(ctx, r)
    ctx.out.o("OK") if ctx.legacy else ctx.out.ok()


def cmd_rename(ctx: Ctx) -> None:
    ctx.check_target()
    old, new = ctx.p.pos[0], ctx.p.pos[1]
    if ctx.legacy:
        app = ctx.need_app(old)
        ctx.out.o(f"Renaming app {old} to {new} in {ctx.where()}...")
    else:
        ctx.out.o(f"Renaming app {old} to {new} in {ctx.where()}...")
        app = ctx.need_app(old)
    if ctx.app(new) is not None and new != old:
        raise CfError(f"App with the name '{new}' already exists.")
    app["name"] = new
    app["updated_at"] = ctx.now
    ctx.changed = True
    ctx.out.o("OK") if ctx.legacy else ctx.out.ok()


def cmd_scale(ctx: Ctx) -> None:
    ctx.check_target()
    name = ctx.p.pos[0]
    p = ctx.p
    instances = p.get("instances", "i")
    memory, disk, lograte = p.get("m"), p.get("k"), p.get("l")
    app = ctx.need_app(name)
    if instances is None and memory is None and disk is None and lograte is None:
        ctx.out.o(f"Showing current scale of app {name} in {ctx.where()}...")
        ctx.out.o()
        ctx.out.lines(display.app_summary(ctx, app))
        return
    ctx.out.o(f"Scaling app {name} in {ctx.where()}...")
    restart = memory is not None or disk is not None or lograte is not None
    if restart and not p.has("force", "f") and not ctx.legacy:
        ctx.out.raw(f"This will cause the app to restart. Are you sure you want to scale "
                    f"{name}? [yN]: ")
        answer = ctx.read_stdin_line()
        if answer is None:  # go-interact: io.EOF, no newline after the prompt
            raise CfError("EOF")
        if answer.strip().lower() not in ("y", "yes"):
            ctx.out.o("Scaling cancelled")
            return
    if isinstance(instances, str):
        app["instances"] = int(instances)
    if isinstance(memory, str):
        app["memory_mb"] = _mb(memory)
    if isinstance(disk, str):
        app["disk_mb"] = _mb(disk)
    app["updated_at"] = ctx.now
    ctx.changed = True
    if restart and app["state"] == "STARTED":
        L.stop(ctx, app, "restarted by scale")
        L.start(ctx, app)
    if ctx.legacy:
        ctx.out.o("OK")
        return
    ctx.out.o()
    ctx.out.lines(display.app_summary(ctx, app))


def cmd_create_app(ctx: Ctx) -> None:
    ctx.check_target()
    name = ctx.p.pos[0]
    app_type = str(ctx.p.get("app-type") or "buildpack")
    ctx.out.o(f"Creating app {name} in {ctx.where()}...")
    if ctx.app(name) is not None:
        ctx.out.o(f"App with the name '{name}' already exists.")
        ctx.out.ok()
        return
    L.new_app(ctx, name, app_type)
    ctx.out.ok()


# --- env / logs ---------------------------------------------------------------------


def cmd_set_env(ctx: Ctx) -> None:
    ctx.check_target()
    name, var, value = ctx.p.pos[0], ctx.p.pos[1], ctx.p.pos[2]
    if ctx.legacy:
        app = ctx.need_app(name)
        ctx.out.o(f"Setting env variable '{var}' to '{value}' for app {name} in "
                  f"{ctx.where()}...")
    else:
        ctx.out.o(f"Setting env variable {var} for app {name} in {ctx.where()}...")
        app = ctx.need_app(name)
    app["env"][var] = value
    ctx.changed = True
    ctx.out.ok()
    ctx.out.o(f"TIP: Use 'cf restage {name}' to ensure your env variable changes take effect.")


def cmd_unset_env(ctx: Ctx) -> None:
    ctx.check_target()
    name, var = ctx.p.pos[0], ctx.p.pos[1]
    if ctx.legacy:
        app = ctx.need_app(name)
        ctx.out.o(f"Removing env variable {var} from app {name} in {ctx.where()}...")
    else:
        ctx.out.o(f"Removing env variable {var} from app {name} in {ctx.where()}...")
        app = ctx.need_app(name)
    if var not in app["env"]:
        ctx.out.o(f"Env variable {var} was not set.")
        ctx.out.ok()
        return
    del app["env"][var]
    ctx.changed = True
    ctx.out.ok()
    ctx.out.o(f"TIP: Use 'cf restage {name}' to ensure your env variable changes take effect.")


def cmd_env(ctx: Ctx) -> None:
    ctx.check_target()
    name = ctx.p.pos[0]
    ctx.out.o(f"Getting env variables for app {name} in {ctx.where()}...")
    app = ctx.need_app(name)
    ctx.out.o("System-Provided:")
    ctx.out.o('VCAP_APPLICATION: {"application_name": "' + app["name"] + '"}')
    ctx.out.o()
    if app["env"]:
        ctx.out.o("User-Provided:")
        for k in sorted(app["env"]):
            ctx.out.o(f"{k}: {app['env'][k]}")
    else:
        ctx.out.o("No user-provided env variables have been set")
    ctx.out.o()
    ctx.out.o("No running env variables have been set")
    ctx.out.o()
    ctx.out.o("No staging env variables have been set")
    ctx.out.o()


def cmd_logs(ctx: Ctx) -> None:
    ctx.check_target()
    name = ctx.p.pos[0]
    if not ctx.p.has("recent"):
        raise CfError("fakecf: `cf logs` without --recent streams forever and is not simulated")
    ctx.out.o(f"Retrieving logs for app {name} in {ctx.where()}...")
    ctx.out.o()
    app = ctx.need_app(name)
    for t, source, stream, text in app.get("log", []):
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S.00+0000", time.gmtime(S.EPOCH + int(t)))
        ctx.out.o(f"   {stamp} [{source}] {stream} {text}")
