"""The lint gate at scale: cache by content, parallel batches, progress bar.

shellcheck is replaced by a shim that logs every invocation and then runs the
real shellcheck, so each test counts exactly which files were shellchecked.
The scripts are tiny (shellcheck takes milliseconds on them) except in the one
end-to-end test that generates an example profile.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import generator.lint
import generator.lint_cache
import generator.progress
import generator.shellcheck
from generator.cli import main
from generator.errors import LintError
from generator.lint import lint_scripts
from generator.lint_cache import CACHE_DIR_ENV, default_cache_dir, text_digest
from generator.progress import DelayedProgressBar
from generator.shellcheck import shellcheck_binary

ROOT = Path(__file__).resolve().parent.parent
REAL_SHELLCHECK = shellcheck_binary()


class Shim:
    """A shellcheck on disk that logs its arguments (one line per run), then runs the real one."""

    def __init__(self, folder: Path, version: str = "", exit_code: int | None = None,
                 sleep: float = 0) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.log = folder / "calls.log"
        self.path = folder / "shellcheck"
        version_line = (f'if [ "$1" = --version ]; then echo "version: {version}"; exit 0; fi\n'
                        if version else "")
        run = f"exit {exit_code}\n" if exit_code is not None else f'exec "{REAL_SHELLCHECK}" "$@"\n'
        self.path.write_text(
            "#!/bin/sh\n"
            + version_line
            + f'[ "$1" = --version ] || echo "$*" >> "{self.log}"\n'
            + (f"sleep {sleep}\n" if sleep else "")
            + run
        )
        self.path.chmod(0o755)

    def checked(self) -> list[str]:
        """Every .sh file shellcheck was asked to check, over all runs so far."""
        if not self.log.exists():
            return []
        return [word for line in self.log.read_text().splitlines()
                for word in line.split() if word.endswith(".sh")]

    def runs(self) -> int:
        return len(self.log.read_text().splitlines()) if self.log.exists() else 0


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(CACHE_DIR_ENV, str(folder))
    return folder


@pytest.fixture
def shim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Shim:
    made = Shim(tmp_path / "shim")
    monkeypatch.setattr(generator.lint, "shellcheck_binary", lambda: str(made.path))
    return made


def use_shim(monkeypatch: pytest.MonkeyPatch, made: Shim) -> Shim:
    monkeypatch.setattr(generator.lint, "shellcheck_binary", lambda: str(made.path))
    return made


def clean(n: int) -> str:
    return f'#!/usr/bin/env bash\nprintf "%s\\n" "script {n}"\n'


UNQUOTED = '#!/usr/bin/env bash\necho $1\n'  # SC2086
BASH4 = '#!/usr/bin/env bash\nmapfile -t lines < /dev/null\nprintf "%s\\n" "${lines[@]}"\n'


def cached_digests(folder: Path) -> set[str]:
    return {line for file in folder.glob("lint-passes-*.txt")
            for line in file.read_bytes().decode("ascii", "replace").split() if line}


def test_cache_hit_skips_shellcheck(cache_dir: Path, shim: Shim) -> None:
    scripts = {f"app{n}/deploy.sh": clean(n) for n in range(3)}
    lint_scripts(scripts)
    assert len(shim.checked()) == 3
    assert cached_digests(cache_dir) == {text_digest(t) for t in scripts.values()}
    lint_scripts(scripts)
    assert len(shim.checked()) == 3, "second run of unchanged scripts ran shellcheck"
    changed = dict(scripts, **{"app1/deploy.sh": clean(99)})
    lint_scripts(changed)
    assert len(shim.checked()) == 4, "only the changed script is checked again"


def test_a_failure_is_never_cached_as_a_pass(cache_dir: Path, shim: Shim) -> None:
    scripts = {"good/deploy.sh": clean(1), "bad/deploy.sh": UNQUOTED, "old/deploy.sh": BASH4}
    for attempt in range(2):
        with pytest.raises(LintError) as error:
            lint_scripts(scripts)
        message = str(error.value)
        assert "bad/deploy.sh:2:" in message and "SC2086" in message, attempt
        assert "old/deploy.sh:2: mapfile needs bash 4" in message, attempt
        assert "good/deploy.sh" not in message
    assert cached_digests(cache_dir) == {text_digest(clean(1))}
    # The failing scripts were shellchecked both times; the passing one once.
    checked = [Path(p).name for p in shim.checked()]
    assert len(checked) == 3 + 2


@pytest.mark.parametrize("exit_code", [1, 3])
def test_a_shellcheck_that_fails_without_findings_passes_nothing(
    cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exit_code: int
) -> None:
    use_shim(monkeypatch, Shim(tmp_path / "broken", exit_code=exit_code))
    with pytest.raises(LintError):
        lint_scripts({"a/deploy.sh": clean(1)})
    assert cached_digests(cache_dir) == set()


def test_a_changed_shellcheck_version_invalidates(
    cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scripts = {"a/deploy.sh": clean(1), "b/deploy.sh": clean(2)}
    old = use_shim(monkeypatch, Shim(tmp_path / "old", version="0.10.0"))
    lint_scripts(scripts)
    new = use_shim(monkeypatch, Shim(tmp_path / "new", version="0.11.0"))
    lint_scripts(scripts)
    assert len(new.checked()) == 2, "a new shellcheck must look at every script again"
    use_shim(monkeypatch, old)
    lint_scripts(scripts)
    assert len(old.checked()) == 2, "the old version's passes are still valid for it"


def test_changed_scan_rules_invalidate(
    cache_dir: Path, shim: Shim, monkeypatch: pytest.MonkeyPatch
) -> None:
    scripts = {"a/deploy.sh": clean(1)}
    lint_scripts(scripts)
    monkeypatch.setattr(generator.lint, "BASH32_RULES_VERSION",
                        generator.lint.BASH32_RULES_VERSION + 1)
    lint_scripts(scripts)
    assert len(shim.checked()) == 2


def test_parallel_batches_report_every_finding_with_its_file(
    cache_dir: Path, shim: Shim, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(generator.shellcheck, "MAX_BATCH", 2)
    monkeypatch.setattr(generator.shellcheck, "worker_count", lambda: 3)
    scripts = {}
    for n in range(17):
        filler = "".join(f': "{k}"\n' for k in range(n))  # the finding moves down a line each
        body = "echo $1\n" if n % 2 else 'echo "$1"\n'
        scripts[f"app{n:02}/deploy.sh"] = f"#!/usr/bin/env bash\n{filler}{body}"
    with pytest.raises(LintError) as error:
        lint_scripts(scripts)
    findings = str(error.value).splitlines()[1:]
    assert shim.runs() == 9, "17 files in batches of at most 2"
    expected = [f"app{n:02}/deploy.sh:{n + 2}:" for n in range(17) if n % 2]
    assert len(findings) == len(expected), findings
    for line, start in zip(findings, expected, strict=True):
        assert line.startswith(start) and "SC2086" in line, (line, start)
    assert cached_digests(cache_dir) == {text_digest(scripts[f"app{n:02}/deploy.sh"])
                                         for n in range(17) if n % 2 == 0}


def test_cache_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CACHE_DIR_ENV, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "cf-bluegreen"
    monkeypatch.setenv("XDG_CACHE_HOME", ".cache")  # relative: invalid per the XDG spec
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "cf-bluegreen"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "cf-bluegreen"
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "ci-cache"))
    assert default_cache_dir() == tmp_path / "ci-cache"


def _tree(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


def test_generate_twice_costs_no_shellcheck_and_caches_outside_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shim: Shim
) -> None:
    project = tmp_path / "project"
    (project / "profiles").mkdir(parents=True)
    shutil.copy(ROOT / "profiles" / "minimal.toml", project / "profiles")
    home = tmp_path / "home"
    monkeypatch.delenv(CACHE_DIR_ENV, raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(project)
    runner = CliRunner()

    for command in (["validate"], ["check"]):
        runner.invoke(main, command)
    assert not home.exists(), "validate and check never create the cache"

    first = runner.invoke(main, ["generate"])
    assert first.exit_code == 0, first.output
    assert len(shim.checked()) == 3
    assert "3 scripts in out: 3 written, 0 already up to date" in first.stdout
    assert _tree(project) == {"profiles", "profiles/minimal.toml", "out", "out/minimal",
                              *(f"out/minimal/{s}" for s in
                                ("deploy.sh", "rollback.sh", "status.sh"))}
    assert len(cached_digests(home / ".cache" / "cf-bluegreen")) == 3

    second = runner.invoke(main, ["generate"])
    assert second.exit_code == 0, second.output
    assert len(shim.checked()) == 3, "regenerating unchanged scripts ran shellcheck"
    assert "wrote" not in second.stdout
    assert "3 scripts in out: 0 written, 3 already up to date" in second.stdout

    runs = shim.runs()
    checked = runner.invoke(main, ["check"])
    assert checked.exit_code == 0, checked.output
    assert shim.runs() == runs, "check never runs shellcheck: a byte comparison is the check"
    deploy = project / "out" / "minimal" / "deploy.sh"
    deploy.chmod(0o644)
    (project / "out" / "minimal" / "status.sh").unlink()
    stale = runner.invoke(main, ["check"])
    assert stale.exit_code == 1
    assert "stale: out/minimal/deploy.sh (mode 644, want 755)" in stale.stderr
    assert "stale: out/minimal/status.sh (missing)" in stale.stderr
    assert shim.runs() == runs


def test_the_cache_folder_is_created_only_for_a_pass(cache_dir: Path, shim: Shim) -> None:
    with pytest.raises(LintError):
        lint_scripts({"bad/deploy.sh": UNQUOTED})
    assert not cache_dir.exists()
    lint_scripts({"good/deploy.sh": clean(1)})
    assert cache_dir.is_dir()


def _unusable_caches(tmp_path: Path) -> dict[str, Path]:
    """Ways a cache folder can be broken, each returning the folder to configure."""
    cases: dict[str, Path] = {}
    parent_is_a_file = tmp_path / "plain-file"
    parent_is_a_file.write_text("not a folder")
    cases["parent is a file"] = parent_is_a_file / "cache"
    cases["entry is a folder"] = tmp_path / "entry-is-a-folder"  # made in the test
    if sys.platform.startswith("linux"):
        cases["read-only file system"] = Path("/proc/cf-bluegreen-cache")
    if os.geteuid() != 0:
        read_only = tmp_path / "read-only"
        read_only.mkdir()
        read_only.chmod(stat.S_IRUSR | stat.S_IXUSR)
        cases["no write permission"] = read_only / "cache"
    return cases


def test_an_unusable_cache_degrades_to_linting_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shim: Shim,
    capsys: pytest.CaptureFixture[str],
) -> None:
    scripts = {"a/deploy.sh": clean(1), "bad/deploy.sh": UNQUOTED}
    for case, folder in _unusable_caches(tmp_path).items():
        monkeypatch.setenv(CACHE_DIR_ENV, str(folder))
        if case == "entry is a folder":
            # Learn the cache file's name in a scratch folder, then put a folder there.
            monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "scratch"))
            lint_scripts({"a/deploy.sh": clean(1)})
            name = next((tmp_path / "scratch").glob("lint-passes-*.txt")).name
            (folder / name).mkdir(parents=True)
            monkeypatch.setenv(CACHE_DIR_ENV, str(folder))
        before = len(shim.checked())
        for _ in range(2):
            with pytest.raises(LintError) as error:
                lint_scripts(scripts)
            assert "bad/deploy.sh:2:" in str(error.value), case
            assert "a/deploy.sh" not in str(error.value), case
            lint_scripts({"a/deploy.sh": clean(1)})
        assert len(shim.checked()) - before == 2 * 3, f"{case}: every run lints everything"
        warning = capsys.readouterr().err
        assert "warning: lint cache" in warning and "linting without it" in warning, case


def test_a_corrupt_cache_file_is_read_as_far_as_it_is_valid(cache_dir: Path, shim: Shim) -> None:
    scripts = {"a/deploy.sh": clean(1), "b/deploy.sh": clean(2)}
    lint_scripts(scripts)
    cache_file = next(cache_dir.glob("lint-passes-*.txt"))
    digest_b = text_digest(clean(2))
    # Garbage, a torn line (a run killed mid-write) and b's entry lost.
    cache_file.write_bytes(b"\x00\xff garbage\n" + text_digest(clean(1)).encode()
                           + b"\n" + digest_b[:40].encode())
    lint_scripts(scripts)
    assert len(shim.checked()) == 2 + 1, "only b, whose entry was torn, is checked again"
    lint_scripts(scripts)
    assert len(shim.checked()) == 3
    assert digest_b in cached_digests(cache_dir)


def test_the_cache_is_trimmed_to_the_current_run_past_its_bound(
    cache_dir: Path, shim: Shim, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(generator.lint_cache, "MAX_ENTRIES", 3)
    old = {f"old{n}/deploy.sh": clean(n) for n in range(3)}
    new = {f"new{n}/deploy.sh": clean(10 + n) for n in range(2)}
    lint_scripts(old)
    assert len(cached_digests(cache_dir)) == 3, "within the bound: nothing trimmed"
    lint_scripts(new)
    assert cached_digests(cache_dir) == {text_digest(t) for t in new.values()}
    assert [p.name for p in cache_dir.iterdir()] == [next(cache_dir.glob("lint-*")).name]
    lint_scripts(new)
    assert len(shim.checked()) == 5, "the current run's passes survive the trim"
    lint_scripts(old)
    assert len(shim.checked()) == 8, "trimmed passes are linted again, nothing worse"


# -- progress bar -----------------------------------------------------------------------------


def _read_all(fd: int) -> str:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the other side is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode("utf-8", "replace")


def _lint_on(stream_is_tty: bool, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
             delay: float) -> str:
    """What a slow lint of 6 scripts printed on stderr, a terminal or a pipe."""
    use_shim(monkeypatch, Shim(tmp_path / f"slow{stream_is_tty}{delay}", sleep=0.4))
    monkeypatch.setattr(generator.shellcheck, "MAX_BATCH", 1)
    monkeypatch.setattr(generator.progress, "PROGRESS_DELAY_SECONDS", delay)
    reader, writer = os.openpty() if stream_is_tty else os.pipe()
    stream = os.fdopen(writer, "w")
    try:
        with monkeypatch.context() as patch:
            patch.setattr(sys, "stderr", stream)
            lint_scripts({f"app{n}/deploy.sh": clean(n) for n in range(6)}, progress=True)
    finally:
        stream.close()
    output = _read_all(reader)
    os.close(reader)
    return output


def test_progress_bar_on_a_terminal_once_the_wait_is_felt(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    output = _lint_on(True, monkeypatch, tmp_path, delay=0.0)
    assert "shellcheck 6 scripts" in output and "0/6" in output and "6/6" in output


def test_no_progress_bar_for_a_short_run_on_a_terminal(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert _lint_on(True, monkeypatch, tmp_path, delay=60.0) == ""


def test_no_progress_bar_when_stderr_is_not_a_terminal(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert _lint_on(False, monkeypatch, tmp_path, delay=0.0) == ""


def test_generate_under_click_testing_prints_no_bar(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    use_shim(monkeypatch, Shim(tmp_path / "slow", sleep=0.3))
    monkeypatch.setattr(generator.progress, "PROGRESS_DELAY_SECONDS", 0.0)
    result = CliRunner().invoke(main, ["generate", str(ROOT / "profiles" / "minimal.toml"),
                                       "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


def test_bar_object_is_silent_on_a_stream_without_a_terminal(tmp_path: Path) -> None:
    with open(tmp_path / "log", "w") as stream:
        bar = DelayedProgressBar("x", stream=stream, delay_seconds=0)
        bar(1, 2)
        bar.close()
    assert (tmp_path / "log").read_text() == ""
