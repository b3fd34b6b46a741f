"""Trust between this machine and the nodes: clocks apart, which TLS failure it was, least privilege,
deadlines that bound every call, and a pinned maintenance certificate."""

from __future__ import annotations

import asyncio
import base64
import datetime
import re
import time
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any

import pytest
from cryptography import x509
from grpclib.const import Status

from components.providers import base, health
from components.talos.api import calls, operations
from components.talos.api.client import TalosClient
from components.talos.api.errors import FINGERPRINT_HINT, TalosAPIError
from components.talos.api.operations import Target
from components.talos.api.tls import Credentials
from components.talos.cli import main
from components.talos.clientconfig import ADMIN_ROLE, READER_ROLE, client_credentials
from components.talos.pki import issue_certificate

from .emulated import RenderedCluster, configure, emulate, example_definition, fresh_subnet, render


@pytest.fixture
def dev() -> RenderedCluster:
    """Secrets made an hour ago, as a stack's are: the node checks the OS CA's validity by its clock too
    (Go x509 Verify checks every certificate of the chain), and Talos does not backdate CAs either."""
    made = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)
    return render(example_definition("dev", fresh_subnet()), secrets_made=made)


def error_of(coroutine: Coroutine[Any, Any, Any]) -> TalosAPIError:
    with pytest.raises(TalosAPIError) as caught:
        asyncio.run(coroutine)
    return caught.value


def organizations(credentials: Credentials) -> list[str]:
    certificate = x509.load_pem_x509_certificate(credentials.crt)
    return [str(attribute.value) for attribute in certificate.subject]


async def version(address: str, credentials: Credentials, timeout: float = 5) -> calls.VersionInfo:
    async with TalosClient(address, credentials, timeout=timeout) as client:
        return await calls.version(client, node=address)


def installed(dev: RenderedCluster, cluster: Any, node: str) -> None:
    """The first apply (insecure: it verifies nothing, so no clock matters), then the node's own API."""
    asyncio.run(operations.apply(Target(node), dev.configs[node], dev.credentials, deadline=10))
    cluster.wait_for(node, "running")


def bootstrap_and_wait_healthy(dev: RenderedCluster, deadline: float = 20) -> operations.HealthReport:
    first = Target(dev.control_planes[0])
    reader = client_credentials(dev.bundle, READER_ROLE)

    async def flow() -> operations.HealthReport:
        await operations.bootstrap(first, dev.credentials, deadline=deadline)
        return await operations.wait_healthy([Target(a) for a in dev.control_planes],
                                             [Target(a) for a in dev.workers], reader, deadline=deadline)

    return asyncio.run(flow())


# ---------------------------------------------------------------------- clock skew

def test_operation_certificates_are_backdated_one_minute_as_talos_temporary_clients_are(dev):
    before = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    credentials = base.credentials_from(dev.bundle.to_yaml())
    certificate = x509.load_pem_x509_certificate(credentials.crt)
    skew = before - certificate.not_valid_before_utc
    assert datetime.timedelta(seconds=59) <= skew <= datetime.timedelta(seconds=61)
    assert organizations(credentials) == [ADMIN_ROLE]


def test_a_certificate_minted_at_now_is_refused_by_a_node_two_seconds_behind(dev):
    """Why the backdating matters: the node verifies client certificates by its own clock."""
    node = dev.control_planes[0]
    with emulate(dev, clock_offset=-2) as cluster:
        installed(dev, cluster, node)
        assert asyncio.run(version(node, dev.credentials)).tag  # backdated: accepted
        unbackdated = issue_certificate(dev.bundle.os.load("certs.os"), organizations=[ADMIN_ROLE],
                                        lifetime=datetime.timedelta(hours=1))
        error = error_of(version(node, Credentials(dev.bundle.os.crt, unbackdated.crt_pem, unbackdated.key_pem)))
    assert "CERTIFICATE_EXPIRED" in error.detail and error.transient
    assert "node's clock is more than 0s behind" in error.hint or "node's clock is more than 1s behind" in error.hint


