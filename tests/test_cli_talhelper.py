"""genconfig / gencommand: talhelper's offline workflow on a definition."""

from __future__ import annotations

import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import cli_environment, talos
from .seed import seed_talconfig


def _with_talsecret(folder: Path) -> None:
    """What talhelper's docs start with (`talhelper gensecret > talsecret.sops.yaml`), here unencrypted."""
    assert talos("gen", "secrets", "-o", "talsecret.yaml", cwd=folder).returncode == 0


def test_genconfig_writes_private_files_and_renders_byte_identically_twice(tmp_path: Path) -> None:
    (tmp_path / "talconfig.yaml").write_text(seed_talconfig("homelab-talos-dev"))
    _with_talsecret(tmp_path)
    first = talos("genconfig", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    out = tmp_path / "clusterconfig"
    files = sorted(p.name for p in out.iterdir())
    hosts = ["controlplane-01", "controlplane-02", "controlplane-03", "worker-01", "worker-02"]
    assert files == [".gitignore", *(f"homelab-talos-dev-{h}.yaml" for h in hosts), "talosconfig"]
    assert all(stat.S_IMODE((out / f).stat().st_mode) == 0o600 for f in files if f != ".gitignore")
    assert stat.S_IMODE((out / ".gitignore").stat().st_mode) == 0o644  # talhelper gitignore.go opens it 0o644
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


def _example_copy(tmp_path: Path) -> Path:
    """talhelper's example/ folder, minus the fields this program refuses today (each refusal is tested)."""
    from components.talos import yamlio
    from components.talos.definition.model import TALHELPER_UNSUPPORTED

    from .talhelper_data import talhelper_path

    source = talhelper_path("example")
    folder = tmp_path / "example"
    shutil.copytree(source, folder)
    for path in folder.rglob("*"):
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    shutil.rmtree(folder / "clusterconfig", ignore_errors=True)
    data = yamlio.load((folder / "talconfig.yaml").read_text())
    for block in [data, data.get("controlPlane") or {}, data.get("worker") or {}, *data["nodes"]]:
        for field in TALHELPER_UNSUPPORTED:
            block.pop(field, None)
    (folder / "talconfig.yaml").write_text(yamlio.dump(data))
    return folder


def _run(folder: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "components.talos", *args], cwd=folder, capture_output=True,
                          text=True, env=cli_environment(**{"HOME": "/nonexistent", **env}))


@pytest.mark.parametrize("secret_name", ["talsecret.yaml", "talsecret.sops.yaml"])
def test_genconfig_on_talhelpers_example_uses_its_encrypted_talsecret_and_talenv(tmp_path: Path,
                                                                                 secret_name: str) -> None:
    from components.talos import yamlio
    from components.talos.talsecret import read_talsecret

    folder = _example_copy(tmp_path)
    (folder / "talsecret.yaml").rename(folder / secret_name)
    result = _run(folder, "genconfig", SOPS_AGE_KEY_FILE="key.txt")
    assert result.returncode == 0, result.stderr
    secrets = yamlio.load(read_talsecret(folder / secret_name, {"SOPS_AGE_KEY_FILE": str(folder / "key.txt")}))
    configs = sorted((folder / "clusterconfig").glob("*.yaml"))
    assert len(configs) == len(yamlio.load((folder / "talconfig.yaml").read_text())["nodes"])
    for path in configs:
        text = path.read_text()
        for leftover in ("ENC[", "${", "{{"):
            assert leftover not in text, f"{path.name} holds {leftover}"
        documents = yamlio.load_all(text)
        assert all("sops" not in document for document in documents)
        legacy = documents[0]
        assert legacy["machine"]["ca"]["crt"] == secrets["certs"]["os"]["crt"]  # talsecret's CA, not a new one
        assert legacy["cluster"]["network"]["dnsDomain"] == "cluster.local"  # domain: ${myDomainName}
        assert legacy["machine"]["nodeLabels"]["domainname"] == "cluster.local"  # @file patch with ${myDomainName}
    assert sorted(p.name for p in folder.glob("talsecret*")) == [secret_name]  # no new bundle beside it
    assert "generated secrets bundle" not in result.stderr


def test_without_a_key_an_encrypted_talsecret_is_a_clear_error_and_nothing_is_written(tmp_path: Path) -> None:
    folder = _example_copy(tmp_path)
    # A plain talenv, so that the talsecret is the only encrypted file read.
    (folder / "talenv.yaml").write_text("myDomainName: cluster.local\ntsAuth: x\nudp: udp://10.45.0.21:6050\n")
    before = sorted(p.name for p in folder.iterdir())
    result = _run(folder, "genconfig")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: talsecret.yaml: SOPS decryption failed: no age identity for recipient age1")
    assert sorted(p.name for p in folder.iterdir()) == before


