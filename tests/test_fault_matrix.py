"""The exhaustive fault matrix (issues 4 and 8: scripts that survive every fault).

For every example profile and every starting situation, a clean deploy (and,
where there is something to roll back to, a clean rollback) is run once to
learn the cf calls it makes. Then, in a fresh foundation each time:

- every one of those calls is made to fail once -- which includes the k-th of
  n calls of every loop: each live-route map and unmap, each service binding,
  each label write (the cases are labelled so in failure messages);
- SIGINT, then SIGTERM, is delivered to the script at every call that changes
  the foundation, before the call does anything;
- SIGINT, then SIGTERM, is delivered at every changing call *after* it took
  effect: the change is in the foundation, the script has not seen the result
  yet (a signal around a read-only call is one of these cases: see
  :func:`matrix_faults`);

and each time the script must end with a documented exit status, the
simulator must have seen no invariant violation, and a plain re-run must
converge: the new (for a rollback: the previous) version alone on the live
routes, the other color retired as configured, staging unmapped, the lock free.
A run interrupted after its very last change may instead say that its work was
complete; then it must be (no re-run is made).

Routers lag 5 s behind Cloud Controller, and the invariants take that as a
window, not a delay: a new mapping may reach some router at once and others
only after 5 s; an unmapped app may get requests for 5 s more. So in every
fault case, a live route must stay served throughout, and no app may be stopped
while a router may still send it traffic, whatever path led to the stop.

The matrix size and results, per profile, are printed in the terminal summary.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.rehearsal import Run, Sandbox, live_record_problem
from tests.conftest import example, explain

PROFILES = ["sinatra", "shop", "minimal", "worker"]
ROUTER_LAG_SECONDS = 5
# (script, starting situation): every deploy situation, and every situation a
# rollback can start from.
RUNS = [("deploy.sh", "first-deploy"), ("deploy.sh", "blue-live"),
        ("deploy.sh", "green-live"), ("deploy.sh", "after-rollback"),
        ("rollback.sh", "green-live"), ("rollback.sh", "after-rollback")]
# What a faulted run may end with: done (the failed call was bookkeeping the
# script can do without), a step failed, the new version was taken down, or
# (for the preflight's own calls) preflight failed.
FAULT_EXITS = {0, 1, 3, 5}
SIGNAL_EXITS = {"INT": 130, "TERM": 143}
KINDS = ["fail", "INT", "TERM", "INT-after", "TERM-after"]
# What an interrupted run says when the signal landed after its last change.
COMPLETE = "its work was complete"


def _sandbox(root: Path, name: str, situation: str) -> Sandbox:
    sandbox = Sandbox(example(name), root, router_lag_seconds=ROUTER_LAG_SECONDS)
    sandbox.seed(situation)
    return sandbox


def _run(sandbox: Sandbox, script: str) -> Run:
    if script == "rollback.sh":
        return sandbox.run(script, timeout=120)
    return sandbox.run(script, "--path", str(sandbox.app_dir("v2")), timeout=120)


def _expected(sandbox: Sandbox, script: str, situation: str) -> tuple[str, str | None, str]:
    """(color that must end up live, color that must be retired, its version)."""
    blue, green = sandbox.profile.colors
    if script == "rollback.sh":
        return {"green-live": (blue, green, "v-1"), "after-rollback": (green, blue, "v1")}[
            situation]
    new, old = {"first-deploy": (blue, None), "blue-live": (green, blue),
                "green-live": (blue, green), "after-rollback": (green, blue)}[situation]
    return new, old, "v2"


def _problems_after_fault(sandbox: Sandbox, had_live: bool) -> list[str]:
    problems = [f"violation: {v['message']}" for v in sandbox.foundation.violations()]
    if had_live:
        for route in sandbox.profile.live_routes:
            if not sandbox.foundation.served(route.url):
                problems.append(f"{route.url} is not served after the faulted run")
    return problems


def _converged(sandbox: Sandbox, script: str, situation: str) -> list[str]:
    """What is wrong with the end state of a successful run of ``script``."""
    new, old, version = _expected(sandbox, script, situation)
    problems = []
    app = sandbox.foundation.app(new)
    if app is None or app["state"] != "STARTED" or app["behaviour"]["version"] != version:
        problems.append(f"{new} does not run {version}: "
                        f"{app and (app['state'], app['behaviour'])}")
    elif (record := live_record_problem(sandbox.profile, app)) is not None:
        problems.append(record)
    for url, apps in sandbox.live_apps().items():
        if apps != [new]:
            problems.append(f"{url} is mapped to {apps}, not {new} alone")
    staging = sandbox.profile.staging_route
    if staging is not None and app is not None and staging.url in app["routes"]:
        problems.append("the staging route is still mapped")
    if old is not None:
        retired = sandbox.foundation.app(old)
        retire = sandbox.profile.cutover.retire
        want = {"stop": "STOPPED", "keep": "STARTED", "delete": None}[retire]
        state = retired and retired["state"]
        if state != want:
            problems.append(f"{old} is {state}, expected {want} (retire = {retire})")
        if retired is not None and any(url in retired["routes"] for url in sandbox.live_apps()):
            problems.append(f"{old} still holds a live route")
    if sandbox.lock_app() is not None:
        problems.append("the deploy lock is still held")
    problems += [f"violation: {v['message']}" for v in sandbox.foundation.violations()]
    return problems


def _clean_calls(root: Path, name: str, script: str, situation: str) -> list[dict]:
    with _sandbox(root / "clean", name, situation) as sandbox:
        run = _run(sandbox, script)
        assert run.exit_code == 0, explain(run)
        assert _converged(sandbox, script, situation) == []
        return run.calls


def _case(root: Path, name: str, script: str, situation: str,
          fault: dict) -> tuple[str, list[str]]:
    """One matrix cell: inject ``fault``, run, check, re-run, check."""
    with _sandbox(root, name, situation) as sandbox:
        had_live = situation != "first-deploy"
        offset = len(sandbox.foundation.calls())
        if "fail_call" in fault:
            sandbox.foundation.set_fault(fail_call=offset + fault["fail_call"])
            allowed = FAULT_EXITS
        else:
            sandbox.foundation.set_fault(signal=fault["signal"],
                                         signal_call=offset + fault["signal_call"],
                                         signal_after=fault["after"])
            allowed = {SIGNAL_EXITS[fault["signal"]]}
            if fault.get("at_lock_release"):
                # The work was done; cleanup outlasts a signal to release the lock.
                allowed.add(0)
        first = _run(sandbox, script)
        problems = []
        if first.exit_code not in allowed:
            problems.append(f"exit {first.exit_code}, expected one of {sorted(allowed)}")
        problems += _problems_after_fault(sandbox, had_live)
        if first.exit_code == 0 or (first.exit_code in SIGNAL_EXITS.values()
                                    and COMPLETE in first.stderr):
            # The fault was absorbed, or landed after the last change: the run
            # itself must have converged (a re-run would be a new deploy).
            problems += _converged(sandbox, script, situation)
            label = f"exit {first.exit_code}" + (", complete" if first.exit_code else "")
        else:
            rerun = _run(sandbox, script)
            if rerun.exit_code != 0:
                problems.append(f"re-run exit {rerun.exit_code}:\n{rerun.stderr[-2500:]}")
            problems += [f"after re-run: {p}"
                         for p in _converged(sandbox, script, situation)]
            label = f"exit {first.exit_code}, re-run exit {rerun.exit_code}"
        if problems:
            problems.append("faulted run stderr tail:\n" + first.stderr[-1500:])
        return label, problems


def call_labels(calls: list[dict], live_urls: list[str]) -> list[str]:
    """A name for each call that says where it stands in its loop: ``map-route live
    2/2 (APP)``, ``bind-service 1/2``, ``label write 3/5``, or the plain verb."""
    def kind(call: dict) -> str:
        argv = call["argv"]
        verb = argv[0]
        if verb in ("map-route", "unmap-route"):
            target = " ".join(argv[2:])
            staging = not any(_route_argv_matches(target, url) for url in live_urls)
            return f"{verb} {'staging' if staging else 'live'} ({argv[1]})"
        if verb == "curl" and "PATCH" in argv:
            return "label write"
        if verb == "curl" and "POST" in argv:
            return "lock take"
        return verb

    kinds = [kind(call) for call in calls]
    labels = []
    for index, name in enumerate(kinds):
        total = kinds.count(name)
        position = kinds[:index + 1].count(name)
        labels.append(f"{name} {position}/{total}" if total > 1 else name)
    return labels


def _route_argv_matches(target: str, url: str) -> bool:
    """Does ``DOMAIN [--hostname H] [--path P]`` (or v6 ``-n H``) name route ``url``?"""
    words = target.split()
    domain, host, path = words[0], "", ""
    for flag, value in zip(words[1::2], words[2::2], strict=False):
        if flag in ("--hostname", "-n"):
            host = value
        elif flag == "--path":
            path = value if value.startswith("/") else "/" + value
    return f"{host + '.' if host else ''}{domain}{path}".lower() == url.lower()


def matrix_faults(calls: list[dict], kind: str) -> list[dict]:
    """Every fault of one kind for a clean run's ``calls``."""
    if kind == "fail":
        return [{"fail_call": index} for index in range(1, len(calls) + 1)]
    signal, _, when = kind.partition("-")
    after = when == "after"
    # A signal before or after a read-only call finds the foundation as the last
    # change left it, and the script's memory is lost either way; its handlers
    # only look at what changes around changing calls (whether the lock may be
    # held, whether the last record was under way). So every moment a signal can
    # land is one of these cases: before each changing call, or after it.
    return [{"signal": signal, "signal_call": index, "after": after,
             "at_lock_release": call["argv"][0] == "delete" and index == len(calls)}
            for index, call in enumerate(calls, start=1) if call["mutating"]]