@pytest.mark.parametrize("behind", [1, 30])
def test_a_cluster_whose_clocks_run_behind_this_machine_converges_at_once(dev, behind):
    with emulate(dev, clock_offset=-behind):
        started = time.monotonic()
        configure(dev)
        assert bootstrap_and_wait_healthy(dev).healthy
    assert time.monotonic() - started < 10


def test_secrets_made_a_moment_ago_converge_by_retrying_on_a_node_a_second_behind():
    """talosctl gen secrets does not backdate the OS CA: until the node's clock reaches its NotBefore the
    node refuses the chain as not yet valid; the retries wait that out."""
    fresh = render(example_definition("dev", fresh_subnet()))
    with emulate(fresh, clock_offset=-1):
        configure(fresh)
        assert bootstrap_and_wait_healthy(fresh).healthy


def test_a_cluster_one_second_ahead_converges_by_retrying_until_its_certificates_are_valid_here(dev):
    with emulate(dev, clock_offset=1.0):
        configure(dev)
        assert bootstrap_and_wait_healthy(dev).healthy


def test_a_node_thirty_seconds_ahead_is_retried_and_reported_with_the_measured_skew(dev):
    """Talos signs its API certificate with its own clock and does not backdate it, so this machine (as
    talosctl would) refuses it for the first 30 s after the node made it; within a shorter deadline the
    error says by how much the clocks differ."""
    node = dev.control_planes[0]
    with emulate(dev, clock_offset=30) as cluster:
        installed(dev, cluster, node)
        error = error_of(operations.wait_configured(Target(node), dev.credentials, deadline=2))
    assert "certificate is not yet valid" in error.detail
    attempts = int(re.search(r"gave up after (\d+) attempts", error.detail).group(1))  # type: ignore[union-attr]
    assert attempts >= 2
    # Measured against the certificate the node made at boot: a lower bound that shrinks as time passes.
    ahead = int(re.search(r"the node's clock is at least (\d+)s ahead", error.hint).group(1))  # type: ignore[union-attr]
    assert 25 <= ahead <= 31


# ---------------------------------------------------------------------- which TLS failure

def secure_call_error(dev: RenderedCluster, clock_offset: float) -> TalosAPIError:
    """The error of a mutual-TLS call to an installed node whose clock is `clock_offset` s off ours."""
    node = dev.control_planes[0]
    with emulate(dev, clock_offset=clock_offset) as cluster:
        installed(dev, cluster, node)
        return error_of(version(node, dev.credentials))


def test_a_node_certificate_for_other_addresses_is_reported_with_the_addresses_it_covers(dev):
    node = dev.control_planes[0]
    elsewhere = f"{node.rsplit('.', 1)[0]}.250"

    @asynccontextmanager
    async def forwarder() -> AsyncIterator[None]:  # e.g. a port forward or load balancer not in certSANs
        async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            except OSError:
                pass
            finally:
                writer.close()

        async def forward(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            upstream_reader, upstream_writer = await asyncio.open_connection(node, 50000)
            await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))

        server = await asyncio.start_server(forward, elsewhere, 50000)
        try:
            yield
        finally:
            server.close()

    async def through_forwarder() -> calls.VersionInfo:
        async with forwarder(), TalosClient(elsewhere, dev.credentials, timeout=5) as client:
            return await calls.version(client, node=node)

    with emulate(dev) as cluster:
        installed(dev, cluster, node)
        error = error_of(through_forwarder())
    assert "IP address mismatch" in error.detail and not error.transient
    assert error.hint.startswith(f"the node's certificate is for other addresses ({node}, 127.0.0.1")
    assert f"not {elsewhere}; check the address, or add it to the node's machine.certSANs" in error.hint


def test_an_expired_node_certificate_is_reported_as_expired_by_this_machines_clock(dev):
    error = secure_call_error(dev, clock_offset=-3 * 86400)  # the node signed it three days ago, for 24 h
    assert "certificate has expired" in error.detail and error.transient
    assert error.hint.startswith("the node's certificate expired ")
    assert "the node's clock is behind, or it has not renewed its certificate" in error.hint