def test_genconfig_appends_to_the_users_gitignore_and_dry_run_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "talconfig.yaml").write_text(seed_talconfig("homelab-talos-dev"))
    out = tmp_path / "clusterconfig"
    out.mkdir()
    (out / ".gitignore").write_text("# mine\n*.bak\nhomelab-talos-dev-worker-01.yaml\n")
    _with_talsecret(tmp_path)
    assert talos("genconfig", cwd=tmp_path).returncode == 0
    lines = (out / ".gitignore").read_text().splitlines()
    assert lines[:3] == ["# mine", "*.bak", "homelab-talos-dev-worker-01.yaml"]
    assert lines.count("homelab-talos-dev-worker-01.yaml") == 1 and lines[-1] == "talosconfig"
    assert talos("genconfig", cwd=tmp_path).stdout.count("generated .gitignore file in") == 1
    assert (out / ".gitignore").read_text().splitlines() == lines  # nothing added twice
    edited = seed_talconfig("homelab-talos-dev").replace("controlplane-01", "cp-01")
    (tmp_path / "talconfig.yaml").write_text(edited)
    before = {p.name: p.read_text() for p in out.iterdir()}
    dry = talos("genconfig", "--dry-run", cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert f"+++ b{out / 'homelab-talos-dev-cp-01.yaml'}" in dry.stdout
    assert "no changes found on ./clusterconfig/homelab-talos-dev-worker-01.yaml" in dry.stdout
    assert {p.name: p.read_text() for p in out.iterdir()} == before


def test_genconfig_flags_env_file_no_gitignore_nodes_section_and_crt_ttl(tmp_path: Path) -> None:
    text = seed_talconfig("homelab-talos-dev").replace("clusterName: homelab-talos-dev", "clusterName: ${NAME}")
    (tmp_path / "talconfig.yaml").write_text(text)
    (tmp_path / "vars.yaml").write_text("NAME: from-env-file\n")
    _with_talsecret(tmp_path)
    result = talos("genconfig", "-e", "vars.yaml", "--no-gitignore", "--disable-nodes-section", "--crt-ttl", "24h",
                   cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "clusterconfig"
    assert (out / "from-env-file-worker-01.yaml").exists() and not (out / ".gitignore").exists()
    from components.talos import yamlio
    context = yamlio.load((out / "talosconfig").read_text())["contexts"]["from-env-file"]
    assert "nodes" not in context
    bad = talos("genconfig", "-m", "container", cwd=tmp_path)
    assert bad.returncode == 1 and "--talos-mode container: not supported" in bad.stderr
    ttl = talos("genconfig", "--crt-ttl", "soon", cwd=tmp_path)
    assert ttl.returncode == 2 and 'invalid duration "soon"' in ttl.stderr


def test_gencommand_splits_extra_flags_on_commas_and_reads_env_files(tmp_path: Path) -> None:
    text = seed_talconfig("homelab-talos-dev").replace("clusterName: homelab-talos-dev", "clusterName: ${NAME}")
    (tmp_path / "talconfig.yaml").write_text(text)
    (tmp_path / "talenv.yaml").write_text("NAME: c\n")
    result = talos("gencommand", "apply", "-n", "192.168.1.85", "--extra-flags", "--insecure,--mode=reboot",
                   cwd=tmp_path)
    assert result.stdout == ("talosctl apply-config --talosconfig=./clusterconfig/talosconfig --nodes=192.168.1.85 "
                             "--file=./clusterconfig/c-controlplane-01.yaml --insecure --mode=reboot;\n")


def test_gensecret_from_a_node_config_recovers_the_bundle_it_was_made_from(tmp_path: Path) -> None:
    (tmp_path / "talconfig.yaml").write_text(seed_talconfig("homelab-talos-dev"))
    _with_talsecret(tmp_path)
    assert talos("genconfig", cwd=tmp_path).returncode == 0
    result = talos("gensecret", "-f", "clusterconfig/homelab-talos-dev-controlplane-01.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    from components.talos import yamlio
    original = yamlio.load((tmp_path / "talsecret.yaml").read_text())
    assert yamlio.load(result.stdout)["certs"] == original["certs"]


def test_genurl_and_validate_talconfig(tmp_path: Path) -> None:
    (tmp_path / "talconfig.yaml").write_text(seed_talconfig("homelab-talos-dev"))
    one = talos("genurl", "installer", "-n", "worker-01", cwd=tmp_path)
    assert one.returncode == 0 and one.stdout.startswith("factory.talos.dev/") and ":v1." in one.stdout
    every = talos("genurl", "image", cwd=tmp_path).stdout.splitlines()
    assert len(every) == 5 and every[0].startswith("controlplane-01: https://factory.talos.dev/image/")
    assert talos("genurl", "image", "-n", "nope", cwd=tmp_path).returncode == 1
    bare = talos("genurl", "image", "-v", "v1.11.5", cwd=tmp_path / "..")
    assert bare.stdout.strip().endswith("/v1.11.5/metal-amd64.iso")
    assert talos("validate", "talconfig", cwd=tmp_path).stdout == "Your talhelper config file is looking great!\n"
    (tmp_path / "talconfig.yaml").write_text(seed_talconfig("homelab-talos-dev").replace("192.168.1.86",
                                                                                          "192.168.1.85"))
    broken = talos("validate", "talconfig", cwd=tmp_path)
    assert broken.returncode == 1
    assert broken.stdout.startswith("There are issues with your talhelper config file talconfig.yaml:\n")
    assert 'field: "nodes[4].ipAddress"' in broken.stdout


def test_a_missing_sops_named_secret_file_is_an_error_not_a_plaintext_bundle_under_that_name(tmp_path: Path) -> None:
    (tmp_path / "talconfig.yaml").write_text(seed_talconfig("homelab-talos-dev"))
    result = talos("genconfig", "-s", "talsecret.sops.yaml", cwd=tmp_path)
    assert result.returncode == 1 and "no secrets file found: looked for talsecret.sops.yaml" in result.stderr
    assert "`talos-cluster gen secrets -o talsecret.sops.yaml` && sops -e -i talsecret.sops.yaml" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["talconfig.yaml"]
