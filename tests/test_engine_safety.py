"""Day-2 operations under the engine's real rules (tests/engine.py): renames, replaced machines, destroy,
refresh, interrupted runs and previews never hurt a node, and state always says what happened."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pulumi
import pytest

from components.cluster import TalosCluster
from components.talos.api import calls, operations
from components.talos.api.client import TalosClient
from components.talos.api.operations import Target
from components.talos.api.tls import Credentials
from components.talos.clientconfig import read_talosconfig
from components.talos.definition import load
from components.talos.definition.model import ClusterDefinition

from .emulated import RenderedCluster, emulate, example_definition, fresh_subnet, render
from .emulator import EmulatedCluster
from .engine import Engine, PendingOperation, Program, Registration, StepFailed
from .provider_host import ProviderHost
from .talos_layer import FAST, renamed_node, run_with, stack_talos_settings, with_node_patch

RESET_ON = replace(FAST, reset_on_destroy=True)
CONFIG_RESET_ON = stack_talos_settings(resetOnDestroy=True, protectSecrets=False)  # as RESET_ON says


def names(result: dict[str, str]) -> dict[str, str]:
    return {urn.rsplit("::", 1)[-1]: operation for urn, operation in result.items()}


def urn_of(engine: Engine, name: str) -> str:
    return next(urn for urn in engine.state if urn.endswith(f"::{name}"))


def parsed(text: str) -> ClusterDefinition:
    return load.parse_definition(text, "homelab.yaml", environ={})


@pytest.fixture
def homelab() -> tuple[str, RenderedCluster]:
    text = example_definition("homelab", fresh_subnet())
    return text, render(text)


def resets(emulated: EmulatedCluster) -> list[str]:
    return [call.address for call in emulated.calls_to("Reset")]


def test_renaming_a_node_with_reset_on_destroy_keeps_its_machine_configured(homelab):
    text, cluster = homelab
    worker = cluster.workers[0]
    with emulate(cluster) as emulated, ProviderHost() as host:
        engine = Engine(host)
        engine.up(run_with(engine, parsed(text), RESET_ON, config=CONFIG_RESET_ON))
        result = names(engine.up(run_with(engine, parsed(renamed_node(text, "worker-01", "worker-09")), RESET_ON,
                                          config=CONFIG_RESET_ON)))
        assert result["talos-worker-09"] == "create" and result["talos-worker-01"] == "delete"
        assert resets(emulated) == [] and emulated.node(worker).phase == "running"
        assert emulated.node(worker).hostname == "worker-09"  # adopted over mutual TLS, not reinstalled


def test_turning_reset_on_destroy_off_then_pulumi_destroy_run_program_resets_no_node(homelab):
    text, cluster = homelab
    with emulate(cluster) as emulated, ProviderHost() as host:
        engine = Engine(host)
        engine.up(run_with(engine, parsed(text), RESET_ON, config=CONFIG_RESET_ON))
        # the stack file changed, no `up` since: state and the provider's recorded config still say true
        off = stack_talos_settings(resetOnDestroy=False, protectSecrets=False)
        now = run_with(engine, parsed(text), FAST, config=off)
        engine.destroy(now, run_program=True)  # make destroy STACK=…
        assert engine.state == {}
        assert resets(emulated) == []
        assert {emulated.node(a).phase for a in cluster.addresses} == {"running"}


def test_a_string_false_reset_on_destroy_resets_nothing(homelab):
    text, cluster = homelab
    with emulate(cluster) as emulated, ProviderHost() as host:
        engine = Engine(host)
        engine.up(run_with(engine, parsed(text), RESET_ON, config=CONFIG_RESET_ON))
        as_string = {"talos-cluster:talos": '{"resetOnDestroy": "false", "protectSecrets": false}'}
        engine.up(run_with(engine, parsed(text), FAST, config=as_string))
        engine.destroy()
        assert resets(emulated) == []


def test_a_config_edited_out_of_band_shows_after_refresh_and_up_repairs_it(homelab):
    text, cluster = homelab
    worker = cluster.workers[0]
    with emulate(cluster) as emulated, ProviderHost() as host:
        engine = Engine(host)
        engine.up(run_with(engine, parsed(text)))
        rendered = emulated.node(worker).config
        assert rendered is not None
        _apply_by_hand(worker, _with_label(rendered.text, "rack", "r9"), engine)  # `talosctl edit mc`, say
        assert b"rack: r9" in (emulated.node(worker).config or rendered).text
        refreshed = names(engine.refresh())
        assert refreshed["talos-worker-01"] == "refresh-update"
        assert {n for n, op in refreshed.items() if op != "same"} == {"talos-worker-01"}
        preview = names(engine.preview(run_with(engine, parsed(text))))
        assert {n for n, op in preview.items() if op != "same"} == {"talos-worker-01"}
        assert "masked_config" in engine.display[urn_of(engine, "talos-worker-01")]
        assert names(engine.up(run_with(engine, parsed(text))))["talos-worker-01"] == "update"
        repaired = emulated.node(worker).config
        assert repaired is not None and repaired.text == rendered.text


@contextlib.contextmanager
def reset_out_of_band(homelab: tuple[str, RenderedCluster]) -> Iterator[tuple[Engine, EmulatedCluster, str]]:
    """An up, then worker-02 reset by hand (`talosctl reset`): back in maintenance mode, unknown to the state."""
    text, cluster = homelab
    worker = cluster.workers[1]
    with emulate(cluster) as emulated, ProviderHost() as host:
        engine = Engine(host)
        engine.up(run_with(engine, parsed(text)))
        _reset_by_hand(worker, engine)
        emulated.wait_for(worker, "maintenance")
        yield engine, emulated, worker


def test_a_node_reset_out_of_band_is_configured_again_after_refresh(homelab):
    with reset_out_of_band(homelab) as (engine, emulated, worker):
        assert names(engine.refresh())["talos-worker-02"] == "refresh-delete"
        assert names(engine.up(run_with(engine, parsed(homelab[0]))))["talos-worker-02"] == "create"
        emulated.wait_for(worker, "running")
        assert emulated.node(worker).hostname == "worker-02"


def test_an_update_to_a_node_found_in_maintenance_mode_sends_it_no_config(homelab):
    with reset_out_of_band(homelab) as (engine, emulated, worker):
        applied_before = len(emulated.calls_to("ApplyConfiguration"))
        with pytest.raises(StepFailed) as failure:
            engine.up(run_with(engine, parsed(with_node_patch(homelab[0], "worker-02"))))
        assert "worker-02" in str(failure.value) and "answers in maintenance mode: it lost its installation" in str(
            failure.value) and "pulumi up --refresh" in str(failure.value)
        assert len(emulated.calls_to("ApplyConfiguration")) == applied_before
        assert emulated.node(worker).config is None


class Machine(pulumi.CustomResource):
    """A VM as the cloud provider's mock sees it: only its id matters here."""

    def __init__(self, name: str) -> None:
        super().__init__("test:index:Machine", name, {"name": name})


