"""``cf-bluegreen init``: profiles drafted from real-world manifests, and bad manifests."""

from __future__ import annotations

import tempfile
import tomllib
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.batch import render_batch
from generator.cli import main
from generator.errors import ProfileError
from generator.init.yamldoc import MAX_BYTES
from generator.profile import load_profile

MANIFESTS = Path(__file__).resolve().parent / "manifests"

# Manifest -> extra init arguments, for the corpus every draft must validate and generate.
CORPUS = {
    "web-http-health.yml": [],
    "worker.yml": [],
    "docker.yml": [],
    "multi-app.yml": ["--app", "backend"],
    "legacy-v6.yml": [],
    "apex.yml": [],
    "default-route.yml": ["--domain", "apps.example.com"],
    "variables.yml": [],
    "spring-anchors.yml": [],
    "hostile-names.yml": [],
}


def init(*args: str) -> Result:
    return CliRunner().invoke(main, ["init", *args])


def draft(tmp_path: Path, manifest: str | Path, *args: str) -> tuple[dict, str, Result]:
    """Run init into tmp_path; return the parsed profile, its text and the result."""
    out = tmp_path / "profile.toml"
    result = init("--manifest", str(MANIFESTS / manifest), "-o", str(out), *args)
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    return tomllib.loads(text), text, result


def prose(text: str) -> str:
    """The comments of a draft as one line of prose (they are wrapped at 88 columns)."""
    return " ".join(line[2:] for line in text.splitlines() if line.startswith("# "))


def apex_routes_accepted() -> bool:
    """Whether today's profile rules take a route without a host (issue 12 adds them)."""
    with tempfile.TemporaryDirectory() as folder:
        probe = Path(folder) / "probe.toml"
        probe.write_text('app = "a"\n[routes]\nlive = [{ domain = "example.org" }]\n')
        try:
            load_profile(probe)
        except ProfileError:
            return False
    return True


def test_every_draft_of_the_corpus_validates_and_generates_lint_clean(tmp_path: Path) -> None:
    profiles = []
    for number, (manifest, args) in enumerate(CORPUS.items()):
        out = tmp_path / f"p{number}.toml"
        result = init("--manifest", str(MANIFESTS / manifest), "-o", str(out), *args)
        assert result.exit_code == 0, f"{manifest}: {result.output}"
        validated = CliRunner().invoke(main, ["validate", str(out)])
        assert validated.exit_code == 0, f"{manifest}: {validated.output}"
        profiles.append(load_profile(out))
    for number, args in enumerate([[], ["--app", "Shop Front"]]):  # and the templates
        out = tmp_path / f"template{number}.toml"
        assert init(*args, "-o", str(out)).exit_code == 0
        profiles.append(load_profile(out))
    files = render_batch(profiles)  # renders, then shellcheck + the bash 3.2 scan, once
    assert len(files) == 3 * (len(CORPUS) + 2)


def test_web_app_with_http_health_check(tmp_path: Path) -> None:
    profile, text, _ = draft(tmp_path, "web-http-health.yml")
    assert profile["app"] == "shop"
    assert profile["colors"] == ["shop", "shop-green"]
    assert profile["manifest"].endswith("web-http-health.yml")
    assert profile["routes"]["live"] == [
        {"host": "shop", "domain": "example.com"},
        {"host": "www", "domain": "example.org", "path": "/shop"},
    ]
    assert profile["routes"]["staging"] == {"host": "shop-staging", "domain": "example.com"}
    assert profile["services"]["bind"] == ["shop-db", "shop-cache"]
    assert profile["health"]["path"] == "/health"
    assert profile["cutover"]["instances"] == "match-live"
    assert "asks for 3 instances" in prose(text)
    # The manifest is passed to cf push, so its push settings stay there, shown commented.
    assert "push" not in profile or not profile["push"]
    for line in ('# buildpack = "nodejs_buildpack"', '# stack = "cflinuxfs4"',
                 '# memory = "512M"', '# disk = "1G"', "# timeout = 180"):
        assert line in text
    assert '"shop-cache" has parameters or a binding name' in prose(text)
    assert "read by cf push from there: command, env" in prose(text)


