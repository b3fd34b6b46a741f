"""The Talos layer through the SDK's real provider host, against emulated nodes: what `pulumi up` does."""

from __future__ import annotations

import asyncio
import base64
from dataclasses import replace
from itertools import pairwise

import pytest
import yaml
from cryptography import x509

from components.cluster import ClusterOptions
from components.talos.api import calls, operations
from components.talos.api.client import TalosClient
from components.talos.api.operations import Target
from components.talos.api.tls import Credentials
from components.talos.clientconfig import read_talosconfig
from components.talos.definition import load
from components.talos.pki import chains_to
from components.talos.secrets import SecretsBundle

from .emulated import configure, emulate, example_definition, fresh_subnet, on_loopback, render
from .engine import Engine, ResourceState
from .provider_host import ProviderHost
from .seed import seed_talconfig
from .talos_layer import FAST, run_with, stack_talos_settings, with_node_patch, without_node


def state_of(engine: Engine, name: str) -> ResourceState:
    """The state of the TalosCluster child named talos-<name> (a hostname, "secrets", "health", …)."""
    return next(state for urn, state in engine.state.items() if urn.endswith(f"::talos-{name}"))


def operations_by_name(result: dict[str, str]) -> dict[str, str]:
    return {urn.rsplit("::", 1)[-1]: operation for urn, operation in result.items()}


def definition_text() -> str:
    return example_definition("homelab", fresh_subnet())


@pytest.fixture
def homelab():
    text = definition_text()
    return text, render(text)


# The examples' pin (talhelper's default), and Talos v1.14 with Kubernetes v1.37, where new users start
RELEASES = {"v1.13.9": "v1.36.3", "v1.14.0": "v1.37.0"}


@pytest.mark.parametrize("talos_version", RELEASES)
def test_a_3_plus_2_cluster_comes_up_and_its_talosconfig_and_kubeconfig_work(talos_version):
    text = example_definition("homelab", fresh_subnet(), release=(talos_version, RELEASES[talos_version]))
    cluster = render(text)
    assert cluster.definition.talos_version == talos_version
    definition = load.parse_definition(text, "homelab.yaml", environ={})
    with emulate(cluster), ProviderHost() as host:
        engine = Engine(host)
        result = engine.up(run_with(engine, definition))
        assert set(result.values()) == {"create"} and len(result) == 13  # 12 resources and the component
        entry = read_talosconfig(state_of(engine, "talosconfig").outputs["__talosconfig"], "talosconfig output")
        assert entry["endpoints"] == cluster.control_planes and entry["nodes"] == cluster.addresses
        credentials = Credentials(entry["ca"], entry["crt"], entry["key"])

        async def through_talosconfig() -> tuple[list[str], int]:
            tags = []
            for address in cluster.addresses:
                async with TalosClient(address, credentials) as client:
                    tags.append((await calls.version(client, node=address)).tag)
            async with TalosClient(cluster.control_planes[0], credentials) as client:
                members = await calls.etcd_members(client, node=cluster.control_planes[0])
            return tags, len(members)

        tags, members = asyncio.run(through_talosconfig())
    assert tags == [talos_version] * 5 and members == 3
    bundle = SecretsBundle.from_yaml(state_of(engine, "secrets").outputs["bundle"])
    kubeconfig = yaml.safe_load(state_of(engine, "kubeconfig").outputs["__kubeconfig"])
    certificate = x509.load_pem_x509_certificate(
        base64.b64decode(kubeconfig["users"][0]["user"]["client-certificate-data"]))
    assert chains_to(certificate, x509.load_pem_x509_certificate(bundle.k8s.crt))
    assert kubeconfig["clusters"][0]["cluster"]["server"] == definition.endpoint