def test_a_node_certificate_not_yet_valid_names_the_clock_skew_it_measured(dev):
    error = secure_call_error(dev, clock_offset=90)
    assert "certificate is not yet valid" in error.detail and error.transient
    measured = re.search(r"the node's certificate is not valid until .* UTC: clock skew, the node's clock is "
                         r"at least (\d+)s ahead of this machine's", error.hint)
    assert measured, error.hint
    # A lower bound: the certificate's start (the node's clock when it made it) minus now, so the true 90 s skew
    # less however long the emulated node took to answer on a loaded machine.
    assert 30 <= int(measured.group(1)) <= 91


def test_a_node_far_behind_that_refuses_the_client_certificate_says_so_with_the_skew(dev):
    error = secure_call_error(dev, clock_offset=-120)
    assert "SSLV3_ALERT_CERTIFICATE_EXPIRED" in error.detail and error.transient
    measured = re.search(r"the node refused the client certificate as not yet valid by its own clock: clock skew, "
                         r"the node's clock is more than (\d+)s behind this machine's", error.hint)
    assert measured, error.hint
    # The bound is now minus the certificate's start (issued 60 s back-dated, whenever the fixture made it): at
    # least 59 s, and at most the true 120 s skew, or the node would have accepted the certificate.
    assert 59 <= int(measured.group(1)) <= 121


# ---------------------------------------------------------------------- least privilege

def test_an_os_reader_certificate_reads_everything_health_needs_and_can_write_nothing(dev):
    node = dev.control_planes[0]
    reader = base.credentials_from(dev.bundle.to_yaml(), READER_ROLE)
    assert organizations(reader) == [READER_ROLE]

    async def reads() -> None:
        async with TalosClient(node, reader) as client:
            assert (await calls.version(client, node=node)).tag
            assert await calls.services(client, node=node)
            assert await calls.disks(client, node=node)
            assert await calls.etcd_members(client, node=node)
            assert await calls.list_resources(client, "cluster", "Members.cluster.talos.dev", node=node)

    async def write(action: str) -> Any:
        async with TalosClient(node, reader) as client:
            if action == "apply":
                return await calls.apply_configuration(client, dev.configs[node], node=node)
            if action == "bootstrap":
                return await calls.bootstrap(client, node=node)
            if action == "kubeconfig":  # machined.go rules: Kubeconfig is os:admin only
                return await calls.kubeconfig(client, node=node)
            return await calls.reset(client, node=node)

    with emulate(dev):
        configure(dev)
        assert bootstrap_and_wait_healthy(dev).healthy  # health with an os:reader certificate
        asyncio.run(reads())
        for action in ("apply", "bootstrap", "kubeconfig", "reset"):
            error = error_of(write(action))
            assert error.status == Status.PERMISSION_DENIED, action


def test_the_health_resource_uses_an_os_reader_certificate(dev, monkeypatch):
    seen: list[list[str]] = []

    async def recording(control_planes: Any, workers: Any, credentials: Credentials, **_: Any) -> Any:
        seen.append(organizations(credentials))
        return operations.HealthReport()

    monkeypatch.setattr(operations, "wait_healthy", recording)
    health.ClusterHealthProvider().create({"control_planes": ["127.0.0.1"], "workers": [],
                                           "secrets": dev.bundle.to_yaml(), "kubespan": False, "timeout": 5})
    assert seen == [[READER_ROLE]]


def test_an_unknown_role_is_refused_by_name(dev):
    with pytest.raises(ValueError, match="Talos role 'os:root': expected one of os:admin"):
        client_credentials(dev.bundle, "os:root")


# ---------------------------------------------------------------------- deadlines bound every call

def test_a_short_deadline_against_a_slow_node_ends_on_time(dev):
    node = dev.control_planes[0]
    with emulate(dev) as cluster:
        cluster.node(node).faults.latency = 5.0
        for operation in (lambda: operations.apply(Target(node), dev.configs[node], dev.credentials, deadline=1),
                          lambda: operations.in_maintenance(Target(node), dev.credentials, deadline=1)):
            started = time.monotonic()
            error = error_of(operation())
            elapsed = time.monotonic() - started
            assert elapsed < 4, f"took {elapsed:.1f}s for a 1s deadline"  # the node answers in 5 s
            assert "no answer within 1s" in error.detail
        assert cluster.node(node).config is None


