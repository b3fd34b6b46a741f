"""Command line: each module registers its commands; user errors print one line and exit 1."""

from __future__ import annotations

import argparse
import os
import sys

from ..errors import TalosError
from . import (
    configcmd,
    conformance,
    debug,
    gen,
    kubeconfig,
    machineconfig,
    resources,
    schematic,
    talhelper,
    talosctl,
    upgrade,
    upgrade_k8s,
    validate,
)
from .session import add_global_flags


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m components.talos",
        description="Talos machinery in Python: talosctl's gen and node commands, talhelper, Image Factory schematics.",
    )
    add_global_flags(parser, root=True)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in (gen, schematic, conformance, talhelper, talosctl, kubeconfig, resources, configcmd, machineconfig,
                   upgrade, upgrade_k8s, debug, validate):
        module.register(commands)
    return parser


def _join_flag_values(argv: list[str], flags: tuple[str, ...] = ("--extra-flags",)) -> list[str]:
    """talhelper's ``--extra-flags --insecure``: the value itself starts with dashes, so glue it on."""
    joined: list[str] = []
    tokens = iter(argv)
    for token in tokens:
        if token in flags:
            value = next(tokens, None)
            joined.append(token if value is None else f"{token}={value}")
        else:
            joined.append(token)
    return joined


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(_join_flag_values(sys.argv[1:] if argv is None else argv))
    try:
        return int(args.handler(args) or 0)
    except TalosError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `get … -o yaml | head`: the reader left. Go programs die of SIGPIPE here, silently; so do we
        # (stdout is pointed at /dev/null so the interpreter's final flush cannot fail again).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