def test_a_second_up_with_unchanged_inputs_changes_nothing_and_one_patch_changes_one_node(homelab):
    text, cluster = homelab
    definition = load.parse_definition(text, "homelab.yaml", environ={})
    with emulate(cluster) as emulated, ProviderHost() as host:
        engine = Engine(host)
        engine.up(run_with(engine, definition))
        assert set(engine.up(run_with(engine, definition)).values()) == {"same"}

        before = yaml.safe_load_all(state_of(engine, "worker-01").inputs["masked_config"])
        changed = load.parse_definition(with_node_patch(text, "worker-01"), "homelab.yaml", environ={})
        preview = operations_by_name(engine.preview(run_with(engine, changed)))  # Check and Diff only
        assert {name for name, op in preview.items() if op != "same"} == {"talos-worker-01"}
        shown = {urn.rsplit("::", 1)[-1]: keys for urn, keys in engine.display.items()}
        assert shown == {"talos-worker-01": ["apply_effect", "config", "masked_config"]}  # no output-only noise
        result = operations_by_name(engine.up(run_with(engine, changed)))
        assert {name for name, op in result.items() if op != "same"} == {"talos-worker-01"}
        assert result["talos-worker-01"] == "update"
        assert state_of(engine, "worker-01").inputs["apply_effect"] == "applies in place"  # Talos's own rules
        after = state_of(engine, "worker-01").inputs["masked_config"]
        assert (next(before)["machine"].get("nodeLabels") or {}).get("rack") is None
        assert next(yaml.safe_load_all(after))["machine"]["nodeLabels"]["rack"] == "r2"  # visible in the preview
        assert "******" in after
        received = emulated.node(cluster.workers[0]).config
        assert received is not None and b"rack: r2" in received.text


def test_updates_go_one_control_plane_at_a_time_then_one_worker_at_a_time(homelab):
    text, cluster = homelab
    definition = load.parse_definition(text, "homelab.yaml", environ={})
    everywhere = text + "patches:\n  - |-\n    machine:\n      nodeLabels:\n        zone: z1\n"  # a global patch
    with emulate(cluster, apply_seconds=0.4) as emulated, ProviderHost() as host:
        engine = Engine(host)
        engine.up(run_with(engine, definition))
        started = len(emulated.calls)
        result = operations_by_name(engine.up(run_with(engine, load.parse_definition(everywhere, "h.yaml",
                                                                                     environ={}))))
        assert sorted(name for name, op in result.items() if op == "update") == sorted(
            f"talos-{n.hostname}" for n in definition.nodes)
        applies = [c for c in emulated.calls[started:] if c.method == "ApplyConfiguration" and c.ok]
    control_planes = sorted((c for c in applies if c.address in cluster.control_planes), key=lambda c: c.started)
    workers = [c for c in applies if c.address in cluster.workers]
    assert [c.address for c in control_planes] == cluster.control_planes  # cp-01, then cp-02, then cp-03
    assert all(first.ended <= second.started for first, second in pairwise(control_planes))
    assert len(workers) == 2 and control_planes[-1].ended <= min(w.started for w in workers)
    first, second = sorted(workers, key=lambda c: c.started)
    assert first.ended <= second.started  # the default worker batch is one (components/talos/rollout.py)


def test_an_unreachable_node_fails_after_its_deadline_naming_node_address_and_port(homelab):
    text, cluster = homelab
    definition = load.parse_definition(text, "homelab.yaml", environ={})
    with emulate(cluster) as emulated, ProviderHost() as host:
        emulated.refuse(cluster.workers[1])
        engine = Engine(host)
        with pytest.raises(Exception) as failure:
            engine.up(run_with(engine, definition, options=_short_deadlines()))
    message = str(failure.value)
    assert "node worker-02" in message and f"{cluster.workers[1]}:50000" in message
    assert "port 50000/tcp" in message and "gave up after" in message


def _short_deadlines() -> ClusterOptions:
    return ClusterOptions(apply_timeout=3, bootstrap_timeout=30, health_timeout=30)


def test_a_node_removed_from_the_definition_with_reset_on_destroy_is_wiped_and_no_other(homelab):
    text, cluster = homelab
    definition = load.parse_definition(text, "homelab.yaml", environ={})
    smaller = load.parse_definition(without_node(text, "worker-01"), "homelab.yaml", environ={})
    options = replace(FAST, reset_on_destroy=True)
    config = stack_talos_settings(resetOnDestroy=True)
    with emulate(cluster) as emulated, ProviderHost() as host:
        engine = Engine(host)
        engine.up(run_with(engine, definition, options=options, config=config))
        result = operations_by_name(engine.up(run_with(engine, smaller, options=options, config=config)))
        assert result["talos-worker-01"] == "delete"
        emulated.wait_for(cluster.workers[0], "maintenance")
        assert emulated.node(cluster.workers[0]).config is None
        assert emulated.node(cluster.workers[1]).phase == "running"  # only the removed node is touched


