"""talosctl's node commands in Python, so the article's steps run without installing talosctl:
apply-config, bootstrap, kubeconfig, version, disks, get, etcd members, reset, health."""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml

from .. import yamlio
from ..api import calls, diagnose, operations
from ..api.client import TalosClient
from ..api.tls import Credentials
from ..clientconfig import read_talosconfig
from ..errors import ConfigError
from ..files import write_output
from .flags import add_bool, string_slice

T = TypeVar("T")

# `talosctl get` aliases for the resources this project reads (the server accepts only canonical types).
RESOURCE_ALIASES = {
    "machinestatus": ("runtime", "MachineStatuses.runtime.talos.dev"),
    "machinestatuses": ("runtime", "MachineStatuses.runtime.talos.dev"),
    "members": ("cluster", "Members.cluster.talos.dev"),
    "member": ("cluster", "Members.cluster.talos.dev"),
    "kubespanpeerstatus": ("kubespan", "KubeSpanPeerStatuses.kubespan.talos.dev"),
    "kubespanpeerstatuses": ("kubespan", "KubeSpanPeerStatuses.kubespan.talos.dev"),
    "ksps": ("kubespan", "KubeSpanPeerStatuses.kubespan.talos.dev"),
}


def _add_connection_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-n", "--nodes", action="append", help="target nodes (comma-separated or repeated)")
    parser.add_argument("-e", "--endpoints", action="append", help="endpoints to dial (default: the talosconfig's)")
    parser.add_argument("--talosconfig", help="path to the talosconfig (default $TALOSCONFIG or ~/.talos/config)")
    parser.add_argument("--context", help="talosconfig context to use (default: its current context)")


class Session:
    """Resolved flags: which endpoint to dial, which nodes to target, with which credentials."""

    def __init__(self, args: argparse.Namespace, insecure: bool = False, cert_fingerprints: list[str] | None = None
                 ) -> None:
        self.insecure = insecure
        self.cert_fingerprints = cert_fingerprints or []
        if self.cert_fingerprints and not insecure:
            raise ConfigError("--cert-fingerprint is only used with --insecure")
        for fingerprint in self.cert_fingerprints:
            try:
                diagnose.parse_fingerprint(fingerprint)
            except ValueError as error:
                raise ConfigError(f"--cert-fingerprint: {error}") from None
        entry: dict[str, Any] = {}
        self.credentials: Credentials | None = None
        if not insecure or args.talosconfig:
            path = Path(args.talosconfig or os.environ.get("TALOSCONFIG") or Path.home() / ".talos" / "config")
            if not path.is_file():
                raise ConfigError(f"talosconfig {path}: no such file; pass --talosconfig or --insecure")
            entry = read_talosconfig(path.read_text(), str(path), args.context)
            if not insecure:
                if not all(entry.get(key) for key in ("ca", "crt", "key")):
                    raise ConfigError(f"talosconfig {path}: context {entry['context']!r} has no ca, crt and key")
                self.credentials = Credentials(entry["ca"], entry["crt"], entry["key"])
        self.nodes = string_slice(args.nodes) or list(entry.get("nodes") or [])
        endpoints = string_slice(args.endpoints) or list(entry.get("endpoints") or [])
        if insecure:
            endpoints = self.nodes or endpoints  # --insecure dials each node directly
        if not endpoints:
            raise ConfigError("no endpoints: pass -e/--endpoints or set them in the talosconfig")
        self.endpoint = endpoints[0]
        if not self.nodes:
            self.nodes = [self.endpoint]

    def each(self, action: Callable[[TalosClient, str], Awaitable[T]]) -> list[tuple[str, T]]:
        """Run `action` for every node, through the endpoint (or dialling each node when insecure);
        return (node, result) pairs in the order of -n."""

        async def run() -> list[tuple[str, T]]:
            results = []
            for node in self.nodes:
                dial = node if self.insecure else self.endpoint
                async with TalosClient(dial, self.credentials, fan_out=True,
                                       cert_fingerprints=self.cert_fingerprints) as client:
                    results.append((node, await action(client, node)))
            return results

        return asyncio.run(run())

    def one(self, command: str, action: Callable[[TalosClient, str], Awaitable[T]]) -> tuple[str, T]:
        """`action` on the single node a command such as bootstrap allows."""
        if len(self.nodes) != 1:
            raise ConfigError(f"{command}: expected exactly one node (-n), got {len(self.nodes)}")
        return self.each(action)[0]


