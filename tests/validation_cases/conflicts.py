"""Cases for every V1Alpha1ConflictValidate (types/*: a legacy v1alpha1 field next to the typed document that
replaces it), from container/validate_test.go TestValidateConflicts and the types' own tests where they exist.
Each message carries Talos's text and the hint naming the replacing document and the fix."""

from __future__ import annotations

from typing import Any

from . import Case
from ._configs import CA, controlplane, typed, with_

_LOCAL_PORT = {"endpoint": "https://localhost:6443/", "localAPIServerPort": 7443}


def _case(rule: str, field: str, value: Any, document: dict[str, Any], message: str, minor: int = 14,
          source: str = "") -> Case:
    """A control plane whose v1alpha1 `field` is `value`, next to `document`."""
    return Case(rule, lambda: [with_(controlplane(), field, value), document], message, minor=minor, source=source)


CASES: list[Case] = [
    _case("R081", "machine.systemDiskEncryption.ephemeral", {"provider": "luks2", "keys": [{"slot": 0, "nodeID": {}}]},
          typed("VolumeConfig", name="EPHEMERAL", encryption={"provider": "luks2", "keys": [{"slot": 0, "tpm": {}}]}),
          'system disk encryption for "EPHEMERAL" is configured in both v1alpha1.Config and VolumeConfig; the '
          "VolumeConfig document replaces .machine.systemDiskEncryption.ephemeral",
          source="container/validate_test.go TestValidateConflicts/conflict on ephemeral encryption"),
    _case("R086", "cluster.id", "abc", typed("DiscoveryIdentityConfig", clusterID="a", clusterSecret="b"),
          "cluster identity is already configured in .cluster.id/.cluster.secret of the v1alpha1 config"),
    _case("R094", "cluster.discovery", {"enabled": True},
          typed("DiscoveryServiceConfig", name="default", endpoint="https://discovery.talos.dev/"),
          "discovery service is already configured in .cluster.discovery of the v1alpha1 config; the "
          "DiscoveryServiceConfig document replaces .cluster.discovery: remove .cluster.discovery from the v1alpha1 "
          "document, or remove the DiscoveryServiceConfig document"),
    _case("R126", "machine.baseRuntimeSpecOverrides", {"process": {"cwd": "/"}},
          typed("CRIBaseRuntimeSpecConfig", overrides={"process": {"cwd": "/"}}),
          "base runtime spec overrides are already set in v1alpha1 config"),
    _case("R131", "machine.features.imageCache", {"localEnabled": True}, typed("ImageCacheConfig"),
          "image cache config is already set in v1alpha1 config"),
    _case("R142", "cluster.apiServer.admissionControl", [{"name": "PodSecurity", "configuration": {}}],
          typed("KubeAdmissionControlConfig", name="PodSecurity", configuration={}),
          "admission control plugin config is already set in v1alpha1 config"),
    _case("R146", "cluster.aggregatorCA", dict(CA), typed("KubeAggregatorCAConfig"),
          "kube-apiserver aggregator CA is already set in v1alpha1 config (.cluster.aggregatorCA)"),
    _case("R150", "cluster.apiServer", {"certSANs": ["a"]}, typed("KubeAPIServerConfig"),
          "kube-apiserver config is already set in v1alpha1 config (.cluster.apiServer); the KubeAPIServerConfig "
          "document replaces .cluster.apiServer"),
    _case("R151", "cluster.controlPlane", _LOCAL_PORT, typed("KubeAPIServerConfig"),
          "kube-apiserver API port is already set in v1alpha1 config (.cluster.controlPlane.localAPIServerPort)"),
    _case("R154", "cluster.ca", dict(CA), typed("KubeAPIServerCAConfig"),
          "kube-apiserver CA is already set in v1alpha1 config (.cluster.ca)"),
    _case("R155", "cluster.apiServer.auditPolicy", {"apiVersion": "audit.k8s.io/v1", "kind": "Policy"},
          typed("KubeAuditPolicyConfig", configuration={"apiVersion": "audit.k8s.io/v1", "kind": "Policy"}),
          "audit policy config is already set in v1alpha1 config"),
    _case("R160", "cluster.apiServer.admissionControl", [{"name": "PodSecurity", "configuration": {}}],
          typed("KubeAuthorizerConfig", name="webhook", type="Webhook"),
          "admission control plugin config is already set in v1alpha1 config; the KubeAuthorizerConfig document"),
    _case("R164", "cluster.clusterName", "homelab", typed("KubeClusterConfig", clusterName="homelab"),
          "cluster name is already set in the v1alpha1 config (.cluster.clusterName)"),
    _case("R165", "cluster.controlPlane.endpoint", "https://localhost:6443/",
          typed("KubeClusterConfig", endpoint="https://localhost:6443"),
          "cluster endpoint is already set in the v1alpha1 config (.cluster.controlPlane.endpoint). Please remove it"),
    _case("R169", "cluster.controllerManager", {"extraArgs": {"a": "b"}}, typed("KubeControllerManagerConfig"),
          "kube-controller-manager config is already set in v1alpha1 config (.cluster.controllerManager)"),
    _case("R170", "machine.controlPlane.controllerManager", {"disabled": False}, typed("KubeControllerManagerConfig"),
          "kube-controller-manager config is already set in v1alpha1 config (.machine.controlplane.controllerManager)"),
    _case("R171", "cluster.coreDNS", {"disabled": True}, typed("KubeCoreDNSConfig"),
          "CoreDNS config is already set in v1alpha1 config (.cluster.coreDNS)"),
    _case("R172", "machine.kubelet", {"image": "ghcr.io/siderolabs/kubelet:v1.37.0"},
          typed("KubeCredentialProviderConfig", configuration={"apiVersion": "kubelet.config.k8s.io/v1"}),
          "cannot use KubeCredentialProviderConfig with legacy kubelet configuration (.machine.kubelet)"),
    _case("R174", "cluster.secretboxEncryptionSecret", "c2VjcmV0", typed("KubeEtcdEncryptionConfig", config={}),
          "etcd encryption config is already set in v1alpha1 config"),
    _case("R180", "cluster.network", {"dnsDomain": "cluster.local"}, typed("KubeFlannelCNIConfig"),
          "cluster network config in v1alpha1 config (.machine.cluster.network) can't be used with "
          "KubeFlannelCNIConfig document"),
    _case("R186", "machine.kubelet", {"image": "ghcr.io/siderolabs/kubelet:v1.37.0"}, typed("KubeletConfig"),
          "kubelet config is already set in v1alpha1 config (.machine.kubelet); the KubeletConfig document replaces "
          ".machine.kubelet: remove .machine.kubelet from the v1alpha1 document, or remove the KubeletConfig document"),
    _case("R188", "machine.features.kubePrism", {"enabled": True, "port": 7445}, typed("KubePrismConfig", port=7445),
          "KubePrism config in v1alpha1 config (.machine.features.kubePrism) can't be used with KubePrismConfig"),
    _case("R203", "cluster.network", {"dnsDomain": "cluster.local"}, typed("KubeNetworkConfig"),
          "cluster network config is already set in the v1alpha1 config (.machine.cluster.network)"),
    _case("R208", "cluster.allowSchedulingOnControlPlanes", True, typed("KubeNodeConfig"),
          ".cluster.allowSchedulingOnControlPlanes is already set in v1alpha1 config"),
    _case("R209", "cluster.allowSchedulingOnMasters", True, typed("KubeNodeConfig"),
          ".cluster.allowSchedulingOnMasters is already set in v1alpha1 config"),
    _case("R210", "machine.kubelet.skipNodeRegistration", False, typed("KubeNodeConfig"),
          ".machine.kubelet.skipNodeRegistration is already set in v1alpha1 config"),
    _case("R211", "machine.kubelet.registerWithFQDN", True, typed("KubeNodeConfig"),
          ".machine.kubelet.registerWithFQDN is already set in v1alpha1 config"),
    _case("R212", "machine.kubelet.nodeIP", {"validSubnets": ["10.0.0.0/8"]}, typed("KubeNodeConfig"),
          ".machine.kubelet.nodeIP is already set in v1alpha1 config"),
    _case("R213", "machine.nodeLabels", {"zone": "a"}, typed("KubeNodeConfig"),
          ".machine.nodeLabels is already set in v1alpha1 config; the KubeNodeConfig document replaces "
          ".machine.nodeLabels"),
    _case("R214", "machine.nodeAnnotations", {"a": "b"}, typed("KubeNodeConfig"),
          ".machine.nodeAnnotations is already set in v1alpha1 config"),
    _case("R215", "machine.nodeTaints", {"a": "b:NoSchedule"}, typed("KubeNodeConfig"),
          ".machine.nodeTaints is already set in v1alpha1 config"),
    _case("R219", "cluster.proxy", {"disabled": True}, typed("KubeProxyConfig", enabled=False),
          "cluster proxy config in v1alpha1 config (.machine.cluster.proxy) can't be used with KubeProxyConfig "
          "document, please remove it to avoid conflicts; the KubeProxyConfig document replaces .cluster.proxy: remove "
          ".cluster.proxy from the v1alpha1 document, or remove the KubeProxyConfig document"),
    _case("R222", "cluster.scheduler", {"extraArgs": {"a": "b"}}, typed("KubeSchedulerConfig"),
          "kube-scheduler config is already set in v1alpha1 config (.cluster.scheduler)"),
    _case("R223", "machine.controlPlane.scheduler", {"disabled": False}, typed("KubeSchedulerConfig"),
          "kube-scheduler config is already set in v1alpha1 config (.machine.controlplane.scheduler)"),
    _case("R227", "cluster.serviceAccount", {"key": "a2V5"}, typed("KubeServiceAccountConfig"),
          "service account is already set in v1alpha1 config (.cluster.serviceAccount)"),
    _case("R232", "machine.features.kubernetesTalosAPIAccess", {"enabled": True}, typed("KubeTalosAPIAccessConfig"),
          ".machine.features.kubernetesTalosAPIAccess is already set in v1alpha1 config"),
    _case("R282", "machine.network.hostname", "controlplane-01", typed("HostnameConfig", hostname="controlplane-01"),
          "static hostname is already set in v1alpha1 config; the HostnameConfig document replaces "
          ".machine.network.hostname: remove .machine.network.hostname from the v1alpha1 document, or remove the "
          "HostnameConfig document", minor=12),
    _case("R283", "machine.features.stableHostname", True, typed("HostnameConfig", auto="stable"),
          "stable hostname is already set in v1alpha1 config", minor=13),
    _case("R291", "machine.network.kubespan", {"enabled": True}, typed("KubeSpanConfig", enabled=True),
          "kubespan is already configured in v1alpha1 machine.network.kubespan", minor=13),
    _case("R312", "machine.network.searchDomains", ["example.org"], typed("ResolverConfig", searchDomains={
        "domains": ["example.com"]}), ".machine.network.searchDomains is already set in v1alpha1 config", minor=12),
    _case("R313", "machine.network.nameservers", ["1.1.1.1"], typed("ResolverConfig", nameservers=[
        {"address": "8.8.8.8"}]), ".machine.network.nameservers is already set in v1alpha1 config"),
    _case("R314", "machine.network.disableSearchDomain", True, typed("ResolverConfig", nameservers=[
        {"address": "8.8.8.8"}]), ".machine.network.disableSearchDomain is already set in v1alpha1 config"),
    _case("R315", "machine.features.hostDNS", {"enabled": True}, typed("ResolverConfig", hostDNS={"enabled": True}),
          ".machine.features.hostDNS is already set in v1alpha1 config"),
    _case("R343", "machine.time", {"disabled": True}, typed("TimeSyncConfig", enabled=False),
          "time sync cannot be disabled in both v1alpha1 and new-style configuration", minor=12),
    _case("R344", "machine.time", {"servers": ["time.cloudflare.com"]}, typed("TimeSyncConfig"),
          "time servers cannot be specified in both v1alpha1 and new-style configuration"),
    _case("R345", "machine.time", {"bootTimeout": "2m0s"}, typed("TimeSyncConfig"),
          "boot timeout cannot be specified in both v1alpha1 and new-style configuration"),
    _case("R391", "machine.install", {"disk": "/dev/sda"}, typed("UnattendedInstallConfig"),
          "UnattendedInstallConfig config is incompatible with v1alpha1 config (.machine.install)"),
]
