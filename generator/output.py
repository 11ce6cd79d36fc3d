"""Rendered batches on disk: atomic writes, and drift checks against them."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

SCRIPT_MODE = 0o755


def _is_current(target: Path, data: bytes) -> bool:
    try:
        return target.stat().st_mode & 0o777 == SCRIPT_MODE and target.read_bytes() == data
    except OSError:
        return False


def write_batch(out_dir: Path, files: dict[str, str]) -> list[Path]:
    """Write ``files`` (relative path -> text) under ``out_dir``; return what was written.

    A file that already holds exactly its text (and mode 755) is left alone, so
    a regenerate touches only what changed (mtimes stay meaningful). Every
    other file is first written in full to a temporary file beside its target,
    and only once all of them exist are they renamed into place, so an error
    (disk full, permissions) never leaves a half-written script behind.
    """
    staged: list[tuple[Path, Path]] = []
    try:
        for relative, text in sorted(files.items()):
            target = out_dir / relative
            data = text.encode("utf-8")
            if _is_current(target, data):
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(tmp_name, SCRIPT_MODE)
            staged.append((Path(tmp_name), target))
        for tmp, target in staged:
            os.replace(tmp, target)
    finally:
        for tmp, _ in staged:
            if tmp.exists():
                tmp.unlink()
    return [target for _, target in staged]


@dataclass(frozen=True)
class Drift:
    """What ``check`` found: how many scripts it compared, and the stale ones."""

    checked: int
    stale: list[str]


def find_drift(out_dir: Path, files: Iterable[tuple[str, str]], complete: bool = False) -> Drift:
    """Compare rendered ``(relative path, text)`` pairs with ``out_dir``, one at a time.

    Stale: a file that is missing, differs, or is not executable. The pairs may
    come straight from the renderer, so a fleet's scripts are never all in memory.
    ``complete``: ``files`` is every profile's output (a whole profiles folder was
    checked), so a script in ``out_dir`` that no profile produces is stale too.
    """
    stale: list[str] = []
    produced: set[str] = set()
    for relative, text in files:
        produced.add(relative)
        target = out_dir / relative
        try:
            mode = target.stat().st_mode
            same = stat.S_ISREG(mode) and target.read_bytes() == text.encode("utf-8")
        except FileNotFoundError:
            stale.append(f"{relative} (missing)")
            continue
        if not same:
            stale.append(f"{relative} (differs)")
        elif mode & 0o777 != SCRIPT_MODE:
            stale.append(f"{relative} (mode {mode & 0o777:o}, want 755)")
    orphans = []
    if complete and out_dir.is_dir():
        for script in sorted(out_dir.glob("*/*.sh")):
            relative = script.relative_to(out_dir).as_posix()
            if relative not in produced:
                orphans.append(f"{relative} (no profile produces it)")
    return Drift(len(produced), orphans + sorted(stale))