class NewMachines:
    """The cloud's side: a replaced machine is a new VM, booted into maintenance mode at the same address."""

    def __init__(self, emulated: EmulatedCluster, addresses: dict[str, str]) -> None:
        self.emulated, self.addresses, self.created = emulated, addresses, 0

    def __call__(self, registration: Registration) -> tuple[str, dict[str, Any]]:
        self.created += 1
        address = self.addresses.get(registration.name)
        if address and self.created > len(self.addresses):  # not the first up: a replacement VM
            _wipe(self.emulated, address)
        return f"vm-{self.created}", dict(registration.inputs)


def _program_with_machines(definition: ClusterDefinition) -> dict[str, Any]:
    machines = {node.hostname: [Machine(f"vm-{node.hostname}")] for node in definition.nodes}
    addresses = {node.hostname: node.ip_address or "" for node in definition.nodes}
    cluster = TalosCluster("talos", definition, addresses, machines=machines, options=FAST)
    cluster.add_destroy_guard()
    return {"talosconfig": cluster.talosconfig}


def test_a_machine_replaced_behind_the_same_address_is_configured_again_and_health_reruns(homelab):
    text, cluster = homelab
    definition = parsed(text)
    worker = cluster.workers[0]
    with emulate(cluster) as emulated, ProviderHost() as host:
        cloud = NewMachines(emulated, {f"vm-{n.hostname}": n.ip_address or "" for n in definition.nodes})
        engine = Engine(host, mock=cloud)
        program = Program(lambda: _program_with_machines(definition), config=CONFIG_RESET_ON)
        engine.up(program)
        applies = len(emulated.calls_to("ApplyConfiguration"))
        result = names(engine.up(program, replace=[urn_of(engine, "vm-worker-01")]))
        assert result["vm-worker-01"] == "replace" and result["talos-worker-01"] == "replace"
        assert result["talos-health"] == "update"
        assert {n for n, op in result.items() if op not in ("same",)} == {
            "vm-worker-01", "talos-worker-01", "talos-health"}
        emulated.wait_for(worker, "running")
        assert len(emulated.calls_to("ApplyConfiguration")) == applies + 1 and resets(emulated) == []