def test_bumping_talos_version_upgrades_every_node_one_control_plane_at_a_time(homelab):
    text, cluster = homelab
    definition = load.parse_definition(text, "homelab.yaml", environ={})
    newer = load.parse_definition(text.replace("talosVersion: v1.13.9", "talosVersion: v1.13.10"), "homelab.yaml",
                                  environ={})
    with emulate(cluster) as emulated, ProviderHost() as host:
        engine = Engine(host)
        engine.up(run_with(engine, definition))
        started = len(emulated.calls)
        result = operations_by_name(engine.up(run_with(engine, newer)))
        assert sorted(name for name, op in result.items() if op == "update") == sorted(
            f"talos-{n.hostname}" for n in definition.nodes)
        assert {address: emulated.node(address).version for address in cluster.addresses} == {
            address: "v1.13.10" for address in cluster.addresses}
        assert state_of(engine, "worker-01").inputs["apply_effect"] == "upgrades to Talos v1.13.10 (reboots)"
        calls_after = emulated.calls[started:]
    upgrades = [c for c in calls_after if c.method == "Upgrade"]
    assert {c.path for c in upgrades} == {"/machine.LifecycleService/Upgrade"}  # v1.13 nodes
    control_plane_upgrades = sorted((c for c in upgrades if c.address in cluster.control_planes),
                                    key=lambda c: c.started)
    assert [c.address for c in control_plane_upgrades] == cluster.control_planes
    applies = {c.address: c for c in calls_after if c.method == "ApplyConfiguration" and c.ok}
    for previous, following in pairwise(cluster.control_planes):
        assert applies[previous].ended <= next(c for c in upgrades if c.address == following).started


def test_health_names_a_kubespan_peer_the_first_control_plane_cannot_reach():
    text = on_loopback(seed_talconfig("homelab-talos-dev"), fresh_subnet())  # the article: KubeSpan on
    cluster = render(text)
    definition = load.parse_definition(text, "talconfig.yaml", environ={})
    options = ClusterOptions(apply_timeout=60, bootstrap_timeout=60, health_timeout=4)
    first, unreachable = cluster.control_planes[0], cluster.workers[-1]
    with emulate(cluster) as emulated, ProviderHost() as host:
        emulated.cut(first, unreachable)  # as with UDP 51820 closed at the article's router
        engine = Engine(host)
        with pytest.raises(Exception) as failure:
            engine.up(run_with(engine, definition, options=options))
    message = str(failure.value)
    assert f"KubeSpan: {first} cannot reach peer worker-02 at {unreachable}:51820 (state down)" in message
    assert "UDP 51820" in message


def test_a_kubespan_cluster_is_healthy_when_every_peer_is_up():
    text = on_loopback(seed_talconfig("homelab-talos-dev"), fresh_subnet())
    cluster = render(text)
    definition = load.parse_definition(text, "talconfig.yaml", environ={})
    with emulate(cluster), ProviderHost() as host:
        engine = Engine(host)
        result = engine.up(run_with(engine, definition))
    assert set(result.values()) == {"create"}
    health = state_of(engine, "health")
    assert health.inputs["kubespan"] is True and health.outputs["__nodes_healthy"] == 5


def test_a_running_cluster_is_adopted_with_its_imported_secrets_without_reinstalling_anything(homelab):
    text, cluster = homelab
    definition = load.parse_definition(text, "homelab.yaml", environ={})
    with emulate(cluster) as emulated, ProviderHost() as host:
        configure(cluster)  # the article's cluster, set up by hand with talosctl
        asyncio.run(operations.bootstrap(Target(cluster.control_planes[0]), cluster.credentials, deadline=30))
        before = {address: emulated.node(address).config for address in cluster.addresses}
        engine = Engine(host)
        result = engine.up(run_with(engine, definition, imported_secrets=cluster.bundle.to_yaml()))
        assert set(result.values()) == {"create"}
        assert all(not state.outputs["__applied_insecure"] for urn, state in engine.state.items()
                   if "MachineConfigApply" in urn)
        assert state_of(engine, "bootstrap").outputs["__already_bootstrapped"] is True
        assert all(emulated.node(address).phase == "running" for address in cluster.addresses)
        after = {address: emulated.node(address).config for address in cluster.addresses}
    assert {a: c.text if c else None for a, c in after.items()} == {a: c.text if c else None
                                                                   for a, c in before.items()}
    assert state_of(engine, "secrets").outputs["bundle"] == cluster.bundle.to_yaml()
