"""talhelper's own acceptance data: its pkg/talos testdata nodes and networkconfig_test.go cases.

The node fixtures are read from ../shared/talhelper (skipped where absent); the networkconfig cases
are the inputs and expectations stated in budimanjojo/talhelper pkg/talos/networkconfig_test.go.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from components.talos import yamlio
from components.talos.definition import parse_definition
from components.talos.definition.fields import multidoc_documents
from components.talos.documents import decode, encode
from components.talos.errors import ConfigError
from components.talos.patching import StrategicPatch, apply_patches
from components.talos.strict import document_problems
from components.talos.versions import Contract

SHARED = Path(__file__).resolve().parents[2] / "shared"
TESTDATA = SHARED / "talhelper" / "pkg" / "talos" / "testdata"
V1_12 = Contract(1, 12)

# multidocs_test.go TestAddMultiDocs: fixture -> the version contract the test uses
MULTIDOC_CASES = {"node1": Contract(1, 11), "node2": Contract(1, 11), "node3": Contract(1, 12),
                  "node4": Contract(1, 11)}


@pytest.mark.parametrize("name", sorted(MULTIDOC_CASES))
def test_talhelper_multidoc_fixture_gives_its_expected_documents(name: str) -> None:
    if not TESTDATA.is_dir():
        pytest.skip(f"talhelper test data not found at {TESTDATA}")
    base = yamlio.load_all((TESTDATA / f"{name}_basecfg.yaml").read_text())
    node = yamlio.load((TESTDATA / f"{name}_input.yaml").read_text())
    expected = yamlio.load_all((TESTDATA / f"{name}_expected.yaml").read_text())
    documents = multidoc_documents(node, str(node.get("hostname") or ""), MULTIDOC_CASES[name], name)
    base = [d for d in base if d]
    # AddMultiDocs returns the base untouched when there is nothing to add; otherwise its patcher
    # re-encodes through Talos's encoder (token: "", certSANs: []), as encode() does
    result = decode(encode(apply_patches(base, [StrategicPatch(documents, name)])), name) if documents else base
    assert result == [d for d in expected if d]


def _documents(interfaces: str) -> list[dict[str, Any]]:
    devices = yamlio.load(interfaces)
    documents = multidoc_documents({"networkInterfaces": devices}, "node1", V1_12, "nodes[0]")
    for document in documents:  # each document must also decode as Talos v1.12 would
        assert document_problems(document, V1_12) == []
    return [d for d in documents if d["kind"] != "HostnameConfig"]


def _kinds(documents: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(d["kind"], d.get("name", "")) for d in documents]


def test_bond_config_carries_links_mode_rates_delays_arp_targets_and_mtu() -> None:
    [bond] = _documents("""
- interface: bond0
  bond: {interfaces: [enp1s2, enp1s3], mode: 802.3ad, lacpRate: fast, xmitHashPolicy: layer3+4,
         miimon: 100, updelay: 200, downdelay: 200, arpIPTarget: [10.15.0.1]}
  mtu: 9000""")
    assert bond == {"apiVersion": "v1alpha1", "kind": "BondConfig", "name": "bond0", "links": ["enp1s2", "enp1s3"],
                    "bondMode": "802.3ad", "lacpRate": "fast", "xmitHashPolicy": "layer3+4", "miimon": 100,
                    "updelay": 200, "downdelay": 200, "arpIpTargets": ["10.15.0.1"], "mtu": 9000}


def test_dhcp_options_choose_v4_v6_documents_and_route_metric() -> None:
    documents = _documents("""
- {interface: eth0, dhcp: true, dhcpOptions: {ipv6: true}}
- {interface: eth1, dhcp: true, dhcpOptions: {routeMetric: 1024}}""")
    assert documents == [{"apiVersion": "v1alpha1", "kind": "DHCPv4Config", "name": "eth0"},
                         {"apiVersion": "v1alpha1", "kind": "DHCPv6Config", "name": "eth0"},
                         {"apiVersion": "v1alpha1", "kind": "DHCPv4Config", "name": "eth1", "routeMetric": 1024}]


def test_vip_becomes_a_layer2_vip_config_on_its_link_and_a_bare_link_gets_no_document() -> None:
    assert _documents("[{interface: eth0, vip: {ip: 192.168.1.100}}, {interface: eth1}]") == [
        {"apiVersion": "v1alpha1", "kind": "Layer2VIPConfig", "name": "192.168.1.100", "link": "eth0"}]


def test_addresses_without_prefix_get_a_host_prefix() -> None:
    [link] = _documents("[{interface: eth0, addresses: [192.168.1.100/24, 10.0.0.1, '2001:db8::1/64']}]")
    assert link["addresses"] == [{"address": "192.168.1.100/24"}, {"address": "10.0.0.1/32"},
                                 {"address": "2001:db8::1/64"}]


def test_a_default_route_has_no_destination_so_talos_infers_the_family() -> None:
    [link] = _documents("""
- interface: eth0
  routes: [{network: 10.0.0.0/8, gateway: 192.168.1.1, metric: 100}, {network: 0.0.0.0/0, gateway: 192.168.1.254}]""")
    assert link["routes"] == [{"destination": "10.0.0.0/8", "gateway": "192.168.1.1", "metric": 100},
                              {"gateway": "192.168.1.254"}]


def test_vlans_give_vlan_dhcp_and_vip_documents_in_talhelper_order() -> None:
    documents = _documents("""
- interface: eth0
  vlans:
    - {vlanId: 100, dhcp: true, vip: {ip: 1.1.1.1}}
    - {vlanId: 200, dhcp: true, dhcpOptions: {ipv6: true}}
    - {vlanId: 300}""")
    assert _kinds(documents) == [("VLANConfig", "eth0.100"), ("DHCPv4Config", "eth0.100"),
                                 ("Layer2VIPConfig", "1.1.1.1"), ("VLANConfig", "eth0.200"),
                                 ("DHCPv4Config", "eth0.200"), ("DHCPv6Config", "eth0.200"),
                                 ("VLANConfig", "eth0.300")]
    assert {d["parent"] for d in documents if d["kind"] == "VLANConfig"} == {"eth0"}
    assert documents[2]["link"] == "eth0.100" and documents[0]["vlanID"] == 100


def test_wireguard_config_carries_keys_port_mark_and_peers() -> None:
    [wireguard] = _documents("""
