"""Lean scripts: a profile's scripts carry the code of the features it uses, and only that.

Every example profile, the tests' apex profile and variants of them (built with
dataclasses.replace on the loaded examples: one feature switched on or off, or
another cf CLI major) are rendered, and each feature of FEATURES is checked in
each of the three scripts: where the profile uses the feature and the script
needs it, every telltale piece of its code is there; everywhere else none is.
The telltales are the templates' own spellings: cf subcommands and flags,
variables and function names.

Code that is still there although the profile does not use it is listed in
UNPRUNED; those cases are strict xfails, so they fail the day the code goes.
"""

from __future__ import annotations

import functools
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, replace

import pytest

from generator.model import Profile, Route, Target
from generator.render import SCRIPTS, lock_app_name, render_profile
from tests.conftest import EXAMPLES, ROOT, example, explain

D, R, S = SCRIPTS  # deploy.sh, rollback.sh, status.sh
CHANGING = (D, R)
NONE: tuple[str, ...] = ()

Token = str | re.Pattern[str]


# -- the profiles ------------------------------------------------------------------------

def _cutover(profile: Profile, **changes: object) -> Profile:
    return replace(profile, cutover=replace(profile.cutover, **changes))


def _push(profile: Profile, **changes: object) -> Profile:
    return replace(profile, push=replace(profile.push, **changes))


def _health(profile: Profile, **changes: object) -> Profile:
    return replace(profile, health=replace(profile.health, **changes))


_PUSH_OPTIONS = {"buildpack": "ruby_buildpack", "stack": "cflinuxfs4", "memory": "512M",
                 "disk": "1G", "timeout": 180}

# Each variant changes one thing of an example (and stays a profile the loader
# would accept: a worker gets no web-only setting, a Docker image no path).
VARIANTS: dict[str, Callable[[], Profile]] = {
    **{name: functools.partial(example, name) for name in (*EXAMPLES, "apex")},
    "minimal, cf 6": lambda: replace(example("minimal"), cf_cli=6),
    "minimal, cf 7": lambda: replace(example("minimal"), cf_cli=7),
    "minimal + services": lambda: replace(example("minimal"), services=("minimal-db",)),
    "minimal + smoke test": lambda: _cutover(
        example("minimal"), smoke_test='curl -fsS "$STAGING_URL/" >/dev/null'),
    "minimal + before hook": lambda: _cutover(example("minimal"), before_cutover="echo before"),
    "minimal + after hook": lambda: _cutover(example("minimal"), after_cutover="echo after"),
    "minimal + docker image": lambda: _push(
        example("minimal"), docker_image="registry.example.com/minimal:1"),
    "minimal + push options": lambda: _push(example("minimal"), **_PUSH_OPTIONS),
    "minimal + push options, cf 6": lambda: replace(
        _push(example("minimal"), **_PUSH_OPTIONS), cf_cli=6),
    "minimal + memory only": lambda: _push(example("minimal"), memory="256M"),
    "minimal + vars": lambda: _push(example("minimal"), vars=(("env", "prod"),)),
    "minimal + vars files": lambda: _push(example("minimal"), vars_files=("vars/prod.yml",)),
    "minimal + target org": lambda: replace(example("minimal"), target=Target(org="demo-org")),
    "minimal + target api and space": lambda: replace(
        example("minimal"), target=Target(api="https://api.example.com", space="production")),
    "minimal + route path": lambda: replace(
        example("minimal"), live_routes=(Route("minimal", "example.com", "/app"),)),
    "minimal + apex route": lambda: replace(
        example("minimal"), live_routes=(Route("", "minimal.example.com"),)),
    "minimal + expected body": lambda: _health(example("minimal"), expect_body="ok"),
    "minimal, fixed instances": lambda: _cutover(example("minimal"), instances=3),
    "minimal, retire delete": lambda: _cutover(example("minimal"), retire="delete"),
    "minimal, retire keep": lambda: _cutover(example("minimal"), retire="keep"),
    "minimal, no verify_live": lambda: _cutover(example("minimal"), verify_live=False),
    # Names Cloud Controller may print escaped: one apps query per color.
    "minimal, colors with spaces": lambda: replace(
        example("minimal"), colors=("minimal blue", "minimal green")),
    "shop, cf 6": lambda: replace(example("shop"), cf_cli=6),
    "shop, cf 8": lambda: replace(example("shop"), cf_cli=8),
    "shop, before hook only": lambda: _cutover(example("shop"), after_cutover=None),
    "shop, after hook only": lambda: _cutover(example("shop"), before_cutover=None),
    "shop, no verify_live": lambda: _cutover(example("shop"), verify_live=False),
    "sinatra, retire delete": lambda: _cutover(example("sinatra"), retire="delete"),
    "apex, cf 6": lambda: replace(example("apex"), cf_cli=6),
    "apex + hosted route": lambda: replace(
        example("apex"),
        live_routes=(*example("apex").live_routes, Route("www", "example.org"))),
    "worker, cf 6": lambda: replace(example("worker"), cf_cli=6),
    "worker, retire stop": lambda: _cutover(example("worker"), retire="stop"),
    "worker, retire keep": lambda: _cutover(example("worker"), retire="keep"),
    "worker, match-live": lambda: _cutover(example("worker"), instances=None),
    "worker, no services": lambda: replace(example("worker"), services=()),
    "worker + hooks": lambda: _cutover(example("worker"), before_cutover="echo before",
                                       after_cutover="echo after"),
    "worker + push options and vars": lambda: _push(
        example("worker"), **_PUSH_OPTIONS, vars=(("env", "prod"),),
        vars_files=("vars/prod.yml",)),
}


