"""Typed documents that gen config emits besides ``v1alpha1`` (contracts v1.12 and newer)."""

from __future__ import annotations

from typing import Any

from .legacy import admission_control, audit_policy
from .options import DISCOVERY_SERVICE_ENDPOINT, GenerateInput, Role, b64

Document = dict[str, Any]


def _doc(kind: str, name: str | None = None, **fields: Any) -> Document:
    head: Document = {"apiVersion": "v1alpha1", "kind": kind}
    if name is not None:
        head["name"] = name
    return {**head, **fields}


def registry_documents(gen: GenerateInput) -> list[Document]:
    # sorted by kind then name, as Talos's container sorts them
    return [_doc("RegistryMirrorConfig", host, endpoints=[{"url": url} for url in urls])
            for host, urls in sorted(gen.registry_mirrors.items())]


def network_documents(gen: GenerateInput) -> list[Document]:
    """v1.12 and v1.13: registry mirrors, HostnameConfig, and (v1.13) KubeSpanConfig."""
    documents = [*registry_documents(gen), _doc("HostnameConfig", auto="stable")]
    if gen.kubespan_enabled and gen.contract.kubespan_multidoc:
        documents.append(_doc("KubeSpanConfig", enabled=True))
    return documents


def _legacy_core(gen: GenerateInput, role: Role) -> Document:
    bundle = gen.secrets
    cluster: dict[str, Any] = {"token": bundle.bootstrap_token}
    if role == "controlplane":
        cluster["etcd"] = {"ca": {"crt": b64(bundle.etcd.crt), "key": b64(bundle.etcd.key)}}
    return {
        "version": "v1alpha1", "debug": False, "persist": True,
        "machine": {
            "type": role,
            "token": bundle.trustd_token,
            "ca": {"crt": b64(bundle.os.crt), "key": b64(bundle.os.key) if role == "controlplane" else ""},
            "certSANs": gen.machine_cert_sans,
            "features": {"diskQuotaSupport": True},
        },
        "cluster": cluster,
    }


def _install_document(gen: GenerateInput) -> list[Document]:
    if not gen.install_disk and not gen.install_image:
        return []
    installer = {"image": gen.install_image} if gen.install_image else {}
    provisioning: dict[str, Any] = {}
    if gen.install_disk:
        provisioning["diskSelector"] = {"match": f'disk.dev_path == "{gen.install_disk}"'}
    provisioning["wipe"] = False
    return [_doc("UnattendedInstallConfig", installer=installer, provisioning=provisioning)]


def _node_document(gen: GenerateInput, role: Role) -> Document:
    node: Document = _doc("KubeNodeConfig", nodeIP={})
    if role == "controlplane":
        node["labels"] = {"node-role.kubernetes.io/control-plane": "",
                          "node.kubernetes.io/exclude-from-external-load-balancers": ""}
        if not gen.allow_scheduling_on_control_planes:
            node["taints"] = {"node-role.kubernetes.io/control-plane": "NoSchedule"}
    return node


def _control_plane_documents(gen: GenerateInput) -> list[Document]:
    bundle = gen.secrets
    api_server: Document = _doc("KubeAPIServerConfig", image=gen.kubernetes_image("apiserver"))
    if gen.local_api_server_port:
        api_server["apiPort"] = gen.local_api_server_port
    if gen.additional_sans:
        api_server["certExtraSANs"] = list(gen.additional_sans)
    secretbox_keys = [{"name": "key2", "secret": bundle.secretbox_encryption_secret}]
    documents = [
        _doc("KubeAggregatorCAConfig", issuingCA={"cert": bundle.k8s_aggregator.crt.decode(),
                                                  "key": bundle.k8s_aggregator.key.decode()}),
        _doc("KubeAdmissionControlConfig", "PodSecurity", configuration=admission_control()[0]["configuration"]),
        _doc("KubeAuditPolicyConfig", configuration=audit_policy()),
        _doc("KubeAuthenticationConfig", configuration={
            "anonymous": {"conditions": [{"path": "/livez"}, {"path": "/readyz"}, {"path": "/healthz"}],
                          "enabled": True},
            "jwt": [],
        }),
        _doc("KubeAuthorizerConfig", "node", type="Node"),
        _doc("KubeAuthorizerConfig", "rbac", type="RBAC"),
        _doc("KubeEtcdEncryptionConfig", config={"resources": [
            {"providers": [{"secretbox": {"keys": secretbox_keys}}], "resources": ["secrets"]}]}),
        _doc("KubeServiceAccountConfig", issuer={"privateKey": bundle.k8s_service_account_key.decode(),
                                                 "issuerURL": gen.endpoint}),
        api_server,
        _doc("KubeControllerManagerConfig", image=gen.kubernetes_image("controller-manager")),
        _doc("KubeSchedulerConfig", image=gen.kubernetes_image("scheduler"), config={}),
        _doc("KubeProxyConfig", image=gen.kubernetes_image("proxy"), config={}),
    ]
    if gen.cni is None or gen.cni.name == "flannel":
        documents.append(_doc("KubeFlannelCNIConfig", backendType="vxlan", backendPort=4789))
    documents.append(_doc("KubeCoreDNSConfig", enabled=True))
    if gen.cni is not None and gen.cni.name == "custom":
        documents += [_doc("KubeExternalManifestConfig", "custom-cni" if len(gen.cni.urls) == 1
                           else f"custom-cni-{index}", url=url)
                      for index, url in enumerate(gen.cni.urls)]
    return documents


def typed_config(gen: GenerateInput, role: Role) -> list[Document]:
    """Contract v1.14+: a minimal v1alpha1 document followed by one typed document per concern."""
    bundle = gen.secrets
    documents: list[Document] = [_legacy_core(gen, role)]
    if gen.discovery_enabled:
        documents.append(_doc("DiscoveryServiceConfig", "default", endpoint=DISCOVERY_SERVICE_ENDPOINT))
    documents.append(_doc("DiscoveryIdentityConfig", clusterID=bundle.cluster_id, clusterSecret=bundle.cluster_secret))
    documents += _install_document(gen)
    documents.append(_doc("ResolverConfig", hostDNS={"enabled": True, "forwardKubeDNSToHost": True}))
    if gen.sysctls:
        documents.append(_doc("SysctlConfig", params=dict(gen.sysctls)))
    documents += [
        _doc("VolumeConfig", "EPHEMERAL", mount={"secure": True}),
        _doc("FilesystemTrimConfig", interval="168h0m0s"),
        _doc("SecurityProfileConfig", workloadIsolation=True),
    ]
    documents += network_documents(gen)
    documents += [
        _doc("KubeClusterConfig", clusterName=gen.cluster_name, endpoint=gen.endpoint),
        _node_document(gen, role),
        _doc("KubeletConfig", image=gen.kubelet_image, config={}, defaultRuntimeSeccompProfileEnabled=True),
        _doc("KubeNetworkConfig", dnsDomain=gen.dns_domain, podSubnets=list(gen.pod_subnets),
             serviceSubnets=list(gen.service_subnets)),
    ]
    if role == "controlplane":
        documents.append(_doc("KubeAPIServerCAConfig", issuingCA={"cert": bundle.k8s.crt.decode(),
                                                                  "key": bundle.k8s.key.decode()}))
    else:
        documents.append(_doc("KubeAPIServerCAConfig", acceptedCAs=[bundle.k8s.crt.decode()]))
    documents.append(_doc("KubePrismConfig", port=7445))
    if role == "controlplane":
        documents += _control_plane_documents(gen)
    return documents