- interface: wg0
  wireguard:
    privateKey: iAmAPrivateKey=
    listenPort: 51820
    firewallMark: 51820
    peers: [{publicKey: iAmAPeerPublicKey=, endpoint: "192.168.1.100:51820", persistentKeepaliveInterval: 10s,
             allowedIPs: [10.1.0.0/24]}]""")
    assert wireguard == {"apiVersion": "v1alpha1", "kind": "WireguardConfig", "name": "wg0",
                         "privateKey": "iAmAPrivateKey=", "listenPort": 51820, "firewallMark": 51820,
                         "peers": [{"publicKey": "iAmAPeerPublicKey=", "endpoint": "192.168.1.100:51820",
                                    "persistentKeepaliveInterval": "10s", "allowedIPs": ["10.1.0.0/24"]}]}


def test_bridge_config_carries_links_stp_vlan_filtering_and_mtu_without_a_link_config() -> None:
    documents = _documents("""
- interface: br0
  bridge: {interfaces: [eth0, eth1], stp: {enabled: true}, vlan: {vlanFiltering: true}}
  mtu: 9000""")
    assert documents == [{"apiVersion": "v1alpha1", "kind": "BridgeConfig", "name": "br0", "links": ["eth0", "eth1"],
                          "stp": {"enabled": True}, "vlan": {"filtering": True}, "mtu": 9000}]


def test_bond_with_addresses_and_routes_keeps_them_in_the_bond_document() -> None:
    documents = _documents("""
- interface: bond0
  bond: {interfaces: [eth0, eth1], mode: active-backup}
  addresses: [10.0.0.10/24]
  routes: [{network: 0.0.0.0/0, gateway: 10.0.0.1}]""")
    assert _kinds(documents) == [("BondConfig", "bond0")]
    assert documents[0]["addresses"] == [{"address": "10.0.0.10/24"}]
    assert documents[0]["routes"] == [{"gateway": "10.0.0.1"}]


def test_device_selectors_become_link_aliases_named_like_talhelper() -> None:
    documents = _documents("""
- {interface: eth0, addresses: [192.168.1.10/24]}
- {deviceSelector: {hardwareAddr: "00:30:93:*"}, addresses: [10.0.0.10/24]}
- {deviceSelector: {hardwareAddr: "00:50:56:*", driver: virtio_net, physical: true}, addresses: [172.16.0.10/24]}""")
    assert _kinds(documents) == [("LinkAliasConfig", "ethSel0"), ("LinkAliasConfig", "ethSel1"),
                                 ("LinkConfig", "eth0"), ("LinkConfig", "ethSel0"), ("LinkConfig", "ethSel1")]
    assert documents[0]["selector"] == {"match": 'glob("00:30:93:*", mac(link.hardware_addr))'}
    assert documents[1]["selector"] == {
        "match": 'glob("00:50:56:*", mac(link.hardware_addr)) && glob("virtio_net", link.driver) && link.type == 1'}


def test_bond_member_selectors_become_member_aliases_listed_as_bond_links() -> None:
    documents = _documents("""
- interface: bond0
  bond:
    deviceSelectors:
      - {hardwareAddr: "58:47:ca:76:9c:*", driver: i40e}
      - {hardwareAddr: "58:47:ca:76:9d:*", driver: i40e}
    mode: 802.3ad""")
    assert _kinds(documents) == [("LinkAliasConfig", "bond0-m0"), ("LinkAliasConfig", "bond0-m1"),
                                 ("BondConfig", "bond0")]
    assert documents[2]["links"] == ["bond0-m0", "bond0-m1"]
    assert "58:47:ca:76:9d:*" in documents[1]["selector"]["match"]


def test_a_link_without_name_or_selector_is_refused_instead_of_a_null_link_config() -> None:
    with pytest.raises(ConfigError, match=r"nodes\[0\].networkInterfaces\[0\].interface: is required"):
        _documents("[{addresses: [10.0.0.2/24]}]")


@pytest.mark.parametrize(("device", "message"), [
    ("{interface: bond0, bond: {interfaces: [eth0], mode: 802.3ab}}", "bondMode: expected one of"),
    ("{interface: wg0, wireguard: {peers: [{publicKey: k, endpoint: 'vpn.example.com:51820'}]}}",
     "endpoint: expected ip:port"),
    ("{interface: eth0, dhcp: true, dhcpOptions: {duidv6: '00:01'}}", "dhcpOptions.duidv6: has no Talos v1.12+"),
])
def test_values_talhelper_would_silently_skip_are_refused_by_name(device: str, message: str) -> None:
    with pytest.raises((ConfigError, AssertionError), match=message):
        _documents(f"[{device}]")


def _definition(version: str, node_extra: str) -> str:
    return f"""
