"""Bad stack config fails before any resource exists, with a message that names the config key."""

from __future__ import annotations

import pytest

from .conftest import ROOT
from .engine import ProgramFailed
from .stacks import TEST_SECRETS, run_stack


def failure(stack: str, overrides: dict[str, str | None] | None = None,
            secrets: dict[str, str] | None = None) -> str:
    with pytest.raises(ProgramFailed) as caught:
        run_stack(stack, overrides, secrets)
    assert [r.type for r in caught.value.registrations] == [], "resources were registered before the error"
    return str(caught.value)


def test_a_missing_definition_names_the_key():
    message = failure("dev", {"talos-cluster:definition": None})
    assert "talos-cluster:definition is required" in message


def test_a_definition_file_that_does_not_exist_names_the_key_and_path():
    message = failure("dev", {"talos-cluster:definition": "config/nope.yaml"})
    assert "talos-cluster:definition" in message and "config/nope.yaml does not exist" in message


def test_a_missing_proxmox_endpoint_names_the_key():
    message = failure("homelab", {"proxmoxve:endpoint": None})
    assert "proxmoxve:endpoint is required" in message and "https://" in message


def test_a_missing_proxmox_token_names_the_key():
    message = failure("homelab", secrets={})
    assert "proxmoxve:apiToken is required" in message and "--secret" in message


def test_a_missing_vultr_key_names_the_key():
    message = failure("cross-region", secrets={"proxmoxve:apiToken": TEST_SECRETS["proxmoxve:apiToken"]})
    assert "vultr:apiKey is required" in message


def test_admin_networks_must_be_cidrs():
    message = failure("cross-region", {"talos-cluster:adminNetworks": '["my laptop"]'})
    assert "talos-cluster:adminNetworks" in message and "'my laptop' is not a CIDR" in message


def test_an_unknown_vultr_region_format_names_the_definition_field(tmp_path):
    definition = tmp_path / "cross-region.yaml"
    definition.write_text((ROOT / "config" / "cross-region.yaml").read_text().replace("region: cdg",
                                                                                        "region: Paris"))
    message = failure("cross-region", {"talos-cluster:definition": str(definition)})
    assert "vultr.region" in message and "three lowercase letters" in message and "Paris" in message


def test_the_cilium_version_must_be_pinned():
    message = failure("dev", {"talos-cluster:cilium": '{"version": "latest"}'})
    assert "talos-cluster:cilium.version" in message and "1.20.0" in message


def test_cilium_refuses_a_definition_that_asks_talos_for_another_cni(tmp_path):
    definition = tmp_path / "dev.yaml"
    definition.write_text((ROOT / "config" / "dev.yaml").read_text().replace("name: none", "name: flannel"))
    message = failure("dev", {"talos-cluster:definition": str(definition)})
    assert "cniConfig.name is 'flannel'" in message and "talos-cluster:cilium" in message


def test_unknown_talos_options_are_named():
    message = failure("dev", {"talos-cluster:talos": '{"applyMod": "auto"}'})
    assert "talos-cluster:talos" in message and "applyMod" in message


def test_an_encrypted_secrets_file_without_a_key_names_the_key_and_the_file(monkeypatch):
    from .talhelper_data import talhelper_path

    talsecret = talhelper_path("example", "talsecret.yaml")
    for name in ("SOPS_AGE_KEY", "SOPS_AGE_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", "/nonexistent")
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    message = failure("dev", {"talos-cluster:secretsFile": str(talsecret)})
    assert f"talos-cluster:secretsFile: {talsecret}: SOPS decryption failed: no age identity" in message


def test_env_files_fill_the_definition_and_a_missing_one_names_the_key(tmp_path):
    definition = tmp_path / "dev.yaml"
    definition.write_text((ROOT / "config" / "dev.yaml").read_text().replace("clusterName: ", "clusterName: ${X}", 1))
    message = failure("dev", {"talos-cluster:definition": str(definition)})
    assert "variable ${X} not set" in message
    message = failure("dev", {"talos-cluster:definition": str(definition), "talos-cluster:envFiles": "nope.yaml"})
    assert "talos-cluster:envFiles: nope.yaml does not exist" in message


def test_an_encrypted_secrets_value_without_a_key_fails_before_any_resource(monkeypatch):
    from .talhelper_data import talhelper_path

    for name in ("SOPS_AGE_KEY", "SOPS_AGE_KEY_FILE", "SOPS_AGE_KEY_CMD", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", "/nonexistent")
    encrypted = talhelper_path("example", "talsecret.yaml").read_text()
    message = failure("dev", secrets={**TEST_SECRETS, "talos-cluster:secrets": encrypted})
    assert "stack config talos-cluster:secrets: SOPS decryption failed: no age identity" in message


def test_an_encrypted_secrets_file_is_decrypted_into_a_secret_input(monkeypatch):
    from components.talos.talsecret import read_talsecret

    from .stacks import run_stack
    from .talhelper_data import talhelper_path

    folder = talhelper_path("example")
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(folder / "key.txt"))
    run = run_stack("dev", {"talos-cluster:secretsFile": str(folder / "talsecret.yaml")})
    secrets = next(r for r in run.registrations if r.type.endswith("talos:Secrets"))
    assert "imported" in secrets.secret_inputs
    assert secrets.inputs["imported"] == read_talsecret(folder / "talsecret.yaml")


def test_a_pinned_fingerprint_for_a_node_that_does_not_exist_names_the_key_and_definition():
    message = failure("dev", {"talos-cluster:certFingerprints": '{"worker-99": ["abc"]}'})
    assert "talos-cluster:certFingerprints.worker-99: no such node in " in message and "dev.yaml" in message


def test_pinned_fingerprints_reach_only_their_nodes_first_apply():
    run = run_stack("dev", {"talos-cluster:certFingerprints":
                            '{"dev-worker-01": ["47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="]}'})
    pinned = {r.inputs["hostname"]: r.inputs.get("cert_fingerprints") for r in run.of_type("MachineConfigApply")}
    assert sorted(name for name, pins in pinned.items() if pins) == ["dev-worker-01"]
