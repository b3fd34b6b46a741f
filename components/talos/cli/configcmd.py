"""``talosctl config endpoint|node|merge|context|contexts`` on a talosconfig file, as talosctl edits it
(siderolabs/talos cmd/talosctl/cmd/talos/config.go, pkg/machinery/client/config/config.go)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

from .. import yamlio
from ..errors import ConfigError
from ..files import write_output
from . import secret_files
from .session import add_global_flags, talosconfig_path
from .tables import print_table

# The key order of clientconfig.Context's YAML tags; anything else in a context is kept after them.
_CONTEXT_KEYS = ("endpoints", "nodes", "ca", "crt", "key")


def _open(path: Path) -> dict[str, Any]:
    """clientconfig.Open: a missing file is created empty first (ensure), so `config merge` can start one."""
    if not path.exists():
        _save(path, {"context": "", "contexts": {}})
    source = f"error reading config: {path}"
    text = yamlio.read_named(path, source)
    try:
        data = yamlio.load(text) or {}
    except yaml.YAMLError as error:  # not YAML, too deep, excessive aliasing
        raise ConfigError(f"{source}: {yamlio.describe_error(error)}") from None
    if not isinstance(data, dict) or not isinstance(data.get("contexts", {}) or {}, dict) or not all(
            isinstance(entry, dict) for entry in (data.get("contexts") or {}).values()):
        raise ConfigError(f"error reading config: {path}: not a talosconfig; expected context and contexts")
    data["contexts"] = data.get("contexts") or {}
    return data


def _save(path: Path, data: dict[str, Any]) -> None:
    contexts = {}
    for name, entry in (data.get("contexts") or {}).items():
        ordered = {key: entry[key] for key in _CONTEXT_KEYS if entry.get(key) or key == "endpoints"}
        ordered.update({key: value for key, value in entry.items() if key not in _CONTEXT_KEYS})
        contexts[name] = ordered
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as error:
        raise ConfigError(f"error writing config: {path.parent}: {error.strerror}") from None
    write_output(path, yamlio.dump({"context": data.get("context") or "", "contexts": contexts}))
    secret_files.cover([path], only_in_repository=True)


def _context_data(data: dict[str, Any], args: argparse.Namespace, path: Path) -> dict[str, Any]:
    """getContextData: --context, else the current context; it must exist."""
    name = getattr(args, "context", None) or data.get("context") or ""
    if not name:
        raise ConfigError(f"{path}: no context is set")
    entry = data["contexts"].get(name)
    if not isinstance(entry, dict):
        raise ConfigError(f"{path}: context {name!r} is not defined")
    return entry


def _set_list(key: str) -> Any:
    def handler(args: argparse.Namespace) -> int:
        path = talosconfig_path(args)
        data = _open(path)
        _context_data(data, args, path)[key] = [value.strip() for value in args.values]
        _save(path, data)
        return 0

    return handler


def _context(args: argparse.Namespace) -> int:
    path = talosconfig_path(args)
    data = _open(path)
    if args.name not in data["contexts"]:
        raise ConfigError(f"{path}: context {args.name!r} is not defined")
    data["context"] = args.name
    _save(path, data)
    return 0


def _contexts(args: argparse.Namespace) -> int:
    data = _open(talosconfig_path(args))
    rows = []
    for name in sorted(data["contexts"]):
        entry = data["contexts"][name] or {}
        nodes = list(entry.get("nodes") or [])
        shown = ",".join(nodes[:3]) + ("..." if len(nodes) > 3 else "")
        rows.append(["*" if name == data.get("context") else "", name, ",".join(entry.get("endpoints") or []), shown])
    print_table(["CURRENT", "NAME", "ENDPOINTS", "NODES"], rows)
    return 0


def merge(into: dict[str, Any], other: dict[str, Any]) -> list[tuple[str, str]]:
    """Config.Merge: contexts of the same name are renamed name-1, name-2, …; the merged file's current
    context becomes the other file's (renamed) current context."""
    renames, mapped = [], {}
    for name, entry in other["contexts"].items():
        merged = name
        i = 0
        while merged in into["contexts"]:
            i += 1
            merged = f"{name}-{i}"
        mapped[name] = merged
        if merged != name:
            renames.append((name, merged))
        into["contexts"][merged] = entry
    if other.get("context"):
        into["context"] = mapped.get(other["context"], "")
    return renames


def _merge(args: argparse.Namespace) -> int:
    path = talosconfig_path(args)
    source = Path(args.source)
    if not source.is_file():
        raise ConfigError(f"error reading config: {source}: no such file")
    data, other = _open(path), _open(source)
    for old, new in merge(data, other):
        print(f'renamed talosconfig context "{old}" -> "{new}"', file=sys.stderr)
    _save(path, data)
    return 0


def register(commands: Any) -> None:
    config = commands.add_parser("config", help="manage the client configuration file (talosctl config)")
    verbs = config.add_subparsers(dest="verb", metavar="VERB", required=True)
    for verb, alias, key, help_text in (("endpoint", "endpoints", "endpoints", "set the endpoints of the context"),
                                        ("node", "nodes", "nodes", "set the nodes of the context")):
        command = verbs.add_parser(verb, aliases=[alias], help=help_text)
        add_global_flags(command)
        command.add_argument("values", nargs="+" if key == "endpoints" else "*", metavar=verb.upper())
        command.set_defaults(handler=_set_list(key))
    context = verbs.add_parser("context", aliases=["use-context"], help="set the current context")
    add_global_flags(context)
    context.add_argument("name", metavar="CONTEXT")
    context.set_defaults(handler=_context)
    contexts = verbs.add_parser("contexts", aliases=["get-contexts"], help="list defined contexts")
    add_global_flags(contexts)
    contexts.set_defaults(handler=_contexts)
    merge_command = verbs.add_parser("merge", help="merge the contexts of another talosconfig into this one")
    add_global_flags(merge_command)
    merge_command.add_argument("source", metavar="FROM")
    merge_command.set_defaults(handler=_merge)