clusterName: c
talosVersion: {version}
kubernetesVersion: v1.30.0
endpoint: https://192.168.1.80:6443
nodes:
  - hostname: cp-1
    ipAddress: 192.168.1.85
    controlPlane: true
    installDisk: /dev/sda
{node_extra}"""


def test_a_typed_document_older_talos_does_not_know_is_refused_before_anything_is_written() -> None:
    extra = "    userVolumes: [{name: data, provisioning: {diskSelector: {match: 'true'}, minSize: 1GiB}}]\n"
    with pytest.raises(Exception, match=r'"UserVolumeConfig" "v1alpha1": not registered \(the UserVolumeConfig '
                                        r"document arrived in Talos v1.10; this config targets v1.9\)"):
        parse_definition(_definition("v1.9.6", extra), "talconfig.yaml", environ={})


def test_a_typo_inside_a_patch_is_refused_with_the_talos_field_it_meant() -> None:
    extra = '    patches: ["machine:\\n  install:\\n    dsik: /dev/sdb\\n"]\n'
    with pytest.raises(Exception, match=r"machine.install.dsik: unknown field; did you mean 'disk'\?"):
        parse_definition(_definition("v1.10.9", extra), "talconfig.yaml", environ={})


def test_talos_version_defaults_to_talhelpers_latest_and_v1_5_definitions_load() -> None:
    text = _definition("''", "").replace("talosVersion: ''\n", "").replace("v1.30.0", "v1.36.3")
    definition = parse_definition(text, "t.yaml", environ={})
    assert definition.talos_version == "v1.13.9"
    old = parse_definition(_definition("v1.5.2", "").replace("v1.30.0", "v1.28.1"), "t.yaml", environ={})
    assert old.talos_version == "v1.5.2"


_EVERY_VERSION = {"v1.5.5": "1.28.1", "v1.6.8": "1.29.7", "v1.7.7": "1.30.5", "v1.8.4": "1.31.4",
                  "v1.9.6": "1.32.4", "v1.10.9": "1.33.6", "v1.11.6": "1.34.1", "v1.12.11": "1.35.4",
                  "v1.13.9": "1.36.3", "v1.14.0": "1.37.0"}
_NODE_FIELDS = """    nameservers: [1.1.1.1]
    nodeLabels: {rack: a}
    kernelModules: [{name: br_netfilter}]
    ingressFirewall: {defaultAction: block, rules: [{name: apid, portSelector: {ports: [50000], protocol: tcp},
                                                     ingress: [{subnet: 10.0.0.0/8}]}]}
    networkInterfaces: [{interface: eth0, addresses: [192.168.1.85/24], routes: [{network: 0.0.0.0/0,
                                                                                 gateway: 192.168.1.1}]}]
"""


@pytest.mark.parametrize("version", list(_EVERY_VERSION))
def test_node_fields_land_where_each_talos_version_reads_them(version: str) -> None:
    from components.talos.definition import render_node
    from components.talos.secrets import SecretsBundle

    text = _definition(version, _NODE_FIELDS).replace("v1.30.0", _EVERY_VERSION[version])
    definition = parse_definition(text, "talconfig.yaml", environ={})
    documents = render_node(definition, definition.nodes[0], SecretsBundle.placeholder())
    legacy = next(d for d in documents if "kind" not in d)
    kinds = {d.get("kind") for d in documents}
    minor = int(version.split(".")[1])
    assert {"NetworkDefaultActionConfig", "NetworkRuleConfig"} <= kinds
    if minor < 12:  # nodeconfig.go: v1alpha1 network fields before multidoc networking
        assert legacy["machine"]["network"]["interfaces"][0]["routes"] == [
            {"network": "0.0.0.0/0", "gateway": "192.168.1.1"}]
        assert legacy["machine"]["network"]["nameservers"] == ["1.1.1.1"]
        assert legacy["machine"]["network"]["hostname"] == "cp-1"
    else:
        link = next(d for d in documents if d.get("kind") == "LinkConfig")
        assert link["routes"] == [{"gateway": "192.168.1.1"}]
        assert "network" not in legacy["machine"] or "interfaces" not in legacy["machine"]["network"]
        assert {"ResolverConfig", "HostnameConfig"} <= kinds
    if minor < 14:
        assert legacy["machine"]["nodeLabels"]["rack"] == "a"
        assert legacy["machine"]["kernel"]["modules"] == [{"name": "br_netfilter"}]
    else:
        assert next(d for d in documents if d.get("kind") == "KubeNodeConfig")["labels"]["rack"] == "a"
        assert {"KernelModuleConfig"} <= kinds and "nodeLabels" not in legacy["machine"]


# pkg/config/outputfilename_test.go TestGetOutputFileName
@pytest.mark.parametrize(("template", "cluster", "hostname", "expected"), [
    ("{{.ClusterName}}-{{.Hostname}}.yaml", "myCluster", "node1", "myCluster-node1.yaml"),
    ("{{.Hostname}}-{{.Role}}.yaml", "myCluster", "node1", "node1-controlplane.yaml"),
    ("{{.ClusterName}}-{{.Hostname}}.yaml", "", "", "-.yaml"),
])
def test_filename_template_names_each_node_file_like_talhelper(template: str, cluster: str, hostname: str,
                                                               expected: str) -> None:
    from components.talos.definition.fields import output_file_name

    assert output_file_name(template, cluster, hostname, "1.1.1.1", "controlplane") == expected


def test_an_unknown_filename_template_field_is_refused_when_the_definition_loads() -> None:
    with pytest.raises(Exception, match=r"nodes\[0\].filenameTmpl: \{\{.Invalid\}\} is not a field"):
        parse_definition(_definition("v1.13.9", "    filenameTmpl: '{{.Invalid}}.yaml'\n").replace(
            "v1.30.0", "v1.36.3"), "talconfig.yaml", environ={})


EXAMPLE = SHARED / "talhelper" / "example" / "talconfig.yaml"


def test_talhelpers_full_example_renders_every_field_of_every_node() -> None:
    if not EXAMPLE.is_file():
        pytest.skip(f"talhelper example not found at {EXAMPLE}")
    from components.talos.definition import load_definition, render_node
    from components.talos.secrets import SecretsBundle

    # its talenv.yaml is SOPS-encrypted; the variables it and tsauth.env (a machineFiles @file) use are given here
    definition = load_definition(EXAMPLE, environ={"myDomainName": "example.com", "tsAuth": "tskey-test"})
    master, worker = (render_node(definition, node, SecretsBundle.placeholder()) for node in definition.nodes)
    kinds = [(d.get("kind"), d.get("name")) for d in master]
    assert kinds[1:] == [
        ("HostnameConfig", None), ("ResolverConfig", None), ("NetworkDefaultActionConfig", None),
        ("NetworkRuleConfig", "kubelet-ingress"), ("ExtensionServiceConfig", "nut-client"),
        ("VolumeConfig", "EPHEMERAL"), ("UserVolumeConfig", "ceph-data"), ("UserVolumeConfig", "sata"),
        ("LinkAliasConfig", "ethSel0"), ("LinkAliasConfig", "bond0-m0"), ("BondConfig", "bond0"),
        ("LinkConfig", "ethSel0"), ("WireguardConfig", "wg0"),
        ("UserVolumeConfig", "sata2"), ("UserVolumeConfig", "sata3")]  # the global patches come last
    machine = master[0]["machine"]
    # useUKI and v1.12's grubUseUKICmdline: no install.extraKernelArgs; secureboot: the secureboot installer
    assert "extraKernelArgs" not in machine["install"]
    assert machine["install"]["image"].startswith("factory.talos.dev/metal-installer-secureboot/")
    assert machine["install"]["diskSelector"] == {"size": "4GB", "model": "WDC*"}
    # talhelper substitutes @file machineFiles too (the sops engineer's envsubst, pkg/config machineFiles)
    assert machine["files"][1]["content"] == (EXAMPLE.parent / "tsauth.env").read_text().replace("${tsAuth}",
                                                                                                  "tskey-test")
    assert machine["certSANs"] == ["192.168.200.10"]
    assert {"NetworkRuleConfig", "NetworkDefaultActionConfig"} <= {d.get("kind") for d in worker}
    assert worker[0]["machine"]["network"]["interfaces"][0]["interface"] == "eth1"  # its v1alpha1 patch


def _link(kind: str, name: str, **fields: Any) -> dict[str, Any]:
    return {"apiVersion": "v1alpha1", "kind": kind, "name": name, **fields}


# networkconfig_test.go cases not spelled out above: (Go test, networkInterfaces, the documents it states)
NETWORK_CASES: list[tuple[str, str, list[dict[str, Any]]]] = [
    ("TestGenerateBondConfigBytes", "[{interface: bond0, bond: {interfaces: [enp1s2], mode: balance-rr}}, "
     "{interface: eth1}]", [_link("BondConfig", "bond0", links=["enp1s2"], bondMode="balance-rr")]),
    ("TestGenerateAddressConfig", "[{interface: eth0, addresses: [192.168.1.100/24, 10.0.0.1, 2001:db8::1/64]}]",
     [_link("LinkConfig", "eth0", addresses=[{"address": "192.168.1.100/24"}, {"address": "10.0.0.1/32"},
                                             {"address": "2001:db8::1/64"}])]),
    ("TestGenerateAddressConfigBytes", "[{interface: eth0, addresses: [192.168.1.100/24]}, {interface: eth1}]",
     [_link("LinkConfig", "eth0", addresses=[{"address": "192.168.1.100/24"}])]),
    ("TestGenerateRouteConfigBytes", "[{interface: eth0, routes: [{network: 10.0.0.0/8, gateway: 192.168.1.1}]}, "
     "{interface: eth1}]", [_link("LinkConfig", "eth0", routes=[{"destination": "10.0.0.0/8",
                                                                  "gateway": "192.168.1.1"}])]),
    ("TestGenerateLinkConfig", "[{interface: eth0, mtu: 9000}, {interface: eth1}]",
     [_link("LinkConfig", "eth0", mtu=9000)]),
    ("TestGenerateLinkConfigBytes", "[{interface: eth0, mtu: 9000}, {interface: eth1}]",
     [_link("LinkConfig", "eth0", mtu=9000)]),
    ("TestDeviceSelectorUpdatesDeviceInterface", """
