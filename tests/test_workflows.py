"""The GitHub workflows are valid and do what the README promises: a preview per stack on pull requests,
`up` on main behind an approval environment, secrets never printed."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import yaml

from .conftest import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
STACKS = sorted(path.name.removeprefix("Pulumi.").removesuffix(".yaml") for path in ROOT.glob("Pulumi.*.yaml"))


def test_workflows_are_valid_against_the_github_workflow_schema():
    assert WORKFLOWS
    done = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
                           *map(str, WORKFLOWS)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def load(name: str) -> dict[str, Any]:
    data: dict[Any, Any] = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as a boolean
    return data


def steps(job: dict[str, Any]) -> dict[str, Any]:
    return {step.get("uses", "").split("@")[0]: step for step in job["steps"]}


def test_every_stack_is_previewed_on_pull_requests_with_a_comment():
    workflow = load("preview.yml")
    assert "pull_request" in workflow["on"]
    job = workflow["jobs"]["preview"]
    assert sorted(job["strategy"]["matrix"]["stack"]) == STACKS
    pulumi = steps(job)["pulumi/actions"]["with"]
    assert pulumi["command"] == "preview" and pulumi["comment-on-pr"] is True
    assert workflow["permissions"]["pull-requests"] == "write"


def test_up_runs_on_main_behind_an_approval_environment_without_printing_outputs():
    workflow = load("up.yml")
    assert workflow["on"]["push"]["branches"] == ["main"]
    job = workflow["jobs"]["up"]
    assert job["environment"] == "production" and job["strategy"]["max-parallel"] == 1
    assert sorted(job["strategy"]["matrix"]["stack"]) == STACKS
    pulumi = steps(job)["pulumi/actions"]["with"]
    assert pulumi["command"] == "up" and pulumi["suppress-outputs"] is True


def runner_labels(job: dict[str, Any]) -> list[str]:
    runs_on = job["runs-on"]
    return [runs_on] if isinstance(runs_on, str) else list(runs_on)


def test_up_runs_on_the_self_hosted_runner_that_reaches_the_nodes_and_the_readme_registers_it():
    # `up` needs the Proxmox API and every node's Talos API on private addresses: a hosted runner reaches neither
    labels = runner_labels(load("up.yml")["jobs"]["up"])
    assert labels[0] == "self-hosted" and len(labels) == 2, labels
    readme = (ROOT / "README.md").read_text()
    assert f"--labels {labels[1]}" in readme and f"runs-on: [self-hosted, {labels[1]}]" in readme


def test_no_pull_request_job_runs_on_a_self_hosted_runner():
    # a pull request's code must never run inside the homelab: previews stay on GitHub-hosted runners
    for path in WORKFLOWS:
        workflow = load(path.name)
        if "pull_request" in workflow["on"] or "pull_request_target" in workflow["on"]:
            for name, job in workflow["jobs"].items():
                assert "self-hosted" not in runner_labels(job), f"{path.name}: job {name}"
