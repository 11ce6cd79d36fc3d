"""Shell completion (click's): the scripts the README tells users to load, and bash using one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

COMMAND = Path(sys.executable).with_name("cf-bluegreen")
SHELLS = {
    "bash": "complete -o nosort -F _cf_bluegreen_completion cf-bluegreen",
    "zsh": "#compdef cf-bluegreen",
    "fish": "complete --no-files --command cf-bluegreen",
}


def completion_script(shell: str) -> str:
    env = dict(os.environ, _CF_BLUEGREEN_COMPLETE=f"{shell}_source")
    result = subprocess.run([str(COMMAND)], env=env, capture_output=True, text=True,
                            timeout=60, check=True)
    return result.stdout


@pytest.mark.parametrize("shell", sorted(SHELLS))
def test_completion_script_is_produced(shell: str) -> None:
    assert COMMAND.is_file(), "the console script is installed beside this Python"
    script = completion_script(shell)
    assert SHELLS[shell] in script
    assert "_CF_BLUEGREEN_COMPLETE=" in script
    checker = shutil.which(shell)
    if checker is not None and shell != "fish":
        syntax = subprocess.run([checker, "-n"], input=script, capture_output=True, text=True,
                                timeout=60)
        assert syntax.returncode == 0, syntax.stderr


def complete_in_bash(words: str, tmp_path: Path) -> list[str]:
    """Load the bash completion in a real bash and complete ``words`` (the last one partial)."""
    script = tmp_path / "completion.bash"
    script.write_text(completion_script("bash"))
    driver = f"""
source {script}
read -r -a COMP_WORDS <<< "$WORDS"
[[ "$WORDS" == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
_cf_bluegreen_completion cf-bluegreen
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    env = dict(os.environ, WORDS=words, PATH=f"{COMMAND.parent}:{os.environ['PATH']}")
    result = subprocess.run(["bash", "-c", driver], env=env, capture_output=True, text=True,
                            timeout=60, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_bash_completes_commands_options_and_choices(tmp_path: Path) -> None:
    assert complete_in_bash("cf-bluegreen pl", tmp_path) == ["plan"]
    assert set(complete_in_bash("cf-bluegreen ", tmp_path)) >= {
        "init", "generate", "check", "validate", "schema", "plan", "rehearse"}
    assert complete_in_bash("cf-bluegreen plan p.toml --format m", tmp_path) == ["markdown"]
    assert {"--manifest", "--app", "--domain", "--output"} <= set(
        complete_in_bash("cf-bluegreen init --", tmp_path))
