"""A live rehearsal from start to end: seed, run scripts under traffic, summarise.

:func:`run_story` runs a list of :class:`Step` (script runs) inside one probing
window of a :class:`~generator.live.world.LiveWorld` and summarises it;
:func:`rehearse_live` is what ``cf-bluegreen rehearse PROFILE --live`` does:

- ``first-deploy``: deploy v1 (first deploy), deploy v2, roll back to v1;
- any other situation (seeded as in the simulated rehearsal, v0 live): deploy
  v1, roll back to v0.

``--fail-at N`` makes the Nth cf call of the deploy that replaces a live version
fail; that deploy is then run again, as a user would.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from generator.live.analysis import RunSummary, summarise
from generator.live.controls import replace_fields
from generator.live.world import LiveSettings, LiveWorld, Probing, ScriptRun
from generator.model import Profile


@dataclass(frozen=True)
class Step:
    """One script run of a story."""

    label: str
    script: str
    args: tuple[str, ...] = ()
    rerun_on_failure: bool = False
    extra_env: tuple[tuple[str, str], ...] = ()
    fail_at: int | None = None
    """Make the Nth cf call of this run fail (then re-run when ``rerun_on_failure``)."""
    hold_after: float = 0.5
    """Seconds of traffic after the run before the next step (they belong to this run)."""
    after: Callable[[LiveWorld, ScriptRun], None] | None = None
    """Called after the run (and its re-run), while traffic goes on: tests look at
    processes here."""


@dataclass
class StoryResult:
    """Everything a report needs about one live rehearsal."""

    profile: Profile
    settings: LiveSettings
    notes: list[str]
    runs: list[ScriptRun]
    probing: Probing
    calls: list[dict]
    reloads: list[dict]
    instance_events: list[dict]
    violations: list[dict]
    summaries: list[RunSummary] = field(default_factory=list)
    world_errors: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(s.requests for s in self.summaries)

    @property
    def failed(self) -> int:
        return sum(s.failed for s in self.summaries)

    @property
    def ok(self) -> bool:
        """Zero failed requests, every story ended with exit 0, the world healthy."""
        final = [r for n, r in enumerate(self.runs)
                 if n + 1 == len(self.runs) or self.runs[n + 1].label != r.label + " (re-run)"]
        return (self.failed == 0 and not self.world_errors
                and all(r.run.exit_code == 0 for r in final))


def run_story(world: LiveWorld, steps: list[Step], rate: float | None = None,
              notes: list[str] | None = None) -> StoryResult:
    """Run ``steps`` under traffic; summarise per run (see :mod:`.analysis`)."""
    first_run = len(world.runs)
    with world.probing(rate) as probing:
        for step in steps:
            if step.fail_at is not None:
                already = len(world.calls())
                world.sandbox.foundation.set_fault(fail_call=already + step.fail_at)
            done = world.run(step.script, *step.args, label=step.label,
                             extra_env=dict(step.extra_env))
            if done.run.exit_code != 0 and step.rerun_on_failure:
                world.pause(step.hold_after)
                done = world.run(step.script, *step.args, label=step.label + " (re-run)",
                                 extra_env=dict(step.extra_env))
            if step.after is not None:
                step.after(world, done)
            world.pause(step.hold_after)
    runs = world.runs[first_run:]
    calls = world.calls()
    result = StoryResult(
        profile=world.profile, settings=world.settings, notes=list(notes or []), runs=runs,
        probing=probing, calls=calls, reloads=world.reloads(),
        instance_events=[dict(e, time=e["time"] - world.epoch)
                         for e in (world.supervisor.events if world.supervisor else [])],
        violations=world.sandbox.foundation.violations(), world_errors=world.problems())
    result.summaries = summarise(
        world.profile, probing.records,
        [(r.label, r.run.script, r.run.exit_code, r.started, r.ended) for r in runs],
        calls, probing.started, probing.ended, result.reloads)
    return result


def with_timings(profile: Profile, settle: int | None = None, drain: int | None = None,
                 interval: int | None = None) -> tuple[Profile, list[str]]:
    """A copy of the profile with shorter waits, and a note per value changed."""
    cutover, health = profile.cutover, profile.health
    notes = []
    changes = {}
    for name, value, current in (("settle_seconds", settle, cutover.settle_seconds),
                                 ("drain_seconds", drain, cutover.drain_seconds)):
        if value is not None and value != current:
            changes[name] = value
            notes.append(f"cutover.{name} {current} -> {value}")
    if changes:
        cutover = replace_fields(cutover, **changes)
    if interval is not None and interval != health.interval_seconds:
        notes.append(f"health.interval_seconds {health.interval_seconds} -> {interval}")
        health = replace_fields(health, interval_seconds=interval)
    if not notes:
        return profile, []
    return replace_fields(profile, cutover=cutover, health=health), notes


def story_steps(world: LiveWorld, scenario: str, fail_at: int | None,
                app_dir: Path | None) -> list[Step]:
    """The runs of :func:`rehearse_live` for ``scenario`` (see the module docstring)."""
    sandbox = world.sandbox
    if scenario == "first-deploy":
        v1 = str(sandbox.app_dir("v1"))
        v2 = str(app_dir or sandbox.app_dir("v2"))
        return [Step("deploy v1 (first deploy)", "deploy.sh", ("--path", v1)),
                Step("deploy v2", "deploy.sh", ("--path", v2), rerun_on_failure=True,
                     fail_at=fail_at),
                Step("roll back to v1", "rollback.sh")]
    v1 = str(app_dir or sandbox.app_dir("v1"))
    return [Step("deploy v1", "deploy.sh", ("--path", v1), rerun_on_failure=True,
                 fail_at=fail_at),
            Step("roll back to v0", "rollback.sh")]


def rehearse_live(profile: Profile, scenario: str = "first-deploy",
                  settings: LiveSettings | None = None, fail_at: int | None = None,
                  app_dir: Path | None = None, notes: list[str] | None = None) -> StoryResult:
    """``rehearse --live``: build a world in a temporary folder, run the story, clean up."""
    settings = settings or LiveSettings()
    with (tempfile.TemporaryDirectory(prefix="cf-bluegreen-live-") as tmp,
          LiveWorld(profile, Path(tmp), settings) as world):
        if scenario != "first-deploy":
            world.seed(scenario)
        steps = story_steps(world, scenario, fail_at, app_dir)
        return run_story(world, steps, notes=notes)
