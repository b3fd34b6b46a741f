"""Talos's own tests, replayed whole: for each config of v1alpha1_validation_test.go TestValidate and
TestValidateCNI, and of container/validate_test.go TestValidateContainer, exactly the errors and warnings Talos
expects (no fewer, no more), at v1.14.0-rc.1."""

from __future__ import annotations

from typing import Any

import pytest

from components.talos.validation import Mode, run

from .validation_cases._configs import controlplane, typed, with_, worker

Document = dict[str, Any]
_EXTRAS = ["eth0", "eth1", "eth2"]


def _interfaces(*devices: Any) -> list[Document]:
    return [with_(controlplane(), "machine.network.interfaces", list(devices))]


def _cni(**cni: Any) -> list[Document]:
    return [with_(controlplane(), "cluster.network", {"cni": cni})]


# (Talos's test name, the config, Talos's errors, Talos's warnings); messages as Talos's multierror lists them
TEST_VALIDATE: list[tuple[str, list[Document], list[str], list[str]]] = [
    ("NoMachine (and nothing after it)", [{"version": "v1alpha1", "machine": None, "persist": False, "cluster": None}],
     ["machine instructions are required"], []),
    ("BondWrongMode", _interfaces({"interface": "bond0", "bond": {
        "mode": "roundrobin", "updelay": 100, "packetsPerSlave": 8, "adActorSysPrio": 48, "interfaces": ["eth0",
                                                                                                         "eth1"]}}),
     ["invalid bond type roundrobin", "bond.upDelay can't be set if miiMon is zero",
      "bond.adActorSysPrio is only available in 802.3ad mode"], []),
    ("BondSlaveAddressing", _interfaces({"interface": "bond0", "bond": {"interfaces": _EXTRAS}},
                                        {"interface": "eth0", "dhcp": True},
                                        {"interface": "eth1", "addresses": ["192.168.0.1/24"]},
                                        {"interface": "eth2", "cidr": "192.168.1.1/24"}),
     [f'[networking.os.device] "{i}": bonded/bridged interface shouldn\'t have any addressing methods configured'
      for i in _EXTRAS],
     ['"eth2": machine.network.interface.cidr is deprecated, please use machine.network.interface.addresses']),
    ("BridgeSlaveAddressing", _interfaces({"interface": "br0", "bridge": {"interfaces": _EXTRAS}},
                                          {"interface": "eth0", "dhcp": True},
                                          {"interface": "eth1", "addresses": ["192.168.0.1/24"]},
                                          {"interface": "eth2", "cidr": "192.168.1.1/24"}),
     [f'[networking.os.device] "{i}": bonded/bridged interface shouldn\'t have any addressing methods configured'
      for i in _EXTRAS],
     ['"eth2": machine.network.interface.cidr is deprecated, please use machine.network.interface.addresses']),
    ("Wireguard", _interfaces({"interface": "wireguard0", "wireguard": {
        "privateKey": "ONtS+jU1Q+ZHLgs7DbYvnF5Iyj+koxBtvknDigFsdG8=",
        "peers": [{}, {"publicKey": "4A3rogGVHuVjeZz5cbqryWXGkGBdIGC0E6+5mX2Iz1A=", "endpoint": "example.com:1234",
                       "allowedIPs": ["10.2.0.5/31", "2.4.5.3/32"]},
                  {"publicKey": "4A3rogGVHuVjeZz5cbqryWXGkGBdIGC0E6+5mX2Iz1==", "endpoint": "12.3.4.5",
                   "allowedIPs": ["10.2.0"]}]}}),
     ['public key invalid: wrong key "" length: 0',
      'public key invalid: wrong key "4A3rogGVHuVjeZz5cbqryWXGkGBdIGC0E6+5mX2Iz1==" length: 31',
      'peer endpoint "12.3.4.5" is invalid', 'peer allowed IP "10.2.0" is invalid: invalid CIDR address: 10.2.0'], []),
    ("StaticRoutes", _interfaces({"interface": "eth0", "routes": [
        {"gateway": "172.0.0.1"}, {"network": "10.0.0.0/24", "gateway": "10.0.0.1"},
        {"network": "10.0.0.0/24", "gateway": "10.0.0.1", "source": "10.0.0.5"}, {"gateway": "172.0.0.x"},
        {"network": "10.0.0.0", "gateway": "10.0.0.1"},
        {"network": "10.0.0.0/24", "gateway": "10.0.0.1", "source": "10.0.0.3/32"},
        {"network": "169.254.254.254/32"}, {"source": "10.0.0.3"}]}),
     ['[networking.os.device.route[3].gateway] "172.0.0.x": invalid network address',
      '[networking.os.device.route[4].network] "10.0.0.0": invalid network address',
      '[networking.os.device.route[5].source] "10.0.0.3/32": invalid network address',
      "[networking.os.device.route[7]]: either network or gateway should be set"], []),
    ("InlineManifests", [with_(controlplane(), "cluster.inlineManifests", [
        {"name": "", "contents": ""}, {"name": "foo", "contents": ""}, {"name": "bar", "contents": ""},
        {"name": "foo", "contents": ""}])],
     ["inline manifest name can't be empty", 'inline manifest name "foo" is duplicate'], []),
    ("BadEtcdSubnet", [with_(controlplane(), "cluster.etcd", {"ca": {}, "advertisedSubnets": ["1234:"],
                                                             "listenSubnets": ["10"]})],
     ['etcd advertised subnet is not valid: "1234:"', 'etcd listen subnet is not valid: "10"'], []),
    ("DiscoveryServiceClusterIDSecret", [with_(controlplane(), "cluster.discovery", {"enabled": True})],
     ["cluster discovery service requires .cluster.id", "cluster discovery service requires .cluster.secret"], []),
    ("ControlPlanePodResources", [with_(with_(with_(controlplane(), "cluster.apiServer.resources.requests",
                                                    {"cpu": "1m", "invalid1": "23"}),
                                              "cluster.controllerManager.resources.limits",
                                              {"memory": "1m", "invalid2": "23"}),
                                        "cluster.scheduler.resources", {"requests": {"cpu": "1m"},
                                                                        "limits": {"invalid3": "23"}})],
     ['apiserver resource validation failed: unsupported pod resource "invalid1"',
      'controller-manager resource validation failed: unsupported pod resource "invalid2"',
      'scheduler resource validation failed: unsupported pod resource "invalid3"'], []),
    ("NodeLabels", [with_(worker(), "machine.nodeLabels", {"/foo": "bar", "key": "value", "talos.dev/foo": "bar",
                                                           "@!": "#$", "123@.dev/": "456", "a/b/c": "a" * 64})],
     ['invalid machine node labels: 6 errors occurred:\n\t* prefix cannot be empty: "/foo"\n'
      '\t* prefix "123@.dev" is invalid: domain doesn\'t match required format: "123@.dev"\n'
      '\t* name "@!" is invalid\n\t* label value "#$" is invalid\n\t* invalid format: too many slashes: "a/b/c"\n'
      f'\t* label value length exceeds limit of 63: "{"a" * 64}"\n\n'], []),
    ("BadKubeSpanEndpointFilters", [with_(worker(), "machine.network.kubespan", {
        "enabled": True, "filters": {"endpoints": ["0.0.0.0/0", "!192.168.0.0/16", "2001::/16", "10", "123::/456"]}})],
     ['KubeSpan endpoint filter is not valid: "10"', 'KubeSpan endpoint filter is not valid: "123::/456"'], []),
    ("MachineFeaturesInvalidAddressSortingAlgorithm",
     [with_(controlplane(), "machine.features.nodeAddressSortAlgorithm", "xyz")],
     ["invalid node address sort algorithm: xyz does not belong to AddressSortAlgorithm values"], []),
    ("MachineBaseRuntimeSpecOverrides", [with_(controlplane(), "machine.baseRuntimeSpecOverrides", {
        "process": {"rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}]}})], [],
     [".machine.baseRuntimeSpecOverrides is deprecated; use a CRIBaseRuntimeSpecConfig document instead"]),
    ("NoMachineType", [with_(worker(), "machine.type", "")], [], ['use "worker" instead of "" for machine type']),
    ("CNI Empty", _cni(), ['cni name should be one of ["flannel", "custom", "none"]'], []),
    ("CNI FlannelExtraArgs", _cni(name="flannel", flannel={"extraArgs": ["--foo"]}), [], []),
    ("CNI CustomNoManifests", _cni(name="custom"), [], ['"urls" field should not be empty for "custom" CNI']),
    ("CNI NoneManifests", _cni(name="none", urls=["https://example.com/manifest.yaml"]),
     ['"urls" field should be empty for "none" CNI'], []),
]


@pytest.mark.parametrize("name, documents, errors, warnings", TEST_VALIDATE, ids=[c[0] for c in TEST_VALIDATE])
def test_talos_validate_test_case(name: str, documents: list[Document], errors: list[str], warnings: list[str]):
    # TestValidate calls Config.Validate: the problems of the v1alpha1 document (the container adds its own)
    problems = [p for p in run(documents, 14, Mode.CLOUD) if p.document == "v1alpha1.Config"]
    assert [p.message for p in problems if not p.warning] == errors
    assert [p.message for p in problems if p.warning] == warnings


_V1ALPHA1_WORKER = {"version": "v1alpha1", "machine": {"type": "worker", "ca": {"crt": "Y2VydA=="}},
                    "cluster": {"controlPlane": {"endpoint": "https://localhost:6443"}}}
_HOST_DNS = with_(_V1ALPHA1_WORKER, "machine.features.hostDNS", {"enabled": True, "forwardKubeDNSToHost": True})
_RESOLVER = typed("ResolverConfig", nameservers=[{"address": "1.1.1.1"}])
_DOT = typed("ResolverConfig", nameservers=[{"address": "1.1.1.1", "protocol": "DoT",
                                               "tlsServerName": "cloudflare-dns.com"}])
_KUBESPAN = typed("KubeSpanConfig", enabled=True)
_DISCOVERY = typed("DiscoveryServiceConfig", name="default", endpoint="https://discovery.api/")
_IDENTITY = typed("DiscoveryIdentityConfig", clusterID="MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=",
                  clusterSecret="vlf2HU1NEZL3Ezi9Tk+RZBLJUbjnsHnTzs3wK9JNk6Q=")
_ETCD = typed("KubeEtcdEncryptionConfig", config={"some": "thing"})
_CP = {**_V1ALPHA1_WORKER, "machine": {"type": "controlplane", "ca": {"crt": "Y2VydA==", "key": "a2V5"}}}
_HOST_DNS_ERROR = ["hostDNS config is required in container mode"]
_ONLY_CP = ["the following document kinds are only allowed on control plane machines: [KubeEtcdEncryptionConfig]"]

# container/validate_test.go TestValidateContainer: (name, documents, in container, the container's errors)
TEST_VALIDATE_CONTAINER: list[tuple[str, list[Document], bool, list[str]]] = [
    ("empty !container", [], False, []),
    ("empty container", [], True, _HOST_DNS_ERROR),
    ("empty v1alpha1 container", [_V1ALPHA1_WORKER], True, _HOST_DNS_ERROR),
    ("just resolver in container", [_RESOLVER], True, _HOST_DNS_ERROR),
    ("hostDNS v1alpha1 container", [_HOST_DNS], True, []),
    ("hostDNS v1alpha1 container plus multi-doc", [_HOST_DNS, _RESOLVER], True, []),
    ("just multi-doc with hostDNS", [typed("ResolverConfig", hostDNS={"enabled": True, "forwardKubeDNSToHost": True})],
     True, []),
    ("multi-doc with hostDNS and v1alpha1", [typed("ResolverConfig", hostDNS={"enabled": True,
                                                                            "forwardKubeDNSToHost": True}),
                                             _V1ALPHA1_WORKER], True, []),
    ("DoT without hostDNS", [_DOT], False, ["hostDNS must be enabled when using non-default DNS protocols"]),
    ("DoT with hostDNS", [_DOT, _HOST_DNS], False, []),
    ("controlplane doc only", [_ETCD], False, _ONLY_CP),
    ("controlplane doc with v1alpha1 worker", [_V1ALPHA1_WORKER, _ETCD], False, _ONLY_CP),
    ("kubespan without discovery", [_V1ALPHA1_WORKER, _KUBESPAN], False,
     ["KubeSpan requires cluster discovery to be enabled"]),
    ("discovery without identity", [_DISCOVERY, _KUBESPAN], False,
     ["cluster ID (.cluster.id or DiscoveryIdentityConfig) should be set when cluster discovery "
      "(DiscoveryServiceConfig) is enabled",
      "cluster secret (.cluster.secret or DiscoveryIdentityConfig) should be set when cluster discovery "
      "(DiscoveryServiceConfig) is enabled"]),
    ("discovery with kubespan and identity", [_DISCOVERY, _IDENTITY, _KUBESPAN], False, []),
    ("api-server CA without etcd encryption", [_CP, typed("KubeAPIServerCAConfig")], False,
     ["etcd encryption config is required for control plane machines running kube-apiserver"]),
]


@pytest.mark.parametrize("name, documents, in_container, errors", TEST_VALIDATE_CONTAINER,
                         ids=[c[0] for c in TEST_VALIDATE_CONTAINER])
def test_talos_validate_container_test_case(name: str, documents: list[Document], in_container: bool,
                                            errors: list[str]) -> None:
    problems = run(documents, 14, Mode.CONTAINER if in_container else Mode.CLOUD, local=True)
    assert [p.message for p in problems if not p.warning and not p.document] == errors
