"""The pre-commit hooks, run by the real ``pre-commit try-repo`` on a throwaway app repo.

pre-commit installs a hook repository from a git commit, so the hooks are tried
on a snapshot: every file of this working tree that git would see (tracked and
untracked, not ignored), committed into a fresh repository. That is what is on
disk now, uncommitted changes included, and nothing else. pre-commit then
builds its own virtualenv and installs cf-bluegreen into it from that snapshot,
with the dependencies from the package index, as it would for a user; a
private PRE_COMMIT_HOME keeps the run isolated and is removed afterwards.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main

ROOT = Path(__file__).resolve().parent.parent
INSTALL_TIMEOUT = 900  # the first run builds pre-commit's virtualenv
RUN_TIMEOUT = 300


def git(*args: str, cwd: Path) -> str:
    result = subprocess.run(
        ["git", "-c", "user.name=cf-bluegreen tests", "-c", "user.email=tests@example.invalid",
         "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args],
        cwd=cwd, capture_output=True, text=True, check=True, timeout=120,
    )
    return result.stdout


def snapshot_working_tree(into: Path) -> str:
    """Commit what this working tree holds now into a new repository; return the commit."""
    listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=ROOT)
    into.mkdir()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is left out
            target = into / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    git("init", "-q", cwd=into)
    git("add", "-A", cwd=into)
    git("commit", "-q", "-m", "snapshot of the working tree", cwd=into)
    return git("rev-parse", "HEAD", cwd=into).strip()


def try_repo(app: Path, hook_repo: Path, ref: str, hook: str, home: Path,
             timeout: float) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRE_COMMIT", "GIT_"))}
    env["PRE_COMMIT_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), hook, "--ref", ref,
         "--all-files", "--color", "never"],
        cwd=app, env=env, capture_output=True, text=True, timeout=timeout,
    )


def test_hooks_with_the_real_pre_commit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hook_repo = tmp_path / "cf-bluegreen"
    ref = snapshot_working_tree(hook_repo)
    home = tmp_path / "pre-commit-home"

    app = tmp_path / "app"
    (app / "profiles").mkdir(parents=True)
    profile = app / "profiles" / "shop.toml"
    profile.write_text('app = "shop"\n'
                       '[routes]\nlive = [{ host = "shop", domain = "example.com" }]\n'
                       '[health]\npath = "/health"\n')
    git("init", "-q", cwd=app)
    monkeypatch.chdir(app)
    generated = CliRunner().invoke(main, ["generate"])
    assert generated.exit_code == 0, generated.output
    git("add", "-A", cwd=app)
    git("commit", "-q", "-m", "profile and scripts", cwd=app)

    fresh = try_repo(app, hook_repo, ref, "cf-bluegreen-check", home, INSTALL_TIMEOUT)
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    assert "blue-green scripts match their profiles" in fresh.stdout
    assert "Passed" in fresh.stdout

    profile.write_text(profile.read_text().replace("/health", "/healthz"))  # scripts now stale
    git("add", "-A", cwd=app)
    stale = try_repo(app, hook_repo, ref, "cf-bluegreen-check", home, RUN_TIMEOUT)
    assert stale.returncode == 1, stale.stdout + stale.stderr
    assert "Failed" in stale.stdout
    for script in ("deploy.sh", "rollback.sh", "status.sh"):
        assert f"stale: out/shop/{script} (differs)" in stale.stdout
    assert "run `cf-bluegreen generate` and commit the result" in stale.stdout


    valid = try_repo(app, hook_repo, ref, "cf-bluegreen-validate", home, RUN_TIMEOUT)
    assert valid.returncode == 0, valid.stdout + valid.stderr
    (app / "profiles" / "broken.toml").write_text('app = "broken"\ncolours = ["a", "b"]\n')
    git("add", "-A", cwd=app)
    broken = try_repo(app, hook_repo, ref, "cf-bluegreen-validate", home, RUN_TIMEOUT)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "cf-bluegreen profiles are valid" in broken.stdout and "Failed" in broken.stdout
    assert 'profiles/broken.toml:2: colours: unknown key, did you mean "colors"?' in broken.stdout
