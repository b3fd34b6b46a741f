"""`upgrade-k8s`: static pods one control plane at a time, each waited for through the Kubernetes API, then
kubelets in the given order, then the bootstrap manifests by server-side apply; talosctl's path rule."""

from __future__ import annotations

import asyncio
import itertools
import json
from pathlib import Path

import pytest

from components.talos.api.operations import Target
from components.talos.documents import decode
from components.talos.kube.upgrade import (
    NodeConfigs,
    UpgradeOptions,
    check_path,
    config_image,
    upgrade_kubernetes,
)
from components.talos.rollout import RolloutError

from .emulated import RenderedCluster, emulate, example_definition, fresh_subnet, render
from .kube_support import bootstrapped, kube_client


def test_kubernetes_upgrades_one_minor_at_a_time_and_never_down():
    assert check_path("v1.36.3", "1.37.0") == ("1.36.3", "1.37.0")
    assert check_path("1.36.3", "1.36.5") == ("1.36.3", "1.36.5")
    with pytest.raises(RolloutError, match=r"^node cluster: Kubernetes v1\.36\.3 -> v1\.38\.0 skips a minor version"):
        check_path("1.36.3", "1.38.0")
    with pytest.raises(RolloutError, match="is a downgrade"):
        check_path("1.36.3", "1.35.0")


def _key(version: str | None) -> tuple[int, ...]:
    return tuple(int(x) for x in (version or "v0.0.0").lstrip("v").split("."))


def replay(journal: Path) -> list[dict[str, object]]:
    """Assert the skew policy at every event: no kubelet newer than any running API server."""
    events = [json.loads(line) for line in journal.read_text().splitlines()]
    kubelets: dict[str, str] = {}
    apiservers: dict[str, str] = {}
    for event in events:
        versions = event["versions"]
        if versions["kubelet"]:
            kubelets[event["node"]] = versions["kubelet"]
        if versions["apiserver"]:
            apiservers[event["node"]] = versions["apiserver"]
        if kubelets and apiservers:
            assert max(map(_key, kubelets.values())) <= min(map(_key, apiservers.values())), event
    return events


def homelab_with_proxy(subnet: str) -> RenderedCluster:
    """The homelab example with kube-proxy and Flannel (Talos's defaults), so every manifest is in play."""
    return render(example_definition("homelab", subnet, cilium=False))


def test_a_minor_upgrade_goes_control_plane_by_control_plane_then_kubelets_then_manifests(tmp_path):
    cluster = homelab_with_proxy(fresh_subnet())
    journal = tmp_path / "journal.jsonl"
    log: list[str] = []
    with emulate(cluster, journal=str(journal)) as emulated:
        bootstrapped(cluster, emulated)
        emulated.kubernetes.static_pod_seconds = 0.3  # each restarted static pod is Ready 0.3 s later
        before = len(journal.read_text().splitlines())  # install and bootstrap
        client = kube_client(cluster)
        control_planes = [Target(a) for a in cluster.control_planes]
        order = control_planes + [Target(a) for a in cluster.workers]
        asyncio.run(upgrade_kubernetes(client, control_planes, order, NodeConfigs(cluster.credentials),
                                       cluster.credentials, UpgradeOptions("1.37.0", deadline=20), log.append))
        nodes = asyncio.run(client.nodes())
        pods = asyncio.run(client.pods("kube-system", label_selector="tier=control-plane"))
        proxy = asyncio.run(client.get({"apiVersion": "apps/v1", "kind": "DaemonSet",
                                        "metadata": {"name": "kube-proxy", "namespace": "kube-system"}}))
        configs = {a: emulated.node(a).config for a in cluster.addresses}
    assert {n["status"]["nodeInfo"]["kubeletVersion"] for n in nodes} == {"v1.37.0"}
    assert {p["spec"]["containers"][0]["image"].rsplit(":", 1)[1] for p in pods} == {"v1.37.0"}
    assert proxy is not None and proxy["spec"]["template"]["spec"]["containers"][0]["image"] \
        == "registry.k8s.io/kube-proxy:v1.37.0"
    assert all(c is not None and config_image(c.text, "kubelet").endswith(":v1.37.0") for c in configs.values())
    events = [e for e in replay(journal)[before:] if e["event"] == "apply"]
    applies = [e["node"] for e in events]
    apiserver_times = [float(str(e["t"])) for e in events[:3]]
    assert all(b - a >= 0.3 for a, b in itertools.pairwise(apiserver_times)), \
        "the next control plane's kube-apiserver was patched before the previous pod was Ready"
    cps, workers = cluster.control_planes, cluster.workers
    # apiserver, controller-manager, scheduler, kube-proxy: each over the control planes in turn; then kubelets
    assert applies == cps * 4 + cps + workers
    assert log[0] == f"discovered controlplane nodes {cps!r}"
    assert ' > update kube-apiserver: 1.36.3 -> 1.37.0' in log and "updating manifests" in log
    assert " < updated DaemonSet kube-system/kube-proxy" in log or " < created DaemonSet kube-system/kube-proxy" in log


