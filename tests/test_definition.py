"""Cluster definitions: the seed article's talconfig.yaml files load unmodified and render what it describes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from components.talos.definition import DefinitionError, load_definition, parse_definition, render_node
from components.talos.documents import is_legacy
from components.talos.imagefactory import schematic_id
from components.talos.secrets import SecretsBundle

from .conftest import ROOT, schema_validator
from .seed import seed_talconfig

SEEDS = ["homelab-talos-dev", "cross-region-cluster"]
EXAMPLES = sorted((ROOT / "config").glob("*.yaml"))


def _legacy(documents: list[dict]) -> dict:  # type: ignore[type-arg]
    return next(doc for doc in documents if is_legacy(doc))


def _validate_schema(documents: list[dict], version: str) -> None:  # type: ignore[type-arg]
    minor = version.split(".")[1]
    schema = schema_validator(f"talos-config-schema-v1.{minor}.json")
    legacy_schema = schema_validator("talos-v1alpha1-schema-v1.6.json") if minor == "6" else schema
    for document in documents:
        document = {k: v for k, v in document.items() if k != "persist"}
        (legacy_schema if is_legacy(document) else schema).validate(document)


@pytest.mark.parametrize("name", SEEDS)
def test_seed_talconfig_loads_unmodified_and_renders_every_node_as_the_article_describes(name, stability_secrets):
    definition = parse_definition(seed_talconfig(name), f"{name}/talconfig.yaml", environ={})
    expected_ids = {True: schematic_id({"customization": {"extraKernelArgs": ["net.ifnames=0"], "systemExtensions": {
        "officialExtensions": ["siderolabs/qemu-guest-agent", "siderolabs/iscsi-tools"]}}})}
    for node in definition.nodes:
        documents = render_node(definition, node, stability_secrets)
        config = _legacy(documents)
        machine, cluster = config["machine"], config["cluster"]
        assert machine["network"]["hostname"] == node.hostname
        assert machine["install"]["disk"] == node.values["installDisk"]
        assert machine["install"]["extraKernelArgs"] == ["net.ifnames=0"]
        image = machine["install"]["image"]
        # talhelper's default installerURLTmpl is {{.Mode}}-installer for every Talos version
        assert re.fullmatch(r"factory\.talos\.dev/metal-installer/[0-9a-f]{64}:v1\.6\.5", image)
        if node.control_plane:
            assert image.split("/")[-1].split(":")[0] == expected_ids[True]
            interface = machine["network"]["interfaces"][0]
            assert interface["addresses"] == [f"{node.ip_address}/24"]
            assert interface["routes"] == [{"network": "0.0.0.0/0", "gateway": "192.168.1.1"}]
            assert interface["vip"] == {"ip": "192.168.1.80"}
            assert cluster["proxy"]["disabled"] is True
            assert cluster["network"]["cni"] == {"name": "none"}
            assert cluster["allowSchedulingOnControlPlanes"] is True
        else:
            assert "interfaces" not in machine["network"]
            assert "proxy" not in cluster
        assert machine["network"]["kubespan"] == {"enabled": True}  # the global `replace` patch, as Talos applies it
        assert cluster["discovery"]["enabled"] is True
        _validate_schema(documents, definition.talos_version)


def test_homelab_seed_nameservers_reach_the_machine_config(stability_secrets):
    definition = parse_definition(seed_talconfig("homelab-talos-dev"), "talconfig.yaml", environ={})
    config = _legacy(render_node(definition, definition.nodes[0], stability_secrets))
    assert config["machine"]["network"]["nameservers"] == ["1.1.1.1", "8.8.8.8"]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_definitions_render_schema_valid_configs(path: Path) -> None:
    definition = load_definition(path, environ={})
    assert definition.warnings == []
    for node in definition.nodes:
        documents = render_node(definition, node, SecretsBundle.placeholder())
        hostname = next(d for d in documents if d.get("kind") == "HostnameConfig")
        # talhelper GenerateNetworkHostnameConfig: the node's hostname with auto off
        assert hostname == {"apiVersion": "v1alpha1", "kind": "HostnameConfig", "hostname": node.hostname,
                            "auto": "off"}
        assert _legacy(documents)["machine"]["install"]["image"].startswith("factory.talos.dev/")
        _validate_schema(documents, definition.talos_version)


def test_cross_region_example_enables_kubespan_and_puts_vultr_workers_without_address() -> None:
    definition = load_definition(ROOT / "config" / "cross-region.yaml", environ={})
    assert [n.platform for n in definition.nodes].count("vultr") == 2
    assert definition.node("ovh-worker-03").ip_address == "192.168.128.112"
    documents = render_node(definition, definition.node("vultr-worker-01"), SecretsBundle.placeholder())
    assert {"apiVersion": "v1alpha1", "kind": "KubeSpanConfig", "enabled": True} in documents
    assert _legacy(documents)["machine"]["install"]["image"].startswith("factory.talos.dev/vultr-installer/")


def test_environment_variables_are_substituted_and_missing_ones_are_named() -> None:
    text = seed_talconfig("homelab-talos-dev").replace("clusterName: homelab-talos-dev", "clusterName: ${NAME}")
    assert parse_definition(text, "t.yaml", environ={"NAME": "from-env"}).cluster_name == "from-env"
    default = text.replace("${NAME}", "${NAME:-fallback}")
    assert parse_definition(default, "t.yaml", environ={}).cluster_name == "fallback"
    with pytest.raises(DefinitionError, match=r"variable \$\{NAME\} not set"):
        parse_definition(text, "t.yaml", environ={})
    # a8m/envsubst parse/node.go validateNoEmpty: an empty value has its own message.
    with pytest.raises(DefinitionError, match=r"variable \$\{NAME\} set but empty"):
        parse_definition(text, "t.yaml", environ={"NAME": ""})
