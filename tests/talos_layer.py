"""Test support for the Talos layer: a TalosCluster program on an emulated cluster, replayed through the
SDK's provider host by the small engine in tests/engine.py."""

from __future__ import annotations

from typing import Any

import pulumi

from components.cluster import ClusterOptions, TalosCluster
from components.talos.definition.model import ClusterDefinition

from .engine import Engine, Program, ProgramRun, Registration, provider_of, run_program

FAST = ClusterOptions(apply_timeout=60, bootstrap_timeout=60, health_timeout=60, protect_secrets=False)


def cluster_program(definition: ClusterDefinition, options: ClusterOptions = FAST,
                    imported_secrets: str | None = None) -> dict[str, Any]:
    addresses = {node.hostname: node.ip_address or "" for node in definition.nodes}
    secrets = pulumi.Output.secret(imported_secrets) if imported_secrets else None
    cluster = TalosCluster("talos", definition, addresses, imported_secrets=secrets, options=options)
    cluster.add_destroy_guard()
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


def without_node(text: str, hostname: str) -> str:
    """The definition with `hostname`'s entry removed (each entry starts at `  - hostname:` under nodes)."""
    marker = f"  - hostname: {hostname}\n"
    head, tail = text.split(marker, 1)
    rest = tail.split("\n  - hostname: ", 1)
    return head + ("  - hostname: " + rest[1] if len(rest) == 2 else "")


def renamed_node(text: str, hostname: str, new_hostname: str) -> str:
    return text.replace(f"  - hostname: {hostname}\n", f"  - hostname: {new_hostname}\n")


def stack_talos_settings(**settings: object) -> dict[str, str]:
    """`talos-cluster:talos` as the engine hands it to providers: one JSON string."""
    import json

    return {"talos-cluster:talos": json.dumps(settings)}


class OfflineOutputs:
    """Mocks without any node: pure providers (secrets, client configs) really run, others echo their
    inputs. One instance keeps one secrets bundle across program runs, as a stack's state would."""

    def __init__(self) -> None:
        self.bundle: dict[str, object] | None = None

    def __call__(self, registration: Registration) -> tuple[str, dict[str, Any]]:
        if registration.type.endswith("talos:Secrets") and self.bundle is not None:
            return "talos-secrets", {**registration.inputs, **self.bundle}
        if registration.type.endswith(("talos:Secrets", "talos:Talosconfig", "talos:Kubeconfig")):
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
             imported_secrets: str | None = None, config: dict[str, str] | None = None) -> Program:
    """The TalosCluster program for `engine.up` / `engine.preview`, with the stack config a provider sees."""
    del engine  # kept for the call sites' readability: the engine runs the program it is given
    return Program(lambda: cluster_program(definition, options, imported_secrets), config=dict(config or {}))


__all__ = ["FAST", "OfflineOutputs", "cluster_program", "pulumi", "renamed_node", "run_offline", "run_with",
           "stack_talos_settings", "with_node_patch", "without_node"]
