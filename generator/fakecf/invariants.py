"""The design's invariants, checked after every change to the simulated foundation.

Routers learn each map/unmap at their own moment within the router lag, in any
order (field note 1). So for a mapping the checker knows two bounds: every router
*certainly* holds it from ``lag`` seconds after map-route until unmap-route, and
some router *possibly* holds it from map-route until ``lag`` seconds after
unmap-route (:func:`state.certainly_held`, :func:`state.possibly_held`). The stub
curl, a single router, sits between the two.

For each watched live route (``Foundation.watch_live_routes``):

(a) once it has been certainly served (it is then "armed"), it must stay certainly
    served by a started, healthy app now and at every pending moment when the
    answer can change (an earlier map-route reaching every router, a slow-starting
    app becoming ready);
(a') once a request to it may have been answered by a healthy app (it is then
    "touched": a first deploy mapped it), Cloud Controller must keep it mapped to a
    running, healthy app, so that it becomes certainly served: a live route that
    answered users is never taken away again;
(b) no started app that is unhealthy, crashed or timed out may be routed from it;
(c) an app is never stopped/deleted while some router may still send it traffic
    (:func:`check_stop`, called by the commands before they stop an app).

Each problem is recorded once (an "open issue"); it is recorded again only if it was
fixed in between. The checker only reads the routing model in :mod:`state`.
"""

from __future__ import annotations

from . import state as S


def normalise_url(url: str) -> str:
    """``https://Www.Example.com/api/`` -> ``www.example.com/api`` (CC's route url form)."""
    if "://" in url:
        url = url.split("://", 1)[1]
    host, _, path = url.partition("/")
    path = ("/" + path).rstrip("/") if path else ""
    return host.lower().rstrip(".") + path


def _route_guids(st: dict, url: str) -> list[str]:
    """Every route object (also deleted ones, whose mappings may linger) with this url."""
    return [r["guid"] for r in st["routes"] if S.route_url(st, r) == url]


def effective_apps(st: dict, url: str, t: float) -> list[dict]:
    apps = {a["guid"]: a for a in st["apps"]}
    out: list[dict] = []
    for rg in _route_guids(st, url):
        for g in S.effective_app_guids(st, rg, t):
            if g in apps and apps[g] not in out:
                out.append(apps[g])
    return out


def _held_apps(st: dict, url: str, t: float, held: object) -> list[dict]:
    """Apps whose mapping to ``url`` satisfies ``held(destination, t, lag)``."""
    lag = st["router_lag_seconds"]
    guids = set(_route_guids(st, url))
    apps = {a["guid"]: a for a in st["apps"]}
    return [apps[d["app_guid"]] for d in st["destinations"]
            if d["route_guid"] in guids and d["app_guid"] in apps
            and held(d, t, lag)]  # type: ignore[operator]


def served(st: dict, url: str, t: float) -> bool:
    """Does every router send ``url`` to a started, healthy app at ``t``?"""
    return any(S.app_serving(a, t) for a in _held_apps(st, url, t, S.certainly_held))


def possibly_served(st: dict, url: str, t: float) -> bool:
    """May some router have answered ``url`` with a started, healthy app at ``t``?"""
    return any(S.app_serving(a, t) for a in _held_apps(st, url, t, S.possibly_held))


def _becoming_served(st: dict, url: str) -> bool:
    """Is ``url`` mapped (in Cloud Controller) to a running, healthy app, so that
    every router will send it there once the mapping has propagated?"""
    guids = set(_route_guids(st, url))
    apps = {a["guid"]: a for a in st["apps"]}
    for d in S.live_destinations(st):
        app = apps.get(d["app_guid"]) if d["route_guid"] in guids else None
        if app is not None and _bad_state(app, st["clock"]) is None and S.app_running(app):
            return True
    return False


def _check_points(st: dict, url: str) -> list[float]:
    """Now, and every future moment at which the answer for ``url`` can change."""
    now = st["clock"]
    lag = st["router_lag_seconds"]
    guids = set(_route_guids(st, url))
    points = {now}
    app_guids = set()
    for d in st["destinations"]:
        if d["route_guid"] not in guids:
            continue
        app_guids.add(d["app_guid"])
        for t in (d["mapped_at"] + lag, d["unmapped_at"], None if d["unmapped_at"] is None
                  else d["unmapped_at"] + lag):
            if t is not None and t > now:
                points.add(t)
    for a in st["apps"]:
        if a["guid"] in app_guids and S.app_running(a) and S.ready_at(a) > now:
            points.add(S.ready_at(a))
        after = float((a.get("droplet") or {}).get("fails_after_seconds") or 0)
        if a["guid"] in app_guids and after > 0 and (a.get("started_at") or 0) + after > now:
            points.add((a.get("started_at") or 0) + after)
    return sorted(points)


