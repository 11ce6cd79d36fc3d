"""The Cloud Controller v3 endpoints the scripts reach through `cf curl`.

Shapes and key order follow capi_v3_routes.md (CC presenters): list responses with
``pagination`` + ``resources``, route ``destinations``, app ``metadata``. Bodies are
compact JSON as current CC emits them; the `cf curl` command re-indents for v6/v7.
"""

from __future__ import annotations

import json
import os
import re

from . import lifecycle as L
from . import state as S
from .core import CfError, Ctx

REASONS = {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 400: "Bad Request",
           404: "Not Found", 422: "Unprocessable Entity", 500: "Internal Server Error"}
_LABEL_VALUE = r"^([A-Za-z0-9]([-_.A-Za-z0-9]{0,61}[A-Za-z0-9])?)?$"
_LABEL_KEY = (r"^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?"
              r"[A-Za-z0-9]([-_.A-Za-z0-9]{0,61}[A-Za-z0-9])?$")


def compact(obj: object) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def _err(status: int, title: str, detail: str, code: int) -> tuple[int, dict]:
    return status, {"errors": [{"detail": detail, "title": title, "code": code}]}


def _not_found(what: str) -> tuple[int, dict]:
    return _err(404, "CF-ResourceNotFound", f"{what} not found", 10010)


UNKNOWN = (404, {"errors": [{"detail": "Unknown request", "title": "CF-NotFound",
                              "code": 10000}]})


def unquote(s: str) -> str:
    """Percent-decoding (``+`` is a space in query strings), without urllib."""
    s = s.replace("+", " ")
    if "%" not in s:
        return s
    out = bytearray()
    i = 0
    raw = s.encode("utf-8")
    while i < len(raw):
        c = raw[i]
        if c == 0x25 and re.match(rb"[0-9A-Fa-f]{2}$", raw[i + 1:i + 3]):
            out.append(int(raw[i + 1:i + 3], 16))
            i += 3
        else:
            out.append(c)
            i += 1
    return out.decode("utf-8", errors="replace")


