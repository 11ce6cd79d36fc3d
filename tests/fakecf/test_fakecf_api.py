"""The Python API (install, Foundation) and concurrent use of one state file."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from generator.fakecf import Foundation, install

if TYPE_CHECKING:
    from conftest import World


def test_install_writes_two_line_wrappers(tmp_path: Path) -> None:
    env = install(tmp_path / "bin", tmp_path / "state.json")
    assert env["PATH"].split(os.pathsep)[0] == str((tmp_path / "bin").resolve())
    assert env["FAKECF_STATE"] == str((tmp_path / "state.json").resolve())
    for tool in ("cf", "curl", "sleep"):
        path = tmp_path / "bin" / tool
        lines = path.read_text().splitlines()
        assert len(lines) == 2 and lines[0] == "#!/bin/sh"
        assert " -I -S " in lines[1] and lines[1].endswith(f'_entry.py {tool} "$@"')
        assert os.access(path, os.X_OK)


def test_stub_without_state_says_so(tmp_path: Path) -> None:
    env = install(tmp_path / "bin", tmp_path / "state.json")
    env.pop("FAKECF_STATE")
    proc = subprocess.run(["cf", "version"], env=dict(os.environ, **env, FAKECF_STATE=""),
                          capture_output=True, text=True)
    assert proc.returncode == 1 and "FAKECF_STATE" in proc.stderr


def test_create_and_queries(tmp_path: Path) -> None:
    fnd = Foundation.create(tmp_path / "s.json", cf_major=7, org="o", space="s", user="u",
                            domains=("a.com", "b.com"), router_lag_seconds=2)
    st = fnd.load()
    assert (st["cf_major"], st["cli_version"], st["router_lag_seconds"]) == (7, "7.8.0+cb395bf."
                                                                             "2024-12-02", 2.0)
    assert [d["name"] for d in st["domains"]] == ["a.com", "b.com"]
    fnd.add_app("x", instances=3, labels={"k": "v"}, behaviour={"version": "v9"})
    fnd.map_route("x", "www", "a.com", "p")
    app = fnd.app("x")
    assert app is not None
    assert (app["running"], app["routes"], app["labels"], app["behaviour"]["version"]) == (
        3, ["www.a.com/p"], {"k": "v"}, "v9")
    assert fnd.route_table() == {"www.a.com/p": ["x"]}
    assert fnd.served("http://www.a.com/p")
    assert fnd.clock() == 0.0
    assert fnd.calls() == [] and fnd.violations() == []


def test_calls_record_argv_status_time_and_mutation(world: World) -> None:
    world.sleep("7")
    world.cf("app", "blue")
    world.cf("stop", "blue")
    world.cf("stop")  # usage error: not run
    calls = world.fnd.calls()
    assert [(c["argv"], c["status"], c["time"], c["mutating"]) for c in calls] == [
        (["app", "blue"], 0, 7.0, False), (["stop", "blue"], 0, 7.0, True),
        (["stop"], 1, 7.0, False)]
    assert calls[1]["routes"] == {"www.example.com": ["blue"]}  # still mapped, but stopped
    assert calls[1]["served"] == {"www.example.com": False}
    assert world.fnd.violations()[0]["call"] == 2


def test_state_file_is_plain_json(world: World) -> None:
    world.cf("app", "blue")
    state = json.loads(world.state.read_text())
    assert state["format"] == "fakecf-state/1" and state["cf_calls"] == 1


def test_parallel_callers_lose_no_update(make_world: Callable[..., World]) -> None:
    w = make_world()
    w.fnd.add_app("x")
    loop = "for i in 1 2 3 4 5 6 7 8; do cf set-env x {p}$i v >/dev/null || exit 1; done"
    procs = [subprocess.Popen(["bash", "-c", loop.format(p=p)], cwd=w.work, env=w.env)
             for p in ("A", "B", "C")]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0]
    app = w.fnd.app("x")
    assert app is not None and len(app["env"]) == 24
    assert sorted(c["index"] for c in w.fnd.calls()) == list(range(1, 25))


def test_only_one_of_two_racing_lock_takers_wins(make_world: Callable[..., World]) -> None:
    w = make_world()
    sg = w.space_guid()
    body = json.dumps({"name": "lock", "relationships": {"space": {"data": {"guid": sg}}}})
    for _ in range(3):
        procs = [subprocess.Popen(["cf", "curl", "-f", "/v3/apps", "-X", "POST", "-d", body],
                                  cwd=w.work, env=w.env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL) for _ in range(2)]
        assert sorted(p.wait(timeout=30) for p in procs) == [0, 22]
        assert w.cf("delete", "lock", "-f").code == 0
