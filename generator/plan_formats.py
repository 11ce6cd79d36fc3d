"""``cf-bluegreen plan --format markdown|json``: the same plan, for a pull request or a tool.

The plan itself comes from :func:`generator.plan.plan_profile` (dry runs of the
real scripts); this module only lays it out. Markdown is CommonMark as GitHub
and GitLab render it: one section per situation, the condition in plain words,
the commands in a fenced ``sh`` block. Every name from the profile is shown in a
code span sized to its own backticks, so ``*``, ``_``, ``|`` or ``<`` in an app
name can neither format text nor open a table or an HTML tag.
"""

from __future__ import annotations

import json
import re
import shlex
from typing import Any

from generator import __version__
from generator.model import Profile, Route
from generator.plan import PlanEntry, Situation

PLAN_FORMAT = 1
"""Version of the JSON layout; bumped only when a field changes meaning or goes away."""

READ_ONLY_NOTE = (
    "Only the commands that change the foundation are listed, in the order the script "
    "runs them; read-only ones (`cf version`, `cf target`, `cf app`, `GET` requests) are "
    "left out. The first and last commands take and release the deploy lock; "
    "`<guid of APP>` stands for a GUID the script looks up when it runs."
)


def code_span(text: str) -> str:
    """``text`` as one CommonMark code span, whatever backticks it holds."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _fenced(lines: tuple[str, ...]) -> list[str]:
    """A fenced ``sh`` block longer than any backtick run inside it."""
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}sh", *lines, fence]


def condition(situation: Situation, profile: Profile, name: Any = str) -> str:
    """The situation's condition with this profile's colors (rendered by ``name``)."""
    worker = profile.is_worker
    return situation.condition.format(
        first=name(profile.colors[0]),
        second=name(profile.colors[1]),
        live="is running" if worker else "holds the live routes",
        live_plural="are running" if worker else "hold the live routes",
    )


def _title(situation: Situation) -> str:
    return situation.title[:1].upper() + situation.title[1:]


def _routes_line(profile: Profile) -> str:
    if profile.is_worker:
        return ("No live routes: a worker app (the new color is started, then the old one "
                "is retired).")
    live = ", ".join(code_span(route.url) for route in profile.live_routes)
    staging = profile.staging_route
    return f"Live routes {live}; staging route {code_span(staging.url) if staging else 'none'}."


def format_markdown(profile: Profile, entries: list[PlanEntry]) -> str:
    """The plan as a Markdown document, ready to paste into a release pull request."""
    blue, green = profile.colors
    lines = [
        f"# Deploy plan for {code_span(profile.app)}",
        "",
        f"- App {code_span(profile.app)}, colors {code_span(blue)} and {code_span(green)}, "
        f"cf CLI v{profile.cf_cli}.",
        f"- {_routes_line(profile)}",
        f"- Profile {code_span(profile.name)} (sha256 {code_span(profile.source_hash)}), "
        f"cf-bluegreen {__version__}.",
        "",
        READ_ONLY_NOTE,
    ]
    for number, entry in enumerate(entries, start=1):
        situation = entry.situation
        lines += [
            "",
            f"## {number}. {_title(situation)}",
            "",
            f"**When:** {condition(situation, profile, code_span)}",
            "",
            f"**Runs:** {code_span(situation.script)} (its dry run exits {entry.exit_code}).",
            "",
        ]
        lines += _fenced(entry.commands) if entry.commands else \
            ["No command changes the foundation."]
        if entry.note:
            lines += ["", f"**Stops:** {code_span(entry.note)}"]
    return "\n".join(lines) + "\n"


def _route(route: Route | None) -> str | None:
    return route.url if route is not None else None


def plan_document(profile: Profile, entries: list[PlanEntry]) -> dict[str, Any]:
    """The plan as plain data (the fields are documented in the README)."""
    return {
        "format": PLAN_FORMAT,
        "generator": {"name": "cf-bluegreen", "version": __version__},
        "profile": {
            "name": profile.name,
            "sha256": profile.source_hash,
            "app": profile.app,
            "colors": list(profile.colors),
            "cf_cli": profile.cf_cli,
            "worker": profile.is_worker,
            "live_routes": [route.url for route in profile.live_routes],
            "staging_route": _route(profile.staging_route),
        },
        "situations": [
            {
                "key": entry.situation.key,
                "title": entry.situation.title,
                "condition": condition(entry.situation, profile, json.dumps),
                "seed": entry.situation.seed,
                "script": entry.situation.script,
                "command": f"{entry.situation.script} --dry-run",
                "exit_code": entry.exit_code,
                "stops": entry.note or None,
                "commands": [{"line": line, "argv": shlex.split(line)}
                             for line in entry.commands],
            }
            for entry in entries
        ],
    }


def format_json(profile: Profile, entries: list[PlanEntry]) -> str:
    """:func:`plan_document` as indented JSON (UTF-8 as is, keys in a stable order)."""
    return json.dumps(plan_document(profile, entries), indent=2, ensure_ascii=False) + "\n"