# ---------------------------------------------------------------------- commands

def _apply_config(args: argparse.Namespace) -> int:
    session = Session(args, insecure=args.insecure, cert_fingerprints=string_slice(args.cert_fingerprint))
    data = Path(args.file).read_bytes() if Path(args.file).is_file() else None
    if data is None:
        raise ConfigError(f"--file {args.file}: no such file")
    results = session.each(lambda client, node: calls.apply_configuration(
        client, data, mode=args.mode, dry_run=args.dry_run, node=node))
    for _, result in results:
        for warning in result.warnings:
            print(f"warning: {warning}")
        if result.details:
            print(result.details)
    return 0


def _bootstrap(args: argparse.Namespace) -> int:
    session = Session(args)
    node, done = session.one("bootstrap", lambda client, node: calls.bootstrap(client, node=node))
    if not done:
        print(f"{node}: etcd is already bootstrapped (etcd data directory is not empty); nothing to do")
    return 0


def _merge_kubeconfig(existing: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Replace entries of the same name, append the rest, switch to the new context (talosctl --merge)."""
    merged = dict(existing)
    for section in ("clusters", "users", "contexts"):
        names = {item["name"] for item in new.get(section, [])}
        merged[section] = [item for item in existing.get(section) or [] if item.get("name") not in names]
        merged[section] += new.get(section, [])
    merged["current-context"] = new.get("current-context")
    return merged


def _kubeconfig(args: argparse.Namespace) -> int:
    session = Session(args)
    _, text = session.one("kubeconfig", lambda client, node: calls.kubeconfig(client, node=node))
    path = Path(args.path) if args.path else Path(os.environ.get("KUBECONFIG") or Path.home() / ".kube" / "config")
    if path.is_dir():
        path = path / "kubeconfig"
    if path.exists() and args.merge and not args.force:
        existing = yamlio.load(path.read_text()) or {}
        text = yaml.safe_dump(_merge_kubeconfig(existing, yamlio.load(text)), sort_keys=True)
    write_output(path, text)
    print(f"kubeconfig written to {path}")
    return 0


def _version(args: argparse.Namespace) -> int:
    session = Session(args, insecure=args.insecure)
    for _, info in session.each(lambda client, node: calls.version(client, node=node)):
        print(f"Server:\n\tNODE:        {info.node}\n\tTag:         {info.tag}\n\tOS/Arch:     linux/{info.arch}\n"
              f"\tPlatform:    {info.platform}")
    return 0


def _disks(args: argparse.Namespace) -> int:
    session = Session(args, insecure=args.insecure)
    print(f"{'NODE':<16}{'DEV':<14}{'MODEL':<20}{'SIZE':>14}")
    for node, disks in session.each(lambda client, node: calls.disks(client, node=node)):
        for disk in disks:
            print(f"{node:<16}{disk['device']:<14}{disk['model']:<20}{disk['size'] / 1e9:>11.0f} GB")
    return 0


def _get(args: argparse.Namespace) -> int:
    session = Session(args, insecure=args.insecure)
    alias = args.resource.lower()
    namespace, type_ = RESOURCE_ALIASES.get(alias, (None, args.resource))
    namespace = args.namespace or namespace
    if namespace is None:
        raise ConfigError(f"get {args.resource}: unknown resource alias; give the full type and --namespace")

    async def fetch(client: TalosClient, node: str) -> list[calls.Resource]:
        if args.id:
            return [await calls.get_resource(client, namespace, type_, args.id, node=node)]
        return await calls.list_resources(client, namespace, type_, node=node)

    for node, resources in session.each(fetch):
        for resource in resources:
            if args.output == "yaml":
                print(yamlio.dump({"node": node, "metadata": {"namespace": resource.namespace, "type": resource.type,
                                                              "id": resource.id, "version": resource.version},
                                   "spec": resource.spec}) + "---")
            else:
                print(f"{node:<16}{resource.namespace:<10}{resource.type.split('.')[0]:<24}{resource.id:<46}"
                      f"{resource.version}")
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


def _health(args: argparse.Namespace) -> int:
    session = Session(args)
    if session.credentials is None:
        raise ConfigError("health needs a talosconfig")
    control_planes = [operations.Target(n) for n in string_slice(args.control_plane_nodes)] or [
        operations.Target(session.endpoint)]
    workers = [operations.Target(n) for n in string_slice(args.worker_nodes)]
    credentials = session.credentials
    asyncio.run(operations.wait_healthy(control_planes, workers, credentials,
                                        deadline=_seconds(args.wait_timeout)))
    print(f"cluster is healthy: {len(control_planes)} control planes in etcd, {len(workers)} workers, services up")
    return 0


def _seconds(duration: str) -> float:
    """Go durations as talosctl takes them: 90s, 20m, 1h30m."""
    total, number = 0.0, ""
    units = {"h": 3600, "m": 60, "s": 1}
    for char in duration:
        if char.isdigit() or char == ".":
            number += char
        elif char in units and number:
            total, number = total + float(number) * units[char], ""
        else:
            raise ConfigError(f"--wait-timeout {duration!r}: expected a duration such as 90s, 20m or 1h")
    if number:
        raise ConfigError(f"--wait-timeout {duration!r}: missing unit (s, m or h)")
    return total


def register(commands: Any) -> None:
    apply = commands.add_parser("apply-config", help="apply a machine config to nodes (talosctl apply-config)")
    _add_connection_flags(apply)
    apply.add_argument("-f", "--file", required=True, help="machine config file")
    apply.add_argument("-i", "--insecure", action="store_true", help="apply to a node in maintenance mode")
    apply.add_argument("--cert-fingerprint", action="append",
                       help="list of server certificate fingerprints to accept (defaults to no check, only used "
                            "with --insecure flag)")
    apply.add_argument("-m", "--mode", default="auto", choices=sorted(calls.APPLY_MODES))
    apply.add_argument("--dry-run", action="store_true", help="report what would change; apply nothing")
    apply.set_defaults(handler=_apply_config)

    bootstrap = commands.add_parser("bootstrap", help="bootstrap etcd on one control plane (talosctl bootstrap)")
    _add_connection_flags(bootstrap)
    bootstrap.set_defaults(handler=_bootstrap)

    kubeconfig = commands.add_parser("kubeconfig", help="fetch the admin kubeconfig (talosctl kubeconfig)")
    _add_connection_flags(kubeconfig)
    kubeconfig.add_argument("path", nargs="?", help="file or directory (default $KUBECONFIG or ~/.kube/config)")
    add_bool(kubeconfig, "--merge", True, "merge into an existing kubeconfig")
    kubeconfig.add_argument("-f", "--force", action="store_true", help="overwrite instead of merging")
    kubeconfig.set_defaults(handler=_kubeconfig)

    for name, handler, help_text in (("version", _version, "Talos version of nodes"),
                                     ("disks", _disks, "list disks (works in maintenance mode with --insecure)")):
        command = commands.add_parser(name, help=help_text)
        _add_connection_flags(command)
        command.add_argument("-i", "--insecure", action="store_true", help="talk to a node in maintenance mode")
        command.set_defaults(handler=handler)

    get = commands.add_parser("get", help="read resources (talosctl get)")
    _add_connection_flags(get)
    get.add_argument("resource", help="machinestatus, members, kubespanpeerstatuses (ksps) or a full type")
    get.add_argument("id", nargs="?")
    get.add_argument("--namespace")
    get.add_argument("-o", "--output", choices=("table", "yaml"), default="table")
    get.add_argument("-i", "--insecure", action="store_true")
    get.set_defaults(handler=_get)

    etcd = commands.add_parser("etcd", help="etcd commands (talosctl etcd)")
    etcd_verbs = etcd.add_subparsers(dest="verb", metavar="VERB", required=True)
    members = etcd_verbs.add_parser("members", help="list etcd members")
    _add_connection_flags(members)
    members.set_defaults(handler=_etcd)

    reset = commands.add_parser("reset", help="wipe STATE and EPHEMERAL; the node returns to maintenance mode")
    _add_connection_flags(reset)
    add_bool(reset, "--graceful", True, "leave etcd and drain first")
    add_bool(reset, "--reboot", False, "reboot after the reset instead of powering off")
    reset.set_defaults(handler=_reset)

    health = commands.add_parser("health", help="wait until the cluster is healthy (talosctl health)")
    _add_connection_flags(health)
    health.add_argument("--control-plane-nodes", action="append", help="control plane addresses")
    health.add_argument("--worker-nodes", action="append", help="worker addresses")
    health.add_argument("--wait-timeout", default="20m", help="how long to wait (Go duration; default 20m)")
    health.set_defaults(handler=_health)

