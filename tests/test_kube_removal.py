"""Node removal: cordon and drain, etcd leave or remove-member, Node object deleted; never the last control
plane, never below etcd quorum without the explicit flag."""

from __future__ import annotations

import asyncio
import json

import pytest

from components.talos.api import calls
from components.talos.api.client import TalosClient
from components.talos.api.operations import Target
from components.talos.api.tls import Credentials
from components.talos.kube.removal import RemovalRefused, check_etcd_removal, remove_node

from .emulated import RenderedCluster, emulate, example_definition, fresh_subnet, render
from .kube_support import bootstrapped, kube_client, kube_credentials


@pytest.fixture
def homelab() -> RenderedCluster:
    return render(example_definition("homelab", fresh_subnet()))


def test_the_last_control_plane_is_never_removed():
    with pytest.raises(RemovalRefused, match="last control plane"):
        check_etcd_removal(["a"], {"a"}, ["a"], allow_below_quorum=True)


def test_the_only_control_plane_is_refused_before_anything_is_asked():
    lone = Target("127.0.0.254")  # nothing listens there: the refusal needs no node
    with pytest.raises(RemovalRefused, match=r"127\.0\.0\.254: it is the last control plane"):
        asyncio.run(remove_node(lone, [lone], Credentials(b"", b"", b""), Credentials(b"", b"", b""),
                                control_plane=True))


def test_a_removal_that_leaves_etcd_below_quorum_needs_the_explicit_flag():
    members, healthy = ["a", "b", "c"], {"a", "b"}  # c is down
    with pytest.raises(RemovalRefused, match="keep 1 healthy of 2 members, below quorum 2"):
        check_etcd_removal(members, healthy, ["b"])
    check_etcd_removal(members, healthy, ["b"], allow_below_quorum=True)
    check_etcd_removal(members, healthy, ["c"])  # removing the dead member first is safe


def test_no_removal_is_attempted_while_etcd_has_no_quorum():
    with pytest.raises(RemovalRefused, match="1 healthy of 3 members, below quorum 2"):
        check_etcd_removal(["a", "b", "c"], {"a"}, ["c"], allow_below_quorum=True)


def members_of(cluster: RenderedCluster, address: str) -> list[str]:
    async def members() -> list[str]:
        async with TalosClient(address, cluster.credentials) as client:
            return sorted(m.hostname for m in await calls.etcd_members(client, node=address))

    return asyncio.run(members())


def test_removing_a_worker_drains_it_and_deletes_its_node_object(homelab, tmp_path):
    journal = tmp_path / "journal.jsonl"
    with emulate(homelab, journal=str(journal)) as emulated:
        bootstrapped(homelab, emulated)
        worker = homelab.workers[0]
        hostname = emulated.node(worker).hostname
        emulated.kubernetes.add_workload(hostname, "web-6b7c-x1", blocked_evictions=1)
        emulated.kubernetes.add_workload(hostname, "cilium-x2", "kube-system", daemonset=True)
        report = asyncio.run(remove_node(Target(worker), [Target(a) for a in homelab.control_planes],
                                         homelab.credentials, kube_credentials(homelab), control_plane=False,
                                         drain_deadline=10))
        assert report.evicted == ["default/web-6b7c-x1"]  # the DaemonSet pod stays, as with --ignore-daemonsets
        assert report.node_object_deleted and report.etcd == ""
        names = [n["metadata"]["name"] for n in asyncio.run(kube_client(homelab).nodes())]
        assert hostname not in names and len(names) == 4
        assert len(members_of(homelab, homelab.control_planes[0])) == 3
    events = [(e["node"], e["event"]) for e in map(json.loads, journal.read_text().splitlines())]
    assert events.index((worker, "drain")) < events.index((worker, "node-delete"))


def test_removing_a_running_control_plane_makes_it_leave_etcd(homelab):
    with emulate(homelab) as emulated:
        bootstrapped(homelab, emulated)
        leaving = homelab.control_planes[2]
        report = asyncio.run(remove_node(Target(leaving), [Target(a) for a in homelab.control_planes],
                                         homelab.credentials, kube_credentials(homelab), control_plane=True))
        assert report.etcd == "left" and report.node_object_deleted
        assert emulated.node(leaving).hostname not in members_of(homelab, homelab.control_planes[0])
        assert len(members_of(homelab, homelab.control_planes[0])) == 2


def test_a_control_plane_that_is_gone_is_removed_from_etcd_by_another(homelab):
    with emulate(homelab) as emulated:
        bootstrapped(homelab, emulated)
        gone = homelab.control_planes[1]
        emulated.refuse(gone)
        emulated.node(gone).phase = "off"  # powered off: etcd on it is stopped too
        report = asyncio.run(remove_node(Target(gone), [Target(a) for a in homelab.control_planes],
                                         homelab.credentials, kube_credentials(homelab), control_plane=True))
        assert report.etcd.startswith("removed member ") and report.etcd.endswith(f"via {homelab.control_planes[0]}")
        assert report.evicted == [] and any("does not answer" in note for note in report.notes)
        assert len(members_of(homelab, homelab.control_planes[0])) == 2


def test_removing_a_healthy_control_plane_while_another_is_down_is_refused_before_anything_changes(homelab):
    with emulate(homelab) as emulated:
        bootstrapped(homelab, emulated)
        down, leaving = homelab.control_planes[1], homelab.control_planes[2]
        emulated.refuse(down)
        emulated.node(down).phase = "off"
        with pytest.raises(RemovalRefused, match="below quorum 2"):
            asyncio.run(remove_node(Target(leaving), [Target(a) for a in homelab.control_planes],
                                    homelab.credentials, kube_credentials(homelab), control_plane=True))
        assert len(members_of(homelab, homelab.control_planes[0])) == 3
        node = asyncio.run(kube_client(homelab).node(emulated.node(leaving).hostname))
        assert not node["spec"].get("unschedulable")  # not even cordoned


def test_a_reset_without_graceful_leaves_the_control_planes_etcd_member_behind(homelab):
    with emulate(homelab) as emulated:
        bootstrapped(homelab, emulated)
        first, wiped = homelab.control_planes[0], homelab.control_planes[2]

        async def reset() -> None:
            async with TalosClient(wiped, homelab.credentials) as client:
                await calls.reset(client, graceful=False, reboot=True, node=wiped)

        asyncio.run(reset())
        emulated.wait_for(wiped, "maintenance")
        assert len(members_of(homelab, first)) == 3  # Talos leaves etcd only in a graceful reset
