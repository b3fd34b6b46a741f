"""Cases for the network checks of v1alpha1 Config.Validate (.machine.network.interfaces:
v1alpha1_validation.go checkBond, checkWireguard, checkVlans, CheckDeviceInterface, CheckDeviceAddressing,
CheckDeviceRoutes), from v1alpha1_validation_test.go TestValidate where it has them."""

from __future__ import annotations

from typing import Any

from components.talos.validation.registry import Mode

from . import Case
from ._configs import controlplane, with_, worker

_TEST = "types/v1alpha1/v1alpha1_validation_test.go TestValidate"


def _interfaces(*devices: Any, machine: Any = controlplane) -> list[dict[str, Any]]:
    return [with_(machine(), "machine.network.interfaces", list(devices))]


def _bond(**bond: Any) -> list[dict[str, Any]]:
    return _interfaces({"interface": "bond0", "bond": bond})


_WIREGUARD = {"interface": "wireguard0", "wireguard": {
    "privateKey": "ONtS+jU1Q+ZHLgs7DbYvnF5Iyj+koxBtvknDigFsdG8=",
    "peers": [{}, {"publicKey": "4A3rogGVHuVjeZz5cbqryWXGkGBdIGC0E6+5mX2Iz1A=", "endpoint": "example.com:1234",
                   "allowedIPs": ["10.2.0.5/31", "2.4.5.3/32"]},
              {"publicKey": "4A3rogGVHuVjeZz5cbqryWXGkGBdIGC0E6+5mX2Iz1==", "endpoint": "12.3.4.5",
               "allowedIPs": ["10.2.0"]}]}}
_ROUTES = {"interface": "eth0", "routes": [
    {"gateway": "172.0.0.1"}, {"network": "10.0.0.0/24", "gateway": "10.0.0.1"},
    {"network": "10.0.0.0/24", "gateway": "10.0.0.1", "source": "10.0.0.5"}, {"gateway": "172.0.0.x"},
    {"network": "10.0.0.0", "gateway": "10.0.0.1"}, {"network": "10.0.0.0/24", "gateway": "10.0.0.1",
                                                     "source": "10.0.0.3/32"},
    {"network": "169.254.254.254/32"}, {"source": "10.0.0.3"}]}