def _matrix_cell(tmp_path: Path, name: str, script: str, situation: str, kind: str,
                 record_property: pytest.RecordProperty) -> None:
    """One profile x situation x fault kind: every fault, each with its re-run."""
    calls = _clean_calls(tmp_path, name, script, situation)
    labels = call_labels(calls, [route.url for route in example(name).live_routes])
    faults = matrix_faults(calls, kind)
    assert faults, "the clean run made no call to fault"
    failures = []
    for number, fault in enumerate(faults, start=1):
        index = fault.get("fail_call") or fault["signal_call"]
        call = calls[index - 1]
        label, problems = _case(tmp_path / f"case{number}", name, script, situation, fault)
        if problems:
            failures.append(f"{kind} at call {index}: {labels[index - 1]} "
                            f"(cf {' '.join(call['argv'])}) [{label}]:\n  "
                            + "\n  ".join(problems))
    record_property("fault_matrix", {"profile": name, "cases": len(faults),
                                     "failed": len(failures)})
    assert not failures, f"{len(failures)} of {len(faults)} cases failed:\n" + "\n".join(failures)


@pytest.mark.parametrize(("script", "situation"), RUNS, ids=[f"{s[:-3]}-{t}" for s, t in RUNS])
@pytest.mark.parametrize("name", PROFILES)
@pytest.mark.parametrize("kind", KINDS)
def test_fault_matrix(tmp_path: Path, name: str, script: str, situation: str, kind: str,
                      record_property: pytest.RecordProperty) -> None:
    _matrix_cell(tmp_path, name, script, situation, kind, record_property)


