"""The Kubernetes side of an emulated cluster: what kubelets register, the control planes' static pods, the
objects server-side apply stores, and which control planes serve the API.

Shapes follow k8s.io/api core/v1 types.go (Node, NodeStatus, NodeCondition, NodeSystemInfo, Pod, PodStatus)
and k8s.io/apimachinery meta/v1 types.go (ObjectMeta, Status, APIResourceList).
"""

from __future__ import annotations

import asyncio
import datetime
import functools
import hashlib
import itertools
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from components.talos import documents
from components.talos.kube.health import bootstrap_cni
from components.talos.versions import contract_of

if TYPE_CHECKING:
    from .cluster import EmulatedCluster
    from .node import EmulatedNode

CONTROL_PLANE_COMPONENTS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler")
_CONFIG_KEYS = {"kube-apiserver": "apiServer", "kube-controller-manager": "controllerManager",
                "kube-scheduler": "scheduler"}
# siderolabs/talos pkg/machinery/constants: images Talos defaults to when the config names none
DEFAULT_IMAGES = {"kube-apiserver": "registry.k8s.io/kube-apiserver", "kubelet": "ghcr.io/siderolabs/kubelet",
                  "kube-controller-manager": "registry.k8s.io/kube-controller-manager",
                  "kube-scheduler": "registry.k8s.io/kube-scheduler", "kube-proxy": "registry.k8s.io/kube-proxy"}
DEFAULT_COREDNS_IMAGE = "registry.k8s.io/coredns/coredns:v1.12.4"
LABEL_CONTROL_PLANE = "node-role.kubernetes.io/control-plane"  # Talos labels control planes with it
MIRROR_ANNOTATION = "kubernetes.io/config.mirror"  # kubelet's mark on a static pod's API object


def now_rfc3339() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def tag(image: str) -> str:
    name = image.rsplit("/", 1)[-1]
    return name.rsplit(":", 1)[-1] if ":" in name else ""


@functools.lru_cache(maxsize=128)
def _applied_documents(text: bytes) -> tuple[dict[str, Any], ...]:
    """An applied config's documents, decoded once: every kubelet sync and API request reads them again (the
    callers only read them). Decoding is a third of an engine test's time otherwise."""
    return tuple(documents.decode(text, "machine config"))


def applied_documents(node: EmulatedNode) -> tuple[dict[str, Any], ...]:
    return () if node.config is None else _applied_documents(node.config.text)


def legacy_document(node: EmulatedNode) -> dict[str, Any]:
    return next((d for d in applied_documents(node) if documents.is_legacy(d)), {})


def typed_document(node: EmulatedNode, kind: str) -> dict[str, Any] | None:
    """The node's Talos v1.14 document of `kind`, if its config has one."""
    return next((d for d in applied_documents(node) if d.get("kind") == kind), None)


# Talos v1.14's documents for the same settings; a config with the document is read from it (container.go)
_CONFIG_KINDS = {"kube-apiserver": "KubeAPIServerConfig", "kube-controller-manager": "KubeControllerManagerConfig",
                 "kube-scheduler": "KubeSchedulerConfig", "kube-proxy": "KubeProxyConfig", "kubelet": "KubeletConfig"}


def images_of(node: EmulatedNode) -> dict[str, str]:
    """Component → image from the node's applied config (the defaults Talos fills in where it is silent)."""
    legacy = legacy_document(node)
    cluster, machine = legacy.get("cluster") or {}, legacy.get("machine") or {}
    sections = {"kubelet": machine.get("kubelet") or {}, "kube-proxy": cluster.get("proxy") or {},
                **{component: cluster.get(key) or {} for component, key in _CONFIG_KEYS.items()}}
    images = {}
    for component, section in sections.items():
        typed = typed_document(node, _CONFIG_KINDS[component])
        images[component] = str((typed if typed is not None else section).get("image") or DEFAULT_IMAGES[component])
    return images


@dataclass
class StaticPod:
    image: str
    ready_at: float  # loop time the kubelet's (re)start of it with this image completes


@dataclass
class Kubelet:
    image: str
    previous: str  # the image whose kubelet posts the Node status until the restarted one does
    ready_at: float


