"""`make up` / `make preview` / `make destroy`: a missing STACK or Pulumi CLI is named before anything is built."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from .conftest import ROOT

PATH = "/usr/bin:/bin"


def make(*args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("make", path=PATH) is None:
        pytest.skip("make is not installed")
    env = {**os.environ, "PATH": PATH}
    env.pop("STACK", None)
    return subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)


@pytest.mark.parametrize("goal", ["preview", "up", "destroy"])
def test_make_without_a_stack_names_the_stacks_instead_of_using_one(goal):
    result = make(goal)
    assert result.returncode != 0
    assert f"STACK is required: make {goal} STACK=<stack>, one of: cross-region dev homelab" in result.stderr


@pytest.mark.parametrize("goal", ["preview", "up", "destroy"])
def test_make_without_the_pulumi_cli_says_how_to_get_it(goal):
    if shutil.which("pulumi", path=PATH):
        pytest.skip("the Pulumi CLI is installed here")
    result = make(goal, "STACK=dev")
    assert result.returncode != 0
    assert "pulumi: command not found; install the Pulumi CLI" in result.stderr
    assert "pip install" not in result.stdout  # nothing was built first


def test_make_destroy_runs_the_program_so_the_stack_file_as_it_is_now_decides_resets_and_protection():
    result = make("-n", "destroy", "STACK=dev")
    assert "pulumi destroy --run-program --stack dev" in result.stdout
    assert "--skip-preview" not in result.stdout and "--yes" not in result.stdout  # the preview comes first
