"""``talosctl patch machineconfig`` and ``talosctl edit machineconfig``: read each node's active config,
change it, apply it back (cmd/talosctl/cmd/talos/patch.go, edit.go, pkg/talos/helpers/resources.go)."""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from .. import documents
from ..api import calls
from ..api.client import TalosClient
from ..errors import MESSAGE_LIMIT, ConfigError, terminal_safe
from ..patching import apply_patches, load_patches
from .flags import seconds
from .resources import resolve
from .session import Session, add_global_flags

_EDIT_HEADER = ("# Edit the machine config below. Lines beginning with '#' are ignored;\n"
                "# an empty file cancels the edit.\n")


def add_mode_flags(parser: argparse.ArgumentParser) -> None:
    """helpers.AddModeFlags: --mode/-m with talosctl's names, --dry-run, --timeout for try mode."""
    parser.add_argument("-m", "--mode", default="auto", choices=sorted(calls.APPLY_MODES),
                        help="apply mode (default auto)")
    parser.add_argument("--dry-run", action="store_true", help="print the change summary; apply nothing")
    parser.add_argument("--timeout", default="1m", help="try mode: roll back after this long (Go duration)")


def print_apply_result(result: calls.ApplyResult) -> None:
    """helpers.PrintApplyResults: warnings, then the mode details (on stderr, as talosctl)."""
    for warning in result.warnings:
        print(f"WARNING: {terminal_safe(warning, MESSAGE_LIMIT)}", file=sys.stderr)
    if result.details:  # a dry run's config diff is long by nature: shown whole, its controls escaped
        print(terminal_safe(result.details, None, lines=True), file=sys.stderr)


def _machine_config_only(args: argparse.Namespace) -> None:
    if resolve(args.resource).type != calls.MACHINE_CONFIG_TYPE:
        raise ConfigError(f"{args.command} {args.resource}: only machineconfig can be changed this way")


def _strip_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")).strip()


def _update(args: argparse.Namespace, change: Callable[[str, str], str | None]) -> int:
    """For each node: read its config, let `change` produce the new text (None: cancelled), apply it."""
    _machine_config_only(args)
    session = Session(args)
    try_timeout = timedelta(seconds=seconds(args.timeout, "--timeout"))

    async def update(client: TalosClient, node: str) -> None:
        body = await calls.machine_config(client, node=node)
        patched = change(node, body)
        if patched is None:
            return
        if documents.decode(patched, f"{node} patched config") == documents.decode(body, f"{node} config"):
            print("Apply was skipped: no changes detected.", file=sys.stderr)
            return
        result = await calls.apply_configuration(client, patched.encode(), mode=args.mode, dry_run=args.dry_run,
                                                 try_timeout=try_timeout, node=node)
        print(f"patched {calls.MACHINE_CONFIG_TYPE}/v1alpha1 at the node {node}", file=sys.stderr)
        print_apply_result(result)

    session.each(update)
    return 0


def _patch(args: argparse.Namespace) -> int:
    references = list(args.patch or []) + ([f"@{args.patch_file}"] if args.patch_file else [])
    if not references:
        raise ConfigError("patch: either --patch or --patch-file should be defined")
    patches = load_patches(references, label="--patch")

    def change(node: str, body: str) -> str:
        return documents.encode(apply_patches(documents.decode(body, f"{node} config"), patches))

    return _update(args, change)


def _editor() -> list[str]:
    """kubectl's editor lookup, as talosctl uses it: $TALOS_EDITOR, then $EDITOR, else vi."""
    for variable in ("TALOS_EDITOR", "EDITOR"):
        value = os.environ.get(variable, "").strip()
        if value:
            return shlex.split(value)
    return ["vi"]


def _edit(args: argparse.Namespace) -> int:
    def change(node: str, body: str) -> str | None:
        with tempfile.TemporaryDirectory(prefix="talos-edit-") as directory:
            path = Path(directory) / f"{node.replace(':', '_')}.machineconfig.yaml"
            path.write_text(f"# Node {node}\n{_EDIT_HEADER}{body}")
            path.chmod(0o600)
            command = [*_editor(), str(path)]
            try:
                subprocess.run(command, check=True)
            except FileNotFoundError:
                raise ConfigError(f"edit: editor {command[0]!r} not found; set $TALOS_EDITOR or $EDITOR") from None
            except subprocess.CalledProcessError as error:
                raise ConfigError(f"edit: editor {command[0]!r} exited with {error.returncode}") from None
            edited = path.read_text()
        if not _strip_comments(edited):
            print("Edit cancelled, no valid changes were saved.", file=sys.stderr)
            return None
        return edited

    return _update(args, change)


def register(commands: Any) -> None:
    patch = commands.add_parser("patch", help="patch the machine config of nodes (talosctl patch machineconfig)")
    add_global_flags(patch)
    patch.add_argument("resource", metavar="machineconfig")
    patch.add_argument("-p", "--patch", action="append",
                       help="the patch, inline (JSON/YAML) or @file (repeatable)")
    patch.add_argument("--patch-file", help="a file containing a patch")
    add_mode_flags(patch)
    patch.set_defaults(handler=_patch)

    edit = commands.add_parser("edit", help="edit the machine config of nodes in $EDITOR (talosctl edit)")
    add_global_flags(edit)
    edit.add_argument("resource", metavar="machineconfig")
    add_mode_flags(edit)
    edit.set_defaults(handler=_edit)
