"""The profile validator as the judge of every drafted value, and shared naming helpers.

The profile's own rules are not repeated in ``init``: each value is tried on the
real validator (:func:`generator.profile.load_profile`, on a tiny probe
document) before it is written, and the whole draft is loaded once more before
it is returned. So a draft always passes ``cf-bluegreen validate``, and when the
profile rules change (new keys, apex routes), the drafts follow without a change
here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomlkit

from generator.errors import ProfileError
from generator.profile import load_profile

_PROBE_STAGING = {"host": "cf-bluegreen-probe", "domain": "probe.invalid"}


@dataclass
class Draft:
    """A drafted profile: its TOML text, and what the user should look at first."""

    text: str
    stem: str
    warnings: list[str] = field(default_factory=list)


def profile_stem(name: str) -> str:
    """A file name for the profile (it also names the output folder out/<stem>/)."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".-")
    return stem[:100] or "app"


def host_label(name: str) -> str:
    """A name made into a host label the way one would by hand: lower case, '-' for the rest."""
    return re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")[:63].strip("-") or "app"


class Judge:
    """Asks the real profile loader about small documents; returns its problems."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    def problems(self, document: dict[str, Any], display: str = "profile") -> list[str]:
        self.count += 1
        path = self.folder / f"probe{self.count}.toml"
        path.write_text(tomlkit.dumps(document), encoding="utf-8")
        try:
            load_profile(path, display_name=display)
        except ProfileError as error:
            return [problem.removeprefix(f"{display}: ") for problem in error.problems]
        finally:
            path.unlink()
        return []

    def why_not(self, app: str, **parts: Any) -> str | None:
        """The first problem of ``{"app": app, **parts}``, or None when it is valid."""
        problems = self.problems({"app": app, **parts})
        return problems[0] if problems else None


def route_parts(route: dict[str, str]) -> dict[str, Any]:
    staging = dict(_PROBE_STAGING)
    if route.get("domain") == staging["domain"]:
        staging["domain"] = "probe2.invalid"
    return {"routes": {"live": [route], "staging": staging}}
