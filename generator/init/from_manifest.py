"""``cf-bluegreen init --manifest``: draft a profile from one app of a manifest.

Every choice is written with a comment that says where it came from, and
anything the profile cannot take (a TCP route, a variable, a size the cf CLI
would refuse) is shown commented out with the reason, never silently dropped.
"""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import tomlkit

from generator.errors import BlueGreenError, InputError
from generator.init.judge import Draft, Judge, profile_stem, route_parts
from generator.init.manifest import VARIABLE, ManifestApp
from generator.init.routes import carry_routes, staging_route
from generator.init.tomlwriter import Section, inline, lines_array, new_document, quoted, toml_value


def draft_from_manifest(app: ManifestApp, manifest_arg: str,
                        domains: tuple[str, ...] = ()) -> Draft:
    """The profile for ``app`` (from the manifest the user named as ``manifest_arg``)."""
    with tempfile.TemporaryDirectory(prefix="cf-bluegreen-init-") as folder:
        judge = Judge(Path(folder))
        problem = judge.why_not(app.name)
        if problem is not None:
            raise InputError(f"{app.source}: app name {quoted(app.name)} cannot be a profile's "
                             f"app: {problem}")
        draft = _ManifestDraft(app, manifest_arg, domains, judge).write()
        final = judge.problems(tomllib.loads(draft.text), display="draft")
    if final:  # pragma: no cover - every value was judged above; this is the safety net
        raise BlueGreenError("init drafted a profile that does not validate (please report "
                             "this): " + "; ".join(final))
    return draft


