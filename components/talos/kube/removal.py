"""Taking a node out of a cluster: cordon and drain it (evictions), take a control plane out of etcd (leave
while it answers, else remove-member from another control plane), delete its Kubernetes Node object.
Resetting or keeping the machine afterwards is the caller's decision (resetOnDestroy).

The etcd guards come first and touch nothing: never the last control plane, never a removal that cannot
commit (the cluster has no quorum now) and, without `allow_below_quorum`, never one that leaves the
remaining members without quorum (etcd's own strict reconfiguration check, etcd server/etcdserver/
server.go mayRemoveMember, refuses the same for a healthy member)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..api import calls
from ..api.client import TalosClient
from ..api.errors import TalosAPIError
from ..api.operations import DEFAULT_DEADLINE, PROBE_TIMEOUT, Target
from ..api.tls import Credentials
from ..errors import TalosError
from .client import API_SERVER_PORT, KubeAPIError, KubeClient, KubeCredentials
from .health import addresses_of, connect

MIRROR_ANNOTATION = "kubernetes.io/config.mirror"  # static pods: kubectl drain skips them
EVICTION_RETRY = 1.0  # kubectl drain retries a refused eviction every 5 s; a node operation can afford 1 s


class RemovalRefused(TalosError):
    pass


@dataclass
class RemovalReport:
    node: str
    evicted: list[str] = field(default_factory=list)  # namespace/name
    etcd: str = ""  # "left", "removed member <hex id> via <node>", or "" (not a member)
    node_object_deleted: bool = False
    notes: list[str] = field(default_factory=list)


def _quorum(members: int) -> int:
    return members // 2 + 1


def check_etcd_removal(members: list[str], healthy: set[str], leaving: list[str], *,
                       allow_below_quorum: bool = False) -> None:
    """Refuse, naming the nodes and counts, a removal of `leaving` control planes from etcd `members`
    (`healthy`: those that answer). Pure: the caller gathers the facts."""
    remaining = [m for m in members if m not in leaving]
    if not remaining:
        raise RemovalRefused(f"refusing to remove {', '.join(leaving)}: it would remove the last control plane "
                             "(etcd would have no members)")
    healthy_now = len([m for m in members if m in healthy])
    if healthy_now < _quorum(len(members)):
        raise RemovalRefused(f"refusing to remove {', '.join(leaving)}: etcd has {healthy_now} healthy of "
                             f"{len(members)} members, below quorum {_quorum(len(members))}; no member removal "
                             "can commit until quorum is restored")
    healthy_after = len([m for m in remaining if m in healthy])
    if healthy_after < _quorum(len(remaining)) and not allow_below_quorum:
        raise RemovalRefused(f"refusing to remove {', '.join(leaving)}: etcd would keep {healthy_after} healthy of "
                             f"{len(remaining)} members, below quorum {_quorum(len(remaining))}; remove the "
                             "unreachable members first, or allow it explicitly (allow_below_quorum)")


def _member_address(member: calls.EtcdMember) -> str:
    return next((urlsplit(u).hostname or "" for u in member.peer_urls), "")


async def _answers(target: Target, credentials: Credentials) -> bool:
    try:
        async with TalosClient(target.dial, credentials, port=target.port, timeout=PROBE_TIMEOUT) as client:
            await calls.version(client, node=target.node)
        return True
    except TalosAPIError:
        return False


async def etcd_facts(control_planes: list[Target], credentials: Credentials
                     ) -> tuple[Target, list[calls.EtcdMember], set[str]]:
    """A control plane that answers, the member list it sees, and which members' nodes answer (by address)."""
    for target in control_planes:
        try:
            async with TalosClient(target.dial, credentials, port=target.port, timeout=PROBE_TIMEOUT) as client:
                members = await calls.etcd_members(client, node=target.node)
        except TalosAPIError:
            continue
        answers = await asyncio.gather(*(_answers(Target(_member_address(m)), credentials) for m in members))
        return target, members, {_member_address(m) for m, ok in zip(members, answers, strict=True) if ok}
    raise RemovalRefused("no control plane answers over the Talos API: cannot read etcd membership")


