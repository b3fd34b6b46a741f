"""Test support: cluster definitions moved onto loopback subnets, rendered, and served by emulated nodes."""

from __future__ import annotations

import asyncio
import datetime
import fcntl
import os
import random
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

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

# Each test gets its own 127.X.Y.0/24, so a restarted node never meets a previous test's listener and no two
# processes (pytest-xdist workers, other checkouts' suites on this machine) share one: a subnet is claimed
# with an flock on a file named after it, held until this process exits (the kernel drops it even on a
# crash). 127.0.0.0/16 is left to people (the emulator's defaults and the README's quick start live there).
_CLAIMS = Path(tempfile.gettempdir()) / "talos-cluster-test-subnets"
_MAX_HELD = 128  # older claims are released: their tests are long over
_held: list[int] = []


def _candidates() -> Iterator[tuple[int, int]]:
    """Every 127.X.Y (X, Y in 1..254), from a start this process draws, so workers rarely probe each other's."""
    start = random.Random(f"{os.getpid()}-{os.environ.get('PYTEST_XDIST_WORKER', '')}").randrange(254 * 254)
    for offset in range(254 * 254):
        index = (start + offset) % (254 * 254)
        yield index // 254 + 1, index % 254 + 1


_subnets = _candidates()


def _claim(name: str) -> bool:
    fd = os.open(_CLAIMS / name, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return False
    _held.append(fd)
    if len(_held) > _MAX_HELD:
        os.close(_held.pop(0))
    return True


def fresh_subnet() -> str:
    """A loopback /24 ("127.X.Y") no other test, worker or test run on this machine is using."""
    _CLAIMS.mkdir(mode=0o700, exist_ok=True)
    for second, third in _subnets:
        if _claim(f"127.{second}.{third}"):
            return f"127.{second}.{third}"
    raise RuntimeError(f"every loopback test subnet is claimed (see {_CLAIMS})")


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


def example_definition(name: str, subnet: str, cilium: bool = True, release: tuple[str, str] | None = None) -> str:
    """An example definition on loopback. With `cilium` (each example's stack runs Cilium) it carries the
    control-plane patch the program adds for Cilium at its Talos version (components/cilium.py
    prepared_for_cilium), so the configs rendered from it are the stack's. `release`: (talosVersion,
    kubernetesVersion) in place of the example's pins."""
    text = on_loopback((ROOT / "config" / f"{name}.yaml").read_text(), subnet)
    if release is not None:
        text = re.sub(r"(?m)^talosVersion: .*$", f"talosVersion: {release[0]}", text)
        text = re.sub(r"(?m)^kubernetesVersion: .*$", f"kubernetesVersion: {release[1]}", text)
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
