"""Route commands: routes, map-route, unmap-route, create-route, delete-route,
check-route (command/v7/*_route_command.go; v6 legacy cf/commands/route).
"""

from __future__ import annotations

from . import lifecycle as L
from . import state as S
from .core import CfError, Ctx, table


def _url(domain: str, host: str, path: str) -> str:
    """desiredURL: ``host.domain/path`` (apex: ``domain/path``)."""
    return (f"{host}.{domain}" if host else domain) + path


def _host_path(ctx: Ctx) -> tuple[str, str]:
    if ctx.p.has("port", "random-port"):
        raise CfError("fakecf: TCP routes (--port/--random-port) are not simulated")
    host = str(ctx.p.get("hostname") or "")
    path = str(ctx.p.get("path") or "")
    if path and not path.startswith("/"):
        path = "/" + path
    return (host.lower() if ctx.legacy else host), path


def _create(ctx: Ctx, domain: dict, host: str, path: str) -> dict:
    if not host and domain.get("shared"):
        raise CfError("Missing host. Routes in shared domains must have a host defined.")
    return L.create_route(ctx, domain, host, path)


def _legacy_constraints(ctx: Ctx) -> None:
    for c in ctx.p.spec.get("constraints", []):
        if all(ctx.p.has(cond["present"].lstrip("-")) for cond in c["when_all"]
               if "present" in cond):
            raise CfError(c["error"])


def cmd_map_route(ctx: Ctx) -> None:
    if ctx.legacy:
        _legacy_constraints(ctx)
        ctx.check_target()
        app = ctx.need_app(ctx.p.pos[0])
        domain = ctx.need_domain(ctx.p.pos[1])
        host, path = _host_path(ctx)
        url = _url(domain["name"], host, path)
        ctx.out.o(f"Creating route {url} for {ctx.where()}...")
        route = L.find_route(ctx, domain, host, path)
        if route is None:
            route = _create(ctx, domain, host, path)
            ctx.out.o("OK")
        else:
            ctx.out.o("OK")
            ctx.out.o(f"Route {url} already exists")
        ctx.out.o(f"Adding route {url} to app {app['name']} in {ctx.where()}...")
        if L.destination(ctx, route, app) is None:
            L.map_route(ctx, route, app)
        ctx.out.o("OK")
        return
    ctx.check_target()
    domain = ctx.need_domain(ctx.p.pos[1])
    app = ctx.need_app(ctx.p.pos[0])
    host, path = _host_path(ctx)
    url = _url(domain["name"], host, path)
    route = L.find_route(ctx, domain, host, path)
    if route is None:
        ctx.out.o(f"Creating route {url} for {ctx.where()}...")
        route = _create(ctx, domain, host, path)
        ctx.out.ok()
    elif ctx.p.has("option"):
        raise CfError("Route specific options can only be specified for nonexistent routes.")
    url = S.route_url(ctx.st, route)
    ctx.out.o(f"Mapping route {url} to app {app['name']} in {ctx.where()}...")
    if L.destination(ctx, route, app) is not None:
        tail = " Nothing has been updated." if ctx.major >= 8 else ""
        ctx.out.o(f"App '{app['name']}' is already mapped to route '{url}'.{tail}")
        ctx.out.ok()
        return
    L.map_route(ctx, route, app)
    ctx.out.ok()


def cmd_unmap_route(ctx: Ctx) -> None:
    if ctx.legacy:
        ctx.check_target()
        app = ctx.need_app(ctx.p.pos[0])
        domain = ctx.need_domain(ctx.p.pos[1])
        host, path = _host_path(ctx)
        route = L.find_route(ctx, domain, host, path)
        if route is None:
            raise CfError(f"Route {host} not found")
        url = S.route_url(ctx.st, route)
        ctx.out.o(f"Removing route {url} from app {app['name']} in {ctx.where()}...")
        dest = L.destination(ctx, route, app)
        if dest is not None:
            L.unmap(ctx, dest)
        ctx.out.o("OK")
        if dest is None:
            ctx.out.o("\nRoute to be unmapped is not currently mapped to the application.")
        return
    ctx.check_target()
    domain = ctx.need_domain(ctx.p.pos[1])
    app = ctx.need_app(ctx.p.pos[0])
    host, path = _host_path(ctx)
    route = L.find_route(ctx, domain, host, path)
    if route is None:
        raise CfError(f"Route with host '{host}', domain '{domain['name']}', and path "
                      f"'{path or '/'}' not found.")
    ctx.out.o(f"Removing route {_url(domain['name'], host, path)} from app {app['name']} in "
              f"{ctx.where()}...")
    dest = L.destination(ctx, route, app)
    if dest is None:
        ctx.out.o("Route to be unmapped is not currently mapped to the application.")
        ctx.out.ok()
        return
    L.unmap(ctx, dest)
    ctx.out.ok()


def cmd_create_route(ctx: Ctx) -> None:
    if ctx.major == 6:
        ctx.check_target()
        space_name, dname = ctx.p.pos[0], ctx.p.pos[1]
        if space_name != ctx.space["name"]:
            raise CfError(f"Space {space_name} not found")
    else:
        ctx.check_target()
        dname = ctx.p.pos[0]
    host, path = _host_path(ctx)
    url = _url(dname.lower(), host, path)
    ctx.out.o(f"Creating route {url} for {ctx.where()}...")
    domain = ctx.need_domain(dname)
    if L.find_route(ctx, domain, host, path) is not None:
        if ctx.major == 6:
            ctx.out.o("OK")
            ctx.out.o(f"Route {url} already exists")
            return
        ctx.out.e(f"Route {url} already exists.")
        ctx.out.ok()
        return
    _create(ctx, domain, host, path)
    if ctx.major == 6:
        ctx.out.o("OK")
        return
    ctx.out.o(f"Route {url} has been created.")
    ctx.out.ok()


