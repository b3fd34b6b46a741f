"""The README's "Try it in five minutes, without hardware" runs as written: terminal 1's emulator command,
terminal 2's commands through the installed `talos-cluster` (no PYTHONPATH), in a clone-like git folder, on a
loopback subnet of its own; and the preview stand-in it shows. The installed command also runs talhelper's
workflow from a folder outside the repository."""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import ROOT
from .emulated import fresh_subnet
from .preview import main as preview_main
from .test_errors_name_the_fix import _git_ignored, _repository

SECTION = "## Try it in five minutes, without hardware"
README_SUBNET = "127.0.10"
INSTALLED = Path(sys.executable).parent / "talos-cluster"


def quickstart_blocks() -> list[list[str]]:
    """The command lines of each sh block in the section, in order."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index(f"\n{SECTION}\n"):]
    section = section[:section.index("\n## ", 1)]
    blocks = section.split("```sh\n")[1:]
    return [[line for line in block[:block.index("```")].splitlines() if line.strip()] for block in blocks]


def installed_command() -> Path:
    if not INSTALLED.is_file():
        pytest.fail(f"{INSTALLED} is missing: `make venv` (pip install -e .) installs the talos-cluster command")
    return INSTALLED


def user_environment(home: Path) -> dict[str, str]:
    """A user's shell: no PYTHONPATH, so only the installed command can find the project."""
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}


def test_the_quick_start_runs_as_written_against_emulated_nodes(tmp_path: Path, private_home: Path) -> None:
    emulator_block, walk, pulumi_cli, _ = quickstart_blocks()
    installed_command()
    assert emulator_block[0] == "make venv"  # done already: this suite runs in that virtualenv
    assert pulumi_cli[-1] == "pulumi preview --stack dev"  # needs the CLI: shown, not run here
    subnet = fresh_subnet()

    clone = _repository(tmp_path / "talos-cluster")  # a clone is a git work tree
    (clone / ".venv").symlink_to(Path(sys.executable).parent.parent)
    (clone / "config").mkdir()
    (clone / "config" / "try-it.yaml").write_text(
        (ROOT / "config" / "try-it.yaml").read_text().replace(f"{README_SUBNET}.", f"{subnet}."))

    emulator = shlex.split(emulator_block[1].replace(f"{README_SUBNET}.", f"{subnet}."))
    assert emulator[:3] == [".venv/bin/python", "-m", "tests.emulator"]
    log = tmp_path / "terminal-1.log"
    with log.open("w") as output:
        terminal_1 = subprocess.Popen(emulator, cwd=clone, stdout=output, stderr=subprocess.STDOUT,
                                      env={**user_environment(private_home), "PYTHONPATH": str(ROOT)})
    try:
        deadline = time.monotonic() + 60
        while log.read_text().count("ready: ") < 2:
            assert terminal_1.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        # terminal 2, one shell; "once terminal 1 shows both nodes running" becomes a wait on its output
        lines = [line.replace(f"{README_SUBNET}.", f"{subnet}.") for line in walk]
        bootstrap = next(i for i, line in enumerate(lines) if line.startswith("talos-cluster bootstrap"))
        lines.insert(bootstrap, f"until [ $(grep -c 'reboot-end (running)' {shlex.quote(str(log))}) -ge 2 ]; "
                                "do sleep 0.05; done")
        script = "set -euo pipefail\n" + "\n".join(lines) + "\n"
        shell = subprocess.run(["bash", "-c", script], cwd=clone, env=user_environment(private_home),
                               capture_output=True, text=True, timeout=180)
    finally:
        terminal_1.terminate()
        terminal_1.wait(10)
    assert shell.returncode == 0, shell.stdout + shell.stderr + log.read_text()
    assert "cluster is healthy: 1 control planes in etcd, 1 workers" in shell.stdout
    assert "every node Ready and schedulable" in shell.stdout
    try_dir = clone / "try"
    assert (try_dir / "kubeconfig").stat().st_mode & 0o777 == 0o600
    secrets = ["try/talsecret.yaml", "try/kubeconfig", "try/clusterconfig/talosconfig",
               "try/clusterconfig/try-it-try-cp-1.yaml", "try/clusterconfig/try-it-try-worker-1.yaml"]
    assert _git_ignored(clone, *secrets) == secrets



def test_the_quick_starts_preview_lists_what_pulumi_preview_would_create(capsys) -> None:
    *_, preview = quickstart_blocks()
    assert preview == [".venv/bin/python -m tests.preview dev"]
    assert preview_main(["dev"]) == 0  # in this process: the same module the command runs
    planned = capsys.readouterr().out
    rows = [line for line in planned.splitlines() if line.startswith(" +  ")]
    assert any("talos-dev-cp-01" in row for row in rows) and any("talos-health" in row for row in rows)
    assert planned.rstrip().endswith(f"+ {len(rows)} to create")


def test_the_installed_command_runs_the_talhelper_workflow_outside_the_repository(tmp_path: Path,
                                                                                  private_home: Path) -> None:
    command = str(installed_command())
    assert ROOT not in tmp_path.parents
    (tmp_path / "talconfig.yaml").write_text((ROOT / "config" / "dev.yaml").read_text())

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([command, *args], cwd=tmp_path, env=user_environment(private_home),
                              capture_output=True, text=True, timeout=120)

    assert run("validate", "talconfig").stdout == "Your talhelper config file is looking great!\n"
    assert run("gen", "secrets", "-o", "talsecret.yaml").returncode == 0
    generated = run("genconfig")
    assert generated.returncode == 0, generated.stderr
    assert "generated config for dev-cp-01 in ./clusterconfig/dev-dev-cp-01.yaml" in generated.stdout
    commands = run("gencommand", "apply", "--extra-flags", "--insecure")
    assert commands.stdout.splitlines() == [
        "talosctl apply-config --talosconfig=./clusterconfig/talosconfig --nodes=192.168.1.90 "
        "--file=./clusterconfig/dev-dev-cp-01.yaml --insecure;",
        "talosctl apply-config --talosconfig=./clusterconfig/talosconfig --nodes=192.168.1.91 "
        "--file=./clusterconfig/dev-dev-worker-01.yaml --insecure;"]
