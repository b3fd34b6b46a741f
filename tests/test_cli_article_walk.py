"""The seed article's talosctl sequence, typed as the article types it, against emulated nodes, with this CLI
only; each output is checked against what the article shows (its headers and columns).

The cluster is made at Kubernetes 1.28 so that the article's `upgrade-k8s --to 1.29.1` really upgrades it."""

from __future__ import annotations

import json

import pytest
import yaml

from components.talos.cli import main
from components.talos.patching.rfc6902 import MULTI_DOCUMENT_REFUSAL

from .emulated import fresh_subnet
from .emulator import EmulatedCluster
from .seed import seed_text

# The article's `talosctl disks` header (v1.6) and `talosctl get kubespanpeerstatus` header.
DISKS_HEADER = ["DEV", "MODEL", "SERIAL", "TYPE", "UUID", "WWID", "MODALIAS", "NAME", "SIZE", "BUS_PATH", "SUBSYSTEM",
                "READ_ONLY", "SYSTEM_DISK"]
KSPS_HEADER = ["NODE", "NAMESPACE", "TYPE", "ID", "VERSION", "LABEL", "ENDPOINT", "STATE", "RX", "TX"]
HOSTNAME_PATCH = '[{"op": "add", "path": "/machine/network/hostname", "value": "talos-controlplane-01"}]'


def columns(line: str) -> list[str]:
    """Cells of a talosctl table line (cells are separated by at least three spaces, see tables.py)."""
    return [cell.strip() for cell in line.split("   ") if cell.strip()]


def article_line(startswith: str) -> str:
    text = seed_text()
    return next(line for line in text.splitlines() if line.startswith(startswith))


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("TALOSCONFIG", raising=False)
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path / "home"


def article_addresses() -> tuple[list[str], list[str]]:
    subnet = fresh_subnet()
    return [f"{subnet}.{n}" for n in (85, 79, 82)], [f"{subnet}.{n}" for n in (83, 86)]


def bring_up(capsys, control_planes: list[str], workers: list[str], emulated: EmulatedCluster) -> None:
    """apply-config --insecure on every node, then bootstrap the first (the article's commands)."""
    first = control_planes[0]
    for address in control_planes + workers:
        config = "controlplane.yaml" if address in control_planes else "worker.yaml"
        assert main(["apply-config", "--insecure", "-n", address, "-e", address, "--file", config]) == 0
    for address in control_planes + workers:
        emulated.wait_for(address, "running")
    assert main(["bootstrap", "-e", first, "--talosconfig", "./talosconfig", "--nodes", first]) == 0
    capsys.readouterr()


def test_the_articles_v1_6_walk_runs_as_written(home, capsys):
    control_planes, workers = article_addresses()
    first = control_planes[0]
    assert main(["gen", "secrets", "-o", "secrets.yaml"]) == 0
    assert main(["gen", "config", "homelab-talos-dev", f"https://{first}:6443", "--with-secrets", "./secrets.yaml",
                 "--install-disk", "/dev/sda", "--talos-version", "v1.6.4", "--kubernetes-version", "1.28.6",
                 "-o", "."]) == 0
    with EmulatedCluster(control_planes + workers, version="v1.6.4") as emulated:
        capsys.readouterr()
        assert main(["disks", "--insecure", "-n", first, "-e", first]) == 0
        table = capsys.readouterr().out.splitlines()
        assert columns(table[0]) == columns(article_line("DEV        MODEL")) == DISKS_HEADER
        assert columns(table[1])[:4] == ["/dev/sda", "QEMU HARDDISK", "-", "HDD"]

        bring_up(capsys, control_planes, workers, emulated)

        # `talosctl kubeconfig` with no path: ~/.kube does not exist yet; it is created and the config merged
        assert not (home / ".kube").exists()
        assert main(["kubeconfig", "-e", first, "--talosconfig", "./talosconfig", "--nodes", first]) == 0
        kubeconfig = yaml.safe_load((home / ".kube" / "config").read_text())
        assert kubeconfig["current-context"] == "admin@homelab-talos-dev"
        assert (home / ".kube" / "config").stat().st_mode & 0o777 == 0o600
        # again: a new client certificate conflicts with the stored one, so talosctl renames (not a terminal)
        assert main(["kubeconfig", "-e", first, "--talosconfig", "./talosconfig", "--nodes", first]) == 0
        assert 'renamed auth info "admin@homelab-talos-dev" -> "admin@homelab-talos-dev-1"' in capsys.readouterr().out
        kubeconfig = yaml.safe_load((home / ".kube" / "config").read_text())
        assert kubeconfig["current-context"] == "admin@homelab-talos-dev-1"
        assert sorted(c["name"] for c in kubeconfig["contexts"]) == ["admin@homelab-talos-dev",
                                                                     "admin@homelab-talos-dev-1"]

        # the article's ~/.talos/config set-up, global flags before the verb
        assert main(["--talosconfig=./talosconfig", "config", "endpoint", *[control_planes[i] for i in (0, 2, 1)]]) == 0
        assert main(["--talosconfig=./talosconfig", "config", "node", *[control_planes[i] for i in (0, 2, 1)],
                     *workers]) == 0
        assert main(["config", "merge", "./talosconfig"]) == 0
        merged = yaml.safe_load((home / ".talos" / "config").read_text())
        assert merged["context"] == "homelab-talos-dev"
        assert merged["contexts"]["homelab-talos-dev"]["endpoints"] == [control_planes[i] for i in (0, 2, 1)]
        capsys.readouterr()
        assert main(["config", "contexts"]) == 0
        assert columns(capsys.readouterr().out.splitlines()[1])[:2] == ["*", "homelab-talos-dev"]

        # `talosctl disks` with no flags: every node of the context, a NODE column first
        assert main(["disks"]) == 0
        table = capsys.readouterr().out.splitlines()
        assert columns(table[0]) == columns(article_line("NODE           DEV")) == ["NODE", *DISKS_HEADER]
        assert sorted(columns(line)[0] for line in table[1:]) == sorted(control_planes + workers)
        assert all(columns(line)[-1] == "*" for line in table[1:])  # installed: the system disk

        # health with no node flags discovers the members; like talosctl, it asks one node
        assert main(["health", "--wait-timeout", "30s"]) == 1
        assert 'command "health" requires exactly one node (got 5)' in capsys.readouterr().err
        assert main(["health", "-n", first, "--wait-timeout", "30s"]) == 0
        out = capsys.readouterr()
        assert "3 control planes in etcd, 2 workers" in out.out
        assert "discovered nodes" in out.err
        # then the Kubernetes stages, as talosctl's, through the kubeconfig's server (the article's endpoint)
        assert f"Kubernetes API at https://{first}:6443 answers, control-plane static pods running, every node Ready" \
            in out.out

        # "Même s'il n'y a qu'un nœud précisé, ils seront tous mis à jour": every node, from one -n
        assert main(["upgrade-k8s", "--to", "1.29.1", "-n", first]) == 0
        upgrade = capsys.readouterr().out
        assert "discovered controlplane nodes" in upgrade and "updating manifests" in upgrade
        configs = [emulated.node(address).config for address in control_planes + workers]
        assert all(config is not None and b"kubelet:v1.29.1" in config.text for config in configs)

        # the hostname, by JSON patch inline (global -n before the verb) and from @patch.yaml
        assert main(["-n", first, "patch", "machineconfig", "-p", HOSTNAME_PATCH]) == 0
        assert f"patched MachineConfigs.config.talos.dev/v1alpha1 at the node {first}" in capsys.readouterr().err
        (home.parent / "patch.yaml").write_text("- op: add\n  path: /machine/network/hostname\n"
                                                "  value: talos-controlplane-02\n")
        assert main(["-n", control_planes[1], "patch", "machineconfig", "-p", "@patch.yaml"]) == 0
        assert main(["-n", first, "patch", "machineconfig", "-p", HOSTNAME_PATCH]) == 0
        assert "Apply was skipped: no changes detected." in capsys.readouterr().err
        assert main(["get", "hostnamestatus", "-n", f"{first},{control_planes[1]}"]) == 0
        table = capsys.readouterr().out.splitlines()
        assert columns(table[0]) == ["NODE", "NAMESPACE", "TYPE", "ID", "VERSION", "HOSTNAME", "DOMAINNAME"]
        assert [columns(line)[2] for line in table[1:]] == ["HostnameStatus"] * 2
        assert [columns(line)[5] for line in table[1:]] == ["talos-controlplane-01", "talos-controlplane-02"]
        assert main(["get", "mc", "-n", first]) == 0
        assert columns(capsys.readouterr().out.splitlines()[1])[2:4] == ["MachineConfig", "v1alpha1"]