def test_preview_after_up_shows_no_change_and_a_new_node_previews_one_create(homelab):
    text, cluster = homelab
    ovh = cluster.control_planes[0].rsplit(".", 1)[0] + ".112"
    bigger = text + ("  - hostname: ovh-worker-03\n"
                     f"    ipAddress: {ovh}\n    controlPlane: false\n    installDisk: /dev/sda\n")
    with emulate(cluster), ProviderHost() as host:
        engine = Engine(host)
        engine.up(run_with(engine, parsed(text)))
        assert set(engine.preview(run_with(engine, parsed(text))).values()) == {"same"}
        assert engine.display == {}
        preview = names(engine.preview(run_with(engine, parsed(bigger))))
        assert [n for n, op in preview.items() if op == "create"] == ["talos-ovh-worker-03"]
        assert {n for n, op in preview.items() if op not in ("same", "create")} == {"talos-health", "talos-talosconfig"}
        assert preview["talos-kubeconfig"] == "same"  # Cilium's kubeconfig stays known and unchanged


def test_an_interrupted_up_converges_without_a_second_bootstrap_or_etcd_member(homelab):
    text, cluster = homelab
    definition = parsed(text)
    with emulate(cluster, install_seconds=3.0, apply_seconds=0.3) as emulated, ProviderHost() as host:
        engine = Engine(host)
        # killed while the bootstrap retries, waiting for the first control plane to come back from its install
        _kill_when(host, lambda: any(urn.endswith("::talos-bootstrap") for urn in dict(engine.pending_operations)))
        with pytest.raises((PendingOperation, StepFailed)):  # whichever in-flight call reports first
            engine.up(run_with(engine, definition))
        assert "creating" in engine.pending_operations.values()
        engine.up(run_with(engine, definition))  # a fresh host, as the next `pulumi up` starts
        assert engine.warnings and "pending operations" in engine.warnings[0]
        patched = parsed(with_node_patch(text, "controlplane-02"))
        _kill_when(host, lambda: emulated.node(cluster.control_planes[1]).apply_in_progress)  # mid-update
        with pytest.raises((PendingOperation, StepFailed)):  # in a provider call, or between two
            engine.up(run_with(engine, patched))
        engine.up(run_with(engine, patched))
        engine.refresh(clear_pending_creates=True)  # what clears a pending create (cmd refresh.go)
        assert engine.pending_operations == {}
        assert sum(1 for call in emulated.calls_to("Bootstrap") if call.ok) == 1
        members = asyncio.run(_etcd_members(cluster, engine))
        assert sorted(members) == sorted(n.hostname for n in definition.control_planes)
        assert all(emulated.node(a).phase == "running" for a in cluster.addresses)


