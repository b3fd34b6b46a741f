"""Every ``V1Alpha1ConflictValidate`` of Talos (siderolabs/talos pkg/machinery/config/types/*, v1.14.0-rc.1): a
legacy v1alpha1 field next to the typed document that replaces it. Talos's message comes first, then what to do
about it: the field, the document that replaces it, and the fix.

Each document checks its conditions in Talos's order and reports the first that holds, as Talos returns the
first error; the checks run only when the config has a v1alpha1 document (container.validate).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import goparse
from .registry import Context, Document, Phase, document_check, first_release
from .values import dig, flag, items, mapping, present, text

Legacy = dict[str, Any]
first_release(11, "R081")  # the VolumeConfig encryption conflict (git grep of the v1.5.5 ... v1.11.6 tags)


@dataclass(frozen=True)
class Conflict:
    rule: str
    holds: Callable[[Legacy, Document], bool]  # (the v1alpha1 document, the typed document)
    message: str  # Talos's
    field: str  # the legacy field the typed document replaces, as the hint names it


def _set(*path: str) -> Callable[[Legacy, Document], bool]:
    """The legacy field is there (a Go pointer, map or slice that is not nil)."""
    return lambda legacy, _: present(legacy, *path)


def _text(*path: str) -> Callable[[Legacy, Document], bool]:
    return lambda legacy, _: text(dig(legacy, *path)) != ""


def _true(*path: str) -> Callable[[Legacy, Document], bool]:
    return lambda legacy, _: flag(dig(legacy, *path))


_ZERO_DURATION = re.compile(r"^[+-]?(0+(\.0*)?(ns|us|µs|ms|s|m|h))*$|^0$")


def _boot_timeout(legacy: Legacy, _: Document) -> bool:
    """TimeConfig.BootTimeout() != 0: a Go duration other than zero."""
    value = dig(legacy, "machine", "time", "bootTimeout")
    return value is not None and not _ZERO_DURATION.match(text(value))


def _admission_plugins(legacy: Legacy, _: Document) -> bool:
    """Config.K8sAdmissionControlPluginConfigs(): .cluster.apiServer.admissionControl has entries."""
    return bool(items(dig(legacy, "cluster", "apiServer", "admissionControl")))


def _nameservers(legacy: Legacy, _: Document) -> bool:
    """Config.Resolvers() != nil: at least one .machine.network.nameservers entry parses as an address."""
    return any(goparse.parse_addr(text(ns))[0] is not None for ns in items(dig(legacy, "machine", "network",
                                                                                 "nameservers")))


def _resolver_host_dns(legacy: Legacy, resolver: Document) -> bool:
    """ResolverConfig's hostDNS is not zero, and v1alpha1 .machine.features.hostDNS is set."""
    return any(v is not None for v in mapping(resolver.get("hostDNS")).values()) and \
        present(legacy, "machine", "features", "hostDNS")


def _system_disk_encryption(legacy: Legacy, volume: Document) -> bool:
    """A STATE or EPHEMERAL VolumeConfig with an encryption provider, and the same partition's encryption in
    .machine.systemDiskEncryption."""
    name = text(volume.get("name"))
    if name not in ("STATE", "EPHEMERAL") or text(dig(volume, "encryption", "provider")).lower() in ("", "none"):
        return False
    return present(legacy, "machine", "systemDiskEncryption", name.lower())


def _etcd_encryption(legacy: Legacy, _: Document) -> bool:
    cluster = dig(legacy, "cluster")
    return text(dig(cluster, "secretboxEncryptionSecret")) != "" or text(dig(cluster, "aescbcEncryptionSecret")) != ""


def _audit_policy(legacy: Legacy, _: Document) -> bool:
    return present(legacy, "cluster", "apiServer") and bool(mapping(dig(legacy, "cluster", "apiServer",
                                                                        "auditPolicy")))


def _local_api_port(legacy: Legacy, _: Document) -> bool:
    value = dig(legacy, "cluster", "controlPlane", "localAPIServerPort")
    return isinstance(value, int) and not isinstance(value, bool) and value != 0


