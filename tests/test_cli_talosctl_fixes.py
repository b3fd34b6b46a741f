"""What a user of the talosctl verbs relies on beyond the article's happy path: diffs, hints, one-line errors."""

from __future__ import annotations

import fcntl
import os
import re
import subprocess
import sys

import pytest
import yaml

from components.talos.cli import main

from .conftest import ROOT
from .emulated import RenderedCluster, configure, emulate, example_definition, fresh_subnet, render

F_SETPIPE_SZ = 1031  # Linux fcntl: shrink a pipe so a small output already fills it


@pytest.fixture
def dev(tmp_path, monkeypatch) -> RenderedCluster:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    cluster = render(example_definition("dev", fresh_subnet()))
    (tmp_path / "talosconfig").write_text(cluster.talosconfig)
    return cluster


def test_apply_config_dry_run_prints_the_config_diff(dev, tmp_path, capsys):
    node = dev.control_planes[0]
    changed = dev.configs[node].decode().replace("dev-cp-01", "dev-cp-99")
    (tmp_path / "changed.yaml").write_text(changed)
    with emulate(dev) as emulated:
        configure(dev)
        assert main(["--talosconfig", "talosconfig", "-n", node, "apply-config", "-f", "changed.yaml",
                     "--dry-run"]) == 0
        assert emulated.node(node).hostname == "dev-cp-01"  # nothing applied
    err = capsys.readouterr().err
    assert "Config diff:" in err and "--- a\n+++ b\n" in err
    assert "-    hostname: dev-cp-01" in err or "-hostname: dev-cp-01" in err
    assert "dev-cp-99" in err


def test_insecure_against_a_configured_node_says_to_drop_insecure(dev, tmp_path, capsys):
    node = dev.control_planes[0]
    (tmp_path / "cp.yaml").write_bytes(dev.configs[node])
    with emulate(dev):
        configure(dev)
        assert main(["apply-config", "--insecure", "-n", node, "-e", node, "--file", "cp.yaml"]) == 1
    err = capsys.readouterr().err
    assert "drop --insecure" in err and "needs --insecure" not in err
    assert err.count("\n") == 1


def test_kubeconfig_without_merge_writes_to_the_working_directory_and_never_overwrites_silently(dev, tmp_path, capsys):
    node = dev.control_planes[0]
    with emulate(dev):
        configure(dev)
        flags = ["--talosconfig", "talosconfig", "-n", node, "-e", node]
        assert main(["bootstrap", *flags]) == 0
        assert main(["kubeconfig", *flags, "--merge=false"]) == 0
        assert yaml.safe_load((tmp_path / "kubeconfig").read_text())["current-context"] == "admin@dev"
        assert main(["kubeconfig", *flags, "--merge=false"]) == 1
        assert "kubeconfig file already exists, use --force to overwrite" in capsys.readouterr().err
        assert main(["kubeconfig", *flags, "--merge=false", "--force"]) == 0
        assert not (tmp_path / "home" / ".kube").exists()
        assert main(["kubeconfig", *flags]) == 0  # the article's form: ~/.kube/config, created
        assert (tmp_path / "home" / ".kube" / "config").is_file()
        assert main(["kubeconfig", *flags, "-f"]) == 0  # merging with --force overwrites, no renames
        assert "renamed" not in capsys.readouterr().out
        contexts = yaml.safe_load((tmp_path / "home" / ".kube" / "config").read_text())["contexts"]
        assert [context["name"] for context in contexts] == ["admin@dev"]