@functools.cache
def profile_of(variant: str) -> Profile:
    return VARIANTS[variant]()


@functools.cache
def scripts_of(variant: str) -> dict[str, str]:
    return render_profile(profile_of(variant))


# -- facts about a profile, as the templates decide them ----------------------------------

def web(p: Profile) -> bool:
    return not p.is_worker


def routes(p: Profile) -> tuple[Route, ...]:
    return (*p.live_routes, *((p.staging_route,) if p.staging_route else ()))


def push_starts(p: Profile) -> bool:
    """cf push starts the new color itself: no services to bind first, not a worker."""
    return not p.services and not p.is_worker


def one_query(p: Profile) -> bool:
    """Both colors (and, for status.sh, the lock) are read in one apps query: names
    Cloud Controller prints as they are (generator/render.py, _JSON_PLAIN_NAME)."""
    return all(re.fullmatch(r"[A-Za-z0-9_.-]+", n) for n in (*p.colors, lock_app_name(p)))


def when(condition: bool, scripts: tuple[str, ...] = CHANGING) -> tuple[str, ...]:
    return scripts if condition else NONE


# -- the features --------------------------------------------------------------------------

@dataclass(frozen=True)
class Feature:
    """One feature and its telltale code.

    ``carried_by(profile)`` names the scripts that need the feature's code for that
    profile (none: the profile does not use it). ``code``: telltales none of which
    may appear in any other script. ``needed(profile)``: telltales each script that
    carries the feature must hold (default: all of ``code``); for spellings that
    depend on the cf CLI major, the profile's own.
    """

    name: str
    carried_by: Callable[[Profile], tuple[str, ...]]
    code: tuple[Token, ...]
    needed: Callable[[Profile], tuple[Token, ...]] | None = None

    def needed_in(self, profile: Profile) -> tuple[Token, ...]:
        return self.code if self.needed is None else self.needed(profile)


def _push_option(name: str, field: str, variable: str, long: str, v6: str) -> Feature:
    """A cf push option: its variable, and its flag in the profile's cf CLI spelling."""
    flags = (long,) if long == v6 else (long, re.compile(rf"args\+=\({re.escape(v6)} "))
    return Feature(
        name,
        lambda p: when(getattr(p.push, field) is not None, (D,)),
        (variable, *flags),
        lambda p: (f"readonly {variable}=",
                   f'args+=({v6 if p.cf_cli == 6 else long} "${{{variable}}}")'),
    )


