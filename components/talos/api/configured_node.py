"""Operations on a node this stack has already configured: it is only ever spoken to over mutual TLS.

Trust on first use: the insecure (maintenance-mode) apply belongs to a create alone. A node that answers in
maintenance mode later has lost its installation (reset, reinstalled, or another machine took its address):
it gets no config and no secrets from an update; a refresh reads it as gone so that the next `up` creates it
again, knowingly.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from ..documents import decode
from ..errors import TalosError
from . import calls
from .client import TalosClient
from .errors import TalosAPIError
from .operations import PROBE_TIMEOUT, Credentials, Target, in_maintenance, wait_configured
from .retry import with_retries

# siderolabs/talos pkg/machinery/resources/config/machine_config.go: MachineConfigType, NamespaceName "config",
# ActiveID "v1alpha1"; the spec marshals to YAML as one string, the config's bytes (Sensitivity: meta.Sensitive,
# so only os:admin may read it).
MACHINE_CONFIG_NAMESPACE = "config"
MACHINE_CONFIG_TYPE = "MachineConfigs.config.talos.dev"
MACHINE_CONFIG_ID = "v1alpha1"


class LostInstallation(TalosError):
    """The node answers in maintenance mode although this stack configured it."""


def lost_installation(hostname: str, target: Target) -> LostInstallation:
    return LostInstallation(f"node {hostname} ({target.node}) answers in maintenance mode: it lost its installation; "
                            "run `pulumi up --refresh` to configure it again")


async def running_config(target: Target, credentials: Credentials, *, deadline: float) -> str | None:
    """The config the node runs (`talosctl get machineconfig`), or None when it is in maintenance mode."""

    async def attempt() -> str | None:
        if await in_maintenance(target, credentials):
            return None
        async with TalosClient(target.dial, credentials, port=target.port, timeout=PROBE_TIMEOUT) as client:
            resource = await calls.get_resource(client, MACHINE_CONFIG_NAMESPACE, MACHINE_CONFIG_TYPE,
                                                MACHINE_CONFIG_ID, node=target.node)
        spec = resource.spec
        if not isinstance(spec, str):
            raise TalosAPIError(node=target.node, address=f"{target.dial}:{target.port}", call="Get MachineConfig",
                                detail="the MachineConfig resource holds no config text")
        return spec

    return await with_retries(attempt, deadline)


async def apply_secure(target: Target, hostname: str, data: bytes, credentials: Credentials, *, mode: str,
                       deadline: float) -> calls.ApplyResult:
    """apply-config over mutual TLS only; a node found in maintenance mode gets nothing (LostInstallation)."""

    async def attempt() -> calls.ApplyResult:
        if await in_maintenance(target, credentials):
            raise lost_installation(hostname, target)
        async with TalosClient(target.dial, credentials, port=target.port) as client:
            return await calls.apply_configuration(client, data, mode=mode, node=target.node)

    return await with_retries(attempt, deadline)


async def wait_rebooted(target: Target, credentials: Credentials, *, deadline: float,
                        goes_down_within: float = 60.0) -> None:
    """After an apply that reboots the node (siderolabs/talos ApplyConfiguration replies mode REBOOT and reboots
    once the reply is sent): wait until it stops answering, then until it answers again with its config, so a
    rollout never starts the next node while this one is still going down."""
    loop = asyncio.get_running_loop()
    end = loop.time() + min(goes_down_within, deadline)
    while loop.time() < end:
        try:
            async with TalosClient(target.dial, credentials, port=target.port, timeout=1.0) as client:
                await calls.version(client, node=target.node)
        except TalosAPIError as error:
            if not error.connected or error.transient:
                break  # it went down
        await asyncio.sleep(0.1)
    await wait_configured(target, credentials, deadline=deadline)


@dataclass(frozen=True)
class NodeClaim:
    """Which node of which cluster a config makes a machine: what a delete checks before it resets anything."""

    hostname: str
    cluster_id: str

    @staticmethod
    def of(config: str | bytes, source: str) -> NodeClaim:
        hostname, cluster_id = "", ""
        for document in decode(config, source):
            if document.get("kind") == "HostnameConfig":
                hostname = str(document.get("hostname") or hostname)
            machine = document.get("machine")
            if isinstance(machine, dict):
                network = machine.get("network") or {}
                hostname = hostname or str(network.get("hostname") or "")
            cluster = document.get("cluster")
            if isinstance(cluster, dict):
                cluster_id = str(cluster.get("id") or "")
        return NodeClaim(hostname, cluster_id)


def same_config(running: str, applied: str) -> bool:
    """Whether the node runs what was applied, compared as documents (Talos may re-encode the YAML)."""
    try:
        return decode(running, "running config") == decode(applied, "applied config")
    except TalosError:
        return False
