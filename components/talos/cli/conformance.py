"""``conformance DIR``: render every case of a Talos stability folder and compare with its golden file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .. import conformance


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "conformance", help="compare generated configs with Talos's golden files (testdata/stability layout)")
    parser.add_argument("directory", type=Path, help="folder with secrets.yaml, patch files and vX.Y/ folders")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    results = conformance.run(args.directory)
    for result in results:
        print(result.line())
    failed = sum(not result.passed for result in results)
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0