def _bad_state(app: dict, t: float) -> str | None:
    if app["state"] != "STARTED":
        return None
    if S.degraded(app, t):
        return "failing (it degraded after it started)"
    if app.get("start_failed") == "fail":
        return "crashed (start failed)"
    if app.get("start_failed") == "timeout":
        return "not running (start timed out)"
    if not (app.get("droplet") or {}).get("healthy", True):
        return "unhealthy"
    return None


def _when(st: dict, t: float) -> str:
    if t <= st["clock"]:
        return f"now (t={t:g}s)"
    return (f"from t={t:g}s, when earlier route changes reach the routers "
            f"(router lag {st['router_lag_seconds']:g}s)")


def _record(st: dict, key: str | None, cause: dict, **v: object) -> None:
    if key is not None:
        if key in st["open_issues"]:
            return
        st["open_issues"].append(key)
    st["violations"].append({"kind": v["kind"], "route": v.get("route"), "app": v.get("app"),
                             "call": cause.get("call"), "argv": cause.get("argv"),
                             "time": st["clock"], "at": v.get("at", st["clock"]),
                             "message": v["message"]})


def _close(st: dict, key: str) -> None:
    if key in st["open_issues"]:
        st["open_issues"].remove(key)


def check(st: dict, cause: dict) -> None:
    """Evaluate (a) and (b) for every watched route; record new violations."""
    now = st["clock"]
    touched = st.setdefault("touched", [])
    for url in st["watched"]:
        if url not in st["armed"] and served(st, url, now):
            st["armed"].append(url)
        if url not in touched and possibly_served(st, url, now):
            touched.append(url)
        points = _check_points(st, url)
        key_a = f"unserved|{url}"
        if url in st["armed"]:
            bad = next((t for t in points if not served(st, url, t)), None)
            if bad is None:
                _close(st, key_a)
            else:
                _record(st, key_a, cause, kind="unserved", route=url, at=bad,
                        message=f"live route {url} is served by no started, healthy app "
                                f"{_when(st, bad)}")
        elif url in touched:
            if _becoming_served(st, url):
                _close(st, key_a)
            else:
                _record(st, key_a, cause, kind="unserved", route=url, at=now,
                        message=f"live route {url} may already have answered requests, "
                                f"but no started, healthy app is mapped to it any more "
                                f"{_when(st, now)}")
        seen: dict[str, tuple[float, dict, str]] = {}
        for t in points:
            for a in effective_apps(st, url, t):
                why = _bad_state(a, t)
                if why and a["guid"] not in seen:
                    seen[a["guid"]] = (t, a, why)
        prefix = f"unhealthy|{url}|"
        for k in [k for k in st["open_issues"] if k.startswith(prefix)]:
            if k[len(prefix):] not in seen:
                _close(st, k)
        for guid, (t, a, why) in seen.items():
            _record(st, prefix + guid, cause, kind="unhealthy", route=url, app=a["name"], at=t,
                    message=f"app {a['name']} is {why} but the routers send it traffic for "
                            f"live route {url} {_when(st, t)}")


def check_stop(st: dict, app: dict, how: str, cause: dict) -> None:
    """(c): ``app`` is about to be stopped/deleted; may it still receive traffic?"""
    if not S.app_running(app):
        return
    now = st["clock"]
    lag = st["router_lag_seconds"]
    for url in st["watched"]:
        guids = set(_route_guids(st, url))
        for d in st["destinations"]:
            if (d["route_guid"] in guids and d["app_guid"] == app["guid"]
                    and S.possibly_held(d, now, lag)):
                if d["unmapped_at"] is None:
                    detail = f"it is still mapped to {url}"
                else:
                    detail = (f"it was unmapped from {url} at t={d['unmapped_at']:g}s and "
                              f"routers may send it traffic until "
                              f"t={d['unmapped_at'] + lag:g}s (router lag {lag:g}s)")
                _record(st, None, cause, kind="stopped-while-routed", route=url,
                        app=app["name"], message=f"app {app['name']} was {how} at "
                                                 f"t={now:g}s while it may still receive "
                                                 f"traffic: {detail}")
                break


def snapshot(st: dict) -> tuple[dict[str, list[str]], dict[str, bool]]:
    """Apps whose mapping the routers hold, and served-ness, of each watched route now
    (for the call log)."""
    now = st["clock"]
    routes = {u: [a["name"] for a in effective_apps(st, u, now)] for u in st["watched"]}
    return routes, {u: served(st, u, now) for u in st["watched"]}
