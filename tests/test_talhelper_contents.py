"""``@file`` contents read once, as talhelper's loader reads them (pkg/config/loader.go, SubstituteFileContent):
inline manifests and machine files are SOPS-decrypted and substituted unless ``skipEnvsubst``, a file that
cannot be decrypted is an error of its field, and nothing encrypted or secret reaches a config or a preview."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from components.talos import yamlio
from components.talos.definition import DefinitionError, parse_definition
from components.talos.definition.render import render_node, render_node_text
from components.talos.masking import masked_config
from components.talos.secrets import SecretsBundle
from components.talos.sops import decrypt as sops_decrypt

from .talhelper_data import age_key, talhelper_path

SECRET = "mysecretvalue"  # in talhelper's pkg/decrypt/testdata/encrypted.yaml


@pytest.fixture(autouse=True)
def no_sops_binary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sops_decrypt, "sops_binary", lambda: None)


def definition_text(version: str, manifest: str, files: str = "") -> str:
    kubernetes = "v1.37.0" if version == "v1.14.0" else "v1.36.3"
    return (f"clusterName: lab\ntalosVersion: {version}\nkubernetesVersion: {kubernetes}\n"
            "endpoint: https://192.168.1.80:6443\n"
            f"inlineManifests:\n{manifest}"
            "nodes:\n  - hostname: cp-1\n    ipAddress: 192.168.1.81\n    controlPlane: true\n"
            f"    installDisk: /dev/sda\n{files}")


def encrypted_manifest(folder: Path) -> Path:
    target = folder / "secret.sops.yaml"
    shutil.copyfile(talhelper_path("pkg", "decrypt", "testdata", "encrypted.yaml"), target)
    return target


def render(text: str, folder: Path, environ: dict[str, str]) -> list[dict[str, Any]]:
    definition = parse_definition(text, str(folder / "talconfig.yaml"), environ=environ)
    return render_node(definition, definition.nodes[0], SecretsBundle.placeholder())


@pytest.mark.parametrize("version", ["v1.13.9", "v1.14.0"])
def test_an_encrypted_inline_manifest_is_decrypted_into_the_config_and_masked_in_previews(
        tmp_path: Path, version: str) -> None:
    encrypted_manifest(tmp_path)
    environ = {"HOME": "/nonexistent", "SOPS_AGE_KEY": age_key()}
    text = definition_text(version, "  - name: secret\n    contents: \"@secret.sops.yaml\"\n")
    config = render(text, tmp_path, environ)
    if version == "v1.14.0":
        manifest = next(d for d in config if d.get("kind") == "KubeInlineManifestConfig")["manifest"]
    else:
        manifest = config[0]["cluster"]["inlineManifests"][0]["contents"]
    assert yamlio.load(manifest) == {"hello": "world", "secret": SECRET}
    definition = parse_definition(text, str(tmp_path / "talconfig.yaml"), environ=environ)
    rendered = render_node_text(definition, definition.nodes[0], SecretsBundle.placeholder())
    assert "ENC[AES256_GCM" not in rendered
    assert SECRET not in masked_config(rendered)


def test_without_the_key_an_encrypted_inline_manifest_fails_the_definition_naming_the_field(tmp_path: Path) -> None:
    encrypted_manifest(tmp_path)
    text = definition_text("v1.14.0", "  - name: secret\n    contents: \"@secret.sops.yaml\"\n")
    with pytest.raises(DefinitionError) as raised:
        parse_definition(text, str(tmp_path / "talconfig.yaml"), environ={"HOME": "/nonexistent"})
    message = str(raised.value)
    assert "inlineManifests[0].contents" in message and "secret.sops.yaml" in message
    assert "ENC[" not in message


@pytest.mark.parametrize("skip, expected", [(False, "namespace: team-a\n"), (True, "namespace: ${NAMESPACE}\n")])
def test_inline_manifest_files_are_substituted_unless_skip_envsubst(tmp_path: Path, skip: bool,
                                                                    expected: str) -> None:
    (tmp_path / "ns.yaml").write_text("namespace: ${NAMESPACE}\n")
    entry = "  - name: ns\n    contents: \"@ns.yaml\"\n" + ("    skipEnvsubst: true\n" if skip else "")
    config = render(definition_text("v1.13.9", entry), tmp_path, {"NAMESPACE": "team-a"})
    assert config[0]["cluster"]["inlineManifests"] == [{"name": "ns", "contents": expected}]


def test_a_machine_file_is_read_once_its_text_may_start_with_an_at_sign(tmp_path: Path) -> None:
    (tmp_path / "motd").write_text("@everyone: hello\n")
    files = "    machineFiles:\n      - content: \"@motd\"\n        path: /var/etc/motd\n        permissions: 0o644\n" \
            "        op: create\n"
    config = render(definition_text("v1.13.9", "  - name: x\n    contents: 'a: b'\n", files), tmp_path, {})
    assert config[0]["machine"]["files"][0]["content"] == "@everyone: hello\n"