- {interface: eth0, addresses: [192.168.1.10/24]}
- {deviceSelector: {hardwareAddr: "00:50:56:*"}, addresses: [10.0.0.10/24]}""",
     [_link("LinkAliasConfig", "ethSel0", selector={"match": 'glob("00:50:56:*", mac(link.hardware_addr))'}),
      _link("LinkConfig", "eth0", addresses=[{"address": "192.168.1.10/24"}]),
      _link("LinkConfig", "ethSel0", addresses=[{"address": "10.0.0.10/24"}])]),
    ("TestGenerateVLANConfig", """
- interface: eth0
  vlans: [{vlanId: 100, addresses: [192.168.100.1/24], routes: [{network: 10.0.0.0/8, gateway: 192.168.100.254}],
           mtu: 1500, dhcp: true}]""",
     [_link("VLANConfig", "eth0.100", vlanID=100, parent="eth0", addresses=[{"address": "192.168.100.1/24"}],
            routes=[{"destination": "10.0.0.0/8", "gateway": "192.168.100.254"}], mtu=1500),
      _link("DHCPv4Config", "eth0.100")]),
    ("TestGenerateVLANConfigBytes", "[{interface: eth0, vlans: [{vlanId: 100, addresses: [192.168.100.1/24]}]}]",
     [_link("VLANConfig", "eth0.100", vlanID=100, parent="eth0", addresses=[{"address": "192.168.100.1/24"}])]),
    ("TestGenerateWireguardConfigBytes", "[{interface: wg0, wireguard: {privateKey: iAmAPrivateKey=, "
     "listenPort: 51820}}]", [_link("WireguardConfig", "wg0", privateKey="iAmAPrivateKey=", listenPort=51820)]),
    ("TestGenerateBridgeConfig", "[{interface: br0, bridge: {interfaces: [eth0, eth1], stp: {enabled: true}}}]",
     [_link("BridgeConfig", "br0", links=["eth0", "eth1"], stp={"enabled": True})]),
    ("TestGenerateBridgeConfigBytes", "[{interface: br0, bridge: {interfaces: [eth0, eth1]}}]",
     [_link("BridgeConfig", "br0", links=["eth0", "eth1"])]),
    ("TestBondConfigWithAddressesAndRoutes", """
