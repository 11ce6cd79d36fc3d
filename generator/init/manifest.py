"""A Cloud Foundry app manifest, read for ``cf-bluegreen init``.

Only what a blue-green profile can use is extracted, into :class:`ManifestApp`;
everything is type-checked on the way, so a wrong type is one clear line (file,
line, key path, what was expected) and exit status 2 rather than a surprise later.

The keys are those of the cf CLI v7/v8 app manifest (``applications:`` with
``name``, ``routes: [{route, protocol}]``, ``no-route``, ``random-route``,
``default-route``, ``services`` as names or ``{name, parameters, binding_name}``,
``instances``, ``memory``, ``disk_quota``, ``health-check-type``,
``health-check-http-endpoint``, ``timeout``, ``buildpacks``, ``docker: {image,
username}``, ``stack``, ``path``, ``processes: [{type: web, ...}]``), plus the
v6 keys people still have (``buildpack``, ``host``/``hosts``, ``domain``/
``domains``, ``no-hostname``, ``disk-quota``). ``((name))`` placeholders are cf
push variables; they are collected, and accepted where a number is expected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.errors import InputError
from generator.init.yamldoc import KeyPath, YamlDocument, read_yaml

VARIABLE = re.compile(r"\(\((!?[-/.\w]+)\)\)")
"""cf push variable interpolation, ``((name))`` (the syntax of BOSH variables)."""
HEALTH_CHECK_TYPES = ("port", "process", "http", "none")
"""``none`` is the old name of ``process``."""

# Keys cf push reads that a profile has no place for; named so the draft can say so.
_CARRIED = {
    "name", "routes", "route", "no-route", "random-route", "default-route", "services",
    "instances", "memory", "disk_quota", "disk-quota", "health-check-type",
    "health-check-http-endpoint", "timeout", "buildpacks", "buildpack", "docker", "stack",
    "path", "processes", "host", "hosts", "domain", "domains", "no-hostname",
}


@dataclass(frozen=True)
class RouteSpec:
    """One route the manifest gives the app, before it is split into host and domain.

    ``text`` is ``route:`` as written (``host.domain[:port][/path]``). Legacy
    ``host``/``domain`` keys and the default route give ``host`` and ``domain``
    instead; ``domain`` is None when it is the foundation's default domain.
    """

    origin: str
    text: str | None = None
    host: str | None = None
    domain: str | None = None
    protocol: str | None = None


@dataclass(frozen=True)
class ManifestApp:
    """What ``init`` carries from one app of a manifest into a profile."""

    source: str
    path: Path
    name: str
    app_count: int
    routes: tuple[RouteSpec, ...]
    route_keys: str
    """How the routes were given: "routes", "legacy", "default" or "none"."""
    no_route: bool
    random_route: bool
    services: tuple[str, ...]
    services_with_options: tuple[str, ...]
    instances: int | str | None
    health_check_type: str | None
    health_endpoint: str | None
    buildpacks: tuple[str, ...]
    docker_image: str | None
    docker_username: str | None
    stack: str | None
    memory: str | None
    disk: str | None
    timeout: int | str | None
    app_path: str | None
    variables: tuple[str, ...]
    other_keys: tuple[str, ...]
    legacy_keys: tuple[str, ...]
    ignored_top_level: tuple[str, ...]

    @property
    def single_app(self) -> bool:
        """``cf push COLOR --manifest`` works only when the manifest holds this app alone."""
        return self.app_count == 1


def find_manifest(path: Path) -> Path:
    """A file, or a folder holding manifest.yml / manifest.yaml, as cf push takes it."""
    if path.is_dir():
        for name in ("manifest.yml", "manifest.yaml"):
            if (path / name).is_file():
                return path / name
        raise InputError(f"{path}: folder has no manifest.yml or manifest.yaml")
    return path


def load_manifest(path: Path, app: str | None) -> ManifestApp:
    """Read the manifest at ``path`` and extract app ``app`` (or its only app)."""
    path = find_manifest(path)
    doc = read_yaml(path)
    return _Reader(doc, path).app(app)


def _show(value: object) -> str:
    """A value in a message: quoted, escaped, bounded, one line."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return '"' + text.encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"'


