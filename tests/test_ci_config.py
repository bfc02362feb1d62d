"""The CI configuration: .ci/run and the GitHub workflow that runs it on other platforms.

The workflow cannot run here (no GitHub runner), so it is checked statically: actionlint
(from PyPI, where a build exists for this platform) checks it against GitHub's schema and
expression rules, and the tests below check what actionlint cannot know: that it runs on the
platforms the README promises and calls only make targets that exist.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"


def workflow():
    return yaml.safe_load(WORKFLOW.read_text())


def make_targets():
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([a-z][a-z-]*):", text, re.M))


def run_steps():
    for name, job in workflow()["jobs"].items():
        for step in job["steps"]:
            if "run" in step:
                yield name, step["run"]


def test_workflow_runs_on_the_promised_platforms():
    runners = set()
    for job in workflow()["jobs"].values():
        runs_on = job["runs-on"]
        if "matrix" in str(runs_on):
            runners.update(job["strategy"]["matrix"]["os"])
        else:
            runners.add(runs_on)
    assert {"ubuntu-latest", "ubuntu-24.04-arm", "macos-latest"} <= runners


def test_workflow_steps_are_well_formed():
    wf = workflow()
    assert wf["name"] and wf["jobs"]
    assert "push" in wf[True] or "push" in wf.get("on", {})  # YAML reads the key `on` as True
    for name, job in wf["jobs"].items():
        assert job.get("timeout-minutes", 0) <= 90, f"{name}: CI must stay within 90 minutes"
        assert job["env"]["CI"] == "true", f"{name}: the checks must run with CI=true"
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), f"{name}: a step uses an action or runs"
            if "uses" in step:
                assert re.fullmatch(r"[\w-]+/[\w-]+@v\d+", step["uses"]), step["uses"]


def test_workflow_calls_existing_make_targets_and_ci_run():
    targets = make_targets()
    commands = [cmd for _, cmd in run_steps()]
    assert any(cmd.strip() == "bash .ci/run" for cmd in commands)
    for cmd in commands:
        for target in re.findall(r"\bmake ([a-z-]+)", cmd):
            assert target in targets, f"the workflow calls `make {target}`, which does not exist"


def test_ci_run_calls_make_test_and_uses_apt_only_where_it_exists():
    text = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", text, re.M)
    assert "command -v apt-get" in text


def test_actionlint_accepts_the_workflow():
    exe = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which(
        "actionlint"
    )
    if exe is None:
        pytest.skip("actionlint is not installed for this platform (requirements.txt installs it "
                    "on x86-64 Linux); the YAML checks above still ran")
    result = subprocess.run([exe, "-no-color", str(WORKFLOW)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
