"""Preview in a pull request: no node is reachable, yet Check and Diff of every resource succeed, and the
program graph (types, parents, dependencies, secrets) is what the Talos layer promises."""

from __future__ import annotations

import copy

import grpc
import pytest
from pulumi.runtime.rpc import UNKNOWN

from components.talos.definition import load
from components.talos.definition.model import ClusterDefinition

from .conftest import ROOT
from .emulated import example_definition, fresh_subnet
from .provider_host import ProviderHost
from .talos_layer import OfflineOutputs, run_offline, with_node_patch

TYPE = "pulumi-python:dynamic/talos:"


def homelab() -> ClusterDefinition:
    return load.parse_definition(example_definition("homelab", fresh_subnet()), "homelab.yaml", environ={})


def test_check_and_diff_of_every_resource_succeed_with_every_connection_failing():
    text = example_definition("homelab", fresh_subnet())
    state = OfflineOutputs()
    current = run_offline(load.parse_definition(text, "homelab.yaml", environ={}), outputs=state)  # a stack's state
    proposed = run_offline(load.parse_definition(with_node_patch(text, "worker-01"), "homelab.yaml", environ={}),
                           outputs=state)
    network_off = {"PYTHONPATH": str(ROOT / "tests" / "no_network")}
    with ProviderHost(env=network_off) as host:
        changed = set()
        olds = {r.urn: r for r in current.registrations}
        for new in proposed.registrations:
            old = olds[new.urn]
            if not old.dynamic:
                continue
            checked = host.check(new.urn, old.inputs, new.inputs)
            assert not checked.failures, (new.name, checked.failures)
            if host.diff(new.urn, old.name, old.outputs, checked.inputs).changes:
                changed.add(new.name)
            if new.type.endswith("MachineConfigApply"):
                unknown = {**copy.deepcopy(new.inputs), "address": UNKNOWN}  # a VM not created yet
                diff = host.diff(new.urn, old.name, old.outputs, host.check(new.urn, old.inputs, unknown).inputs)
                assert diff.changes and diff.replaces == ["address"], new.name
        assert changed == {"talos-worker-01"}
        # the same host really cannot connect: creating would fail, so the checks above proved something
        apply = next(r for r in proposed.registrations if r.name == "talos-worker-01")
        with pytest.raises(grpc.RpcError, match="network disabled"):
            host.create(apply.urn, {**apply.inputs, "timeout": 1})


def test_the_program_graph_has_the_promised_types_parents_dependencies_and_secrets():
    definition = homelab()
    run = run_offline(definition)
    component = run.named("talos")
    assert component.type == "talos-cluster:index:TalosCluster" and not component.custom
    children = [r for r in run.registrations if r is not component]
    assert all(r.parent == component.urn for r in children)
    counts: dict[str, int] = {}
    for registration in children:
        counts[registration.type.removeprefix(TYPE)] = counts.get(registration.type.removeprefix(TYPE), 0) + 1
    assert counts == {"Secrets": 1, "MachineConfigApply": 5, "Bootstrap": 1, "ClusterHealth": 1, "Talosconfig": 1,
                      "Kubeconfig": 1, "KubernetesUpgrade": 1, "DestroyGuard": 1}
    guard = run.of_type("DestroyGuard")[0]  # outlives everything, protected as protectSecrets says (FAST: off)
    assert guard.dependencies == {r.urn for r in children if r.custom and r is not guard} and not guard.protect

    urn = {r.name: r.urn for r in run.registrations}
    assert urn["talos-controlplane-01"] in run.named("talos-bootstrap").dependencies
    assert urn["talos-controlplane-01"] in run.named("talos-controlplane-02").dependencies
    assert urn["talos-controlplane-02"] in run.named("talos-controlplane-03").dependencies
    assert urn["talos-controlplane-01"] not in run.named("talos-worker-01").dependencies  # workers: in parallel
    health = run.named("talos-health").dependencies
    assert urn["talos-bootstrap"] in health and all(urn[f"talos-{n.hostname}"] in health for n in definition.nodes)
    assert run.named("talos-bootstrap").inputs["address"] == definition.control_planes[0].ip_address  # not the VIP

    for apply in run.of_type("MachineConfigApply"):
        assert {"config", "secrets"} <= apply.secret_inputs and "masked_config" not in apply.secret_inputs
    assert "bundle" in run.named("talos-secrets").secret_outputs
    assert "__talosconfig" in run.named("talos-talosconfig").secret_outputs
    assert "__kubeconfig" in run.named("talos-kubeconfig").secret_outputs
    assert run.outputs["talosconfig"][1] and run.outputs["kubeconfig"][1], "client configs must be secret outputs"
    assert not run.outputs["masked_configs"][1] and not run.outputs["nodes"][1]


def test_providers_are_serialized_by_reference_so_the_host_imports_them_from_the_project():
    run = run_offline(homelab())
    for registration in run.registrations:
        if registration.dynamic:
            blob = registration.inputs["__provider"]
            assert len(blob) < 400, f"{registration.name}: provider pickled by value ({len(blob)} chars)"
