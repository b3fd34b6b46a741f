"""`python -m components.talos gen ...` behaves like talosctl gen, and user errors are one clear line."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import yaml

from components.talos.documents import install_image
from components.talos.secrets import SecretsBundle

from .conftest import talos


@pytest.fixture(scope="module")
def secrets_file(tmp_path_factory: pytest.TempPathFactory, stability_dir: Path) -> Path:
    path = tmp_path_factory.mktemp("secrets") / "secrets.yaml"
    path.write_text((stability_dir / "secrets.yaml").read_text())
    return path


def test_gen_config_writes_the_three_files_with_the_seed_article_patch(secrets_file: Path, tmp_path: Path) -> None:
    patch = tmp_path / "patch.yaml"
    patch.write_text("machine:\n  install:\n    extraKernelArgs:\n      - net.ifnames=0\ncluster:\n  proxy:\n"
                     "    disabled: true\n  network:\n    cni:\n      name: none\n  apiServer:\n    certSANs:\n"
                     "      - 192.168.1.1\n      - 127.0.0.1\n")
    result = talos("gen", "config", "homelab-talos-dev", "https://192.168.1.85:6443", "--with-secrets",
                   str(secrets_file), "--install-disk", "/dev/sda", "--talos-version", "v1.6.5",
                   "--config-patch", f"@{patch}", "-o", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == [".gitignore", "controlplane.yaml", "talosconfig", "worker.yaml"]
    controlplane = yaml.safe_load((out / "controlplane.yaml").read_text())
    assert controlplane["machine"]["install"] == {"disk": "/dev/sda", "extraKernelArgs": ["net.ifnames=0"],
                                                 "image": "ghcr.io/siderolabs/installer:v1.6.5", "wipe": False}
    assert controlplane["cluster"]["network"]["cni"] == {"name": "none"}
    assert controlplane["cluster"]["proxy"]["disabled"] is True
    assert controlplane["cluster"]["apiServer"]["certSANs"] == ["192.168.1.85", "192.168.1.1", "127.0.0.1"]
    assert controlplane["machine"]["kubelet"]["image"] == "ghcr.io/siderolabs/kubelet:v1.29.2"
    assert "Created" in result.stderr
    again = talos("gen", "config", "x", "https://1.2.3.4:6443", "--with-secrets", str(secrets_file),
                  "-o", str(out), cwd=tmp_path)
    assert again.returncode == 1 and "already exists, use --force to overwrite" in again.stderr


def test_role_patches_apply_after_common_patches(secrets_file: Path, tmp_path: Path) -> None:
    """At Talos v1.14 (the default release) node labels live in the KubeNodeConfig document."""
    labels = "apiVersion: v1alpha1\nkind: KubeNodeConfig\nlabels:\n  {}\n"
    result = talos("gen", "config", "c", "https://10.0.0.1:6443", "--with-secrets", str(secrets_file),
                   "--config-patch", labels.format("a: common"),
                   "--config-patch-control-plane", labels.format("a: cp"),
                   "--config-patch-worker", labels.format("b: worker"), "-o", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr

    def node_labels(name: str) -> dict[str, str]:
        documents = yaml.safe_load_all((tmp_path / "out" / name).read_text())
        return dict(next(doc for doc in documents if doc.get("kind") == "KubeNodeConfig")["labels"])

    assert node_labels("controlplane.yaml")["a"] == "cp"
    assert node_labels("worker.yaml") == {"a": "common", "b": "worker"}


def test_role_patches_of_v1alpha1_fields_apply_before_v1_14(secrets_file: Path, tmp_path: Path) -> None:
    result = talos("gen", "config", "c", "https://10.0.0.1:6443", "--with-secrets", str(secrets_file),
                   "--talos-version", "v1.13.9", "--config-patch", '{"machine": {"nodeLabels": {"a": "common"}}}',
                   "--config-patch-control-plane", '{"machine": {"nodeLabels": {"a": "cp"}}}',
                   "--config-patch-worker", '{"machine": {"nodeLabels": {"b": "worker"}}}', "-o", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    controlplane = yaml.safe_load_all((tmp_path / "out/controlplane.yaml").read_text())
    worker = yaml.safe_load_all((tmp_path / "out/worker.yaml").read_text())
    assert next(iter(controlplane))["machine"]["nodeLabels"]["a"] == "cp"
    assert next(iter(worker))["machine"]["nodeLabels"] == {"a": "common", "b": "worker"}


@pytest.mark.parametrize("version, image", [
    ("v1.14.0", "factory.talos.dev/metal-installer/376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba"
                ":v1.14.0"),
    ("v1.13.9", "ghcr.io/siderolabs/installer:v1.13.9"),
])
def test_the_default_installer_is_the_image_factory_s_from_v1_14(secrets_file: Path, tmp_path: Path, version: str,
                                                                image: str) -> None:
    """talosctl v1.14 defaults to the Image Factory's metal installer; ghcr.io's installer ends with v1.13."""
    result = talos("gen", "config", "c", "https://10.0.0.1:6443", "--with-secrets", str(secrets_file),
                   "--talos-version", version, "-o", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    documents = list(yaml.safe_load_all((tmp_path / "out/worker.yaml").read_text()))
    assert install_image(documents) == image


def test_gen_secrets_writes_0600_and_extracts_from_a_controlplane_config(tmp_path: Path, stability_dir: Path) -> None:
    assert talos("gen", "secrets", "--talos-version", "v1.6", cwd=tmp_path).returncode == 0
    assert stat.S_IMODE((tmp_path / "secrets.yaml").stat().st_mode) == 0o600
    extracted = talos("gen", "secrets", "-o", "-", "--from-controlplane-config",
                      str(stability_dir / "v1.12/base-controlplane.yaml"), cwd=tmp_path)
    assert extracted.returncode == 0
    assert SecretsBundle.from_yaml(extracted.stdout) == SecretsBundle.read(stability_dir / "secrets.yaml")


@pytest.mark.parametrize("args, message", [
    (["gen", "config", "c", "https://a:6443", "--talos-version", "banana"], "--talos-version: 'banana' is not a Talos"),
    (["gen", "config", "c", "https://a:6443", "--talos-version", "v1.2"], "Talos v1.2 is not supported"),
    (["gen", "config", "c", "http://a:6443"], "expected an https URL"),
    (["gen", "config", "c", "https://a:6443", "--kubernetes-version", "latest"],
     "'latest' is not a Kubernetes version"),
    (["gen", "config", "c", "https://a:6443", "--with-secrets", "missing.yaml"], "missing.yaml: cannot read"),
    (["gen", "config", "c", "https://a:6443", "--config-patch", '[{"op": "add", "path": "/machine/x/y", "value": 1}]'],
     "JSON6902 patches are not supported for multi-document machine configuration"),
    (["gen", "config", "c", "https://a:6443", "--talos-version", "v1.11",
      "--config-patch", '[{"op": "add", "path": "/nope/deeper", "value": 1}]'], "add /nope/deeper"),
    (["gen", "config", "c", "https://a:6443", "--config-patch", '[{"op": "explode", "path": "/a"}]'],
     "unknown op 'explode'"),
    (["gen", "config", "c", "https://a:6443", "--config-patch", "@nope.yaml"], "cannot read"),
    (["gen", "config", "c", "https://a:6443", "--registry-mirror", "docker.io"], "expected HOST=URL"),
])
def test_bad_input_exits_non_zero_with_one_clear_line(args: list[str], message: str, tmp_path: Path,
                                                      secrets_file: Path) -> None:
    if "--with-secrets" not in args:
        args = [*args, "--with-secrets", str(secrets_file)]
    result = talos(*args, cwd=tmp_path)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_broken_secrets_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "secrets.yaml").write_text("cluster: {id: x}\n")
    result = talos("gen", "config", "c", "https://a:6443", "--with-secrets", "secrets.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == "error: secrets.yaml: cluster.secret is missing; expected a non-empty string"


@pytest.mark.parametrize("command", [["gen", "secrets"], ["gen", "config"], ["schematic", "id"], ["conformance"]])
def test_every_command_has_help(command: list[str], tmp_path: Path) -> None:
    result = talos(*command, "--help", cwd=tmp_path)
    assert result.returncode == 0 and "usage:" in result.stdout
