"""Remember which script texts passed the lint gate, so unchanged scripts cost no shellcheck.

shellcheck spends most of a second on each emitted script; a fleet of 1,000 apps
means about 3,000 scripts, and regenerating them after a change to one profile
should only lint what changed. A text passes or fails the gate as a pure function
of (its bytes, the shellcheck binary's version and flags, our bash 3.2 rules), so
those are the key:

- one file per *salt* (shellcheck version + flags + rules), named after it,
  holding one line per passing text: the sha256 of its UTF-8 bytes;
- only passes are recorded: a failure is linted again next time, so a cached
  entry can never turn a failing script into a passing one;
- the cache lives in the user's cache directory, never in the repository, and
  is created only when the first pass is recorded;
- it is bounded: past :data:`MAX_ENTRIES` it keeps only the current run's passes;
- it is an optimisation only: a missing, corrupt, unreadable or unwritable cache
  degrades to linting everything (with one warning), never to a failed or
  falsified run. Deleting the folder is always safe.

The location is read from the environment rather than through platformdirs: the
XDG rule is a few lines, the issue asks for XDG_CACHE_HOME on every platform
(platformdirs would pick ~/Library/Caches on macOS), and it saves a dependency.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

CACHE_DIR_ENV = "CF_BLUEGREEN_CACHE_DIR"
"""Overrides the cache folder (for example a CI cache path)."""

_DIGEST = re.compile(rb"[0-9a-f]{64}")

MAX_ENTRIES = 100_000
"""Past this many passes (6.5 MB), the file is rewritten with only the current
run's passes: every template change adds a fleet's worth of new entries, and
without a bound the cache would grow for ever."""


def default_cache_dir() -> Path:
    """``$CF_BLUEGREEN_CACHE_DIR``, else ``$XDG_CACHE_HOME/cf-bluegreen``, else ``~/.cache/...``.

    The XDG Base Directory spec says a relative ``XDG_CACHE_HOME`` is invalid and
    must be ignored, which also keeps a stray ``XDG_CACHE_HOME=.cache`` from
    putting the cache inside whatever repository the command runs in.
    """
    override = os.environ.get(CACHE_DIR_ENV)
    if override:
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "cf-bluegreen"


def text_digest(text: str) -> str:
    """The content key of one script text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class LintCache:
    """The passes recorded under one salt; every failure of the disk is survivable.

    ``problem`` holds the first reason the cache could not be used (for one
    warning line); from then on nothing more is written in this process.
    """

    def __init__(self, folder: Path | None, salt: str) -> None:
        self.folder = folder
        self.problem: str | None = None
        salt_id = hashlib.sha256(salt.encode("utf-8")).hexdigest()[:20]
        self.path = None if folder is None else folder / f"lint-passes-{salt_id}.txt"
        self._passed = self._read()

    def _read(self) -> set[str]:
        if self.path is None:
            return set()
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return set()
        except (OSError, ValueError) as error:
            self._disable(error)
            return set()
        # A torn or garbled line is simply not a digest and is ignored.
        return {line.decode("ascii") for line in data.split(b"\n") if _DIGEST.fullmatch(line)}

    def passed(self, digest: str) -> bool:
        """True when a text with this digest passed the gate under this salt before."""
        return digest in self._passed

    def record_passes(self, digests: Iterable[str]) -> None:
        """Append passing digests (one write, so concurrent runs do not interleave lines)."""
        new = sorted(set(digests) - self._passed)
        if not new or self.path is None or self.problem is not None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                # A line of its own even if a killed run left half a line behind.
                data = memoryview(("\n" + "\n".join(new) + "\n").encode("ascii"))
                while data:
                    data = data[os.write(fd, data):]
            finally:
                os.close(fd)
        except (OSError, ValueError) as error:
            self._disable(error)
            return
        self._passed.update(new)

    def trim(self, in_use: Iterable[str]) -> None:
        """Past :data:`MAX_ENTRIES`, rewrite the file with only the passes in ``in_use``.

        A concurrent run's new entries may be lost: that costs it a re-lint next
        time, never a wrong answer.
        """
        if len(self._passed) <= MAX_ENTRIES or self.path is None or self.problem is not None:
            return
        keep = sorted(set(in_use) & self._passed)
        temporary: str | None = None
        try:
            fd, temporary = tempfile.mkstemp(prefix=".lint-passes-", dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write("".join(f"{digest}\n" for digest in keep))
            os.replace(temporary, self.path)
        except (OSError, ValueError) as error:
            if temporary is not None and os.path.exists(temporary):
                os.unlink(temporary)
            self._disable(error)
            return
        self._passed = set(keep)

    def _disable(self, error: Exception) -> None:
        if self.problem is None:
            reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
            self.problem = f"lint cache {self.folder} unusable ({reason}); linting without it"
