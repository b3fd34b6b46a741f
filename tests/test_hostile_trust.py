"""Trust that holds per connection (issue 20, finding 1): a pinned first apply whose connection dies after the
handshake with the real node, and whose redial an attacker on the path catches, sends the attacker nothing.

grpclib redials on its own inside a call (Channel.__connect__); the pin used to be checked once, on the first
connection only. Each scenario runs a few times: where the connection dies relative to the call varies."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from components.talos import pki
from components.talos.api import calls, operations
from components.talos.api.client import TalosClient
from components.talos.api.diagnose import spki_fingerprint
from components.talos.api.errors import FINGERPRINT_HINT, MAINTENANCE_HINT, TalosAPIError
from components.talos.api.operations import Target
from components.talos.cli import main

from .emulated import RenderedCluster, emulate, example_definition, fresh_subnet, render
from .hostile.identity import Authority, self_signed
from .hostile.relay import Relay
from .hostile.talos_api import FakeTalosAPI, Reply
from .hostile.talos_replies import well_formed

RUNS = 4
PORT = 50000


@pytest.fixture
def dev() -> RenderedCluster:
    made = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)
    return render(example_definition("dev", fresh_subnet()), secrets_made=made)


def _near(address: str, last: int) -> str:
    return address.rsplit(".", 1)[0] + f".{last}"


@contextmanager
def attacker_behind_relay(node: str, *, cut_first: bool = True, certificate: pki.CertificateAndKey | None = None,
                          relay_port: int = PORT) -> Iterator[tuple[Relay, FakeTalosAPI]]:
    """An attacker's Talos API next to `node`, and a relay whose first connection reaches `node` and every
    later one the attacker."""
    attacker_address = _near(node, 202)
    relay_address = _near(node, 201) if relay_port == PORT else node
    with FakeTalosAPI(attacker_address, well_formed, certificate=certificate or self_signed(attacker_address)
                      ) as attacker, Relay(relay_address, relay_port, (node, PORT), (attacker_address, PORT),
                                           cut_first=cut_first) as relay:
        yield relay, attacker


def test_a_pinned_cli_apply_whose_connection_is_reset_after_the_handshake_sends_the_redial_nothing(
        dev, tmp_path, capsys):
    node = dev.control_planes[0]
    config = tmp_path / "controlplane.yaml"
    config.write_bytes(dev.configs[node])
    with emulate(dev) as cluster:
        pin = cluster.node(node).maintenance_fingerprint
        for _ in range(RUNS):
            with attacker_behind_relay(node) as (relay, attacker):
                code = main(["apply-config", "--insecure", "-n", relay.endpoint, "-e", relay.endpoint,
                             "--file", str(config), "--cert-fingerprint", pin])
                err = capsys.readouterr().err
                assert len(relay.routed) >= 2, f"the client never redialled: the scenario did not happen; {err}"
                assert attacker.tally.received_bytes == 0 and attacker.tally.requests == []
            assert code == 1 and "doesn't match the provided fingerprints" in err, err
            assert cluster.node(node).config is None


def test_a_pinned_apply_through_operations_apply_with_retries_sends_the_redial_nothing(dev):
    node = dev.control_planes[0]
    with emulate(dev) as cluster:
        pin = cluster.node(node).maintenance_fingerprint
        for _ in range(RUNS):
            with attacker_behind_relay(node) as (relay, attacker):
                with pytest.raises(TalosAPIError) as caught:
                    asyncio.run(operations.apply(Target(relay.address), dev.configs[node], dev.credentials,
                                                 deadline=5, cert_fingerprints=[pin]))
                assert len(relay.routed) >= 2  # the attacker was dialled
                assert attacker.tally.received_bytes == 0 and attacker.tally.requests == []
            assert caught.value.hint == FINGERPRINT_HINT and not caught.value.transient
            assert cluster.node(node).config is None


@pytest.mark.parametrize("path", ["cli", "operations"])
@pytest.mark.parametrize("goaway", ["on connecting", "instead of an answer"])
def test_a_goaway_from_the_pinned_node_sends_the_attacker_catching_the_next_connection_nothing(
        tmp_path, capsys, path, goaway):
    """The pinned node itself ends the connection with GOAWAY, once the client is in or instead of answering;
    the next connection (grpclib's redial, or the client's look at why the call failed) meets the attacker."""
    subnet = fresh_subnet()
    real_address = f"{subnet}.90"
    real = self_signed(real_address)
    pin = spki_fingerprint(real.certificate)
    config = tmp_path / "worker.yaml"
    config.write_text("version: v1alpha1\n")
    answer = (lambda path, request: Reply(goaway=True)) if goaway == "instead of an answer" else well_formed
    dialled = 0
    with FakeTalosAPI(real_address, answer, certificate=real,
                      goaway_connections=RUNS * 2 if goaway == "on connecting" else 0):
        for _ in range(RUNS):
            with attacker_behind_relay(real_address, cut_first=False) as (relay, attacker):
                if path == "cli":
                    code = main(["apply-config", "--insecure", "-n", relay.endpoint, "--file", str(config),
                                 "--cert-fingerprint", pin])
                    err = capsys.readouterr().err
                    assert code == 1 and "error: node" in err and "Traceback" not in err
                else:
                    with pytest.raises(TalosAPIError):
                        asyncio.run(operations.apply(Target(relay.address), b"version: v1alpha1\n",
                                                     Authority.new().credentials(), deadline=5,
                                                     cert_fingerprints=[pin]))
                assert attacker.tally.received_bytes == 0 and attacker.tally.requests == []
                dialled += len(relay.routed) >= 2
    assert dialled, "no run reached the attacker: the scenario did not happen"


def test_a_redial_that_reaches_the_pinned_node_again_completes_the_apply(dev, tmp_path):
    """Verification on every connection does not stop an honest redial: the same node, the same certificate."""
    node = dev.control_planes[0]
    config = tmp_path / "controlplane.yaml"
    config.write_bytes(dev.configs[node])
    with emulate(dev) as cluster:
        pin = cluster.node(node).maintenance_fingerprint
        with Relay(_near(node, 201), PORT, (node, PORT), (node, PORT)) as relay:
            outcome = asyncio.run(operations.apply(Target(relay.address), dev.configs[node], dev.credentials,
                                                   deadline=10, cert_fingerprints=[pin]))
            assert len(relay.routed) >= 2  # the first connection was cut, and the apply went over a redial
        assert outcome.insecure
        cluster.wait_for(node, "running")


def test_a_mutual_tls_redial_to_a_server_of_another_ca_is_refused_at_the_handshake(dev):
    """Secure mode: CA and address are the ssl context's checks, made at every handshake, redials included."""
    node = dev.control_planes[0]
    with emulate(dev) as cluster:
        asyncio.run(operations.apply(Target(node), dev.configs[node], dev.credentials, deadline=10))
        cluster.wait_for(node, "running")
        # The relay listens on the node's own address (another port): the node's certificate names it, and so
        # does the attacker's; only the CA tells them apart.
        with attacker_behind_relay(node, certificate=Authority.new().server(node), relay_port=PORT + 1
                                   ) as (relay, attacker):

            async def version() -> calls.VersionInfo:
                async with TalosClient(relay.endpoint, dev.credentials, timeout=5) as client:
                    return await calls.version(client, node=node)

            with pytest.raises(TalosAPIError) as caught:
                asyncio.run(version())
            assert len(relay.routed) >= 2  # the attacker was dialled
            assert attacker.tally.received_bytes == 0 and attacker.tally.requests == []
    # the attacker accepts clients without a certificate, as a maintenance node does: the hint says how to
    # configure such a node safely (pinned) and that something else may answer there
    assert caught.value.hint == MAINTENANCE_HINT
    assert "--cert-fingerprint" in MAINTENANCE_HINT and "something else answers at this address" in MAINTENANCE_HINT