def test_worker_app_has_no_routes_and_no_health(tmp_path: Path) -> None:
    profile, text, _ = draft(tmp_path, "worker.yml")
    assert "routes" not in profile and "health" not in profile
    assert profile["services"]["bind"] == ["invoices-db", "invoices-queue"]
    assert "it is a worker" in prose(text)
    assert "starts it and keeps the first stopped" in prose(text)


def test_docker_image_and_registry_user(tmp_path: Path) -> None:
    profile, text, _ = draft(tmp_path, "docker.yml")
    assert profile["routes"]["live"] == [{"host": "api", "domain": "apps.example.com"}]
    assert profile["health"]["path"] == "/actuator/health"
    assert '# docker_image = "registry.example.com/team/api:1.4.2"' in text
    assert "CF_DOCKER_PASSWORD" in prose(text)


def test_multi_app_manifest_needs_app_and_lists_the_names(tmp_path: Path) -> None:
    result = init("--manifest", str(MANIFESTS / "multi-app.yml"), "-o", str(tmp_path / "x.toml"))
    assert result.exit_code == 2
    assert result.stderr.strip().endswith(
        'describes 3 apps ("frontend", "backend", "backend-worker"): choose one with --app NAME')
    assert not (tmp_path / "x.toml").exists()
    missing = init("--manifest", str(MANIFESTS / "multi-app.yml"), "--app", "nope", "-o", "-")
    assert missing.exit_code == 2
    assert 'has no app named "nope" (it has "frontend", "backend", "backend-worker")' in \
        missing.stderr


def test_multi_app_draft_carries_push_settings_and_warns(tmp_path: Path) -> None:
    profile, text, result = draft(tmp_path, "multi-app.yml", "--app", "backend")
    assert "manifest" not in profile  # cf push COLOR -f multi-app.yml would not find COLOR
    assert profile["path"] == str(MANIFESTS / "backend/target/backend.jar")
    assert profile["push"] == {"buildpack": "java_buildpack", "memory": "1G"}
    assert profile["routes"]["live"] == [{"host": "api", "domain": "example.com", "path": "/v1"}]
    assert "WARNING: " in prose(text) and "warning: " in result.stderr
    assert "NOT applied while cf push does not read it: env" in prose(text)


def test_legacy_v6_host_and_domains(tmp_path: Path) -> None:
    profile, text, result = draft(tmp_path, "legacy-v6.yml")
    assert profile["routes"]["live"] == [{"host": "legacy", "domain": "example.com"},
                                         {"host": "legacy", "domain": "example.net"}]
    assert "cf CLI v6 (buildpack, host, domains)" in prose(text)
    assert '# buildpack = "ruby_buildpack"' in text
    assert "cf CLI v6" in result.stderr


def test_apex_route_is_carried_when_the_profile_accepts_it(tmp_path: Path) -> None:
    profile, text, _ = draft(tmp_path, "apex.yml")
    live = profile["routes"]["live"]
    if apex_routes_accepted():
        assert live == [{"domain": "example.org"}, {"host": "www", "domain": "example.org"}]
        assert "read as an apex route" in prose(text)
    else:
        assert live == [{"host": "www", "domain": "example.org"}]
        assert 'NOT CARRIED: routes[0] "example.org": the profile refuses it' in prose(text)


def test_default_route_needs_the_default_domain(tmp_path: Path) -> None:
    result = init("--manifest", str(MANIFESTS / "default-route.yml"), "-o", "-")
    assert result.exit_code == 2
    assert 'gets the default route "my-blog"' in result.stderr and "--domain" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    profile, _, _ = draft(tmp_path, "default-route.yml", "--domain", "apps.example.com")
    assert profile["routes"]["live"] == [{"host": "my-blog", "domain": "apps.example.com"}]


