"""talosctl's node commands in Python, so the article's steps run without installing talosctl:
apply-config, bootstrap, kubeconfig, version, disks, etcd members, reset, health."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from ..api import calls, operations
from ..errors import ConfigError
from ..golang.humanize import format_bytes
from .flags import add_bool, seconds, string_slice
from .machineconfig import print_apply_result
from .session import Session, add_global_flags
from .tables import print_table

# ---------------------------------------------------------------------- commands

def _apply_config(args: argparse.Namespace) -> int:
    session = Session(args, insecure=args.insecure, cert_fingerprints=string_slice(args.cert_fingerprint))
    data = Path(args.file).read_bytes() if Path(args.file).is_file() else None
    if data is None:
        raise ConfigError(f"--file {args.file}: no such file")
    results = session.each(lambda client, node: calls.apply_configuration(
        client, data, mode=args.mode, dry_run=args.dry_run, node=node))
    for _, result in results:
        print_apply_result(result)
    return 0


def _bootstrap(args: argparse.Namespace) -> int:
    session = Session(args)
    node, done = session.one("bootstrap", lambda client, node: calls.bootstrap(client, node=node))
    if not done:
        print(f"{node}: etcd is already bootstrapped (etcd data directory is not empty); nothing to do")
    return 0


def _version(args: argparse.Namespace) -> int:
    session = Session(args, insecure=args.insecure)
    for _, info in session.each(lambda client, node: calls.version(client, node=node)):
        print(f"Server:\n\tNODE:        {info.node}\n\tTag:         {info.tag}\n\tOS/Arch:     linux/{info.arch}\n"
              f"\tPlatform:    {info.platform}")
    return 0


_DISK_TYPES = {0: "UNKNOWN", 1: "SSD", 2: "HDD", 3: "NVME", 4: "SD", 5: "CD"}


def _disks(args: argparse.Namespace) -> int:
    """talosctl disks (v1.6–v1.7, cmd/talosctl/cmd/talos/disks.go): the NODE column only when the reply
    names its node, i.e. not in maintenance mode; "-" for empty text, "*" for read-only and system disks."""
    session = Session(args, insecure=args.insecure)
    header = ["DEV", "MODEL", "SERIAL", "TYPE", "UUID", "WWID", "MODALIAS", "NAME", "SIZE", "BUS_PATH", "SUBSYSTEM",
              "READ_ONLY", "SYSTEM_DISK"]
    rows = []
    for node, disks in session.each(lambda client, node: calls.disks(client, node=node)):
        for disk in disks:
            row = [disk["device"], *(disk[key] or "-" for key in ("model", "serial")), _DISK_TYPES[disk["type"]],
                   *(disk[key] or "-" for key in ("uuid", "wwid", "modalias", "name")), format_bytes(disk["size"]),
                   disk["bus_path"] or "-", disk["subsystem"] or "-", "*" if disk["readonly"] else "",
                   "*" if disk["system_disk"] else ""]
            rows.append(row if session.insecure else [node, *row])
    print_table(header if session.insecure else ["NODE", *header], rows)
    return 0


def _etcd(args: argparse.Namespace) -> int:
    session = Session(args)
    print(f"{'NODE':<16}{'ID':<18}{'HOSTNAME':<20}{'PEER URLS':<28}{'LEARNER'}")
    for node, members in session.each(lambda client, node: calls.etcd_members(client, node=node)):
        for member in members:
            print(f"{node:<16}{member.id:<18x}{member.hostname:<20}{','.join(member.peer_urls):<28}"
                  f"{str(member.is_learner).lower()}")
    return 0


def _reset(args: argparse.Namespace) -> int:
    session = Session(args)
    for node, actor in session.each(
            lambda client, node: calls.reset(client, graceful=args.graceful, reboot=args.reboot, node=node)):
        print(f"{node}: reset requested (actor {actor})")
    return 0


def _discover(session: Session) -> tuple[list[str], list[str]]:
    """talosctl health without node flags (health.go buildClusterInfo): the members the node knows from
    cluster discovery, split by machine type, each by its first address."""
    _, members = session.one("health", lambda client, node: calls.list_resources(
        client, "cluster", "Members.cluster.talos.dev", node=node))
    if not members:
        raise ConfigError(f"health: {session.nodes[0]} lists no cluster members (is cluster discovery disabled?); "
                          "pass --control-plane-nodes and --worker-nodes")
    control_planes: list[str] = []
    workers: list[str] = []
    for member in members:
        addresses = member.spec.get("addresses") or []
        if not addresses:
            raise ConfigError(f"health: member {member.spec.get('hostname', member.id)} has no address; "
                              "pass --control-plane-nodes and --worker-nodes")
        role = member.spec.get("machineType")
        (control_planes if role in ("controlplane", "init") else workers).append(str(addresses[0]))
    print(f"discovered nodes: control plane: {control_planes}, worker: {workers}", file=sys.stderr)
    return control_planes, workers


def _health(args: argparse.Namespace) -> int:
    session = Session(args)
    credentials = session.secure_credentials("health")
    control_plane_nodes = string_slice(args.control_plane_nodes)
    worker_nodes = string_slice(args.worker_nodes)
    if not control_plane_nodes and not worker_nodes:
        control_plane_nodes, worker_nodes = _discover(session)
    control_planes = [operations.Target(n, session.endpoint if n != session.endpoint else "")
                      for n in control_plane_nodes]
    workers = [operations.Target(n, session.endpoint if n != session.endpoint else "") for n in worker_nodes]
    asyncio.run(operations.wait_healthy(control_planes, workers, credentials,
                                        deadline=seconds(args.wait_timeout, "--wait-timeout")))
    print(f"cluster is healthy: {len(control_planes)} control planes in etcd, {len(workers)} workers, services up")
    # talosctl's DefaultClusterChecks go on through the Kubernetes API; this CLI has no Kubernetes client yet
    print("not checked: the Kubernetes API server, nodes Ready and control-plane pods (talosctl health checks "
          "them through the Kubernetes API)", file=sys.stderr)
    return 0


def register(commands: Any) -> None:
    apply = commands.add_parser("apply-config", help="apply a machine config to nodes (talosctl apply-config)")
    add_global_flags(apply)
    apply.add_argument("-f", "--file", required=True, help="machine config file")
    apply.add_argument("-i", "--insecure", action="store_true", help="apply to a node in maintenance mode")
    apply.add_argument("--cert-fingerprint", action="append",
                       help="list of server certificate fingerprints to accept (defaults to no check, only used "
                            "with --insecure flag)")
    apply.add_argument("-m", "--mode", default="auto", choices=sorted(calls.APPLY_MODES))
    apply.add_argument("--dry-run", action="store_true", help="report what would change; apply nothing")
    apply.set_defaults(handler=_apply_config)

    bootstrap = commands.add_parser("bootstrap", help="bootstrap etcd on one control plane (talosctl bootstrap)")
    add_global_flags(bootstrap)
    bootstrap.set_defaults(handler=_bootstrap)

    for name, handler, help_text in (("version", _version, "Talos version of nodes"),
                                     ("disks", _disks, "list disks (works in maintenance mode with --insecure)")):
        command = commands.add_parser(name, help=help_text)
        add_global_flags(command)
        command.add_argument("-i", "--insecure", action="store_true", help="talk to a node in maintenance mode")
        command.set_defaults(handler=handler)

    etcd = commands.add_parser("etcd", help="etcd commands (talosctl etcd)")
    etcd_verbs = etcd.add_subparsers(dest="verb", metavar="VERB", required=True)
    members = etcd_verbs.add_parser("members", help="list etcd members")
    add_global_flags(members)
    members.set_defaults(handler=_etcd)

    reset = commands.add_parser("reset", help="wipe STATE and EPHEMERAL; the node returns to maintenance mode")
    add_global_flags(reset)
    add_bool(reset, "--graceful", True, "leave etcd and drain first")
    add_bool(reset, "--reboot", False, "reboot after the reset instead of powering off")
    reset.set_defaults(handler=_reset)

    health = commands.add_parser("health", help="wait until the cluster is healthy (talosctl health)")
    add_global_flags(health)
    health.add_argument("--control-plane-nodes", action="append", help="control plane addresses")
    health.add_argument("--worker-nodes", action="append", help="worker addresses")
    health.add_argument("--wait-timeout", default="20m", help="how long to wait (Go duration; default 20m)")
    health.set_defaults(handler=_health)

