"""talosctl's node commands in Python, so the article's steps run without installing talosctl:
apply-config, kubeconfig, version, disks, reset, health (Talos and Kubernetes stages); bootstrap and etcd:
cli/etcd.py."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from .. import documents
from ..api import calls, operations
from ..api.client import TalosClient
from ..errors import ConfigError, TalosError, terminal_safe
from ..golang.humanize import format_bytes
from ..kube.client import read_kubeconfig
from ..kube.health import STAGE_API, KubernetesChecks, cni_disabled, forced_server
from ..versions import contract_of
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


def _version(args: argparse.Namespace) -> int:
    session = Session(args, insecure=args.insecure)
    for _, info in session.each(lambda client, node: calls.version(client, node=node)):
        node, tag, arch, platform = (terminal_safe(text) for text in (info.node, info.tag, info.arch, info.platform))
        print(f"Server:\n\tNODE:        {node}\n\tTag:         {tag}\n\tOS/Arch:     linux/{arch}\n"
              f"\tPlatform:    {platform}")
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
            row = [disk["device"], *(disk[key] or "-" for key in ("model", "serial")),
                   _DISK_TYPES.get(disk["type"], "UNKNOWN"),
                   *(disk[key] or "-" for key in ("uuid", "wwid", "modalias", "name")), format_bytes(disk["size"]),
                   disk["bus_path"] or "-", disk["subsystem"] or "-", "*" if disk["readonly"] else "",
                   "*" if disk["system_disk"] else ""]
            rows.append(row if session.insecure else [node, *row])
    print_table(header if session.insecure else ["NODE", *header], rows)
    return 0


def _reset(args: argparse.Namespace) -> int:
    """talosctl reset; --system-labels-to-wipe as talosctl's. Without it this CLI wipes STATE and EPHEMERAL
    (back to maintenance mode, still bootable) where talosctl wipes the whole system disk."""
    session = Session(args)
    labels = string_slice(args.system_labels_to_wipe) or list(calls.RESET_LABELS)
    for node, actor in session.each(lambda client, node: calls.reset(
            client, graceful=args.graceful, reboot=args.reboot, node=node, labels=labels)):
        print(f"{node}: reset requested (actor {terminal_safe(actor)})")
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
        spec = calls.spec_fields(member)
        addresses = spec.get("addresses")
        if not isinstance(addresses, list) or not addresses or not isinstance(addresses[0], str):
            raise ConfigError(f"health: member {terminal_safe(str(spec.get('hostname', member.id)))} has no "
                              "address; pass --control-plane-nodes and --worker-nodes")
        role = spec.get("machineType")
        (control_planes if role in ("controlplane", "init") else workers).append(addresses[0])
    print(f"discovered nodes: control plane: {control_planes}, worker: {workers}", file=sys.stderr)
    return control_planes, workers


def _kubernetes_checks(session: Session, first: str, k8s_endpoint: str) -> KubernetesChecks:
    """talosctl health's Kubernetes side (pkg/cluster/kubernetes.go KubernetesClient): the admin kubeconfig from
    the Talos API, its server unless --k8s-endpoint replaces it; Ready nodes are waited for unless the CNI is
    `none` (pkg/cluster/check/default.go)."""

    async def fetch(client: TalosClient, node: str) -> tuple[str, str, str]:
        return (await calls.kubeconfig(client, node=node), await calls.machine_config(client, node=node),
                (await calls.version(client, node=node)).tag)

    _, (kubeconfig, config, tag) = session.one("health", lambda client, _node: fetch(client, first))
    server, credentials = read_kubeconfig(kubeconfig, f"kubeconfig of {first}")
    no_cni = cni_disabled(documents.decode(config, f"config of {first}"), contract_of(tag, f"version of {first}"))
    return KubernetesChecks(credentials, nodes_ready=not no_cni,
                            server=forced_server(k8s_endpoint) if k8s_endpoint else server)


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
    if not control_planes:
        raise ConfigError("health: no control plane node; pass --control-plane-nodes (the Kubernetes API and etcd "
                          "are checked through them)")
    kubernetes = _kubernetes_checks(session, control_planes[0].node, args.k8s_endpoint)
    report = asyncio.run(operations.check_health(control_planes, workers, credentials, kubernetes=kubernetes))
    if not report.healthy:
        try:
            asyncio.run(operations.wait_healthy(control_planes, workers, credentials, kubernetes=kubernetes,
                                                deadline=seconds(args.wait_timeout, "--wait-timeout")))
        except TalosError as error:
            if f": {STAGE_API}: " not in str(error) or args.k8s_endpoint:
                raise
            raise TalosError(f"{error}; if that endpoint (a VIP or load balancer) is not up, pass --k8s-endpoint "
                             "with a control plane's address") from None
    ready = "Ready" if kubernetes.nodes_ready else "reported (Ready not checked: the CNI is none)"
    print(f"cluster is healthy: {len(control_planes)} control planes in etcd, {len(workers)} workers, services up; "
          f"Kubernetes API at {kubernetes.server} answers, control-plane static pods running, every node {ready} "
          "and schedulable")
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

    for name, handler, help_text in (("version", _version, "Talos version of nodes"),
                                     ("disks", _disks, "list disks (works in maintenance mode with --insecure)")):
        command = commands.add_parser(name, help=help_text)
        add_global_flags(command)
        command.add_argument("-i", "--insecure", action="store_true", help="talk to a node in maintenance mode")
        command.set_defaults(handler=handler)

    reset = commands.add_parser("reset", help="wipe system partitions (default STATE and EPHEMERAL: the node returns "
                                              "to maintenance mode)")
    add_global_flags(reset)
    add_bool(reset, "--graceful", True, "leave etcd and drain first")
    add_bool(reset, "--reboot", False, "reboot after the reset instead of powering off")
    reset.add_argument("--system-labels-to-wipe", action="append", metavar="LABEL",
                       help="if set, just wipe selected system disk partitions by label but keep other partitions "
                            "intact (default STATE,EPHEMERAL; EPHEMERAL alone keeps the config and empties etcd)")
    reset.set_defaults(handler=_reset)

    health = commands.add_parser("health", help="wait until the cluster is healthy (talosctl health)")
    add_global_flags(health)
    health.add_argument("--control-plane-nodes", action="append", help="control plane addresses")
    health.add_argument("--worker-nodes", action="append", help="worker addresses")
    health.add_argument("--wait-timeout", default="20m", help="how long to wait (Go duration; default 20m)")
    health.add_argument("--k8s-endpoint", default="",
                        help="use endpoint instead of kubeconfig default (host or host:port; port 6443 by default)")
    health.set_defaults(handler=_health)

