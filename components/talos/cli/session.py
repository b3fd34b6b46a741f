"""talosctl's global flags (--talosconfig, --context, -n, -e) and what they resolve to: which endpoint to
dial, which nodes to target, with which credentials."""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from .. import yamlio
from ..api import diagnose
from ..api.client import TalosClient
from ..api.tls import Credentials
from ..clientconfig import read_talosconfig
from ..errors import ConfigError
from .flags import string_slice

T = TypeVar("T")


def add_global_flags(parser: argparse.ArgumentParser, *, root: bool = False) -> None:
    """talosctl's persistent flags. They are accepted before the verb and after it (cobra allows both): the
    verb's copy has no default, so a value given before the verb survives the verb's parser."""
    default: Any = None if root else argparse.SUPPRESS
    parser.add_argument("-n", "--nodes", action="append", default=default,
                        help="target nodes (comma-separated or repeated)")
    parser.add_argument("-e", "--endpoints", action="append", default=default,
                        help="endpoints to dial (default: the talosconfig's)")
    parser.add_argument("--talosconfig", default=default,
                        help="path to the talosconfig (default $TALOSCONFIG or ~/.talos/config)")
    parser.add_argument("--context", default=default, help="talosconfig context to use (default: its current one)")


def talosconfig_path(args: argparse.Namespace) -> Path:
    """talosctl's lookup: --talosconfig, then $TALOSCONFIG, then ~/.talos/config."""
    given = getattr(args, "talosconfig", None)
    return Path(given or os.environ.get("TALOSCONFIG") or Path.home() / ".talos" / "config")


class Session:
    """Resolved flags for one command."""

    def __init__(self, args: argparse.Namespace, insecure: bool = False, cert_fingerprints: list[str] | None = None
                 ) -> None:
        self.insecure = insecure
        self.cert_fingerprints = cert_fingerprints or []
        if self.cert_fingerprints and not insecure:
            raise ConfigError("--cert-fingerprint is only used with --insecure")
        for fingerprint in self.cert_fingerprints:
            try:
                diagnose.parse_fingerprint(fingerprint)
            except ValueError as error:
                raise ConfigError(f"--cert-fingerprint: {error}") from None
        entry: dict[str, Any] = {}
        self.credentials: Credentials | None = None
        given = getattr(args, "talosconfig", None)
        if not insecure or given:
            path = talosconfig_path(args)
            if not path.is_file():
                raise ConfigError(f"talosconfig {path}: no such file; pass --talosconfig or --insecure")
            text = yamlio.read_named(path, f"talosconfig {path}")
            entry = read_talosconfig(text, f"talosconfig {path}", getattr(args, "context", None))
            if not insecure:
                if not all(entry.get(key) for key in ("ca", "crt", "key")):
                    raise ConfigError(f"talosconfig {path}: context {entry['context']!r} has no ca, crt and key")
                self.credentials = Credentials(entry["ca"], entry["crt"], entry["key"])
        self.nodes = string_slice(getattr(args, "nodes", None)) or list(entry.get("nodes") or [])
        endpoints = string_slice(getattr(args, "endpoints", None)) or list(entry.get("endpoints") or [])
        if insecure:
            endpoints = self.nodes or endpoints  # --insecure dials each node directly
        if not endpoints:
            raise ConfigError("no endpoints: pass -e/--endpoints or set them with `config endpoint`")
        self.endpoints = endpoints
        self.endpoint = endpoints[0]
        if not self.nodes:
            self.nodes = [self.endpoint]

    def client(self, node: str) -> TalosClient:
        return TalosClient(node if self.insecure else self.endpoint, self.credentials, fan_out=True,
                           cert_fingerprints=self.cert_fingerprints)

    def each(self, action: Callable[[TalosClient, str], Awaitable[T]]) -> list[tuple[str, T]]:
        """Run `action` for every node, through the endpoint (or dialling each node when insecure);
        return (node, result) pairs in the order of -n."""

        async def run() -> list[tuple[str, T]]:
            results = []
            for node in self.nodes:
                async with self.client(node) as client:
                    results.append((node, await action(client, node)))
            return results

        return asyncio.run(run())

    def single(self, command: str) -> str:
        """The one node a command such as bootstrap allows."""
        if len(self.nodes) != 1:
            # global/factory.go BuildClientEnforceSingleNode's wording
            raise ConfigError(f'command "{command}" requires exactly one node (got {len(self.nodes)}); '
                              'pick one with -n')
        return self.nodes[0]

    def one(self, command: str, action: Callable[[TalosClient, str], Awaitable[T]]) -> tuple[str, T]:
        """`action` on the single node a command such as bootstrap allows."""
        self.single(command)
        return self.each(action)[0]

    def secure_credentials(self, command: str) -> Credentials:
        if self.credentials is None:
            raise ConfigError(f"{command} needs a talosconfig with credentials")
        return self.credentials
