"""One exception family, so the CLI can map every failure to one exit status."""

from __future__ import annotations


class BlueGreenError(Exception):
    """Base of every error the generator reports to a user (never a traceback)."""

    exit_code = 1


class ProfileError(BlueGreenError):
    """A profile is unreadable or invalid; carries one line per problem.

    Exit status 2, like a usage error: the input is wrong, not the tool.
    """

    exit_code = 2

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class LintError(BlueGreenError):
    """Emitted bash failed shellcheck; nothing was written."""

    exit_code = 1


class InputError(BlueGreenError):
    """A file we were handed (an app manifest) cannot be used, or an output would be
    overwritten; one line of text.

    Exit status 2, like a bad profile: the input is wrong, not the tool.
    """

    exit_code = 2