FEATURES: tuple[Feature, ...] = (
    # What changes the foundation: never in status.sh.
    Feature("changing cf calls and the lock", lambda p: CHANGING,
            ("cf_must", "cf_change", "acquire_lock", "LOCK_APP_JSON", "-X POST", "-X PATCH",
             "stop_color", "cf_run delete")),
    Feature("dry run", lambda p: CHANGING, ("--dry-run", "DRY_RUN")),
    Feature("push", lambda p: (D,), ("push_color", "args=(push")),
    Feature("run-time --path/--manifest/--var/--vars-file", lambda p: (D,),
            ("--path DIR", "--var KEY=VALUE", "--vars-file FILE", 'RUN_VARS+=("$2")',
             'args+=(--var "${item}")', 'args+=(--vars-file "${item}")', "safe_file_arg")),
    Feature("nothing to roll back to (exit 6)", lambda p: (R,), ("EXIT_NOTHING_TO_ROLL_BACK",)),
    Feature("status --json", lambda p: (S,), ("--json", "color_json")),
    Feature("per-color state lines (describe_color)", lambda p: CHANGING, ("describe_color",)),
    # status.sh warns only of an unexpected app in the one apps query.
    Feature("warnings (warn)", lambda p: CHANGING + when(one_query(p), (S,)), ("warn() {",)),
    # Reading the state.
    Feature("colors read in one apps query", lambda p: when(one_query(p), SCRIPTS),
            ("names=${APPS_QUERY}&",)),
    Feature("colors read one query each", lambda p: when(not one_query(p), SCRIPTS),
            ("APPS_QUERY0", "APPS_QUERY1", "read_apps 0")),
    Feature("lock read in a query of its own",
            lambda p: CHANGING if one_query(p) else SCRIPTS, ("read_lock() {", "LOCK_QUERY=")),
    # Preflight.
    Feature("target API check", lambda p: when(bool(p.target.api), SCRIPTS), ("TARGET_API",)),
    Feature("target org check", lambda p: when(bool(p.target.org), SCRIPTS), ("TARGET_ORG",)),
    Feature("target space check", lambda p: when(bool(p.target.space), SCRIPTS),
            ("TARGET_SPACE",)),
    Feature("curl on PATH (preflight)", lambda p: when(web(p)), ("command -v curl",)),
    # Push.
    Feature("services bound before the start", lambda p: when(bool(p.services), (D,)),
            ("bind-service", "bind_services", "SERVICES=(")),
    Feature("push without starting", lambda p: when(not push_starts(p), (D,)),
            ("--no-start", 'start_color "${new}"')),
    Feature("cf start of a stopped color",
            lambda p: (R,) if push_starts(p) else CHANGING, ("start_color() {", "cf_must start ")),
    Feature("push starts the color (a crash is a bad build)",
            lambda p: when(push_starts(p), (D,)), ("if app_failed_to_start; then",)),
    Feature("fixed instance count", lambda p: when(p.cutover.instances is not None, (D,)),
            ("FIXED_INSTANCES",)),
    Feature("instances as the live color runs", lambda p: when(p.cutover.instances is None, (D,)),
            ('"${C_INSTANCES[$2]}"',)),
    _push_option("push option docker_image", "docker_image", "PUSH_DOCKER_IMAGE",
                 "--docker-image", "--docker-image"),
    _push_option("push option buildpack", "buildpack", "PUSH_BUILDPACK", "--buildpack", "-b"),
    _push_option("push option stack", "stack", "PUSH_STACK", "--stack", "-s"),
    _push_option("push option memory", "memory", "PUSH_MEMORY", "--memory", "-m"),
    _push_option("push option disk", "disk", "PUSH_DISK", "--disk", "-k"),
    _push_option("push option timeout", "timeout", "PUSH_START_TIMEOUT",
                 "--app-start-timeout", "-t"),
    Feature("profile vars", lambda p: when(bool(p.push.vars), (D,)),
            ("PROFILE_VARS=(", '"${PROFILE_VARS[@]}"')),
    Feature("profile vars files", lambda p: when(bool(p.push.vars_files), (D,)),
            ("PROFILE_VARS_FILES=(", '"${PROFILE_VARS_FILES[@]}"')),
    Feature("cf v6 push flags", lambda p: when(p.cf_cli == 6, (D,)),
            ('args+=(-i "${', 'args+=(-f "${PUSH_MANIFEST}")', 'args+=(-p "${PUSH_PATH}")')),
    Feature("cf v7+ push flags", lambda p: when(p.cf_cli != 6, (D,)),
            ("--instances", 'args+=(--manifest "${PUSH_MANIFEST}")',
             'args+=(--path "${PUSH_PATH}")')),
    # Checks before the cutover.
    Feature("smoke test", lambda p: when(bool(p.cutover.smoke_test), (D,)),
            ("run_smoke_test", "SMOKE_TEST", "STAGING_URL")),
    Feature("before-cutover hook", lambda p: when(bool(p.cutover.before_cutover), (D,)),
            ("BEFORE_CUTOVER_HOOK", "before-cutover")),
    Feature("after-cutover hook", lambda p: when(bool(p.cutover.after_cutover)),
            ("AFTER_CUTOVER_HOOK", "after-cutover")),
    Feature("hook runner",
            lambda p: when(bool(p.cutover.before_cutover or p.cutover.after_cutover), (D,))
            + when(bool(p.cutover.after_cutover), (R,)),
            ("run_hook",)),
    Feature("HTTP probes (curl, X-CF-APP-INSTANCE)", lambda p: when(web(p)),
            ("curl -sS", "X-CF-APP-INSTANCE", "probe() {", "wait_until_healthy")),
    Feature("expected body text", lambda p: when(web(p) and bool(p.health.expect_body)),
            ("EXPECT_BODY", '*"${EXPECT_BODY}"*')),
    # Routes.
    Feature("live routes (read)", lambda p: when(web(p), SCRIPTS),
            ("LIVE_URLS=(", "STAGING_ROUTE=", "read_routes", "/v3/routes?")),
    Feature("route URLs in lower case (lower)", lambda p: when(web(p), SCRIPTS), ("lower() {",)),
    Feature("routes as JSON lists (json_words)", lambda p: when(web(p), (S,)), ("json_words",)),
    Feature("every live route held (is_fully_live)", lambda p: when(web(p)), ("is_fully_live",)),
    Feature("route changes (map-route)", lambda p: when(web(p)),
            ("map-route", "map_live_routes", "unmap_staging", "STAGING_HOST=")),
    Feature("route paths", lambda p: when(web(p) and any(r.path for r in routes(p))),
            ('--path "${path}"', "LIVE_PATHS", "STAGING_PATH")),
    Feature("apex routes (host-less forms)",
            lambda p: when(web(p) and any(not r.host for r in routes(p))),
            (re.compile(r'cf_must (?:un)?map-route "\$\{app\}" "\$\{domain\}"$', re.M),)),
    Feature("apex and hosted routes together (a branch on the host)",
            lambda p: when(web(p) and any(not r.host for r in routes(p))
                           and any(r.host for r in routes(p))),
            ('if [[ -z "${host}"',)),
    Feature("hosted routes, cf v7+ spelling",
            lambda p: when(web(p) and p.cf_cli != 6 and any(r.host for r in routes(p))),
            ('--hostname "${host}"', "--hostname")),
    Feature("hosted routes, cf v6 spelling",
            lambda p: when(web(p) and p.cf_cli == 6 and any(r.host for r in routes(p))),
            ('-n "${host}"',)),
    # After the cutover.
    Feature("verify_live (checks during the drain, switch back)",
            lambda p: when(web(p) and p.cutover.verify_live),
            ("live_routes_healthy_on", "switch_back")),
    # retire_color holds the chosen branch only: stop; stop and delete; or a log line.
    Feature("retire stop", lambda p: when(p.cutover.retire == "stop"),
            (re.compile(r'^\s*stop_color "\$\{i\}"$', re.M),)),
    Feature("retire delete", lambda p: when(p.cutover.retire == "delete"),
            ('cf_must delete "${COLORS', "pause 10 ")),
    Feature("retire keep", lambda p: when(p.cutover.retire == "keep"), (": keep running",)),
    # Workers.
    Feature("worker: wait until every instance runs", lambda p: when(p.is_worker),
            ("wait_until_running",)),
    Feature("worker: live means running", lambda p: when(p.is_worker, SCRIPTS),
            ("live_worker",)),
    Feature("worker: recorded roles", lambda p: when(p.is_worker),
            ('set_label "${new}" live', "standby")),
)
FEATURE = {feature.name: feature for feature in FEATURES}


