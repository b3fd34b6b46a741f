"""The same checks on every render: a config the node's Talos would refuse fails genconfig, the definition check
at load (so `pulumi preview` fails before any resource) and the node resource's Check, naming the definition file,
the node, the field, the document that replaces it and the fix."""

from __future__ import annotations

from typing import Any

import pytest

from components.providers.machine_config import MachineConfigProvider
from components.talos.definition import DefinitionError, parse_definition
from components.talos.documents import encode

from .validation_cases._configs import controlplane, typed, with_

DEFINITION = """clusterName: lab
talosVersion: v1.14.0
kubernetesVersion: v1.37.0
endpoint: https://192.168.1.80:6443
nodes:
  - hostname: cp-1
    ipAddress: 192.168.1.81
    controlPlane: true
    installDisk: /dev/sda
  - hostname: w-1
    ipAddress: 192.168.1.82
    controlPlane: false
    installDisk: /dev/sda
"""
LEGACY_HOSTNAME_PATCH = "patches:\n  - |-\n    machine:\n      network:\n        hostname: node\n"


def test_a_v1_14_definition_without_legacy_fields_loads() -> None:
    assert [node.hostname for node in parse_definition(DEFINITION, "talconfig.yaml", environ={}).nodes] == \
        ["cp-1", "w-1"]


def test_a_legacy_patch_that_conflicts_on_v1_14_fails_at_load_naming_field_document_and_fix() -> None:
    with pytest.raises(DefinitionError) as raised:
        parse_definition(DEFINITION + LEGACY_HOSTNAME_PATCH, "talconfig.yaml", environ={})
    message = str(raised.value)
    # one problem, reported once for every node it breaks
    assert "talconfig.yaml: nodes[0] (cp-1), nodes[1] (w-1): Talos v1.14.0 would refuse this config: static " \
           "hostname is already set in v1alpha1 config; the HostnameConfig document replaces " \
           ".machine.network.hostname: remove .machine.network.hostname from the v1alpha1 document, or remove the " \
           "HostnameConfig document" in message


def test_the_same_patch_is_valid_where_talos_has_no_hostname_document() -> None:
    old = DEFINITION.replace("v1.14.0", "v1.11.6").replace("v1.37.0", "v1.34.1")
    assert parse_definition(old + LEGACY_HOSTNAME_PATCH, "talconfig.yaml", environ={}).nodes


def _check(config: str, validation: dict[str, str] | None):
    news: dict[str, Any] = {"hostname": "cp-1", "role": "controlplane", "address": "10.0.0.1", "config": config,
                            "secrets": "x"}
    if validation is not None:
        news["validation"] = validation
    return {failure.property: failure.reason for failure in MachineConfigProvider().check({}, news).failures}


def test_the_node_resource_check_refuses_a_config_its_talos_would_refuse() -> None:
    config = encode([with_(controlplane(), "cluster.proxy", {"disabled": True}), typed("KubeProxyConfig",
                                                                                       enabled=False)])
    reasons = _check(config, {"platform": "nocloud", "talos_version": "v1.14.0", "source": "config/dev.yaml"})
    assert reasons["config"].startswith("config/dev.yaml: node cp-1: Talos v1.14.0 would refuse this config: ")
    assert "cluster proxy config in v1alpha1 config (.machine.cluster.proxy) can't be used with KubeProxyConfig " \
           "document" in reasons["config"]
    assert "remove .cluster.proxy from the v1alpha1 document, or remove the KubeProxyConfig document" in \
           reasons["config"]
    # the node runs Talos v1.13: no KubeProxyConfig kind there, the decoder refuses it
    older = _check(config, {"platform": "nocloud", "talos_version": "v1.13.9", "source": "config/dev.yaml"})
    assert '"KubeProxyConfig" "v1alpha1": not registered (the KubeProxyConfig document arrived in Talos v1.14' in \
        older["config"]


def test_the_node_s_mode_decides_the_install_checks() -> None:
    config = encode([controlplane()])  # no .machine.install
    assert _check(config, {"platform": "nocloud", "talos_version": "v1.13.9", "source": "c.yaml"}) == {}
    metal = _check(config, {"platform": "metal", "talos_version": "v1.13.9", "source": "c.yaml"})
    assert 'install instructions are required in "metal" mode' in metal["config"]


def test_state_from_before_validation_inputs_is_checked_as_before() -> None:
    config = encode([with_(controlplane(), "cluster.proxy", {"disabled": True}), typed("KubeProxyConfig",
                                                                                       enabled=False)])
    assert _check(config, None) == {}