- {interface: bond0, addresses: [192.168.1.100/24], routes: [{network: 10.0.0.0/8, gateway: 192.168.1.1}], mtu: 9000,
   bond: {interfaces: [eth0, eth1], mode: 802.3ad}}""",
     [_link("BondConfig", "bond0", links=["eth0", "eth1"], bondMode="802.3ad", mtu=9000,
            addresses=[{"address": "192.168.1.100/24"}],
            routes=[{"destination": "10.0.0.0/8", "gateway": "192.168.1.1"}])]),
    ("TestWireguardConfigWithAddresses", "[{interface: wg0, addresses: [10.1.0.1/24], mtu: 1420, "
     "wireguard: {privateKey: iAmAPrivateKey=, listenPort: 51820}}]",
     [_link("WireguardConfig", "wg0", privateKey="iAmAPrivateKey=", listenPort=51820, mtu=1420,
            addresses=[{"address": "10.1.0.1/24"}])]),
    ("TestBridgeConfigWithMTU", "[{interface: br0, mtu: 9000, addresses: [192.168.100.1/24], "
     "bridge: {interfaces: [eth0, eth1]}}]",
     [_link("BridgeConfig", "br0", links=["eth0", "eth1"], mtu=9000, addresses=[{"address": "192.168.100.1/24"}])]),
    ("TestHasSpecialConfig", """
- {interface: bond0, bond: {interfaces: [eth0]}}
- {interface: wg0, wireguard: {privateKey: test}}
- {interface: br0, bridge: {interfaces: [eth1]}}
- {interface: eth0, vlans: [{vlanId: 100}]}
- {interface: eth2, addresses: [192.168.1.1/24]}""",
     [_link("BondConfig", "bond0", links=["eth0"]),
      _link("LinkConfig", "eth2", addresses=[{"address": "192.168.1.1/24"}]),
      _link("VLANConfig", "eth0.100", vlanID=100, parent="eth0"), _link("WireguardConfig", "wg0", privateKey="test"),
      _link("BridgeConfig", "br0", links=["eth1"])]),
    ("TestGenerateLinkAliasConfig", """
- {interface: eth0, deviceSelector: {hardwareAddr: "00:50:56:*"}}
- {interface: eth1, deviceSelector: {busPath: "0000:01:*", driver: virtio_net}}
- {interface: bond0, deviceSelector: {permanentAddr: "aa:bb:cc:dd:ee:ff", pciID: "8086:1533"}}""",
     [_link("LinkAliasConfig", "eth0", selector={"match": 'glob("00:50:56:*", mac(link.hardware_addr))'}),
      _link("LinkAliasConfig", "eth1", selector={"match": 'glob("0000:01:*", link.bus_path) && '
                                                          'glob("virtio_net", link.driver)'}),
      _link("LinkAliasConfig", "bond0", selector={"match": 'glob("aa:bb:cc:dd:ee:ff", mac(link.permanent_addr)) && '
                                                           'glob("8086:1533", link.pciid)'})]),
    ("TestGenerateLinkAliasConfigWithoutInterfaceName", """
- {deviceSelector: {hardwareAddr: "00:11:22:33:44:55"}}
- {deviceSelector: {driver: e1000}, bond: {mode: 802.3ad, interfaces: []}}
- {deviceSelector: {busPath: "0000:03:*"}, bridge: {interfaces: []}}""",
     [_link("LinkAliasConfig", "ethSel0", selector={"match": 'glob("00:11:22:33:44:55", mac(link.hardware_addr))'}),
      _link("LinkAliasConfig", "bond0", selector={"match": 'glob("e1000", link.driver)'}),
      _link("LinkAliasConfig", "br0", selector={"match": 'glob("0000:03:*", link.bus_path)'}),
      _link("BondConfig", "bond0", bondMode="802.3ad"), _link("BridgeConfig", "br0")]),
    ("TestGenerateLinkAliasConfigBytes", """
- {interface: net0, deviceSelector: {hardwareAddr: "00:50:56:12:34:56", driver: e1000}, dhcp: true}
- {interface: eth1}""",
     [_link("LinkAliasConfig", "net0", selector={"match": 'glob("00:50:56:12:34:56", mac(link.hardware_addr)) && '
                                                          'glob("e1000", link.driver)'}),
      _link("DHCPv4Config", "net0")]),
    ("TestBuildDeviceSelectorCELExpression_Physical", """
- {interface: p0, deviceSelector: {physical: true}}
- {interface: v0, deviceSelector: {physical: false}}""",
     [_link("LinkAliasConfig", "p0", selector={"match": "link.type == 1"}),
      _link("LinkAliasConfig", "v0", selector={"match": "link.type != 1"})]),
]


@pytest.mark.parametrize(("case", "interfaces", "expected"), NETWORK_CASES, ids=[c[0] for c in NETWORK_CASES])
def test_talhelper_networkconfig_case_gives_the_documents_it_states(case: str, interfaces: str,
                                                                    expected: list[dict[str, Any]]) -> None:
    assert _documents(interfaces) == expected


def test_hostname_config_is_the_hostname_with_auto_off_or_stable_when_ignored() -> None:
    from components.talos.definition.network import hostname_document

    # networkconfig_test.go TestGenerateNetworkHostname
    assert hostname_document("shouldbeignored", True) == {"apiVersion": "v1alpha1", "kind": "HostnameConfig",
                                                          "auto": "stable"}
    assert hostname_document("hostname", False) == {"apiVersion": "v1alpha1", "kind": "HostnameConfig",
                                                    "hostname": "hostname", "auto": "off"}


def test_ingress_firewall_gives_default_action_and_one_rule_document_per_rule() -> None:
    # networkconfig_test.go TestGenerateNodeDefaultActionConfig and TestGenerateNodeRuleConfig
    firewall = yamlio.load("""
