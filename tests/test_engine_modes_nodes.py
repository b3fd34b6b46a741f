"""The product's promises under each engine mode (tests/engine_modes.md), through the engine stand-in and
emulated nodes: protectSecrets stops every kind of destroy, resetOnDestroy takes effect when the README says,
node removals run in the rollout's waves when the engine deletes them at once, and `pulumi up --target` of a
removed node either removes it properly or touches nothing."""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import replace
from pathlib import Path

import pytest

from benchmarks.up_emulated import definition_text
from components.talos.api import calls
from components.talos.api.client import TalosClient
from components.talos.definition import load
from components.talos.definition.model import ClusterDefinition

from .emulated import RenderedCluster, emulate, fresh_subnet, render
from .emulator import EmulatedCluster
from .engine import Engine, StepFailed
from .provider_host import ProviderHost
from .talos_layer import FAST, run_with, stack_talos_settings, without_node
from .test_engine_safety import names, resets, stack_credentials, urn_of

RESET_ON = replace(FAST, reset_on_destroy=True)  # protectSecrets off, as FAST
PROTECTED = replace(RESET_ON, protect_secrets=True)
RESET_ON_CONFIG = stack_talos_settings(resetOnDestroy=True, protectSecrets=False)
PROTECTED_CONFIG = stack_talos_settings(resetOnDestroy=True)  # protectSecrets: the default, on


def parsed(text: str) -> ClusterDefinition:
    return load.parse_definition(text, "bench.yaml", environ={})


def small() -> tuple[str, RenderedCluster]:
    text = definition_text(fresh_subnet(), 1, 1)
    return text, render(text)


def all_running(emulated: EmulatedCluster, cluster: RenderedCluster) -> bool:
    return all(emulated.node(address).phase == "running" and emulated.node(address).config is not None
               for address in cluster.addresses)


