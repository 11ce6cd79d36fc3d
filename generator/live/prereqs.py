"""Finding the real programs live mode runs: nginx, openssl, curl, chromium.

Debian installs nginx in /usr/sbin, which is not on a normal user's PATH, so the
usual system folders are searched too; ``CF_BLUEGREEN_NGINX`` and
``CF_BLUEGREEN_CHROMIUM`` name a binary explicitly.
"""

from __future__ import annotations

import os
import shutil

from generator.live.errors import MissingProgram

_EXTRA_DIRS = ("/usr/sbin", "/usr/local/sbin", "/sbin", "/usr/local/bin", "/opt/homebrew/bin")

INSTALL_HINTS = {
    "nginx": "apt-get install nginx (Debian/Ubuntu), brew install nginx (macOS)",
    "openssl": "apt-get install openssl, brew install openssl",
    "curl": "apt-get install curl, brew install curl",
    "chromium": "apt-get install chromium (Debian), or set CF_BLUEGREEN_CHROMIUM to a "
                "Chrome/Chromium binary",
}
_NAMES = {"chromium": ("chromium", "chromium-browser", "google-chrome", "chrome")}
_OVERRIDES = {"nginx": "CF_BLUEGREEN_NGINX", "chromium": "CF_BLUEGREEN_CHROMIUM"}


def find(program: str) -> str | None:
    """Absolute path of ``program`` (PATH first, then the system folders), or None."""
    override = os.environ.get(_OVERRIDES.get(program, ""), "")
    if override:
        return override if os.access(override, os.X_OK) else None
    for name in _NAMES.get(program, (program,)):
        found = shutil.which(name)
        if found:
            return found
        for folder in _EXTRA_DIRS:
            candidate = os.path.join(folder, name)
            if os.access(candidate, os.X_OK) and os.path.isfile(candidate):
                return candidate
    return None


def require(*programs: str) -> dict[str, str]:
    """Paths of all ``programs``; :class:`MissingProgram` (exit 3) naming every one
    that is missing and how to install it."""
    found = {p: find(p) for p in programs}
    missing = [p for p, path in found.items() if path is None]
    if missing:
        hints = "; ".join(f"{p}: {INSTALL_HINTS[p]}" for p in missing)
        named = [f"{_OVERRIDES[p]}={os.environ[_OVERRIDES[p]]} is not executable"
                 for p in missing if os.environ.get(_OVERRIDES.get(p, ""), "")]
        where = "; ".join(named) if named else "not found on PATH or in /usr/sbin"
        raise MissingProgram(f"live mode needs {', '.join(missing)}: {where} ({hints})")
    return {p: path for p, path in found.items() if path is not None}
