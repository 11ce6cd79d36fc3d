"""``cf-bluegreen init`` without a manifest: a commented profile with every key."""

from __future__ import annotations

import tempfile
import tomllib
from pathlib import Path

import tomlkit

from generator.errors import InputError
from generator.init.judge import Draft, Judge, host_label, profile_stem
from generator.init.tomlwriter import inline, lines_array, new_document, quoted

TEMPLATE_APP = "my-app"
TEMPLATE_DOMAIN = "apps.example.com"


def draft_template(name: str | None) -> Draft:
    """A commented profile with every key, for an app with no manifest at hand."""
    app = name or TEMPLATE_APP
    host = host_label(app)
    document, top = new_document()
    top.comment(f"cf-bluegreen profile for app {quoted(app)}: a commented starting point "
                "from `cf-bluegreen init`. Every key but app is optional; the README "
                "explains each, and `cf-bluegreen schema` prints the JSON Schema for "
                "editors. Check it with `cf-bluegreen validate`.")
    top.blank()
    top.key("app", app, "Base name: the default colors, the staging host and the deploy lock "
                        f"({quoted(app + '-bluegreen-lock')}) are named after it.")
    top.commented_key("colors", [f"{app}-blue", f"{app}-green"],
                      "The two Cloud Foundry apps that take turns being live (the default):")
    top.commented_key("manifest", "manifest.yml",
                      "cf push --manifest (a manifest with this app alone; `cf-bluegreen init "
                      "--manifest` drafts a profile from it):")
    top.commented_key("path", "dist", "cf push --path (deploy.sh --path overrides it):")
    top.key("cf_cli", 8, "Major version of the cf CLI on the deploy host: 7 or 8 (6 for "
                         "legacy syntax).")
    top.blank()
    top.comment("[target]  # uncomment to make the scripts refuse any other API, org or space")
    top.comment('api = "https://api.example.com"')
    top.comment('org = "my-org"')
    top.comment('space = "production"')
    top.blank()
    routes = top.table("routes")
    routes.comment("The routes users reach the app on; each moves to the new color at "
                   "cutover. A worker app has no [routes] (and no [health]): delete both.")
    routes.container.add("live", lines_array([(inline(host=host, domain=TEMPLATE_DOMAIN),
                                               None)]))
    routes.key("staging", inline(host=f"{host[:55].strip('-')}-staging", domain=TEMPLATE_DOMAIN),
               "Where the new color is checked before it goes live; no other app may use it.")
    top.blank()
    services = top.table("services")
    services.commented_key("bind", ["my-db"], "Service instances bound to the new color "
                                              "before it starts:")
    top.blank()
    health = top.table("health")
    health.key("path", "/", "Probed on the staging route, then on the live routes; use your "
                            "app's health endpoint.")
    health.key("scheme", "https")
    health.key("expect_status", 200)
    health.commented_key("expect_body", "UP", "Text the body must contain:")
    health.key("timeout_seconds", 60)
    health.key("interval_seconds", 2)
    top.blank()
    cutover = top.table("cutover")
    cutover.key("settle_seconds", 5, "Wait after mapping the new color, before unmapping the "
                                     "old (routers learn routes late).")
    cutover.key("drain_seconds", 15, "Keep the old color running this long after it leaves "
                                     "the routes, for requests in flight.")
    cutover.key("retire", "stop", "stop (the warm rollback target) | delete | keep")
    cutover.key("instances", "match-live", "As many instances as the live color has, or a "
                                           "number.")
    cutover.key("verify_live", True, "Probe the live routes during the drain; switch back if "
                                     "they fail.")
    cutover.commented_key("smoke_test", 'curl -fsS "$STAGING_URL/"',
                          "A command run against the staging route before cutover:")
    cutover.commented_key("before_cutover", 'echo "switching traffic"')
    cutover.commented_key("after_cutover", 'echo "traffic switched"')
    top.blank()
    push = top.table("push")
    push.comment("cf push options, passed only when set (they override the manifest):")
    push.commented_key("buildpack", "ruby_buildpack")
    push.commented_key("docker_image", "org/image:tag", "(or a Docker image, without "
                                                        "buildpack, stack and path)")
    push.commented_key("stack", "cflinuxfs4")
    push.commented_key("memory", "256M")
    push.commented_key("disk", "1G")
    push.commented_key("timeout", 180)
    push.commented_key("vars", inline(greeting="hello"), "Manifest variables (keep secrets "
                                                          "out: deploy.sh --var/--vars-file):")
    push.commented_key("vars_files", ["vars/production.yml"])
    text = tomlkit.dumps(document)
    with tempfile.TemporaryDirectory(prefix="cf-bluegreen-init-") as folder:
        problems = Judge(Path(folder)).problems(tomllib.loads(text), "--app")
    if problems:
        raise InputError(f"--app {quoted(app)} cannot be a profile's app: {problems[0]}")
    return Draft(text, profile_stem(app))
