"""The ``cf-bluegreen`` command line: parse, call, report. No logic of its own."""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TypeVar

import click

from generator import __version__
from generator.batch import iter_scripts, load_batch, render_batch
from generator.errors import BlueGreenError, ProfileError
from generator.init import (
    draft_from_manifest,
    draft_template,
    load_manifest,
    refuse_existing,
    write_new_file,
)
from generator.model import Profile
from generator.output import find_drift, write_batch
from generator.plan import format_plan, plan_profile
from generator.plan_formats import format_json, format_markdown
from generator.profile import load_profile, profile_json_schema
from generator.rehearsal import SITUATIONS
from generator.timeline import rehearse as run_rehearsal

F = TypeVar("F", bound=Callable[..., object])

PROFILES_ARG = click.argument(
    "profiles", nargs=-1, type=click.Path(path_type=Path, dir_okay=True, file_okay=True)
)
OUT_OPTION = click.option(
    "-o", "--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
    default=Path("out"), show_default=True, help="Folder that receives <profile>/*.sh.",
)


def reports_errors(command: F) -> F:
    """Turn our errors into one clear message on stderr and a documented status."""

    @wraps(command)
    def wrapper(*args: object, **kwargs: object) -> object:
        try:
            return command(*args, **kwargs)
        except ProfileError as error:
            for problem in error.problems:
                click.echo(problem, err=True)
            sys.exit(error.exit_code)
        except BlueGreenError as error:
            click.echo(f"cf-bluegreen: {error}", err=True)
            sys.exit(error.exit_code)

    return wrapper  # type: ignore[return-value]


def _inputs(profiles: tuple[Path, ...]) -> list[Path]:
    return list(profiles) or [Path("profiles")]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cf-bluegreen")
def main() -> None:
    """Generate blue-green deploy, rollback and status scripts for Cloud Foundry apps.

    Exit status: 0 ok, 1 failure (lint gate, stale output), 2 bad profile or usage.
    """


@main.command()
@click.option("--manifest", "manifest", type=click.Path(path_type=Path), default=None,
              help="The app's Cloud Foundry manifest (a file, or a folder holding manifest.yml).")
@click.option("--app", "app", default=None, metavar="NAME",
              help="Which app of a multi-app manifest; without --manifest, the app's name.")
@click.option("--domain", "domains", multiple=True, metavar="DOMAIN",
              help="A domain of your foundation (as `cf domains` lists them), repeatable: routes "
                   "are split at it, and the first is the default domain for routes the "
                   "manifest gives without one.")
@click.option("-o", "--output", "output", type=click.Path(path_type=Path, dir_okay=False),
              default=None, help="Profile to write (default profiles/<app>.toml; - for stdout). "
                                 "Never overwritten.")
@reports_errors
def init(manifest: Path | None, app: str | None, domains: tuple[str, ...],
         output: Path | None) -> None:
    """Draft a starting profile, with a comment on each choice.

    With --manifest, from the app's manifest: name, routes, services, instances,
    health check, push options and the ((variables)) it uses. Without, a commented
    template. The draft passes `validate`; an existing file is never overwritten
    (exit 2).
    """
    if output is not None and str(output) != "-":
        refuse_existing(output)
    if manifest is None:
        if Path("manifest.yml").is_file():
            click.echo("hint: ./manifest.yml is here: `cf-bluegreen init --manifest "
                       "manifest.yml` drafts the profile from it", err=True)
        draft = draft_template(app)
    else:
        found = load_manifest(manifest, app)
        draft = draft_from_manifest(found, str(found.path), domains)
    for warning in draft.warnings:
        click.echo(f"warning: {warning}", err=True)
    if output is not None and str(output) == "-":
        click.echo(draft.text, nl=False)
        return
    target = output or Path("profiles") / f"{draft.stem}.toml"
    write_new_file(target, draft.text)
    click.echo(f"wrote {target}; next: cf-bluegreen validate {target} && "
               f"cf-bluegreen generate {target}")


@main.command()
@PROFILES_ARG
@OUT_OPTION
@reports_errors
def generate(profiles: tuple[Path, ...], out_dir: Path) -> None:
    """Write OUT/<profile>/{deploy,rollback,status}.sh (default: profiles/ into out/).

    Nothing is written unless every profile is valid and every script passes
    shellcheck and the bash 3.2 scan.
    """
    files = render_batch(load_batch(_inputs(profiles)), progress=True)
    written = write_batch(out_dir, files)
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(f"{len(files)} scripts in {out_dir}: {len(written)} written, "
               f"{len(files) - len(written)} already up to date")


@main.command()
@PROFILES_ARG
@OUT_OPTION
@reports_errors
def check(profiles: tuple[Path, ...], out_dir: Path) -> None:
    """Exit 1 and name the files in OUT that differ from a fresh generation.

    Given profile folders (the default), scripts in OUT that no profile produces
    any more are named too. No shellcheck: a byte comparison with a fresh render
    is the whole check (generate lints before it writes).
    """
    inputs = _inputs(profiles)
    scripts = iter_scripts(load_batch(inputs))
    drift = find_drift(out_dir, scripts, complete=all(path.is_dir() for path in inputs))
    if drift.stale:
        for item in drift.stale:
            click.echo(f"stale: {out_dir / item}", err=True)
        fix = shlex.join(["cf-bluegreen", "generate", *map(str, profiles)]
                         + ([] if out_dir == Path("out") else ["-o", str(out_dir)]))
        click.echo(f"run `{fix}` and commit the result", err=True)
        sys.exit(1)
    click.echo(f"{drift.checked} scripts in {out_dir} are up to date")