def parse_query(q: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for part in q.split("&"):
        if not part:
            continue
        k, _, v = part.partition("=")
        params[unquote(k)] = unquote(v)
    return params


def _list(params: dict[str, str], key: str) -> list[str] | None:
    """CC list filter: absent -> None (any); ``hosts=`` -> [""] (a real filter)."""
    if key not in params:
        return None
    # CC (BaseMessage.to_array!) splits the decoded value on "," (and following
    # spaces), then URL-unescapes each item: a literal comma must be sent as %252C.
    return [unquote(x) for x in re.split(r",\s*", params[key])]


# --- presenters ----------------------------------------------------------------------


def _links(api: str, **paths: str) -> dict:
    return {k: {"href": api + v} for k, v in paths.items()}


def app_resource(st: dict, app: dict) -> dict:
    api, g = st["api"], app["guid"]
    if app["lifecycle"] == "docker":
        lifecycle: dict = {"type": "docker", "data": {}}
    else:
        lifecycle = {"type": "buildpack",
                     "data": {"buildpacks": list(app["buildpacks"]), "stack": app["stack"]}}
    droplet = app.get("droplet")
    links = _links(api, self=f"/v3/apps/{g}", environment_variables=f"/v3/apps/{g}/"
                   "environment_variables", space=f"/v3/spaces/{app['space_guid']}",
                   processes=f"/v3/apps/{g}/processes", packages=f"/v3/apps/{g}/packages",
                   current_droplet=f"/v3/apps/{g}/droplets/current",
                   droplets=f"/v3/apps/{g}/droplets", tasks=f"/v3/apps/{g}/tasks")
    links["start"] = {"href": f"{api}/v3/apps/{g}/actions/start", "method": "POST"}
    links["stop"] = {"href": f"{api}/v3/apps/{g}/actions/stop", "method": "POST"}
    return {
        "guid": g, "created_at": S.iso(st, app["created_at"]),
        "updated_at": S.iso(st, app["updated_at"]), "name": app["name"], "state": app["state"],
        "lifecycle": lifecycle,
        "relationships": {"space": {"data": {"guid": app["space_guid"]}},
                          "current_droplet": {"data": {"guid": droplet["guid"]}
                                              if droplet else None}},
        "metadata": {"labels": dict(app["labels"]), "annotations": dict(app["annotations"])},
        "links": links,
    }


def _destination(st: dict, d: dict) -> dict:
    return {"guid": d["guid"], "app": {"guid": d["app_guid"], "process": {"type": "web"}},
            "weight": None, "port": 8080, "protocol": "http1",
            "created_at": S.iso(st, d["mapped_at"]), "updated_at": S.iso(st, d["mapped_at"])}


def route_resource(st: dict, r: dict) -> dict:
    api, g = st["api"], r["guid"]
    dests = sorted(S.live_destinations(st, g), key=lambda d: d["guid"])
    return {
        "guid": g, "created_at": S.iso(st, r["created_at"]),
        "updated_at": S.iso(st, r["created_at"]), "protocol": "http", "host": r["host"],
        "path": r["path"], "port": None, "url": S.route_url(st, r),
        "destinations": [_destination(st, d) for d in dests],
        "metadata": {"labels": {}, "annotations": {}},
        "relationships": {"space": {"data": {"guid": r["space_guid"]}},
                          "domain": {"data": {"guid": r["domain_guid"]}}},
        "links": _links(api, self=f"/v3/routes/{g}", space=f"/v3/spaces/{r['space_guid']}",
                        domain=f"/v3/domains/{r['domain_guid']}",
                        destinations=f"/v3/routes/{g}/destinations"),
    }


def domain_resource(st: dict, d: dict) -> dict:
    api, g = st["api"], d["guid"]
    org = None if d.get("shared") else {"guid": st["orgs"][0]["guid"]}
    return {
        "guid": g, "created_at": S.iso(st, 0), "updated_at": S.iso(st, 0), "name": d["name"],
        "internal": False, "router_group": None, "supported_protocols": ["http"],
        "metadata": {"labels": {}, "annotations": {}},
        "relationships": {"organization": {"data": org}, "shared_organizations": {"data": []}},
        "links": _links(api, self=f"/v3/domains/{g}",
                        route_reservations=f"/v3/domains/{g}/route_reservations"),
    }


def space_resource(st: dict, org: dict, sp: dict) -> dict:
    api, g = st["api"], sp["guid"]
    return {
        "guid": g, "created_at": S.iso(st, 0), "updated_at": S.iso(st, 0), "name": sp["name"],
        "relationships": {"organization": {"data": {"guid": org["guid"]}},
                          "quota": {"data": None}},
        "metadata": {"labels": {}, "annotations": {}},
        "links": _links(api, self=f"/v3/spaces/{g}", organization=f"/v3/organizations/"
                        f"{org['guid']}", features=f"/v3/spaces/{g}/features"),
    }


def org_resource(st: dict, org: dict) -> dict:
    api, g = st["api"], org["guid"]
    return {
        "guid": g, "created_at": S.iso(st, 0), "updated_at": S.iso(st, 0), "name": org["name"],
        "suspended": False, "relationships": {"quota": {"data": None}},
        "metadata": {"labels": {}, "annotations": {}},
        "links": _links(api, self=f"/v3/organizations/{g}"),
    }


def paginate(st: dict, path: str, params: dict[str, str], items: list[dict]) -> tuple[int, dict]:
    try:
        per_page = int(params.get("per_page", "50"))
        page = int(params.get("page", "1"))
    except ValueError:
        return _err(400, "CF-BadQueryParameter", "The query parameter is invalid: Per page "
                    "must be between 1 and 5000", 10005)
    if not 1 <= per_page <= 5000 or page < 1:
        return _err(400, "CF-BadQueryParameter", "The query parameter is invalid: Per page "
                    "must be between 1 and 5000", 10005)
    total = len(items)
    pages = max(1, -(-total // per_page))
    rest = "&".join(f"{k}={v}" for k, v in params.items() if k not in ("page", "per_page"))

    def href(n: int) -> dict:
        q = (rest + "&" if rest else "") + f"page={n}&per_page={per_page}"
        return {"href": f"{st['api']}{path}?{q}"}

    return 200, {"pagination": {"total_results": total, "total_pages": pages,
                                "first": href(1), "last": href(pages),
                                "next": href(page + 1) if page < pages else None,
                                "previous": href(page - 1) if page > 1 else None},
                 "resources": items[(page - 1) * per_page: page * per_page]}


# --- request dispatch ------------------------------------------------------------------


def _match_labels(labels: dict, selector: str) -> bool:
    for req in [r.strip() for r in re.split(r",(?![^()]*\))", selector) if r.strip()]:
        m = re.match(r"^(\S+?)\s+(notin|in)\s+\((.*)\)$", req)
        if m:
            vals = [v.strip() for v in m.group(3).split(",")]
            inside = labels.get(m.group(1)) in vals
            if inside != (m.group(2) == "in"):
                return False
        elif "!=" in req:
            k, v = req.split("!=", 1)
            if labels.get(k) == v:
                return False
        elif "=" in req:
            k, v = req.split("==", 1) if "==" in req else req.split("=", 1)
            if labels.get(k) != v:
                return False
        elif req.startswith("!"):
            if req[1:] in labels:
                return False
        elif req not in labels:
            return False
    return True


def request(ctx: Ctx, method: str, path: str, body: str | None) -> tuple[int, dict | None]:
    """Answer one API request: (HTTP status, JSON body or None for an empty body)."""
    st = ctx.st
    path, _, query = path.partition("?")
    params = parse_query(query)
    parts = [p for p in path.split("/") if p]
    if not parts or parts[0] != "v3":
        return UNKNOWN
    res = parts[1:]
    if not res:
        return UNKNOWN
    kind = res[0]
    if kind == "apps":
        return _apps(ctx, method, res[1:], params, body, path)
    if method != "GET":
        return UNKNOWN
    if kind == "routes":
        return _routes(st, res[1:], params, path)
    if kind == "processes":
        return _processes(st, res[1:], params, path)
    if kind == "domains":
        return _domains(st, res[1:], params, path)
    if kind == "spaces":
        spaces = [(o, s) for o in st["orgs"] for s in o["spaces"]]
        if len(res) == 2:
            hit = next(((o, s) for o, s in spaces if s["guid"] == res[1]), None)
            return (200, space_resource(st, *hit)) if hit else _not_found("Space")
        if len(res) > 2:
            return UNKNOWN
        names, orgs = _list(params, "names"), _list(params, "organization_guids")
        guids = _list(params, "guids")
        items = [space_resource(st, o, s) for o, s in spaces
                 if (names is None or s["name"] in names) and (orgs is None or o["guid"] in orgs)
                 and (guids is None or s["guid"] in guids)]
        return paginate(st, path, params, items)
    if kind == "organizations":
        if len(res) == 2:
            org = next((o for o in st["orgs"] if o["guid"] == res[1]), None)
            return (200, org_resource(st, org)) if org else _not_found("Organization")
        if len(res) > 2:
            return UNKNOWN
        names = _list(params, "names")
        return paginate(st, path, params, [org_resource(st, o) for o in st["orgs"]
                                           if names is None or o["name"] in names])
    return UNKNOWN


def _apps(ctx: Ctx, method: str, res: list[str], params: dict[str, str], body: str | None,
          path: str) -> tuple[int, dict | None]:
    st = ctx.st
    if not res:
        if method == "GET":
            names, spaces = _list(params, "names"), _list(params, "space_guids")
            guids, sel = _list(params, "guids"), params.get("label_selector")
            org_spaces = None
            if "organization_guids" in params:
                wanted = _list(params, "organization_guids") or []
                org_spaces = [s["guid"] for o in st["orgs"] if o["guid"] in wanted
                              for s in o["spaces"]]
            items = [app_resource(st, a) for a in st["apps"]
                     if (names is None or a["name"] in names)
                     and (spaces is None or a["space_guid"] in spaces)
                     and (guids is None or a["guid"] in guids)
                     and (org_spaces is None or a["space_guid"] in org_spaces)
                     and (sel is None or _match_labels(a["labels"], sel))]
            return paginate(st, path, params, items)
        if method == "POST":
            return _create_app(ctx, body)
        return UNKNOWN
    app = S.app_by_guid(st, res[0])
    if app is None:
        return _not_found("App")
    if len(res) == 1:
        if method == "GET":
            return 200, app_resource(st, app)
        if method == "PATCH":
            return _patch_app(ctx, app, body)
        if method == "DELETE":
            L.delete(ctx, app)
            return 202, None
        return UNKNOWN
    if len(res) == 2 and res[1] == "routes" and method == "GET":
        routes = _filter_routes(st, S.app_routes(st, app["guid"]), params)
        return paginate(st, path, params, [route_resource(st, r) for r in routes])
    if len(res) == 3 and res[1] == "actions" and method == "POST":
        if res[2] == "stop":
            if app["state"] == "STARTED":
                L.stop(ctx, app)
            return 200, app_resource(st, app)
        if res[2] == "start":
            if app["droplet"] is None:
                return _err(422, "CF-UnprocessableEntity",
                            "Assign a droplet before starting this app.", 10008)
            try:
                L.start(ctx, app)
            except CfError:
                pass  # CC accepts the start; the instances crash afterwards
            return 200, app_resource(st, app)
    return UNKNOWN


def _json_body(body: str | None) -> dict | None:
    try:
        data = json.loads(body or "")
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _parse_error() -> tuple[int, dict]:
    return _err(400, "CF-MessageParseError", "Request invalid due to parse error: invalid "
                "request body", 1001)


def _metadata_error(meta: object) -> str | None:
    if meta is None:
        return None
    if not isinstance(meta, dict):
        return "Metadata must be an object"
    for key, val in (meta.get("labels") or {}).items():
        if not re.match(_LABEL_KEY, key):
            return f"Metadata label key error: '{key}' contains invalid characters"
        if val is not None and (not isinstance(val, str) or not re.match(_LABEL_VALUE, val)):
            return f"Metadata label value error: '{val}' contains invalid characters"
    for val in (meta.get("annotations") or {}).values():
        if val is not None and not isinstance(val, str):
            return "Metadata annotations value error: values must be strings"
    return None


def _merge_metadata(app: dict, meta: dict | None) -> None:
    """PATCH semantics: keys merge; a null value deletes the key."""
    if not meta:
        return
    for field in ("labels", "annotations"):
        for k, v in (meta.get(field) or {}).items():
            if v is None:
                app[field].pop(k, None)
            else:
                app[field][k] = v


def _create_app(ctx: Ctx, body: str | None) -> tuple[int, dict | None]:
    st = ctx.st
    data = _json_body(body)
    if data is None:
        return _parse_error()
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        return _err(422, "CF-UnprocessableEntity", "Name can't be blank", 10008)
    space_guid = (((data.get("relationships") or {}).get("space") or {}).get("data")
                  or {}).get("guid")
    space = next((s for o in st["orgs"] for s in o["spaces"] if s["guid"] == space_guid), None)
    if space is None:
        return _err(422, "CF-UnprocessableEntity", "Invalid space. Ensure that the space exists "
                    "and you have access to it.", 10008)
    problem = _metadata_error(data.get("metadata"))
    if problem:
        return _err(422, "CF-UnprocessableEntity", problem, 10008)
    if S.app_by_name(st, name, space["guid"]) is not None:
        return _err(422, "CF-UniquenessError", f"App with the name '{name}' already exists.",
                    10016)
    lifecycle = (data.get("lifecycle") or {}).get("type", "buildpack")
    app = L.new_app(ctx, name, "docker" if lifecycle == "docker" else "buildpack")
    app["space_guid"] = space["guid"]
    _merge_metadata(app, data.get("metadata"))
    env = data.get("environment_variables")
    if isinstance(env, dict):
        app["env"].update({str(k): str(v) for k, v in env.items()})
    return 201, app_resource(st, app)


def _patch_app(ctx: Ctx, app: dict, body: str | None) -> tuple[int, dict | None]:
    data = _json_body(body)
    if data is None:
        return _parse_error()
    problem = _metadata_error(data.get("metadata"))
    if problem:
        return _err(422, "CF-UnprocessableEntity", problem, 10008)
    name = data.get("name")
    if isinstance(name, str) and name != app["name"]:
        if S.app_by_name(ctx.st, name, app["space_guid"]) is not None:
            return _err(422, "CF-UniquenessError",
                        f"App with the name '{name}' already exists.", 10016)
        app["name"] = name
    _merge_metadata(app, data.get("metadata"))
    app["updated_at"] = ctx.now
    ctx.changed = True
    return 200, app_resource(ctx.st, app)


def _filter_routes(st: dict, routes: list[dict], params: dict[str, str]) -> list[dict]:
    hosts, paths = _list(params, "hosts"), _list(params, "paths")
    domains, spaces = _list(params, "domain_guids"), _list(params, "space_guids")
    apps, guids = _list(params, "app_guids"), _list(params, "guids")
    orgs = _list(params, "organization_guids")
    org_spaces = None if orgs is None else [s["guid"] for o in st["orgs"] if o["guid"] in orgs
                                            for s in o["spaces"]]
    out = []
    for r in routes:
        if r["deleted"]:
            continue
        if hosts is not None and r["host"] not in [h.lower() for h in hosts]:
            continue
        if paths is not None and r["path"] not in paths:
            continue
        if domains is not None and r["domain_guid"] not in domains:
            continue
        if spaces is not None and r["space_guid"] not in spaces:
            continue
        if org_spaces is not None and r["space_guid"] not in org_spaces:
            continue
        if guids is not None and r["guid"] not in guids:
            continue
        if "ports" in params:
            continue  # only HTTP routes exist here; they have no port
        if apps is not None and not any(d["app_guid"] in apps
                                        for d in S.live_destinations(st, r["guid"])):
            continue
        out.append(r)
    return out


def _routes(st: dict, res: list[str], params: dict[str, str], path: str) -> tuple[int, dict]:
    if not res:
        routes = _filter_routes(st, st["routes"], params)
        return paginate(st, path, params, [route_resource(st, r) for r in routes])
    route = next((r for r in st["routes"] if r["guid"] == res[0] and not r["deleted"]), None)
    if route is None:
        return _not_found("Route")
    if len(res) == 1:
        return 200, route_resource(st, route)
    if len(res) == 2 and res[1] == "destinations":
        apps = _list(params, "app_guids")
        dests = [_destination(st, d) for d in sorted(S.live_destinations(st, route["guid"]),
                                                     key=lambda d: d["guid"])
                 if apps is None or d["app_guid"] in apps]
        return 200, {"destinations": dests,
                     "links": _links(st["api"], self=f"/v3/routes/{route['guid']}/destinations",
                                     route=f"/v3/routes/{route['guid']}")}
    return UNKNOWN


def process_resource(st: dict, app: dict) -> dict:
    """An app's web process, with the key order of CC's ``ProcessPresenter``."""
    api, g = st["api"], app["guid"]
    pg = f"{0x6:08x}{g[8:]}"  # the web process's GUID: derived from the app's, kind 6
    return {
        "guid": pg, "created_at": S.iso(st, app["created_at"]),
        "updated_at": S.iso(st, app["updated_at"]), "version": f"{pg[:8]}-1", "type": "web",
        "command": "[PRIVATE DATA HIDDEN IN LISTS]", "user": "vcap",
        "instances": app["instances"], "memory_in_mb": 256, "disk_in_mb": 1024,
        "log_rate_limit_in_bytes_per_second": -1,
        "health_check": {"type": "port", "data": {"timeout": None, "invocation_timeout": None,
                                                  "interval": None}},
        "readiness_health_check": {"type": "process", "data": {"invocation_timeout": None,
                                                               "interval": None}},
        "relationships": {"app": {"data": {"guid": g}}, "revision": {"data": None}},
        "metadata": {"labels": {}, "annotations": {}},
        "links": _links(api, self=f"/v3/processes/{pg}", scale=f"/v3/processes/{pg}/actions/scale",
                        app=f"/v3/apps/{g}", space=f"/v3/spaces/{app['space_guid']}",
                        stats=f"/v3/processes/{pg}/stats"),
    }


def _processes(st: dict, res: list[str], params: dict[str, str],
               path: str) -> tuple[int, dict]:
    """``GET /v3/processes`` filtered by ``app_guids``, ``types``, ``space_guids``:
    one ``web`` process per app (the only process type the simulator runs)."""
    if res:
        return UNKNOWN
    apps, types = _list(params, "app_guids"), _list(params, "types")
    spaces, guids = _list(params, "space_guids"), _list(params, "guids")
    items = [process_resource(st, a) for a in st["apps"]
             if (apps is None or a["guid"] in apps) and (types is None or "web" in types)
             and (spaces is None or a["space_guid"] in spaces)]
    items = [p for p in items if guids is None or p["guid"] in guids]
    return paginate(st, path, params, items)


def _domains(st: dict, res: list[str], params: dict[str, str], path: str) -> tuple[int, dict]:
    if not res:
        names = _list(params, "names")
        guids = _list(params, "guids")
        items = [domain_resource(st, d) for d in st["domains"]
                 if (names is None or d["name"] in [n.lower() for n in names])
                 and (guids is None or d["guid"] in guids)]
        return paginate(st, path, params, items)
    dom = S.domain_by_guid(st, res[0])
    if dom is None:
        return _not_found("Domain")
    if len(res) == 1:
        return 200, domain_resource(st, dom)
    if len(res) == 2 and res[1] == "route_reservations":
        host = params.get("host", "").lower()
        rpath = params.get("path", "")
        found = any(not r["deleted"] and r["domain_guid"] == dom["guid"] and r["host"] == host
                    and r["path"] == rpath for r in st["routes"])
        return 200, {"matching_route": found}
    return UNKNOWN


# --- the `cf curl` command -------------------------------------------------------------


def cmd_curl(ctx: Ctx) -> None:
    ctx.check_target(org=False, space=False)
    p = ctx.p
    path = p.pos[0]
    if "://" in path:
        path = "/" + path.split("://", 1)[1].partition("/")[2]
    path = "/" + path.lstrip("/")
    data = p.get("d")
    body: str | None = None
    if isinstance(data, str):
        if data.startswith("@"):
            fname = os.path.join(ctx.cwd, data[1:])
            try:
                with open(fname, encoding="utf-8") as f:
                    body = f.read()
            except OSError as e:
                raise CfError(f"Error creating request: {e}") from e
        else:
            body = data
    method = str(p.get("X") or ("POST" if body is not None else "GET")).upper()
    if method != "GET":
        ctx.changed = True
    status, payload = request(ctx, method, path, body)
    if p.has("fail", "f") and status >= 400:
        raise CfError(f"The requested URL returned error: {status}", code=22)
    text = "" if payload is None else compact(payload)
    headers = (f"HTTP/1.1 {status} {REASONS.get(status, '')}\r\n"
               "Content-Type: application/json; charset=utf-8\r\n\r\n")
    out_file = p.get("output")
    if not ctx.legacy:
        blob = (headers if p.has("i") else "") + text
        if isinstance(out_file, str):
            _write(ctx, out_file, blob)
            ctx.out.ok()
            return
        ctx.out.o(blob)
        return
    if p.has("i"):
        ctx.out.o(headers)
    if isinstance(out_file, str):
        _write(ctx, out_file, text)
        return
    if payload is not None:
        text = json.dumps(payload, indent=3, ensure_ascii=False)
    ctx.out.o(text)


def _write(ctx: Ctx, name: str, text: str) -> None:
    full = os.path.join(ctx.cwd, name)
    try:
        os.makedirs(os.path.dirname(full) or ".", exist_ok=True)
        with open(full, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        raise CfError(f"Error creating file: {e}") from e
