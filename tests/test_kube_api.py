"""The Kubernetes API the emulated control planes serve, through the project's client: Nodes with their
kubelet versions and Ready condition, static pods, cordon, evictions, server-side apply, Node delete."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from components.talos.api import operations
from components.talos.api.operations import Target
from components.talos.kube.client import KubeAPIError, KubeClient, KubeCredentials
from components.talos.secrets import SecretsBundle
from components.talos.versions import parse_contract

from .emulated import RenderedCluster, emulate, example_definition, fresh_subnet, render
from .emulator.kubeapi import CHUNKING_THRESHOLD
from .kube_support import bootstrapped, kube_client, kube_credentials


@pytest.fixture
def dev() -> RenderedCluster:
    return render(example_definition("dev", fresh_subnet()))


def ready(node: dict[str, Any]) -> str:
    return str(next(c["status"] for c in node["status"]["conditions"] if c["type"] == "Ready"))


def test_nodes_report_the_kubelet_version_of_their_config_and_are_ready_only_once_a_cni_runs(dev):
    with emulate(dev) as emulated:
        bootstrapped(dev, emulated, cni=False)
        client = kube_client(dev)
        listed = asyncio.run(client.nodes())
        assert len(json.dumps(listed)) > CHUNKING_THRESHOLD  # the list came chunked, as from Go's net/http
        nodes = {n["metadata"]["name"]: n for n in listed}
        assert {n["status"]["nodeInfo"]["kubeletVersion"] for n in nodes.values()} == {"v1.36.3"}
        assert {ready(n) for n in nodes.values()} == {"False"}  # the dev stack has `cni: none`
        control_plane = next(n for n in nodes.values()
                             if "node-role.kubernetes.io/control-plane" in n["metadata"]["labels"])
        assert control_plane["status"]["addresses"][0] == {"type": "InternalIP", "address": dev.control_planes[0]}
        emulated.kubernetes.cni_installed = True
        assert {ready(n) for n in asyncio.run(client.nodes())} == {"True"}


def test_control_planes_run_static_pods_named_after_the_host_with_the_configured_images(dev):
    with emulate(dev) as emulated:
        bootstrapped(dev, emulated)
        pods = asyncio.run(kube_client(dev).pods("kube-system", label_selector="tier=control-plane"))
        hostname = emulated.node(dev.control_planes[0]).hostname
        images = {p["metadata"]["name"]: p["spec"]["containers"][0]["image"] for p in pods}
        assert images == {f"kube-apiserver-{hostname}": "registry.k8s.io/kube-apiserver:v1.36.3",
                          f"kube-controller-manager-{hostname}": "registry.k8s.io/kube-controller-manager:v1.36.3",
                          f"kube-scheduler-{hostname}": "registry.k8s.io/kube-scheduler:v1.36.3"}


def test_the_api_server_is_refused_with_another_clusters_ca_and_serves_only_control_plane_addresses(dev):
    other = SecretsBundle.generate(parse_contract(dev.definition.talos_version))
    with emulate(dev) as emulated:
        bootstrapped(dev, emulated)
        mine = kube_credentials(dev)
        stranger = KubeClient(kube_client(dev).server, KubeCredentials(other.k8s.crt, mine.crt, mine.key))
        with pytest.raises(KubeAPIError) as refused:
            asyncio.run(stranger.nodes())
        assert "x509" in str(refused.value) and not refused.value.transient
        with pytest.raises(KubeAPIError) as worker:
            asyncio.run(kube_client(dev, dev.workers[0]).nodes())
        assert worker.value.transient  # nothing listens on a worker's 6443


def test_cordon_then_eviction_waits_out_a_disruption_budget_and_deletes_the_pod(dev):
    with emulate(dev) as emulated:
        bootstrapped(dev, emulated)
        client = kube_client(dev)
        worker = emulated.node(dev.workers[0]).hostname
        emulated.kubernetes.add_workload(worker, "web-7d9f-abcde", blocked_evictions=1)

        async def scenario() -> tuple[dict[str, Any], KubeAPIError, list[str]]:
            cordoned = await client.set_unschedulable(worker, True)
            with pytest.raises(KubeAPIError) as budget:
                await client.evict("default", "web-7d9f-abcde")
            await client.evict("default", "web-7d9f-abcde")
            await asyncio.sleep(0.2)
            left = [p["metadata"]["name"] for p in await client.pods(field_selector=f"spec.nodeName={worker}")]
            return cordoned, budget.value, left

        cordoned, budget, left = asyncio.run(scenario())
        assert cordoned["spec"]["unschedulable"] is True
        assert (budget.status, budget.reason, budget.transient) == (429, "TooManyRequests", True)
        assert "disruption budget" in str(budget)
        assert left == []


def test_server_side_apply_needs_a_field_manager_and_creates_then_updates(dev):
    daemonset = {"apiVersion": "apps/v1", "kind": "DaemonSet",
                 "metadata": {"name": "kube-proxy", "namespace": "kube-system"},
                 "spec": {"template": {"spec": {"containers": [{"name": "kube-proxy",
                                                                "image": "registry.k8s.io/kube-proxy:v1.36.3"}]}}}}
    with emulate(dev) as emulated:
        bootstrapped(dev, emulated)
        client = kube_client(dev)

        async def scenario() -> tuple[KubeAPIError, dict[str, Any] | None, dict[str, Any] | None]:
            with pytest.raises(KubeAPIError) as unmanaged:
                await client.apply(daemonset, field_manager="")
            await client.apply(daemonset)
            newer = {**daemonset, "spec": {"template": {"spec": {"containers": [
                {"name": "kube-proxy", "image": "registry.k8s.io/kube-proxy:v1.37.0"}]}}}}
            await client.apply(newer)
            return unmanaged.value, await client.get(daemonset), await client.get({**daemonset, "metadata": {
                "name": "absent", "namespace": "kube-system"}})

        unmanaged, stored, absent = asyncio.run(scenario())
        assert unmanaged.status == 422 and "fieldManager: Required value" in str(unmanaged)
        assert stored is not None and stored["metadata"]["managedFields"][0]["manager"] == "talos"
        assert stored["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":v1.37.0")
        assert absent is None


def test_a_deleted_node_object_is_gone_from_the_node_list(dev):
    with emulate(dev) as emulated:
        bootstrapped(dev, emulated)
        client = kube_client(dev)
        worker = emulated.node(dev.workers[0]).hostname

        async def scenario() -> list[str]:
            await client.delete_node(worker)
            with pytest.raises(KubeAPIError) as missing:
                await client.node(worker)
            assert missing.value.status == 404 and f'nodes "{worker}" not found' in str(missing.value)
            return [n["metadata"]["name"] for n in await client.nodes()]

        assert worker not in asyncio.run(scenario())


def test_a_talos_upgrade_drains_the_node_and_uncordons_it_only_if_talos_cordoned_it(dev):
    with emulate(dev) as emulated:
        bootstrapped(dev, emulated)
        client = kube_client(dev)
        worker, control_plane = dev.workers[0], dev.control_planes[0]
        hostname = emulated.node(worker).hostname
        emulated.kubernetes.add_workload(hostname, "web-5f6d-q1")
        asyncio.run(client.set_unschedulable(emulated.node(control_plane).hostname, True))  # cordoned by hand
        for address in (worker, control_plane):
            asyncio.run(operations.upgrade(Target(address), "factory.talos.dev/installer/abc:v1.13.10",
                                           dev.credentials, deadline=20))
        # the only control plane's kube-apiserver starts after its Talos API answers again: wait for it
        nodes = {n["metadata"]["name"]: n for n in asyncio.run(_when_api_answers(client))}
        pods = asyncio.run(client.pods(field_selector=f"spec.nodeName={hostname}"))
    assert not nodes[hostname]["spec"].get("unschedulable")  # Talos uncordoned the node it cordoned
    assert nodes[emulated.node(control_plane).hostname]["spec"]["unschedulable"] is True  # the user's cordon stays
    assert pods == []  # drained before the upgrade's reboot


async def _when_api_answers(client: Any, seconds: float = 15.0) -> list[dict[str, Any]]:
    end = asyncio.get_running_loop().time() + seconds
    while True:
        try:
            return list(await client.nodes())
        except KubeAPIError:
            if asyncio.get_running_loop().time() > end:
                raise
            await asyncio.sleep(0.1)
