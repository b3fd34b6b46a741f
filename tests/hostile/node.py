"""One fake Talos node for a test module: a FakeTalosAPI whose answers a test switches, with a talosconfig that
trusts it (its certificate is signed by the talosconfig's CA and names its address, so mutual TLS holds and only
the replies are hostile)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from components.talos.api.tls import Credentials

from .identity import Authority
from .talos_api import FakeTalosAPI, Reply, Responder
from .talos_replies import well_formed


@dataclass
class HostileNode:
    server: FakeTalosAPI
    talosconfig: Path
    credentials: Credentials
    answers: dict[str, Responder] = field(default_factory=dict)  # gRPC method name → responder

    @property
    def address(self) -> str:
        return self.server.address

    def answer(self, path: str, request: bytes) -> Reply:
        responder = self.answers.get(path.rsplit("/", 1)[-1]) or self.answers.get("*") or well_formed
        return responder(path, request)

    def cli(self, *args: str) -> list[str]:
        """A CLI command line aimed at this node with its talosconfig."""
        return [*args, "--talosconfig", str(self.talosconfig), "-n", self.address, "-e", self.address]


@contextmanager
def hostile_node(address: str, directory: Path) -> Iterator[HostileNode]:
    authority = Authority.new()
    talosconfig = directory / "talosconfig"
    talosconfig.write_text(authority.talosconfig(address))
    holder: list[HostileNode] = []
    with FakeTalosAPI(address, lambda path, request: holder[0].answer(path, request),
                      certificate=authority.server(address)) as server:
        holder.append(HostileNode(server, talosconfig, authority.credentials()))
        yield holder[0]
