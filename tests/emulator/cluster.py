"""A set of emulated Talos nodes on loopback addresses, served by one asyncio loop in a background thread.

Shared state lives here: etcd membership per cluster, the OS CA that trustd would use to sign worker
certificates, which KubeSpan peers can reach each other, and the log of every call each node served.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import ipaddress
import json
import threading
import time
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from components.talos import pki
from components.talos.api.errors import TALOS_API_PORT

from .clock import NodeClockLoop
from .etcd import EtcdData
from .kubernetes import KubernetesState, images_of, tag
from .node import BootMedia, CallRecord, EmulatedNode
from .received import ReceivedConfig

T = TypeVar("T")
DEFAULT_VERSION = "v1.13.9"


@dataclass(frozen=True)
class EtcdMember:
    id: int
    hostname: str
    address: str


def loopback_addresses(first: str, count: int) -> list[str]:
    start = ipaddress.ip_address(first)
    if not start.is_loopback or not (start + count - 1).is_loopback:
        raise ValueError(f"emulated nodes listen on 127.0.0.0/8 only; {first} (+{count}) is outside it")
    return [str(start + index) for index in range(count)]


class EmulatedCluster:
    """Nodes plus shared state. Use as a context manager; every public method is safe from any thread."""

    def __init__(self, addresses: Iterable[str], *, version: str = DEFAULT_VERSION, port: int = TALOS_API_PORT,
                 install_seconds: float = 0.2, reboot_seconds: float = 0.2, apply_seconds: float = 0.0,
                 clock_offset: float = 0.0, journal: str | None = None, kube_port: int = 6443,
                 announce: Callable[[str], None] | None = None) -> None:
        self.install_seconds = install_seconds
        self.reboot_seconds = reboot_seconds
        self.apply_seconds = apply_seconds
        self.nodes = {address: EmulatedNode(self, address, port, version) for address in addresses}
        for node in self.nodes.values():
            node.clock.offset = clock_offset  # seconds the nodes' clocks run ahead of this machine's
        self.calls: list[CallRecord] = []
        self._etcd: dict[str, list[EtcdMember]] = {}
        self._etcd_data: dict[str, EtcdData] = {}  # cluster key → the key space its members replicate
        self._unreachable: set[frozenset[str]] = set()
        self._loop = NodeClockLoop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="talos-emulator", daemon=True)
        self._lock = threading.Lock()
        self.kubernetes = KubernetesState(self, port=kube_port)
        self._journal = open(journal, "a", encoding="utf-8") if journal else None  # noqa: SIM115 (closed in stop)
        self._announce = announce  # one readable line per node event (the command line's console)
        self._started = time.monotonic()
        self._tasks: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------------ thread plumbing

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def start(self) -> EmulatedCluster:
        self._thread.start()
        for node in self.nodes.values():
            self.run(node.listen())
        return self

    def stop(self) -> None:
        if not self._thread.is_alive():
            return

        async def shutdown() -> None:
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()
            for node in self.nodes.values():
                await node.stop_listening()
            await self.kubernetes.close()

        self.run(shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        if self._journal is not None:
            self._journal.close()

    def __enter__(self) -> EmulatedCluster:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ test controls

    def node(self, address: str) -> EmulatedNode:
        return self.nodes[address]

    def refuse(self, address: str, refuse: bool = True) -> None:
        """Close (or reopen) a node's port, as a firewall or a powered-off machine would."""
        node = self.nodes[address]
        node.faults.refuse = refuse
        self.run(node.stop_listening() if refuse else node.listen())

    def boot_from(self, address: str, media: BootMedia) -> None:
        """Set what the machine boots from (before its first apply): what a hypervisor or cloud was told."""
        node = self.nodes[address]
        node.boot = media
        node.installed = node.installed or media.disk_image

    def power_on(self, address: str) -> None:
        self.run(self.nodes[address].power_on())

    def wait_for(self, address: str, phase: str, timeout: float = 30.0) -> None:
        async def wait() -> None:
            node = self.nodes[address]
            while not (node.phase == phase and (node.listening or phase in ("off", "halted"))):
                await asyncio.sleep(0.02)

        self.run(wait(), timeout)

    def cut(self, a: str, b: str) -> None:
        """KubeSpan: the two nodes can no longer reach each other (both report the peer down)."""
        self._unreachable.add(frozenset((a, b)))

    def calls_to(self, method: str) -> list[CallRecord]:
        with self._lock:
            return [call for call in self.calls if call.method == method]

    # ------------------------------------------------------------------ used by nodes (emulator loop)

    def record(self, call: CallRecord) -> None:
        with self._lock:
            self.calls.append(call)

    def find(self, target: str) -> EmulatedNode | None:
        return self.nodes.get(target) or next((n for n in self.nodes.values() if n.hostname == target), None)

    def os_ca_for(self, config: ReceivedConfig) -> pki.CertificateAndKey | None:
        """The OS CA with its key: the node's own (control plane) or trustd's on a control plane (worker)."""
        holders = [config] if config.os_ca_key else [
            n.config for n in self.nodes.values()
            if n.config and n.config.os_ca_key and n.config.ca_fingerprint == config.ca_fingerprint]
        if not holders:
            return None
        holder = holders[0]
        return pki.CertificateAndKey(pki.decode_certificate(holder.os_ca_crt, "machine.ca.crt"),
                                     pki.decode_key(holder.os_ca_key, "machine.ca.key"))

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = self._loop.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def journal_time(self) -> float:
        """Seconds since the cluster was made: the journal's `t`, so a reader can mark its own moments on it."""
        return time.monotonic() - self._started

    def journal_event(self, node: str, event: str) -> None:
        """One JSON line per event (issue 12's --journal format), with the node's versions after it."""
        emulated = self.find(node)
        if self._announce is not None:
            phase = f" ({emulated.phase})" if emulated is not None and event == "reboot-end" else ""
            self._announce(f"{emulated.address if emulated else node}: {event}{phase}")
        if self._journal is None:
            return
        images = images_of(emulated) if emulated is not None and emulated.config is not None else {}
        control_plane = emulated is not None and emulated.config is not None and emulated.config.control_plane
        versions = {"talos": emulated.version if emulated else None, "kubelet": tag(images.get("kubelet", "")) or None,
                    "apiserver": tag(images.get("kube-apiserver", "")) if control_plane else None}
        line = json.dumps({"t": round(self.journal_time(), 3),
                           "node": emulated.address if emulated else node, "event": event,
                           "versions": versions})
        with self._lock:
            self._journal.write(line + "\n")
            self._journal.flush()

    async def came_up(self, node: EmulatedNode) -> None:
        await node.listen()
        self._join_etcd(node)
        await self.kubernetes.node_up(node)
        for other in self.nodes.values():  # workers waiting for trustd can now get their certificate
            if other.phase == "running" and not other.listening:
                await other.listen()

    def config_changed(self, node: EmulatedNode) -> None:
        self._join_etcd(node)
        self._spawn(self.kubernetes.node_up(node))  # kubelet and static pods follow the new config

    def bootstrap_etcd(self, node: EmulatedNode, data: EtcdData | None = None) -> None:
        """A new etcd cluster with `node` its one member: empty, or the key space of a recovery snapshot."""
        assert node.cluster_key is not None
        self._etcd[node.cluster_key] = []
        self._etcd_data[node.cluster_key] = data or EtcdData()
        self._add_member(node)
        for other in self.nodes.values():
            self._join_etcd(other)
        for other in self.nodes.values():
            self._spawn(self.kubernetes.node_up(other))

    def has_etcd(self) -> bool:
        return bool(self._etcd_data)

    def etcd_data(self) -> EtcdData:
        """The key space the API servers read and write (tests run one cluster per emulator); while no etcd
        exists, an empty one that nothing keeps."""
        return next(iter(self._etcd_data.values()), EtcdData())

    def etcd_data_of(self, node: EmulatedNode) -> EtcdData | None:
        """What a member's database holds: its cluster's key space, if it is a member with data."""
        if node.etcd_member_id is None or not node.etcd_data:
            return None
        return self._etcd_data.get(node.cluster_key or "")

    def etcd_wiped(self, node: EmulatedNode, key: str | None) -> None:
        """The node's EPHEMERAL is gone: its etcd data and any uploaded recovery snapshot with it."""
        node.etcd_member_id = None  # without a leave its member stays in the cluster
        node.etcd_data = False
        node.etcd_failure = ""
        node.recovery_snapshot = None
        self._forget_if_lost(key)

    def _forget_if_lost(self, key: str | None) -> None:
        """No member holds the data any more (every control plane wiped or removed): the cluster's etcd, and
        every Kubernetes object in it, is gone; the next control plane waits for a bootstrap."""
        members = self._etcd.get(key or "")
        if members is None or any(self.nodes[m.address].etcd_data for m in members if m.address in self.nodes):
            return
        del self._etcd[key or ""]
        self._etcd_data.pop(key or "", None)

    def _join_etcd(self, node: EmulatedNode) -> None:
        key = node.cluster_key
        if (key in self._etcd and node.phase == "running" and node.config is not None
                and node.config.control_plane and node.etcd_member_id is None
                and all(m.address != node.address for m in self._etcd[key])):  # etcd: "Peer URLs already exists"
            self._add_member(node)

    def _add_member(self, node: EmulatedNode) -> None:
        assert node.cluster_key is not None
        member_id = int.from_bytes(hashlib.sha256(node.address.encode()).digest()[:8], "big")
        node.etcd_member_id = member_id
        node.etcd_data = True
        node.etcd_failure = ""
        self._etcd[node.cluster_key].append(EtcdMember(member_id, node.hostname, node.address))
        self.journal_event(node.address, "etcd-join")

    def etcd_members(self, node: EmulatedNode) -> list[EtcdMember]:
        return list(self._etcd.get(node.cluster_key or "", []))

    def remove_etcd_member(self, node: EmulatedNode, member_id: int) -> bool:
        members = self._etcd.get(node.cluster_key or "", [])
        for member in members:
            if member.id == member_id:
                members.remove(member)
                self.journal_event(member.address, "etcd-leave")
                for other in self.nodes.values():
                    if other.etcd_member_id == member_id:
                        other.etcd_member_id = None
                self._forget_if_lost(node.cluster_key)
                return True
        return False

    def etcd_may_remove(self, node: EmulatedNode, member_id: int) -> str | None:
        """etcd's strict reconfiguration check (etcd server/etcdserver/server.go mayRemoveMember): removing a
        started member must leave a quorum of started members; removing a stopped one is always allowed."""
        members = self._etcd.get(node.cluster_key or "", [])
        started = {m.id for m in members if self.nodes[m.address].phase == "running"}
        if member_id in started and len(started) - 1 < (len(members) - 1) // 2 + 1:
            return "etcdserver: re-configuration failed due to not enough started members"
        return None

    def leave_etcd(self, node: EmulatedNode) -> None:
        if node.etcd_member_id is not None:
            self.remove_etcd_member(node, node.etcd_member_id)

    def resources(self, node: EmulatedNode, type_: str) -> list[tuple[str, Any]]:
        from .api import MACHINE_STATUSES, MANIFESTS, MEMBERS

        if type_ == MANIFESTS:  # only control planes render them (Talos: ManifestController on controlplane)
            return self.kubernetes.manifests(node) if node.config and node.config.control_plane else []
        if type_ == MACHINE_STATUSES:
            stage = "maintenance" if node.maintenance else "running"
            return [("machine", {"stage": stage, "status": {"ready": not node.maintenance, "unmetConditions": []}})]
        peers = [other for other in self.nodes.values() if other is not node and other.phase == "running"
                 and other.cluster_key is not None and other.cluster_key == node.cluster_key]
        if type_ == MEMBERS:
            return [(member.node_id, _member_spec(member)) for member in [node, *peers] if member.config]
        if node.config is None or not node.config.kubespan:
            return []
        statuses = []
        for peer in peers:
            if peer.config is None or not peer.config.kubespan:
                continue
            up = frozenset((node.address, peer.address)) not in self._unreachable
            key = base64.b64encode(hashlib.sha256(peer.address.encode()).digest()).decode()
            statuses.append((key, {"endpoint": f"{peer.address}:51820", "label": peer.hostname,
                                   "state": "up" if up else "down", "receiveBytes": 0, "transmitBytes": 0}))
        return statuses


def _member_spec(node: EmulatedNode) -> dict[str, Any]:
    assert node.config is not None
    spec: dict[str, Any] = {"nodeId": node.node_id, "addresses": [node.address], "hostname": node.hostname,
                            "machineType": node.config.machine_type, "operatingSystem": f"Talos ({node.version})"}
    if node.config.control_plane:
        spec["controlPlane"] = {"port": 6443}
    return spec
