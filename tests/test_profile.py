"""Profiles: the examples load to the expected model; every rule has its exact message.

Messages are asserted in full because they are the user interface of a bad profile:
``FILE: key.path: what is wrong (what is allowed)``, one per problem, in document order.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.errors import ProfileError
from generator.model import Cutover, Health, PushOptions, Route, Target
from generator.profile import find_profiles, load_profile, profile_json_schema, validate_mapping

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "profiles"
BAD = Path(__file__).resolve().parent / "profiles_bad"
SRC = "profiles/x.toml"
ROUTE = '[routes]\nlive = [{ host = "demo", domain = "example.com" }]\n'
NAME = "printable characters, no leading or trailing whitespace, at most 255 characters"
APP = (
    "printable characters, no leading or trailing whitespace, at most 240 characters, "
    "so that '<app>-bluegreen-lock' fits in 255"
)
FLAG = (
    "starts with '-', which the cf CLI would read as a flag (a value that does not start with '-')"
)
HOST = "letters, digits, '_' and '-', at most 63 characters"
DOMAIN = (
    "DNS labels of letters, digits and '-', not starting or ending with '-', "
    "at most 63 characters each, at least one dot, at most 253 characters"
)
RPATH = (
    "empty, or '/' followed by URI path characters; not '/' alone, "
    "no '?' or whitespace, at most 128 characters"
)
HPATH = "'/' followed by URI path characters, optionally '?query', at most 1024 characters"
TOP_KEYS = "app, colors, manifest, path, cf_cli, target, routes, services, health, cutover, push"
WORKER_HEALTH = "which has no HTTP route to check"
WORKER_HEALTH_FIX = (
    "remove it: a worker is healthy when every instance runs; "
    "health.timeout_seconds and health.interval_seconds bound that wait"
)
DOCKER = (
    "cannot be combined with push.docker_image "
    "(cf push takes a Docker image, or app bits with a buildpack and stack)"
)


def live(*routes: str) -> str:
    """A profile for app "demo" with these live routes (inline TOML tables)."""
    return f'app = "demo"\n[routes]\nlive = [{", ".join(routes)}]\n'


def route(host: str = "h", domain: str = "example.com", path: str | None = None) -> str:
    """One route as an inline TOML table."""
    extra = "" if path is None else f", path = {json.dumps(path)}"
    return f"{{ host = {json.dumps(host)}, domain = {json.dumps(domain)}{extra} }}"


def problems_of(toml_text: str) -> list[str]:
    """The problem lines for a document, without the ``FILE: `` prefix."""
    with pytest.raises(ProfileError) as info:
        validate_mapping(tomllib.loads(toml_text), SRC, "x", "0" * 64)
    assert all(line.startswith(f"{SRC}: ") for line in info.value.problems)
    return [line.removeprefix(f"{SRC}: ") for line in info.value.problems]


def accepted(toml_text: str) -> Any:
    return validate_mapping(tomllib.loads(toml_text), SRC, "x", "0" * 64)


# --- the example profiles ---------------------------------------------------------


def test_examples_are_the_four_documented_ones() -> None:
    names = [p.name for p in find_profiles([EXAMPLES])]
    assert names == ["minimal.toml", "shop.toml", "sinatra.toml", "worker.toml"]
    for path in find_profiles([EXAMPLES]):
        assert path.read_text().startswith("# "), f"{path.name} lacks its comment header"


def test_sinatra_example() -> None:
    path = EXAMPLES / "sinatra.toml"
    profile = load_profile(path)
    assert profile.name == "sinatra"
    assert profile.source_hash == hashlib.sha256(path.read_bytes()).hexdigest()
    assert profile.app == "sinatra"
    assert profile.colors == ("sinatra_a", "sinatra_b")
    assert profile.path == "app"
    assert profile.live_routes == (Route("sinatralive", "example.com"),)
    assert profile.staging_route == Route("sinatrastaging", "example.com")
    assert profile.health.path == "/"
    assert profile.health.expect_body == "Sinatra"
    assert not profile.is_worker


def test_shop_example() -> None:
    profile = load_profile(EXAMPLES / "shop.toml", display_name="shop")
    assert profile.cf_cli == 7
    assert profile.target == Target("https://api.example.com", "demo-org", "production")
    assert profile.live_routes == (
        Route("shop", "example.com"),
        Route("www", "example.org", "/shop"),
    )
    assert profile.live_routes[1].url == "www.example.org/shop"
    assert profile.services == ("shop-db", "shop-cache")
    assert profile.health.path == "/health"
    assert profile.cutover.retire == "keep"
    assert profile.cutover.smoke_test == 'curl -fsS "$STAGING_URL/cart" >/dev/null'
    assert profile.cutover.instances is None  # "match-live"
    assert profile.push.vars == (("node_env", "production"),)
    assert profile.push.vars_files == ("vars/production.yml",)
    assert profile.push.timeout == 180


def test_minimal_example_relies_on_defaults() -> None:
    profile = load_profile(EXAMPLES / "minimal.toml")
    assert profile.colors == ("minimal-blue", "minimal-green")
    assert profile.staging_route == Route("minimal-staging", "example.com")
    assert profile.cf_cli == 8
    assert (profile.manifest, profile.path, profile.services) == (None, None, ())
    assert profile.target == Target()
    assert profile.health == Health()
    assert profile.cutover == Cutover()
    assert profile.push == PushOptions()


def test_worker_example_has_no_routes() -> None:
    profile = load_profile(EXAMPLES / "worker.toml")
    assert profile.app == "invoice-worker"
    assert profile.is_worker
    assert profile.staging_route is None
    assert profile.services == ("invoices-db", "invoices-queue")
    assert profile.cutover.instances == 2


def test_defaults_and_accepted_edge_values() -> None:
    profile = accepted(
        live(route(path="/a/$&'()*;=!:@~%41")).replace("\n", "\ncf_cli = 6\n", 1)
        + '[health]\npath = "/health?full=1&x=/y"\n'
        + '[cutover]\ninstances = 1000\nsmoke_test = """\nset -e\ncurl "$STAGING_URL"\n"""\n'
        + '[push]\nmemory = "256mb"\ndisk = "2G"\nvars = { java_opts = "-Xmx512m" }\n'
    )
    assert profile.cf_cli == 6
    assert profile.live_routes[0].path == "/a/$&'()*;=!:@~%41"
    assert profile.health.path == "/health?full=1&x=/y"
    assert profile.cutover.instances == 1000
    assert profile.cutover.smoke_test == 'set -e\ncurl "$STAGING_URL"\n'
    assert profile.push.memory == "256mb"
    # The flag value is "java_opts=-Xmx512m": it starts with the name, never with '-'.
    assert profile.push.vars == (("java_opts", "-Xmx512m"),)


def test_apex_routes_are_accepted() -> None:
    profile = accepted(
        live('{ domain = "example.org" }', '{ host = "", domain = "example.org", path = "/shop" }')
    )
    assert profile.live_routes == (Route("", "example.org"), Route("", "example.org", "/shop"))
    assert [route.url for route in profile.live_routes] == ["example.org", "example.org/shop"]
    assert profile.staging_route == Route("demo-staging", "example.org")
    staged = accepted('app = "demo"\n' + ROUTE + 'staging = { domain = "staging.example.com" }')
    assert staged.staging_route == Route("", "staging.example.com")


# --- one rule, one exact message --------------------------------------------------

CASES: list[tuple[str, str, str]] = [
    # app
    (
        "app-missing",
        'colors = ["a", "b"]',
        'app: required key is missing (the base name of the app, e.g. app = "sinatra")',
    ),
    ("app-type", "app = 5", f"app: expected a string, got 5 ({APP})"),
    ("app-empty", 'app = ""', f'app: "" is empty ({APP})'),
    ("app-space", 'app = " demo"', f'app: " demo" has leading or trailing whitespace ({APP})'),
    (
        "app-unprintable",
        'app = "de\\u0007mo"',
        f'app: "de\\u0007mo" contains a non-printable character ({APP})',
    ),
    ("app-newline", 'app = "de\\nmo"', f'app: "de\\nmo" contains a line break ({APP})'),
    ("app-nul", 'app = "de\\u0000mo"', f'app: "de\\u0000mo" contains a NUL character ({APP})'),
    ("app-long", f'app = "{"a" * 241}"', f'app: "{"a" * 57}..." is 241 characters long ({APP})'),
    ("app-flag", 'app = "-demo"', f'app: "-demo" {FLAG}'),
    # colors
    (
        "colors-count",
        'app = "demo"\ncolors = ["a"]',
        "colors: has 1 item (exactly two different app names)",
    ),
    (
        "colors-type",
        'app = "demo"\ncolors = "a"',
        'colors: expected an array, got "a" (exactly two different app names)',
    ),
    (
        "colors-same",
        'app = "demo"\ncolors = ["demo_a", "Demo_A"]',
        'colors[1]: "Demo_A" is the same app name as colors[0] '
        "(two different app names; Cloud Foundry ignores case)",
    ),
    (
        "colors-lock",
        'app = "demo"\ncolors = ["a", "demo-bluegreen-lock"]',
        'colors[1]: "demo-bluegreen-lock" is the name of the deploy lock app '
        '(any app name but "demo-bluegreen-lock")',
    ),
    (
        "colors-same-exact",
        'app = "demo"\ncolors = ["demo_a", "demo_a"]',
        'colors[1]: "demo_a" is the same app name as colors[0] '
        "(two different app names; Cloud Foundry ignores case)",
    ),
    ("colors-flag", 'app = "demo"\ncolors = ["-a", "b"]', f'colors[0]: "-a" {FLAG}'),
    (
        "colors-long",
        f'app = "demo"\ncolors = ["a", "{"b" * 256}"]',
        f'colors[1]: "{"b" * 57}..." is 256 characters long ({NAME})',
    ),
    # manifest, path, cf_cli
    ("manifest-flag", 'app = "demo"\nmanifest = "-f"', f'manifest: "-f" {FLAG}'),
    ("manifest-empty", 'app = "demo"\nmanifest = ""', 'manifest: "" is empty (a file path)'),
    (
        "path-newline",
        'app = "demo"\npath = "a\\nb"',
        'path: "a\\nb" contains a line break (a directory or archive path)',
    ),
    ("cf-cli-choice", 'app = "demo"\ncf_cli = 9', "cf_cli: 9 is not a valid choice (6, 7 or 8)"),
    (
        "cf-cli-string",
        'app = "demo"\ncf_cli = "8"',
        'cf_cli: expected an integer, got "8" (6, 7 or 8)',
    ),
    (
        "cf-cli-bool",
        'app = "demo"\ncf_cli = true',
        "cf_cli: expected an integer, got true (6, 7 or 8)",
    ),
    # target
    (
        "api-scheme",
        'app = "demo"\n[target]\napi = "ftp://api.example.com"',
        'target.api: "ftp://api.example.com" is not an http:// or https:// URL '
        "(an http:// or https:// URL, e.g. https://api.example.com)",
    ),
    (
        "org-long",
        f'app = "demo"\n[target]\norg = "{"o" * 256}"',
        f'target.org: "{"o" * 57}..." is 256 characters long ({NAME})',
    ),
    (
        "space-trailing",
        'app = "demo"\n[target]\nspace = "prod "',
        f'target.space: "prod " has leading or trailing whitespace ({NAME})',
    ),
    ("org-flag", 'app = "demo"\n[target]\norg = "-o"', f'target.org: "-o" {FLAG}'),
    # route host
    (
        "host-invalid",
        live(route("bad host")),
        f'routes.live[0].host: "bad host" is not a valid host name ({HOST})',
    ),
    (
        "host-unicode",
        live(route("caf\u00e9")),
        f'routes.live[0].host: "caf\u00e9" is not a valid host name ({HOST})',
    ),
    (
        "host-wildcard",
        live(route("*")),
        f'routes.live[0].host: "*" is a wildcard host, which cannot be health-checked ({HOST})',
    ),
    (
        "host-long",
        live(route("h" * 64)),
        f'routes.live[0].host: "{"h" * 57}..." is 64 characters long ({HOST})',
    ),
    ("host-flag", live(route("-h")), f'routes.live[0].host: "-h" {FLAG}'),
    # route domain
    (
        "domain-no-dot",
        live(route(domain="localhost")),
        f'routes.live[0].domain: "localhost" is not a valid domain ({DOMAIN})',
    ),
    (
        "domain-dash",
        live(route(domain="-example.com")),
        f'routes.live[0].domain: "-example.com" is not a valid domain ({DOMAIN})',
    ),
    (
        "domain-label",
        live(route(domain="d" * 64 + ".com")),
        f'routes.live[0].domain: "{"d" * 57}..." is not a valid domain ({DOMAIN})',
    ),
    (
        "domain-long",
        live(route(domain=("d" * 63 + ".") * 4 + "com")),
        f'routes.live[0].domain: "{"d" * 57}..." is 259 characters long ({DOMAIN})',
    ),
    (
        "domain-missing",
        'app = "demo"\n[routes]\nlive = [{ host = "h" }]',
        f"routes.live[0].domain: required key is missing ({DOMAIN})",
    ),
    (
        "fqdn-long",
        live(route("h" * 63, ("d" * 63 + ".") * 3 + "com")),
        f'routes.live[0]: "{"h" * 57}..." is 259 characters long '
        "(host and domain together at most 253 characters)",
    ),
    # route path
    (
        "path-slash",
        live(route(path="/")),
        f"routes.live[0].path: \"/\" is '/' alone, which Cloud Foundry rejects ({RPATH})",
    ),
    (
        "path-relative",
        live(route(path="shop")),
        f"routes.live[0].path: \"shop\" does not start with '/' ({RPATH})",
    ),
    (
        "path-query",
        live(route(path="/a?b")),
        f"routes.live[0].path: \"/a?b\" contains '?' ({RPATH})",
    ),
    (
        "path-space",
        live(route(path="/a b")),
        f'routes.live[0].path: "/a b" contains whitespace ({RPATH})',
    ),
    (
        "path-long",
        live(route(path="/" + "p" * 128)),
        f'routes.live[0].path: "/{"p" * 56}..." is 129 characters long ({RPATH})',
    ),
    (
        "path-uri",
        live(route(path="/a%zz")),
        f'routes.live[0].path: "/a%zz" is not a valid URI path ({RPATH})',
    ),
    (
        "path-bracket",
        live(route(path="/[a]")),
        f'routes.live[0].path: "/[a]" is not a valid URI path ({RPATH})',
    ),
    # routes as a whole
    (
        "live-empty",
        'app = "demo"\n[routes]\nlive = []',
        "routes.live: is empty (at least one route; leave out [routes] for a worker app)",
    ),
    (
        "live-duplicate",
        live(route(), route("H", "EXAMPLE.com")),
        'routes.live[1]: "H.EXAMPLE.com" is the same route as routes.live[0] '
        "(each live route once; case does not count)",
    ),
    (
        "live-duplicate-exact",
        live(route(), route()),
        'routes.live[1]: "h.example.com" is the same route as routes.live[0] '
        "(each live route once; case does not count)",
    ),
    (
        "live-duplicate-apex",
        live('{ domain = "example.org" }', '{ host = "", domain = "EXAMPLE.org" }'),
        'routes.live[1]: "EXAMPLE.org" is the same route as routes.live[0] '
        "(each live route once; case does not count)",
    ),
    (
        "staging-is-live-apex",
        live('{ domain = "example.org", path = "/a" }')
        + 'staging = { domain = "example.org", path = "/a" }',
        'routes.staging: "example.org/a" is also routes.live[0] (a route that is not live)',
    ),
    (
        "live-route-type",
        'app = "demo"\n[routes]\nlive = ["h.example.com"]',
        'routes.live[0]: expected a table, got "h.example.com" '
        "(a table with keys host, domain, path)",
    ),
    (
        "staging-is-live",
        live(route()) + f"staging = {route()}",
        'routes.staging: "h.example.com" is also routes.live[0] (a route that is not live)',
    ),
    (
        "staging-alone",
        'app = "demo"\n[routes]\nstaging = { host = "s", domain = "example.com" }',
        "routes.staging: is set without routes.live "
        "(a staging route only together with live routes; a worker app has neither)",
    ),
    (
        "default-staging-host",
        'app = "my app"\n' + ROUTE,
        'routes: the default staging host "my app-staging" is not a valid host name '
        "(set routes.staging explicitly)",
    ),
    (
        "default-staging-live",
        'app = "demo"\n[routes]\nlive = [{ host = "demo-staging", domain = "example.com" }]',
        'routes: the default staging route "demo-staging.example.com" is also routes.live[0] '
        "(set routes.staging to a route that is not live)",
    ),
    # services
    (
        "service-duplicate",
        'app = "demo"\n[services]\nbind = ["db", "db"]',
        'services.bind[1]: "db" is already services.bind[0] (each service instance once)',
    ),
    (
        "service-empty",
        'app = "demo"\n[services]\nbind = [""]',
        'services.bind[0]: "" is empty (printable characters, at most 255 characters)',
    ),
    ("service-flag", 'app = "demo"\n[services]\nbind = ["-db"]', f'services.bind[0]: "-db" {FLAG}'),
    (
        "service-tab",
        'app = "demo"\n[services]\nbind = ["d\\tb"]',
        'services.bind[0]: "d\\tb" contains a non-printable character '
        "(printable characters, at most 255 characters)",
    ),
    # health
    (
        "health-path-relative",
        'app = "demo"\n[health]\npath = "health"',
        f"health.path: \"health\" does not start with '/' ({HPATH})",
    ),
    (
        "health-path-space",
        'app = "demo"\n[health]\npath = "/he alth"',
        f'health.path: "/he alth" contains whitespace ({HPATH})',
    ),
    (
        "health-path-fragment",
        'app = "demo"\n[health]\npath = "/a#b"',
        f'health.path: "/a#b" is not a valid URL path ({HPATH})',
    ),
    (
        "health-scheme",
        'app = "demo"\n[health]\nscheme = "ftp"',
        'health.scheme: "ftp" is not a valid choice (https or http)',
    ),
    (
        "health-status-low",
        'app = "demo"\n[health]\nexpect_status = 99',
        "health.expect_status: 99 is out of range (an HTTP status, 100 to 599)",
    ),
    (
        "health-status-high",
        'app = "demo"\n[health]\nexpect_status = 600',
        "health.expect_status: 600 is out of range (an HTTP status, 100 to 599)",
    ),
    (
        "health-body-empty",
        'app = "demo"\n[health]\nexpect_body = ""',
        'health.expect_body: "" is empty (one line of text, at most 1024 characters)',
    ),
    (
        "health-timeout-zero",
        'app = "demo"\n[health]\ntimeout_seconds = 0',
        "health.timeout_seconds: 0 is out of range (whole seconds, 1 to 3600)",
    ),
    (
        "health-timeout-float",
        'app = "demo"\n[health]\ntimeout_seconds = 60.0',
        "health.timeout_seconds: expected an integer, got 60.0 (whole seconds, 1 to 3600)",
    ),
    (
        "health-interval-high",
        'app = "demo"\n[health]\ninterval_seconds = 301',
        "health.interval_seconds: 301 is out of range (whole seconds, 1 to 300)",
    ),
    (
        "health-interval-timeout",
        'app = "demo"\n[health]\ntimeout_seconds = 10\ninterval_seconds = 11',
        "health.interval_seconds: 11 is longer than the timeout of 10 seconds "
        "(at most health.timeout_seconds)",
    ),
    (
        "health-interval-default-timeout",
        'app = "demo"\n[health]\ninterval_seconds = 61',
        "health.interval_seconds: 61 is longer than the timeout of 60 seconds "
        "(at most health.timeout_seconds)",
    ),
    (
        "health-type",
        'app = "demo"\nhealth = "/health"',
        'health: expected a table, got "/health" (a table with keys path, scheme, expect_status, '
        "expect_body, timeout_seconds, interval_seconds)",
    ),
    # cutover
    (
        "settle-negative",
        'app = "demo"\n[cutover]\nsettle_seconds = -1',
        "cutover.settle_seconds: -1 is out of range (whole seconds, 0 to 600)",
    ),
    (
        "drain-high",
        'app = "demo"\n[cutover]\ndrain_seconds = 3601',
        "cutover.drain_seconds: 3601 is out of range (whole seconds, 0 to 3600)",
    ),
    (
        "retire-choice",
        'app = "demo"\n[cutover]\nretire = "destroy"',
        'cutover.retire: "destroy" is not a valid choice (stop, delete or keep)',
    ),
    (
        "smoke-blank",
        'app = "demo"\n[cutover]\nsmoke_test = "  "',
        'cutover.smoke_test: "  " is empty (a shell command, at most 8192 characters)',
    ),
    (
        "hook-nul",
        'app = "demo"\n[cutover]\nbefore_cutover = "a\\u0000b"',
        'cutover.before_cutover: "a\\u0000b" contains a NUL character '
        "(a shell command, at most 8192 characters)",
    ),
    (
        "instances-word",
        'app = "demo"\n[cutover]\ninstances = "all"',
        'cutover.instances: "all" is not a valid choice ("match-live" or an integer, 1 to 1000)',
    ),
    (
        "instances-zero",
        'app = "demo"\n[cutover]\ninstances = 0',
        'cutover.instances: 0 is out of range ("match-live" or an integer, 1 to 1000)',
    ),
    (
        "instances-bool",
        'app = "demo"\n[cutover]\ninstances = true',
        'cutover.instances: expected "match-live" or an integer, got true '
        '("match-live" or an integer, 1 to 1000)',
    ),
    (
        "verify-live-type",
        'app = "demo"\n[cutover]\nverify_live = 1',
        "cutover.verify_live: expected a boolean, got 1 (true or false)",
    ),
    # push
    (
        "docker-buildpack",
        'app = "demo"\n[push]\ndocker_image = "org/img:1"\nbuildpack = "ruby"',
        f'push.buildpack: "ruby" {DOCKER}',
    ),
    (
        "docker-stack",
        'app = "demo"\n[push]\ndocker_image = "org/img:1"\nstack = "cflinuxfs4"',
        f'push.stack: "cflinuxfs4" {DOCKER}',
    ),
    (
        "docker-path",
        'app = "demo"\npath = "app"\n[push]\ndocker_image = "org/img:1"',
        f'path: "app" {DOCKER}',
    ),
    (
        "docker-flag",
        'app = "demo"\n[push]\ndocker_image = "-img"',
        f'push.docker_image: "-img" {FLAG}',
    ),
    ("buildpack-flag", 'app = "demo"\n[push]\nbuildpack = "-b"', f'push.buildpack: "-b" {FLAG}'),
    ("stack-empty", 'app = "demo"\n[push]\nstack = ""', 'push.stack: "" is empty (a stack name)'),
    (
        "memory-unit",
        'app = "demo"\n[push]\nmemory = "256"',
        'push.memory: "256" is not a size (a size: 1 to 9 digits and M, G, MB or GB, e.g. 256M)',
    ),
    (
        "disk-zero",
        'app = "demo"\n[push]\ndisk = "0G"',
        'push.disk: "0G" is not a size (a size: 1 to 9 digits and M, G, MB or GB, e.g. 1G)',
    ),
    (
        "push-timeout",
        'app = "demo"\n[push]\ntimeout = 601',
        "push.timeout: 601 is out of range (whole seconds, 1 to 600)",
    ),
    (
        "push-timeout-huge",
        'app = "demo"\n[push]\ntimeout = 9223372036854775807000',
        "push.timeout: a very large integer is out of range (whole seconds, 1 to 600)",
    ),
    (
        "var-name",
        'app = "demo"\n[push]\nvars = { "my var" = "x" }',
        'push.vars."my var": "my var" is not a valid variable name '
        "(letters, digits, '_' and '-', starting with a letter or '_', at most 255 characters)",
    ),
    (
        "var-value-type",
        'app = "demo"\n[push]\nvars = { replicas = 3 }',
        "push.vars.replicas: expected a string, got 3 (one line of text, at most 4096 characters)",
    ),
    (
        "var-value-newline",
        'app = "demo"\n[push]\nvars = { a = "x\\ny" }',
        'push.vars.a: "x\\ny" contains a line break (one line of text, at most 4096 characters)',
    ),
    (
        "vars-file-flag",
        'app = "demo"\n[push]\nvars_files = ["-v.yml"]',
        f'push.vars_files[0]: "-v.yml" {FLAG}',
    ),
    (
        "manifest-control-character",
        'app = "demo"\nmanifest = "m\\u001b[2K.yml"',
        'manifest: "m\\u001b[2K.yml" contains a non-printable character (a file path)',
    ),
    (
        "worker-smoke-test",
        'app = "demo"\n[cutover]\nsmoke_test = "true"',
        "cutover.smoke_test: is set for a worker (no routes.live), which has no staging URL "
        "to test (remove it, or run checks in cutover.before_cutover)",
    ),
    *[
        (
            f"worker-{key.replace('_', '-')}",
            f'app = "demo"\n[services]\nbind = ["db"]\n[{table}]\n{key} = {value}',
            f"{table}.{key}: is set for a worker (no routes.live), {reason} ({remedy})",
        )
        for table, key, value, reason, remedy in [
            ("health", "path", '"/h"', WORKER_HEALTH, WORKER_HEALTH_FIX),
            ("health", "scheme", '"http"', WORKER_HEALTH, WORKER_HEALTH_FIX),
            ("health", "expect_status", "204", WORKER_HEALTH, WORKER_HEALTH_FIX),
            ("health", "expect_body", '"ok"', WORKER_HEALTH, WORKER_HEALTH_FIX),
            ("cutover", "settle_seconds", "0", "which has no route changes to wait for",
             "remove it"),
            ("cutover", "verify_live", "false", "which has no live route to probe", "remove it"),
        ]
    ],
    (
        "worker-empty-routes-table",
        'app = "demo"\n[routes]\n[health]\nexpect_body = "ok"',
        "health.expect_body: is set for a worker (no routes.live), "
        f"{WORKER_HEALTH} ({WORKER_HEALTH_FIX})",
    ),
    # unknown keys and odd values
    (
        "unknown-suggest",
        'app = "demo"\n[health]\ntimeout = 5',
        'health.timeout: unknown key, did you mean "timeout_seconds"? (allowed keys: path, '
        "scheme, expect_status, expect_body, timeout_seconds, interval_seconds)",
    ),
    ("unknown-plain", 'app = "demo"\nzzz = 1', f"zzz: unknown key (allowed keys: {TOP_KEYS})"),
    ("unknown-quoted", 'app = "demo"\n"a.b" = 1', f'"a.b": unknown key (allowed keys: {TOP_KEYS})'),
    ("date-value", "app = 1979-05-27", f"app: expected a string, got a date ({APP})"),
]


@pytest.mark.parametrize(
    ("toml_text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_rule_message(toml_text: str, expected: str) -> None:
    assert problems_of(toml_text) == [expected]


def test_every_problem_at_once_in_document_order() -> None:
    path = BAD / "many_problems.toml"
    with pytest.raises(ProfileError) as info:
        load_profile(path, display_name="bad/many.toml")
    assert info.value.problems == [
        f'bad/many.toml:3: app: "-demo" {FLAG}',
        'bad/many.toml:4: colors[1]: "DEMO_A" is the same app name as colors[0] '
        "(two different app names; Cloud Foundry ignores case)",
        "bad/many.toml:5: cf_cli: 9 is not a valid choice (6, 7 or 8)",
        f'bad/many.toml:10: routes.live[1].host: "bad host" is not a valid host name ({HOST})',
        # A missing key is found on the line of the table it is missing from.
        f"bad/many.toml:11: routes.live[2].domain: required key is missing ({DOMAIN})",
        'bad/many.toml:15: health.timeout: unknown key, did you mean "timeout_seconds"? (allowed '
        "keys: path, scheme, expect_status, expect_body, timeout_seconds, interval_seconds)",
        'bad/many.toml:18: cutover.retire: "destroy" is not a valid choice (stop, delete or keep)',
    ]
    assert info.value.exit_code == 2
    assert str(info.value) == "\n".join(info.value.problems)


def test_unknown_keys_fixture() -> None:
    with pytest.raises(ProfileError) as info:
        load_profile(BAD / "unknown_keys.toml", display_name="u.toml")
    assert info.value.problems == [
        f'u.toml:3: colour: unknown key, did you mean "colors"? (allowed keys: {TOP_KEYS})',
        f'u.toml:5: helth: unknown key, did you mean "health"? (allowed keys: {TOP_KEYS})',
    ]


# --- reading files ----------------------------------------------------------------


def test_toml_syntax_error() -> None:
    with pytest.raises(ProfileError) as info:
        load_profile(BAD / "syntax_error.toml", display_name="s.toml")
    assert info.value.problems == ["s.toml:2: invalid TOML: Invalid value (column 6)"]


def test_non_utf8_file() -> None:
    with pytest.raises(ProfileError) as info:
        load_profile(BAD / "latin1.toml", display_name="l.toml")
    assert info.value.problems == ["l.toml:2: invalid TOML: not UTF-8 text (byte 0xe9)"]


def test_display_name_defaults_to_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ProfileError) as info:
        load_profile(missing)
    assert info.value.problems == [f"{missing}: cannot read: no such file or directory"]


def test_directory_is_unreadable_as_a_profile(tmp_path: Path) -> None:
    with pytest.raises(ProfileError) as info:
        load_profile(tmp_path, display_name="d")
    assert info.value.problems == ["d: cannot read: is a directory"]


def test_huge_integer_and_deep_nesting(tmp_path: Path) -> None:
    huge = tmp_path / "huge.toml"
    huge.write_text('app = "demo"\ncf_cli = ' + "9" * 5000 + "\n")
    deep = tmp_path / "deep.toml"
    deep.write_text('app = "demo"\nx = ' + "[" * 50000 + "]" * 50000 + "\n")
    for path, message in (
        (huge, "an integer has too many digits"),
        (deep, "arrays or tables nested too deeply"),
    ):
        with pytest.raises(ProfileError) as info:
            load_profile(path, display_name="f")
        assert info.value.problems == [f"f: invalid TOML: {message}"]


def test_byte_order_mark_is_tolerated_and_hashed(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b'\xef\xbb\xbfapp = "demo"\n')
    profile = load_profile(path)
    assert (profile.name, profile.app) == ("bom", "demo")
    assert profile.source_hash == hashlib.sha256(path.read_bytes()).hexdigest()


def test_non_table_document() -> None:
    with pytest.raises(ProfileError) as info:
        validate_mapping(["app"], "f", "x", "h")  # type: ignore[arg-type]
    assert info.value.problems == [
        f"f: expected a table, got an array (a table with keys {TOP_KEYS})"
    ]


# --- finding profiles -------------------------------------------------------------


def test_find_profiles(tmp_path: Path) -> None:
    for name in ("b.toml", "a.toml", ".hidden.toml", "notes.txt"):
        (tmp_path / name).write_text("")
    (tmp_path / "sub.toml").mkdir()
    extra = tmp_path / "other.conf"
    extra.write_text("")
    found = find_profiles([tmp_path, extra, tmp_path / "a.toml"])
    assert found == [tmp_path / "a.toml", tmp_path / "b.toml", extra]


def test_find_profiles_reports_every_bad_path(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ProfileError) as info:
        find_profiles([tmp_path / "missing.toml", empty])
    assert info.value.problems == [
        f"{tmp_path / 'missing.toml'}: cannot read: no such file or directory",
        f"{empty}: no profiles in this directory (files named *.toml)",
    ]
    with pytest.raises(ProfileError) as info:
        find_profiles([])
    assert info.value.problems == ["no profile given (a .toml file, or a directory of them)"]


# --- the JSON Schema agrees with the validator ------------------------------------


@pytest.fixture(scope="module")
def schema_validator() -> jsonschema.Draft202012Validator:
    schema = profile_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("name", ["minimal", "shop", "sinatra", "worker"])
def test_examples_validate_against_schema(name: str, schema_validator: Any) -> None:
    data = tomllib.loads((EXAMPLES / f"{name}.toml").read_text())
    assert [e.message for e in schema_validator.iter_errors(data)] == []
    validate_mapping(data, name, name, "h")


def test_apex_profile_validates_against_schema(schema_validator: Any) -> None:
    source = ROOT / "tests/profiles_apex/apex.toml"
    data = tomllib.loads(source.read_text())
    assert [e.message for e in schema_validator.iter_errors(data)] == []
    assert load_profile(source).live_routes[0].host == ""


BOTH_REJECT = [
    c
    for c in CASES
    if c[0]
    not in {
        # Rules JSON Schema cannot express (printable, case-insensitive sameness, the lock's
        # name, lengths across keys, defaults derived from app, integer-valued floats):
        "app-unprintable",
        "colors-same",
        "colors-lock",
        "fqdn-long",
        "live-duplicate",
        "staging-is-live",
        "default-staging-host",
        "default-staging-live",
        "service-tab",
        "health-interval-timeout",
        "health-timeout-float",
        "live-duplicate-apex",
        "staging-is-live-apex",
    }
]


@pytest.mark.parametrize(
    ("toml_text", "expected"), [c[1:] for c in BOTH_REJECT], ids=[c[0] for c in BOTH_REJECT]
)
def test_schema_rejects_bad_cases(toml_text: str, expected: str, schema_validator: Any) -> None:
    data = tomllib.loads(toml_text)
    assert list(schema_validator.iter_errors(data)), f"schema accepts: {expected}"
    assert problems_of(toml_text)


def _walk_schema(node: dict[str, Any], where: str, root: dict[str, Any]) -> list[str]:
    """Every object schema closed, every property described (a table property by its
    own description or by its model's, behind the ``$ref``)."""

    def deref(sub: dict[str, Any]) -> dict[str, Any]:
        if "$ref" not in sub:
            return sub
        target = root["$defs"][sub["$ref"].removeprefix("#/$defs/")]
        return {**target, **{k: v for k, v in sub.items() if k != "$ref"}}

    node = deref(node)
    flaws = []
    if node.get("type") == "object" and "properties" in node:
        if node.get("additionalProperties") is not False:
            flaws.append(f"{where} is open")
        for key, sub in node["properties"].items():
            if not deref(sub).get("description"):
                flaws.append(f"{where}.{key} has no description")
            flaws += _walk_schema(sub, f"{where}.{key}", root)
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            flaws += _walk_schema(node[key], f"{where}[]", root)
    return flaws


def test_schema_is_closed_described_and_has_the_models_defaults() -> None:
    schema = profile_json_schema()
    assert _walk_schema(schema, "profile", schema) == []
    props = schema["properties"]
    assert props["cf_cli"]["default"] == 8
    health, cutover = (schema["$defs"][name]["properties"] for name in ("Health", "Cutover"))
    for key, value in vars(Health()).items():
        assert health[key].get("default") == value, key
    for key, value in vars(Cutover()).items():
        expected = "match-live" if key == "instances" else value
        assert cutover[key].get("default") == expected, key


# --- properties: no input crashes; what the validator accepts, the schema accepts ----

_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=8)
    | st.binary(max_size=4)
    | st.sampled_from(["", "-x", "*", "/", "a b", "x\n"])
)
_garbage = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=6) | st.integers(), inner, max_size=3)
    ),
    max_leaves=12,
)
_POOL = [
    "demo",
    "demo-2",
    "",
    "-x",
    " x",
    "a b",
    "*",
    "/",
    "/shop",
    "/a?b",
    "example.com",
    "example",
    "https://api.example.com",
    "256M",
    "0M",
    "match-live",
    "stop",
    "http",
    "x\ny",
    "\u0000",
    "DEMO",
    "demo-staging",
    0,
    1,
    2,
    7,
    61,
    600,
    601,
    -1,
    True,
    1.5,
    [],
    {},
    ["a", "b"],
    ["a", "A"],
    {"host": "h", "domain": "example.com"},
]
_GOOD: dict[tuple[Any, ...], list[Any]] = {
    ("app",): ["demo", "shop", "my_app-2"],
    ("colors",): [["a", "b"], ["shop_a", "shop b"]],
    ("manifest",): ["m.yml", "dir/m y.yml"],
    ("path",): ["app", "."],
    ("cf_cli",): [6, 7, 8],
    ("target", "api"): ["http://api.x.io", "https://api.example.com/v3?x"],
    ("target", "org"): ["o", "my org"],
    ("routes", "live", 0, "host"): ["shop", "a_b", "X"],
    ("routes", "live", 0, "domain"): ["example.net", "a.b.c"],
    ("routes", "live", 0, "path"): ["", "/x", "/a%20b"],
    ("routes", "live", 1): [{"host": "w", "domain": "example.org"}],
    ("routes", "staging"): [{"host": "s", "domain": "example.com", "path": "/s"}],
    ("services", "bind"): [[], ["db"]],
    ("health", "path"): ["/", "/h?x=1"],
    ("health", "timeout_seconds"): [1, 300, 3600],
    ("health", "interval_seconds"): [1, 5],
    ("health", "scheme"): ["http"],
    ("health", "expect_body"): ["ok", "-"],
    ("cutover", "instances"): [1, "match-live", 1000],
    ("cutover", "retire"): ["delete"],
    ("cutover", "smoke_test"): ["true", "a\nb"],
    ("cutover", "verify_live"): [False],
    ("push", "docker_image"): ["org/img:1"],
    ("push", "memory"): ["1GB", "64m"],
    ("push", "vars", "k"): ["", "-x", "v"],
    ("push", "vars_files"): [[], ["a.yml"], ["a.yml", "a.yml"]],
}
_LEAVES = [*_GOOD, ("routes",), ("health",), ("unknown",), ("health", "timeout")]
_good_edit = st.sampled_from(sorted(_GOOD, key=str)).flatmap(
    lambda path: st.tuples(st.just(path), st.sampled_from(_GOOD[path]))
)
_any_edit = st.tuples(st.sampled_from(_LEAVES), st.sampled_from(_POOL) | _garbage)


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> None:
    """Set ``doc[path]`` where the path still leads somewhere; make missing tables."""
    for part in path[:-1]:
        if isinstance(doc, dict):
            doc = doc.setdefault(part, {})
        elif isinstance(doc, list) and isinstance(part, int) and part < len(doc):
            doc = doc[part]
        else:
            return
    last = path[-1]
    if isinstance(doc, dict):
        doc[last] = value
    elif isinstance(doc, list) and isinstance(last, int) and last < len(doc):
        doc[last] = value


