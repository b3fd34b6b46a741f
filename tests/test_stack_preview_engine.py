"""The homelab stack file through the engine stand-in, its Proxmox VMs on emulated nodes: after an `up`, a
preview shows no change; adding the article's ovh-worker-03 previews exactly one create, and neither the
kubeconfig nor Cilium changes."""

from __future__ import annotations

import json
from pathlib import Path

from components import program

from .conftest import ROOT
from .emulated import fresh_subnet, on_loopback
from .emulator import EmulatedCluster
from .engine import Engine, Program
from .provider_host import ProviderHost
from .stacks import TEST_SECRETS, stack_config
from .test_machines_engine import EmulatedCloud
from .vultr_api import FakeVultrAPI

OVH_WORKER = """  - hostname: ovh-worker-03
    ipAddress: {address}
    controlPlane: false
    arch: amd64
    installDisk: /dev/sda
"""


def homelab_program(definition: Path) -> Program:
    config = {**stack_config("homelab"), **TEST_SECRETS, "talos-cluster:definition": str(definition),
              "talos-cluster:talos": json.dumps({"applyTimeout": 30, "bootstrapTimeout": 30, "healthTimeout": 30})}
    return Program(program.build, stack="homelab", config=config, secret_keys=list(TEST_SECRETS))


def test_a_homelab_preview_after_up_is_empty_and_a_new_node_previews_one_create(tmp_path):
    subnet = fresh_subnet()
    text = on_loopback((ROOT / "config" / "homelab.yaml").read_text(), subnet)
    definition = tmp_path / "homelab.yaml"
    definition.write_text(text)
    addresses = [f"{subnet}.{host}" for host in (85, 79, 82, 83, 86, 112)]
    with EmulatedCluster(addresses, version="v1.13.9", install_seconds=0.1, reboot_seconds=0.1) as emulated, \
            FakeVultrAPI(TEST_SECRETS["vultr:apiKey"]) as api, ProviderHost() as host:
        engine = Engine(host, mock=EmulatedCloud(emulated, [], api))
        assert set(engine.up(homelab_program(definition)).values()) == {"create"}
        preview = engine.preview(homelab_program(definition))
        assert {urn: op for urn, op in preview.items() if op != "same"} == {}
        assert engine.display == {}
        definition.write_text(text + OVH_WORKER.format(address=f"{subnet}.112"))
        preview = {urn.rsplit("::", 1)[-1]: op for urn, op in engine.preview(homelab_program(definition)).items()}
    assert [name for name, op in preview.items() if op == "create"] == ["talos-ovh-worker-03"]
    assert {name for name, op in preview.items() if op not in ("same", "create")} == {
        "talos-health", "talos-nodes-ready", "talos-talosconfig"}
    assert preview["talos-kubeconfig"] == "same" and preview["cilium"] == "same"
