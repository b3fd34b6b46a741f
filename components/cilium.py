"""Cilium as the cluster's CNI and kube-proxy replacement, installed with Helm once Talos reports healthy.

The values are Talos's recommended ones (Talos docs, "Deploying Cilium CNI"): Kubernetes IPAM, kube-proxy
replacement through KubePrism on localhost:7445, Talos's cgroup mount, and no SYS_MODULE capability.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pulumi
import pulumi_kubernetes as kubernetes
from pulumi_kubernetes.helm.v3 import Release, RepositoryOptsArgs

from .stack import CiliumSettings
from .talos.definition.model import ClusterDefinition, NodeDefinition
from .talos.errors import ConfigError

CILIUM_REPOSITORY = "https://helm.cilium.io/"
PROXY_DISABLED_PATCH = "cluster:\n  proxy:\n    disabled: true\n"
TALOS_VALUES: dict[str, Any] = {
    "ipam": {"mode": "kubernetes"},
    "kubeProxyReplacement": True,
    "securityContext": {"capabilities": {
        "ciliumAgent": ["CHOWN", "KILL", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "SYS_ADMIN", "SYS_RESOURCE",
                        "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID"],
        "cleanCiliumState": ["NET_ADMIN", "SYS_ADMIN", "SYS_RESOURCE"],
    }},
    "cgroup": {"autoMount": {"enabled": False}, "hostRoot": "/sys/fs/cgroup"},
    "k8sServiceHost": "localhost",  # KubePrism
    "k8sServicePort": 7445,
}


def _merged(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    result = copy.deepcopy(base)
    for key, value in override.items():
        result[key] = _merged(result[key], value) if isinstance(value, dict) and isinstance(
            result.get(key), dict) else copy.deepcopy(value)
    return result


def cilium_values(node_count: int, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Talos's values; the operator's two replicas need two nodes (they use host ports), so one on one node."""
    values = _merged(TALOS_VALUES, {"operator": {"replicas": 1 if node_count < 2 else 2}})
    return _merged(values, overrides or {})


def prepared_for_cilium(definition: ClusterDefinition) -> ClusterDefinition:
    """The definition with Cilium's requirements: no CNI from Talos, kube-proxy disabled on control planes."""
    name = (definition.cni or {}).get("name", "none")
    if name != "none":
        raise ConfigError(f"{definition.source}: cniConfig.name is {name!r}, but Cilium is enabled "
                          "(talos-cluster:cilium); expected none, or disable Cilium")

    def node(item: NodeDefinition) -> NodeDefinition:
        if not item.control_plane or PROXY_DISABLED_PATCH in item.patches:
            return item
        return replace(item, patches=[*item.patches, PROXY_DISABLED_PATCH])

    return replace(definition, cni={"name": "none"}, nodes=[node(item) for item in definition.nodes])


class Cilium(pulumi.ComponentResource):
    release: Release

    def __init__(self, name: str, kubeconfig: pulumi.Input[str], settings: CiliumSettings, node_count: int,
                 after: list[pulumi.Resource], opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("talos-cluster:index:Cilium", name, {}, opts)
        self.provider = kubernetes.Provider(f"{name}-kubernetes", kubeconfig=kubeconfig,
                                            opts=pulumi.ResourceOptions(parent=self))
        self.release = Release(
            name, chart="cilium", version=settings.version, name="cilium", namespace="kube-system",
            repository_opts=RepositoryOptsArgs(repo=CILIUM_REPOSITORY),
            values=cilium_values(node_count, settings.values), timeout=600,
            opts=pulumi.ResourceOptions(parent=self, provider=self.provider, depends_on=after))  # after Talos health
        self.register_outputs({"status": self.release.status})