@dataclass(frozen=True)
class Unpruned:
    """Code a script carries although the profile does not use it (a strict xfail)."""

    feature: str
    script: str
    applies: Callable[[Profile], bool]
    reason: str
    functions: tuple[str, ...] = ()
    """The functions it leaves defined and never called."""


def host_less(p: Profile) -> bool:
    """A web profile whose every route is an apex route (no host)."""
    return web(p) and not any(r.host for r in routes(p))


# Code found left over when unused, each a strict xfail until it goes; all of it
# went (start_color where cf push starts the color, run_hook in rollback.sh for a
# before_cutover hook, status.sh's curl check, describe_color, is_fully_live,
# warn, wait_until_running and json_words, the --hostname forms of host-less
# profiles).
UNPRUNED: tuple[Unpruned, ...] = ()


def unpruned(variant: str, feature: Feature) -> dict[str, Unpruned]:
    """The scripts where ``feature`` is known to be left over in ``variant``'s scripts."""
    profile = profile_of(variant)
    return {item.script: item for item in UNPRUNED
            if item.feature == feature.name and item.applies(profile)
            and item.script not in feature.carried_by(profile)}


# -- finding code ----------------------------------------------------------------------

def find(text: str, token: Token) -> str | None:
    """The first line of ``text`` holding ``token`` (numbered), or None."""
    if isinstance(token, re.Pattern):
        match = token.search(text)
        start = match.start() if match else -1
    else:
        start = text.find(token)
    if start < 0:
        return None
    number = text.count("\n", 0, start) + 1
    return f"line {number}: {text.splitlines()[number - 1].strip()[:120]}"


