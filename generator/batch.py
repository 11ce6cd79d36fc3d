"""The one-way pipeline for a batch of profiles: files -> models -> text -> lint.

Nothing is written here; :mod:`generator.output` writes what this returns.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from generator.errors import BlueGreenError, ProfileError
from generator.lint import lint_scripts
from generator.model import Profile
from generator.profile import find_profiles, load_profile
from generator.render import make_environment, render_profile


def load_batch(paths: list[Path]) -> list[Profile]:
    """Load every profile, reporting the problems of all files together."""
    problems: list[str] = []
    profiles: list[Profile] = []
    for path in find_profiles(paths):
        try:
            profiles.append(load_profile(path))
        except ProfileError as error:
            problems.extend(error.problems)
    if problems:
        raise ProfileError(problems)
    seen: dict[str, Profile] = {}
    for profile in profiles:
        if profile.name in seen:
            raise BlueGreenError(
                f"two profiles would write out/{profile.name}/: rename one of the files"
            )
        seen[profile.name] = profile
    return profiles


def iter_scripts(profiles: list[Profile]) -> Iterator[tuple[str, str]]:
    """Render every script of every profile, unlinted, one profile at a time.

    Yields ``(name/script.sh, text)``. This is all ``check`` needs: the render is
    deterministic, so output that matches it byte for byte is what ``generate``
    linted and wrote.
    """
    env = make_environment()
    for profile in profiles:
        for script, text in render_profile(profile, env).items():
            yield f"{profile.name}/{script}", text


def render_scripts(profiles: list[Profile]) -> dict[str, str]:
    """Every script of every profile, unlinted: ``name/script.sh`` -> text."""
    return dict(iter_scripts(profiles))


def render_batch(profiles: list[Profile], progress: bool = False) -> dict[str, str]:
    """Render and lint every script of every profile: ``name/script.sh`` -> text.

    ``progress``: a progress bar on a terminal while a long lint runs.
    """
    files = render_scripts(profiles)
    lint_scripts(files, progress=progress)
    return files
