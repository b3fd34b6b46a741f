"""talhelper ``genurl image|installer`` and ``validate talconfig|nodeconfig`` (cmd/genurl*.go,
cmd/validate_talconfig.go, cmd/validate_nodeconfig.go); talosctl's own ``validate`` is cli/validate.py."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .. import yamlio
from ..definition import DefinitionError, installer_image, load_definition, node_image, parse_definition
from ..errors import ConfigError
from ..imagefactory import FACTORY, FactoryImage, schematic_id
from ..versions import TALHELPER_TALOS_VERSION
from .flags import string_slice
from .talhelper_genconfig import add_env_file, env_files

BOOT_METHODS = ("iso", "disk-image", "pxe")
LATEST_TALOS = TALHELPER_TALOS_VERSION
DEFAULT_TALCONFIG = "talconfig.yaml"


def register(commands: Any) -> None:
    genurl = commands.add_parser("genurl", help="print Image Factory URLs (talhelper genurl)")
    kinds = genurl.add_subparsers(dest="genurl_kind", metavar="{image,installer}", required=True)
    for kind, text in (("image", "URL for Talos ISO or disk image"), ("installer", "URL for Talos installer image")):
        parser = kinds.add_parser(kind, help=text)
        parser.add_argument("-c", "--config-file", default="talconfig.yaml")
        parser.add_argument("--env-file", action="append", default=None, metavar="FILES",
                            help="list of files containing env variables for config file")
        parser.add_argument("-n", "--node", default="", help="one node, by IP or hostname")
        parser.add_argument("-r", "--registry-url", default=FACTORY, help="registry url of the image")
        parser.add_argument("-v", "--version", default=LATEST_TALOS, help="Talos version (without talconfig.yaml)")
        parser.add_argument("-e", "--extension", action="append", default=[],
                            help="official extension (ignored when talconfig.yaml is found)")
        parser.add_argument("-k", "--kernel-arg", action="append", default=[],
                            help="kernel argument (ignored when talconfig.yaml is found)")
        parser.add_argument("--offline-mode", action="store_true", help="accepted: IDs are always computed offline")
        parser.add_argument("--secure-boot", action="store_true", help="Secure Boot enabled URL")
        parser.add_argument("-m", "--talos-mode", default="metal", help="Talos runtime mode (platform)")
        parser.add_argument("--customization-file", default="", help="schematic file; ignores talconfig.yaml")
        if kind == "image":
            parser.add_argument("-a", "--arch", default="amd64")
            parser.add_argument("--boot-method", default="iso", help="iso, disk-image or pxe")
            parser.add_argument("--suffix", default="", help="disk image extension, e.g. raw.xz, qcow2")
        parser.set_defaults(handler=_genurl, genurl_kind=kind)



def register_validate_targets(validate: argparse.ArgumentParser) -> None:
    """talhelper's ``validate talconfig`` and ``validate nodeconfig``, under the shared ``validate`` verb."""
    targets = validate.add_subparsers(dest="validate_kind", metavar="{talconfig,nodeconfig}")
    talconfig = targets.add_parser("talconfig", help="check the validity of a talhelper config file")
    talconfig.add_argument("file", nargs="?", default=DEFAULT_TALCONFIG)
    add_env_file(talconfig)
    talconfig.add_argument("--no-substitute", action="store_true", help="do not substitute ${VAR}s")
    talconfig.set_defaults(handler=_validate_talconfig)
    nodeconfig = targets.add_parser("nodeconfig", help="check the validity of Talos node config files")
    nodeconfig.add_argument("files", nargs="*")
    nodeconfig.add_argument("-m", "--mode", default="metal", help="Talos runtime mode to validate with")
    nodeconfig.set_defaults(handler=_validate_nodeconfig)


def _flag_image(args: argparse.Namespace, schematic: dict[str, Any]) -> FactoryImage:
    if args.registry_url != FACTORY:
        raise ConfigError(f"--registry-url {args.registry_url}: only {FACTORY} is supported")
    return FactoryImage(schematic_id(schematic, "schematic"), args.version, args.talos_mode,
                        getattr(args, "arch", "amd64"), args.secure_boot)