def _base() -> dict[str, Any]:
    return tomllib.loads((EXAMPLES / "shop.toml").read_text())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(_good_edit, _good_edit, _good_edit, _any_edit), max_size=5))
def test_validator_never_crashes_and_is_stricter_than_schema(
    edits: list[tuple[tuple[Any, ...], Any]],
) -> None:
    doc = _base()
    for path, value in edits:
        _set(doc, path, value)
    schema = jsonschema.Draft202012Validator(profile_json_schema())
    try:
        validate_mapping(doc, "f.toml", "f", "h")
    except ProfileError as exc:
        assert exc.problems
        assert all(p.startswith("f.toml: ") and "\n" not in p for p in exc.problems)
        return
    assert [e.message for e in schema.iter_errors(doc)] == []


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_garbage)
def test_garbage_is_reported_not_raised(data: Any) -> None:
    try:
        validate_mapping(data, "g", "g", "h")
    except ProfileError as exc:
        assert all(p.startswith("g: ") and "\n" not in p for p in exc.problems)


def test_lone_surrogate_is_reported_not_rendered() -> None:
    with pytest.raises(ProfileError) as error:
        validate_mapping({"app": "a", "cutover": {"after_cutover": "echo \ud800"}},
                         "x.toml", "x", "0" * 64)
    assert error.value.problems == [
        'x.toml: cutover.after_cutover: "echo \\ud800" is not valid Unicode text (it holds a '
        "lone surrogate; a shell command, at most 8192 characters)"
    ]


@pytest.mark.parametrize("key", ["buildpack", "stack", "docker_image"])
def test_a_flag_value_starting_with_a_double_quote_is_refused(key: str) -> None:
    """The cf CLI's flag parser (go-flags) unquotes a value that starts with '"': the
    value cf would see is not the one the profile says."""
    problems = problems_of(f'app = "shop"\n[push]\n{key} = \'"my-{key}"\'\n')
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"push.{key}: ")
    assert "starts with '\"', which the cf CLI's flag parser would unquote" in problems[0]