def _drainable(pod: dict[str, Any]) -> bool:
    """kubectl drain --ignore-daemonsets: mirror (static) pods and DaemonSet pods stay."""
    metadata = pod.get("metadata") or {}
    if MIRROR_ANNOTATION in (metadata.get("annotations") or {}):
        return False
    owners = metadata.get("ownerReferences")
    return not any(isinstance(owner, dict) and owner.get("kind") == "DaemonSet"
                   for owner in (owners if isinstance(owners, list) else []))


async def drain(client: KubeClient, node_name: str, *, deadline: float) -> list[str]:
    """`kubectl drain --ignore-daemonsets --delete-emptydir-data`: cordon, evict every other pod (retrying
    while a disruption budget refuses), and wait until they are gone."""
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline
    await client.set_unschedulable(node_name, True)
    evicted: list[str] = []
    while True:
        pods = [p for p in await client.pods(field_selector=f"spec.nodeName={node_name}") if _drainable(p)]
        if not pods:
            return evicted
        refused = []
        for pod in pods:
            metadata = pod["metadata"]
            key = f"{metadata['namespace']}/{metadata['name']}"
            if metadata.get("deletionTimestamp"):
                continue  # evicted; terminating
            try:
                await client.evict(metadata["namespace"], metadata["name"])
                evicted.append(key)
            except KubeAPIError as error:
                if error.status == 404:
                    continue
                if error.status != 429:
                    raise
                refused.append(f"{key}: {error}")
        if loop.time() + EVICTION_RETRY > end:
            still = refused or [f"{p['metadata']['namespace']}/{p['metadata']['name']} still terminating"
                                for p in pods]
            raise TalosError(f"drain of node {node_name} did not finish in {deadline:g}s: " + "; ".join(still))
        await asyncio.sleep(EVICTION_RETRY)


async def remove_node(node: Target, control_planes: list[Target], credentials: Credentials,
                      kube: KubeCredentials, *, control_plane: bool, allow_below_quorum: bool = False,
                      drain_deadline: float = DEFAULT_DEADLINE, kube_port: int = API_SERVER_PORT) -> RemovalReport:
    """Cordon and drain `node`, take it out of etcd if it is a control plane, delete its Node object.

    `control_planes` are the cluster's control planes, `node` among them when it is one; the API server and
    the etcd removal go through the others first."""
    report = RemovalReport(node.node)
    others = [t for t in control_planes if t.node != node.node]
    if control_plane:
        if not others:
            raise RemovalRefused(f"refusing to remove {node.node}: it is the last control plane")
        _, members, healthy = await etcd_facts(others, credentials)
        addresses = [_member_address(m) for m in members]
        if node.node in addresses:
            check_etcd_removal(addresses, healthy, [node.node], allow_below_quorum=allow_below_quorum)
    client, errors = await connect(kube, [*others, node] if control_plane else others, kube_port)
    node_name = ""
    if client is None:
        report.notes.append("Kubernetes API unreachable, not drained: " + "; ".join(errors))
    else:
        node_name = next((n["metadata"]["name"] for n in await client.nodes() if node.node in addresses_of(n)), "")
        if not node_name:
            report.notes.append(f"no Kubernetes Node reports {node.node}: nothing to drain")
        elif await _answers(node, credentials):
            report.evicted = await drain(client, node_name, deadline=drain_deadline)
        else:
            report.notes.append(f"{node.node} does not answer: not drained (its pods are rescheduled by the "
                                "node lifecycle controller)")
    if control_plane:
        await _leave_etcd(node, credentials, report, others)
    if client is not None and node_name:
        try:
            await client.delete_node(node_name)
            report.node_object_deleted = True
        except KubeAPIError as error:
            if error.status != 404:
                raise
    return report


async def _leave_etcd(node: Target, credentials: Credentials, report: RemovalReport, others: list[Target]) -> None:
    """`talosctl etcd leave` on the node while it answers; else `talosctl etcd remove-member` elsewhere."""
    via, members, _ = await etcd_facts(others, credentials)
    member = next((m for m in members if _member_address(m) == node.node), None)
    if member is None:
        return
    if await _answers(node, credentials):
        async with TalosClient(node.dial, credentials, port=node.port) as client:
            await calls.etcd_leave(client, node=node.node)
        report.etcd = "left"
        return
    async with TalosClient(via.dial, credentials, port=via.port) as client:
        await calls.etcd_remove_member(client, member.id, node=via.node)
    report.etcd = f"removed member {member.id:x} via {via.node}"
