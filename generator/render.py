"""Model -> script text, through one strict Jinja2 environment.

Safety rule enforced here rather than by review: a template may print a value
only through the ``sh`` filter (shell quoting) or the ``comment`` filter (for
header comments), or a plain int. Any other value reaching the output raises,
so an unquoted profile string cannot slip into the emitted bash.
"""

from __future__ import annotations

import functools
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import jinja2

from generator import __version__
from generator.model import Profile, Route

SCRIPTS: tuple[str, ...] = ("deploy.sh", "rollback.sh", "status.sh")
PURPOSES = {
    "deploy.sh": "zero-downtime blue-green deploy to Cloud Foundry",
    "rollback.sh": "move traffic back to the previous color",
    "status.sh": "which color is live, and whether a rollback target exists",
}


class SafeText(str):
    """Text already made safe for bash by a filter or trusted by the generator."""


# Words bash and shellcheck both read as one plain literal: no quoting needed.
_PLAIN_WORD = re.compile(r"[A-Za-z0-9_@%+:./-][A-Za-z0-9_@%+=:./-]*")
_RESERVED_WORDS = frozenset(
    "if then else elif fi case esac for select while until do done in function time "
    "coproc { } ! [[ ]]".split()
)


def shell_quote(value: object) -> SafeText:
    """Quote any value as one literal bash word that shellcheck reads the same way.

    Three forms, from most to least readable: a plain word as it is (never a
    reserved word like ``do``); plain single quotes for other printable ASCII
    without ``'``, ``\\``, ``$`` or backticks; ANSI-C quoting (``$'...'``, bash 2+)
    for everything else, so a literal ``$(...)``, a typographic quote, a trailing
    backslash or a newline can neither run nor confuse shellcheck (SC2016,
    SC1112, SC1003), and no control character hides in the file.
    """
    text = str(value)
    if _PLAIN_WORD.fullmatch(text) and text not in _RESERVED_WORDS:
        return SafeText(text)
    if all(" " <= ch <= "~" and ch not in "'\\$`" for ch in text):
        return SafeText(f"'{text}'")
    out = []
    for ch in text:
        if ch in "\\'":
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return SafeText("$'" + "".join(out) + "'")


def comment_text(value: object) -> SafeText:
    """Make a value safe inside a ``#`` comment or a quoted heredoc: one line, printable."""
    text = str(value)
    if text.isprintable():  # nearly always: skip the per-character pass
        return SafeText(text)
    return SafeText("".join(ch if ch.isprintable() else "?" for ch in text))


def _only_safe(value: object) -> object:
    if isinstance(value, SafeText) or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise jinja2.TemplateError(
        f"unquoted value {value!r} reached a template; pass it through |sh or |comment"
    )


@dataclass(frozen=True)
class PushFlags:
    """``cf push`` flag spellings: v7+ long forms, v6's short-only ones."""

    instances: SafeText
    manifest: SafeText
    path: SafeText
    docker_image: SafeText
    buildpack: SafeText
    stack: SafeText
    memory: SafeText
    disk: SafeText
    timeout: SafeText


_LONG = PushFlags(*map(SafeText, ("--instances", "--manifest", "--path", "--docker-image",
                                   "--buildpack", "--stack", "--memory", "--disk",
                                   "--app-start-timeout")))
_V6 = PushFlags(*map(SafeText, ("-i", "-f", "-p", "--docker-image", "-b", "-s", "-m", "-k", "-t")))

# The push options a profile may set: (PushOptions field, script variable).
_PUSH_OPTIONS = (("docker_image", "PUSH_DOCKER_IMAGE"), ("buildpack", "PUSH_BUILDPACK"),
                 ("stack", "PUSH_STACK"), ("memory", "PUSH_MEMORY"), ("disk", "PUSH_DISK"),
                 ("timeout", "PUSH_START_TIMEOUT"))

# Names Cloud Controller prints in JSON exactly as they are written (after the
# scripts strip whitespace): such colors can be read in one query and told
# apart by name. Any other name gets a query of its own.
_JSON_PLAIN_NAME = re.compile(r"[A-Za-z0-9_.-]+")


def template_dir() -> Path:
    """Where the templates are: ``templates/`` beside ``generator/`` in a source tree
    (also for an editable install), ``generator/templates`` inside an installed wheel
    (``pyproject.toml`` maps the one onto the other)."""
    installed = Path(__file__).with_name("templates")
    return installed if installed.is_dir() else Path(__file__).resolve().parent.parent / "templates"


