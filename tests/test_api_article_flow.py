"""The seed article's talosctl steps, run by the Python client against an emulated 3 + 2 cluster."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable

import pytest
import yaml
from cryptography import x509

from components.talos.api import calls, operations
from components.talos.api.client import TalosClient
from components.talos.api.errors import TalosAPIError
from components.talos.api.operations import Target
from components.talos.documents import decode, encode
from components.talos.patching import apply_patches, parse_patch
from components.talos.pki import chains_to

from .emulated import RenderedCluster, emulate, example_definition, fresh_subnet, on_loopback, render
from .seed import seed_talconfig

# The article's rename (talosctl patch machineconfig); v1.12+ has no machine.network, so a document there.
ARTICLE_HOSTNAME_PATCH = """- op: add
  path: /machine/network/hostname
  value: talos-controlplane-01
"""
HOSTNAME_DOCUMENT_PATCH = "apiVersion: v1alpha1\nkind: HostnameConfig\nhostname: talos-controlplane-01\n"


async def insecure_apply_all(cluster: RenderedCluster) -> list[calls.ApplyResult]:
    async def one(address: str) -> calls.ApplyResult:
        async with TalosClient(address, None) as client:  # talosctl apply-config --insecure -n X -e X
            return await calls.apply_configuration(client, cluster.configs[address])

    return list(await asyncio.gather(*(one(address) for address in cluster.addresses)))


def kubeconfig_client_certificate(text: str) -> x509.Certificate:
    user = yaml.safe_load(text)["users"][0]["user"]
    return x509.load_pem_x509_certificate(base64.b64decode(user["client-certificate-data"]))


def assert_article_flow(cluster: RenderedCluster, version: str, hostname_patch: str) -> None:
    first = cluster.control_planes[0]
    credentials = cluster.credentials
    with emulate(cluster, version=version):
        results = asyncio.run(insecure_apply_all(cluster))
        assert [r.node for r in results] == cluster.addresses

        async def after_install() -> tuple[bool, bool, list[calls.EtcdMember], str]:
            for address in cluster.addresses:
                await operations.wait_configured(Target(address), credentials, deadline=30)
            # talosctl bootstrap -e <cp1> --nodes <cp1>: through the endpoint, with `nodes` routing
            async with TalosClient(first, credentials, fan_out=True) as client:
                bootstrapped = await calls.bootstrap(client, node=first)
                again = await calls.bootstrap(client, node=first)
                members = await calls.etcd_members(client, node=first)
                kubeconfig = await calls.kubeconfig(client, node=first)
            return bootstrapped, again, members, kubeconfig

        bootstrapped, again, members, kubeconfig = asyncio.run(after_install())
        assert bootstrapped is True
        assert again is False, "a second bootstrap must be reported as already bootstrapped"
        assert sorted(m.peer_urls[0] for m in members) == sorted(f"https://{a}:2380" for a in cluster.control_planes)
        cluster_ca = x509.load_pem_x509_certificate(cluster.bundle.k8s.crt)
        client_certificate = kubeconfig_client_certificate(kubeconfig)
        assert chains_to(client_certificate, cluster_ca)
        assert client_certificate.subject.rfc4514_string() == "CN=admin,O=system:masters"

        # The article renames a node with a patch applied over the secure API.
        patched = encode(apply_patches(decode(cluster.configs[first], "cp1"), [parse_patch(hostname_patch, "patch")]))
        outcome = asyncio.run(operations.apply(Target(first), patched.encode(), credentials, deadline=30))
        assert outcome.insecure is False
        assert outcome.result.mode == "no-reboot"

        async def hostname() -> str:
            async with TalosClient(first, credentials) as client:
                return await calls.hostname(client, node=first)

        assert asyncio.run(hostname()) == "talos-controlplane-01"

        worker = cluster.workers[0]

        async def reset_worker() -> bool:
            async with TalosClient(first, credentials) as client:
                await calls.reset(client, graceful=True, reboot=True, node=worker)
            await asyncio.sleep(0.1)
            return await eventually(lambda: operations.in_maintenance(Target(worker), credentials))

        assert asyncio.run(reset_worker()) is True


async def eventually(probe: Callable[[], Awaitable[bool]], attempts: int = 100) -> bool:
    """The probe's answer once the node is back (it refuses connections while it reboots)."""
    for _ in range(attempts):
        try:
            return await probe()
        except TalosAPIError as error:
            if error.connected:
                raise
            await asyncio.sleep(0.1)
    raise AssertionError("the node never came back")


def test_the_article_flow_works_against_talos_1_6_nodes_with_the_article_definition():
    cluster = render(on_loopback(seed_talconfig("homelab-talos-dev"), fresh_subnet()))
    assert cluster.definition.talos_version == "v1.6.5"
    assert_article_flow(cluster, "v1.6.5", ARTICLE_HOSTNAME_PATCH)


def test_the_article_flow_works_against_talos_1_13_nodes_with_the_homelab_example():
    cluster = render(example_definition("homelab", fresh_subnet()))
    assert_article_flow(cluster, "v1.13.9", HOSTNAME_DOCUMENT_PATCH)


@pytest.mark.parametrize("version, expected_mode, expected_details", [
    ("v1.13.9", "no-reboot", "Applied configuration without a reboot"),
    ("v1.6.5", "reboot", ""),  # the old maintenance server replied with warnings only
])
def test_insecure_apply_replies_as_each_talos_version_does(version, expected_mode, expected_details):
    cluster = render(example_definition("dev", fresh_subnet()))
    with emulate(cluster, version=version):
        result = asyncio.run(insecure_apply_all(cluster))[0]
    assert (result.mode, result.details) == (expected_mode, expected_details)
