"""Removing nodes from the definition through `pulumi up` (tests/engine.py): the nodes leave the cluster
(drained, out of etcd, their Node objects deleted) and the machines are reset or left as the stack says."""

from __future__ import annotations

import asyncio

from components.talos.api import calls
from components.talos.api.client import TalosClient
from components.talos.definition import load

from .emulated import emulate, example_definition, fresh_subnet, render
from .engine import Engine
from .provider_host import ProviderHost
from .talos_layer import run_with, without_node
from .test_engine_safety import names, stack_credentials


def test_removing_a_worker_and_a_control_plane_leaves_etcd_and_kubernetes_and_keeps_the_machines():
    text = example_definition("homelab", fresh_subnet())
    cluster = render(text)
    smaller = without_node(without_node(text, "worker-02"), "controlplane-03")
    with emulate(cluster) as emulated, ProviderHost() as host:
        engine = Engine(host)
        engine.up(run_with(engine, load.parse_definition(text, "homelab.yaml", environ={})))
        result = names(engine.up(run_with(engine, load.parse_definition(smaller, "homelab.yaml", environ={}))))
        assert result["talos-worker-02"] == "delete" and result["talos-controlplane-03"] == "delete"

        async def members() -> list[str]:
            first = cluster.control_planes[0]
            async with TalosClient(first, stack_credentials(engine)) as client:
                return sorted(member.hostname for member in await calls.etcd_members(client, node=first))

        assert asyncio.run(members()) == ["controlplane-01", "controlplane-02"]
        async def node_objects() -> set[str]:  # read on the emulator's loop, as its API server does
            return {node["metadata"]["name"] for node in emulated.kubernetes.nodes()}

        assert emulated.run(node_objects()) == {"controlplane-01", "controlplane-02", "worker-01"}
        # resetOnDestroy is off: the machines keep their installation, out of the cluster
        assert emulated.node(cluster.workers[1]).config is not None
        assert emulated.node(cluster.control_planes[2]).config is not None
        assert emulated.calls_to("Reset") == []
