"""etcd bootstrap on the first control plane, by its own address (never the VIP). Already bootstrapped
counts as success, so a rerun after an interrupted `pulumi up` converges.

Disaster recovery: `talos-cluster:etcdRestore` (read here only, from the stack config the engine hands this
provider) makes a bootstrap restore that snapshot, as `talosctl bootstrap --recover-from` does. A bootstrap
runs when this resource is created: for a new cluster, or after `pulumi refresh` found the cluster's etcd gone
(every control plane answering without one: wiped, reinstalled, new machines at the same addresses). A
control plane that still runs etcd keeps the resource, and is joined rather than bootstrapped anew: two etcd
clusters behind one endpoint would be worse than none.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import (
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
)

from ..talos.backups.settings import RESTORE_KEY, EtcdRestore, parse_restore_text
from ..talos.errors import TalosError
from .base import credentials_from, fingerprint, inputs_of, require, run, seconds, target_of

if TYPE_CHECKING:
    from ..talos.api.operations import Target
    from ..talos.api.tls import Credentials

ALREADY_BOOTSTRAPPED = "__already_bootstrapped"  # an output only: hidden from diffs (see machine_config.py)
RESTORED_FROM = "__restored_from"  # the snapshot this bootstrap restored, if any
DEFAULT_TIMEOUT = 900.0  # install, reboot and the CRI coming up all happen before bootstrap is accepted
PROBE = 5.0  # how long a bootstrap looks for an etcd already running on another control plane
READ_DEADLINE = 30.0
ROOT = Path(__file__).resolve().parent.parent.parent  # the project: relative snapshot paths start here


def restore_setting(raw: Any) -> EtcdRestore | None:
    """`talos-cluster:etcdRestore` as the engine passed it (None when unset)."""
    return parse_restore_text(None if raw is None else str(raw), ROOT)


class BootstrapProvider(ResourceProvider):
    restore: Any = None  # the stack's `talos-cluster:etcdRestore`, as the engine passes it (Configure)

    def configure(self, req: ConfigureRequest) -> None:
        self.restore = req.config.get(RESTORE_KEY)

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return CheckResult(news, require(news, ("hostname", "address", "secrets"), "bootstrap"))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return DiffResult(changes=False)  # a cluster is bootstrapped once in its life (until refresh finds it gone)

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = inputs_of(props)
        target = target_of(inputs)
        restore = restore_setting(self.restore)
        others = [address for address in inputs.get("control_planes") or [] if address != target.node]
        outcome = run(self._bootstrap(target, others, credentials_from(inputs["secrets"]), restore,
                                      seconds(inputs.get("timeout"), DEFAULT_TIMEOUT)),
                      f"bootstrap on {inputs['hostname']}")
        return CreateResult(f"bootstrap-{fingerprint(target.node)}",
                            {**inputs, ALREADY_BOOTSTRAPPED: outcome != "bootstrapped" and outcome != "restored",
                             RESTORED_FROM: restore.snapshot if outcome == "restored" and restore else ""})

    async def _bootstrap(self, target: Target, others: list[str], credentials: Credentials,
                         restore: EtcdRestore | None, deadline: float) -> str:
        from ..talos.api import operations

        if await _etcd_runs_on(others, credentials):
            return "joined"  # the node joins the running etcd; a bootstrap here would start a second cluster
        if restore is None:
            return "bootstrapped" if await operations.bootstrap(target, credentials, deadline=deadline) else "existed"
        await _restore(target, credentials, restore, deadline)
        return "restored"

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """`pulumi refresh`: gone when every control plane answers and none runs etcd (the cluster's etcd was
        lost); kept when any runs it, or when any cannot be asked."""
        addresses = props.get("control_planes")
        if not addresses or "secrets" not in props:
            return ReadResult(id_, props)  # state from before control_planes was recorded: nothing to compare
        lost = run(_etcd_lost([str(a) for a in addresses], credentials_from(props["secrets"], "os:reader")),
                   f"bootstrap on {props.get('hostname')}")
        return ReadResult("", {}) if lost else ReadResult(id_, props)


async def _etcd_runs_on(addresses: list[str], credentials: Credentials) -> bool:
    from ..talos.api.etcd import why_not_healthy
    from ..talos.api.operations import Target
    from ..talos.api.retry import deadline

    with deadline(PROBE):
        for address in addresses:
            if await why_not_healthy(Target(address), credentials) is None:
                return True
    return False


async def _etcd_lost(addresses: list[str], credentials: Credentials) -> bool:
    """Every control plane answers, in maintenance mode or with an etcd that does not run."""
    from ..talos.api.errors import TalosAPIError
    from ..talos.api.etcd import etcd_service
    from ..talos.api.operations import Target, in_maintenance
    from ..talos.api.retry import deadline

    with deadline(READ_DEADLINE):
        for address in addresses:
            target = Target(address)
            try:
                if await in_maintenance(target, credentials):
                    continue
                service = await etcd_service(target, credentials)
            except TalosAPIError:
                return False  # cannot be asked: the cluster may well be alive
            if service is not None and service.state == "Running":
                return False
    return True


async def _restore(target: Target, credentials: Credentials, restore: EtcdRestore, deadline: float) -> None:
    """The snapshot (decrypted first into a private folder when it is an age file) restored on `target`."""
    from ..talos.api.etcd import bootstrap_from
    from ..talos.backups.encryption import decrypt

    snapshot = Path(restore.snapshot)
    if not snapshot.is_file():
        raise TalosError(f"{RESTORE_KEY}.from: {snapshot} does not exist; expected the etcd snapshot to restore")
    if not restore.age_identity_file:
        await bootstrap_from(target, credentials, snapshot, skip_hash_check=restore.skip_hash_check,
                             deadline=deadline)
        return
    with tempfile.TemporaryDirectory(prefix="talos-restore-") as folder:
        plain = Path(folder) / snapshot.name.removesuffix(".age")
        decrypt(snapshot, plain, Path(restore.age_identity_file))
        await bootstrap_from(target, credentials, plain, skip_hash_check=restore.skip_hash_check, deadline=deadline)


class TalosBootstrap(Resource, module="talos", name="Bootstrap"):
    """talosctl bootstrap on one control plane (with --recover-from while talos-cluster:etcdRestore is set)."""

    def __init__(self, name: str, *, hostname: str, address: pulumi.Input[str], secrets: pulumi.Input[str],
                 control_planes: pulumi.Input[list[str]] | None = None, timeout: float = DEFAULT_TIMEOUT,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        inputs: dict[str, Any] = {"hostname": hostname, "address": address, "secrets": pulumi.Output.secret(secrets),
                                  "timeout": timeout}
        if control_planes is not None:
            inputs["control_planes"] = control_planes
        super().__init__(BootstrapProvider(), name, inputs, opts)
