"""genconfig / gencommand: talhelper's offline workflow on a definition."""

from __future__ import annotations

import stat
from pathlib import Path

from .conftest import talos
from .seed import seed_talconfig


def test_genconfig_writes_private_files_and_renders_byte_identically_twice(tmp_path: Path) -> None:
    (tmp_path / "talconfig.yaml").write_text(seed_talconfig("homelab-talos-dev"))
    first = talos("genconfig", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    out = tmp_path / "clusterconfig"
    files = sorted(p.name for p in out.iterdir())
    hosts = ["controlplane-01", "controlplane-02", "controlplane-03", "worker-01", "worker-02"]
    assert files == [".gitignore", *(f"homelab-talos-dev-{h}.yaml" for h in hosts), "talosconfig"]
    assert all(stat.S_IMODE((out / f).stat().st_mode) == 0o600 for f in files)
    assert stat.S_IMODE((tmp_path / "talsecret.yaml").stat().st_mode) == 0o600
    configs = {f: (out / f).read_text() for f in files if f.endswith(".yaml")}
    assert talos("genconfig", cwd=tmp_path).returncode == 0  # reuses talsecret.yaml
    assert {f: (out / f).read_text() for f in configs} == configs


def test_gencommand_prints_the_article_commands(tmp_path: Path) -> None:
    (tmp_path / "talconfig.yaml").write_text(seed_talconfig("homelab-talos-dev"))
    apply = talos("gencommand", "apply", "--extra-flags", "--insecure", cwd=tmp_path).stdout.splitlines()
    assert apply[0] == ("talosctl apply-config --talosconfig=./clusterconfig/talosconfig --nodes=192.168.1.85 "
                        "--file=./clusterconfig/homelab-talos-dev-controlplane-01.yaml --insecure;")
    assert len(apply) == 5
    assert talos("gencommand", "bootstrap", cwd=tmp_path).stdout == \
        "talosctl bootstrap --talosconfig=./clusterconfig/talosconfig --nodes=192.168.1.85;\n"
    assert talos("gencommand", "kubeconfig", cwd=tmp_path).stdout == \
        "talosctl kubeconfig --talosconfig=./clusterconfig/talosconfig --nodes=192.168.1.85;\n"
    reset = talos("gencommand", "reset", "--extra-flags", "--graceful=false", cwd=tmp_path).stdout.splitlines()
    assert reset[-1] == ("talosctl reset --talosconfig=./clusterconfig/talosconfig --nodes=192.168.1.86 "
                         "--graceful=false;")
    wrong = talos("gencommand", "bootstrap", "-n", "worker-01", cwd=tmp_path)
    assert wrong.returncode == 1 and "node with IP 192.168.1.83 is not a controlplane node" in wrong.stderr


def test_genconfig_on_a_broken_definition_lists_problems_without_traceback(tmp_path: Path) -> None:
    broken = seed_talconfig("homelab-talos-dev").replace("192.168.1.86", "192.168.1.85")
    (tmp_path / "talconfig.yaml").write_text(broken)
    result = talos("genconfig", cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "talconfig.yaml: nodes[4].ipAddress = '192.168.1.85': duplicate: also used by nodes[0]" in result.stderr
    assert not (tmp_path / "clusterconfig").exists()