def shown(token: Token) -> str:
    return f"/{token.pattern}/" if isinstance(token, re.Pattern) else repr(token)


def mismatches(variant: str, script: str, feature: Feature, text: str | None = None) -> list[str]:
    """What is wrong with ``feature`` in one script (``text``: instead of the rendered
    one): telltales missing, or left over."""
    profile = profile_of(variant)
    text = scripts_of(variant)[script] if text is None else text
    where = f"profile {variant!r}, {script}, feature {feature.name!r}"
    if script in feature.carried_by(profile):
        return [f"{where}: used, but {shown(token)} is missing"
                for token in feature.needed_in(profile) if find(text, token) is None]
    uses = "used, but not by this script" if feature.carried_by(profile) else "not used"
    return [f"{where}: {uses}, yet {shown(token)} is there ({found})"
            for token in feature.code if (found := find(text, token)) is not None]


def _cases() -> list[object]:
    cases = []
    for variant in VARIANTS:
        for feature in FEATURES:
            known = unpruned(variant, feature)
            marks = [pytest.mark.xfail(
                strict=True, raises=AssertionError,
                reason="; ".join(f"{script}: {item.reason}" for script, item in known.items()),
            )] if known else []
            cases.append(pytest.param(variant, feature.name, marks=marks,
                                      id=f"{variant}|{feature.name}"))
    return cases