class _ManifestDraft:
    """Writes the sections of one profile drafted from one manifest app."""

    def __init__(self, app: ManifestApp, manifest_arg: str, domains: tuple[str, ...],
                 judge: Judge) -> None:
        self.app = app
        self.manifest_arg = manifest_arg
        self.judge = judge
        self.routes = carry_routes(app, domains, judge)
        self.live = [route.value for route in self.routes if route.value]
        self.warnings: list[str] = []
        self.uses_manifest = app.single_app and judge.why_not(
            app.name, manifest=manifest_arg) is None

    def write(self) -> Draft:
        document, top = new_document()
        self._header(top)
        self._names(top)
        self._target(top)
        if self.live:
            self._routes(top)
        else:
            top.blank().comment("No [routes]: the manifest gives the app no HTTP route "
                                "(no-route: true), so it is a worker: the new color starts, "
                                "then the old one is retired.")
        self._services(top)
        if self.live:
            self._health(top)
        self._cutover(top)
        self._push(top)
        return Draft(tomlkit.dumps(document), profile_stem(self.app.name), self.warnings)

    def warn(self, text: str) -> None:
        self.warnings.append(text)

    def _header(self, top: Section) -> None:
        app = self.app
        top.comment(f"cf-bluegreen profile for app {quoted(app.name)}, drafted by "
                    f"`cf-bluegreen init` from {app.source}.")
        top.comment("Each setting says where it came from; review them, then run "
                    "`cf-bluegreen validate` and `cf-bluegreen generate`.")
        if not app.single_app:
            text = (f"{app.source} describes {app.app_count} apps, and `cf push COLOR "
                    "--manifest` needs a manifest that holds this app alone: put it in a "
                    "manifest of its own and set manifest = below. Until then cf push does "
                    "not see its env, command or other manifest settings (and fails if a "
                    "manifest.yml with several apps is where deploy.sh runs).")
            top.comment("WARNING: " + text)
            self.warn(text)
        if app.legacy_keys:
            text = (f"{app.source} uses keys of cf CLI v6 ({', '.join(app.legacy_keys)}), "
                    "which cf v7 and v8 refuse: move them to routes: and buildpacks:, or "
                    "set cf_cli = 6.")
            top.comment("NOTE: " + text)
            self.warn(text)
        if app.ignored_top_level:
            top.comment(f"NOTE: only what applications: says about this app is carried; "
                        f"the top-level {', '.join(map(quoted, app.ignored_top_level))} of "
                        f"{app.source} is not (except through YAML aliases).")

    def _names(self, top: Section) -> None:
        app = self.app
        top.blank()
        top.key("app", app.name, f"The app's name in {app.source}. The deploy lock is an app "
                                 f"named {quoted(app.name + '-bluegreen-lock')}.")
        green = f"{app.name}-green"
        moves = "moves the routes to it " if self.live else "starts it "
        top.key("colors", [app.name, green],
                "The two apps that take turns being live. The first is the app this manifest "
                f"pushes today, so a running one is adopted: the first deploy pushes "
                f"{quoted(green)} beside it, {moves}and keeps the first stopped as the "
                "rollback target. For a new app you may prefer colors = "
                f"{toml_value([app.name + '-blue', green])}.")
        if self.uses_manifest:
            top.key("manifest", self.manifest_arg,
                    "cf push --manifest, relative to where deploy.sh runs: it holds this app "
                    "alone, so cf push reads its env, command, buildpacks, memory and the rest "
                    "from it. (deploy.sh --manifest overrides it.)")
        elif app.single_app:
            top.comment(f"manifest: {quoted(self.manifest_arg)} cannot be passed to cf push "
                        "as written; set manifest = to its path.")
        else:
            top.commented_key("manifest", f"manifest-{profile_stem(app.name)}.yml",
                              "Set this once the app has a manifest of its own (see WARNING).")
        if not self.uses_manifest and app.app_path and not app.docker_image:
            self._app_path(top)
        top.key("cf_cli", 8, "Major version of the cf CLI on the deploy host: 7 or 8 "
                             "(6 for legacy syntax).")

    def _app_path(self, top: Section) -> None:
        """Without the manifest, cf push must be told the manifest's path: (relative to it)."""
        base = os.path.dirname(self.manifest_arg)
        bits = os.path.normpath(os.path.join(base, self.app.app_path or ""))
        if self.judge.why_not(self.app.name, path=bits) is None:
            top.key("path", bits, f"The manifest's path: {quoted(self.app.app_path or '')}, "
                                  "relative to where deploy.sh runs.")

    def _target(self, top: Section) -> None:
        top.blank()
        top.comment("[target]  # uncomment to make the scripts refuse any other API, org or "
                    "space")
        top.comment('api = "https://api.example.com"')
        top.comment('org = "my-org"')
        top.comment('space = "production"')

    def _routes(self, top: Section) -> None:
        top.blank()
        table = top.table("routes")
        how = {"routes": "routes:", "legacy": "the v6 keys host/domain",
               "default": "the default route cf push gives the app"}[self.app.route_keys]
        table.comment(f"From {how} in {self.app.source}. Where the host ends and the domain "
                      "begins is not written in a manifest (cf push asks the foundation): "
                      "each route was split at a --domain you gave, else at the first dot, "
                      "and a name of two labels read as an apex route. Check them against "
                      "`cf domains`.")
        items = [(inline(**route.value), f"{route.spec.origin}: {route.shown}"
                  + (f" ({route.note})" if route.note else ""))
                 for route in self.routes if route.value]
        table.container.add("live", lines_array(items))
        for route in self.routes:
            if route.value is None:
                text = (f"{route.spec.origin} {quoted(route.shown)}: {route.reason}. It stays "
                        "on the old color and is no longer served once that color is "
                        "stopped: serve it some other way.")
                table.comment("NOT CARRIED: " + text)
                self.warn("route not carried: " + text)
        staging = staging_route(self.app.name, self.live)
        table.key("staging", inline(**staging),
                  "Not in the manifest: the new color is checked on this route before it goes "
                  "live. It must be a route no other app uses (`cf check-route "
                  f"{staging['domain']} --hostname {staging['host']}`).")

    def _services(self, top: Section) -> None:
        app = self.app
        if not app.services:
            return
        top.blank()
        table = top.table("services")
        good, bad = [], []
        for name in app.services:
            reason = self.judge.why_not(app.name, services={"bind": [name]})
            (bad if reason else good).append((name, reason))
        note = (f"From services: in {app.source}; bound to the new color before it starts "
                "(cf push binds them too when it reads the manifest).")
        if app.services_with_options:
            several = len(app.services_with_options) > 1
            note += (f" {', '.join(map(quoted, app.services_with_options))} "
                     f"{'have' if several else 'has'} parameters or a binding name in the "
                     "manifest, which `cf bind-service` here does not pass: cf push must "
                     f"bind {'them' if several else 'it'} first.")
        if good:
            table.key("bind", [name for name, _ in good], note)
        else:
            table.comment(note)
        for name, reason in bad:
            table.comment(f"NOT CARRIED: service {quoted(name)}: the profile refuses it: "
                          f"{reason}")

    def _health(self, top: Section) -> None:
        app = self.app
        top.blank()
        table = top.table("health")
        path, note = "/", None
        if app.health_check_type == "http":
            endpoint = app.health_endpoint or "/"
            reason = self.judge.why_not(app.name, **route_parts(self.live[0]),
                                        health={"path": endpoint})
            if reason is None:
                path = endpoint
                note = ("From health-check-type: http"
                        + (f" and health-check-http-endpoint: {quoted(endpoint)}"
                           if app.health_endpoint else " (endpoint /)")
                        + f" in {app.source}: probed on the staging route, then the live ones.")
            else:
                note = (f"health-check-http-endpoint {quoted(endpoint)} cannot be probed "
                        f"({reason}); set the path of your app's health endpoint.")
        else:
            kind = app.health_check_type or "port (the default)"
            note = (f"The manifest's health check is {kind}, which calls an app healthy as "
                    "soon as it listens. The scripts probe over HTTP: set the path of your "
                    "app's health endpoint (it must answer expect_status).")
        table.key("path", path, note)
        table.key("scheme", "https", "How the routes are probed: https, or http for a domain "
                                     "without TLS.")
        table.commented_key("expect_status", 200)
        table.commented_key("expect_body", "UP", "Text the body must contain, if any:")
        table.commented_key("timeout_seconds", 60, "How long to keep probing a started color:")

    def _cutover(self, top: Section) -> None:
        app = self.app
        top.blank()
        table = top.table("cutover")
        if isinstance(app.instances, int):
            how_many = (f"{app.source} asks for {app.instances} instance"
                        f"{'' if app.instances == 1 else 's'}: the first deploy gets them")
        elif app.instances:
            how_many = f"{app.source} takes the instance count from {app.instances}: the " \
                       "first deploy gets it"
        else:
            how_many = "The first deploy gets cf push's default (the manifest's, or 1)"
        table.key("instances", "match-live",
                  f"{how_many}; later deploys give the new color as many instances as the "
                  "live one has, so cf scale and autoscalers are kept. A number forces one.")
        table.key("retire", "stop", "The old color is stopped, and stays as the warm rollback "
                                    "target (delete frees its quota, keep leaves it running).")
        if self.live:
            table.commented_key("settle_seconds", 5, "Defaults, for tuning:")
            table.commented_key("drain_seconds", 15)
            table.commented_key("smoke_test", 'curl -fsS "$STAGING_URL/"',
                                "A command run against the staging route before cutover:")

    def _push(self, top: Section) -> None:
        values = self._push_values()
        notes = self._push_notes()
        if not (values or notes or self.app.variables or self.app.other_keys):
            return
        top.blank()
        table = top.table("push")
        if self.uses_manifest:
            table.comment(f"cf push reads these from {self.app.source}; uncomment one only to "
                          "override the manifest.")
            for key, value, _ in values:
                table.commented_key(key, value)
        else:
            table.comment("From the manifest (which cf push does not read here):")
            for key, value, reason in values:
                if reason:
                    table.commented_key(key, value, f"Not in effect: {reason}")
                else:
                    table.key(key, value)
        for key, value, note in notes:
            table.commented_key(key, value, note)
        self._variables(table)
        self._other_keys(table)

    def _push_values(self) -> list[tuple[str, Any, str | None]]:
        """(key, value, why it cannot be used or None), from the manifest."""
        app = self.app
        values: list[tuple[str, Any]] = []
        if app.docker_image:
            values.append(("docker_image", app.docker_image))
        elif len(app.buildpacks) == 1:
            values.append(("buildpack", app.buildpacks[0]))
        if app.stack and not app.docker_image:
            values.append(("stack", app.stack))
        for key, value in (("memory", app.memory), ("disk", app.disk),
                           ("timeout", app.timeout)):
            if value is not None:
                values.append((key, value))
        result = []
        for key, value in values:
            if isinstance(value, str) and VARIABLE.search(value):
                result.append((key, value, "a cf push variable; cf push fills it in from the "
                                           "manifest, not from a flag"))
                continue
            reason = self.judge.why_not(app.name, push={key: value})
            result.append((key, value, reason))
        return result

    def _push_notes(self) -> list[tuple[str, Any, str]]:
        app = self.app
        notes = []
        if len(app.buildpacks) > 1:
            notes.append(("buildpack", app.buildpacks[-1],
                          f"The manifest lists {len(app.buildpacks)} buildpacks "
                          f"({', '.join(map(quoted, app.buildpacks))}); push.buildpack takes "
                          "one and would replace them all, so it is left to the manifest."))
        if app.docker_username:
            notes.append(("docker_image", app.docker_image or "",
                          f"The Docker image is pulled as {quoted(app.docker_username)}: the "
                          "deploy host needs CF_DOCKER_PASSWORD set."))
        return notes

    def _variables(self, table: Section) -> None:
        names = self.app.variables
        if not names:
            return
        shown = ", ".join(f"(({name}))" for name in names)
        table.comment(f"The manifest uses cf push variables {shown}. Give their values when "
                      "deploying (deploy.sh --var NAME=VALUE or --vars-file FILE: keep secrets "
                      "out of the profile), or here:")
        table.commented_key("vars_files", ["vars/production.yml"])
        first = next((n for n in names if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", n)), None)
        if first:
            table.commented_key("vars", inline(**{first: "..."}))

    def _other_keys(self, table: Section) -> None:
        others = [key for key in self.app.other_keys if key not in ("env",)] + (
            ["env"] if "env" in self.app.other_keys else [])
        if not others:
            return
        if self.uses_manifest:
            table.comment(f"Also in the manifest, read by cf push from there: "
                          f"{', '.join(others)}.")
        else:
            text = (f"Also in the manifest, and NOT applied while cf push does not read it: "
                    f"{', '.join(others)}.")
            table.comment(text)
            self.warn(text)