def cmd_delete_route(ctx: Ctx) -> None:
    ctx.check_target()
    dname = ctx.p.pos[0]
    host, path = _host_path(ctx)
    url = _url(dname, host, path)
    if not ctx.legacy:
        ctx.out.o("This action impacts all apps using this route.")
        ctx.out.o("Deleting this route will make apps unreachable via this route.")
    if not ctx.p.has("f"):
        if ctx.legacy:
            ctx.out.raw(f"\nReally delete the route {url}?> ")
            if (ctx.read_stdin_line() or "").strip().lower() not in ("y", "yes"):
                return
        else:
            ctx.out.raw(f"Really delete the route {url}? [yN]: ")
            answer = ctx.read_stdin_line()
            if answer is None:  # go-interact: io.EOF, no newline after the prompt
                raise CfError("EOF")
            if answer.strip().lower() not in ("y", "yes"):
                ctx.out.o(f"'{url}' has not been deleted.")
                return
    ctx.out.o(f"Deleting route {url}...")
    domain = S.domain_by_name(ctx.st, dname)
    if domain is None:
        if ctx.legacy:
            raise CfError(f"Domain {dname} not found")
        ctx.out.e(f"Domain '{dname}' not found.")
        ctx.out.ok()
        return
    route = L.find_route(ctx, domain, host, path)
    if route is None:
        if ctx.legacy:
            ctx.out.o("OK")
            ctx.out.o(f"Unable to delete, route '{url}' does not exist.")
            return
        ctx.out.o(f"Unable to delete. Route with host '{host}', domain '{domain['name']}', "
                  f"and path '{path or '/'}' not found.")
        ctx.out.ok()
        return
    L.delete_route(ctx, route)
    ctx.out.o("OK") if ctx.legacy else ctx.out.ok()


def cmd_check_route(ctx: Ctx) -> None:
    if ctx.major == 6:
        ctx.check_target(org=True, space=False)
        host, dname = ctx.p.pos[0], ctx.p.pos[1]
        path = str(ctx.p.get("path") or "")
        path = path if not path or path.startswith("/") else "/" + path
        ctx.out.o("Checking for route...")
        domain = ctx.need_domain(dname)
        found = L.find_route(ctx, domain, host, path) is not None
        ctx.out.o("OK")
        url = _url(domain["name"], host, path)
        ctx.out.o(f"Route {url} {'does' if found else 'does not'} exist")
        return
    ctx.check_target(org=True, space=False)
    dname = ctx.p.pos[0]
    host, path = _host_path(ctx)
    ctx.out.o("Checking for route...")
    domain = ctx.need_domain(dname)
    found = L.find_route(ctx, domain, host, path) is not None
    url = _url(dname, host, path)
    ctx.out.o(f"Route '{url}' {'does' if found else 'does not'} exist.")
    ctx.out.ok()


def cmd_routes(ctx: Ctx) -> None:
    ctx.check_target()
    st = ctx.st
    org_level = ctx.p.has("org-level", "orglevel")
    routes = [r for r in st["routes"] if not r["deleted"]
              and (org_level or r["space_guid"] == ctx.space["guid"])]
    spaces = {s["guid"]: s["name"] for s in ctx.org["spaces"]}
    names = {a["guid"]: a["name"] for a in st["apps"]}
    if ctx.legacy:
        where = (f"org {ctx.org['name']} as {ctx.user} ..." if org_level
                 else f"org {ctx.org['name']} / space {ctx.space['name']} as {ctx.user} ...")
        ctx.out.o(f"Getting routes for {where}")
        ctx.out.o()
        if not routes:
            ctx.out.o("No routes found")
            return
        rows = [["space", "host", "domain", "port", "path", "type", "apps", "service"]]
        for r in routes:
            apps = ",".join(names.get(d["app_guid"], "")
                            for d in S.live_destinations(st, r["guid"]))
            rows.append([spaces.get(r["space_guid"], ""), r["host"], _dname(st, r), "",
                         r["path"], "", apps, ""])
        ctx.out.lines(table(rows))
        return
    if org_level:
        ctx.out.o(f"Getting routes for org {ctx.org['name']} as {ctx.user}...")
    else:
        ctx.out.o(f"Getting routes for {ctx.where()}...")
    ctx.out.o()
    if not routes:
        ctx.out.o("No routes found.")
        return
    major, minor, patch = ctx.minor()
    v8 = major >= 8
    app_proto = v8 and (minor, patch) >= (2, 0)
    app_port = v8 and minor >= 18
    options = v8 and (minor, patch) >= (9, 1)
    head = ["space", "host", "domain", "port", "path", "protocol"]
    head += ["app-protocol"] if app_proto else []
    head += ["app-port"] if app_port else []
    head += ["apps"]
    head += ["service instance"] if v8 else []
    head += ["options"] if options else []
    rows = [head]
    for r in sorted(routes, key=lambda r: spaces.get(r["space_guid"], "").lower()):
        dests = S.live_destinations(st, r["guid"])
        row = [spaces.get(r["space_guid"], ""), r["host"], _dname(st, r), "", r["path"], "http"]
        row += ["http1" if dests else ""] if app_proto else []
        row += ["8080" if dests else ""] if app_port else []
        row += [", ".join(names.get(d["app_guid"], "") for d in dests)]
        row += [""] if v8 else []
        row += [""] if options else []
        rows.append(row)
    ctx.out.lines(table(rows))


def _dname(st: dict, route: dict) -> str:
    d = S.domain_by_guid(st, route["domain_guid"])
    return d["name"] if d else ""
