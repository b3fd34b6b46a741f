"""Talos v1.14 is a first-class target: each example stack, with only talosVersion (v1.14.0) and
kubernetesVersion (v1.37.0) bumped and Cilium on, renders configs that pass every check of Talos v1.14 (the
validation registry), with the program's own additions written the v1.14 way; a user's legacy patch that v1.14
refuses fails the preview, naming the node, the field, the document that replaces it and the fix."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from components.cilium import KUBE_PROXY_DOCUMENT_PATCH, PROXY_DISABLED_PATCH, cilium_patch, prepared_for_cilium
from components.cilium_values import cilium_values, talos_capabilities
from components.talos import documents as docs
from components.talos.definition import parse_definition
from components.talos.definition.model import ClusterDefinition
from components.talos.definition.render import render_node, runtime_mode
from components.talos.errors import ConfigError
from components.talos.kube.upgrade import config_image, proxy_disabled, with_image
from components.talos.secrets import SecretsBundle
from components.talos.validation import run
from components.talos.versions import parse_contract

from .conftest import ROOT
from .engine import ProgramFailed
from .stacks import run_stack

STACKS = ("homelab", "cross-region", "dev")


def bumped(stack: str) -> str:
    text = (ROOT / "config" / f"{stack}.yaml").read_text()
    text = re.sub(r"(?m)^talosVersion: .*$", "talosVersion: v1.14.0", text)
    return re.sub(r"(?m)^kubernetesVersion: .*$", "kubernetesVersion: v1.37.0", text)


@pytest.fixture(scope="module")
def secrets() -> SecretsBundle:
    return SecretsBundle.generate(parse_contract("v1.14.0"))


def rendered(stack: str, secrets: SecretsBundle) -> tuple[ClusterDefinition, dict[str, list[dict[str, Any]]]]:
    definition = prepared_for_cilium(parse_definition(bumped(stack), f"config/{stack}.yaml", environ={}))
    return definition, {node.hostname: render_node(definition, node, secrets) for node in definition.nodes}


@pytest.mark.parametrize("stack", STACKS)
def test_each_example_at_v1_14_with_cilium_passes_every_check_of_talos_v1_14(stack: str,
                                                                            secrets: SecretsBundle) -> None:
    definition, configs = rendered(stack, secrets)
    for node in definition.nodes:
        problems = run(configs[node.hostname], 14, runtime_mode(node), talos_version="v1.14.0", strict=True)
        assert [str(p) for p in problems if not p.warning] == [], node.hostname


@pytest.mark.parametrize("stack", STACKS)
def test_at_v1_14_kube_proxy_is_off_in_its_document_and_flannel_s_document_is_gone(stack: str,
                                                                                  secrets: SecretsBundle) -> None:
    definition, configs = rendered(stack, secrets)
    for node in definition.nodes:
        config = configs[node.hostname]
        kinds = [document.get("kind") for document in config]
        legacy = next(document for document in config if docs.is_legacy(document))
        assert "KubeFlannelCNIConfig" not in kinds and "proxy" not in (legacy.get("cluster") or {})
        if node.control_plane:
            proxy = next(document for document in config if document.get("kind") == "KubeProxyConfig")
            assert proxy["enabled"] is False
            assert proxy_disabled(docs.encode(config).encode())
        else:
            assert "KubeProxyConfig" not in kinds  # a control-plane-only document


def test_the_kube_proxy_patch_follows_the_target_release() -> None:
    assert cilium_patch("v1.14.0") == KUBE_PROXY_DOCUMENT_PATCH
    assert cilium_patch("v1.13.9") == PROXY_DISABLED_PATCH


def test_the_install_image_and_kubernetes_images_are_read_and_written_in_v1_14_documents(
        secrets: SecretsBundle) -> None:
    _, configs = rendered("dev", secrets)
    config = configs["dev-cp-01"]
    assert docs.install_image(config).startswith("factory.talos.dev/nocloud-installer/")
    assert docs.install_image(config).endswith(":v1.14.0")
    assert docs.kubelet_image(config) == "ghcr.io/siderolabs/kubelet:v1.37.0"
    text = docs.encode(config).encode()
    assert config_image(text, "kube-apiserver") == "registry.k8s.io/kube-apiserver:v1.37.0"
    upgraded = docs.decode(with_image(text, "kube-apiserver", "registry.k8s.io/kube-apiserver:v1.37.1"), "c")
    assert next(d for d in upgraded if d.get("kind") == "KubeAPIServerConfig")["image"].endswith(":v1.37.1")
    assert "apiServer" not in (next(d for d in upgraded if docs.is_legacy(d)).get("cluster") or {})


def test_a_legacy_patch_that_v1_14_refuses_fails_the_preview_naming_node_field_document_and_fix(
        tmp_path: Path) -> None:
    definition = tmp_path / "dev.yaml"
    definition.write_text(bumped("dev").replace("controlPlane:\n", "controlPlane:\n  patches:\n    - |-\n"
                                                "      cluster:\n        proxy:\n          disabled: true\n", 1))
    with pytest.raises(ProgramFailed) as caught:
        run_stack("dev", {"talos-cluster:definition": str(definition)})
    assert [r.type for r in caught.value.registrations] == [], "resources were registered before the error"
    message = str(caught.value)
    assert "nodes[0] (dev-cp-01): Talos v1.14.0 would refuse this config" in message
    assert "the KubeProxyConfig document replaces .cluster.proxy: remove .cluster.proxy from the v1alpha1 " \
           "document, or remove the KubeProxyConfig document" in message


@pytest.mark.parametrize("chart, syslog", [("1.18.4", False), ("1.19.0", True), ("1.20.0", True)])
def test_cilium_agent_capabilities_follow_the_chart_version_without_sys_module(chart: str, syslog: bool) -> None:
    agent = cilium_values(chart, 3)["securityContext"]["capabilities"]["ciliumAgent"]
    assert "SYS_MODULE" not in agent
    assert ("SYSLOG" in agent) is syslog  # cilium/cilium#43201: the 1.19 chart's agent reads kernel logs
    assert agent[:11] == ["CHOWN", "KILL", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "SYS_ADMIN", "SYS_RESOURCE",
                          "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID"]
    assert talos_capabilities(chart)["cleanCiliumState"] == ["NET_ADMIN", "SYS_ADMIN", "SYS_RESOURCE"]


def test_a_chart_without_capability_values_is_refused_at_load() -> None:
    with pytest.raises(ConfigError, match=r"charts before 1\.13 take no securityContext\.capabilities"):
        talos_capabilities("1.12.9")
    with pytest.raises(ProgramFailed, match=r"talos-cluster:cilium\.version: Cilium chart 1\.12\.9"):
        run_stack("dev", {"talos-cluster:cilium": '{"version": "1.12.9"}'})