def test_dry_run_shows_the_plan_and_changes_no_config():
    cluster = render(example_definition("dev", fresh_subnet()))
    log: list[str] = []
    with emulate(cluster) as emulated:
        bootstrapped(cluster, emulated)
        before = {a: emulated.node(a).config for a in cluster.addresses}
        control_planes = [Target(a) for a in cluster.control_planes]
        asyncio.run(upgrade_kubernetes(kube_client(cluster), control_planes,
                                       control_planes + [Target(a) for a in cluster.workers],
                                       NodeConfigs(cluster.credentials), cluster.credentials,
                                       UpgradeOptions("1.37.0", dry_run=True), log.append))
        after = {a: emulated.node(a).config for a in cluster.addresses}
    assert before == after
    assert log.count(" > skipped in dry-run") == 5  # 3 static pods on 1 control plane, 2 kubelets; no kube-proxy
    assert f' > "{cluster.control_planes[0]}": kube-proxy is disabled, skipping' in log


def test_a_two_minor_jump_fails_before_any_node_is_touched():
    cluster = render(example_definition("dev", fresh_subnet()))
    with emulate(cluster) as emulated:
        bootstrapped(cluster, emulated)
        calls_before = len(emulated.calls_to("ApplyConfiguration"))
        with pytest.raises(RolloutError, match="skips a minor version"):
            asyncio.run(upgrade_kubernetes(kube_client(cluster), [Target(cluster.control_planes[0])], [],
                                           NodeConfigs(cluster.credentials), cluster.credentials,
                                           UpgradeOptions("1.38.0")))
        assert len(emulated.calls_to("ApplyConfiguration")) == calls_before


def test_on_talos_v1_14_an_upgrade_rewrites_the_kubernetes_documents_and_leaves_the_v1alpha1_one_alone(tmp_path):
    """Talos v1.14 keeps each component's image in its own document (KubeAPIServerConfig, KubeletConfig, …), where
    new users start: the upgrade rewrites those, and the cluster ends up on the new version node by node."""
    text = example_definition("homelab", fresh_subnet(), cilium=False, release=("v1.14.0", "v1.36.3"))
    assert "talosVersion: v1.14.0" in text and "kubernetesVersion: v1.36.3" in text
    cluster = render(text)
    journal = tmp_path / "journal.jsonl"
    with emulate(cluster, journal=str(journal)) as emulated:
        bootstrapped(cluster, emulated)
        emulated.kubernetes.static_pod_seconds = 0.1
        client = kube_client(cluster)
        control_planes = [Target(a) for a in cluster.control_planes]
        asyncio.run(upgrade_kubernetes(client, control_planes, control_planes + [Target(a) for a in cluster.workers],
                                       NodeConfigs(cluster.credentials), cluster.credentials,
                                       UpgradeOptions("1.37.0", deadline=20)))
        nodes = asyncio.run(client.nodes())
        pods = asyncio.run(client.pods("kube-system", label_selector="tier=control-plane"))
        configs = {a: emulated.node(a).config for a in cluster.addresses}
    replay(journal)  # no kubelet ever newer than an API server
    assert {n["status"]["nodeInfo"]["kubeletVersion"] for n in nodes} == {"v1.37.0"}
    assert {p["spec"]["containers"][0]["image"].rsplit(":", 1)[1] for p in pods} == {"v1.37.0"}
    for address, config in configs.items():
        assert config is not None
        documents = decode(config.text, "machine config")
        v1alpha1 = next(d for d in documents if d.get("version") == "v1alpha1")
        assert "kubelet" not in v1alpha1.get("machine", {}) and "apiServer" not in v1alpha1.get("cluster", {}), \
            f"{address}: the upgrade wrote a v1alpha1 field Talos v1.14 refuses beside its document"
        kinds = {d.get("kind"): d for d in documents}
        assert kinds["KubeletConfig"]["image"].endswith(":v1.37.0"), address
        if address in cluster.control_planes:
            for kind in ("KubeAPIServerConfig", "KubeControllerManagerConfig", "KubeSchedulerConfig"):
                assert kinds[kind]["image"].endswith(":v1.37.0"), (address, kind)
