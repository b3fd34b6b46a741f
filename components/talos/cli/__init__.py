"""Command line: each module registers its commands; user errors print one line and exit 1."""

from __future__ import annotations

import argparse
import sys

from ..errors import TalosError
from . import conformance, gen, schematic


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m components.talos",
        description="Talos machinery in Python: talosctl's gen commands, Image Factory schematics, conformance.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in (gen, schematic, conformance):
        module.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except TalosError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