@functools.cache
def make_environment() -> jinja2.Environment:
    """The one Jinja2 environment: strict, no autoescape, bash-friendly comments.

    Built once per process (templates compile once): the fault matrix renders a
    profile's scripts for every one of its thousands of sandboxes. Templates are
    never re-checked on disk (``auto_reload=False``): they ship inside the
    package, and a stat of every template and partial per render is a
    measurable share of ``check`` at fleet scale.
    """
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(template_dir()),
        auto_reload=False,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        # bash's ${#array[@]} would open a default Jinja comment.
        comment_start_string="<#--",
        comment_end_string="--#>",
        finalize=_only_safe,
    )
    env.filters["sh"] = shell_quote
    env.filters["comment"] = comment_text
    return env


def list_filter_value(name: str) -> str:
    """A name as one item of a Cloud Controller list filter (``names=``).

    CC decodes the query, splits the value on commas, then URL-unescapes each
    item; encoding twice keeps a comma (or a '%') inside one name.
    """
    return quote(quote(name, safe=""), safe="")


def lock_app_name(profile: Profile) -> str:
    """The app whose existence is the deploy lock."""
    return f"{profile.app}-bluegreen-lock"


def _routes(profile: Profile) -> tuple[Route, ...]:
    staging = (profile.staging_route,) if profile.staging_route else ()
    return (*profile.live_routes, *staging)


def _context(profile: Profile, script: str) -> dict[str, object]:
    """What a template may use: the model, and facts derived from it once here so
    that each feature the profile does not use leaves no code in its scripts."""
    lock_app = lock_app_name(profile)
    interval = profile.health.interval_seconds
    changes = script != "status.sh"
    combined = all(_JSON_PLAIN_NAME.fullmatch(name) for name in (*profile.colors, lock_app))
    names = [list_filter_value(c) for c in profile.colors]
    if combined:
        queries = [",".join(names + ([] if changes else [list_filter_value(lock_app)]))]
    else:
        queries = names
    push_flags = _V6 if profile.cf_cli == 6 else _LONG
    push_options = [(SafeText(variable), getattr(profile.push, field))
                    for field, variable in _PUSH_OPTIONS
                    if getattr(profile.push, field) is not None]
    return {
        "p": profile,
        "web": not profile.is_worker,
        "script": SafeText(script),
        "purpose": SafeText(PURPOSES[script]),
        "version": SafeText(__version__),
        "version_line": f"{script} generated by cf-bluegreen {__version__} from profile "
                        f"{profile.name} (sha256 {profile.source_hash})",
        "needs_push": script == "deploy.sh",
        "changes": changes,
        "lock_app": lock_app,
        "lock_app_json": json.dumps(lock_app, ensure_ascii=True),
        "lock_query": list_filter_value(lock_app),
        "combined_query": combined,
        "apps_queries": queries,
        "health_rounds": max(1, math.ceil(profile.health.timeout_seconds / interval)),
        "probe_max_time": max(1, min(interval * 5, 30)),
        "host_flag": SafeText("-n" if profile.cf_cli == 6 else "--hostname"),
        # Only profiles with such routes carry the host-less / --path forms.
        "apex_routes": any(not route.host for route in _routes(profile)),
        "path_routes": any(route.path for route in _routes(profile)),
        "host_routes": any(route.host for route in _routes(profile)),
        "push_flags": push_flags,
        "route_verbs": (SafeText("map-route"), SafeText("unmap-route")),
        "push_options": push_options,
        "push_options_flags": [(SafeText(variable), getattr(push_flags, field))
                               for field, variable in _PUSH_OPTIONS
                               if getattr(profile.push, field) is not None],
        # Without services to bind first, cf push stages and starts the new color
        # itself (one cf call fewer); a worker records itself as the candidate
        # before it starts, so it is pushed without starting.
        "push_starts": not profile.services and not profile.is_worker,
    }


def render_script(profile: Profile, script: str, env: jinja2.Environment | None = None) -> str:
    """Render one emitted script for ``profile``; ``script`` is one of :data:`SCRIPTS`."""
    env = env or make_environment()
    return env.get_template(f"{script}.j2").render(_context(profile, script))


def render_profile(profile: Profile, env: jinja2.Environment | None = None) -> dict[str, str]:
    """All scripts of one profile, keyed by file name."""
    env = env or make_environment()
    return {script: render_script(profile, script, env) for script in SCRIPTS}