@dataclass
class Workload:
    """A pod a test schedules on a node so that drains have something to evict."""

    namespace: str
    name: str
    node: str  # hostname
    blocked_evictions: int = 0  # a disruption budget refuses this many evictions first
    daemonset: bool = False
    deleting_at: float | None = None
    uid: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass
class RegisteredNode:
    hostname: str
    address: str
    uid: str
    created: str
    unschedulable: bool = False
    cordoned_by_talos: bool = False  # annotation talos.dev/cordoned: Talos uncordons it when it runs again


class KubernetesState:
    """One per emulated cluster (shared by every cluster key it serves; tests use one cluster each).

    The API objects (Nodes, scheduled pods, what server-side apply stored) live in the cluster's etcd
    (etcd.py): they survive what etcd survives and are gone with it. Kubelets, static pods and listeners are
    the machines' own state."""

    def __init__(self, cluster: EmulatedCluster, *, port: int = 6443, static_pod_seconds: float = 0.1,
                 terminate_seconds: float = 0.05) -> None:
        self.cluster = cluster
        self.port = port
        self.static_pod_seconds = static_pod_seconds  # kubelet restarting a static pod after its image changes
        self.terminate_seconds = terminate_seconds  # an evicted pod's graceful termination
        self.cni_installed = False  # set when a CNI (Cilium's Helm release) is installed outside the manifests
        self.static_pods: dict[tuple[str, str], StaticPod] = {}  # (address, component) → pod
        self.kubelets: dict[str, Kubelet] = {}  # address → the kubelet running there
        self.unregistered: set[str] = set()  # addresses whose started kubelet has not registered its Node yet
        self.evictions: list[tuple[str, str]] = []
        self._versions = itertools.count(1000)
        self.servers: dict[str, asyncio.Server] = {}

    def next_version(self) -> str:
        return str(next(self._versions))

    # ------------------------------------------------------------------ objects, in etcd

    @property
    def registered(self) -> dict[str, RegisteredNode]:
        """hostname → Node object."""
        return self.cluster.etcd_data().nodes

    @property
    def workloads(self) -> list[Workload]:
        return self.cluster.etcd_data().workloads

    @workloads.setter
    def workloads(self, value: list[Workload]) -> None:
        self.cluster.etcd_data().workloads = value

    @property
    def objects(self) -> dict[str, dict[str, Any]]:
        """API path → object stored by server-side apply."""
        return self.cluster.etcd_data().objects

    # ------------------------------------------------------------------ hooks from the node lifecycle

    def _etcd_up(self, node: EmulatedNode) -> bool:
        return node.etcd_member_id is not None

    async def node_up(self, node: EmulatedNode) -> None:
        """A node booted (or its config changed): its kubelet (re)starts and registers the Node once an API
        server answers; a control plane runs its static pods and, once it is an etcd member, its API server."""
        from .kubeapi import start_api_server

        if node.config is None or node.phase != "running":
            return
        loop = asyncio.get_running_loop()
        kubelet_image = images_of(node)["kubelet"]
        kubelet = self.kubelets.get(node.address)
        if kubelet is None or kubelet.image != kubelet_image:  # the kubelet service restarts with the new image
            self.kubelets[node.address] = Kubelet(kubelet_image, kubelet.image if kubelet else kubelet_image,
                                                  loop.time() + self.static_pod_seconds)
            # kubernetes/kubernetes pkg/kubelet/kubelet_node_status.go: a started kubelet registers its Node
            # until that succeeds once (registrationCompleted); a Node deleted later stays deleted until then
            self.unregistered.add(node.address)
        registered = self.registered.get(node.hostname)
        if registered is not None and registered.cordoned_by_talos:  # NodeApplyController.ApplyCordoned
            registered.unschedulable = registered.cordoned_by_talos = False
        if node.config.control_plane:
            for component, image in images_of(node).items():
                if component not in CONTROL_PLANE_COMPONENTS:
                    continue
                current = self.static_pods.get((node.address, component))
                if current is None or current.image != image:
                    self.static_pods[(node.address, component)] = StaticPod(image,
                                                                            loop.time() + self.static_pod_seconds)
                    loop.call_later(self.static_pod_seconds, self.register_kubelets)
            if self._etcd_up(node) and node.address not in self.servers:
                await start_api_server(self, node)
        self.register_kubelets()

    def cordon_and_drain(self, node: EmulatedNode) -> None:
        """Talos's own drain before an upgrade, a graceful reset or a shutdown (siderolabs/talos
        v1alpha1_sequencer_tasks.go CordonAndDrainNode; k8s/node_cordoned_spec.go cordons in those stages and
        k8s/node_apply.go uncordons a node it cordoned once the machine runs again)."""
        registered = self.registered.get(node.hostname)
        if registered is None or not self.api_available():
            return
        if not registered.unschedulable:
            registered.unschedulable = registered.cordoned_by_talos = True
            self.cluster.journal_event(node.address, "drain")
        deadline = asyncio.get_running_loop().time() + self.terminate_seconds
        for workload in self.workloads:
            if workload.node == node.hostname and not workload.daemonset and workload.deleting_at is None:
                workload.deleting_at = deadline

    def register_kubelets(self) -> None:
        """Kubelets waiting to register do so once some API server answers."""
        if not self.api_available():
            return
        for address in sorted(self.unregistered):
            node = self.cluster.nodes[address]
            if node.phase == "running" and node.config is not None:
                if node.hostname not in self.registered:
                    self.registered[node.hostname] = RegisteredNode(node.hostname, address, str(uuid.uuid4()),
                                                                    now_rfc3339())
                    self.cluster.etcd_data().written()
                self.unregistered.discard(address)

    async def node_down(self, node: EmulatedNode) -> None:
        server = self.servers.pop(node.address, None)
        if server is not None:
            server.close()
            await server.wait_closed()
        for component in CONTROL_PLANE_COMPONENTS:
            self.static_pods.pop((node.address, component), None)
        self.kubelets.pop(node.address, None)
        self.unregistered.discard(node.address)

    async def close(self) -> None:
        servers, self.servers = list(self.servers.values()), {}
        for server in servers:
            server.close()
            await server.wait_closed()

    def api_available(self) -> bool:
        """Some control plane serves the API: its listener is open and its kube-apiserver pod is up."""
        now = asyncio.get_running_loop().time()
        return any((pod := self.static_pods.get((address, "kube-apiserver"))) is not None and now >= pod.ready_at
                   for address in self.servers)

    # ------------------------------------------------------------------ what the API shows

    def _node_of(self, hostname: str) -> EmulatedNode | None:
        return next((n for n in self.cluster.nodes.values() if n.hostname == hostname), None)

    def cni_ready(self, node: EmulatedNode) -> bool:
        """kubelet reports NetworkReady only once a CNI runs: Talos deploys Flannel when its bootstrap manifests
        name it (the legacy cni name, default flannel, up to v1.13; from v1.14 a KubeFlannelCNIConfig document
        or a legacy cluster.network whose CNI is flannel: kube/health.py bootstrap_cni)."""
        if node.config is None:
            return self.cni_installed
        config = list(applied_documents(node))
        return self.cni_installed or bootstrap_cni(config, contract_of(node.version)) == "flannel"

    def node_object(self, registered: RegisteredNode) -> dict[str, Any]:
        node = self._node_of(registered.hostname)
        running = node is not None and node.phase == "running" and node.config is not None
        labels = {"kubernetes.io/hostname": registered.hostname, "kubernetes.io/os": "linux",
                  "kubernetes.io/arch": "amd64"}
        if node is not None and node.config is not None and node.config.control_plane:
            labels[LABEL_CONTROL_PLANE] = ""
        if not running:
            # node-lifecycle-controller: the kubelet stopped posting status
            ready = {"status": "Unknown", "reason": "NodeStatusUnknown", "message": "Kubelet stopped posting node "
                                                                                      "status."}
        elif node is not None and not self.cni_ready(node):
            ready = {"status": "False", "reason": "KubeletNotReady",
                     "message": "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady"
                                " message:Network plugin returns error: cni plugin not initialized"}
        else:
            ready = {"status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status"}
        stamp = now_rfc3339()
        kubelet = self.kubelets.get(node.address) if node is not None else None
        restarting = kubelet is not None and asyncio.get_running_loop().time() < kubelet.ready_at
        kubelet_image = "" if kubelet is None else kubelet.previous if restarting else kubelet.image
        spec: dict[str, Any] = {"podCIDR": "10.244.0.0/24"}
        if registered.unschedulable:
            spec["unschedulable"] = True
            spec["taints"] = [{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule",
                               "timeAdded": stamp}]
        return {
            "kind": "Node", "apiVersion": "v1",
            "metadata": {"name": registered.hostname, "uid": registered.uid, "resourceVersion": self.next_version(),
                         "creationTimestamp": registered.created, "labels": labels,
                         "annotations": {"talos.dev/cordoned": "true"} if registered.cordoned_by_talos else {}},
            "spec": spec,
            "status": {
                "conditions": [{"type": "Ready", "lastHeartbeatTime": stamp, "lastTransitionTime": stamp, **ready}],
                "addresses": [{"type": "InternalIP", "address": registered.address},
                              {"type": "Hostname", "address": registered.hostname}],
                "nodeInfo": {"machineID": hashlib.md5(registered.hostname.encode()).hexdigest(),
                             "systemUUID": registered.uid, "bootID": registered.uid,
                             "kernelVersion": "6.12.0-talos", "osImage": f"Talos ({node.version if node else ''})",
                             "containerRuntimeVersion": "containerd://2.1.0", "operatingSystem": "linux",
                             "architecture": "amd64", "kubeletVersion": tag(kubelet_image),
                             "kubeProxyVersion": ""},
            },
        }

    def nodes(self) -> list[dict[str, Any]]:
        return [self.node_object(r) for r in self.registered.values()]

    def pods(self) -> list[dict[str, Any]]:
        loop_time = asyncio.get_running_loop().time()
        # the pod garbage collector deletes pods bound to a Node that no longer exists
        self.workloads = [w for w in self.workloads if (w.deleting_at is None or w.deleting_at > loop_time)
                          and w.node in self.registered]
        pods = []
        for (address, component), static in self.static_pods.items():
            host = self.cluster.nodes[address]
            if host.hostname not in self.registered:  # a mirror pod exists only for a registered node
                continue
            ready = loop_time >= static.ready_at
            pods.append(self._pod("kube-system", f"{component}-{host.hostname}", host, static.image, ready,
                                  labels={"k8s-app": component, "tier": "control-plane"},
                                  annotations={MIRROR_ANNOTATION: hashlib.md5(static.image.encode()).hexdigest(),
                                               "kubernetes.io/config.source": "file"},
                                  owner={"apiVersion": "v1", "kind": "Node", "name": host.hostname}))
        for workload in self.workloads:
            node = self._node_of(workload.node)
            if node is None:
                continue
            owner = {"apiVersion": "apps/v1", "kind": "DaemonSet" if workload.daemonset else "ReplicaSet",
                     "name": workload.name.rsplit("-", 1)[0]}
            pod = self._pod(workload.namespace, workload.name, node, "registry.k8s.io/pause:3.10",
                            node.phase == "running", labels={"app": workload.name}, annotations={}, owner=owner)
            if workload.deleting_at is not None:
                pod["metadata"]["deletionTimestamp"] = now_rfc3339()
            pods.append(pod)
        return pods

    def _pod(self, namespace: str, name: str, node: EmulatedNode, image: str, ready: bool, *,
             labels: dict[str, str], annotations: dict[str, str], owner: dict[str, str]) -> dict[str, Any]:
        status = "True" if ready and node.phase == "running" else "False"
        container = name.rsplit("-", 1)[0] if namespace == "kube-system" else "app"
        return {
            "kind": "Pod", "apiVersion": "v1",
            "metadata": {"name": name, "namespace": namespace, "labels": labels, "annotations": annotations,
                         "uid": str(uuid.uuid5(uuid.NAMESPACE_OID, f"{namespace}/{name}")),
                         "resourceVersion": self.next_version(),
                         "ownerReferences": [{**owner, "uid": str(uuid.uuid5(uuid.NAMESPACE_OID, owner["name"])),
                                              "controller": True}]},
            "spec": {"nodeName": node.hostname, "containers": [{"name": container, "image": image}]},
            "status": {"phase": "Running" if node.phase == "running" else "Pending", "hostIP": node.address,
                       "podIP": node.address,
                       "conditions": [{"type": "Ready", "status": status}],
                       "containerStatuses": [{"name": container, "image": image, "ready": status == "True",
                                              "restartCount": 0}]},
        }

    # ------------------------------------------------------------------ test controls

    def add_workload(self, node_hostname: str, name: str, namespace: str = "default", *,
                     blocked_evictions: int = 0, daemonset: bool = False) -> Workload:
        if not self.cluster.has_etcd():
            raise RuntimeError("no etcd holds the cluster's objects yet: bootstrap the cluster first")
        workload = Workload(namespace, name, node_hostname, blocked_evictions, daemonset)
        self.workloads.append(workload)
        self.cluster.etcd_data().written()
        return workload

    # ------------------------------------------------------------------ bootstrap manifests (Talos side)

    def manifests(self, node: EmulatedNode) -> list[tuple[str, list[dict[str, Any]]]]:
        """The Manifests resources a control plane renders from its config: (id, objects). IDs and which
        ones exist follow siderolabs/talos internal/app/machined/pkg/controllers/k8s/manifest.go; the objects
        carry the identity and image fields only (not the whole templates of k8stemplates/)."""
        legacy = legacy_document(node)
        cluster = legacy.get("cluster") or {}
        result: list[tuple[str, list[dict[str, Any]]]] = [
            ("00-kubelet-bootstrapping-token", [{"apiVersion": "v1", "kind": "Secret", "metadata": {
                "name": "bootstrap-token-" + str(cluster.get("token", "x.y")).split(".")[0],
                "namespace": "kube-system"}, "type": "bootstrap.kubernetes.io/token"}]),
        ]
        proxy = typed_document(node, "KubeProxyConfig")  # v1.14: `enabled: false` there, else cluster.proxy
        proxy_on = proxy.get("enabled") is not False if proxy is not None else \
            not (cluster.get("proxy") or {}).get("disabled")
        if proxy_on:
            image = images_of(node)["kube-proxy"]
            labels = {"k8s-app": "kube-proxy", "tier": "node"}
            result.append(("10-kube-proxy", [
                {"apiVersion": "v1", "kind": "ServiceAccount",
                 "metadata": {"name": "kube-proxy", "namespace": "kube-system"}},
                {"apiVersion": "apps/v1", "kind": "DaemonSet",
                 "metadata": {"name": "kube-proxy", "namespace": "kube-system", "labels": labels},
                 "spec": {"selector": {"matchLabels": labels}, "template": {
                     "metadata": {"labels": labels},
                     "spec": {"containers": [{"name": "kube-proxy", "image": image}]}}}}]))
        # container.go K8sCoreDNSConfig: a KubeCoreDNSConfig document first (k8s/coredns.go: enabled unless
        # `enabled: false`), else v1alpha1's cluster.coreDNS (v1alpha1_k8s_bridge.go)
        typed_dns = typed_document(node, "KubeCoreDNSConfig")
        legacy_dns = cluster.get("coreDNS") or {}
        dns_on = typed_dns.get("enabled") is not False if typed_dns is not None else not legacy_dns.get("disabled")
        if dns_on:
            image = str((typed_dns if typed_dns is not None else legacy_dns).get("image") or DEFAULT_COREDNS_IMAGE)
            labels = {"k8s-app": "kube-dns"}
            result.append(("11-core-dns", [
                {"apiVersion": "apps/v1", "kind": "Deployment",
                 "metadata": {"name": "coredns", "namespace": "kube-system", "labels": labels},
                 "spec": {"selector": {"matchLabels": labels}, "template": {
                     "metadata": {"labels": labels},
                     "spec": {"containers": [{"name": "coredns", "image": image}]}}}}]))
        return result
