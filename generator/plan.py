"""``cf-bluegreen plan``: the changing cf commands of every situation.

The plan is not written by hand: for each situation a fresh simulated
foundation is seeded and the real emitted script runs with ``--dry-run``, so
the plan cannot drift from the script an auditor approves.
"""

from __future__ import annotations

import re
import shlex
import tempfile
from dataclasses import dataclass
from pathlib import Path

from generator.model import Profile
from generator.rehearsal import Sandbox

GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True)
class Situation:
    """One row of the plan: a starting state and the script run in it."""

    title: str
    seed: str
    script: str
    key: str
    """Stable identifier for tools (``plan --format json``)."""
    condition: str
    """When this happens, in plain words; ``{first}``/``{second}`` are the colors and
    ``{live}`` is "holds the live routes" (or "is running", for a worker)."""


SITUATIONS = (
    Situation("first deploy (nothing deployed yet)", "first-deploy", "deploy.sh",
              "deploy-first",
              "Neither {first} nor {second} exists yet: the first deploy with this profile."),
    Situation("deploy while the first color is live", "blue-live", "deploy.sh",
              "deploy-first-color-live",
              "{first} {live} and {second} does not exist: the second deploy, or the first "
              "one after {first} was deployed by hand."),
    Situation("deploy while the second color is live", "green-live", "deploy.sh",
              "deploy-second-color-live",
              "{second} {live}; {first} is stopped, kept as the rollback target."),
    Situation("deploy re-run after an interrupted cutover (both colors live)",
              "interrupted-cutover", "deploy.sh", "deploy-after-interrupted-cutover",
              "An earlier deploy of {second} was interrupted during the cutover, so both "
              "colors {live_plural}; running deploy.sh again finishes that cutover."),
    Situation("rollback (second color live, first stopped)", "green-live", "rollback.sh",
              "rollback",
              "{second} {live} and {first} is stopped: rollback.sh brings {first} back."),
    Situation("rollback after an interrupted deploy cutover", "interrupted-cutover",
              "rollback.sh", "rollback-after-interrupted-cutover",
              "A deploy of {second} was interrupted during the cutover, so both colors "
              "{live_plural}: rollback.sh keeps {first} and takes {second} down."),
)


@dataclass(frozen=True)
class PlanEntry:
    """The commands one situation would change the foundation with."""

    situation: Situation
    exit_code: int
    commands: tuple[str, ...]
    note: str


def _readable(line: str, guids: dict[str, str]) -> str:
    """Replace the simulator's GUIDs with ``<guid of APP>``/``<space guid>``, keeping
    the line a valid, fully quoted shell command."""
    words = shlex.split(line)
    return shlex.join(GUID.sub(lambda m: guids.get(m.group(0), "<guid>"), word)
                      for word in words)


def plan_profile(profile: Profile) -> list[PlanEntry]:
    """Dry-run every situation in a fresh sandbox; return the printed commands."""
    entries = []
    for situation in SITUATIONS:
        with (tempfile.TemporaryDirectory(prefix="cf-bluegreen-plan-") as tmp,
              Sandbox(profile, Path(tmp)) as sandbox):
            sandbox.seed(situation.seed)
            run = sandbox.run(situation.script, "--dry-run")
            state = sandbox.foundation.load()
        guids = {app["guid"]: f"<guid of {app['name']}>" for app in state["apps"]}
        for org in state["orgs"]:
            for space in org["spaces"]:
                guids[space["guid"]] = "<space guid>"
        commands = tuple(_readable(line, guids) for line in run.stdout.splitlines())
        errors = [ln for ln in run.stderr.splitlines() if "error:" in ln]
        entries.append(PlanEntry(situation, run.exit_code, commands,
                                 errors[-1].split("error: ", 1)[1] if errors else ""))
    return entries


def format_plan(profile: Profile, entries: list[PlanEntry]) -> str:
    """The plan as text for a reviewer."""
    lines = [
        f"Plan for {profile.name} (app {profile.app}, colors {profile.colors[0]} / "
        f"{profile.colors[1]}, cf CLI v{profile.cf_cli})",
        "Changing cf commands only, in the order the script runs them; read-only ones",
        "(cf version, cf target, cf app, GET cf curl ...) are left out.",
    ]
    for entry in entries:
        lines += ["", f"## {entry.situation.title}",
                  f"$ {entry.situation.script} --dry-run   # exit {entry.exit_code}"]
        lines += [f"  {command}" for command in entry.commands]
        if entry.note:
            lines.append(f"  (stops: {entry.note})")
    return "\n".join(lines) + "\n"
