"""The ``cf-bluegreen`` command line: parse, call, report. No logic of its own."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TypeVar

import click

from generator import __version__
from generator.batch import iter_scripts, load_batch, render_batch
from generator.errors import BlueGreenError, ProfileError
from generator.output import find_drift, write_batch
from generator.plan import format_plan, plan_profile
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
        click.echo("run `cf-bluegreen generate` and commit the result", err=True)
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


@main.command()
@PROFILE_FILE
@reports_errors
def plan(profile: Path) -> None:
    """Print the changing cf commands of every situation, from dry runs of the real scripts."""
    model = load_profile(profile)
    render_batch([model])
    click.echo(format_plan(model, plan_profile(model)), nl=False)


@main.command()
@PROFILE_FILE
@click.option("--scenario", type=click.Choice(list(SITUATIONS)), default="blue-live",
              show_default=True, help="Starting state of the simulated foundation.")
@click.option("--fail-at", type=click.IntRange(min=1), default=None,
              help="Make the Nth cf call of the deploy fail (then re-run it).")
@click.option("--app-dir", type=click.Path(path_type=Path, file_okay=False, exists=True),
              default=None, help="Directory to push (default: a generated healthy app).")
@reports_errors
def rehearse(profile: Path, scenario: str, fail_at: int | None, app_dir: Path | None) -> None:
    """Deploy and roll back on a simulated foundation; print the timeline.

    Exit status 1 when the simulator saw an invariant broken (a live route
    unserved, an unhealthy app on it, an app stopped while still routed).
    """
    model = load_profile(profile)
    render_batch([model])
    result = run_rehearsal(model, scenario, fail_at, app_dir.resolve() if app_dir else None)
    click.echo(result.text, nl=False)
    if not result.ok:
        sys.exit(1)