def test_health_polling_stops_at_its_deadline_even_when_each_call_is_slow(dev):
    with emulate(dev) as cluster:
        configure(dev)
        for address in dev.addresses:
            cluster.node(address).faults.latency = 5.0
        started = time.monotonic()
        with pytest.raises(Exception, match="cluster not healthy after 1s"):
            asyncio.run(operations.wait_healthy([Target(a) for a in dev.control_planes], [], dev.credentials,
                                                deadline=1))
    assert time.monotonic() - started < 4.5  # each call alone takes 5 s


def test_health_at_its_deadline_names_the_stage_that_kept_failing_not_the_round_the_deadline_cut(dev):
    node = dev.control_planes[0]
    with emulate(dev) as cluster:
        configure(dev)  # not bootstrapped: etcd waits
        cluster.node(node).faults.latency = 0.3  # each round takes two calls; the third is cut at the deadline
        with pytest.raises(Exception) as failed:
            asyncio.run(operations.wait_healthy([Target(node)], [], dev.credentials, deadline=2, interval=0.1))
    assert str(failed.value).startswith("cluster not healthy after 2s: etcd: ")
    assert "service etcd is" in str(failed.value) and "no answer within" not in str(failed.value)


# ---------------------------------------------------------------------- --cert-fingerprint

def test_a_pinned_first_apply_reaches_the_node_whose_maintenance_certificate_it_names(dev):
    node = dev.control_planes[0]
    with emulate(dev) as cluster:
        pin = cluster.node(node).maintenance_fingerprint
        outcome = asyncio.run(operations.apply(Target(node), dev.configs[node], dev.credentials, deadline=10,
                                               cert_fingerprints=[pin]))
        assert outcome.insecure
        cluster.wait_for(node, "running")
        again = asyncio.run(operations.apply(Target(node), dev.configs[node], dev.credentials, deadline=10,
                                             cert_fingerprints=[pin]))
    assert not again.insecure  # configured now: the pin does not stop the mutual-TLS update


def test_a_wrong_pin_is_refused_before_any_request_is_sent(dev):
    node = dev.control_planes[0]
    wrong = base64.b64encode(bytes(32)).decode()
    with emulate(dev) as cluster:
        error = error_of(operations.apply(Target(node), dev.configs[node], dev.credentials, deadline=10,
                                          cert_fingerprints=[wrong]))
        assert cluster.calls == [] and cluster.node(node).config is None
    assert error.hint == FINGERPRINT_HINT and not error.transient
    assert f"doesn't match the provided fingerprints: [{wrong}]" in error.detail


def test_a_malformed_pin_is_refused_by_name():
    with pytest.raises(ValueError, match="certificate fingerprint 'abc': expected base64 of a SHA-256 digest"):
        asyncio.run(operations.apply(Target("127.0.0.1"), b"", Credentials(b"", b"", b""),
                                     cert_fingerprints=["abc"]))


def test_talosctl_apply_config_cert_fingerprint_pins_the_insecure_apply(dev, tmp_path, capsys):
    node = dev.control_planes[0]
    config = tmp_path / "controlplane.yaml"
    config.write_bytes(dev.configs[node])
    command = ["apply-config", "--insecure", "-n", node, "-e", node, "--file", str(config)]
    with emulate(dev) as cluster:
        wrong = base64.b64encode(bytes(32)).decode()
        assert main([*command, "--cert-fingerprint", wrong]) == 1
        assert "doesn't match the provided fingerprints" in capsys.readouterr().err
        assert cluster.node(node).config is None
        assert main([*command, "--cert-fingerprint", f"{wrong},{cluster.node(node).maintenance_fingerprint}"]) == 0
        cluster.wait_for(node, "running")
