"""talhelper's offline workflow: ``gensecret``, ``genconfig``, ``gencommand``, ``genurl``, ``validate``."""

from __future__ import annotations

import argparse
import csv
import sys
from typing import Any

from ..definition import ClusterDefinition, NodeDefinition, installer_image, load_definition
from ..errors import ConfigError
from ..secrets import SecretsBundle
from ..sops import decrypt_file
from ..versions import TALHELPER_TALOS_VERSION, parse_contract
from . import talhelper_extra, talhelper_genconfig

GENCOMMANDS = ("apply", "bootstrap", "kubeconfig", "reset", "upgrade", "upgrade-k8s", "health")


def register(commands: Any) -> None:
    gensecret = commands.add_parser("gensecret", help="print a new secrets bundle (talhelper gensecret)")
    gensecret.add_argument("-f", "--from-configfile", default="",
                           help="Talos cluster node configuration file to generate secret from")
    gensecret.add_argument("--talos-version", default=TALHELPER_TALOS_VERSION, help="version contract of a new bundle")
    gensecret.set_defaults(handler=_gensecret)

    talhelper_genconfig.register(commands)

    gencommand = commands.add_parser("gencommand", help="print talosctl commands per node (talhelper gencommand)")
    gencommand.add_argument("command_name", choices=GENCOMMANDS, metavar="{" + ",".join(GENCOMMANDS) + "}")
    gencommand.add_argument("-c", "--config-file", default="talconfig.yaml")
    talhelper_genconfig.add_env_file(gencommand)
    gencommand.add_argument("-o", "--out-dir", default="./clusterconfig")
    gencommand.add_argument("-n", "--node", default="", help="one node, by IP or hostname")
    gencommand.add_argument("--extra-flags", action="append", default=[],
                            help="list of additional flags injected into the commands (comma-separated or repeated)")
    gencommand.set_defaults(handler=_gencommand)
    talhelper_extra.register(commands)


def _gensecret(args: argparse.Namespace) -> int:
    if args.from_configfile:
        path = args.from_configfile
        bundle = SecretsBundle.from_controlplane_config(decrypt_file(path), str(path))
    else:
        bundle = SecretsBundle.generate(parse_contract(args.talos_version))
    sys.stdout.write(bundle.to_yaml())
    return 0


config_file_name = talhelper_genconfig.config_file_name


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
    definition = load_definition(args.config_file, env_files=talhelper_genconfig.env_files(args))
    out = args.out_dir.rstrip("/")
    talosconfig_flag = f"--talosconfig={out}/talosconfig"
    # pflag StringSlice reads each value as CSV: "--insecure,--wait=false" is two flags.
    extra = " ".join(flag for value in args.extra_flags for row in csv.reader([value]) for flag in row if flag)
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
