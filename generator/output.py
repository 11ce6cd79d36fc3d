"""Rendered batches on disk: atomic writes, and drift checks against them."""

from __future__ import annotations

import os
import tempfile
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


def stale_files(out_dir: Path, files: dict[str, str], complete: bool = False) -> list[str]:
    """Relative paths whose file is missing, differs, or is not executable.

    ``complete``: ``files`` is every profile's output (a whole profiles folder was
    checked), so a script in ``out_dir`` that no profile produces is stale too.
    """
    stale = []
    if complete and out_dir.is_dir():
        for script in sorted(out_dir.glob("*/*.sh")):
            relative = script.relative_to(out_dir).as_posix()
            if relative not in files:
                stale.append(f"{relative} (no profile produces it)")
    for relative, text in sorted(files.items()):
        target = out_dir / relative
        if not target.is_file():
            stale.append(f"{relative} (missing)")
        elif target.read_bytes() != text.encode("utf-8"):
            stale.append(f"{relative} (differs)")
        elif target.stat().st_mode & 0o777 != SCRIPT_MODE:
            stale.append(f"{relative} (mode {target.stat().st_mode & 0o777:o}, want 755)")
    return stale
