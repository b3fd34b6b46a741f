"""A Kubernetes version bump done as `talosctl upgrade-k8s` does it, before the nodes' new configs are applied.

Pushing each node's new config in the rollout order would update a control plane's kubelet while the other
control planes still run the older API server, which the version-skew policy forbids. So a change of
`kubernetesVersion` first runs components/talos/kube/upgrade.py over the running cluster: the API server,
controller manager and scheduler static pods one control plane at a time, each waited for through the
Kubernetes API, then the kubelets in the rollout order, then the bootstrap manifests by server-side apply.
Every node resource depends on this one, so its own update then finds the new images already running and
applies in place. A new cluster is created at its version: nothing to do then.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, Resource, ResourceProvider, UpdateResult

from ..talos.errors import TalosError
from ..talos.rollout import check_kubernetes_upgrade
from .base import credentials_from, inputs_of, is_unknown, kube_credentials_from, require, run, seconds

DEFAULT_TIMEOUT = 600.0  # per wait: one static pod, one kubelet


class KubernetesUpgradeProvider(ResourceProvider):
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = require(news, ("kubernetes_version", "control_planes", "secrets"), "Kubernetes upgrade")
        old, new = olds.get("kubernetes_version"), news.get("kubernetes_version")
        if isinstance(old, str) and isinstance(new, str) and not is_unknown(new) and old != new:
            try:
                # preview fails before any node is touched; named after the node it starts on, as talosctl -n
                check_kubernetes_upgrade(str(news.get("first_control_plane") or "cluster"), old, new)
            except TalosError as error:
                failures.append(CheckFailure("kubernetes_version", str(error)))
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        # only the version is a reason to act: a new node list alone is recorded by a Same step
        return DiffResult(changes=olds.get("kubernetes_version") != news.get("kubernetes_version"))

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult("kubernetes-version", inputs_of(props))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = inputs_of(news)
        run(self._upgrade(str(olds.get("kubernetes_version") or ""), inputs), "Kubernetes upgrade")
        return UpdateResult(inputs)

    async def _upgrade(self, from_version: str, inputs: dict[str, Any]) -> None:
        from ..talos.api.operations import Target
        from ..talos.kube.client import KubeClient, server_for
        from ..talos.kube.upgrade import NodeConfigs, UpgradeOptions, upgrade_kubernetes

        credentials = credentials_from(inputs["secrets"])
        control_planes = [Target(str(address)) for address in inputs["control_planes"]]
        order = [Target(str(address)) for address in inputs.get("kubelet_order") or []]
        client = KubeClient([server_for(t.node) for t in control_planes], kube_credentials_from(inputs["secrets"]))
        options = UpgradeOptions(to_version=str(inputs["kubernetes_version"]), from_version=from_version,
                                 deadline=seconds(inputs.get("timeout"), DEFAULT_TIMEOUT))
        await upgrade_kubernetes(client, control_planes, order, NodeConfigs(credentials), credentials, options,
                                 log=lambda _line: None)


class KubernetesUpgrade(Resource, module="talos", name="KubernetesUpgrade"):
    """The cluster's Kubernetes version; changing it runs upgrade-k8s before any node's new config."""

    def __init__(self, name: str, *, kubernetes_version: str, first_control_plane: str,
                 control_planes: pulumi.Input[list[str]], kubelet_order: pulumi.Input[list[str]],
                 secrets: pulumi.Input[str], timeout: float = DEFAULT_TIMEOUT,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(KubernetesUpgradeProvider(), name, {
            "kubernetes_version": kubernetes_version, "first_control_plane": first_control_plane,
            "control_planes": control_planes,
            "kubelet_order": kubelet_order, "secrets": pulumi.Output.secret(secrets), "timeout": timeout}, opts)