def _kind(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return _show(value)
    return str(value) if isinstance(value, int | float) else f"a {type(value).__name__}"


class _Reader:
    """Typed access to a parsed manifest; every mistake is one :class:`InputError`."""

    def __init__(self, doc: YamlDocument, path: Path) -> None:
        self.doc = doc
        self.path = path

    def fail(self, path: KeyPath, text: str) -> InputError:
        return InputError(f"{self.doc.where(path)}: {text}")

    def wrong(self, path: KeyPath, expected: str, value: object) -> InputError:
        return self.fail(path, f"expected {expected}, got {_kind(value)}")

    # -- typed getters (None when the key is absent or null) --------------------------
    def text(self, node: dict, path: KeyPath, key: str) -> str | None:
        value = node.get(key)
        if value is None or isinstance(value, str):
            return value
        raise self.wrong((*path, key), "text (quote numbers: \"1.10\")", value)

    def flag(self, node: dict, path: KeyPath, key: str) -> bool:
        value = node.get(key)
        if value is None or isinstance(value, bool):
            return bool(value)
        raise self.wrong((*path, key), "true or false", value)

    def number(self, node: dict, path: KeyPath, key: str) -> int | str | None:
        value = node.get(key)
        if value is None or (isinstance(value, int) and not isinstance(value, bool)
                             and value >= 0):
            return value
        if isinstance(value, str) and VARIABLE.fullmatch(value.strip()):
            return value.strip()  # a cf push variable: its value is known at push time
        raise self.wrong((*path, key), "a whole number (or a ((variable)))", value)

    def texts(self, node: dict, path: KeyPath, key: str) -> list[str]:
        value = node.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.wrong((*path, key), "a list of names", value)
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise self.wrong((*path, key, i), "text", item)
        return value

    def mapping(self, value: object, path: KeyPath, expected: str) -> dict:
        if not isinstance(value, dict):
            raise self.wrong(path, expected, value)
        return value

    def items(self, node: dict, path: KeyPath, key: str, expected: str) -> list[Any]:
        value = node.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.wrong((*path, key), expected, value)
        return value

    # -- the manifest -----------------------------------------------------------------
    def app(self, wanted: str | None) -> ManifestApp:
        top = self.doc.data
        if not isinstance(top, dict):
            raise self.fail((), "is not an app manifest: expected a mapping with "
                                f"applications:, got {_kind(top)}")
        if "applications" not in top:
            raise self.fail((), "has no applications: list (an app manifest lists its apps "
                                "under applications:)")
        apps = top["applications"]
        if not isinstance(apps, list):
            raise self.wrong(("applications",), "a list of apps", apps)
        if not apps:
            raise self.fail(("applications",), "is empty: the manifest describes no app")
        names = []
        for i, item in enumerate(apps):
            entry = self.mapping(item, ("applications", i), "an app (a mapping with name:)")
            name = self.text(entry, ("applications", i), "name")
            if not name or not name.strip():
                raise self.fail(("applications", i), "has no name:")
            names.append(name)
        index = self._choose(names, wanted)
        return self._app(apps[index], ("applications", index), len(apps), top)

    def _choose(self, names: list[str], wanted: str | None) -> int:
        listed = ", ".join(_show(name) for name in names)
        if wanted is None:
            if len(names) == 1:
                return 0
            raise InputError(f"{self.doc.source}: describes {len(names)} apps ({listed}): "
                             "choose one with --app NAME")
        if wanted in names:
            return names.index(wanted)
        raise InputError(f"{self.doc.source}: has no app named {_show(wanted)} "
                         f"(it has {listed})")

    def _app(self, entry: dict, at: KeyPath, count: int, top: dict) -> ManifestApp:
        name = self.text(entry, at, "name") or ""
        if VARIABLE.search(name):
            raise self.fail((*at, "name"), f"{_show(name)} is a cf push variable; init needs "
                                           "the app's real name (cf create-app-manifest APP "
                                           "writes the manifest of a deployed app)")
        web = self._web_process(entry, at)
        merged = {**entry, **{k: v for k, v in web.items() if k != "type"}}
        routes, route_keys = self._routes(entry, at, name)
        services, with_options = self._services(entry, at)
        docker = entry.get("docker")
        image = username = None
        if docker is not None:
            docker = self.mapping(docker, (*at, "docker"), "a mapping with image:")
            image = self.text(docker, (*at, "docker"), "image")
            username = self.text(docker, (*at, "docker"), "username")
        buildpacks = self.texts(entry, at, "buildpacks")
        legacy_buildpack = self.text(entry, at, "buildpack")
        legacy = [key for key in ("buildpack", "host", "hosts", "domain", "domains",
                                  "no-hostname", "disk-quota") if key in entry]
        health_type = self.text(merged, at, "health-check-type")
        if health_type is not None and health_type.lower() not in HEALTH_CHECK_TYPES:
            raise self.fail((*at, "health-check-type"),
                            f"{_show(health_type)} is not a health check type "
                            f"({', '.join(HEALTH_CHECK_TYPES)})")
        return ManifestApp(
            source=self.doc.source,
            path=self.path,
            name=name,
            app_count=count,
            routes=routes,
            route_keys=route_keys,
            no_route=self.flag(entry, at, "no-route"),
            random_route=self.flag(entry, at, "random-route"),
            services=services,
            services_with_options=with_options,
            instances=self.number(merged, at, "instances"),
            health_check_type=health_type.lower() if health_type else None,
            health_endpoint=self.text(merged, at, "health-check-http-endpoint"),
            buildpacks=tuple(buildpacks or ([legacy_buildpack] if legacy_buildpack else [])),
            docker_image=image,
            docker_username=username,
            stack=self.text(entry, at, "stack"),
            memory=self.text(merged, at, "memory"),
            disk=self.text(merged, at, "disk_quota") or self.text(merged, at, "disk-quota"),
            timeout=self.number(merged, at, "timeout"),
            app_path=self.text(entry, at, "path"),
            variables=_variables([top.get(k) for k in top if k != "applications"] + [entry]),
            other_keys=tuple(str(k) for k in entry if k not in _CARRIED),
            legacy_keys=tuple(legacy),
            ignored_top_level=tuple(str(k) for k in top if k not in ("applications", "version")),
        )

    def _web_process(self, entry: dict, at: KeyPath) -> dict:
        """``processes: [{type: web, ...}]`` settings override the app's own for web."""
        for i, item in enumerate(self.items(entry, at, "processes", "a list of processes")):
            process = self.mapping(item, (*at, "processes", i), "a process (a mapping)")
            if self.text(process, (*at, "processes", i), "type") == "web":
                for key in ("instances", "timeout"):
                    self.number(process, (*at, "processes", i), key)
                for key in ("memory", "disk_quota", "health-check-type",
                            "health-check-http-endpoint"):
                    self.text(process, (*at, "processes", i), key)
                return process
        return {}

    def _services(self, entry: dict, at: KeyPath) -> tuple[tuple[str, ...], tuple[str, ...]]:
        names: list[str] = []
        with_options: list[str] = []
        for i, item in enumerate(self.items(entry, at, "services", "a list of services")):
            where = (*at, "services", i)
            if isinstance(item, dict):
                name = self.text(item, where, "name")
                if not name:
                    raise self.fail(where, "a service given as a mapping needs name:")
                if any(key in item for key in ("parameters", "binding_name")):
                    with_options.append(name)
            elif isinstance(item, str):
                name = item
            else:
                raise self.wrong(where, "a service name or a mapping with name:", item)
            if name not in names:
                names.append(name)
        return tuple(names), tuple(with_options)

    def _routes(self, entry: dict, at: KeyPath, name: str) -> tuple[tuple[RouteSpec, ...], str]:
        """The routes cf push would give the app, from whichever keys the manifest uses."""
        legacy = any(key in entry for key in ("host", "hosts", "domain", "domains",
                                               "no-hostname"))
        if "routes" in entry and legacy:
            raise self.fail(at, "has both routes: and the v6 keys host/domain, which cf push "
                                "refuses together; keep routes:")
        if self.flag(entry, at, "no-route"):
            if entry.get("routes"):
                raise self.fail((*at, "no-route"), "is true but routes: are listed too; "
                                                   "say which one is meant")
            return (), "none"
        if "routes" in entry:
            specs = []
            for i, item in enumerate(self.items(entry, at, "routes", "a list of routes")):
                where = (*at, "routes", i)
                route = self.mapping(item, where, "a mapping with route:")
                text = self.text(route, where, "route")
                if not text:
                    raise self.fail(where, "has no route:")
                specs.append(RouteSpec(f"routes[{i}]", text=text,
                                       protocol=self.text(route, where, "protocol")))
            if specs:
                return tuple(specs), "routes"
        if legacy:
            return self._legacy_routes(entry, at, name), "legacy"
        if self.flag(entry, at, "random-route"):
            return (), "random"
        return (RouteSpec("default route", host=name),), "default"

    def _legacy_routes(self, entry: dict, at: KeyPath, name: str) -> tuple[RouteSpec, ...]:
        """v6 semantics: every host on every domain; no host -> the app name; no domain ->
        the default domain; ``no-hostname: true`` -> the domains themselves."""
        hosts = [h for h in [self.text(entry, at, "host"), *self.texts(entry, at, "hosts")] if h]
        domains = [d for d in [self.text(entry, at, "domain"),
                               *self.texts(entry, at, "domains")] if d]
        if self.flag(entry, at, "no-hostname"):
            hosts = [""]
        origin = "host/domain"
        return tuple(RouteSpec(origin, host=host or None, domain=domain)
                     for domain in (domains or [None]) for host in (hosts or [name]))


def _variables(values: list[Any]) -> tuple[str, ...]:
    """Every ``((name))`` in the given values, in order of first appearance."""
    found: dict[str, None] = {}
    stack = list(reversed(values))
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            for match in VARIABLE.finditer(value):
                found.setdefault(match.group(1))
        elif isinstance(value, dict):
            stack.extend(reversed([*map(str, value), *value.values()]))
        elif isinstance(value, list):
            stack.extend(reversed(value))
    return tuple(found)
