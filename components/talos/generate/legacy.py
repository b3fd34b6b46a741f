"""The ``v1alpha1`` document for contracts up to v1.13 (Talos generate/init.go, worker.go)."""

from __future__ import annotations

from typing import Any

from .options import GenerateInput, Role, b64

Document = dict[str, Any]


def admission_control() -> list[dict[str, Any]]:
    return [{
        "name": "PodSecurity",
        "configuration": {
            "apiVersion": "pod-security.admission.config.k8s.io/v1alpha1",
            "defaults": {
                "audit": "restricted", "audit-version": "latest", "enforce": "baseline",
                "enforce-version": "latest", "warn": "restricted", "warn-version": "latest",
            },
            "exemptions": {"namespaces": ["kube-system"], "runtimeClasses": [], "usernames": []},
            "kind": "PodSecurityConfiguration",
        },
    }]


def audit_policy() -> dict[str, Any]:
    return {"apiVersion": "audit.k8s.io/v1", "kind": "Policy", "rules": [{"level": "Metadata"}]}


def _features(gen: GenerateInput) -> dict[str, Any]:
    contract = gen.contract
    features: dict[str, Any] = {}
    if not contract.hide_rbac_and_key_usage:
        features.update(rbac=True, stableHostname=True, apidCheckExtKeyUsage=True)
    if contract.greater(1, 4):
        features["diskQuotaSupport"] = True
    if contract.kubeprism_enabled:
        features["kubePrism"] = {"enabled": True, "port": 7445}
    if contract.host_dns_enabled:
        features["hostDNS"] = {"enabled": True}
        if contract.host_dns_forward_kube_dns:
            features["hostDNS"]["forwardKubeDNSToHost"] = True
    return features


def _install(gen: GenerateInput) -> dict[str, Any]:
    install: dict[str, Any] = {}
    if gen.install_disk:
        install["disk"] = gen.install_disk
    if gen.install_extra_kernel_args:
        install["extraKernelArgs"] = list(gen.install_extra_kernel_args)
    if gen.install_image:
        install["image"] = gen.install_image
    install["wipe"] = False
    if gen.contract.grub_use_uki_cmdline:
        install["grubUseUKICmdline"] = True
    return install


def _machine(gen: GenerateInput, role: Role) -> dict[str, Any]:
    contract = gen.contract
    bundle = gen.secrets
    machine: dict[str, Any] = {
        "type": role,
        "token": bundle.trustd_token,
        "ca": {"crt": b64(bundle.os.crt), "key": b64(bundle.os.key) if role == "controlplane" else ""},
        "certSANs": gen.machine_cert_sans,
        "kubelet": {
            "image": gen.kubelet_image,
            "defaultRuntimeSeccompProfileEnabled": True,
            "disableManifestsDirectory": True,
        },
    }
    if not contract.kubespan_multidoc:
        machine["network"] = {"kubespan": {"enabled": True}} if gen.kubespan_enabled else {}
    machine["install"] = _install(gen)
    if gen.sysctls:
        machine["sysctls"] = dict(gen.sysctls)
    if gen.registry_mirrors and not contract.multidoc_network_config:
        machine["registries"] = {"mirrors": {host: {"endpoints": list(urls)}
                                             for host, urls in gen.registry_mirrors.items()}}
    machine["features"] = _features(gen)
    if role == "controlplane" and contract.exclude_from_external_lb_label:
        machine["nodeLabels"] = {"node.kubernetes.io/exclude-from-external-load-balancers": ""}
    return machine


def _network(gen: GenerateInput) -> dict[str, Any]:
    network: dict[str, Any] = {}
    if gen.cni is not None:
        network["cni"] = {"name": gen.cni.name, **({"urls": list(gen.cni.urls)} if gen.cni.urls else {})}
    network["dnsDomain"] = gen.dns_domain
    network["podSubnets"] = list(gen.pod_subnets)
    network["serviceSubnets"] = list(gen.service_subnets)
    return network


def _discovery(gen: GenerateInput) -> dict[str, Any]:
    return {"enabled": gen.discovery_enabled, "registries": {"kubernetes": {"disabled": True}, "service": {}}}


def _cluster(gen: GenerateInput, role: Role) -> dict[str, Any]:
    bundle = gen.secrets
    contract = gen.contract
    control_plane: dict[str, Any] = {"endpoint": gen.endpoint}
    if role == "controlplane" and gen.local_api_server_port:
        control_plane["localAPIServerPort"] = gen.local_api_server_port
    cluster: dict[str, Any] = {"id": bundle.cluster_id, "secret": bundle.cluster_secret,
                               "controlPlane": control_plane}
    if role == "controlplane" or contract.cluster_name_for_workers:
        cluster["clusterName"] = gen.cluster_name
    cluster["network"] = _network(gen)
    cluster["token"] = bundle.bootstrap_token
    if role == "worker":
        cluster["ca"] = {"crt": b64(bundle.k8s.crt), "key": ""}
        cluster["discovery"] = _discovery(gen)
        return cluster
    if contract.greater(1, 2):
        cluster["secretboxEncryptionSecret"] = bundle.secretbox_encryption_secret
    else:
        cluster["aescbcEncryptionSecret"] = bundle.aescbc_encryption_secret
    cluster["ca"] = {"crt": b64(bundle.k8s.crt), "key": b64(bundle.k8s.key)}
    cluster["aggregatorCA"] = {"crt": b64(bundle.k8s_aggregator.crt), "key": b64(bundle.k8s_aggregator.key)}
    cluster["serviceAccount"] = {"key": b64(bundle.k8s_service_account_key)}
    api_server: dict[str, Any] = {"image": gen.kubernetes_image("apiserver")}
    sans = ([gen.endpoint_host] if contract.populate_cluster_sans_from_endpoint else []) + gen.additional_sans
    if sans:
        api_server["certSANs"] = sans
    if not contract.hide_rbac_and_key_usage:
        api_server["disablePodSecurityPolicy"] = True
    api_server["admissionControl"] = admission_control()
    api_server["auditPolicy"] = audit_policy()
    cluster["apiServer"] = api_server
    cluster["controllerManager"] = {"image": gen.kubernetes_image("controller-manager")}
    cluster["proxy"] = {"image": gen.kubernetes_image("proxy")}
    cluster["scheduler"] = {"image": gen.kubernetes_image("scheduler")}
    cluster["discovery"] = _discovery(gen)
    cluster["etcd"] = {"ca": {"crt": b64(bundle.etcd.crt), "key": b64(bundle.etcd.key)}}
    if gen.allow_scheduling_on_control_planes:
        cluster["allowSchedulingOnControlPlanes"] = True
    return cluster


def legacy_document(gen: GenerateInput, role: Role) -> Document:
    return {"version": "v1alpha1", "debug": False, "persist": True,
            "machine": _machine(gen, role), "cluster": _cluster(gen, role)}