def test_a_protected_secrets_bundle_stops_a_destroy_in_its_preview_before_any_node_is_touched(homelab):
    text, cluster = homelab
    with emulate(cluster) as emulated, ProviderHost() as host:
        engine = Engine(host)
        engine.up(run_with(engine, parsed(text), replace(RESET_ON, protect_secrets=True), config=CONFIG_RESET_ON))
        with pytest.raises(StepFailed, match="cannot be deleted\nbecause it is protected"):
            engine.destroy()  # pulumi destroy: the preview fails, nothing is deleted
        assert resets(emulated) == [] and len(engine.state) == 13


# ---------------------------------------------------------------------- what a user does by hand

def stack_credentials(engine: Engine) -> Credentials:
    """The admin credentials of the stack's talosconfig output (`pulumi stack output talosconfig`)."""
    entry = read_talosconfig(engine.state[urn_of(engine, "talos-talosconfig")].outputs["__talosconfig"], "output")
    return Credentials(entry["ca"], entry["crt"], entry["key"])


def _apply_by_hand(address: str, config: bytes, engine: Engine) -> None:
    asyncio.run(operations.apply(Target(address), config, stack_credentials(engine), deadline=30))


def _reset_by_hand(address: str, engine: Engine) -> None:
    async def reset() -> None:
        async with TalosClient(address, stack_credentials(engine)) as client:
            await calls.reset(client, graceful=False, reboot=True, node=address)

    asyncio.run(reset())


def _with_label(config: bytes, key: str, value: str) -> bytes:
    return config.replace(b"    nodeLabels:\n", f"    nodeLabels:\n        {key}: {value}\n".encode(), 1) \
        if b"    nodeLabels:\n" in config else config.replace(b"machine:\n", f"machine:\n    nodeLabels:\n        "
                                                                                 f"{key}: {value}\n".encode(), 1)


def _wipe(emulated: EmulatedCluster, address: str) -> None:
    """A brand-new VM at that address: empty disk, maintenance mode."""
    node = emulated.node(address)

    async def wipe() -> None:
        node.reset(reboot=True)
        node.installed = False

    emulated.run(wipe())
    emulated.wait_for(address, "maintenance")


def _kill_when(host: ProviderHost, condition: Any) -> None:
    """Kill the provider host the moment `condition()` holds, as a Ctrl-C twice or a dying CI runner would."""

    def watch() -> None:
        end = time.monotonic() + 60
        while time.monotonic() < end and not condition():
            time.sleep(0.02)
        host.kill()

    threading.Thread(target=watch, daemon=True).start()


async def _etcd_members(cluster: RenderedCluster, engine: Engine) -> list[str]:
    first = cluster.control_planes[0]
    async with TalosClient(first, stack_credentials(engine)) as client:
        return [member.hostname for member in await calls.etcd_members(client, node=first)]


def test_a_pinned_first_apply_reaches_only_the_machine_whose_certificate_matches(homelab):
    text, cluster = homelab
    worker, other = cluster.workers
    with emulate(cluster) as emulated, ProviderHost() as host:
        pins = {"worker-01": [emulated.node(worker).maintenance_fingerprint],
                "worker-02": ["47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="]}  # not the node's: an impostor
        engine = Engine(host)
        with pytest.raises(StepFailed, match=r"worker-02.*not pinned \(--cert-fingerprint\); no config was sent"):
            engine.up(run_with(engine, parsed(text), replace(FAST, cert_fingerprints=pins)))
        assert emulated.node(worker).config is not None  # pinned, matched, configured
        assert emulated.node(other).config is None  # no config, no secrets for the unmatched certificate
