"""``talosctl kubeconfig [local-path]``: fetch the admin kubeconfig and write or merge it as talosctl does
(siderolabs/talos cmd/talosctl/cmd/talos/kubeconfig.go; merging by siderolabs/go-kubeconfig merge.go)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import yaml

from .. import yamlio
from ..api import calls
from ..errors import MESSAGE_LIMIT, ConfigError, terminal_safe
from ..files import write_output
from . import secret_files
from .flags import add_bool
from .session import Session, add_global_flags

SECTIONS = (("clusters", "cluster"), ("users", "auth info"), ("contexts", "context"))


def _rename(taken: set[str], name: str) -> str:
    """go-kubeconfig's rename: name-1, name-2, … until free."""
    i, candidate = 0, name
    while candidate in taken:
        i += 1
        candidate = f"{name}-{i}"
    return candidate


def merge(existing: dict[str, Any], new: dict[str, Any], force: bool) -> tuple[dict[str, Any], list[str]]:
    """Merge `new` into `existing`: an entry of the same name that differs is overwritten with --force and
    renamed otherwise (talosctl's choice when stdout is not a terminal); the new context becomes current."""
    by_name = {section: {item["name"]: item for item in existing.get(section) or []} for section, _ in SECTIONS}
    renames: dict[str, dict[str, str]] = {section: {} for section, _ in SECTIONS}
    messages: list[str] = []
    for section, label in SECTIONS:
        for item in new.get(section) or []:
            name = item["name"]
            if section == "users":  # auth infos follow cluster renames (go-kubeconfig applies the mapping)
                for old, renamed in renames["clusters"].items():
                    name = name.replace(old, renamed)
            if section == "contexts":
                for old, renamed in renames["users"].items():
                    name = name.replace(old, renamed)
            old_item = by_name[section].get(name)
            if old_item is not None and old_item != {**item, "name": name} and not force:
                name = _rename(set(by_name[section]), name)
            renames[section][item["name"]] = name
            if name != item["name"]:
                messages.append(f"renamed {label} {item['name']!r} -> {name!r}".replace("'", '"'))
    merged = dict(existing)
    for section, _ in SECTIONS:
        for item in new.get(section) or []:
            entry = dict(item, name=renames[section][item["name"]])
            if section == "contexts":
                context = dict(entry.get("context") or {})
                context["cluster"] = renames["clusters"].get(context.get("cluster", ""), context.get("cluster"))
                context["user"] = renames["users"].get(context.get("user", ""), context.get("user"))
                entry["context"] = context
            by_name[section][entry["name"]] = entry
            merged["current-context"] = entry["name"] if section == "contexts" else merged.get("current-context")
        merged[section] = list(by_name[section].values())
    merged.setdefault("apiVersion", "v1")
    merged.setdefault("kind", "Config")
    return merged, messages


def _parse(text: str, source: str) -> Any:
    try:
        return yamlio.load(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"{source}: not YAML: {yamlio.describe_error(error)}") from None


def _kubeconfig_shape(data: Any, source: str) -> dict[str, Any]:
    """A kubeconfig as merge() reads it (client-go's Config: clusters, users and contexts, each a list of
    named entries; a context's `context` a mapping), or an error naming the source and the field."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: not a kubeconfig; expected a mapping with clusters, users and contexts")
    for section, _ in SECTIONS:
        entries = data.get(section)
        if entries is None:
            continue
        if not isinstance(entries, list):
            raise ConfigError(f"{source}: {section} is {type(entries).__name__}; expected a list")
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                raise ConfigError(f"{source}: {section}[{index}] has no name; expected a mapping with a name")
            context = entry.get("context") or {}
            if section == "contexts" and not (isinstance(context, dict) and all(
                    isinstance(context.get(key, ""), str) for key in ("cluster", "user"))):
                raise ConfigError(f"{source}: contexts[{index}].context: expected a mapping naming its cluster "
                                  "and user")
    return data


def _read_kubeconfig(path: Path) -> dict[str, Any]:
    """The kubeconfig to merge into: any file a user has, refused by name when it is not one."""
    source = f"kubeconfig {path}"
    return _kubeconfig_shape(_parse(yamlio.read_named(path, source), source), source)


def _default_path(use_merge: bool) -> Path:
    """kubeconfig.SinglePath (the first $KUBECONFIG entry, else ~/.kube/config) when merging, else the
    working directory."""
    if not use_merge:
        return Path.cwd()
    first = (os.environ.get("KUBECONFIG") or "").split(os.pathsep)[0]
    return Path(first) if first else Path.home() / ".kube" / "config"


def _kubeconfig(args: argparse.Namespace) -> int:
    session = Session(args)
    use_merge = args.merge
    path = Path(args.path) if args.path else _default_path(use_merge)
    to_stdout = args.path == "-" and not use_merge
    if not to_stdout:
        if path.is_dir():
            path = path / "kubeconfig"
        elif not path.exists():
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise ConfigError(f"kubeconfig {path}: cannot create {path.parent}: {error.strerror}") from None
        if path.exists() and not (args.force or use_merge):
            raise ConfigError(f'kubeconfig file already exists, use --force to overwrite: "{path}"')
        if not path.exists():
            use_merge = False
    node, text = session.one("kubeconfig", lambda client, node: calls.kubeconfig(client, node=node))
    # Checked before it is written anywhere: YAML admits no control characters, so none reach a terminal.
    received = _kubeconfig_shape(_parse(text, f"kubeconfig from node {node}"), f"kubeconfig from node {node}")
    if to_stdout:
        sys.stdout.write(text)
        return 0
    if use_merge:
        existing = _read_kubeconfig(path)
        merged, messages = merge(existing, received, args.force)
        for message in messages:
            print(terminal_safe(message, MESSAGE_LIMIT))
        text = yaml.safe_dump(merged, sort_keys=True, default_flow_style=False, width=1 << 20)
    write_output(path, text)
    secret_files.cover([path], only_in_repository=True)
    return 0


def register(commands: Any) -> None:
    kubeconfig = commands.add_parser("kubeconfig", help="download the admin kubeconfig (talosctl kubeconfig)")
    add_global_flags(kubeconfig)
    kubeconfig.add_argument("path", nargs="?", metavar="local-path",
                            help="file or directory (default: merge into $KUBECONFIG or ~/.kube/config)")
    add_bool(kubeconfig, "--merge", True, "merge with an existing kubeconfig")
    kubeconfig.add_argument("-m", dest="merge", action="store_const", const=True, help=argparse.SUPPRESS)
    kubeconfig.add_argument("-f", "--force", action="store_true",
                            help="overwrite an existing kubeconfig, or conflicting entries when merging")
    kubeconfig.set_defaults(handler=_kubeconfig)
