"""Which config changes reboot a node, per Talos version (CanApplyImmediate's allow-list, gone in v1.14)."""

from __future__ import annotations

import pytest

from components.talos.documents import decode, encode
from components.talos.patching import apply_patches, parse_patch
from components.talos.reboots import apply_effect, changes_requiring_reboot

from .emulated import example_definition, fresh_subnet, render

HOSTNAME_DOC = "apiVersion: v1alpha1\nkind: HostnameConfig\nhostname: renamed\nauto: off\n"


@pytest.fixture(scope="module")
def worker_config() -> bytes:
    cluster = render(example_definition("dev", fresh_subnet()))
    return cluster.configs[cluster.workers[0]]


def patched(config: bytes, patch: str) -> bytes:
    return encode(apply_patches(decode(config, "config"), [parse_patch(patch, "patch")])).encode()


@pytest.mark.parametrize("patch, version, expected", [
    ("machine:\n  nodeLabels:\n    rack: r2\n", "v1.6.7", []),
    ("machine:\n  install:\n    disk: /dev/vdb\n", "v1.13.9", []),
    ("cluster:\n  apiServer:\n    image: registry.k8s.io/kube-apiserver:v1.37.0\n", "v1.13.9", []),
    ("machine:\n  kubelet:\n    image: ghcr.io/siderolabs/kubelet:v1.37.0\n", "v1.13.9", []),
    ("machine:\n  env:\n    http_proxy: http://proxy.lan:3128\n", "v1.13.9", ["machine.env"]),
    ("machine:\n  env:\n    http_proxy: http://proxy.lan:3128\n", "v1.14.0", []),
    ("machine:\n  nodeAnnotations:\n    a: b\n", "v1.7.8", ["machine.nodeAnnotations"]),
    ("machine:\n  nodeAnnotations:\n    a: b\n", "v1.8.4", []),
    ("machine:\n  features:\n    hostDNS:\n      enabled: false\n", "v1.6.7", ["machine.features.hostDNS"]),
    ("machine:\n  features:\n    hostDNS:\n      enabled: false\n", "v1.7.8", []),
    ("machine:\n  features:\n    rbac: false\n", "v1.13.9", ["machine.features.rbac"]),
    ("machine:\n  type: controlplane\n", "v1.13.9", ["machine.type"]),
])
def test_a_change_reboots_exactly_when_talos_of_that_version_cannot_apply_it_in_place(worker_config, patch, version,
                                                                                     expected):
    assert changes_requiring_reboot(worker_config, patched(worker_config, patch), version) == expected


def test_changes_outside_the_v1alpha1_document_never_reboot(worker_config):
    with_hostname = worker_config + b"---\n" + HOSTNAME_DOC.encode()
    assert changes_requiring_reboot(worker_config, with_hostname, "v1.12.5") == []


def test_the_preview_says_per_node_whether_a_change_applies_in_place_or_reboots(worker_config):
    env = patched(worker_config, "machine:\n  env:\n    http_proxy: http://proxy.lan:3128\n")
    labels = patched(worker_config, "machine:\n  nodeLabels:\n    rack: r2\n")
    assert apply_effect(worker_config, env, "v1.13.9") == "reboots (machine.env)"
    assert apply_effect(worker_config, labels, "v1.13.9") == "applies in place"
