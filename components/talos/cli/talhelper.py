"""talhelper's offline workflow: ``gensecret``, ``genconfig`` and ``gencommand`` on a cluster definition."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..clientconfig import talosconfig
from ..definition import ClusterDefinition, NodeDefinition, installer_image, load_definition, render_node_text
from ..definition.fields import DEFAULT_FILENAME_TMPL, output_file_name
from ..errors import ConfigError
from ..files import write_output
from ..secrets import SecretsBundle
from ..versions import parse_contract

GENCOMMANDS = ("apply", "bootstrap", "kubeconfig", "reset", "upgrade", "upgrade-k8s", "health")


def register(commands: Any) -> None:
    gensecret = commands.add_parser("gensecret", help="print a new secrets bundle (talhelper gensecret)")
    gensecret.add_argument("--talos-version", default="v1.13.9", help="version contract of the bundle")
    gensecret.set_defaults(handler=_gensecret)

    genconfig = commands.add_parser("genconfig", help="render every node's config (talhelper genconfig)")
    genconfig.add_argument("-c", "--config-file", default="talconfig.yaml", help="cluster definition")
    genconfig.add_argument("-s", "--secret-file", default="talsecret.yaml",
                           help="secrets bundle; created (0600) when missing, reused afterwards")
    genconfig.add_argument("-o", "--out-dir", default="./clusterconfig")
    genconfig.set_defaults(handler=_genconfig)

    gencommand = commands.add_parser("gencommand", help="print talosctl commands per node (talhelper gencommand)")
    gencommand.add_argument("command_name", choices=GENCOMMANDS, metavar="{" + ",".join(GENCOMMANDS) + "}")
    gencommand.add_argument("-c", "--config-file", default="talconfig.yaml")
    gencommand.add_argument("-o", "--out-dir", default="./clusterconfig")
    gencommand.add_argument("-n", "--node", default="", help="one node, by IP or hostname")
    gencommand.add_argument("--extra-flags", action="append", default=[], help="appended to each command")
    gencommand.set_defaults(handler=_gencommand)


def _gensecret(args: argparse.Namespace) -> int:
    sys.stdout.write(SecretsBundle.generate(parse_contract(args.talos_version)).to_yaml())
    return 0


def config_file_name(definition: ClusterDefinition, node: NodeDefinition) -> str:
    """talhelper's per-node file name: the node's filenameTmpl, else ``<clusterName>-<hostname>.yaml``."""
    template = str(node.values.get("filenameTmpl") or DEFAULT_FILENAME_TMPL)
    return output_file_name(template, definition.cluster_name, node.hostname, node.ip_address or "", node.role)


def _genconfig(args: argparse.Namespace) -> int:
    definition = load_definition(args.config_file)
    for warning in definition.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    secret_path = Path(args.secret_file)
    if secret_path.exists():
        bundle = SecretsBundle.read(secret_path)
    else:
        bundle = SecretsBundle.generate(parse_contract(definition.talos_version))
        bundle.write(secret_path)
        print(f"generated secrets bundle {secret_path}", file=sys.stderr)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    names = []
    for node in definition.nodes:
        name = config_file_name(definition, node)
        write_output(out / name, render_node_text(definition, node, bundle))
        names.append(name)
        print(f"generated config for {node.hostname} in {out / name}")
    endpoints = [a for n in definition.control_planes for a in n.addresses]
    nodes = [a for n in definition.nodes for a in n.addresses]
    write_output(out / "talosconfig", talosconfig(bundle, definition.cluster_name, endpoints, nodes))
    write_output(out / ".gitignore", "".join(f"{name}\n" for name in [*names, "talosconfig"]))
    print(f"generated client config in {out / 'talosconfig'}")
    return 0


def _selected(definition: ClusterDefinition, wanted: str, control_plane_only: bool) -> list[tuple[NodeDefinition, str]]:
    pairs = [(node, address) for node in definition.nodes for address in node.addresses]
    if wanted:
        pairs = [(n, a) for n, a in pairs if wanted in (a, n.hostname)]
        if not pairs:
            raise ConfigError(f"node with IP or hostname {wanted} not found")
        if control_plane_only and not pairs[0][0].control_plane:
            raise ConfigError(f"node with IP {pairs[0][1]} is not a controlplane node")
        return pairs[:1] if control_plane_only else pairs
    if control_plane_only:
        first = definition.control_planes[0]
        return [(first, first.addresses[0])] if first.addresses else []
    return pairs


def _gencommand(args: argparse.Namespace) -> int:
    definition = load_definition(args.config_file)
    out = args.out_dir.rstrip("/")
    talosconfig_flag = f"--talosconfig={out}/talosconfig"
    extra = " ".join(args.extra_flags)
    single = args.command_name in ("bootstrap", "kubeconfig", "upgrade-k8s", "health")
    for node, address in _selected(definition, args.node, single):
        if args.command_name == "apply":
            parts = ["talosctl apply-config", talosconfig_flag, f"--nodes={address}",
                     f"--file={out}/{config_file_name(definition, node)}", extra]
        elif args.command_name == "upgrade":
            parts = ["talosctl upgrade", talosconfig_flag, f"--nodes={address}",
                     f"--image={installer_image(definition, node)}", extra]
        elif args.command_name == "reset":
            parts = ["talosctl reset", talosconfig_flag, f"--nodes={address}", extra]
        elif args.command_name == "upgrade-k8s":
            parts = ["talosctl upgrade-k8s", talosconfig_flag, f"--to=v{definition.kubernetes_version}", extra,
                     f"--nodes={address}"]
        elif args.command_name == "health":
            parts = ["talosctl health", talosconfig_flag, f"--nodes={address}", extra]
        else:  # bootstrap, kubeconfig: extra flags come before --nodes, as talhelper prints them
            parts = [f"talosctl {args.command_name}", talosconfig_flag, extra, f"--nodes={address}"]
        print(" ".join(part for part in parts if part) + ";")
    return 0