def journal_events(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def node_objects(emulated: EmulatedCluster) -> set[str]:
    async def names_now() -> set[str]:  # read on the emulator's loop, as its API server does
        return {node["metadata"]["name"] for node in emulated.kubernetes.nodes()}

    return emulated.run(names_now())


# ---------------------------------------------------------------------- protectSecrets

def test_protect_secrets_on_stops_every_destroy_until_an_up_turns_it_off_and_no_node_is_reset_before():
    text, cluster = small()
    with emulate(cluster) as emulated, ProviderHost(config=PROTECTED_CONFIG) as host:
        engine = Engine(host)
        engine.up(run_with(engine, parsed(text), PROTECTED, config=PROTECTED_CONFIG))
        resources = len(engine.state)
        with pytest.raises(StepFailed, match=r"talos-protectSecrets\" cannot be deleted\nbecause it is protected"):
            engine.destroy()  # pulumi destroy: its preview fails
        with pytest.raises(StepFailed, match=r"talos-protectSecrets\" cannot be deleted\nbecause it is protected"):
            engine.destroy(skip_preview=True)  # pulumi destroy --skip-preview; --remote; Automation API destroy()
        assert engine.destroy(exclude_protected=True) == {}  # the guard keeps everything: nothing unprotected
        with pytest.raises(StepFailed, match=r"talos-cluster:talos\.protectSecrets is on"):
            # pulumi destroy --skip-preview --ignore-protect --continue-on-error: the guard refuses, naming it
            engine.destroy(skip_preview=True, ignore_protect=True, continue_on_error=True)
        engine.unprotect(*engine.state)  # pulumi state unprotect --all
        with pytest.raises(StepFailed, match=r"talos-cluster:talos\.protectSecrets is on"):
            engine.destroy()
        assert resets(emulated) == [] and all_running(emulated, cluster)
        assert len(engine.state) == resources  # nothing deleted: not a node, not the bundle, not a health check

        applies = len(emulated.calls_to("ApplyConfiguration"))
        engine.up(run_with(engine, parsed(text), RESET_ON, config=RESET_ON_CONFIG))  # protectSecrets: false
        assert len(emulated.calls_to("ApplyConfiguration")) == applies  # a setting: no node contacted
        engine.destroy(skip_preview=True)  # the Automation API's Stack.destroy()
        assert engine.state == {} and sorted(resets(emulated)) == sorted(cluster.addresses)
        assert emulated.calls_to("EtcdLeaveCluster") == []  # a destroy takes the whole cluster: nothing to leave


# ---------------------------------------------------------------------- resetOnDestroy

def test_reset_on_destroy_turned_off_without_an_up_still_resets_at_pulumi_destroy_as_the_readme_says():
    text, cluster = small()
    with emulate(cluster) as emulated, ProviderHost(config=RESET_ON_CONFIG) as host:
        engine = Engine(host)
        engine.up(run_with(engine, parsed(text), RESET_ON, config=RESET_ON_CONFIG))
        # Pulumi.<stack>.yaml now says resetOnDestroy: false, but no `up` ran: the engine configures the
        # provider of a plain `pulumi destroy` with the config recorded at the last up
        engine.destroy()
        assert sorted(resets(emulated)) == sorted(cluster.addresses)


def test_reset_on_destroy_turned_off_takes_effect_at_the_next_up_without_contacting_a_node():
    text, cluster = small()
    off = stack_talos_settings(resetOnDestroy=False, protectSecrets=False)
    with emulate(cluster) as emulated, ProviderHost(config=RESET_ON_CONFIG) as host:
        engine = Engine(host)
        engine.up(run_with(engine, parsed(text), RESET_ON, config=RESET_ON_CONFIG))
        applies = len(emulated.calls_to("ApplyConfiguration"))
        engine.up(run_with(engine, parsed(text), FAST, config=off))
        engine.destroy()
        assert len(emulated.calls_to("ApplyConfiguration")) == applies
        assert resets(emulated) == [] and all_running(emulated, cluster)


# ---------------------------------------------------------------------- removals deleted at once

def test_two_of_five_control_planes_and_a_worker_removed_in_one_up_leave_one_at_a_time_and_etcd_keeps_quorum(
        tmp_path: Path) -> None:
    text = definition_text(fresh_subnet(), 5, 2)
    cluster = render(text)
    journal = tmp_path / "journal.jsonl"
    leaving = {"controlplane-03", "controlplane-05", "worker-07"}
    smaller = text
    for hostname in leaving:
        smaller = without_node(smaller, hostname)
    with emulate(cluster, journal=str(journal)) as emulated, ProviderHost() as host:
        engine = Engine(host)
        engine.up(run_with(engine, parsed(text)))
        removal_started = emulated.journal_time()
        result = names(engine.up(run_with(engine, parsed(smaller))))
        assert {name for name, op in result.items() if op == "delete"} == {f"talos-{h}" for h in leaving}
        deletes = [step for step in engine.steps if step.operation == "delete"]
        assert len(deletes) == 3 and max(s.started for s in deletes) < min(s.ended for s in deletes)  # at once

        async def members() -> list[str]:
            first = cluster.control_planes[0]
            async with TalosClient(first, stack_credentials(engine)) as client:
                return sorted(member.hostname for member in await calls.etcd_members(client, node=first))

        assert asyncio.run(members()) == ["controlplane-01", "controlplane-02", "controlplane-04"]
        assert node_objects(emulated) == {"controlplane-01", "controlplane-02", "controlplane-04", "worker-06"}
        address_of = {node.hostname: node.ip_address for node in parsed(text).nodes}
    events = [e for e in journal_events(journal) if float(str(e["t"])) >= removal_started]
    # each removal, from its cordon to its Node object's delete, alone: the rollout's waves at workerBatch 1
    spans = sorted((min(float(str(e["t"])) for e in events if e["node"] == address_of[h] and e["event"] == "drain"),
                    max(float(str(e["t"])) for e in events if e["node"] == address_of[h]
                        and e["event"] == "node-delete")) for h in leaving)
    assert all(earlier[1] <= later[0] for earlier, later in itertools.pairwise(spans)), spans
    in_etcd = 5  # etcd membership replayed: never below three, one leave at a time
    for event in events:
        in_etcd += {"etcd-join": 1, "etcd-leave": -1}.get(str(event["event"]), 0)
        assert in_etcd >= 3


# ---------------------------------------------------------------------- --target

def test_pulumi_up_target_of_a_removed_worker_touches_nothing_and_with_the_guard_targeted_drains_it():
    text = definition_text(fresh_subnet(), 1, 1)
    cluster = render(text)
    worker = cluster.workers[0]
    smaller = parsed(without_node(text, "worker-02"))
    with emulate(cluster) as emulated, ProviderHost(config=RESET_ON_CONFIG) as host:
        engine = Engine(host)
        engine.up(run_with(engine, parsed(text), RESET_ON, config=RESET_ON_CONFIG))
        removed = urn_of(engine, "talos-worker-02")
        with pytest.raises(StepFailed, match=r"worker-02 .*not deleted, nothing touched.*--target"):
            engine.up(run_with(engine, smaller, RESET_ON, config=RESET_ON_CONFIG), targets=[removed])
        assert removed in engine.state and "worker-02" in node_objects(emulated)
        assert resets(emulated) == [] and emulated.calls_to("EtcdLeaveCluster") == []
        assert all_running(emulated, cluster)
        engine.up(run_with(engine, smaller, RESET_ON, config=RESET_ON_CONFIG),
                  targets=[removed, "**DestroyGuard::*"])  # as the refusal says
        assert removed not in engine.state and "worker-02" not in node_objects(emulated)
        assert resets(emulated) == [worker]  # drained and gone from Kubernetes first, then reset as configured