defaultAction: accept
rules:
  - {name: kubelet-ingress, portSelector: {ports: [10250], protocol: tcp},
     ingress: [{subnet: 172.20.0.0/24, except: 172.20.0.1/32}]}
  - {name: etcd-ingress, portSelector: {ports: [2379-2380], protocol: tcp},
     ingress: [{subnet: 10.10.10.1/32}, {subnet: 10.10.10.2/32}, {subnet: 10.10.10.3/32}]}""")
    documents = multidoc_documents({"ingressFirewall": firewall}, "node1", Contract(1, 11), "nodes[0]")
    assert documents[0] == {"apiVersion": "v1alpha1", "kind": "NetworkDefaultActionConfig", "ingress": "accept"}
    assert [(d["name"], d["portSelector"]["ports"]) for d in documents[1:]] == [
        ("kubelet-ingress", [10250]), ("etcd-ingress", ["2379-2380"])]
    assert documents[2]["ingress"] == [{"subnet": "10.10.10.1/32"}, {"subnet": "10.10.10.2/32"},
                                       {"subnet": "10.10.10.3/32"}]
    block = multidoc_documents({"ingressFirewall": {"defaultAction": "block"}}, "node2", Contract(1, 11), "n")
    assert block == [{"apiVersion": "v1alpha1", "kind": "NetworkDefaultActionConfig", "ingress": "block"}]


# extensionserviceconfig_test.go, volumeconfig_test.go, uservolumeconfig_test.go: (test, node fields, documents)
DOCUMENT_CASES: list[tuple[str, str, list[dict[str, Any]]]] = [
    ("TestGenerateNodeExtensionServiceConfig", """
extensionServices:
  - {name: nut-client, configFiles: [{content: "MONITOR ${upsmonHost} 1 remote pass password",
                                      mountPath: /usr/local/etc/nut/upsmon.conf}], environment: [UPS_NAME=ups]}
  - {name: nut-client2, configFiles: [{content: hello, mountPath: /etc/hello},
                                      {content: hello2, mountPath: /etc/hello2}]}""",
     [_link("ExtensionServiceConfig", "nut-client", configFiles=[
         {"content": "MONITOR ${upsmonHost} 1 remote pass password", "mountPath": "/usr/local/etc/nut/upsmon.conf"}],
         environment=["UPS_NAME=ups"]),
      _link("ExtensionServiceConfig", "nut-client2", configFiles=[{"content": "hello", "mountPath": "/etc/hello"},
                                                                  {"content": "hello2", "mountPath": "/etc/hello2"}])]),
    ("TestGenerateNodeVolumeConfig", """
volumes:
  - {name: EPHEMERAL, provisioning: {diskSelector: {match: disk.transport == "nvme"}, maxSize: 50GiB}}
  - {name: IMAGECACHE, provisioning: {diskSelector: {match: disk.size > 120u * GB && disk.size < 1u * TB}}}""",
     [_link("VolumeConfig", "EPHEMERAL", provisioning={"diskSelector": {"match": 'disk.transport == "nvme"'},
                                                       "maxSize": "50GiB"}),
      _link("VolumeConfig", "IMAGECACHE", provisioning={"diskSelector": {
          "match": "disk.size > 120u * GB && disk.size < 1u * TB"}})]),
    ("TestGenerateNodeUserVolumeConfig", """
userVolumes:
  - name: ceph-data
    volumeType: partition
    provisioning: {diskSelector: {match: disk.transport == "nvme"}, maxSize: 50GiB}
    filesystem: {type: xfs}
    encryption: {provider: luks2, keys: [{slot: 0, tpm: {}}, {slot: 1, static: {passphrase: topsecret}}]}
  - {name: ceph-data2, provisioning: {diskSelector: {match: disk.size > 120u * GB && disk.size < 1u * TB},
                                      minSize: 1GiB}}""",
     [_link("UserVolumeConfig", "ceph-data", volumeType="partition",
            provisioning={"diskSelector": {"match": 'disk.transport == "nvme"'}, "maxSize": "50GiB"},
            filesystem={"type": "xfs"}, encryption={"provider": "luks2", "keys": [
                {"slot": 0, "tpm": {}}, {"slot": 1, "static": {"passphrase": "topsecret"}}]}),
      _link("UserVolumeConfig", "ceph-data2", provisioning={
          "diskSelector": {"match": "disk.size > 120u * GB && disk.size < 1u * TB"}, "minSize": "1GiB"})]),
]


@pytest.mark.parametrize(("case", "fields", "expected"), DOCUMENT_CASES, ids=[c[0] for c in DOCUMENT_CASES])
def test_talhelper_document_case_gives_the_documents_it_states(case: str, fields: str,
                                                               expected: list[dict[str, Any]]) -> None:
    # these Go tests take no version: the documents are checked as the newest Talos decodes them
    documents = multidoc_documents(yamlio.load(fields), "node1", Contract(1, 11), "nodes[0]")
    assert documents == expected
    assert all(document_problems(document, Contract(1, 14)) == [] for document in documents)


def test_a_user_volume_type_older_talos_does_not_decode_is_refused() -> None:
    volume = {"apiVersion": "v1alpha1", "kind": "UserVolumeConfig", "name": "d", "volumeType": "partition"}
    assert document_problems(volume, Contract(1, 11)) == ["volumeType: unknown field"]
    assert document_problems(volume, Contract(1, 12)) == []


def test_two_volumes_with_one_name_are_refused_as_talhelper_does() -> None:
    with pytest.raises(ConfigError, match=r"nodes\[0\].userVolumes\[1\].name: duplicated UserVolumeConfig name"):
        multidoc_documents({"userVolumes": [{"name": "a"}, {"name": "a"}]}, "n", Contract(1, 11), "nodes[0]")


NODECONFIG_CASE = """clusterName: test
talosVersion: v1.5.4
kubernetesVersion: v1.28.1
endpoint: https://1.1.1.1:6443
nodes:
  - hostname: node1
    ipAddress: 1.1.1.2
    controlPlane: true
    installDisk: /dev/sda
    disableSearchDomain: true
    machineFiles:
      - {content: TS_AUTHKEY=123456, permissions: 0o644, path: /var/etc/tailscale/auth.env, op: create}
    networkInterfaces:
      - interface: eth0
        bond: {deviceSelectors: [{hardwareAddr: "00:50:56:*"}]}
    kernelModules: [{name: br_netfilter, parameters: [nf_conntrack_max=131072]}]
    schematic:
      customization:
        extraKernelArgs: [hello, hihi]
        systemExtensions: {officialExtensions: [siderolabs/amd-ucode, siderolabs/nvidia-fabricmanager]}
  - hostname: node2
    ipAddress: 1.1.1.3
    controlPlane: false
    installDiskSelector: {size: 4KB, model: WDC*, name: /sys/block/sda/device/name,
                          busPath: /pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0}
    machineDisks:
      - {device: /dev/disk/by-id/ata-CT500MX500SSD1_2149E5EC1D9D, partitions: [{mountpoint: /var/mnt/sata}]}
    nodeLabels: {rack: rack1a, zone: us-east-1a}
    talosImageURL: factory.talos.dev/installer/e9c7ef96884d4fbc8c0a1304ccca4bb0287d766a8b4125997cb9dbe84262144e
    nameservers: [1.1.1.1, 8.8.8.8]
