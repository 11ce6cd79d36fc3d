"""Errors of the live rehearsal, mapped to the CLI's documented exit statuses."""

from __future__ import annotations

from generator.errors import BlueGreenError


class LiveError(BlueGreenError):
    """The live world could not be built or run (nginx refused a config, a process
    did not start): exit status 1, with what failed."""

    exit_code = 1


class MissingProgram(LiveError):
    """A program live mode needs is not installed: exit status 3, one line saying
    what to install."""

    exit_code = 3
