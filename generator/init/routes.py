"""A manifest's routes as profile routes: split, checked, or left out with the reason.

A route that cannot be a live route (TCP, internal, a variable, a wildcard) is
never silently dropped: it is reported, because after the first cutover it stays
on the old color, which is then stopped.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.errors import InputError
from generator.init.judge import Judge, host_label, route_parts
from generator.init.manifest import VARIABLE, ManifestApp, RouteSpec
from generator.init.tomlwriter import quoted


@dataclass(frozen=True)
class CarriedRoute:
    """A manifest route carried into the profile, or left out with the reason."""

    spec: RouteSpec
    shown: str
    value: dict[str, str] | None = None
    reason: str | None = None
    note: str = ""
    """How the host/domain split was decided, when it was not plain."""


def _split(text: str, domains: tuple[str, ...]) -> tuple[dict[str, str] | None, str]:
    """``host.domain/path`` -> (parts, note), or (None, the reason it is no HTTP route).

    Which part is the domain cannot be known from the text alone (cf push asks
    the foundation). Known ``--domain`` names win (the longest that matches);
    otherwise two labels are an apex route and longer names split at the first
    dot. The note says when that was a guess worth checking.
    """
    if VARIABLE.search(text):
        return None, "it holds a cf push variable; write the route as deployed"
    if "://" in text:
        return None, "a route is host.domain/path, without a scheme"
    fqdn, slash, path = text.strip().partition("/")
    path = f"/{path}".rstrip("/") if slash else ""
    if ":" in fqdn:
        return None, "a TCP route (host:port); blue-green here moves HTTP routes only"
    fqdn = fqdn.rstrip(".")
    parts: dict[str, str] | None = None
    for domain in sorted(domains, key=len, reverse=True):
        if fqdn.lower() == domain.lower():
            parts = {"domain": fqdn}
            break
        if fqdn.lower().endswith("." + domain.lower()):
            parts = {"host": fqdn[: -len(domain) - 1], "domain": fqdn[-len(domain):]}
            break
    note = ""
    if parts is None:
        labels = fqdn.split(".")
        if len(labels) < 2:
            return None, "it names no domain (host.domain)"
        parts = ({"domain": fqdn} if len(labels) == 2
                 else {"host": labels[0], "domain": ".".join(labels[1:])})
        if len(labels) == 2:
            note = "read as an apex route: no host"
        elif domains:
            note = "no --domain matched: split at the first dot"
    if path:
        parts["path"] = path
    if parts["domain"].lower() == "internal" or parts["domain"].lower().endswith(".internal"):
        return None, ("an internal route (container-to-container), which the deploy host "
                      "cannot probe")
    return parts, note


def _carry_route(spec: RouteSpec, app: ManifestApp, domains: tuple[str, ...],
                 judge: Judge) -> CarriedRoute:
    if spec.text is not None:
        shown = spec.text
        if spec.protocol and spec.protocol.lower() not in ("http1", "http"):
            kind = "a TCP route" if spec.protocol.lower() == "tcp" else \
                f"a {spec.protocol} route"
            return CarriedRoute(spec, shown, reason=f"{kind}; the scripts map HTTP/1.1 routes only "
                                             "(cf map-route without --app-protocol)")
        parts, note = _split(spec.text, domains)
        if parts is None:
            return CarriedRoute(spec, shown, reason=note)
    else:
        domain = spec.domain or (domains[0] if domains else None)
        if domain is None:
            raise InputError(_needs_domain(app, spec))
        host = host_label(spec.host) if spec.origin == "default route" else spec.host
        parts = {"domain": domain} if not host else {"host": host, "domain": domain}
        shown = f"{host}.{domain}" if host else domain
        note = ""
    problem = judge.why_not(app.name, **route_parts(parts))
    if problem is not None:
        return CarriedRoute(spec, shown, reason=f"the profile refuses it: {problem}")
    return CarriedRoute(spec, shown, value=parts, note=note)


def _needs_domain(app: ManifestApp, spec: RouteSpec) -> str:
    what = (f"gets the default route {quoted(host_label(app.name))} on the foundation's "
            "default domain (no routes: and no no-route: true)"
            if spec.origin == "default route" else
            f"gives host {quoted(spec.host or '')} without a domain (the default domain)")
    return (f"{app.source}: app {quoted(app.name)} {what}; pass --domain with that domain "
            "(the first shared domain in `cf domains`), or list the routes under routes: "
            "(`cf create-app-manifest APP` writes them as deployed), or set no-route: true "
            "for a worker")


def carry_routes(app: ManifestApp, domains: tuple[str, ...], judge: Judge) -> list[CarriedRoute]:
    if app.route_keys == "random":
        raise InputError(f"{app.source}: app {quoted(app.name)} has random-route: true, which "
                         "gives it a random host name; blue-green needs fixed live routes: "
                         "list them under routes: (`cf app APP` shows the route it has now)")
    routes = [_carry_route(spec, app, domains, judge) for spec in app.routes]
    if routes and not any(route.value for route in routes):
        reasons = "; ".join(f"{r.spec.origin}: {r.reason}" for r in routes[:3])
        raise InputError(f"{app.source}: app {quoted(app.name)} has routes, but none can be a "
                         f"live route ({reasons}); a profile without live routes is a worker "
                         "and would leave them unserved")
    return routes


def staging_route(app: str, live: list[dict[str, str]]) -> dict[str, str]:
    """``<app>-staging`` on the first live domain, made a valid host and kept off live."""
    base = host_label(app)[:55].strip("-") or "app"
    taken = {(r.get("host", "").lower(), r["domain"].lower()) for r in live}
    domain = live[0]["domain"]
    for n in range(1, 100):
        host = f"{base}-staging" + (f"-{n}" if n > 1 else "")
        if (host, domain.lower()) not in taken:
            break
    return {"host": host, "domain": domain}
