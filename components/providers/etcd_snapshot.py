"""An etcd snapshot before the first control plane of a rollout is touched.

The Kubernetes upgrade, and through it every node resource in the rollout order, depends on this resource,
so the engine runs it first. Its Check compares the control planes' old and new configs, the Kubernetes
version and the control-plane list (components/talos/backups/due.py) and puts the reason into `snapshot`,
which the preview shows ("taken before: controlplane-01 upgrades to Talos v1.13.10 (reboots)"); its Diff
says a change is due exactly then; Update takes the snapshot through the Talos API from a healthy member and
stores it where `talos-cluster:etcdBackups` says. A snapshot that fails fails this resource, and nothing that
depends on it (no node) is touched.

Create takes a first snapshot when the stack meets a running etcd (a stack that adopts a running cluster, or
this resource added to an existing stack); a new cluster has no etcd yet, so nothing is taken then.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.dynamic import CheckResult, CreateResult, DiffResult, Resource, ResourceProvider, UpdateResult

from ..talos.backups.due import ControlPlane, reasons, summary
from ..talos.backups.settings import EtcdBackups, from_destination
from ..talos.errors import TalosError
from .base import bundle_from, changed, inputs_of, is_unknown, require, run, seconds

DEFAULT_TIMEOUT = 600.0
CREATE_PROBE = 5.0  # how long create looks for a running etcd (a new cluster's machines may still be booting)
SNAPSHOT = "snapshot"  # why a snapshot is due, as the preview shows it; "" when none is
TAKEN = "__taken"  # the last snapshot: where, from which node, how big (an output only)
REQUIRED = ("cluster_name", "control_planes", "kubernetes_version", "secrets", "destination")
SETTINGS = ("destination", "credentials", "timeout", "cluster_name")
DISABLE_HINT = "or set talos-cluster:etcdBackups.enabled to false to change control planes without a snapshot"


def _known(value: Any) -> Any:
    return None if is_unknown(value) else value


def _control_planes(inputs: dict[str, Any]) -> list[ControlPlane]:
    planes = inputs.get("control_planes")
    configs = inputs.get("configs")
    configs = configs if isinstance(configs, dict) and not is_unknown(configs) else {}
    if not isinstance(planes, list):
        return []
    return [ControlPlane(str(plane.get("hostname")), _known(plane.get("address")), _known(plane.get("machine")),
                         _known(configs.get(str(plane.get("hostname")))))
            for plane in planes if isinstance(plane, dict)]


def _effect(before: str, after: str) -> str:
    """What the config change does to the node, by Talos's rules (machine_config.effect_of)."""
    from ..talos.documents import decode
    from .machine_config import effect_of

    try:
        return effect_of(decode(before, "previous config"), decode(after, "config"), before, after)
    except TalosError:
        return "gets a new config"


def _taken(inputs: dict[str, Any], snapshot: Any) -> dict[str, Any]:
    if snapshot is None:
        return {**inputs, TAKEN: {}}
    return {**inputs, TAKEN: {"location": snapshot.location, "node": snapshot.node, "size": snapshot.size,
                              "sha256": snapshot.sha256, "encrypted": snapshot.encrypted,
                              "removed": list(snapshot.removed)}}


class EtcdSnapshotProvider(ResourceProvider):
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = require(news, REQUIRED, "etcd snapshot")
        due = ""
        if olds.get("control_planes") and is_unknown(news.get("control_planes")):
            due = summary(["control planes known only at deployment"])
        elif olds.get("control_planes") and not failures:
            new_kubernetes = news.get("kubernetes_version")
            due = summary(reasons(str(olds.get("kubernetes_version") or ""),
                                  None if is_unknown(new_kubernetes) else str(new_kubernetes),
                                  _control_planes(olds), _control_planes(news), _effect))
        return CheckResult({**news, SNAPSHOT: due}, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return DiffResult(changes=bool(news.get(SNAPSHOT)) or bool(changed(olds, news, SETTINGS)))

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = inputs_of(props)
        return CreateResult(f"etcd-snapshot-{inputs['cluster_name']}",
                            _taken(inputs, self._take(inputs, first=True)))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = inputs_of(news)
        if not inputs.get(SNAPSHOT):  # settings only: they take effect at the next snapshot
            return UpdateResult({**inputs, TAKEN: olds.get(TAKEN) or {}})
        return UpdateResult(_taken(inputs, self._take(inputs, first=False)))

    def _take(self, inputs: dict[str, Any], *, first: bool) -> Any:
        from ..talos.api.operations import Target
        from ..talos.backups.store import take_snapshot

        settings: EtcdBackups = from_destination(inputs["destination"], inputs.get("credentials") or {})
        targets = [Target(str(plane["address"])) for plane in inputs["control_planes"]]
        credentials = _backup_credentials(inputs["secrets"])
        deadline = seconds(inputs.get("timeout"), DEFAULT_TIMEOUT)
        reason = inputs.get(SNAPSHOT) or "the first snapshot of a running cluster"
        try:
            if first and not run(_etcd_runs(targets, credentials)):
                return None  # a new cluster: no etcd to take a snapshot of yet
            return run(take_snapshot(settings, inputs.get("credentials") or {}, str(inputs["cluster_name"]),
                                     targets, credentials, deadline=deadline))
        except TalosError as error:
            raise TalosError(f"etcd snapshot ({reason}) failed, no node was touched: {error}; fix this and run "
                             f"`pulumi up` again, {DISABLE_HINT}") from None


def _backup_credentials(bundle_yaml: str) -> Any:
    """os:reader to see etcd's state, os:etcd:backup for the snapshot: nothing that can change a node."""
    from ..talos.api.tls import Credentials
    from ..talos.clientconfig import READER_ROLE, talos_client_certificate

    bundle = bundle_from(bundle_yaml)
    client = talos_client_certificate(bundle, [READER_ROLE, "os:etcd:backup"])
    return Credentials(bundle.os.crt, client.crt_pem, client.key_pem)


async def _etcd_runs(targets: list[Any], credentials: Any) -> bool:
    """Whether some control plane runs a healthy etcd member, looked for briefly."""
    from ..talos.api.etcd import why_not_healthy
    from ..talos.api.retry import deadline

    with deadline(CREATE_PROBE):
        for target in targets:
            if await why_not_healthy(target, credentials) is None:
                return True
    return False


class EtcdSnapshot(Resource, module="talos", name="EtcdSnapshot"):
    """An etcd snapshot taken whenever a rollout is about to touch a control plane."""

    def __init__(self, name: str, *, cluster_name: str, control_planes: pulumi.Input[list[dict[str, Any]]],
                 configs: Mapping[str, pulumi.Input[str]], kubernetes_version: str, secrets: pulumi.Input[str],
                 backups: EtcdBackups, timeout: float = DEFAULT_TIMEOUT,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        inputs: dict[str, Any] = {
            "cluster_name": cluster_name, "control_planes": control_planes, "configs": pulumi.Output.secret(configs),
            "kubernetes_version": kubernetes_version, "secrets": pulumi.Output.secret(secrets),
            "destination": backups.destination(), "timeout": timeout}
        if backups.credentials():
            inputs["credentials"] = pulumi.Output.secret(backups.credentials())
        super().__init__(EtcdSnapshotProvider(), name, inputs, opts)
