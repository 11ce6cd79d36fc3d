"""``cf-bluegreen rehearse PROFILE --live``: run the story, print it, write the report.

Kept out of ``cli.py`` (which only parses and reports) and imported only when
``--live`` is given, so the simulated commands never pay for it.
"""

from __future__ import annotations

import shlex
import signal
from dataclasses import dataclass
from pathlib import Path

from generator.live.analysis import summary_table
from generator.live.errors import LiveError
from generator.live.prereqs import require
from generator.live.report import page_height, screenshot, write_report
from generator.live.story import StoryResult, rehearse_live, with_timings
from generator.live.world import LiveSettings
from generator.model import Profile


@dataclass(frozen=True)
class LiveOptions:
    scenario: str = "first-deploy"
    fail_at: int | None = None
    app_dir: Path | None = None
    report: Path | None = None
    screenshot: Path | None = None
    rate: float = 50.0
    router_lag: float = 2.0
    settle: int | None = None
    drain: int | None = None
    interval: int | None = None


class Interrupted(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C: clean up, then exit 143."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Interrupted()


def format_result(result: StoryResult, source: str) -> str:
    profile = result.profile
    lines = [f"Live rehearsal of {profile.name}: "
             + ", ".join(r.label for r in result.runs),
             f"real nginx on 127.0.0.1 (router lag {result.settings.router_lag:g}s both ways), "
             f"{result.settings.rate:g} requests/s per live route, real curl/sleep/date; "
             "cf is the simulated foundation on a real clock"]
    if result.notes:
        lines.append(f"timings shortened for this rehearsal (a copy of the profile; {source} is "
                     "unchanged): " + ", ".join(result.notes))
    for run in result.runs:
        lines += ["", f"$ {shlex.join([run.run.script, *run.run.args])}  "
                      f"-> exit {run.run.exit_code} ({run.ended - run.started:.1f}s)"]
        for call in result.calls:
            if run.started <= call["time"] <= run.ended and call.get("mutating"):
                lines.append(f"  [t={call['time']:7.2f}s] cf {shlex.join(call['argv'])} "
                             f"-> exit {call['status']}")
    lines += ["", summary_table(result.summaries).rstrip()]
    if result.world_errors:
        lines += ["", "problems in the live world (not a verdict on the scripts):"]
        lines += [f"  - {e}" for e in result.world_errors]
    lines += ["", "Verdict: " + (
        f"zero failed requests of {result.requests:,}; every run ended as it should"
        if result.ok else
        f"{result.failed:,} failed of {result.requests:,} requests; exit statuses "
        + ", ".join(str(r.run.exit_code) for r in result.runs))]
    return "\n".join(lines) + "\n"


def _check(options: LiveOptions, profile: Profile) -> list[str]:
    """Warnings about the options (not errors: a user may want to see failures)."""
    drain = options.drain if options.drain is not None else profile.cutover.drain_seconds
    out = []
    if drain < options.router_lag:
        out.append(f"warning: drain {drain}s is shorter than the router lag "
                   f"{options.router_lag:g}s: the old color is stopped while the router still "
                   "sends it requests, expect failures")
    return out


def preflight(profile: Profile, options: LiveOptions) -> None:
    """Refuse at once what cannot run: a missing program (exit 3), a worker (exit 1)."""
    require("nginx", "openssl", "curl", *(["chromium"] if options.screenshot else []))
    if not profile.live_routes:
        raise LiveError(f"{profile.name} is a worker (no live routes): there is no HTTP traffic "
                        "to measure; use rehearse without --live")


def run_live(profile: Profile, source: str, options: LiveOptions) -> tuple[str, bool]:
    """The whole command: (text to print, success)."""
    preflight(profile, options)
    shortened, notes = with_timings(profile, options.settle, options.drain, options.interval)
    settings = LiveSettings(router_lag=options.router_lag, rate=options.rate)
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        result = rehearse_live(shortened, options.scenario, settings, options.fail_at,
                               options.app_dir, notes)
    finally:
        signal.signal(signal.SIGTERM, previous)
    text = "".join(w + "\n" for w in _check(options, profile)) + format_result(result, source)
    if options.report:
        write_report(result, options.report)
        text += f"report: {options.report}\n"
        if options.screenshot:
            chromium = require("chromium")["chromium"]
            screenshot(chromium, options.report, options.screenshot, page_height(result))
            text += f"screenshot: {options.screenshot}\n"
    return text, result.ok
