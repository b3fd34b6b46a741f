"""``schematic id FILE``: the Image Factory schematic ID of a schematic file, computed offline."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .. import yamlio
from ..errors import ConfigError
from ..imagefactory import schematic_id


def register(commands: Any) -> None:
    parser = commands.add_parser("schematic", help="Image Factory schematics")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    ident = verbs.add_parser("id", help="print the schematic ID of FILE (YAML or JSON), as the factory computes it")
    ident.add_argument("file", help="schematic file, or - for standard input")
    ident.set_defaults(handler=_id)


def _id(args: argparse.Namespace) -> int:
    source = "<stdin>" if args.file == "-" else args.file
    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text()
    except OSError as error:
        raise ConfigError(f"{source}: cannot read schematic: {error.strerror}") from None
    try:
        data = yamlio.load(text)
    except Exception as error:
        raise ConfigError(f"{source}: not valid YAML or JSON: {yamlio.describe_error(error)}") from None
    print(schematic_id(data, source))
    return 0