def _url(args: argparse.Namespace, image: FactoryImage) -> str:
    if args.genurl_kind == "installer":
        return image.installer_image
    if args.boot_method not in BOOT_METHODS:
        raise ConfigError("invalid boot-method, should be one of iso, disk-image, pxe")
    if args.boot_method == "pxe":
        return image.pxe_url
    if args.boot_method == "disk-image":
        if args.suffix:
            return f"https://{FACTORY}/image/{image.schematic_id}/{image.talos_version}/" \
                   f"{image.platform}-{image.arch}.{args.suffix}"
        return image.disk_image_url()
    return image.iso_url


def _genurl(args: argparse.Namespace) -> int:
    if args.customization_file:
        schematic = yamlio.load(Path(args.customization_file).read_text()) or {}
        print(_url(args, _flag_image(args, schematic)))
        return 0
    if not Path(args.config_file).exists():
        customization: dict[str, Any] = {}
        if args.kernel_arg:
            customization["extraKernelArgs"] = string_slice(args.kernel_arg)
        if args.extension:
            customization["systemExtensions"] = {"officialExtensions": string_slice(args.extension)}
        print(_url(args, _flag_image(args, {"customization": customization} if customization else {})))
        return 0
    definition = load_definition(args.config_file, env_files=env_files(args))
    urls: list[tuple[str, str]] = []
    for node in definition.nodes:
        if args.node and args.node not in (node.hostname, *node.addresses):
            continue
        if args.genurl_kind == "installer":
            url = installer_image(definition, node)
        else:
            url = _url(args, node_image(definition, node))
        urls.append((node.hostname, url))
    if not urls:
        raise ConfigError(f"Node with IP address or hostname of {args.node} is not found in the config file")
    for hostname, url in urls:
        print(url if len(urls) == 1 else f"{hostname}: {url}")
    return 0


def _validate_talconfig(args: argparse.Namespace) -> int:
    try:
        if args.no_substitute:
            parse_definition(Path(args.file).read_text(), args.file, substitute=False)
        else:
            load_definition(args.file, env_files=env_files(args))
    except OSError as error:  # --no-substitute reads the file itself
        raise ConfigError(f"failed to read config file {Path(args.file).absolute()}: {error.strerror}") from None
    except DefinitionError as error:
        unreadable = next((p for p in error.problems if p.path == "(file)" and p.message.startswith("cannot read")),
                          None)
        if unreadable is not None:  # talhelper: "failed to read config file: open talconfig.yaml: ..."
            raise ConfigError(f"failed to read config file {Path(args.file).absolute()}: "
                              f"{unreadable.message.removeprefix('cannot read: ')}"
                              + ("; pass the file: validate talconfig FILE" if args.file == DEFAULT_TALCONFIG
                                 else "")) from None
        # talhelper's layout, with the file named (several may be validated from one folder)
        print(f"There are issues with your talhelper config file {args.file}:")
        for problem in error.problems:
            shown = f" (got {problem.value!r})" if problem.has_value else ""
            print(f'field: "{problem.path}"\n{problem.message}{shown}')
        return 1
    print("Your talhelper config file is looking great!")
    return 0


def _validate_nodeconfig(args: argparse.Namespace) -> int:
    """pkg/talos/validate.go ValidateConfigFromFile: Talos's machinery (v1.14 in talhelper's go.mod), local and
    strict; warnings printed as they are, the first invalid file ends the run."""
    from ..validation import Mode, validate_text

    if not args.files:
        raise ConfigError("please specify at least 1 talos node config file you want to validate")
    if args.mode not in ("cloud", "container", "metal"):  # talhelper's parseMode
        raise ConfigError(f"unknown Talos runtime mode: {args.mode!r}")
    for name in args.files:
        problems = validate_text(_read(name), minor=14, mode=Mode(args.mode), strict=True)
        for warning in (p for p in problems if p.warning):
            print(warning)
        errors = [str(p) for p in problems if not p.warning]
        if errors:
            raise ConfigError(f"failed to validate Talos node config file {name}: {'; '.join(errors)}")
        print(f"{name} is valid for {args.mode} mode")
    return 0


def _read(name: str) -> bytes:
    try:
        return yamlio.read_bytes(name)
    except OSError as error:
        raise ConfigError(f"{name}: cannot read: {error.strerror}") from None