@pytest.mark.parametrize(("variant", "feature"), _cases())
def test_scripts_carry_exactly_the_features_their_profile_uses(variant: str, feature: str) -> None:
    known = unpruned(variant, FEATURE[feature])
    problems = {script: mismatches(variant, script, FEATURE[feature]) for script in SCRIPTS}
    others = [line for script in SCRIPTS if script not in known for line in problems[script]]
    if others:
        # Failed is no AssertionError: a real failure even where an xfail names another script.
        pytest.fail("\n".join(others))
    assert not [line for script in known for line in problems[script]], "\n".join(
        line for script in known for line in problems[script])


def test_the_check_sees_missing_and_left_over_code() -> None:
    """The table test can fail: a telltale taken out, or one put in, is reported."""
    deploy = scripts_of("minimal")["deploy.sh"]
    assert mismatches("minimal", D, FEATURE["services bound before the start"]) == []
    stray = mismatches("minimal", D, FEATURE["services bound before the start"],
                       deploy.replace("main() {", 'bind_services() { :; }\nmain() {'))
    assert len(stray) == 1 and "not used, yet 'bind_services' is there (line " in stray[0]
    assert "profile 'minimal', deploy.sh, feature 'services bound before the start'" in stray[0]
    verify_live = FEATURE["verify_live (checks during the drain, switch back)"]
    missing = mismatches("minimal", D, verify_live, deploy.replace("switch_back", "go_back"))
    assert missing == ["profile 'minimal', deploy.sh, feature 'verify_live (checks during the "
                       "drain, switch back)': used, but 'switch_back' is missing"]
    v6 = mismatches("minimal + push options, cf 6", D, FEATURE["push option memory"],
                    scripts_of("minimal + push options")[D])
    assert v6 == ["profile 'minimal + push options, cf 6', deploy.sh, feature 'push option "
                  "memory': used, but 'args+=(-m \"${PUSH_MEMORY}\")' is missing"]


def test_every_feature_is_both_carried_and_left_out_somewhere() -> None:
    """Each row of the table is checked both ways: some script of some profile must
    hold its code, and some script of some profile must not."""
    for feature in FEATURES:
        carried = [script in feature.carried_by(profile_of(variant))
                   for variant in VARIANTS for script in SCRIPTS]
        assert any(carried), f"no script of any profile carries {feature.name!r}"
        assert not all(carried), f"every script of every profile carries {feature.name!r}"


# -- functions nothing calls --------------------------------------------------------------

