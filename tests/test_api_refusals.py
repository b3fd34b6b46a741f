"""What the client refuses, what the nodes refuse, and which faults the retry policy survives."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from typing import Any

import pytest
from grpclib.const import Status

from components.talos.api import calls, operations
from components.talos.api.client import TalosClient
from components.talos.api.errors import CLIENT_REFUSED_HINT, WRONG_CLUSTER_HINT, TalosAPIError
from components.talos.api.operations import Target
from components.talos.api.tls import Credentials
from components.talos.clientconfig import read_talosconfig, talosconfig

from .emulated import RenderedCluster, configure, emulate, example_definition, fresh_subnet, render


@pytest.fixture
def dev() -> RenderedCluster:
    return render(example_definition("dev", fresh_subnet()))


async def version(address: str, credentials: Credentials | None) -> calls.VersionInfo:
    async with TalosClient(address, credentials, timeout=5) as client:
        return await calls.version(client, node=address)


def error_of(coroutine: Coroutine[Any, Any, Any]) -> TalosAPIError:
    with pytest.raises(TalosAPIError) as caught:
        asyncio.run(coroutine)
    return caught.value


def test_a_node_refuses_a_client_certificate_signed_by_another_clusters_ca(dev):
    other = render(example_definition("dev", fresh_subnet()))
    node = dev.control_planes[0]
    with emulate(dev):
        configure(dev)
        stranger = Credentials(dev.credentials.ca, other.credentials.crt, other.credentials.key)
        error = error_of(version(node, stranger))
    assert error.hint == CLIENT_REFUSED_HINT and not error.transient
    assert node in str(error) and "Version" in str(error) and "client certificate" in str(error)


def test_the_client_refuses_a_node_whose_certificate_does_not_chain_to_the_os_ca(dev):
    other = render(example_definition("dev", fresh_subnet()))
    node = dev.control_planes[0]
    with emulate(dev):
        configure(dev)
        error = error_of(version(node, other.credentials))
    assert error.hint == WRONG_CLUSTER_HINT and not error.transient
    assert "TLS verification failed" in str(error)


def test_an_os_reader_certificate_cannot_apply_a_config(dev):
    node = dev.control_planes[0]
    reader_entry = read_talosconfig(talosconfig(dev.bundle, "reader", [node], roles=["os:reader"]), "reader")
    reader = Credentials(reader_entry["ca"], reader_entry["crt"], reader_entry["key"])
    with emulate(dev):
        configure(dev)
        assert asyncio.run(version(node, reader)).tag == dev.definition.talos_version  # reading is allowed

        async def apply() -> None:
            async with TalosClient(node, reader) as client:
                await calls.apply_configuration(client, dev.configs[node], node=node)

        error = error_of(apply())
    assert error.status == Status.PERMISSION_DENIED and "not authorized" in str(error)
    assert "os:admin" in error.hint


def test_a_wrong_address_fails_with_the_address_port_and_what_to_check(dev):
    nowhere = f"{fresh_subnet()}.9"
    started = time.monotonic()
    error = error_of(operations.apply(Target(nowhere), dev.configs[dev.control_planes[0]], dev.credentials,
                                      deadline=2))
    assert time.monotonic() - started < 10
    assert f"{nowhere}:50000" in str(error)
    assert "port 50000/tcp" in str(error) and "gave up after" in str(error)


def test_an_insecure_client_is_told_the_node_is_already_configured(dev):
    node = dev.control_planes[0]
    with emulate(dev):
        configure(dev)
        error = error_of(version(node, None))
    assert "not in maintenance mode" in str(error)


def test_fan_out_errors_name_the_node_that_failed(dev):
    control_plane, worker = dev.control_planes[0], dev.workers[0]
    with emulate(dev):
        configure(dev)

        async def bootstrap_worker() -> None:
            async with TalosClient(control_plane, dev.credentials, fan_out=True) as client:
                await calls.bootstrap(client, node=worker)

        error = error_of(bootstrap_worker())
    assert error.node == worker and error.status == Status.UNIMPLEMENTED
    assert "bootstrap is only available on control plane nodes" in str(error)


def test_v1_12_maintenance_refuses_no_reboot_mode_with_talos_wording(dev):
    node = dev.control_planes[0]
    with emulate(dev, version="v1.12.11"):
        async def apply() -> None:
            async with TalosClient(node, None) as client:
                await calls.apply_configuration(client, dev.configs[node], mode="no-reboot")

        error = error_of(apply())
    assert error.status == Status.UNIMPLEMENTED
    assert error.detail == "apply configuration --mode='no-reboot' is not supported in maintenance mode"


def test_a_config_that_does_not_validate_is_refused_with_invalid_argument(dev):
    node = dev.control_planes[0]
    with emulate(dev):
        async def apply() -> None:
            async with TalosClient(node, None) as client:
                await calls.apply_configuration(client, b"version: v1alpha1\nmachine:\n  type: king\n")

        error = error_of(apply())
    assert error.status == Status.INVALID_ARGUMENT and not error.transient
    assert "configuration validation failed" in error.detail and 'invalid machine type "king"' in error.detail


# ---------------------------------------------------------------------- faults

def test_added_latency_is_survived(dev):
    node = dev.control_planes[0]
    with emulate(dev) as emulated:
        emulated.node(node).faults.latency = 0.3
        assert asyncio.run(version(node, None)).maintenance


def test_a_refused_port_is_retried_until_it_opens(dev):
    node = dev.control_planes[0]
    with emulate(dev) as emulated:
        emulated.refuse(node)

        async def apply_while_port_reopens() -> operations.ApplyOutcome:
            loop = asyncio.get_running_loop()
            loop.call_later(1.0, emulated.refuse, node, False)
            return await operations.apply(Target(node), dev.configs[node], dev.credentials, deadline=20)

        assert asyncio.run(apply_while_port_reopens()).insecure


def test_a_connection_dropped_mid_call_is_retried(dev):
    node = dev.control_planes[0]
    with emulate(dev) as emulated:
        emulated.node(node).faults.drop_calls = 2
        outcome = asyncio.run(operations.apply(Target(node), dev.configs[node], dev.credentials, deadline=20))
    assert outcome.insecure


def test_a_clock_not_in_sync_delays_bootstrap_but_it_succeeds(dev):
    node = dev.control_planes[0]
    with emulate(dev) as emulated:
        configure(dev)
        emulated.node(node).faults.unsynced_bootstraps = 2
        assert asyncio.run(operations.bootstrap(Target(node), dev.credentials, deadline=20)) is True
        assert len(emulated.calls_to("Bootstrap")) == 3


def test_a_node_stuck_rebooting_ends_in_a_clear_error_at_the_deadline(dev):
    node = dev.control_planes[0]
    with emulate(dev) as emulated:
        emulated.node(node).faults.stuck_rebooting = True
        asyncio.run(operations.apply(Target(node), dev.configs[node], dev.credentials, deadline=10))
        error = error_of(operations.wait_configured(Target(node), dev.credentials, deadline=2))
    assert f"{node}:50000" in str(error) and "gave up after" in str(error)
    assert "port 50000/tcp" in error.hint
