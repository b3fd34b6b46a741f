"""Staged health as `talosctl health` runs it: the failure names the stage still failing (etcd, Talos
services, API, control-plane pods, node Ready, node schedulable), in talosctl's order."""

from __future__ import annotations

import asyncio

import pytest

from components.talos.api import operations
from components.talos.api.operations import HealthReport, Target
from components.talos.errors import TalosError
from components.talos.kube.client import KubeCredentials
from components.talos.kube.health import KubernetesChecks, bootstrap_cni, cni_disabled, forced_server
from components.talos.secrets import SecretsBundle
from components.talos.versions import contract_of, parse_contract

from .emulated import RenderedCluster, configure, emulate, example_definition, fresh_subnet, on_loopback, render
from .kube_support import bootstrapped, kube_client, kube_credentials
from .seed import seed_talconfig
from .test_emulated_node_behaviour import apply, patched


@pytest.fixture
def dev() -> RenderedCluster:
    return render(example_definition("dev", fresh_subnet()))


def check(cluster: RenderedCluster, checks: KubernetesChecks | None) -> HealthReport:
    return asyncio.run(operations.check_health([Target(a) for a in cluster.control_planes],
                                               [Target(a) for a in cluster.workers], cluster.credentials,
                                               kubernetes=checks))


def test_before_bootstrap_health_fails_at_the_etcd_stage_within_the_callers_deadline(dev):
    with emulate(dev):
        configure(dev)
        with pytest.raises(TalosError) as failed:
            asyncio.run(operations.wait_healthy([Target(dev.control_planes[0])], [Target(dev.workers[0])],
                                                dev.credentials, deadline=2, interval=0.1,
                                                kubernetes=KubernetesChecks(kube_credentials(dev))))
        # 2 s leaves a loaded machine time to connect, so the last failure seen is etcd's, not a slow connect
        assert str(failed.value).startswith("cluster not healthy after 2s: etcd: ")
        assert "service etcd is" in str(failed.value)


def test_an_api_server_that_does_not_trust_us_fails_the_api_stage(dev):
    other = SecretsBundle.generate(parse_contract(dev.definition.talos_version))
    with emulate(dev) as emulated:
        bootstrapped(dev, emulated)
        mine = kube_credentials(dev)
        report = check(dev, KubernetesChecks(KubeCredentials(other.k8s.crt, mine.crt, mine.key)))
        assert report.stage == "API" and "x509" in report.problems[0]


def test_without_a_cni_nodes_fail_the_node_ready_stage_unless_that_check_is_off(dev):
    with emulate(dev) as emulated:
        bootstrapped(dev, emulated, cni=False)
        report = check(dev, KubernetesChecks(kube_credentials(dev)))
        assert report.stage == "node Ready" and len(report.problems) == 2
        assert "is not Ready: KubeletNotReady: container runtime network not ready" in report.problems[0]
        assert check(dev, KubernetesChecks(kube_credentials(dev), nodes_ready=False)).healthy
        emulated.kubernetes.cni_installed = True
        assert check(dev, KubernetesChecks(kube_credentials(dev))).healthy


def test_a_restarting_static_pod_fails_the_control_plane_pods_stage_and_a_restarting_api_server_the_api_stage(dev):
    control_plane = dev.control_planes[0]
    scheduler = patched(dev, control_plane, "cluster:\n  scheduler:\n    image: "
                                            "registry.k8s.io/kube-scheduler:v1.37.0\n")
    with emulate(dev) as emulated:
        bootstrapped(dev, emulated)
        emulated.kubernetes.static_pod_seconds = 60
        asyncio.run(apply(dev, control_plane, scheduler, "no-reboot"))
        report = check(dev, KubernetesChecks(kube_credentials(dev)))
        hostname = emulated.node(control_plane).hostname
        assert report.stage == "control-plane pods"
        assert report.problems == [f"{control_plane}: static pod kube-scheduler-{hostname} is not ready"]
        apiserver = patched(dev, control_plane, "cluster:\n  apiServer:\n    image: "
                                                "registry.k8s.io/kube-apiserver:v1.37.0\n")
        asyncio.run(apply(dev, control_plane, apiserver, "no-reboot"))
        report = check(dev, KubernetesChecks(kube_credentials(dev)))
        assert report.stage == "API" and control_plane in report.problems[0]  # the only API server restarts


