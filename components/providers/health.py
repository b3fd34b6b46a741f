"""Talos-level readiness of the whole cluster: every node out of maintenance and configured, etcd, apid
and kubelet running, every control plane an etcd member and, with KubeSpan, every peer up as the first
control plane sees it (the article's "open UDP 51820" problem fails here, naming the peer). Re-checked
when the set of nodes changes or a node's machine is replaced (`applied`: the ids of the node resources;
config updates settle per node in the machine-config provider)."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CheckResult, CreateResult, DiffResult, Resource, ResourceProvider, UpdateResult

from ..talos.clientconfig import READER_ROLE
from .base import changed, credentials_from, inputs_of, kube_credentials_from, require, run, seconds

NODES_HEALTHY = "__nodes_healthy"  # an output only: hidden from diffs (see machine_config.py)
DEFAULT_TIMEOUT = 1200.0  # its own budget, not the engine's: a 3-node install can take a while


class ClusterHealthProvider(ResourceProvider):
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return CheckResult(news, require(news, ("control_planes", "secrets"), "cluster health"))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        watched = ("control_planes", "workers", "kubespan", "applied", "nodes_ready")
        return DiffResult(changes=bool(changed(olds, news, watched)))

    def _wait(self, inputs: dict[str, Any]) -> dict[str, Any]:
        from ..talos.api import operations  # only operations talk to nodes; the program never imports this
        from ..talos.api.operations import Target
        from ..talos.kube.health import KubernetesChecks

        control_planes = [Target(str(address)) for address in inputs["control_planes"]]
        workers = [Target(str(address)) for address in inputs.get("workers") or []]
        peers = len(control_planes) + len(workers) - 1 if inputs.get("kubespan") else None
        # Kubernetes stages after Talos's (pkg/cluster/check/default.go): the API server answers, control-plane
        # pods run, nodes are schedulable; Ready nodes only with `nodes_ready`, the check after the CNI.
        kubernetes = KubernetesChecks(kube_credentials_from(inputs["secrets"]),
                                      nodes_ready=bool(inputs.get("nodes_ready")))
        run(operations.wait_healthy(control_planes, workers, credentials_from(inputs["secrets"], READER_ROLE),
                                    deadline=seconds(inputs.get("timeout"), DEFAULT_TIMEOUT), kubespan_peers=peers,
                                    kubernetes=kubernetes),
            "cluster health")
        return {**inputs, NODES_HEALTHY: len(control_planes) + len(workers)}

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult("cluster-health", self._wait(inputs_of(props)))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(self._wait(inputs_of(news)))


class ClusterHealth(Resource, module="talos", name="ClusterHealth"):
    """talosctl health, Talos side: passes once every node is configured and etcd has every control plane."""

    def __init__(self, name: str, *, control_planes: pulumi.Input[list[str]], workers: pulumi.Input[list[str]],
                 secrets: pulumi.Input[str], kubespan: pulumi.Input[bool], applied: pulumi.Input[list[str]],
                 timeout: float = DEFAULT_TIMEOUT, nodes_ready: bool = False,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        inputs: dict[str, Any] = {
            "control_planes": control_planes, "workers": workers, "secrets": pulumi.Output.secret(secrets),
            "kubespan": kubespan, "applied": applied, "timeout": timeout}
        if nodes_ready:
            inputs["nodes_ready"] = True
        super().__init__(ClusterHealthProvider(), name, inputs, opts)
