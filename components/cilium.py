"""Cilium as the cluster's CNI and kube-proxy replacement, installed with Helm once Talos reports healthy.

The values are Talos's recommended ones, per chart version (cilium_values.py).

The machine configs get what Cilium needs from Talos, written for the target release: no CNI from Talos and no
kube-proxy on the control planes. Up to v1.13 that is ``cluster.network.cni.name: none`` and
``cluster.proxy.disabled: true``; from v1.14, whose configs carry kube-proxy and flannel as documents, a
``KubeProxyConfig`` with ``enabled: false`` and the ``KubeFlannelCNIConfig`` deleted, as Talos's own Cilium test
patch does (siderolabs/talos v1.14.0-rc.1 hack/test/patches/cilium-kubeproxy.yaml); the legacy field next to
that document is refused by Talos.
"""

from __future__ import annotations

from dataclasses import replace

import pulumi
import pulumi_kubernetes as kubernetes
from pulumi_kubernetes.helm.v3 import Release, RepositoryOptsArgs

from .cilium_values import cilium_values
from .stack import CiliumSettings
from .talos.definition.model import ClusterDefinition
from .talos.errors import ConfigError
from .talos.versions import parse_contract

CILIUM_REPOSITORY = "https://helm.cilium.io/"
PROXY_DISABLED_PATCH = "cluster:\n  proxy:\n    disabled: true\n"  # Talos up to v1.13
# Talos v1.14: hack/test/patches/cilium-kubeproxy.yaml of siderolabs/talos v1.14.0-rc.1
KUBE_PROXY_DOCUMENT_PATCH = ("apiVersion: v1alpha1\nkind: KubeProxyConfig\nenabled: false\n---\n"
                             "apiVersion: v1alpha1\nkind: KubeFlannelCNIConfig\n$patch: delete\n")


def cilium_patch(talos_version: str) -> str:
    """The control-plane patch that takes kube-proxy (and, from v1.14, flannel's document) away, per release."""
    return KUBE_PROXY_DOCUMENT_PATCH if parse_contract(talos_version, "talosVersion").multidoc_kubernetes \
        else PROXY_DISABLED_PATCH


def prepared_for_cilium(definition: ClusterDefinition) -> ClusterDefinition:
    """The definition with Cilium's requirements: no CNI from Talos, kube-proxy disabled on control planes."""
    name = (definition.cni or {}).get("name", "none")
    if name != "none":
        raise ConfigError(f"{definition.source}: cniConfig.name is {name!r}, but Cilium is enabled "
                          "(talos-cluster:cilium); expected none, or disable Cilium")
    return replace(definition.with_control_plane_patch(cilium_patch(definition.talos_version)), cni={"name": "none"})


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
            values=cilium_values(settings.version, node_count, settings.values), timeout=600,
            opts=pulumi.ResourceOptions(parent=self, provider=self.provider, depends_on=after))  # after Talos health
        self.register_outputs({"status": self.release.status})