def test_the_articles_kubespan_and_hostname_steps_on_v1_13(home, capsys):
    control_planes, workers = article_addresses()
    first = control_planes[0]
    assert main(["gen", "secrets", "-o", "secrets.yaml"]) == 0
    assert main(["gen", "config", "cross-region-cluster", f"https://{first}:6443", "--with-secrets", "secrets.yaml",
                 "--with-kubespan", "--talos-version", "v1.13.9", "-o", "."]) == 0
    with EmulatedCluster(control_planes + workers, version="v1.13.9") as emulated:
        bring_up(capsys, control_planes, workers, emulated)
        assert main(["--talosconfig=./talosconfig", "config", "endpoint", first]) == 0
        assert main(["config", "merge", "./talosconfig"]) == 0

        assert main(["get", "kubespanpeerstatus", "-n", first]) == 0
        table = capsys.readouterr().out.splitlines()
        assert columns(table[0]) == columns(article_line("NODE           NAMESPACE   TYPE")) == KSPS_HEADER
        rows = [columns(line) for line in table[1:]]
        assert [row[2] for row in rows] == ["KubeSpanPeerStatus"] * 4
        assert sorted(row[6] for row in rows) == sorted(f"{a}:51820" for a in control_planes[1:] + workers)
        assert {row[7] for row in rows} == {"up"}
        assert main(["get", "ksps", "-n", first, "-o", "yaml"]) == 0
        assert capsys.readouterr().out.count("type: KubeSpanPeerStatuses.kubespan.talos.dev") == 4

        # v1.13 configs are multi-document: Talos refuses the JSON patch; the HostnameConfig document works
        assert main(["-n", first, "patch", "machineconfig", "-p", HOSTNAME_PATCH]) == 1
        error = capsys.readouterr().err
        assert MULTI_DOCUMENT_REFUSAL in error and error.count("\n") == 1
        hostname_config = {"apiVersion": "v1alpha1", "kind": "HostnameConfig", "auto": "off",
                           "hostname": "talos-controlplane-01"}
        assert main(["patch", "mc", "-n", first, "--patch", json.dumps(hostname_config)]) == 0
        assert main(["get", "hostname", "-n", first, "-o", "yaml"]) == 0
        spec = yaml.safe_load(capsys.readouterr().out.split("---")[0])["spec"]
        assert spec["hostname"] == "talos-controlplane-01"
        assert main(["get", "disks", "-n", first]) == 0
        table = capsys.readouterr().out.splitlines()
        assert columns(table[0])[5:] == ["SIZE", "READ ONLY", "TRANSPORT", "ROTATIONAL", "WWID", "MODEL", "SERIAL"]