def test_genconfig_with_a_secrets_file_that_does_not_exist_names_it_and_makes_no_secrets(tmp_path, capsys,
                                                                                        monkeypatch):
    definition = tmp_path / "talconfig.yaml"
    definition.write_text(example_definition("dev", "127.0.9"))
    monkeypatch.chdir(tmp_path)
    assert main(["genconfig", "-c", str(definition), "-s", "nosuch-talsecret.yaml", "-o", "out"]) == 1
    err = capsys.readouterr().err
    assert err == (f"error: no secrets file found: looked for nosuch-talsecret.yaml in {tmp_path}; genconfig never "
                   "makes new secrets. Make them once (0600, listed in .gitignore): `talos-cluster gen secrets -o "
                   "nosuch-talsecret.yaml`, or pass the cluster's own with -s\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["talconfig.yaml"]


def test_get_output_piped_into_head_ends_quietly(dev, tmp_path):
    read, write = os.pipe()
    fcntl.fcntl(write, F_SETPIPE_SZ, 4096)
    command = [sys.executable, "-m", "components.talos", "get", "mc", "-o", "yaml", "--talosconfig",
               str(tmp_path / "talosconfig"), "-e", dev.control_planes[0], "-n", ",".join(dev.addresses * 2)]
    with emulate(dev):
        configure(dev)
        process = subprocess.Popen(command, cwd=ROOT, stdout=write, stderr=subprocess.PIPE)
        os.close(write)
        assert os.read(read, 6) == b"node: "  # unbuffered: the rest stays in the full pipe
        os.close(read)
        _, err = process.communicate(timeout=60)
    assert b"Traceback" not in err and b"BrokenPipe" not in err
    assert process.returncode == 141


def test_services_logs_and_dmesg_read_a_node_as_talosctl_prints_them(dev, capsys):
    node = dev.control_planes[0]
    flags = ["--talosconfig", "talosconfig", "-e", node, "-n", node]
    with emulate(dev):
        configure(dev)
        capsys.readouterr()
        assert main(["services", *flags]) == 0
        table = capsys.readouterr().out.splitlines()
        assert table[0].split()[:4] == ["NODE", "SERVICE", "STATE", "HEALTH"]
        assert {line.split()[1] for line in table[1:]} >= {"apid", "etcd", "kubelet"}
        # LAST CHANGE as talosctl prints it: Go's time.Since(last event).Round(time.Second), then " ago"
        assert table[0].split()[4:] == ["LAST", "CHANGE", "LAST", "EVENT"]
        last_change = re.compile(r" (\d+h)?(\d+m)?\d+s ago +(Health check successful|Waiting for bootstrap)$")
        assert all(last_change.search(line) for line in table[1:]), table
        assert main(["service", "apid", *flags]) == 0
        assert [line.split()[0] for line in capsys.readouterr().out.splitlines()] == ["NODE", "ID", "STATE", "HEALTH"]
        assert main(["logs", "apid", *flags]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert lines and all(line.startswith(f"{node}: ") for line in lines)
        assert main(["logs", "apid", "--tail", "1", *flags]) == 0
        assert len(capsys.readouterr().out.splitlines()) == 1
        assert main(["dmesg", *flags]) == 0
        line = capsys.readouterr().out.splitlines()[0]
        assert line.startswith(f"{node}: kern:    info: [")
        assert main(["logs", "-k", "kube-system/kube-apiserver", *flags]) == 1
        assert 'container "kube-system/kube-apiserver" not found' in capsys.readouterr().err
        assert main(["logs", "-f", "apid", *flags]) == 1
        assert "logs --follow is not supported" in capsys.readouterr().err


def test_edit_machineconfig_applies_what_the_editor_saved_and_skips_an_unchanged_file(dev, tmp_path, capsys,
                                                                                    monkeypatch):
    node = dev.control_planes[0]
    flags = ["--talosconfig", "talosconfig", "-e", node, "-n", node]
    with emulate(dev) as emulated:
        configure(dev)
        monkeypatch.setenv("TALOS_EDITOR", "sed -i s/dev-cp-01/dev-cp-77/")
        monkeypatch.setenv("EDITOR", "false")  # $TALOS_EDITOR wins
        assert main(["edit", "machineconfig", *flags]) == 0
        assert emulated.node(node).hostname == "dev-cp-77"
        assert main(["edit", "mc", *flags]) == 0  # nothing left to replace: the file comes back unchanged
        assert "Apply was skipped: no changes detected." in capsys.readouterr().err
        monkeypatch.delenv("TALOS_EDITOR")
        assert main(["edit", "machineconfig", *flags]) == 1
        assert "edit: editor 'false' exited with 1" in capsys.readouterr().err
        assert main(["edit", "members", *flags]) == 1
        assert "only machineconfig can be changed this way" in capsys.readouterr().err


def test_contexts_can_be_listed_switched_and_chosen_per_command(dev, tmp_path, capsys):
    other = render(example_definition("dev", fresh_subnet()))
    (tmp_path / "other").write_text(other.talosconfig)
    node = dev.control_planes[0]
    with emulate(dev):
        configure(dev)
        assert main(["config", "merge", "talosconfig"]) == 0
        assert main(["config", "merge", "other"]) == 0  # same context name: renamed, and made current
        assert 'renamed talosconfig context "dev" -> "dev-1"' in capsys.readouterr().err
        assert main(["config", "contexts"]) == 0
        rows = [line.split() for line in capsys.readouterr().out.splitlines()[1:]]
        assert rows[0][0] == "dev" and rows[1][:2] == ["*", "dev-1"]
        assert main(["-n", node, "-e", node, "version"]) == 1  # dev-1's certificate is another cluster's
        assert main(["--context", "dev", "-n", node, "-e", node, "version"]) == 0
        assert main(["config", "context", "dev"]) == 0
        assert main(["version", "-n", node, "-e", node]) == 0
        assert main(["config", "context", "nope"]) == 1
        assert "context 'nope' is not defined" in capsys.readouterr().err
