"""``talosctl upgrade``: install a new Talos image on nodes. On several nodes it follows the rollout policy
(components/talos/rollout.py): control planes one at a time, then workers in batches, each wave back and
healthy before the next; every node's upgrade path is checked before any node is touched."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from .. import documents, rollout
from ..api import calls, operations
from ..api.client import TalosClient
from ..errors import MESSAGE_LIMIT, ConfigError, terminal_safe
from ..imagefactory import default_installer_image
from ..versions import DEFAULT_TALOS_VERSION
from .flags import add_bool, seconds
from .session import Session, add_global_flags

DEFAULT_IMAGE = default_installer_image(DEFAULT_TALOS_VERSION)  # talosctl: the metal installer of its own release


async def _facts(client: TalosClient, node: str) -> tuple[str, str]:
    """(running Talos tag, machine type) of a node, read from it before anything changes."""
    info = await calls.version(client, node=node)
    config = documents.decode(await calls.machine_config(client, node=node), f"{node} machine config")
    legacy = next((doc for doc in config if documents.is_legacy(doc)), {})
    machine_type = (legacy.get("machine") or {}).get("type", "")
    return info.tag, rollout.CONTROL_PLANE if machine_type in ("controlplane", "init") else rollout.WORKER


def _upgrade(args: argparse.Namespace) -> int:
    session = Session(args)
    credentials = session.secure_credentials("upgrade")
    wanted = documents.image_tag(args.image)
    if not wanted:
        raise ConfigError(f"upgrade --image {args.image!r}: expected an installer image with a version tag, "
                          f"e.g. {DEFAULT_IMAGE}")
    facts = dict(session.each(_facts))
    for node, (running, _) in facts.items():
        rollout.check_talos_upgrade(node, running, wanted)
        legacy = [flag for flag, given in (("--preserve", args.preserve), ("--stage", args.stage)) if given]
        if legacy and calls.uses_lifecycle_upgrade(running):
            # talosctl upgrade.go marks them "legacy flag for MachineService.Upgrade fallback"
            raise ConfigError(f"node {node}: upgrade {legacy[0]} is a legacy MachineService.Upgrade flag; Talos "
                              f"{running} upgrades through LifecycleService, which has no such option")
    if not args.wait and len(facts) > 1:
        raise ConfigError("upgrade --wait=false: several nodes are upgraded in rollout order, which waits for "
                          "each wave; give one node or drop --wait=false")
    waves = rollout.waves([(node, role) for node, (_, role) in facts.items()], args.worker_batch)
    deadline = seconds(args.timeout, "--timeout")
    control_planes = sum(1 for _, role in facts.values() if role == rollout.CONTROL_PLANE)

    def target(node: str) -> operations.Target:
        return operations.Target(node, session.endpoint if node != session.endpoint else "")

    async def run() -> None:
        for wave in waves:
            if not args.wait:
                async with session.client(wave.hostnames[0]) as client:
                    ack = await calls.upgrade(client, args.image, node=wave.hostnames[0], preserve=args.preserve,
                                              stage=args.stage)
                print(f"{wave.hostnames[0]}: {terminal_safe(ack, MESSAGE_LIMIT)}")
                return
            await asyncio.gather(*(operations.upgrade(target(node), args.image, credentials, deadline=deadline,
                                                      preserve=args.preserve, stage=args.stage)
                                   for node in wave.hostnames))
            nodes = [target(node) for node in wave.hostnames]
            if wave.role == rollout.CONTROL_PLANE:
                await operations.wait_healthy(nodes, [], credentials, deadline=deadline,
                                              etcd_members=control_planes)
            else:
                await operations.wait_healthy([], nodes, credentials, deadline=deadline)
            for node in wave.hostnames:
                print(f"{node}: upgraded to {wanted} and healthy", file=sys.stderr)

    asyncio.run(run())
    return 0


def register(commands: Any) -> None:
    upgrade = commands.add_parser("upgrade", help="upgrade Talos on nodes (talosctl upgrade)")
    add_global_flags(upgrade)
    upgrade.add_argument("-i", "--image", default=DEFAULT_IMAGE,
                         help=f"the installer image to upgrade to (default {DEFAULT_IMAGE})")
    upgrade.add_argument("-p", "--preserve", action="store_true",
                         help="preserve data (MachineService.Upgrade, Talos before v1.13)")
    upgrade.add_argument("-s", "--stage", action="store_true",
                         help="stage the upgrade to perform it after a reboot (MachineService.Upgrade, before v1.13)")
    add_bool(upgrade, "--wait", True, "wait for each node to come back healthy with the new version")
    upgrade.add_argument("--timeout", default="30m", help="how long to wait per wave (Go duration; default 30m)")
    upgrade.add_argument("--worker-batch", type=int, default=1,
                         help="workers upgraded at once (this CLI's rollout setting; default 1)")
    upgrade.set_defaults(handler=_upgrade)
