"""A progress bar for long lint runs: on a terminal only, and only once the wait is felt.

A generate of a few profiles finishes before a bar would be read, and a CI log
(not a terminal) wants no bar at all: click would still print the label there,
so the terminal check is made here and no bar is created.
"""

from __future__ import annotations

import sys
import time
from typing import IO, TYPE_CHECKING

import click

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar

PROGRESS_DELAY_SECONDS = 2.0
"""The bar appears once the lint has run this long and is not finished."""


class DelayedProgressBar:
    """``click.progressbar`` on stderr, shown after :data:`PROGRESS_DELAY_SECONDS` on a TTY.

    Call it with ``(done, total)`` as work progresses, and :meth:`close` when done.
    """

    def __init__(self, label: str, stream: IO[str] | None = None,
                 delay_seconds: float | None = None) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.delay_seconds = PROGRESS_DELAY_SECONDS if delay_seconds is None else delay_seconds
        self.started = time.monotonic()
        self._bar: ProgressBar[int] | None = None
        self._shown = 0
        try:
            self.enabled = bool(self.stream.isatty())
        except (AttributeError, ValueError):  # no isatty, or a closed stream
            self.enabled = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or (done >= total and self._bar is None):
            return
        if self._bar is None:
            if time.monotonic() - self.started < self.delay_seconds:
                return
            self._bar = click.progressbar(length=total, label=self.label, file=self.stream,
                                          show_eta=True, show_pos=True)
            self._bar.__enter__()
        self._bar.update(done - self._shown)
        self._shown = done

    def close(self) -> None:
        """Finish the bar's line (if one was shown)."""
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None
