"""The Kubernetes stages of staged health, after the Talos ones of api/operations.check_health, in the order
of siderolabs/talos pkg/cluster/check/default.go: the API server answers, every node reports (registers its
Node), control-plane static pods run, every node is Ready, every node is schedulable.

Only the nodes given are checked (talosctl checks the nodes it was told about, too): a rollout checks the
cluster it manages, and a stray Node object outside the definition does not block it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..documents import is_legacy
from .client import API_SERVER_PORT, KubeAPIError, KubeClient, KubeCredentials, server_for

if TYPE_CHECKING:
    from ..api.operations import Target
    from ..versions import Contract

STAGE_API = "API"
STAGE_NODE_READY = "node Ready"
STAGE_PODS = "control-plane pods"
STAGE_SCHEDULABLE = "node schedulable"
CONTROL_PLANE_COMPONENTS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler")
PROBE_TIMEOUT = 10.0


@dataclass(frozen=True)
class KubernetesChecks:
    """Which Kubernetes stages to run. `nodes_ready` off before a CNI is installed (talosctl skips that check
    when the cluster's CNI is `none`); `schedulable` off while a node is still cordoned on purpose."""

    credentials: KubeCredentials
    nodes_ready: bool = True
    schedulable: bool = True
    port: int = API_SERVER_PORT
    server: str = ""  # one API server URL to ask (talosctl health: the kubeconfig's, or --k8s-endpoint); "":
    # every control plane's own address, the program's choice (see client.py on the VIP)


def entries(obj: dict[str, Any], field: str) -> list[dict[str, Any]]:
    """status.<field> of an object as the API server sent it: the mappings of a list, nothing else (a server
    may send any JSON; what is not the expected shape reads as absent, never as a traceback)."""
    status = obj.get("status")
    values = status.get(field) if isinstance(status, dict) else None
    return [value for value in values if isinstance(value, dict)] if isinstance(values, list) else []


def addresses_of(node: dict[str, Any]) -> set[str]:
    return {str(a.get("address", "")) for a in entries(node, "addresses")}


def condition(obj: dict[str, Any], kind: str) -> dict[str, Any]:
    return next((c for c in entries(obj, "conditions") if c.get("type") == kind), {})


async def connect(credentials: KubeCredentials, control_planes: list[Target], port: int = API_SERVER_PORT,
                  server: str = "") -> tuple[KubeClient | None, list[str]]:
    """A client on every control plane's API server (or on `server` alone), starting with the first that
    answers; or why none did."""
    servers = [server] if server else [server_for(t.node, port) for t in control_planes]
    errors = []
    for index, server in enumerate(servers):
        client = KubeClient([server, *servers[index + 1:], *servers[:index]], credentials, timeout=PROBE_TIMEOUT)
        try:
            await KubeClient(server, credentials, timeout=PROBE_TIMEOUT).call("GET", "/api/v1")
            return client, []
        except KubeAPIError as error:
            errors.append(str(error))
    return None, errors or ["no control plane to ask"]


async def check_kubernetes(checks: KubernetesChecks, control_planes: list[Target], workers: list[Target]
                           ) -> tuple[str, list[str]]:
    """(stage, problems) of the first Kubernetes stage that fails; ("", []) when all pass."""
    client, errors = await connect(checks.credentials, control_planes, checks.port, checks.server)
    if client is None:
        return STAGE_API, errors
    try:
        nodes = await client.nodes()
        pods = await client.pods("kube-system")
    except KubeAPIError as error:
        return STAGE_API, [str(error)]
    by_address = {address: node for node in nodes for address in addresses_of(node)}
    expected = [t.node for t in (*control_planes, *workers)]
    missing = [f"{address}: no Kubernetes Node reports this address (kubelet has not registered)"
               for address in expected if address not in by_address]
    if missing:
        return STAGE_NODE_READY, missing
    problems = []
    for target in control_planes:
        running = {str((p.get("metadata") or {}).get("labels", {}).get("k8s-app")): p for p in pods
                   if (p.get("status") or {}).get("hostIP") == target.node}
        for component in CONTROL_PLANE_COMPONENTS:
            pod = running.get(component)
            if pod is None:
                problems.append(f"{target.node}: static pod {component} is missing")
            elif condition(pod, "Ready").get("status") != "True":
                problems.append(f"{target.node}: static pod {pod['metadata']['name']} is not ready")
    if problems:
        return STAGE_PODS, problems
    if checks.nodes_ready:
        for address in expected:
            ready = condition(by_address[address], "Ready")
            if ready.get("status") != "True":
                problems.append(f"node {by_address[address]['metadata']['name']} ({address}) is not Ready: "
                                f"{ready.get('reason', 'no Ready condition')}: {ready.get('message', '')}".rstrip(": "))
        if problems:
            return STAGE_NODE_READY, problems
    if checks.schedulable:
        problems = [f"node {by_address[a]['metadata']['name']} ({a}) is cordoned (spec.unschedulable)"
                    for a in expected if (by_address[a].get("spec") or {}).get("unschedulable")]
        if problems:
            return STAGE_SCHEDULABLE, problems
    return "", []


def forced_server(endpoint: str) -> str:
    """talosctl health --k8s-endpoint (siderolabs/talos pkg/cluster/kubernetes.go K8sRestConfig): an optional
    https:// prefix, then host or host:port; the port defaults to 6443."""
    host = endpoint.removeprefix("https://").rstrip("/")
    bracketed = host.startswith("[")
    if (bracketed and "]:" in host) or (not bracketed and host.count(":") == 1):
        return f"https://{host}"
    return server_for(host.strip("[]"), API_SERVER_PORT)


def bootstrap_cni(documents: list[dict[str, Any]], contract: Contract) -> str:
    """The CNI name of the node's BootstrapManifestsConfig (siderolabs/talos
    internal/app/machined/pkg/controllers/k8s/control_plane.go) on a node running ``contract``."""
    legacy = next((d for d in documents if is_legacy(d)), {})
    network = (legacy.get("cluster") or {}).get("network")
    cni = network.get("cni") if isinstance(network, dict) else None
    legacy_name = str((cni or {}).get("name") or "flannel")  # v1alpha1_clusterconfig.go CNI(): flannel by default
    if not contract.greater(1, 13):
        return legacy_name  # up to v1.13: cfg.Cluster().Network().CNI().Name()
    # From v1.14: flannel when K8sFlannelCNIConfig() is set, else none, whatever other name the config gives
    # (container.go: a KubeFlannelCNIConfig document first; v1alpha1_k8s_bridge.go: the legacy section only
    # where cluster.network is set and its CNI is flannel).
    if any(d.get("kind") == "KubeFlannelCNIConfig" for d in documents):
        return "flannel"
    return "flannel" if network is not None and legacy_name == "flannel" else "none"


def cni_disabled(documents: list[dict[str, Any]], contract: Contract) -> bool:
    """talosctl health skips "all k8s nodes to report ready" when the bootstrap CNI is `none`
    (pkg/cluster/check/default.go cniDisabledStatus)."""
    return bootstrap_cni(documents, contract) == "none"