@main.command()
@PROFILES_ARG
@reports_errors
def validate(profiles: tuple[Path, ...]) -> None:
    """Check profiles without writing anything; exit 2 with one line per problem."""
    for profile in load_batch(_inputs(profiles)):
        click.echo(f"{profile.name}: ok")


@main.command()
def schema() -> None:
    """Print the JSON Schema of a profile (for editors and CI linters)."""
    click.echo(json.dumps(profile_json_schema(), indent=2, sort_keys=True))


PROFILE_FILE = click.argument("profile", type=click.Path(path_type=Path, dir_okay=False))


PLAN_FORMATS = {"text": format_plan, "markdown": format_markdown, "json": format_json}


@main.command()
@PROFILE_FILE
@click.option("--format", "output_format", type=click.Choice(list(PLAN_FORMATS)),
              default="text", show_default=True,
              help="text for a terminal, markdown for a pull request, json for tools.")
@reports_errors
def plan(profile: Path, output_format: str) -> None:
    """Print the changing cf commands of every situation, from dry runs of the real scripts."""
    model = load_profile(profile)
    render_batch([model])
    click.echo(PLAN_FORMATS[output_format](model, plan_profile(model)), nl=False)


LIVE_ONLY = ("report", "screenshot", "rate", "router_lag", "settle", "drain", "interval")


@main.command()
@PROFILE_FILE
@click.option("--scenario", type=click.Choice(list(SITUATIONS)), default=None,
              help="Starting state of the foundation (default: blue-live; with --live: "
                   "first-deploy, which deploys v1, then v2, then rolls back).")
@click.option("--fail-at", type=click.IntRange(min=1), default=None,
              help="Make the Nth cf call of the deploy fail (then re-run it).")
@click.option("--app-dir", type=click.Path(path_type=Path, file_okay=False, exists=True),
              default=None, help="Directory to push (default: a generated healthy app).")
@click.option("--live", is_flag=True,
              help="Real app processes, a real router (nginx) and real traffic on 127.0.0.1; "
                   "the scripts run the real curl, sleep and date. Needs nginx, openssl, curl.")
@click.option("--report", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="--live: write a self-contained HTML report of the traffic to this file.")
@click.option("--screenshot", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="--live: also save a PNG of the report, rendered by headless Chromium.")
@click.option("--rate", type=click.FloatRange(min=1, max=2000), default=None,
              help="--live: requests per second per live route (default 50).")
@click.option("--router-lag", type=click.FloatRange(min=0, max=60), default=None,
              help="--live: seconds a route change takes to reach the router (default 2).")
@click.option("--settle", type=click.IntRange(min=0), default=None,
              help="--live: rehearse with this settle_seconds instead of the profile's.")
@click.option("--drain", type=click.IntRange(min=0), default=None,
              help="--live: rehearse with this drain_seconds instead of the profile's.")
@click.option("--interval", type=click.IntRange(min=1), default=None,
              help="--live: rehearse with this health interval_seconds instead of the profile's.")
@reports_errors
def rehearse(profile: Path, scenario: str | None, fail_at: int | None, app_dir: Path | None,
             live: bool, **live_options: object) -> None:
    """Deploy and roll back on a simulated foundation; print the timeline.

    Exit status 1 when the simulator saw an invariant broken (a live route
    unserved, an unhealthy app on it, an app stopped while still routed).

    With --live: exit status 1 when any request failed or a run did not end as it
    should, 3 when nginx, openssl or curl (or chromium, for --screenshot) is
    missing, 130 (Ctrl-C) or 143 (SIGTERM) when interrupted, after everything the
    rehearsal started was stopped.
    """
    given = [name for name in LIVE_ONLY if live_options.get(name) is not None]
    if given and not live:
        raise click.UsageError(f"--{given[0].replace('_', '-')} needs --live")
    if live_options.get("screenshot") is not None and live_options.get("report") is None:
        raise click.UsageError("--screenshot needs --report FILE.html")
    model = load_profile(profile)
    if live:
        _rehearse_live(model, profile, scenario, fail_at, app_dir, live_options)
        return
    render_batch([model])
    result = run_rehearsal(model, scenario or "blue-live", fail_at,
                           app_dir.resolve() if app_dir else None)
    click.echo(result.text, nl=False)
    if not result.ok:
        sys.exit(1)


def _rehearse_live(model: Profile, source: Path, scenario: str | None, fail_at: int | None,
                   app_dir: Path | None, given: dict[str, object]) -> None:
    from generator.live.command import Interrupted, LiveOptions, preflight, run_live

    values = {k: v for k, v in given.items() if v is not None}
    interval = values.get("interval")
    if isinstance(interval, int) and interval > model.health.timeout_seconds:
        raise click.UsageError(f"--interval {interval} is longer than the profile's health "
                               f"timeout_seconds ({model.health.timeout_seconds})")
    options = LiveOptions(scenario=scenario or "first-deploy", fail_at=fail_at,
                          app_dir=app_dir.resolve() if app_dir else None, **values)  # type: ignore[arg-type]
    preflight(model, options)  # missing programs: exit 3 before any work
    render_batch([model])
    try:
        text, ok = run_live(model, str(source), options)
    except KeyboardInterrupt as interrupt:
        click.echo("cf-bluegreen: interrupted; every process the live rehearsal started was "
                   "stopped", err=True)
        sys.exit(143 if isinstance(interrupt, Interrupted) else 130)
    click.echo(text, nl=False)
    if not ok:
        sys.exit(1)