CASES: list[Case] = [
    Case("R459", lambda: _interfaces({"interface": "bridgebond0", "bond": {"interfaces": ["eth0"]},
                                      "bridge": {"interfaces": ["eth1"]}}),
         'interface has both bridge and bond sections set "bridgebond0": config sections are mutually exclusive',
         source=f"{_TEST}/InterfaceIsBothBridgeAndBond"),
    Case("R460", lambda: _interfaces({"interface": "bond0", "bond": {"interfaces": ["eth0"], "deviceSelectors": [
        {"hardwareAddr": "00:*"}]}}),
         'interface "bond0" has both interfaces and selectors set: config sections are mutually exclusive',
         source=f"{_TEST}/BondInterfacesAndSelectors"),
    Case("R461", lambda: _interfaces({"interface": "bond0", "bond": {"interfaces": ["eth0", "eth1"]}},
                                     {"interface": "bond1", "bond": {"interfaces": ["eth1", "eth2"]}}),
         'interface "eth1" is declared as part of two separate links: "bond0" and "bond1"',
         source=f"{_TEST}/BondDoubleBond"),
    Case("R461", lambda: _interfaces({"interface": "br0", "bridge": {"interfaces": ["eth0", "eth1"]}},
                                     {"interface": "bond0", "bond": {"interfaces": ["eth1", "eth2"]}}),
         'interface "eth1" is declared as part of two separate links: "br0" and "bond0"',
         source=f"{_TEST}/InterfacePartOfBridgeAndBond"),
    Case("R504", lambda: _interfaces(None), "empty device"),
    Case("R506", lambda: _interfaces({"dhcp": True}),
         "[networking.os.device.interface], [networking.os.device.deviceSelector]: required either config section to "
         "be set", source=f"{_TEST}/DeviceInterfaceInvalid"),
    Case("R507", lambda: _interfaces({"interface": "eth0", "deviceSelector": {"busPath": "00:*"}}),
         "[networking.os.device.interface], [networking.os.device.deviceSelector]: config sections are mutually "
         "exclusive", source=f"{_TEST}/DeviceSelectorAndInterfaceSet"),
    Case("R508", lambda: _interfaces({"deviceSelector": {}}),
         "[networking.os.device.deviceSelector]: config section should contain at least one field",
         source=f"{_TEST}/DeviceSelectorAndInterfaceSet"),
    Case("X01", lambda: _bond(mode="roundrobin", updelay=100, packetsPerSlave=8, adActorSysPrio=48,
                              interfaces=["eth0",
                                          "eth1"]), "invalid bond type roundrobin", source=f"{_TEST}/BondWrongMode"),
    Case("X01", lambda: _bond(mode="802.3ad", lacpRate="medium", interfaces=["eth0"]), "invalid lacp rate medium"),
    Case("R509", lambda: _bond(mode="roundrobin", updelay=100, interfaces=["eth0"]),
         "bond.upDelay can't be set if miiMon is zero", source=f"{_TEST}/BondWrongMode"),
    Case("R510", lambda: _bond(mode="active-backup", downdelay=100, interfaces=["eth0"]),
         "bond.downDelay can't be set if miiMon is zero"),
    Case("R511", lambda: _bond(mode="active-backup", miimon=100, updelay=150, interfaces=["eth0"]),
         "bond.upDelay should be a multiple of miiMon"),
    Case("R512", lambda: _bond(mode="active-backup", miimon=100, downdelay=50, interfaces=["eth0"]),
         "bond.downDelay should be a multiple of miiMon"),
    Case("R513", lambda: _bond(mode="active-backup", arpIPTarget=["10.0.0.1"], interfaces=["eth0"]),
         "bond.arpIPTarget is not supported"),
    Case("R514", lambda: _bond(mode="active-backup", lacpRate="fast", interfaces=["eth0"]),
         "bond.lacpRate is only available in 802.3ad mode"),
    Case("R515", lambda: _bond(mode="802.3ad", adActorSystem="00:11:22:33:44:55", interfaces=["eth0"]),
         "bond.adActorSystem is not supported"),
    Case("R516", lambda: _bond(mode="balance-tlb", arpValidate="all", interfaces=["eth0"]),
         "bond.arpValidate is not available in balance-tlb mode"),
    Case("R517", lambda: _bond(mode="802.3ad", primary="eth0", interfaces=["eth0"]),
         "bond.primary is not available in 802.3ad mode"),
    Case("R518", lambda: _bond(mode="balance-alb", arpInterval=100, interfaces=["eth0"]),
         "bond.arpInterval is not available in balance-alb mode"),
    Case("R519", lambda: _bond(mode="active-backup", packetsPerSlave=2, interfaces=["eth0"]),
         "bond.packetsPerSlave is not available in active-backup mode"),
    Case("R520", lambda: _bond(mode="802.3ad", tlbDynamicLb=1, interfaces=["eth0"]),
         "bond.tlbDynamicTLB is not available in 802.3ad mode"),
    Case("R521", lambda: _bond(mode="roundrobin", adActorSysPrio=48, interfaces=["eth0"]),
         "bond.adActorSysPrio is only available in 802.3ad mode", source=f"{_TEST}/BondWrongMode"),
    Case("R522", lambda: _bond(mode="balance-xor", adUserPortKey=2, interfaces=["eth0"]),
         "bond.adUserPortKey is only available in 802.3ad mode"),
    Case("R523", lambda: _interfaces(_WIREGUARD),
         'public key invalid: wrong key "4A3rogGVHuVjeZz5cbqryWXGkGBdIGC0E6+5mX2Iz1==" length: 31',
         source=f"{_TEST}/Wireguard"),
    Case("R524", lambda: _interfaces({"interface": "wg0", "wireguard": {"privateKey": "not a key"}}),
         "private key is invalid: illegal base64 data at input byte 3"),
    Case("R524", lambda: _interfaces({"interface": "wg0", "wireguard": {"privateKey": "c2hvcnQ="}}),
         "private key is invalid: wrong key (the private key, not shown) length: 5"),
    Case("R525", lambda: _interfaces(_WIREGUARD), 'public key invalid: wrong key "" length: 0',
         source=f"{_TEST}/Wireguard"),
    Case("R526", lambda: _interfaces(_WIREGUARD), 'peer endpoint "12.3.4.5" is invalid', source=f"{_TEST}/Wireguard"),
    Case("R527", lambda: _interfaces(_WIREGUARD), 'peer allowed IP "10.2.0" is invalid: invalid CIDR address: 10.2.0',
         source=f"{_TEST}/Wireguard"),
    Case("R528", lambda: _interfaces({"interface": "eth0", "vlans": [{"vlanId": 26, "cidr": "10.0.0.1/24",
                                                                      "addresses": ["10.0.0.2/24"]}]}),
         "[networking.os.device.vlan] eth0.26: vlan can't have both .cidr and .addresses set",
         source=f"{_TEST}/VlanAddressAndCIDR"),
    Case("R529", lambda: _interfaces({"interface": "eth0", "vlans": [{"vlanId": 25, "cidr": "10.3.x"}]}),
         '[networking.os.device.vlan.CIDR] eth0.25: failed to parse IP address "10.3.x"',
         source=f"{_TEST}/VlanCIDRInvalid"),
    Case("R531", lambda: _interfaces({"interface": "eth0", "vlans": [{"vlanId": 25, "cidr": "10.3.x"}]}),
         'failed to parse IP address "10.3.x"', source=f"{_TEST}/VlanCIDRInvalid"),
    Case("R530", lambda: _interfaces({"interface": "eth0", "vlans": [{"vlanId": 25, "addresses": ["10.3.x/24"]}]}),
         "[networking.os.device.vlan.addresses] eth0.25: invalid CIDR address: 10.3.x/24",
         source=f"{_TEST}/VlanAddressInvalid"),
    Case("R533", lambda: _interfaces({"interface": "bond0", "bond": {"interfaces": ["eth0", "eth1"]}},
                                     {"interface": "eth0", "dhcp": True}),
         '[networking.os.device] "eth0": bonded/bridged interface shouldn\'t have any addressing methods configured',
         source=f"{_TEST}/BondSlaveAddressing"),
    Case("R534", lambda: _interfaces({"interface": "eth0", "cidr": "10.0.0.1/8", "addresses": ["10.0.0.2/8"]}),
         '[networking.os.device] "eth0": interface can\'t have both .cidr and .addresses set',
         source=f"{_TEST}/DeviceAddressAndCIDR"),
    Case("R535", lambda: _interfaces({"interface": "eth0", "cidr": "10.3.x"}),
         '[networking.os.device.CIDR] "eth0": failed to parse IP address "10.3.x"',
         source=f"{_TEST}/DeviceCIDRInvalid"),
    Case("R482", lambda: _interfaces({"interface": "eth0", "cidr": "10.0.0.1/8"}),
         '"eth0": machine.network.interface.cidr is deprecated, please use machine.network.interface.addresses',
         warning=True, source=f"{_TEST}/DeviceCIDRInvalid"),
    Case("R536", lambda: _interfaces({"interface": "eth0", "addresses": ["10.3.x/24"]}),
         '[networking.os.device.addresses] "eth0": invalid CIDR address: 10.3.x/24',
         source=f"{_TEST}/DeviceAddressInvalid"),
    Case("R537", lambda: _interfaces({"interface": "eth0", "vip": {"ip": "10.0.0.x"}}),
         '[networking.os.device.vip] failed to parse "10.0.0.x" as IP address'),
    Case("R539", lambda: _interfaces(_ROUTES),
         '[networking.os.device.route[4].network] "10.0.0.0": invalid network address',
         source=f"{_TEST}/StaticRoutes"),
    Case("R540", lambda: _interfaces(_ROUTES), '[networking.os.device.route[3].gateway] "172.0.0.x": invalid network '
         'address', source=f"{_TEST}/StaticRoutes"),
    Case("R541", lambda: _interfaces(_ROUTES),
         "[networking.os.device.route[7]]: either network or gateway should be set",
         source=f"{_TEST}/StaticRoutes"),
    Case("R542", lambda: _interfaces(_ROUTES), '[networking.os.device.route[5].source] "10.0.0.3/32": invalid network '
         'address', source=f"{_TEST}/StaticRoutes"),
    Case("R453", lambda: _interfaces({"interface": "eth0", "vip": {"ip": "10.0.0.50"}}, machine=worker),
         "virtual (shared) IP is not allowed on non-controlplane nodes"),
    Case("R454", lambda: _interfaces({"interface": "eth0", "vlans": [{"vlanId": 5, "vip": {"ip": "10.0.0.50"}}]},
                                     machine=worker),
         "virtual (shared) IP is not allowed on non-controlplane nodes"),
]

ACCEPTED = [
    ("BondDefaultConfig", lambda: _bond(), Mode.CLOUD),
    ("interface cidr (deprecated, still decoded)", lambda: _interfaces({"interface": "eth0", "cidr": "10.0.0.1/8"}),
     Mode.CLOUD),
    ("vlan cidr (deprecated, still decoded)", lambda: _interfaces({"interface": "eth0", "vlans": [
        {"vlanId": 25, "cidr": "10.0.0.1/24"}]}), Mode.CLOUD),
    ("deviceSelector with physical: false only", lambda: _interfaces({"deviceSelector": {"physical": False},
                                                                      "dhcp": True}), Mode.CLOUD),
    ("valid routes", lambda: _interfaces({"interface": "eth0", "routes": [{"network": "0.0.0.0/0",
                                                                           "gateway": "10.0.0.1"}]}), Mode.CLOUD),
]
