"""The wheel: the top-level ``templates/`` folder ships inside it and renders from it.

A source checkout keeps the templates beside ``generator/`` (``templates/``);
``pip install .`` must carry them into the installed package, or every command
of an installed cf-bluegreen fails. The wheel is built from a copy of the files
git sees (no build artefacts land in the repository), unpacked, and run on its
own: the scripts it renders for the example profiles must be the committed ones.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUILD_TIMEOUT = 600  # an isolated build may first fetch setuptools


def source_copy(into: Path) -> Path:
    """The files git sees (tracked and untracked, not ignored), copied to ``into``."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=60,
    ).stdout
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            target = into / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return into


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    src = source_copy(work / "src")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(work / "dist"),
         str(src)],
        capture_output=True, text=True, timeout=BUILD_TIMEOUT,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (found,) = (work / "dist").glob("cf_bluegreen-*.whl")
    return found


def test_the_wheel_carries_every_template(wheel: Path) -> None:
    in_source = sorted(p.relative_to(ROOT / "templates").as_posix()
                       for p in (ROOT / "templates").rglob("*.j2"))
    assert "deploy.sh.j2" in in_source and "partials/runtime.sh.j2" in in_source
    with zipfile.ZipFile(wheel) as archive:
        in_wheel = sorted(n.removeprefix("generator/templates/") for n in archive.namelist()
                          if n.startswith("generator/templates/") and n.endswith(".j2"))
        for name in in_source:
            assert (archive.read(f"generator/templates/{name}")
                    == (ROOT / "templates" / name).read_bytes()), name
    assert in_wheel == in_source


def test_the_unpacked_wheel_renders_the_committed_scripts(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    shutil.copytree(ROOT / "profiles", tmp_path / "profiles")
    # Only the unpacked wheel provides `generator` (not this checkout), run from
    # a folder with no templates/ beside it.
    env = {**os.environ, "PYTHONPATH": str(site), "PYTHONSAFEPATH": "1"}
    run = subprocess.run(
        [sys.executable, "-c",
         "import generator, sys; print(generator.__file__); "
         "from generator.cli import main; sys.exit(main(['generate', '-o', 'built']))"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.splitlines()[0].startswith(str(site))
    committed = sorted(p.relative_to(ROOT / "out") for p in (ROOT / "out").rglob("*.sh"))
    built = sorted(p.relative_to(tmp_path / "built") for p in (tmp_path / "built").rglob("*.sh"))
    assert built == committed
    for name in committed:
        assert (tmp_path / "built" / name).read_bytes() == (ROOT / "out" / name).read_bytes(), name
