"""Provider rules that need no node: secrets are generated once or imported and never replaced, client
configs renew inside their window, masked configs hold no secret, checks name what is wrong."""

from __future__ import annotations

import base64
import datetime
from typing import Any

import pytest

from components.providers.client_configs import EXPIRES_AT, KubeconfigProvider, TalosconfigProvider
from components.providers.cluster_secrets import TalosSecretsProvider
from components.providers.machine_config import MachineConfigProvider
from components.talos.definition import load
from components.talos.definition.render import render_node_text
from components.talos.masking import MASK, masked_documents
from components.talos.secrets import SecretsBundle
from components.talos.versions import parse_contract

from .emulated import example_definition, fresh_subnet


@pytest.fixture(scope="module")
def bundle() -> SecretsBundle:
    return SecretsBundle.generate(parse_contract("v1.13"))


def test_secrets_are_generated_once_and_no_later_input_change_replaces_them(bundle):
    provider = TalosSecretsProvider()
    created = provider.create({"talos_version": "v1.13.9"})
    outs = created.outs or {}
    assert SecretsBundle.from_yaml(outs["bundle"]).os.crt.startswith(b"-----BEGIN CERTIFICATE")
    assert provider.diff(created.id, outs, {"talos_version": "v1.14.0"}).changes is False


def test_imported_secrets_are_used_verbatim_and_cannot_be_swapped_later(bundle):
    provider = TalosSecretsProvider()
    imported = bundle.to_yaml()
    created = provider.create({"talos_version": "v1.6.5", "imported": imported})
    assert (created.outs or {})["bundle"] == imported
    swapped = provider.check({"talos_version": "v1.6.5", "imported": imported},
                             {"talos_version": "v1.6.5", "imported": SecretsBundle.generate(
                                 parse_contract("v1.13")).to_yaml()})
    assert [f.property for f in swapped.failures] == ["imported"]
    assert "fixed once created" in swapped.failures[0].reason


def test_a_broken_imported_secrets_file_is_refused_naming_the_config_key_without_quoting_it():
    check = TalosSecretsProvider().check({}, {"talos_version": "v1.13.9", "imported": "cluster: [unclosed"})
    assert [f.property for f in check.failures] == ["imported"]
    assert "talos-cluster:secrets" in check.failures[0].reason and "unclosed" not in check.failures[0].reason


def client_inputs(bundle: SecretsBundle) -> dict[str, Any]:
    return {"secrets": bundle.to_yaml(), "cluster_name": "homelab", "endpoints": ["192.168.1.85"],
            "nodes": ["192.168.1.85", "192.168.1.83"], "kubernetes_endpoint": "https://192.168.1.80:6443",
            "validity_days": 365.0, "renew_before_days": 30.0}


@pytest.mark.parametrize("provider", [TalosconfigProvider(), KubeconfigProvider()], ids=["talosconfig", "kubeconfig"])
def test_client_configs_renew_only_inside_the_renewal_window(bundle, provider):
    created = provider.create(client_inputs(bundle)).outs or {}
    assert provider.diff("id", created, client_inputs(bundle)).changes is False
    nearly_expired = {**created, EXPIRES_AT: (datetime.datetime.now(datetime.UTC)
                                              + datetime.timedelta(days=29)).isoformat()}
    assert provider.diff("id", nearly_expired, client_inputs(bundle)).changes is True


def test_a_new_node_changes_the_talosconfig_and_never_the_kubeconfig(bundle):
    more = {**client_inputs(bundle), "nodes": ["192.168.1.85", "192.168.1.83", "192.168.128.112"],
            "endpoints": ["192.168.1.85", "192.168.1.79"]}
    talosconfig, kubeconfig = TalosconfigProvider(), KubeconfigProvider()
    assert talosconfig.diff("id", talosconfig.create(client_inputs(bundle)).outs or {}, more).changes is True
    assert kubeconfig.diff("id", kubeconfig.create(client_inputs(bundle)).outs or {}, more).changes is False


def test_a_renewal_window_longer_than_the_validity_is_refused(bundle):
    check = TalosconfigProvider().check({}, {**client_inputs(bundle), "renew_before_days": 400.0})
    assert [f.property for f in check.failures] == ["renew_before_days"]


def test_masked_configs_contain_no_key_token_or_certificate_of_the_bundle(bundle):
    definition = load.parse_definition(example_definition("homelab", fresh_subnet()), "homelab.yaml", environ={})
    text = repr([masked_documents(render_node_text(definition, node, bundle)) for node in definition.nodes])
    data = bundle.to_data()
    secrets = [bundle.cluster_secret, bundle.bootstrap_token, bundle.trustd_token, bundle.secretbox_encryption_secret]
    secrets += [pair[part] for pair in data["certs"].values() for part in ("key",) if part in pair]
    secrets += [base64.b64encode(pem).decode()[:40] for pem in (bundle.os.key, bundle.k8s.key, bundle.etcd.key)]
    leaked = [secret[:12] for secret in secrets if secret and secret in text]
    assert not leaked, f"secret material in masked output: {leaked}"
    assert MASK in text and "controlplane-01" in text


def test_machine_config_check_names_the_node_and_field_without_touching_the_network():
    check = MachineConfigProvider().check({}, {"hostname": "worker-09", "role": "boss", "address": "10.0.0.9!",
                                               "config": "machine: [", "secrets": "x", "apply_mode": "sometimes"})
    reasons = {failure.property: failure.reason for failure in check.failures}
    assert set(reasons) == {"role", "address", "config", "apply_mode"}
    assert all("worker-09" in reasons[key] for key in ("role", "address", "apply_mode"))


def test_secret_holding_objects_never_print_their_secrets(bundle):
    assert bundle.cluster_secret not in repr(bundle) and "redacted" in repr(bundle)
    assert "PRIVATE" not in repr(bundle.os)
