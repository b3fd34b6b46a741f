"""``gen secrets`` and ``gen config`` with talosctl's flags and file conventions."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .. import yamlio
from ..bundle import PatchSet, render_role
from ..clientconfig import talosconfig
from ..documents import encode
from ..errors import ConfigError
from ..files import write_output
from ..generate import ROLES, GenerateInput
from ..imagefactory import default_installer_image
from ..patching import load_patches
from ..secrets import SecretsBundle
from ..validation import Mode, check_config
from ..versions import (
    DEFAULT_TALOS_VERSION,
    default_kubernetes_version,
    normalize_kubernetes_version,
    parse_contract,
)
from . import secret_files
from .flags import add_bool, string_slice

OUTPUT_TYPES = ("controlplane", "worker", "talosconfig")


def register(commands: Any) -> None:
    gen = commands.add_parser("gen", help="generate secrets and machine configs (talosctl gen)")
    verbs = gen.add_subparsers(dest="verb", metavar="VERB", required=True)

    secrets = verbs.add_parser("secrets", help="generate a secrets bundle file (talosctl gen secrets)")
    secrets.add_argument("-o", "--output-file", default="secrets.yaml", help="output path, - for stdout")
    secrets.add_argument("--from-controlplane-config", metavar="FILE",
                         help="extract the bundle from an existing controlplane config")
    secrets.add_argument("--talos-version", help="version contract of the bundle, e.g. v1.13 (default: current)")
    secrets.add_argument("-f", "--force", action="store_true", help="overwrite an existing file")
    secrets.set_defaults(handler=_gen_secrets)

    config = verbs.add_parser("config", help="generate controlplane, worker and talosconfig (talosctl gen config)")
    config.add_argument("cluster_name", metavar="NAME")
    config.add_argument("endpoint", metavar="ENDPOINT", help="Kubernetes API endpoint, e.g. https://192.168.1.80:6443")
    config.add_argument("--with-secrets", metavar="FILE", help="use a secrets bundle file instead of generating one")
    config.add_argument("--talos-version", help=f"version contract (default {DEFAULT_TALOS_VERSION})")
    config.add_argument("--kubernetes-version", help="Kubernetes version (default: the Talos release's default)")
    config.add_argument("--additional-sans", action="append", help="extra certificate SANs (comma-separated)")
    config.add_argument("--dns-domain", default="cluster.local")
    config.add_argument("--install-disk", default="/dev/sda")
    config.add_argument("--install-image", help="installer image (default: the release's, ghcr.io/siderolabs/"
                        "installer:<version> up to v1.13, the Image Factory's metal installer from v1.14)")
    config.add_argument("--registry-mirror", action="append", metavar="HOST=URL",
                        help="registry mirror, e.g. docker.io=https://mirror.example (repeatable)")
    config.add_argument("--config-patch", action="append", default=[], help="patch for all machine types")
    config.add_argument("--config-patch-control-plane", action="append", default=[])
    config.add_argument("--config-patch-worker", action="append", default=[])
    add_bool(config, "--with-docs", False, "render documentation comments (not supported: always false)")
    add_bool(config, "--with-examples", False, "render example comments (not supported: always false)")
    add_bool(config, "--with-cluster-discovery", True, "enable cluster discovery")
    add_bool(config, "--with-kubespan", False, "enable KubeSpan")
    config.add_argument("-t", "--output-types", action="append",
                        help="controlplane, worker, talosconfig (comma-separated; default all)")
    config.add_argument("-o", "--output", default=".", help="output directory, or - for stdout with one type")
    config.add_argument("-f", "--force", action="store_true", help="overwrite existing files")
    config.set_defaults(handler=_gen_config)


def _gen_secrets(args: argparse.Namespace) -> int:
    if args.from_controlplane_config:
        path = Path(args.from_controlplane_config)
        try:
            text = yamlio.read_text(path)
        except OSError as error:
            raise ConfigError(f"{path}: cannot read: {error.strerror}") from None
        except yamlio.StrictYAMLError as error:
            raise ConfigError(f"{path}: {error}") from None
        bundle = SecretsBundle.from_controlplane_config(text, str(path))
    else:
        bundle = SecretsBundle.generate(parse_contract(args.talos_version or DEFAULT_TALOS_VERSION))
    if args.output_file == "-":
        sys.stdout.write(bundle.to_yaml())
    else:
        bundle.write(args.output_file, force=args.force)
        secret_files.cover([Path(args.output_file)])
    return 0


def _registry_mirrors(values: list[str] | None) -> dict[str, list[str]]:
    mirrors: dict[str, list[str]] = {}
    for value in values or []:
        host, sep, url = value.partition("=")
        if not sep or not host or not url:
            raise ConfigError(f"--registry-mirror {value!r}: expected HOST=URL, e.g. docker.io=https://mirror.local")
        mirrors.setdefault(host, []).append(url)
    return mirrors


def _gen_config(args: argparse.Namespace) -> int:
    talos_version = args.talos_version or DEFAULT_TALOS_VERSION
    contract = parse_contract(talos_version)
    if args.with_docs or args.with_examples:
        print("warning: documentation and example comments are not rendered", file=sys.stderr)
    output_types = string_slice(args.output_types) or list(OUTPUT_TYPES)
    unknown = [t for t in output_types if t not in OUTPUT_TYPES]
    if unknown:
        raise ConfigError(f"--output-types {unknown[0]!r}: expected one of {', '.join(OUTPUT_TYPES)}")
    if args.with_secrets:
        bundle = SecretsBundle.read(args.with_secrets)
    else:
        print("generating PKI and tokens", file=sys.stderr)
        bundle = SecretsBundle.generate(contract)
    # a full tag picks that release's defaults; a bare contract (v1.11) keeps talosctl's own release
    tag = talos_version if talos_version.count(".") == 2 else DEFAULT_TALOS_VERSION
    k8s = normalize_kubernetes_version(args.kubernetes_version or default_kubernetes_version(tag))
    gen = GenerateInput(
        cluster_name=args.cluster_name, endpoint=args.endpoint, kubernetes_version=k8s, secrets=bundle,
        contract=contract, additional_sans=string_slice(args.additional_sans), dns_domain=args.dns_domain,
        install_disk=args.install_disk, install_image=args.install_image or default_installer_image(tag),
        registry_mirrors=_registry_mirrors(args.registry_mirror), discovery_enabled=args.with_cluster_discovery,
        kubespan_enabled=args.with_kubespan,
    )
    patches = PatchSet(load_patches(args.config_patch, label="--config-patch"),
                       load_patches(args.config_patch_control_plane, label="--config-patch-control-plane"),
                       load_patches(args.config_patch_worker, label="--config-patch-worker"))
    configs = {}
    for role in ROLES:  # every role is checked before any file is written
        documents = render_role(gen, role, patches)
        # as `talosctl validate --mode metal` checks it (a gen config output carries its install disk)
        check_config(documents, minor=contract.minor, mode=Mode.METAL, source=f"{role}.yaml", local=True)
        configs[role] = encode(documents)
    outputs = {"controlplane": configs["controlplane"], "worker": configs["worker"]}
    if "talosconfig" in output_types:
        outputs["talosconfig"] = talosconfig(bundle, args.cluster_name, endpoints=[])
    if args.output == "-":
        if len(output_types) != 1:
            raise ConfigError("-o -: stdout takes exactly one --output-types value")
        sys.stdout.write(outputs[output_types[0]])
        return 0
    directory = Path(args.output)
    directory.mkdir(parents=True, exist_ok=True)
    names = {"controlplane": "controlplane.yaml", "worker": "worker.yaml", "talosconfig": "talosconfig"}
    for output_type in output_types:
        # every output holds private keys (configs: five CAs; talosconfig: an admin key), so 0600
        write_output(directory / names[output_type], outputs[output_type], 0o600, overwrite=args.force)
        print(f"Created {directory / names[output_type]}", file=sys.stderr)
    secret_files.cover(directory / names[output_type] for output_type in output_types)
    return 0
