"""Cases for container.New and Container.validateContainer (pkg/machinery/config/container), from
container_test.go (TestConflictingDocuments, TestVethLinkConfigs), validate_test.go TestValidateContainer and
container_deps_test.go TestContainerDependencyCycles."""

from __future__ import annotations

from typing import Any

from components.talos.validation.registry import Mode

from . import Case
from ._configs import CA, controlplane, typed, with_, worker

_TEST = "container/validate_test.go TestValidateContainer"


def _veth(name: str, peer: str) -> dict[str, Any]:
    return typed("VethConfig", name=name, peer={"name": peer})


def _container(name: str, *depends: str) -> dict[str, Any]:
    document = typed("ContainerConfig", name=name, image="docker.io/library/nginx:latest")
    if depends:
        document["dependsOn"] = {"containers": list(depends)}
    return document


_HOST_DNS = {"enabled": True, "forwardKubeDNSToHost": True}
_IDENTITY = typed("DiscoveryIdentityConfig", clusterID="MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=",
                  clusterSecret="vlf2HU1NEZL3Ezi9Tk+RZBLJUbjnsHnTzs3wK9JNk6Q=")
_DISCOVERY = typed("DiscoveryServiceConfig", name="default", endpoint="https://discovery.api/")
_KUBESPAN = typed("KubeSpanConfig", enabled=True)
_DOT = typed("ResolverConfig", nameservers=[{"address": "1.1.1.1", "protocol": "DoT",
                                               "tlsServerName": "cloudflare-dns.com"}])

CASES: list[Case] = [
    Case("R014", lambda: [typed("UserVolumeConfig", name="my-user-volume-1"),
                          typed("ExistingVolumeConfig", name="my-user-volume-1")],
         "conflicting documents: UserVolumeConfig/my-user-volume-1 and ExistingVolumeConfig/my-user-volume-1",
         source="container/container_test.go TestConflictingDocuments"),
    Case("R014", lambda: [typed("LinkConfig", name="eth0"), typed("BondConfig", name="eth0", links=["eth1"])],
         "conflicting documents: LinkConfig/eth0 and BondConfig/eth0"),
    Case("R016", lambda: [_veth("veth-host", "veth-router"), typed("LinkConfig", name="veth-router")],
         'conflicting link configurations: VethConfig/veth-host and LinkConfig/veth-router both configure '
         '"veth-router"', source="container/container_test.go TestVethLinkConfigs"),
    Case("R016", lambda: [_veth("veth-host", "veth-router"), _veth("veth-router", "veth-host")],
         'conflicting link configurations: VethConfig/veth-host and VethConfig/veth-router both configure '
         '"veth-router"', source="container/container_test.go TestVethLinkConfigs"),
    Case("R017", lambda: [_container("a", "b"), _container("b", "c"), _container("c", "a")],
         "container dependsOn cycle detected: a -> b -> c -> a",
         source="container/container_deps_test.go TestContainerDependencyCycles/three-node cycle"),
    Case("R018", lambda: [_container("a", "nonexistent")],
         'container "a" depends on container "nonexistent", which is not configured',
         source="container/container_deps_test.go TestContainerDependencyCycles/dangling reference"),
    Case("R019", lambda: [typed("ResolverConfig", nameservers=[{"address": "1.1.1.1"}])],
         "hostDNS config is required in container mode", mode=Mode.CONTAINER,
         source=f"{_TEST}/just resolver in container"),
    Case("R019", list, "hostDNS config is required in container mode", mode=Mode.CONTAINER,
         source=f"{_TEST}/empty container", text="---\napiVersion: v1alpha1\nkind: KubeSpanConfig\n"),
    Case("R020", lambda: [with_(worker(), "machine.features.hostDNS", {"forwardKubeDNSToHost": True})],
         "hostDNS must be enabled in container mode", mode=Mode.CONTAINER),
    Case("R021", lambda: [typed("ResolverConfig", hostDNS={"enabled": True})],
         "forwardKubeDNSToHost must be enabled in container mode", mode=Mode.CONTAINER),
    Case("R022", lambda: [_DOT], "hostDNS must be enabled when using non-default DNS protocols",
         source=f"{_TEST}/DoT without hostDNS"),
    Case("R023", lambda: [_DISCOVERY, _KUBESPAN], "cluster ID (.cluster.id or DiscoveryIdentityConfig) should be set "
         "when cluster discovery (DiscoveryServiceConfig) is enabled", source=f"{_TEST}/discovery without identity"),
    Case("R024", lambda: [_DISCOVERY, _KUBESPAN], "cluster secret (.cluster.secret or DiscoveryIdentityConfig) should "
         "be set when cluster discovery (DiscoveryServiceConfig) is enabled",
         source=f"{_TEST}/discovery without identity"),
    Case("R025", lambda: [worker(), _KUBESPAN], "KubeSpan requires cluster discovery to be enabled",
         source=f"{_TEST}/kubespan without discovery"),
    Case("R026", lambda: [controlplane(), typed("KubeAPIServerCAConfig")],
         "etcd encryption config is required for control plane machines running kube-apiserver",
         source=f"{_TEST}/api-server CA without etcd encryption"),
    Case("R026", lambda: [with_(controlplane(), "cluster.ca", dict(CA))],
         "etcd encryption config is required for control plane machines running kube-apiserver"),
    Case("R027", lambda: [typed("KubeEtcdEncryptionConfig", config={"some": "thing"})],
         "the following document kinds are only allowed on control plane machines: [KubeEtcdEncryptionConfig]",
         source=f"{_TEST}/controlplane doc only"),
    Case("R027", lambda: [worker(), typed("KubeProxyConfig", enabled=False), typed("KubeFlannelCNIConfig")],
         "the following document kinds are only allowed on control plane machines: [KubeFlannelCNIConfig "
         "KubeProxyConfig]"),
]

# container/validate_test.go TestValidateContainer's accepted configs, for tests that check nothing valid is refused
ACCEPTED: list[tuple[str, Any, Mode]] = [
    ("hostDNS v1alpha1 container", lambda: [with_(worker(), "machine.features.hostDNS", _HOST_DNS)], Mode.CONTAINER),
    ("just multi-doc with hostDNS", lambda: [typed("ResolverConfig", hostDNS=_HOST_DNS)], Mode.CONTAINER),
    ("DoT with hostDNS", lambda: [_DOT, with_(worker(), "machine.features.hostDNS", _HOST_DNS)], Mode.METAL),
    ("discovery with kubespan and identity", lambda: [_DISCOVERY, _IDENTITY, _KUBESPAN], Mode.METAL),
    ("diamond is a DAG, not a cycle", lambda: [_container("a", "b", "c"), _container("b", "d"), _container("c", "d"),
                                               _container("d")], Mode.METAL),
]
