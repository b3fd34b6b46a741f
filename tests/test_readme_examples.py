"""The README's command-line examples run as written: each line of its "Talos without talosctl" and offline
render blocks, against emulated nodes moved from 192.168.1.0/24 onto loopback."""

from __future__ import annotations

import re
import shlex

import pytest

from components.talos.cli import main

from .conftest import ROOT
from .emulated import fresh_subnet
from .emulator import EmulatedCluster

PREFIX = "python -m components.talos "


def readme_commands(section: str) -> list[str]:
    """The `python -m components.talos` lines of the first sh block after the heading `section`."""
    text = (ROOT / "README.md").read_text()
    start = text.index(f"\n{section}\n")
    block = text[text.index("```sh\n", start) + 6:]
    block = block[:block.index("```")]
    return [line for line in block.splitlines() if line.startswith(PREFIX)]


def argv(line: str, subnet: str) -> list[str]:
    return shlex.split(line.replace("192.168.1.", f"{subnet}.").removeprefix(PREFIX), comments=True)


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for variable in ("TALOSCONFIG", "KUBECONFIG"):
        monkeypatch.delenv(variable, raising=False)
    (tmp_path / "config").symlink_to(ROOT / "config")  # the examples name config/… relative to the checkout
    return tmp_path


def test_the_readme_talosctl_examples_run_as_written(workdir, capsys):
    lines = readme_commands("## Talos without talosctl")
    assert any(" upgrade " in line for line in lines) and any(" patch machineconfig " in line for line in lines)
    subnet = fresh_subnet()
    nodes = sorted({f"{subnet}.{n}" for line in lines for n in re.findall(r"(?<!https://)192\.168\.1\.(\d+)", line)
                    if not line.startswith(PREFIX + "gen ")})
    last_apply = max(i for i, line in enumerate(lines) if " apply-config " in line)
    with EmulatedCluster(nodes, version="v1.13.9") as emulated:
        for index, line in enumerate(lines):
            assert main(argv(line, subnet)) == 0, f"README example failed: {line}\n{capsys.readouterr().err}"
            if index == last_apply:
                for node in nodes:
                    emulated.wait_for(node, "running")
    assert (workdir / "home" / ".kube" / "config").is_file()


def test_the_readme_talhelper_examples_run_as_written(workdir, capsys):
    lines = readme_commands("### Offline render (talhelper)")
    assert lines
    for line in lines:
        assert main(argv(line, "127.0.0")) == 0, f"README example failed: {line}\n{capsys.readouterr().err}"
    assert (workdir / "clusterconfig" / "talosconfig").is_file()
