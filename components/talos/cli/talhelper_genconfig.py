"""``genconfig`` with talhelper's flags (cmd/genconfig.go) and output (pkg/generate/config.go)."""

from __future__ import annotations

import argparse
import datetime
import difflib
import sys
from pathlib import Path
from typing import Any

from ..clientconfig import TALOS_ADMIN_CERT_TTL, talosconfig
from ..definition import ClusterDefinition, NodeDefinition, load_definition, render_node_text
from ..definition.fields import DEFAULT_FILENAME_TMPL, output_file_name
from ..definition.problems import redacted
from ..definition.talenv import DEFAULT_ENV_FILES
from ..errors import ConfigError, SecretsError, TalosError
from ..files import check_output_target, confined_name, write_output
from ..golang.durations import parse_duration
from ..secrets import SecretsBundle
from ..sops import decrypt_file
from ..talsecret import DEFAULT_SECRET_FILES, find_secret_file, load_talsecret
from .flags import string_slice
from .gitignore import append_gitignore, ignore_line

# cmd/genconfig.go --talos-mode: talhelper validates for metal by default; the definitions here always
# install to a disk, which is what metal mode checks.
TALOS_MODES = ("metal",)


def go_duration(text: str) -> datetime.timedelta:
    """time.ParseDuration, as cobra's DurationVar reads ``--crt-ttl 8760h``."""
    if text in ("0", ""):
        raise argparse.ArgumentTypeError("expected a positive duration such as 8760h")
    try:
        nanoseconds = parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{error}; expected e.g. 8760h or 720h30m") from None
    if nanoseconds <= 0:
        raise argparse.ArgumentTypeError("expected a positive duration such as 8760h")
    return datetime.timedelta(microseconds=nanoseconds // 1000)


def add_env_file(parser: Any) -> None:
    parser.add_argument("-e", "--env-file", action="append", default=None, metavar="FILES",
                        help="list of files containing env variables for config file "
                             f"(default {','.join(DEFAULT_ENV_FILES)})")


def env_files(args: argparse.Namespace) -> list[str]:
    return string_slice(args.env_file) if args.env_file else list(DEFAULT_ENV_FILES)


def register(commands: Any) -> None:
    genconfig = commands.add_parser("genconfig", help="render every node's config (talhelper genconfig)")
    genconfig.add_argument("-c", "--config-file", default="talconfig.yaml", help="cluster definition")
    add_env_file(genconfig)
    genconfig.add_argument("-s", "--secret-file", action="append", default=None, metavar="FILES",
                           help="list of files containing secrets for the cluster; the last existing one is used "
                                f"(default {','.join(DEFAULT_SECRET_FILES)}); none existing is an error")
    genconfig.add_argument("-o", "--out-dir", default="./clusterconfig")
    genconfig.add_argument("-m", "--talos-mode", default="metal", help="Talos runtime mode to validate for")
    genconfig.add_argument("--no-gitignore", action="store_true", help="do not create/update the .gitignore file")
    genconfig.add_argument("-n", "--dry-run", action="store_true",
                           help="skip generating manifests and show diff instead")
    genconfig.add_argument("--offline-mode", action="store_true",
                           help="accepted for talhelper compatibility: schematic IDs are always computed offline")
    genconfig.add_argument("--disable-nodes-section", action="store_true",
                           help="disable filling the talosconfig nodes section")
    genconfig.add_argument("--crt-ttl", type=go_duration, default=TALOS_ADMIN_CERT_TTL,
                           help="talosconfig client certificate TTL (default 8760h0m0s)")
    genconfig.set_defaults(handler=_genconfig)


def config_file_name(definition: ClusterDefinition, node: NodeDefinition) -> str:
    """talhelper's per-node file name: the node's filenameTmpl, else ``<clusterName>-<hostname>.yaml``;
    refused when it would leave the output folder."""
    template = str(node.values.get("filenameTmpl") or DEFAULT_FILENAME_TMPL)
    return confined_name(output_file_name(template, definition.cluster_name, node.hostname, node.ip_address or "",
                                          node.role),
                         f"{definition.source}: clusterName and nodes[{node.index}].hostname make the file name")


# Files genconfig writes besides the nodes' (pkg/generate/config.go, pkg/config/gitignore.go).
_OWN_FILES = {"talosconfig": "the talosconfig", ".gitignore": "the .gitignore"}


def output_names(definition: ClusterDefinition, out: Path, gitignore: bool) -> list[str]:
    """Every node's file name, checked before anything is written: inside the folder, no two nodes (or a
    node and talosconfig or .gitignore) on one file, also on a case-insensitive file
    system (macOS, Windows), each one a .gitignore line can match, and no file or folder a symbolic link."""
    names = [config_file_name(definition, node) for node in definition.nodes]
    owners = {name.casefold(): what for name, what in _OWN_FILES.items()}
    for node, name in zip(definition.nodes, names, strict=True):
        where = f"{definition.source}: nodes[{node.index}] ({node.hostname})"
        other = owners.get(name.casefold())
        if other is not None:
            raise ConfigError(f"{where}: its file {out / name} is also {other}'s; filenameTmpl must give every "
                              "node its own file name (names that differ only in case count as one)")
        owners[name.casefold()] = f"nodes[{node.index}] ({node.hostname})"
        if gitignore:
            ignore_line(name, f"{where}: file name")
    for name in [*names, "talosconfig", *([".gitignore"] if gitignore else [])]:
        check_output_target(out / name, ConfigError)
    return names


def _secrets(args: argparse.Namespace) -> SecretsBundle:
    """The existing bundle (decrypted when SOPS-encrypted). None found is an error: talhelper would generate
    throw-away secrets (pkg/talos/input.go NewClusterInput: "new secrets will be generated everytime you run
    this command"), so configs from two runs would belong to two clusters; secrets are made on purpose only."""
    candidates = string_slice(args.secret_file) if args.secret_file else list(DEFAULT_SECRET_FILES)
    found = find_secret_file(candidates)
    if found is None:
        first = candidates[0]
        encrypt = f" && sops -e -i {first}" if ".sops." in Path(first).name else ""
        raise SecretsError(f"no secrets file found: looked for {', '.join(candidates)} in {Path.cwd()}; genconfig "
                           f"never makes new secrets. Make them once (0600, listed in .gitignore): "
                           f"`talos-cluster gen secrets -o {first}`{encrypt}, or pass the cluster's own with -s")
    return load_talsecret(found)


def _diff(path: Path, after: str) -> str:
    """pkg/generate/config.go computeDiff: a unified diff against the file on disk (decrypted if it is SOPS)."""
    before = decrypt_file(path) if path.exists() else ""
    absolute = str(path.resolve())
    return "".join(difflib.unified_diff(before.splitlines(True), after.splitlines(True),
                                        "a" + absolute, "b" + absolute))


def _genconfig(args: argparse.Namespace) -> int:
    if args.talos_mode not in TALOS_MODES:
        raise ConfigError(f"--talos-mode {args.talos_mode}: not supported; talos-cluster renders configs for "
                          f"{', '.join(TALOS_MODES)} mode (machines that install to a disk)")
    definition = load_definition(args.config_file, env_files=env_files(args))
    for warning in definition.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    try:
        return _write_configs(args, definition)
    except TalosError as error:  # file names and configs hold substituted values: errors name their origin
        raise redacted(error, definition.secret_labels) from None


def _write_configs(args: argparse.Namespace, definition: ClusterDefinition) -> int:
    bundle = _secrets(args)
    out = Path(args.out_dir)
    names = output_names(definition, out, not args.no_gitignore)
    # Every node is rendered before anything is written: a failing node leaves no partial output.
    rendered = [(node, name, render_node_text(definition, node, bundle))
                for node, name in zip(definition.nodes, names, strict=True)]
    if args.dry_run:
        for _, name, text in rendered:
            diff = _diff(out / name, text)
            print(diff if diff else f"no changes found on {args.out_dir}/{name}")
        return 0
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    for node, name, text in rendered:
        write_output(out / name, text)
        print(f"generated config for {node.hostname} in {args.out_dir}/{name}")
    endpoints = [a for n in definition.control_planes for a in n.addresses]
    nodes = [] if args.disable_nodes_section else [a for n in definition.nodes for a in n.addresses]
    write_output(out / "talosconfig", talosconfig(bundle, definition.cluster_name, endpoints, nodes,
                                                  ttl=args.crt_ttl))
    print(f"generated client config in {args.out_dir}/talosconfig")
    if not args.no_gitignore:
        append_gitignore(out, [name for _, name, _ in rendered] + ["talosconfig"])
        print(f"generated .gitignore file in {args.out_dir}/.gitignore")
    return 0