def test_a_cordoned_node_fails_the_schedulable_stage(dev):
    with emulate(dev) as emulated:
        bootstrapped(dev, emulated)
        worker = emulated.node(dev.workers[0]).hostname
        asyncio.run(kube_client(dev).set_unschedulable(worker, True))
        report = check(dev, KubernetesChecks(kube_credentials(dev)))
        assert report.stage == "node schedulable"
        assert report.problems == [f"node {worker} ({dev.workers[0]}) is cordoned (spec.unschedulable)"]
        assert check(dev, KubernetesChecks(kube_credentials(dev), schedulable=False)).healthy


def test_an_unreachable_kubespan_peer_fails_the_kubespan_stage_before_the_kubernetes_ones():
    cluster = render(on_loopback(seed_talconfig("homelab-talos-dev"), fresh_subnet()))  # the article: KubeSpan on
    first, unreachable = cluster.control_planes[0], cluster.workers[-1]
    with emulate(cluster) as emulated:
        bootstrapped(cluster, emulated)
        emulated.cut(first, unreachable)  # UDP 51820 closed between them
        report = asyncio.run(operations.check_health(
            [Target(a) for a in cluster.control_planes], [Target(a) for a in cluster.workers], cluster.credentials,
            kubespan_peers=len(cluster.addresses) - 1, kubernetes=KubernetesChecks(kube_credentials(cluster))))
    assert report.stage == "KubeSpan peer"
    assert report.problems == [f"KubeSpan: {first} cannot reach peer worker-02 at {unreachable}:51820 (state down); "
                               "check that UDP 51820 is open towards it"]


@pytest.mark.parametrize(("given", "server"), [
    ("10.5.0.2", "https://10.5.0.2:6443"), ("10.5.0.2:7445", "https://10.5.0.2:7445"),
    ("https://vip.lan", "https://vip.lan:6443"), ("fd00::1", "https://[fd00::1]:6443"),
    ("[fd00::1]:443", "https://[fd00::1]:443")])
def test_k8s_endpoint_takes_host_or_host_port_as_talosctl_health_does(given, server):
    assert forced_server(given) == server


def test_nodes_ready_is_skipped_only_when_talos_deploys_no_cni():
    """BootstrapManifestsConfig's CNI name as each release sets it (k8s/control_plane.go)."""
    v1_13, v1_14 = contract_of("v1.13.9"), contract_of("v1.14.0")
    legacy = {"version": "v1alpha1", "machine": {}, "cluster": {"network": {}}}
    named = {**legacy, "cluster": {"network": {"cni": {"name": "custom"}}}}
    no_network = {"version": "v1alpha1", "machine": {}, "cluster": {}}
    # Up to v1.13 the legacy name, flannel by default.
    assert bootstrap_cni([legacy], v1_13) == "flannel"
    assert bootstrap_cni([no_network], v1_13) == "flannel"
    assert cni_disabled([{**legacy, "cluster": {"network": {"cni": {"name": "none"}}}}], v1_13)
    assert not cni_disabled([named], v1_13)
    # From v1.14 flannel or none: a KubeFlannelCNIConfig document, else a legacy network section naming flannel.
    assert bootstrap_cni([legacy, {"kind": "KubeClusterConfig"}, {"kind": "KubeFlannelCNIConfig"}], v1_14) == "flannel"
    assert bootstrap_cni([legacy, {"kind": "KubeClusterConfig"}], v1_14) == "flannel"
    assert cni_disabled([no_network, {"kind": "KubeClusterConfig"}], v1_14)
    assert cni_disabled([named], v1_14)  # a custom CNI: Talos deploys none, and health skips Ready nodes