_ALREADY = "is already set in v1alpha1 config"
CONFLICTS: dict[str, tuple[Conflict, ...]] = {
    "VolumeConfig": (
        Conflict("R081", _system_disk_encryption, "system disk encryption for {name} is configured in both "
                 "v1alpha1.Config and VolumeConfig", ".machine.systemDiskEncryption.{lname}"),),
    "DiscoveryIdentityConfig": (
        Conflict("R086", lambda legacy, _: _text("cluster", "id")(legacy, _) or _text("cluster", "secret")(legacy, _),
                 "cluster identity is already configured in .cluster.id/.cluster.secret of the v1alpha1 config",
                 ".cluster.id and .cluster.secret"),),
    "DiscoveryServiceConfig": (
        Conflict("R094", _set("cluster", "discovery"),
                 "discovery service is already configured in .cluster.discovery of the v1alpha1 config",
                 ".cluster.discovery"),),
    "CRIBaseRuntimeSpecConfig": (
        Conflict("R126", _set("machine", "baseRuntimeSpecOverrides"),
                 "base runtime spec overrides are already set in v1alpha1 config",
                 ".machine.baseRuntimeSpecOverrides"),),
    "ImageCacheConfig": (
        Conflict("R131", _set("machine", "features", "imageCache"),
                 "image cache config is already set in v1alpha1 config", ".machine.features.imageCache"),),
    "KubeAdmissionControlConfig": (
        Conflict("R142", _admission_plugins, "admission control plugin config is already set in v1alpha1 config",
                 ".cluster.apiServer.admissionControl"),),
    "KubeAggregatorCAConfig": (
        Conflict("R146", _set("cluster", "aggregatorCA"),
                 "kube-apiserver aggregator CA is already set in v1alpha1 config (.cluster.aggregatorCA), please "
                 "remove it and use the new KubeAggregatorCAConfig document instead", ".cluster.aggregatorCA"),),
    "KubeAPIServerConfig": (
        Conflict("R150", _set("cluster", "apiServer"),
                 "kube-apiserver config is already set in v1alpha1 config (.cluster.apiServer)", ".cluster.apiServer"),
        Conflict("R151", _local_api_port, "kube-apiserver API port is already set in v1alpha1 config "
                 "(.cluster.controlPlane.localAPIServerPort)", ".cluster.controlPlane.localAPIServerPort")),
    "KubeAPIServerCAConfig": (
        Conflict("R154", _set("cluster", "ca"), "kube-apiserver CA is already set in v1alpha1 config (.cluster.ca)",
                 ".cluster.ca"),),
    "KubeAuditPolicyConfig": (
        Conflict("R155", _audit_policy, "audit policy config is already set in v1alpha1 config",
                 ".cluster.apiServer.auditPolicy"),),
    # authorization.go:197 checks the admission plugins, not the authorizers (Talos's own message says so)
    "KubeAuthorizerConfig": (
        Conflict("R160", _admission_plugins, "admission control plugin config is already set in v1alpha1 config",
                 ".cluster.apiServer.admissionControl"),),
    "KubeClusterConfig": (
        Conflict("R164", _text("cluster", "clusterName"),
                 "cluster name is already set in the v1alpha1 config (.cluster.clusterName). Please remove it and use "
                 "only the new KubeClusterConfig document to avoid conflicts", ".cluster.clusterName"),
        Conflict("R165", _set("cluster", "controlPlane", "endpoint"),
                 "cluster endpoint is already set in the v1alpha1 config (.cluster.controlPlane.endpoint). Please "
                 "remove it and use only the new KubeClusterConfig document to avoid conflicts",
                 ".cluster.controlPlane.endpoint")),
    "KubeControllerManagerConfig": (
        Conflict("R169", _set("cluster", "controllerManager"),
                 "kube-controller-manager config is already set in v1alpha1 config (.cluster.controllerManager)",
                 ".cluster.controllerManager"),
        Conflict("R170", _set("machine", "controlPlane", "controllerManager"),
                 "kube-controller-manager config is already set in v1alpha1 config "
                 "(.machine.controlplane.controllerManager)", ".machine.controlPlane.controllerManager")),
    "KubeCoreDNSConfig": (
        Conflict("R171", _set("cluster", "coreDNS"),
                 "CoreDNS config is already set in v1alpha1 config (.cluster.coreDNS)",
                 ".cluster.coreDNS"),),
    "KubeCredentialProviderConfig": (
        Conflict("R172", _set("machine", "kubelet"),
                 "cannot use KubeCredentialProviderConfig with legacy kubelet configuration (.machine.kubelet)",
                 ".machine.kubelet (move it to a KubeletConfig document)"),),
    "KubeEtcdEncryptionConfig": (
        Conflict("R174", _etcd_encryption, "etcd encryption config is already set in v1alpha1 config",
                 ".cluster.secretboxEncryptionSecret and .cluster.aescbcEncryptionSecret"),),
    "KubeFlannelCNIConfig": (
        Conflict("R180", _set("cluster", "network"),
                 "cluster network config in v1alpha1 config (.machine.cluster.network) can't be used with "
                 "KubeFlannelCNIConfig document, please remove it to avoid conflicts", ".cluster.network"),),
    "KubeletConfig": (
        Conflict("R186", _set("machine", "kubelet"),
                 "kubelet config is already set in v1alpha1 config (.machine.kubelet)",
                 ".machine.kubelet"),),
    "KubePrismConfig": (
        Conflict("R188", _set("machine", "features", "kubePrism"),
                 "KubePrism config in v1alpha1 config (.machine.features.kubePrism) can't be used with KubePrismConfig "
                 "document, please remove it to avoid conflicts", ".machine.features.kubePrism"),),
    "KubeNetworkConfig": (
        Conflict("R203", _set("cluster", "network"),
                 "cluster network config is already set in the v1alpha1 config (.machine.cluster.network). Please "
                 "remove it and use only the new KubeNetworkConfig document to avoid conflicts", ".cluster.network"),),
    "KubeNodeConfig": (
        Conflict("R208", _set("cluster", "allowSchedulingOnControlPlanes"),
                 f".cluster.allowSchedulingOnControlPlanes {_ALREADY}", ".cluster.allowSchedulingOnControlPlanes"),
        Conflict("R209", _set("cluster", "allowSchedulingOnMasters"), f".cluster.allowSchedulingOnMasters {_ALREADY}",
                 ".cluster.allowSchedulingOnMasters"),
        Conflict("R210", _set("machine", "kubelet", "skipNodeRegistration"),
                 f".machine.kubelet.skipNodeRegistration {_ALREADY}", ".machine.kubelet.skipNodeRegistration"),
        Conflict("R211", _set("machine", "kubelet", "registerWithFQDN"),
                 f".machine.kubelet.registerWithFQDN {_ALREADY}",
                 ".machine.kubelet.registerWithFQDN"),
        Conflict("R212", _set("machine", "kubelet", "nodeIP"), f".machine.kubelet.nodeIP {_ALREADY}",
                 ".machine.kubelet.nodeIP"),
        Conflict("R213", _set("machine", "nodeLabels"), f".machine.nodeLabels {_ALREADY}", ".machine.nodeLabels"),
        Conflict("R214", _set("machine", "nodeAnnotations"), f".machine.nodeAnnotations {_ALREADY}",
                 ".machine.nodeAnnotations"),
        Conflict("R215", _set("machine", "nodeTaints"), f".machine.nodeTaints {_ALREADY}", ".machine.nodeTaints")),
    "KubeProxyConfig": (
        Conflict("R219", _set("cluster", "proxy"),
                 "cluster proxy config in v1alpha1 config (.machine.cluster.proxy) can't be used with KubeProxyConfig "
                 "document, please remove it to avoid conflicts", ".cluster.proxy"),),
    "KubeSchedulerConfig": (
        Conflict("R222", _set("cluster", "scheduler"),
                 "kube-scheduler config is already set in v1alpha1 config (.cluster.scheduler)", ".cluster.scheduler"),
        Conflict("R223", _set("machine", "controlPlane", "scheduler"),
                 "kube-scheduler config is already set in v1alpha1 config (.machine.controlplane.scheduler)",
                 ".machine.controlPlane.scheduler")),
    "KubeServiceAccountConfig": (
        Conflict("R227", _set("cluster", "serviceAccount"),
                 "service account is already set in v1alpha1 config (.cluster.serviceAccount)",
                 ".cluster.serviceAccount"),),
    "KubeTalosAPIAccessConfig": (
        Conflict("R232", _set("machine", "features", "kubernetesTalosAPIAccess"),
                 f".machine.features.kubernetesTalosAPIAccess {_ALREADY}",
                 ".machine.features.kubernetesTalosAPIAccess"),),
    "HostnameConfig": (
        Conflict("R282", _text("machine", "network", "hostname"), "static hostname is already set in v1alpha1 config",
                 ".machine.network.hostname"),
        Conflict("R283", _true("machine", "features", "stableHostname"),
                 "stable hostname is already set in v1alpha1 config", ".machine.features.stableHostname")),
    "KubeSpanConfig": (
        Conflict("R291", _set("machine", "network", "kubespan"),
                 "kubespan is already configured in v1alpha1 machine.network.kubespan", ".machine.network.kubespan"),),
    "ResolverConfig": (
        Conflict("R312", _set("machine", "network", "searchDomains"), f".machine.network.searchDomains {_ALREADY}",
                 ".machine.network.searchDomains"),
        Conflict("R313", _nameservers, f".machine.network.nameservers {_ALREADY}", ".machine.network.nameservers"),
        Conflict("R314", _true("machine", "network", "disableSearchDomain"),
                 f".machine.network.disableSearchDomain {_ALREADY}", ".machine.network.disableSearchDomain"),
        Conflict("R315", _resolver_host_dns, f".machine.features.hostDNS {_ALREADY}", ".machine.features.hostDNS")),
    "TimeSyncConfig": (
        Conflict("R343", _true("machine", "time", "disabled"),
                 "time sync cannot be disabled in both v1alpha1 and new-style configuration", ".machine.time.disabled"),
        Conflict("R344", lambda legacy, _: bool(items(dig(legacy, "machine", "time", "servers"))),
                 "time servers cannot be specified in both v1alpha1 and new-style configuration",
                 ".machine.time.servers"),
        Conflict("R345", _boot_timeout, "boot timeout cannot be specified in both v1alpha1 and new-style "
                 "configuration", ".machine.time.bootTimeout")),
    "UnattendedInstallConfig": (
        Conflict("R391", _set("machine", "install"),
                 "UnattendedInstallConfig config is incompatible with v1alpha1 config (.machine.install)",
                 ".machine.install"),),
}


def hint(kind: str, field: str) -> str:
    return f"the {kind} document replaces {field}: remove {field} from the v1alpha1 document, or remove the {kind} " \
           "document"


def _check_for(kind: str, conflicts: tuple[Conflict, ...]) -> None:
    def check(document: Document, ctx: Context) -> None:
        legacy = ctx.legacy
        if legacy is None:
            return
        for conflict in conflicts:
            if not ctx.applies(conflict.rule):
                continue
            if conflict.holds(legacy, document):
                name = text(document.get("name"))
                values = {"name": f'"{name}"', "lname": name.lower()}
                ctx.fail(conflict.rule, f"{conflict.message.format(**values)}; "
                                        f"{hint(kind, conflict.field.format(**values))}")
                return

    check.__name__ = f"conflict_{kind}"
    document_check(kind, *(c.rule for c in conflicts), phase=Phase.CONFLICT)(check)


for _kind, _conflicts in CONFLICTS.items():
    _check_for(_kind, _conflicts)
