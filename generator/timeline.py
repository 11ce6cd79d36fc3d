"""``cf-bluegreen rehearse``: a whole deploy and rollback on the simulated foundation.

The timeline interleaves every cf call, HTTP probe and (simulated) sleep in the
order they happened, shows the live routes after each change, and ends with a
verdict: exit statuses and the invariant violations the simulator recorded.
"""

from __future__ import annotations

import shlex
import tempfile
from dataclasses import dataclass
from pathlib import Path

from generator.model import Profile
from generator.rehearsal import Run, Sandbox


@dataclass(frozen=True)
class Rehearsal:
    """What ``rehearse`` found: the printable timeline and whether all was well."""

    text: str
    violations: int
    runs: tuple[Run, ...]

    @property
    def ok(self) -> bool:
        return self.violations == 0


def _route_state(call: dict) -> str:
    routes = call.get("routes") or {}
    served = call.get("served") or {}
    parts = []
    for url, apps in sorted(routes.items()):
        mark = "served" if served.get(url) else "NOT SERVED"
        parts.append(f"{url} -> {', '.join(apps) or 'nothing'} ({mark})")
    return "; ".join(parts)


def format_run(run: Run) -> list[str]:
    """One run's timeline lines."""
    lines = [f"$ {run.script} {shlex.join(run.args)}".rstrip()]
    items = sorted([*run.calls, *run.events], key=lambda item: item["seq"])
    for item in items:
        at = f"[t={item['time']:>6.1f}s]"
        if "argv" in item:
            fault = f"  (injected fault: {item['fault']})" if item.get("fault") else ""
            lines.append(f"{at} cf {shlex.join(item['argv'])} -> exit {item['status']}{fault}")
            if item.get("mutating") and item.get("routes") is not None:
                lines.append(f"{' ' * 11} live: {_route_state(item)}")
        elif item.get("tool") == "curl":
            answer = f"{item.get('status')} from {item.get('app') or 'no app'}"
            pinned = " (pinned with X-CF-APP-INSTANCE)" if item.get("pinned") else ""
            lines.append(f"{at} curl {item.get('url')}{pinned} -> {answer}")
        elif item.get("tool") == "sleep":
            lines.append(f"{at} sleep {item.get('seconds'):g}")
    lines.append(f"exit status {run.exit_code}")
    return lines


def rehearse(profile: Profile, scenario: str = "blue-live", fail_at: int | None = None,
             app_dir: Path | None = None) -> Rehearsal:
    """Deploy (re-run once if it failed) and roll back in a fresh sandbox."""
    with (tempfile.TemporaryDirectory(prefix="cf-bluegreen-rehearse-") as tmp,
          Sandbox(profile, Path(tmp)) as sandbox):
        sandbox.seed(scenario)
        new_version = app_dir or sandbox.app_dir("v2")
        lines = [f"Rehearsal of {profile.name}: {scenario}, router lag 2s (simulated clock)"]
        if fail_at is not None:
            already = len(sandbox.foundation.calls())
            sandbox.foundation.set_fault(fail_call=already + fail_at)
            lines.append(f"fault: cf call {fail_at} of the deploy fails")
        runs = [sandbox.run("deploy.sh", "--path", str(new_version))]
        if runs[-1].exit_code != 0:
            runs.append(sandbox.run("deploy.sh", "--path", str(new_version)))
        runs.append(sandbox.run("rollback.sh"))
        for run in runs:
            lines += ["", *format_run(run)]
        violations = sandbox.foundation.violations()
        lines += ["", "Verdict:"]
        lines += [f"  {shlex.join([run.script, *run.args[:1]])}: exit {run.exit_code}"
                  for run in runs]
        if violations:
            lines.append(f"  invariant violations: {len(violations)}")
            lines += [f"    - {v.get('message')} (call {v.get('call')})" for v in violations]
        else:
            lines.append("  invariant violations: none (every live route was served "
                         "by a started, healthy app throughout)")
        return Rehearsal("\n".join(lines) + "\n", len(violations), tuple(runs))
