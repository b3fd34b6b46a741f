"""When `pulumi up` takes an etcd snapshot: before anything touches a control plane, and only then."""

from __future__ import annotations

from components.talos.backups.due import ControlPlane, reasons, summary


def plane(hostname: str, config: str | None = "config-1", address: str | None = "10.0.0.1",
          machine: str | None = "vm-1") -> ControlPlane:
    return ControlPlane(hostname, address, machine, config)


def effect(before: str, after: str) -> str:
    return f"goes from {before} to {after}"


OLD = [plane("cp-1"), plane("cp-2", address="10.0.0.2")]


def test_nothing_changed_on_control_planes_is_no_reason() -> None:
    assert reasons("v1.35.0", "v1.35.0", OLD, list(OLD), effect) == []
    assert summary([]) == ""


def test_a_control_plane_added_is_no_reason() -> None:
    assert reasons("v1.35.0", "v1.35.0", OLD, [*OLD, plane("cp-3", address="10.0.0.3")], effect) == []


def test_each_change_that_touches_a_control_plane_is_a_reason_named_by_node() -> None:
    new = [plane("cp-1", config="config-2"), plane("cp-3", address="10.0.0.3")]
    found = reasons("v1.35.0", "v1.36.0", [*OLD, plane("cp-3", address="10.0.0.3", machine="vm-old")], new, effect)
    assert found == ["Kubernetes v1.35.0 -> v1.36.0", "cp-1 goes from config-1 to config-2", "cp-2 removed",
                     "cp-3 replaced by another machine"]
    assert summary(found).startswith("taken before: Kubernetes v1.35.0 -> v1.36.0; cp-1 goes from")


def test_values_a_preview_cannot_know_yet_count_as_a_change() -> None:
    assert reasons("v1.35.0", None, OLD, [plane("cp-1", config=None), OLD[1]], effect) == [
        "Kubernetes version not known until the deployment", "cp-1 may change (values known only at deployment)"]


def test_the_snapshot_comes_before_the_kubernetes_upgrade_and_so_before_every_node() -> None:
    from .stacks import run_stack

    run = run_stack("homelab")
    snapshot = run.of_type("talos:EtcdSnapshot")[0]
    assert snapshot.urn in run.of_type("talos:KubernetesUpgrade")[0].dependencies
    first_wave = next(r for r in run.of_type("talos:MachineConfigApply") if r.inputs["hostname"] == "controlplane-01")
    assert run.of_type("talos:KubernetesUpgrade")[0].urn in first_wave.dependencies
