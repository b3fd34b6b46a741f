"""`pulumi preview` of a stack on a machine without the Pulumi CLI and without any network:

    python -m tests.preview dev

The program runs under the Pulumi SDK's mocks and every dynamic resource's Check and Diff run in the SDK's own
provider host (`python -m pulumi.dynamic`), as tests/engine.py does for the test suite; no node, hypervisor or
cloud is contacted (a preview never does). The stack file's encrypted values need the stack's passphrase, so
placeholder API credentials stand in for them. What it cannot show: the real engine's output format, state
from a backend, and the cloud providers' own checks (they run inside their plugins, which need the CLI).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter

from components import program

from .conftest import ROOT
from .engine import Engine, Program
from .provider_host import ProviderHost
from .stacks import TEST_SECRETS, CloudOutputs, stack_config

SYMBOLS = {"create": "+", "update": "~", "replace": "+-", "delete": "-", "same": " "}


def stacks() -> list[str]:
    return sorted(path.name.removeprefix("Pulumi.").removesuffix(".yaml") for path in ROOT.glob("Pulumi.*.yaml"))


def preview(stack: str) -> dict[str, str]:
    """urn → operation for a first preview of `stack` (no state yet: everything is a create)."""
    config = {**stack_config(stack), **TEST_SECRETS}
    with ProviderHost() as host:
        engine = Engine(host, mock=CloudOutputs())
        return engine.preview(Program(program.build, stack=stack, config=config, secret_keys=list(TEST_SECRETS)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.preview", description=__doc__.splitlines()[0])
    parser.add_argument("stack", choices=stacks(), help="a Pulumi.<stack>.yaml of this project")
    args = parser.parse_args(argv)
    try:
        operations = preview(args.stack)
    except Exception as error:  # the program's own errors name the key or file; print them as the CLI would
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"Previewing update ({args.stack}) with the engine stand-in (tests/engine.py):\n")
    for urn, operation in operations.items():
        kind, name = urn.split("::")[-2], urn.split("::")[-1]
        print(f" {SYMBOLS.get(operation, '?'):2} {kind.split('$')[-1]:48} {name:56} {operation}")
    counts = Counter(operations.values())
    summary = [f"    {SYMBOLS.get(op, '?')} {count} to {op}" for op, count in sorted(counts.items())]
    print("\nResources:\n" + "\n".join(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