_DEFINITION = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\(\) \{", re.M)


def uncalled_functions(text: str) -> set[str]:
    """Functions ``text`` defines and never names again, comments aside."""
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    return {name for name in _DEFINITION.findall(code)
            if len(re.findall(rf"(?<![\w/.-]){name}(?![\w.-])", code)) == 1}


def test_the_uncalled_function_check_sees_one() -> None:
    text = scripts_of("sinatra")[R]
    assert uncalled_functions(text) == set()
    planted = text.replace("main() {", "never_called() {\n  :\n}\n\nmain() {")
    assert uncalled_functions(planted) == {"never_called"}
    commented = planted.replace("main() {", "# never_called is not called\nmain() {", 1)
    assert uncalled_functions(commented) == {"never_called"}


@pytest.mark.parametrize("script", SCRIPTS)
@pytest.mark.parametrize("variant", VARIANTS)
def test_no_function_is_left_uncalled(variant: str, script: str) -> None:
    """Beyond the table: no script defines a function it never calls (the known ones,
    strict xfails of the table test, aside)."""
    profile = profile_of(variant)
    known = {name for item in UNPRUNED if item.script == script and item.applies(profile)
             for name in item.functions}
    uncalled = uncalled_functions(scripts_of(variant)[script]) - known
    assert not uncalled, f"profile {variant!r}, {script}: never called: {sorted(uncalled)}"


# -- status.sh changes nothing -------------------------------------------------------------

READ_ONLY_CF = {"version", "target", "space", "curl"}


@pytest.mark.parametrize("variant", VARIANTS)
def test_status_runs_only_read_only_cf_commands(variant: str) -> None:
    text = scripts_of(variant)[S]
    profile = profile_of(variant)
    called = set(re.findall(r"\bcf_run ([a-z-]+)", text))
    # A worker's status.sh carries wait_until_running (cf app), which it never calls.
    allowed = READ_ONLY_CF | ({"app"} if profile.is_worker else set())
    assert called <= allowed, f"profile {variant!r}, status.sh runs cf {sorted(called - allowed)}"
    for word in ("cf_must", "cf_change", "-X POST", "-X PATCH", "-X PUT", "-X DELETE", "push",
                 "map-route", "bind-service", "cf_run start", "cf_run stop", "cf_run delete"):
        assert (found := find(text, word)) is None, \
            f"profile {variant!r}, status.sh: {word!r} is there ({found})"
    # Every cf call goes through cf_run, and every curl is cf_json's plain GET.
    direct = [line.strip() for line in text.splitlines() if re.match(r"\s*cf\s", line)]
    assert len(direct) == 1 and direct[0].startswith('cf "$@"'), direct
    assert set(re.findall(r"\bcf_run curl ([^;&|]*)", text)) == {'-f "$1"'}


@pytest.mark.parametrize("name", [*EXAMPLES, "apex"])
def test_status_changes_nothing_on_the_foundation(make_sandbox, name: str) -> None:
    """A real run, in the situation with the most to read: a cutover cut short."""
    sandbox = make_sandbox(name, "interrupted-cutover")
    before = sandbox.foundation.apps()
    run = sandbox.run(S)
    assert run.exit_code == 0, explain(run)
    changing = [argv for argv in run.cf_argvs()
                if argv[0] not in READ_ONLY_CF or "-X" in argv or "-d" in argv]
    assert changing == [], f"profile {name!r}: status.sh ran {changing}"
    assert sandbox.foundation.apps() == before


# -- the pruning in lines ------------------------------------------------------------------

def lines(variant: str, script: str) -> int:
    return scripts_of(variant)[script].count("\n")


def test_a_profile_with_fewer_features_gets_shorter_scripts() -> None:
    """shop uses nearly every feature; minimal almost none, so each of its scripts is
    shorter. (No exact counts: the templates keep changing.)"""
    for script in SCRIPTS:
        assert lines("minimal", script) < lines("shop", script), script
    assert lines("worker", D) < lines("minimal", D)


# -- the README's list of a deploy's cf calls ------------------------------------------------

README = ROOT / "README.md"


def readme_cf_calls() -> list[str]:
    """The cf calls listed under "Every cf call a deploy makes", in order."""
    text = README.read_text(encoding="utf-8")
    section = text.split("### Every cf call a deploy makes", 1)[1].split("\n#", 1)[0]
    rows = re.findall(r"^\| (\d+) \| `([^`]+)` \|", section, re.M)
    assert [int(number) for number, _ in rows] == list(range(1, len(rows) + 1))
    return [call for _, call in rows]


def test_readme_lists_every_cf_call_of_a_deploy_while_a_color_is_live(make_sandbox) -> None:
    sandbox = make_sandbox("sinatra", "green-live")
    run = sandbox.run(D, "--path", str(sandbox.app_dir("v2")))
    assert run.exit_code == 0, explain(run)
    names = {app["guid"]: f"<guid of {app['name']}>" for app in sandbox.foundation.apps()}
    space = re.search(r"space_guids=([0-9a-f-]+)", " ".join(map(" ".join, run.cf_argvs())))
    assert space is not None
    names[space.group(1)] = "<space guid>"
    calls = []
    for argv in run.cf_argvs():
        words = ["DIR" if word == str(sandbox.app_dir("v2")) else word for word in argv]
        if words[:4] == ["curl", "-f", "/v3/apps", "-X"] and "-d" in words:
            body = words[words.index("-d") + 1]
            words[words.index("-d") + 1] = body[:body.index(",") + 1] + "...}"
        line = "cf " + shlex.join(words)
        for guid, name in names.items():
            line = line.replace(guid, name)
        calls.append(line)
    assert calls == readme_cf_calls()