"""


def test_talhelpers_nodeconfig_case_sets_the_v1alpha1_fields_it_states() -> None:
    """nodeconfig_test.go TestGenerateNodeConfig, minus its Go-template labels (templating is separate),
    its stray `extensions:` key (talhelper ignores it; here it is refused as unknown), its
    nodeAnnotations (machine.nodeAnnotations is Talos v1.8+: v1.5 refuses it, see below) and with a
    Kubernetes version Talos v1.5 supports (the test's v1.34.0 is not)."""
    from components.talos.definition import render_node
    from components.talos.secrets import SecretsBundle

    definition = parse_definition(NODECONFIG_CASE, "talconfig.yaml", environ={})
    cp, worker = (next(d for d in render_node(definition, n, SecretsBundle.placeholder()) if "kind" not in d)
                  ["machine"] for n in definition.nodes)
    assert cp["type"] == "controlplane" and cp["network"]["hostname"] == "node1"
    assert cp["install"]["disk"] == "/dev/sda" and cp["network"]["disableSearchDomain"] is True
    assert cp["files"] == [{"content": "TS_AUTHKEY=123456", "permissions": 0o644,
                            "path": "/var/etc/tailscale/auth.env", "op": "create"}]
    assert cp["network"]["interfaces"] == [{"interface": "eth0",
                                            "bond": {"deviceSelectors": [{"hardwareAddr": "00:50:56:*"}]}}]
    assert cp["kernel"] == {"modules": [{"name": "br_netfilter", "parameters": ["nf_conntrack_max=131072"]}]}
    assert cp["install"]["image"] == ("factory.talos.dev/metal-installer/"
                                      "647a0a54bff662aa12051bc0312097f29d3562107d8e6a8e87ab85b643e25bc0:v1.5.4")
    assert cp["install"]["extraKernelArgs"] == ["hello", "hihi"]
    assert worker["type"] == "worker"
    assert worker["install"]["diskSelector"]["model"] == "WDC*"
    assert worker["disks"] == [{"device": "/dev/disk/by-id/ata-CT500MX500SSD1_2149E5EC1D9D",
                                "partitions": [{"mountpoint": "/var/mnt/sata"}]}]
    assert worker["nodeLabels"] == {"rack": "rack1a", "zone": "us-east-1a"}
    assert worker["install"]["image"] == ("factory.talos.dev/installer/"
                                          "e9c7ef96884d4fbc8c0a1304ccca4bb0287d766a8b4125997cb9dbe84262144e:v1.5.4")
    assert worker["network"]["nameservers"] == ["1.1.1.1", "8.8.8.8"]


def test_a_key_talhelper_would_ignore_is_refused_with_its_path() -> None:
    text = NODECONFIG_CASE.replace("    disableSearchDomain: true\n", "    disableSearchDomain: true\n"
                                   "    extensions: [{image: 'ghcr.io/siderolabs/tailscale:1.44.0'}]\n")
    with pytest.raises(Exception, match=r"nodes\[0\].extensions: unknown field"):
        parse_definition(text, "talconfig.yaml", environ={})


def test_node_annotations_before_talos_v1_8_are_refused_as_talos_would() -> None:
    text = NODECONFIG_CASE.replace("    nodeLabels: {rack: rack1a, zone: us-east-1a}\n",
                                   "    nodeAnnotations: {rack: rack1a}\n")
    with pytest.raises(Exception, match=r"Talos v1.5.4 would refuse this config: .*machine.nodeAnnotations: unknown"):
        parse_definition(text, "talconfig.yaml", environ={})


def test_gen_config_with_a_mistyped_patch_is_refused_like_talosctl() -> None:
    from components.talos.bundle import PatchSet, render_role
    from components.talos.generate import GenerateInput
    from components.talos.secrets import SecretsBundle

    gen = GenerateInput(cluster_name="c", endpoint="https://10.0.0.1:6443", kubernetes_version="1.36.3",
                        secrets=SecretsBundle.placeholder(), contract=Contract(1, 13))
    patch = StrategicPatch([{"machine": {"kubelet": {"extraArg": {"v": "2"}}}}], "--config-patch")
    with pytest.raises(ConfigError, match=r"controlplane.yaml: .*machine.kubelet.extraArg: unknown field; "
                                          r"did you mean 'extraArgs'\?"):
        render_role(gen, "controlplane", PatchSet(common=[patch]))


def test_the_committed_field_sets_are_what_the_talos_schemas_say() -> None:
    from scripts.gen_schema_fields import OUTPUT, render

    schemas = SHARED / "talos" / "schemas"
    if not schemas.is_dir():
        pytest.skip(f"Talos schemas not found at {schemas}")
    assert render(schemas) == OUTPUT.read_text(), "run python scripts/gen_schema_fields.py"


def test_values_of_go_types_with_their_own_yaml_form_are_not_refused() -> None:
    # v1alpha1.Endpoint is a URL string, DiskSize takes "100 GB", Unstructured takes any YAML
    config = {"machine": {"logging": {"destinations": [{"endpoint": "udp://127.0.0.1:5044", "format": "json_lines"}]},
                          "disks": [{"device": "/dev/sdb",
                                     "partitions": [{"size": "100 GB", "mountpoint": "/var/d"}]}]},
              "cluster": {"apiServer": {"resources": {"requests": {"cpu": 1, "memory": "512Mi"}}}}}
    assert document_problems(config, Contract(1, 11)) == []
    assert document_problems({"machine": {"disks": [{"partitions": [{"szie": 1}]}]}}, Contract(1, 11)) == [
        "machine.disks[0].partitions[0].szie: unknown field; did you mean 'size'?"]


@pytest.mark.parametrize("version", ["v1.13.9", "v1.14.0"])
def test_flannel_settings_reach_the_flannel_config_of_each_version(version: str) -> None:
    from components.talos.definition import render_node
    from components.talos.secrets import SecretsBundle

    text = _definition(version, "").replace("v1.30.0", _EVERY_VERSION[version]) + \
        "cniConfig: {name: flannel, flannel: {extraArgs: [--iface-can-reach=192.168.1.1]}}\n"
    definition = parse_definition(text, "talconfig.yaml", environ={})
    documents = render_node(definition, definition.nodes[0], SecretsBundle.placeholder())
    if version == "v1.14.0":
        flannel = next(d for d in documents if d.get("kind") == "KubeFlannelCNIConfig")
    else:
        flannel = next(d for d in documents if "kind" not in d)["cluster"]["network"]["cni"]["flannel"]
    assert flannel["extraArgs"] == ["--iface-can-reach=192.168.1.1"]


# schematic_test.go TestGetInstallerURL, on the default factory (a custom imageFactory is refused here)
INSTALLER_CASES = [
    ("default", "{}", "{mode: metal}",
     "factory.talos.dev/metal-installer/376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba:v1.5.4"),
    ("withExts", "{customization: {systemExtensions: {officialExtensions: [siderolabs/drbd, siderolabs/zfs]}}}",
     "{mode: metal}",
     "factory.talos.dev/metal-installer/98442b5bb4e8d050f30978ce3e6ec22e7bf534d57cafcd51313235128057e612:v1.5.4"),
    ("withKernelArgs", "{customization: {extraKernelArgs: [hihi, hehe]}}", "{mode: gcp}",
     "factory.talos.dev/gcp-installer/ff5083b14ccb03821ea738d712ac08a82b44d2693013622059edaae286665239:v1.5.4"),
    ("withBoth", "{customization: {systemExtensions: {officialExtensions: [siderolabs/tailscale]}, "
     "extraKernelArgs: [net.ifnames=0]}}", "{mode: metal, secureboot: true}",
     "factory.talos.dev/metal-installer-secureboot/"
     "104c23dfe7c5bfeff6a4cc7e166d8b3bba0f371760592c7677c90c822bb1d109:v1.5.4"),
]


@pytest.mark.parametrize(("case", "schematic", "spec", "expected"), INSTALLER_CASES,
                         ids=[c[0] for c in INSTALLER_CASES])
def test_installer_url_is_talhelpers_for_the_schematic_and_machine_spec(case: str, schematic: str, spec: str,
                                                                       expected: str) -> None:
    from components.talos.definition import installer_image

    text = _definition("v1.5.4", f"    schematic: {schematic}\n    machineSpec: {spec}\n").replace(
        "v1.30.0", "v1.28.1")
    definition = parse_definition(text, "talconfig.yaml", environ={})
    assert installer_image(definition, definition.nodes[0]) == expected


def test_a_machine_spec_mode_that_contradicts_a_created_vm_is_refused() -> None:
    text = _definition("v1.13.9", "    machineSpec: {mode: metal}\n    proxmox: {node: pve1}\n").replace(
        "v1.30.0", "v1.36.3")
    with pytest.raises(Exception, match=r"nodes\[0\].machineSpec.mode: 'metal' conflicts with the proxmox machine"):
        parse_definition(text, "talconfig.yaml", environ={})


def test_cert_sans_and_extra_manifests_merge_node_first_then_group_as_talhelper(tmp_path: Path) -> None:
    from components.talos.definition import load_definition, render_node
    from components.talos.secrets import SecretsBundle

    (tmp_path / "fw.yaml").write_text("apiVersion: v1alpha1\nkind: NetworkRuleConfig\nname: etcd\n"
                                      "portSelector: {ports: [2379], protocol: tcp}\ningress: [{subnet: 10.0.0.0/8}]\n")
    (tmp_path / "fw2.yaml").write_text("apiVersion: v1alpha1\nkind: NetworkRuleConfig\nname: kubelet\n"
                                       "portSelector: {ports: [10250], protocol: tcp}\n"
                                       "ingress: [{subnet: 10.0.0.0/8}]\n")
    text = _definition("v1.13.9", "    certSANs: [node.example]\n    extraManifests: [fw2.yaml]\n"
                       "  - {hostname: cp-2, ipAddress: 192.168.1.86, controlPlane: true, installDisk: /dev/sda,\n"
                       "     overrideMachineCertSANs: true, certSANs: [only.example], overrideExtraManifests: true}\n"
                       ).replace("v1.30.0", "v1.36.3") + \
        "additionalMachineCertSans: [10.0.0.10]\ncontrolPlane: {certSANs: [group.example], extraManifests: [fw.yaml]}\n"
    (tmp_path / "talconfig.yaml").write_text(text)
    definition = load_definition(tmp_path / "talconfig.yaml", environ={})
    first, second = (render_node(definition, node, SecretsBundle.placeholder()) for node in definition.nodes)
    # nodeconfigs.go mergeNodeConfigs appends the group's after the node's;
    # input.go starts from additionalMachineCertSans
    assert first[0]["machine"]["certSANs"] == ["10.0.0.10", "node.example", "group.example"]
    assert second[0]["machine"]["certSANs"] == ["10.0.0.10", "only.example"]
    assert [d["name"] for d in first if d.get("kind") == "NetworkRuleConfig"] == ["kubelet", "etcd"]
    # override with no list of its own: mergeNodeConfigs' zero-value rule gives the node the group's
    assert [d["name"] for d in second if d.get("kind") == "NetworkRuleConfig"] == ["etcd"]
