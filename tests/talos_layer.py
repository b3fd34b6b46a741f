"""Test support for the Talos layer: a TalosCluster program on an emulated cluster, replayed through the
SDK's provider host by the small engine in tests/engine.py."""

from __future__ import annotations

from typing import Any

import pulumi

from components.cluster import ClusterOptions, TalosCluster
from components.talos.definition.model import ClusterDefinition

from .engine import Engine, ProgramRun, Registration, provider_of, run_program

FAST = ClusterOptions(apply_timeout=60, bootstrap_timeout=60, health_timeout=60)


def cluster_program(definition: ClusterDefinition, options: ClusterOptions = FAST,
                    imported_secrets: str | None = None) -> dict[str, Any]:
    addresses = {node.hostname: node.ip_address or "" for node in definition.nodes}
    secrets = pulumi.Output.secret(imported_secrets) if imported_secrets else None
    cluster = TalosCluster("talos", definition, addresses, imported_secrets=secrets, options=options)
    return {"talosconfig": cluster.talosconfig, "kubeconfig": cluster.kubeconfig, "nodes": cluster.nodes,
            "masked_configs": cluster.masked_configs}


NODE_LABEL_PATCH = """    patches:
      - |-
        machine:
          nodeLabels:
            rack: r2
"""


def with_node_patch(text: str, hostname: str) -> str:
    """The definition with one node-level patch (a node label) added under `hostname`'s entry."""
    marker = f"  - hostname: {hostname}\n"
    assert marker in text, hostname
    head, tail = text.split(marker, 1)
    return head + marker + NODE_LABEL_PATCH + tail


class OfflineOutputs:
    """Mocks without any node: pure providers (secrets, client configs) really run, others echo their
    inputs. One instance keeps one secrets bundle across program runs, as a stack's state would."""

    def __init__(self) -> None:
        self.bundle: dict[str, object] | None = None

    def __call__(self, registration: Registration) -> tuple[str, dict[str, Any]]:
        if registration.type.endswith("talos:Secrets") and self.bundle is not None:
            return "talos-secrets", {**registration.inputs, **self.bundle}
        if registration.type.endswith(("talos:Secrets", "talos:ClientConfigs")):
            result = provider_of(registration).create(registration.inputs)
            outputs = dict(result.outs or {})
            if registration.type.endswith("talos:Secrets"):
                self.bundle = {"bundle": outputs["bundle"]}
            return result.id, outputs
        return f"{registration.name}-id", dict(registration.inputs)


def run_offline(definition: ClusterDefinition, options: ClusterOptions = FAST,
                outputs: OfflineOutputs | None = None) -> ProgramRun:
    return run_program(lambda: cluster_program(definition, options), outputs or OfflineOutputs())


def run_with(engine: Engine, definition: ClusterDefinition, options: ClusterOptions = FAST,
             imported_secrets: str | None = None) -> ProgramRun:
    return run_program(lambda: cluster_program(definition, options, imported_secrets), engine.outputs_for)


__all__ = ["FAST", "OfflineOutputs", "cluster_program", "pulumi", "run_offline", "run_with", "with_node_patch"]
