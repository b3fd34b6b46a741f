"""One node's machine configuration, applied over the Talos API.

The API client is imported inside the operations that use it: the program and previews (check, diff)
never talk to a node, and the gRPC stack costs ~0.15 s to import.

Create: insecure apply to a node in maintenance mode, or adoption of a node already configured with
this cluster's CA (a secure apply); it returns once the node took the config (installs run on).
Update: when the installer image changed (a new talosVersion), upgrade the node first; then secure
apply in the chosen mode, wait until the node is back and, for a control plane, healthy with every
control plane in etcd; TalosCluster chains control planes so the next one only
starts then. The config is a secret input; `masked_config` carries the same YAML with every secret
masked, so previews show which lines change on which node.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, Resource, ResourceProvider, UpdateResult

from ..talos.api.modes import APPLY_MODE_NAMES
from ..talos.definition.validate import is_ip
from ..talos.documents import decode, install_image
from ..talos.errors import TalosError
from .base import changed, credentials_from, fingerprint, inputs_of, is_unknown, require, run, seconds, target_of

if TYPE_CHECKING:
    from ..talos.api.calls import ApplyResult
    from ..talos.api.tls import Credentials

DEFAULT_TIMEOUT = 600.0
ROLES = ("controlplane", "worker")
REQUIRED = ("hostname", "role", "address", "config", "secrets")


_DNS_NAME = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}"
                       r"[A-Za-z0-9])?)*$")


def _valid_address(address: str) -> bool:
    return is_ip(address) or bool(_DNS_NAME.match(address))


class MachineConfigProvider(ResourceProvider):
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        hostname = news.get("hostname", "?")
        failures = require(news, REQUIRED, f"node {hostname}")
        role, mode, address = news.get("role"), news.get("apply_mode", "auto"), news.get("address")
        if not is_unknown(role) and role and role not in ROLES:
            failures.append(CheckFailure("role", f"node {hostname}: role {role!r}; expected one of {', '.join(ROLES)}"))
        if not is_unknown(mode) and mode not in APPLY_MODE_NAMES:
            failures.append(CheckFailure("apply_mode", f"node {hostname}: apply mode {mode!r}; expected one of "
                                                       f"{', '.join(APPLY_MODE_NAMES)}"))
        if isinstance(address, str) and not is_unknown(address) and address and not _valid_address(address):
            failures.append(CheckFailure("address", f"node {hostname}: address {address!r} is not an IP or DNS name"))
        config = news.get("config")
        if isinstance(config, str) and not is_unknown(config):
            try:
                decode(config, f"node {hostname} machine config")
            except TalosError as error:
                failures.append(CheckFailure("config", str(error)))
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = changed(olds, news, ("address",))  # another address is another machine, in maintenance
        updates = changed(olds, news, ("config", "masked_config"))
        return DiffResult(changes=bool(replaces or updates), replaces=replaces, delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        from ..talos.api import operations

        inputs = inputs_of(props)
        outcome = run(operations.apply(target_of(inputs), inputs["config"].encode(),
                                       credentials_from(inputs["secrets"]), mode=inputs.get("apply_mode", "auto"),
                                       deadline=seconds(inputs.get("timeout"), DEFAULT_TIMEOUT)),
                      f"node {inputs['hostname']}")
        return CreateResult(f"{inputs['hostname']}-{fingerprint(inputs['address'])}", {
            **inputs, "applied_mode": outcome.result.mode, "applied_insecure": outcome.insecure})

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = inputs_of(news)
        if olds.get("config") == inputs["config"]:
            return UpdateResult({**inputs, "applied_mode": olds.get("applied_mode"),
                                 "applied_insecure": olds.get("applied_insecure")})
        previous_image = install_image(decode(olds["config"], f"node {inputs['hostname']} previous config"))
        result = run(self._apply_and_settle(inputs, credentials_from(inputs["secrets"]), previous_image),
                     f"node {inputs['hostname']}")
        return UpdateResult({**inputs, "applied_mode": result.mode, "applied_insecure": False})

    async def _apply_and_settle(self, inputs: dict[str, Any], credentials: Credentials,
                                previous_image: str) -> ApplyResult:
        """Upgrade when the installer image changed, secure apply; then wait until the node is back (after a
        reboot) and, for a control plane, healthy with every control plane in etcd, so the next one may go."""
        from ..talos.api import operations

        target = target_of(inputs)
        deadline = seconds(inputs.get("timeout"), DEFAULT_TIMEOUT)
        image = install_image(decode(inputs["config"], f"node {inputs['hostname']} machine config"))
        if image and image != previous_image:
            # A new Talos version: upgrade first (the node reboots into it), then apply the new config.
            await operations.upgrade(target, image, credentials, deadline=deadline)
        outcome = await operations.apply(target, inputs["config"].encode(), credentials,
                                         mode=inputs.get("apply_mode", "auto"), deadline=deadline)
        await operations.wait_configured(target, credentials, deadline=deadline)
        if inputs["role"] == "controlplane":
            members = int(seconds(inputs.get("control_plane_count"), 1))
            await operations.wait_healthy([target], [], credentials, deadline=deadline, etcd_members=members)
        return outcome.result

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        """Leaving the node as it is (Terraform's default); with reset_on_destroy, wipe it back to maintenance."""
        if not props.get("reset_on_destroy"):
            return
        from ..talos.api import calls
        from ..talos.api.client import TalosClient

        target = target_of(props)
        credentials = credentials_from(props["secrets"])

        async def reset() -> None:
            async with TalosClient(target.dial, credentials, port=target.port) as client:
                await calls.reset(client, graceful=props.get("role") == "controlplane", reboot=True,
                                  node=target.node)

        run(reset(), f"node {props.get('hostname')}")


class MachineConfigApply(Resource, module="talos", name="MachineConfigApply"):
    """One node's rendered config applied over the Talos API (talosctl apply-config)."""

    applied_mode: pulumi.Output[str]
    masked_config: pulumi.Output[str]
    address: pulumi.Output[str]

    def __init__(self, name: str, *, hostname: str, role: str, address: pulumi.Input[str],
                 config: pulumi.Input[str], masked_config: pulumi.Input[str],
                 secrets: pulumi.Input[str], control_plane_count: int, apply_mode: str = "auto",
                 timeout: float = DEFAULT_TIMEOUT, reset_on_destroy: bool = False,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(MachineConfigProvider(), name, {
            "hostname": hostname, "role": role, "address": address, "config": pulumi.Output.secret(config),
            "masked_config": masked_config, "secrets": pulumi.Output.secret(secrets),
            "control_plane_count": control_plane_count, "apply_mode": apply_mode, "timeout": timeout,
            "reset_on_destroy": reset_on_destroy, "applied_mode": None, "applied_insecure": None,
        }, opts)
