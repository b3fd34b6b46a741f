"""State written by earlier layouts of this program still deletes and refreshes: the engine hands the
provider host each resource's serialized provider from state (pulumi/dynamic/__main__.py Delete and Read
take `__provider` from the old properties), so the classes it names must stay importable."""

from __future__ import annotations

import base64

import dill
import pytest

from components.providers.destroy_guard import DestroyGuardProvider

from .provider_host import ProviderHost, with_provider

# serialize_provider() of each provider as the layout before the talosconfig/kubeconfig split wrote it
# (commit 1a29d5f): dill pickles the classes by reference, module path and name.
PREVIOUS_LAYOUT = {
    "MachineConfigApply": (
        "gASVRAAAAAAAAACMI2NvbXBvbmVudHMucHJvdmlkZXJzLm1hY2hpbmVfY29uZmlnlIwVTWFjaGluZUNv"
        "bmZpZ1Byb3ZpZGVylJOUKYGULg=="
    ),
    "ClientConfigs": (
        "gASVRAAAAAAAAACMI2NvbXBvbmVudHMucHJvdmlkZXJzLmNsaWVudF9jb25maWdzlIwVQ2xpZW50Q29u"
        "Zmlnc1Byb3ZpZGVylJOUKYGULg=="
    ),
    "ClusterHealth": (
        "gASVPAAAAAAAAACMG2NvbXBvbmVudHMucHJvdmlkZXJzLmhlYWx0aJSMFUNsdXN0ZXJIZWFsdGhQcm92"
        "aWRlcpSTlCmBlC4="
    ),
    "Bootstrap": (
        "gASVOwAAAAAAAACMHmNvbXBvbmVudHMucHJvdmlkZXJzLmJvb3RzdHJhcJSMEUJvb3RzdHJhcFByb3Zp"
        "ZGVylJOUKYGULg=="
    ),
    "Secrets": (
        "gASVRAAAAAAAAACMJGNvbXBvbmVudHMucHJvdmlkZXJzLmNsdXN0ZXJfc2VjcmV0c5SMFFRhbG9zU2Vj"
        "cmV0c1Byb3ZpZGVylJOUKYGULg=="
    ),
}


@pytest.mark.parametrize("kind", sorted(PREVIOUS_LAYOUT))
def test_a_provider_serialized_by_the_previous_layout_still_loads(kind):
    provider = dill.loads(base64.b64decode(PREVIOUS_LAYOUT[kind]))
    assert provider.__class__.__module__.startswith("components.providers.")


def test_old_state_of_removed_and_kept_resources_deletes_and_refreshes_through_the_host():
    client_configs = {"__provider": PREVIOUS_LAYOUT["ClientConfigs"], "cluster_name": "homelab",
                      "talosconfig": "contexts: {}", "kubeconfig": "clusters: []", "expires_at": "2027-01-01T00:00:00"}
    node = {"__provider": PREVIOUS_LAYOUT["MachineConfigApply"], "hostname": "worker-01", "address": "127.0.0.9",
            "reset_on_destroy": False, "applied_mode": "AUTO", "applied_insecure": True}
    with ProviderHost() as host:
        urn = host.urn("pulumi-python:dynamic/talos:ClientConfigs", "talos-client-configs")
        read = host.read(urn, "client-configs", client_configs, client_configs)
        assert read.id == "client-configs"  # a refresh keeps the old resource as it was
        host.delete(urn, "client-configs", client_configs)  # the resource the split removed from the program
        # a destroy (the stack's destroy guard goes first) of an old node resource without reset on destroy:
        # deleted from state, the machine left alone
        guard = with_provider(DestroyGuardProvider(), {"protect_secrets": False, "nodes": []})
        host.delete(host.urn("pulumi-python:dynamic/talos:DestroyGuard", "talos-protectSecrets"), "destroy-guard",
                    guard)
        host.delete(host.urn("pulumi-python:dynamic/talos:MachineConfigApply", "talos-worker-01"), "worker-01", node)
