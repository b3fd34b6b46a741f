"""A user's mistake gets one message that names the file, the field or the node, and what to do: the
supported Talos range stated once, a missing talconfig named, a broken global patch reported once, no
secrets made behind the user's back, and every file with secrets kept out of git."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from components.talos.cli import main
from components.talos.versions import NEWEST_SUPPORTED, OLDEST_SUPPORTED, SUPPORTED_RANGE

from .conftest import ROOT, talos
from .emulated import configure, emulate, example_definition, fresh_subnet, render
from .seed import seed_talconfig


def _git_ignored(repository: Path, *paths: str) -> list[str]:
    """The paths `git check-ignore` says are ignored (git's own reading of every .gitignore)."""
    if shutil.which("git") is None:
        pytest.fail("git is needed to check .gitignore coverage")
    result = subprocess.run(["git", "check-ignore", *paths], cwd=repository, capture_output=True, text=True)
    return result.stdout.split()


def _repository(folder: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    return folder


def test_the_supported_talos_range_is_one_range_and_the_readme_states_it() -> None:
    assert SUPPORTED_RANGE == f"{OLDEST_SUPPORTED} to {NEWEST_SUPPORTED}" == "v1.5 to v1.14"
    readme = (ROOT / "README.md").read_text()
    assert f"Supported Talos versions: {SUPPORTED_RANGE}" in readme
    assert "v1.3 to v1.15" not in readme


@pytest.mark.parametrize("version", ["v2.0.0", "v1.4.8", "v1.15.0"])
def test_an_unsupported_talos_version_in_a_definition_names_the_file_the_field_and_the_range(
        tmp_path: Path, version: str) -> None:
    (tmp_path / "talconfig.yaml").write_text(seed_talconfig("homelab-talos-dev").replace(
        "talosVersion: v1.6.5", f"talosVersion: {version}"))
    result = talos("genconfig", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines()[1] == (f"  talconfig.yaml: talosVersion = '{version}': Talos {version} is not "
                                             f"supported; expected a version from v1.5 to v1.14")
    assert "--talos-version" not in result.stderr  # a flag the user never passed
    validated = talos("validate", "talconfig", cwd=tmp_path)
    assert validated.stdout.splitlines()[:3] == [
        "There are issues with your talhelper config file talconfig.yaml:", 'field: "talosVersion"',
        f"Talos {version} is not supported; expected a version from v1.5 to v1.14 (got '{version}')"]


def test_an_unsupported_talos_version_flag_is_named_with_the_same_range(tmp_path: Path) -> None:
    result = talos("gen", "config", "c", "https://10.5.0.2:6443", "--talos-version", "v1.4", "-o", "-",
                   "-t", "worker", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == ("error: --talos-version: Talos v1.4 is not supported; expected a version from v1.5 "
                             "to v1.14\n")


def test_validate_talconfig_without_an_argument_names_the_file_it_looked_for(tmp_path: Path) -> None:
    result = talos("validate", "talconfig", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == (f"error: failed to read config file {tmp_path / 'talconfig.yaml'}: No such file or "
                             "directory; pass the file: validate talconfig FILE\n")


def test_a_broken_global_patch_is_one_problem_naming_every_node_it_breaks(tmp_path: Path) -> None:
    text = seed_talconfig("homelab-talos-dev")
    broken = text.replace("\npatches:\n", "\npatches:\n  - |-\n    machine: [unclosed\n", 1)
    assert broken != text
    (tmp_path / "talconfig.yaml").write_text(broken)
    result = talos("validate", "talconfig", cwd=tmp_path)
    fields = [line for line in result.stdout.splitlines() if line.startswith("field: ")]
    assert fields == ['field: "nodes[0] (controlplane-01), nodes[1] (controlplane-02), nodes[2] (controlplane-03), '
                      'nodes[3] (worker-01), nodes[4] (worker-02)"']
    assert result.stdout.count("did not find expected ',' or ']'") == 1


def test_genconfig_never_makes_secrets_when_the_secrets_file_is_missing(tmp_path: Path) -> None:
    (tmp_path / "talconfig.yaml").write_text(seed_talconfig("homelab-talos-dev"))
    for flags in ([], ["-s", "nosuch-talsecret.yaml"], ["--dry-run"]):
        result = talos("genconfig", *flags, cwd=tmp_path)
        assert result.returncode == 1
        assert "genconfig never makes new secrets" in result.stderr and "gen secrets -o" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["talconfig.yaml"]


def test_gen_secrets_gen_config_and_genconfig_keep_every_secret_file_out_of_git(tmp_path: Path) -> None:
    repository = _repository(tmp_path)
    (repository / "talconfig.yaml").write_text(seed_talconfig("homelab-talos-dev"))
    assert talos("gen", "secrets", "-o", "talsecret.yaml", cwd=repository).returncode == 0
    made = talos("gen", "config", "homelab", "https://192.168.1.80:6443", "--with-secrets", "talsecret.yaml",
                 "-o", "out/", cwd=repository)
    assert made.returncode == 0, made.stderr
    assert "secrets kept out of git: controlplane.yaml, worker.yaml, talosconfig listed in out/.gitignore" \
        in made.stderr
    assert talos("genconfig", cwd=repository).returncode == 0
    written = ["talsecret.yaml", "out/controlplane.yaml", "out/worker.yaml", "out/talosconfig",
               *(f"clusterconfig/{p.name}" for p in (repository / "clusterconfig").iterdir() if p.name != ".gitignore")]
    assert len(written) == 10
    assert _git_ignored(repository, *written) == written
    assert _git_ignored(repository, "talconfig.yaml", "out/.gitignore") == []  # the user's own files stay visible


def test_a_talosconfig_edited_inside_a_repository_is_kept_out_of_git_and_one_in_home_gets_no_gitignore(
        tmp_path: Path, private_home: Path) -> None:
    repository = _repository(tmp_path / "repo")
    talosconfig = talos("gen", "config", "c", "https://10.5.0.2:6443", "-t", "talosconfig", "-o", "-",
                        cwd=repository).stdout
    (repository / "clients").mkdir()
    (repository / "clients" / "talosconfig").write_text(talosconfig)
    edited = talos("--talosconfig", "clients/talosconfig", "config", "endpoint", "10.5.0.2", cwd=repository)
    assert edited.returncode == 0, edited.stderr
    assert _git_ignored(repository, "clients/talosconfig") == ["clients/talosconfig"]
    merged = talos("config", "merge", str(repository / "clients" / "talosconfig"), cwd=repository)
    assert merged.returncode == 0, merged.stderr
    home_config = private_home / ".talos" / "config"
    assert home_config.is_file() and not (home_config.parent / ".gitignore").exists()


def test_a_secure_call_to_a_node_in_maintenance_mode_says_so_and_names_insecure(tmp_path: Path, capsys) -> None:
    dev = render(example_definition("dev", fresh_subnet()))
    control_plane, worker = dev.control_planes[0], dev.workers[0]
    (tmp_path / "talosconfig").write_text(dev.talosconfig)
    (tmp_path / "worker.yaml").write_bytes(dev.configs[worker])
    flags = ["--talosconfig", str(tmp_path / "talosconfig")]
    with emulate(dev) as emulated:
        # the forgotten --insecure on a first apply
        assert main(["apply-config", *flags, "-n", worker, "-e", worker, "--file", str(tmp_path / "worker.yaml")]) == 1
        first = capsys.readouterr().err
        # bootstrap to a control plane that was reset (back in maintenance mode)
        configure(dev)
        assert main(["reset", *flags, "-n", control_plane, "-e", control_plane, "--graceful=false", "--reboot"]) == 0
        emulated.wait_for(control_plane, "maintenance")
        capsys.readouterr()
        assert main(["bootstrap", *flags, "-n", control_plane, "-e", control_plane]) == 1
        second = capsys.readouterr().err
    for error, node, call in ((first, worker, "ApplyConfiguration"), (second, control_plane, "Bootstrap")):
        assert error.startswith(f"error: node {node} at {node}:50000: {call}: "
                                "the node is in maintenance mode, or something answers as one: ")
        assert "add --insecure" in error and "not signed by this cluster" not in error.split(":")[3]
        assert len(error.splitlines()) == 1 and "Traceback" not in error
