"""Addresses as talhelper writes them (budimanjojo/talhelper pkg/talos/networkconfig.go): a bare IP in
``networkInterfaces[].addresses`` (and a VLAN's) becomes 10.0.0.1/32 or 2001:db8::1/128 in Talos v1.12+
documents, and stays as written in v1alpha1, where Talos takes an IP or a CIDR; a WireGuard allowed IP needs its
prefix (talhelper would drop it, Talos's v1alpha1 check refuses it)."""

from __future__ import annotations

from typing import Any

import pytest

from components.talos.definition import DefinitionError, parse_definition
from components.talos.definition.render import render_node
from components.talos.errors import ConfigError
from components.talos.secrets import SecretsBundle

KUBERNETES = {"v1.11.6": "v1.34.1", "v1.13.9": "v1.36.3", "v1.14.0": "v1.37.0"}


def rendered(version: str, interfaces: str) -> list[dict[str, Any]]:
    text = (f"clusterName: lab\ntalosVersion: {version}\nkubernetesVersion: {KUBERNETES[version]}\n"
            "endpoint: https://192.168.1.80:6443\nnodes:\n  - hostname: cp-1\n    ipAddress: 192.168.1.81\n"
            f"    controlPlane: true\n    installDisk: /dev/sda\n    networkInterfaces:\n{interfaces}")
    definition = parse_definition(text, "talconfig.yaml", environ={})
    return render_node(definition, definition.nodes[0], SecretsBundle.placeholder())


INTERFACES = """      - interface: eth0
        addresses: [192.168.1.81/24, 10.0.0.1, "2001:db8::1"]
        vlans:
          - vlanId: 10
            addresses: [10.0.10.1]
"""


@pytest.mark.parametrize("version", ["v1.13.9", "v1.14.0"])
def test_a_bare_address_gets_a_host_prefix_in_link_and_vlan_documents(version: str) -> None:
    config = rendered(version, INTERFACES)
    link = next(d for d in config if d.get("kind") == "LinkConfig")
    assert [a["address"] for a in link["addresses"]] == ["192.168.1.81/24", "10.0.0.1/32", "2001:db8::1/128"]
    vlan = next(d for d in config if d.get("kind") == "VLANConfig")
    assert vlan["addresses"] == [{"address": "10.0.10.1/32"}]


def test_before_v1_12_a_bare_address_stays_as_written_in_v1alpha1() -> None:
    (legacy, *_) = rendered("v1.11.6", INTERFACES)
    assert legacy["machine"]["network"]["interfaces"][0]["addresses"] == ["192.168.1.81/24", "10.0.0.1",
                                                                          "2001:db8::1"]


def test_an_address_that_is_no_ip_is_refused_naming_the_field() -> None:
    with pytest.raises(DefinitionError, match=r"nodes\[0\]\.networkInterfaces\[0\]\.addresses\[0\] = 'eth0': "
                                              r"expected an IP address or one with its prefix"):
        rendered("v1.14.0", "      - interface: eth0\n        addresses: [eth0]\n")


def test_a_wireguard_allowed_ip_without_prefix_is_refused_not_dropped() -> None:
    interfaces = """      - interface: wg0
        addresses: [10.1.0.1/24]
        wireguard:
          privateKey: aGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd28=
          peers:
            - publicKey: aGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd28=
              allowedIPs: [10.2.0.0/24, 10.3.0.1]
"""
    with pytest.raises((ConfigError, DefinitionError), match=r"allowedIPs\[1\]: '10\.3\.0\.1' has no prefix; .* "
                                                             r"write 10\.3\.0\.1/32"):
        rendered("v1.14.0", interfaces)
    wireguard = next(d for d in rendered("v1.14.0", interfaces.replace("10.3.0.1]", "10.3.0.1/32]"))
                     if d.get("kind") == "WireguardConfig")
    assert wireguard["peers"][0]["allowedIPs"] == ["10.2.0.0/24", "10.3.0.1/32"]