def test_domain_option_decides_where_the_host_ends(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.yml"
    manifest.write_text("applications:\n- name: a\n  routes:\n"
                        "  - route: shop.eu.example.com/cart\n  - route: eu.example.com\n")
    profile, text, _ = draft(tmp_path, manifest, "--domain", "eu.example.com")
    live = profile["routes"]["live"]
    assert live[0] == {"host": "shop", "domain": "eu.example.com", "path": "/cart"}
    if apex_routes_accepted():
        assert live[1] == {"domain": "eu.example.com"}


def test_variables_are_listed_and_routes_with_them_left_out(tmp_path: Path) -> None:
    profile, text, _ = draft(tmp_path, "variables.yml")
    assert profile["routes"]["live"] == [{"host": "billing", "domain": "example.com"}]
    assert 'NOT CARRIED: routes[0] "billing.((domain))": it holds a cf push variable' in prose(text)
    assert ("cf push variables ((instances)), ((memory)), ((domain)), ((database_url)), "
            "((log.level))") in prose(text)
    assert "takes the instance count from ((instances))" in prose(text)


def test_anchors_merges_and_the_web_process(tmp_path: Path) -> None:
    profile, text, result = draft(tmp_path, "spring-anchors.yml")
    assert profile["health"]["path"] == "/actuator/health/readiness"  # from processes[web]
    assert "asks for 4 instances" in prose(text)
    assert '# memory = "2G"' in text  # the web process overrides the merged 1G
    assert "lists 2 buildpacks" in prose(text)
    assert profile["routes"]["live"] == [{"host": "orders", "domain": "apps.example.com"}]
    assert "an internal route" in prose(text) and "a TCP route" in prose(text)
    assert result.stderr.count("route not carried") == 2
    assert profile["services"]["bind"] == ["orders-db", "orders-config"]


def test_random_route_is_refused() -> None:
    result = init("--manifest", str(MANIFESTS / "random-route.yml"), "-o", "-")
    assert result.exit_code == 2
    assert "random-route: true" in result.stderr


def test_hostile_names_are_escaped_and_refused_values_explained(tmp_path: Path) -> None:
    profile, text, _ = draft(tmp_path, "hostile-names.yml")
    assert profile["app"] == 'shop "*_|` $(id) ;'
    assert profile["services"]["bind"] == ['db "*_|`']
    assert profile["routes"]["live"] == [{"host": "shop", "domain": "example.com",
                                          "path": "/a*b_c"}]
    assert "is a wildcard host" in prose(text) and '"-flaglike" starts with' in prose(text)


def test_manifest_folder_is_searched_like_cf_push(tmp_path: Path) -> None:
    (tmp_path / "manifest.yml").write_text("applications: [{name: a, no-route: true}]\n")
    result = init("--manifest", str(tmp_path), "-o", "-")
    assert result.exit_code == 0, result.output
    assert tomllib.loads(result.stdout)["manifest"] == str(tmp_path / "manifest.yml")
    empty = tmp_path / "empty"
    empty.mkdir()
    result = init("--manifest", str(empty), "-o", "-")
    assert result.exit_code == 2 and "has no manifest.yml" in result.stderr


def test_never_overwrites(tmp_path: Path) -> None:
    out = tmp_path / "profiles" / "shop.toml"
    out.parent.mkdir()
    out.write_text("# mine\n")
    result = init("--manifest", str(MANIFESTS / "worker.yml"), "-o", str(out))
    assert result.exit_code == 2
    assert result.stderr == f"cf-bluegreen: {out}: already exists; init never overwrites a " \
                            "file (move it away, or choose another name with -o)\n"
    assert out.read_text() == "# mine\n"
    assert [p.name for p in out.parent.iterdir()] == ["shop.toml"], "no temporary left"


def test_default_output_is_profiles_app_toml(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = init("--manifest", str(MANIFESTS / "web-http-health.yml"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "profiles" / "shop.toml").is_file()
    assert "wrote profiles/shop.toml" in result.stdout
    assert init("--manifest", str(MANIFESTS / "web-http-health.yml")).exit_code == 2


def test_template_without_a_manifest_validates(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = init()
    assert result.exit_code == 0, result.output
    model = load_profile(tmp_path / "profiles" / "my-app.toml")
    assert model.app == "my-app" and model.live_routes
    named = init("--app", "Shop Front", "-o", "shop.toml")
    assert named.exit_code == 0, named.output
    model = load_profile(tmp_path / "shop.toml")
    assert model.app == "Shop Front"
    assert model.staging_route is not None and model.staging_route.host == "shop-front-staging"
    bad = init("--app", "-x", "-o", "bad.toml")
    assert bad.exit_code == 2 and "starts with '-'" in bad.stderr
    assert not (tmp_path / "bad.toml").exists()


# --- bad manifests: one clear line, exit 2 ------------------------------------------------

BOMB = "\n".join(
    ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    + [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    + ["applications: [{name: bomb, no-route: true, env: {X: *a8}}]"]
)

BAD_MANIFESTS = {
    "invalid-yaml": ("applications:\n- name: a\n  routes:\n  - route: x\n   protocol: [\n",
                     "line 5, column 4: invalid YAML:"),
    "tab-indent": ("applications:\n\t- name: a\n", "line 2, column 1: invalid YAML:"),
    "not-a-mapping": ("- name: a\n", "is not an app manifest: expected a mapping with "
                                     "applications:, got a list"),
    "scalar": ("just text\n", "got \"just text\""),
    "no-applications": ("version: 1\n", "has no applications: list"),
    "applications-not-a-list": ("applications: {name: a}\n",
                                "line 1: applications: expected a list of apps, got a mapping"),
    "empty-applications": ("applications: []\n", "applications: is empty"),
    "app-not-a-mapping": ("applications: [shop]\n",
                          "applications[0]: expected an app (a mapping with name:), got \"shop\""),
    "no-name": ("applications: [{memory: 1G}]\n", "applications[0]: has no name:"),
    "name-a-list": ("applications: [{name: [a]}]\n",
                    "applications[0].name: expected text"),
    "name-a-variable": ("applications: [{name: ((app))}]\n", "is a cf push variable"),
    "instances-text": ("applications:\n- name: a\n  instances: three\n",
                       "line 3: applications[0].instances: expected a whole number "
                       "(or a ((variable))), got \"three\""),
    "instances-negative": ("applications: [{name: a, instances: -1}]\n", "got -1"),
    "routes-a-string": ("applications:\n- name: a\n  routes: a.example.com\n",
                        "line 3: applications[0].routes: expected a list of routes, got "
                        "\"a.example.com\""),
    "route-a-string": ("applications: [{name: a, routes: [a.example.com]}]\n",
                       "applications[0].routes[0]: expected a mapping with route:"),
    "route-a-number": ("applications: [{name: a, routes: [{route: 5}]}]\n",
                       "applications[0].routes[0].route: expected text"),
    "services-a-mapping": ("applications: [{name: a, services: {db: x}}]\n",
                           "applications[0].services: expected a list of services, got a mapping"),
    "service-a-number": ("applications: [{name: a, services: [5]}]\n",
                         "applications[0].services[0]: expected a service name"),
    "no-route-text": ("applications: [{name: a, no-route: 'yes please'}]\n",
                      "applications[0].no-route: expected true or false"),
    "memory-a-list": ("applications: [{name: a, no-route: true, memory: [1G]}]\n",
                      "applications[0].memory: expected text"),
    "buildpacks-a-string": ("applications: [{name: a, no-route: true, buildpacks: x}]\n",
                            "applications[0].buildpacks: expected a list of names"),
    "docker-a-string": ("applications: [{name: a, no-route: true, docker: img}]\n",
                        "applications[0].docker: expected a mapping with image:"),
    "health-type-unknown": ("applications: [{name: a, health-check-type: tcp}]\n",
                            "\"tcp\" is not a health check type (port, process, http, none)"),
    "processes-a-mapping": ("applications: [{name: a, processes: {web: 1}}]\n",
                            "applications[0].processes: expected a list of processes"),
    "routes-and-no-route": ("applications: [{name: a, no-route: true, routes: [{route: a.b.c}]}]\n",
                            "no-route: is true but routes: are listed too"),
    "routes-and-host": ("applications: [{name: a, host: a, routes: [{route: a.b.c}]}]\n",
                        "has both routes: and the v6 keys host/domain"),
    "only-tcp-routes": ("applications: [{name: a, routes: [{route: 'a.example.com:1024'}]}]\n",
                        "has routes, but none can be a live route (routes[0]: a TCP route"),
    "duplicate-key": ("applications:\n- name: a\n  name: b\n",
                      "line 3: the key 'name' appears twice in one mapping (first on line 2)"),
    "alias-loop": ("applications: &a [*a]\n", "an alias refers to a value that contains it"),
    "billion-laughs": (BOMB, "expands to more than 200,000 values"),
    "python-tag": ("applications: !!python/object/apply:os.system [id]\n",
                   "could not determine a constructor"),
    "two-documents": ("applications: []\n---\napplications: []\n",
                      "expected a single document in the stream"),
    "control-character": ("applications: [{name: \"a\x07\"}]\n", "U+0007 is not allowed"),
    "empty-file": ("", "is empty"),
}


@pytest.mark.parametrize("case", sorted(BAD_MANIFESTS))
def test_bad_manifest_is_one_clear_line_and_exit_2(case: str, tmp_path: Path) -> None:
    text, expected = BAD_MANIFESTS[case]
    manifest = tmp_path / "manifest.yml"
    manifest.write_text(text, encoding="utf-8")
    out = tmp_path / "out.toml"
    result = init("--manifest", str(manifest), "-o", str(out))
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"cf-bluegreen: {manifest}:"), lines[0]
    assert expected in lines[0]
    assert "Traceback" not in result.output
    assert not out.exists()


def test_a_50_mb_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.yml"
    with manifest.open("wb") as handle:
        handle.write(b"applications:\n- name: a\n  env:\n")
        handle.truncate(50 * 1024 * 1024)
    result = init("--manifest", str(manifest), "-o", "-")
    assert result.exit_code == 2
    assert result.stderr == (f"cf-bluegreen: {manifest}: is larger than {MAX_BYTES // 1024} "
                             "KiB, which is far more than any app manifest (is it the right "
                             "file?)\n")


@pytest.mark.parametrize("blob", [bytes(range(256)) * 8, b"\x89PNG\r\n\x1a\n" + b"\0" * 64,
                                  "name: caf\u00e9\n".encode("latin-1")])
def test_binary_data_is_refused(tmp_path: Path, blob: bytes) -> None:
    manifest = tmp_path / "manifest.yml"
    manifest.write_bytes(blob)
    result = init("--manifest", str(manifest), "-o", "-")
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "binary data" in result.stderr or "not UTF-8 text" in result.stderr


def test_missing_manifest(tmp_path: Path) -> None:
    result = init("--manifest", str(tmp_path / "nope.yml"), "-o", "-")
    assert result.exit_code == 2
    assert result.stderr == f"cf-bluegreen: {tmp_path / 'nope.yml'}: cannot read: no such " \
                            "file or directory\n"


# --- hostile values: escaped in TOML values and comments alike ---------------------------

HOSTILE_TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=40
) | st.sampled_from(['"', "\\", "'''", '"""', "\n[routes]\nlive = 1", "a\rb", "\x7f", "\u2028",
                     "# x", "]", "}", "${x}", "$(id)", "`id`", "*_|"])


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=HOSTILE_TEXT, service=HOSTILE_TEXT, route=HOSTILE_TEXT, image=HOSTILE_TEXT)
def test_hostile_manifest_values_round_trip_through_toml(
    name: str, service: str, route: str, image: str
) -> None:
    manifest = {"applications": [{
        "name": name, "services": [service], "routes": [{"route": route}, {"route": "a.b.com"}],
        "docker": {"image": image}, "memory": image, "health-check-type": "http",
        "health-check-http-endpoint": route,
    }]}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "manifest.yml"
        path.write_text(yaml.safe_dump(manifest), encoding="utf-8")
        result = init("--manifest", str(path), "-o", "-")
        assert result.exit_code in (0, 2), result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        if result.exit_code == 2:
            assert len(result.stderr.strip().splitlines()) == 1
            return
        profile = tomllib.loads(result.stdout)  # comments stayed comments, strings escaped
        assert profile["app"] == name
        assert profile.get("services", {}).get("bind", [service]) == [service]
        for line in result.stdout.splitlines():
            assert line.isprintable(), repr(line)
        (Path(folder) / "p.toml").write_text(result.stdout, encoding="utf-8")
        load_profile(Path(folder) / "p.toml")
