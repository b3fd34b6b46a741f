"""Test support: cluster definitions moved onto loopback subnets, rendered, and served by emulated nodes."""

from __future__ import annotations

import asyncio
import datetime
import itertools
import os
import re
from dataclasses import dataclass

from components.cilium import cilium_patch
from components.talos.api import operations
from components.talos.api.operations import Target
from components.talos.api.tls import Credentials
from components.talos.clientconfig import read_talosconfig, talosconfig
from components.talos.definition import load
from components.talos.definition.model import ClusterDefinition
from components.talos.definition.render import render_node_text
from components.talos.secrets import SecretsBundle
from components.talos.versions import TALHELPER_TALOS_VERSION, parse_contract

from .conftest import ROOT
from .emulator import EmulatedCluster

# Each test gets its own 127.0.N.0/24 so a restarted node never meets a previous test's listener;
# the process id spreads parallel runs apart.
_subnets = itertools.count(os.getpid() % 100 + 20)


def fresh_subnet() -> str:
    return f"127.0.{next(_subnets) % 250 + 1}"


def on_loopback(text: str, subnet: str) -> str:
    """Move a definition from 192.168.1.0/24 (the article's LAN) to a loopback subnet."""
    return text.replace("192.168.1.", f"{subnet}.")


@dataclass
class RenderedCluster:
    definition: ClusterDefinition
    bundle: SecretsBundle
    configs: dict[str, bytes]  # address → rendered machine config
    talosconfig: str
    credentials: Credentials

    @property
    def control_planes(self) -> list[str]:
        return [n.ip_address or "" for n in self.definition.control_planes]

    @property
    def workers(self) -> list[str]:
        return [n.ip_address or "" for n in self.definition.workers]

    @property
    def addresses(self) -> list[str]:
        return self.control_planes + self.workers


def render(definition_text: str, source: str = "talconfig.yaml",
           secrets_made: datetime.datetime | None = None) -> RenderedCluster:
    """The definition rendered with new secrets, made now unless `secrets_made` says when (their CAs are
    valid from then on, as talosctl gen secrets makes them: not backdated)."""
    definition = load.parse_definition(definition_text, source, environ={})
    bundle = SecretsBundle.generate(parse_contract(definition.talos_version), secrets_made)
    configs = {node.ip_address or "": render_node_text(definition, node, bundle).encode()
               for node in definition.nodes}
    control_planes = [n.ip_address or "" for n in definition.control_planes]
    text = talosconfig(bundle, definition.cluster_name, control_planes)
    entry = read_talosconfig(text, "talosconfig")
    return RenderedCluster(definition, bundle, configs, text, Credentials(entry["ca"], entry["crt"], entry["key"]))


def configure(cluster: RenderedCluster) -> None:
    """Apply every node's config (insecure, in parallel) and wait until all answer over mutual TLS."""

    async def all_nodes() -> None:
        await asyncio.gather(*(operations.apply(Target(a), cluster.configs[a], cluster.credentials, deadline=30)
                               for a in cluster.addresses))
        for address in cluster.addresses:
            await operations.wait_configured(Target(address), cluster.credentials, deadline=30)

    asyncio.run(all_nodes())


def example_definition(name: str, subnet: str, cilium: bool = True) -> str:
    """An example definition on loopback. With `cilium` (each example's stack runs Cilium) it carries the
    control-plane patch the program adds for Cilium at its Talos version (components/cilium.py
    prepared_for_cilium), so the configs rendered from it are the stack's."""
    text = on_loopback((ROOT / "config" / f"{name}.yaml").read_text(), subnet)
    if not cilium:
        return text
    version = re.search(r"(?m)^talosVersion: (\S+)$", text)
    patch = cilium_patch(version.group(1) if version else TALHELPER_TALOS_VERSION).replace("$", "$$")  # envsubst
    block = "".join(f"      {line}\n" for line in patch.splitlines())
    return text.replace("\ncontrolPlane:\n", "\ncontrolPlane:\n  patches:\n    - |-\n" + block, 1)


def emulate(rendered: RenderedCluster, *, version: str | None = None, install_seconds: float = 0.2,
            reboot_seconds: float = 0.2, apply_seconds: float = 0.0, clock_offset: float = 0.0,
            journal: str | None = None) -> EmulatedCluster:
    """Emulated nodes at the cluster's addresses, running its definition's Talos version unless told otherwise;
    their clocks run `clock_offset` seconds ahead of this machine's (negative: behind)."""
    return EmulatedCluster(rendered.addresses, version=version or rendered.definition.talos_version,
                           install_seconds=install_seconds, reboot_seconds=reboot_seconds, apply_seconds=apply_seconds,
                           clock_offset=clock_offset, journal=journal)