@pytest.mark.parametrize("kind", ["fail", "INT", "INT-after"])
def test_fault_matrix_apex_routes(tmp_path: Path, kind: str,
                                  record_property: pytest.RecordProperty) -> None:
    """Apex routes (tests/profiles_apex/apex.toml) where their host-less map-route forms
    run: the deploy that moves both live routes from one color to the other."""
    _matrix_cell(tmp_path, "apex", "deploy.sh", "blue-live", kind, record_property)


def test_the_matrix_fails_every_step_of_every_loop(tmp_path: Path) -> None:
    """The loops issue 8 names are in the matrix, position by position: each live-route
    map and unmap, each service binding (the two-route shop), each label write (a web
    deploy writes none; a rollback records its target; a worker its candidate and live)."""
    calls = _clean_calls(tmp_path / "shop", "shop", "deploy.sh", "blue-live")
    labels = call_labels(calls, [route.url for route in example("shop").live_routes])
    failed = {labels[fault["fail_call"] - 1] for fault in matrix_faults(calls, "fail")}
    for expected in ("map-route live (shop-green) 1/2", "map-route live (shop-green) 2/2",
                     "unmap-route live (shop-blue) 1/2", "unmap-route live (shop-blue) 2/2",
                     "bind-service 1/2", "bind-service 2/2", "lock take"):
        assert expected in failed, sorted(failed)
    changing = [index for index, call in enumerate(calls, start=1) if call["mutating"]]
    for kind in ("INT", "TERM", "INT-after", "TERM-after"):
        signalled = [fault["signal_call"] for fault in matrix_faults(calls, kind)]
        assert signalled == changing, kind
    rollback = _clean_calls(tmp_path / "rollback", "shop", "rollback.sh", "green-live")
    worker = _clean_calls(tmp_path / "worker", "worker", "deploy.sh", "green-live")
    for run, writes in ((rollback, 1), (worker, 2)):  # the worker deletes its old color
        labels = call_labels(run, [])
        failed = {labels[fault["fail_call"] - 1] for fault in matrix_faults(run, "fail")}
        written = sorted(label for label in failed if label.startswith("label write"))
        assert len(written) == writes, sorted(failed)
