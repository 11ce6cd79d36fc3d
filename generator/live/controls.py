"""Negative controls: deploys that do drop requests, to prove the measurement sees it.

A zero on our own scripts means something only if the same prober and router
report failures where there is downtime. Three controls, each run against the
same live world as the real scripts:

- :func:`stop_before_unmap`: the emitted deploy.sh, except that every
  ``cf unmap-route OLD <live route>`` is preceded by ``cf stop OLD``. It is done
  with a ``cf`` wrapper first on PATH rather than by editing the script text, so
  the control keeps working whatever the templates look like;
- :func:`zero_drain`: the profile with ``drain_seconds = 0`` (the old color is
  stopped right after its live routes were unmapped, while the router still
  sends it traffic for the router lag);
- :func:`manual_procedure`: the anynines guide's manual procedure, as written
  (``cf push``, ``map-route`` live, ``unmap-route`` old, ``unmap-route`` staging,
  ``cf stop`` at once), as a plain script.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TypeVar

from generator.model import Profile, Route
from generator.render import shell_quote

T = TypeVar("T")


def _route_args(profile: Profile, route: Route) -> list[str]:
    flag = "-n" if profile.cf_cli == 6 else "--hostname"
    args = [route.domain, flag, route.host] if route.host else [route.domain]
    if route.path:
        args += ["--path", route.path]
    return args


def _line(words: list[str]) -> str:
    return " ".join(shell_quote(w) for w in words)


def stop_before_unmap(profile: Profile, bin_dir: Path, real_cf: Path, path: str
                      ) -> dict[str, str]:
    """Write the ``cf`` wrapper into ``bin_dir``; return the environment (PATH: the
    wrapper before ``path``) to run deploy.sh with."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    cases = []
    for route in profile.live_routes:
        args = _route_args(profile, route)
        cases.append(" ".join(shell_quote(a) for a in args))
    script = [
        "#!/usr/bin/env bash",
        "# Negative control: stop an app before unmapping it from a live route.",
        f"real={shell_quote(str(real_cf))}",
        'if [[ "${1:-}" == unmap-route && $# -ge 3 ]]; then',
        '  app=$2',
        '  shift 2',
        '  case "$*" in',
        *[f"    {shell_quote(c)}) \"$real\" stop \"$app\" >/dev/null 2>&1 || true ;;"
          for c in cases],
        "  esac",
        '  exec "$real" unmap-route "$app" "$@"',
        "fi",
        'exec "$real" "$@"',
    ]
    wrapper = bin_dir / "cf"
    wrapper.write_text("\n".join(script) + "\n", encoding="utf-8")
    wrapper.chmod(0o755)
    return {"PATH": f"{bin_dir}:{path}"}


def zero_drain(profile: Profile) -> Profile:
    """The profile with no drain between unmapping the old color and retiring it."""
    return replace_fields(profile, cutover=replace_fields(profile.cutover, drain_seconds=0))


def manual_procedure(profile: Profile, path: Path, app_dir: Path) -> Path:
    """Write the guide's procedure for this profile (old = first color, new = second)
    as a plain bash script at ``path``."""
    old, new = profile.colors
    staging = profile.staging_route
    lines = ["#!/usr/bin/env bash",
             "# The anynines zero-downtime guide's manual procedure, as written, run as one",
             "# script: push the new app on the staging route, map the live route to it,",
             "# unmap the old app, unmap staging, stop the old app at once. No health check,",
             "# no settle, no drain.",
             "set -euo pipefail"]
    if profile.cf_cli == 6 and staging is not None:
        lines.append(_line(["cf", "push", new, "-p", str(app_dir), *_route_args(profile,
                                                                                   staging)]))
    else:
        # cf v7+ has no route flags on push: the same step is push + map-route.
        lines.append(_line(["cf", "push", new, "-p", str(app_dir), "--no-route"]))
        if staging is not None:
            lines.append(_line(["cf", "map-route", new, *_route_args(profile, staging)]))
    for route in profile.live_routes:
        lines.append(_line(["cf", "map-route", new, *_route_args(profile, route)]))
    for route in profile.live_routes:
        lines.append(_line(["cf", "unmap-route", old, *_route_args(profile, route)]))
    if staging is not None:
        lines.append(_line(["cf", "unmap-route", new, *_route_args(profile, staging)]))
    lines.append(_line(["cf", "stop", old]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o755)
    return path


def replace_fields(obj: T, **changes: object) -> T:
    """Copy a model object with some fields changed (dataclass or pydantic model)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.replace(obj, **changes)  # type: ignore[type-var]
    copy = getattr(obj, "model_copy", None)
    if copy is None:
        raise TypeError(f"cannot copy {type(obj).__name__} with changes")
    return copy(update=changes)  # type: ignore[no-any-return]
