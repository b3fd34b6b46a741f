"""`upgrade-k8s`: talosctl's Kubernetes upgrade, through kube/upgrade.py (the code the Pulumi layer uses).

    python -m components.talos upgrade-k8s --talosconfig talosconfig -n 192.168.1.85 --to 1.37.0

Like talosctl it takes the admin kubeconfig from the node's Talos API, discovers the control planes and
workers from the Kubernetes Nodes, and upgrades kubelets control planes first. Not offered (argparse
refuses them by name): --pre-pull-images (images are pulled as each pod restarts), --with-examples and
--with-docs (configs are patched as data), and the --manifests-* pruning and inventory flags."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from ..api import calls
from ..api.operations import Target
from ..errors import MESSAGE_LIMIT, ConfigError, terminal_safe
from ..kube.client import KubeClient, read_kubeconfig, server_for
from ..kube.health import addresses_of, entries
from ..kube.upgrade import IMAGES, NodeConfigs, UpgradeOptions, upgrade_kubernetes
from ..versions import default_kubernetes_version
from .flags import add_bool
from .session import Session, add_global_flags

LABEL_CONTROL_PLANE = "node-role.kubernetes.io/control-plane"
IMAGE_FLAGS = {"kube-apiserver": "--apiserver-image", "kube-controller-manager": "--controller-manager-image",
               "kube-scheduler": "--scheduler-image", "kube-proxy": "--proxy-image", "kubelet": "--kubelet-image"}


def internal_ip(node: dict[str, Any]) -> str:
    return next((str(a.get("address", "")) for a in entries(node, "addresses") if a.get("type") == "InternalIP"),
                sorted(addresses_of(node))[0] if addresses_of(node) else "")


async def _run(args: argparse.Namespace, session: Session) -> None:
    if len(session.nodes) != 1:
        # global/factory.go BuildClientEnforceSingleNode's wording
        raise ConfigError(f'command "upgrade-k8s" requires exactly one node (got {len(session.nodes)}); '
                          'pick one with -n')
    node = session.nodes[0]
    credentials = session.secure_credentials("upgrade-k8s")
    async with session.client(node) as talos:
        kubeconfig = await calls.kubeconfig(talos, node=node)
        to_version = args.to or default_kubernetes_version((await calls.version(talos, node=node)).tag)
    _, kube_credentials = read_kubeconfig(kubeconfig, f"kubeconfig of {node}")
    client = KubeClient(args.endpoint or server_for(node), kube_credentials)
    nodes = await client.nodes()
    control_planes = [Target(internal_ip(n), session.endpoint) for n in nodes
                      if LABEL_CONTROL_PLANE in (n["metadata"].get("labels") or {})]
    workers = [Target(internal_ip(n), session.endpoint) for n in nodes
               if LABEL_CONTROL_PLANE not in (n["metadata"].get("labels") or {})]
    if not control_planes:
        raise ConfigError("no controlplane nodes discovered")
    if not args.endpoint:  # every control plane's API server: the upgrade restarts each in turn
        client = KubeClient([server_for(node), *(server_for(t.node) for t in control_planes if t.node != node)],
                            kube_credentials)
    if args.upgrade_kubelet:
        print(f"discovered worker nodes {[t.node for t in workers]!r}")
    images = {component: getattr(args, flag.lstrip("-").replace("-", "_")) for component, flag in IMAGE_FLAGS.items()}
    options = UpgradeOptions(to_version, from_version=args.from_version, dry_run=args.dry_run,
                             upgrade_kubelet=args.upgrade_kubelet, images=images)
    await upgrade_kubernetes(client, control_planes, control_planes + workers, NodeConfigs(credentials),
                             credentials, options, log=_print_line)


def _print_line(line: str) -> None:
    """A progress line: it names nodes and images the API server reported."""
    print(terminal_safe(line, MESSAGE_LIMIT), flush=True)


def _upgrade_k8s(args: argparse.Namespace) -> int:
    asyncio.run(_run(args, Session(args)))
    return 0


def register(commands: Any) -> None:
    command = commands.add_parser("upgrade-k8s", help="upgrade Kubernetes control plane and kubelets "
                                                      "(talosctl upgrade-k8s)")
    add_global_flags(command)
    command.add_argument("--from", dest="from_version", default="",
                         help="the Kubernetes control plane version to upgrade from (default: detected)")
    command.add_argument("--to", default="", help="the Kubernetes control plane version to upgrade to "
                                                  "(default: the version the node's Talos release defaults to)")
    command.add_argument("--endpoint", default="", help="the cluster control plane endpoint (default: the node's "
                                                        "own API server at :6443)")
    command.add_argument("--dry-run", action="store_true",
                         help="skip the actual upgrade and show the upgrade plan instead")
    add_bool(command, "--upgrade-kubelet", True, "upgrade kubelet service")
    for component, flag in IMAGE_FLAGS.items():
        command.add_argument(flag, default=IMAGES[component], help=f"{component} image to use")
    command.set_defaults(handler=_upgrade_k8s)
