"""One node's machine configuration, applied over the Talos API.

The API client is imported inside the operations that use it: the program and previews (check, diff)
never talk to a node, and the gRPC stack costs ~0.15 s to import.

Create: insecure apply to a node in maintenance mode (trust on first use: this stack never configured it),
or adoption of a node already configured with this cluster's CA (a secure apply); it returns once the node
took the config (installs run on).
Update: settings only (reset on destroy, apply mode, timeout) touch no node. A new config goes over mutual
TLS only: when the installer image changed (a new talosVersion) the node is upgraded first; then secure
apply, wait until the node is back and healthy (a control plane with every control plane in etcd), so
that the next wave of the rollout (components/talos/rollout.py) starts only then.
A node found in maintenance mode gets nothing (it lost its installation: refresh, then up, creates it again).
Read (refresh): the node's running config compared with state; maintenance mode or another machine is gone.
Delete: resets only with reset on destroy (the stack's current setting), only a node that runs this
resource's hostname in this cluster, and never a node that a resource of the current program claims.

Outputs that are not inputs carry a `__` prefix: the engine's display hides internal keys
(pulumi/pulumi pkg/backend/display/object_diff.go printOldNewDiffs ignores IsInternalPropertyKey), and a
preview compares old outputs with new inputs, so plain names would show as removed on every update.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

from ..talos.api.modes import APPLY_MODE_NAMES
from ..talos.definition.validate import is_ip
from ..talos.documents import decode, install_image
from ..talos.errors import TalosError
from ..talos.masking import masked_config
from ..talos.rollout import check_config_change
from . import claims
from .base import (
    changed,
    credentials_from,
    fingerprint,
    inputs_of,
    is_unknown,
    kube_credentials_from,
    require,
    run,
    seconds,
    target_of,
)
from .stack_settings import TALOS_SETTINGS_KEY, reset_on_destroy_setting

if TYPE_CHECKING:
    from ..talos.api.calls import ApplyResult
    from ..talos.api.tls import Credentials

DEFAULT_TIMEOUT = 600.0
ROLES = ("controlplane", "worker")
REQUIRED = ("hostname", "role", "address", "config", "secrets")
# Inputs that change how later operations behave but are no reason to contact the node.
SETTINGS = ("reset_on_destroy", "apply_mode", "timeout", "control_plane_count", "hostname", "role",
            "cert_fingerprints")
APPLIED_MODE, APPLIED_INSECURE = "__applied_mode", "__applied_insecure"
# What the preview shows for a changed config: "applies in place", "reboots (<paths>)" or "upgrades to ..."
# (Check sets it from the old and new config: it is not a reason to update, Diff ignores it).
APPLY_EFFECT = "apply_effect"

_DNS_NAME = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}"
                       r"[A-Za-z0-9])?)*$")


def _valid_address(address: str) -> bool:
    return is_ip(address) or bool(_DNS_NAME.match(address))


def effect_of(before: list[dict[str, Any]], after: list[dict[str, Any]], previous: str, config: str) -> str:
    """Whether the node takes the change in place or reboots, by Talos's own rules for the version it runs
    (components/talos/reboots.py); a new installer image is an upgrade, which always reboots."""
    from ..talos.documents import image_tag
    from ..talos.reboots import apply_effect

    running, wanted = image_tag(install_image(before)), image_tag(install_image(after))
    if wanted and wanted != running:
        return f"upgrades to Talos {wanted} (reboots)"
    return apply_effect(previous, config, running) if running else "applies (Talos version unknown)"


def resource_id(hostname: str, address: str, machine: str) -> str:
    """A new machine behind the same address is a new resource id, so whatever waits on it (health) runs again."""
    return f"{hostname}-{fingerprint(address + '|' + machine)}"


def check_rendered(documents: list[dict[str, Any]], validation: Any, hostname: str) -> None:
    """Talos's own checks of the config, as the node's release runs them when it takes it (decoder, container,
    Config.Validate, each document, conflicts): a config the node would refuse fails the preview, naming the
    definition file and the node."""
    if not isinstance(validation, dict) or is_unknown(validation.get("talos_version")):
        return
    from ..talos.validation import Mode, check_config
    from ..talos.versions import parse_contract

    version = str(validation.get("talos_version"))
    check_config(documents, minor=parse_contract(version, "talosVersion").minor,
                 mode=Mode.of_platform(str(validation.get("platform", "metal"))),
                 source=f"{validation.get('source', 'the definition')}: node {hostname}", talos_version=version)


class MachineConfigProvider(ResourceProvider):
    # The stack's current config, as the engine passes it to dynamic providers (Configure); None until then.
    talos_settings: Any = None  # the stack's `talos-cluster:talos`, as the engine passes it (Configure)

    def configure(self, req: ConfigureRequest) -> None:
        self.talos_settings = req.config.get(TALOS_SETTINGS_KEY)

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        hostname = news.get("hostname", "?")
        failures = require(news, REQUIRED, f"node {hostname}")
        role, mode, address = news.get("role"), news.get("apply_mode", "auto"), news.get("address")
        if not is_unknown(role) and role and role not in ROLES:
            failures.append(CheckFailure("role", f"node {hostname}: role {role!r}; expected one of {', '.join(ROLES)}"))
        if not is_unknown(mode) and mode not in APPLY_MODE_NAMES:
            failures.append(CheckFailure("apply_mode", f"node {hostname}: apply mode {mode!r}; expected one of "
                                                       f"{', '.join(APPLY_MODE_NAMES)}"))
        for pin in news.get("cert_fingerprints") or []:
            from ..talos.api.diagnose import parse_fingerprint

            try:
                parse_fingerprint(str(pin))
            except ValueError as error:
                failures.append(CheckFailure("cert_fingerprints", f"node {hostname}: {error}"))
        if isinstance(address, str) and not is_unknown(address) and address and not _valid_address(address):
            failures.append(CheckFailure("address", f"node {hostname}: address {address!r} is not an IP or DNS name"))
        config = news.get("config")
        if isinstance(config, str) and not is_unknown(config):
            try:
                documents = decode(config, f"node {hostname} machine config")
                check_rendered(documents, news.get("validation"), str(hostname))
                previous = olds.get("config")
                if isinstance(previous, str) and previous and not is_unknown(previous):
                    # version guards (components/talos/rollout.py): preview fails before any node is touched
                    before = decode(previous, f"node {hostname} previous config")
                    check_config_change(f"{hostname}", before, documents)
                    news = {**news, APPLY_EFFECT: effect_of(before, documents, previous, config)
                            if previous != config else olds.get(APPLY_EFFECT)}
            except TalosError as error:
                failures.append(CheckFailure("config", str(error)))
        if isinstance(address, str) and not is_unknown(address) and isinstance(hostname, str):
            claims.claim(address, hostname, str(role))  # every node of the program, before any delete runs
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        # A new machine (another VM or instance id) is in maintenance mode: create it, trusting it first.
        replaces = changed(olds, news, ("machine",))
        if not olds.get("machine") and not news.get("machine"):
            # A machine the stack does not create is known by its address only: another address, another machine.
            replaces += changed(olds, news, ("address",))
        updates = changed(olds, news, ("config", "masked_config", "address", *SETTINGS))
        return DiffResult(changes=bool(replaces or updates), replaces=replaces, delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        from ..talos.api import operations

        inputs = inputs_of(props)
        outcome = run(operations.apply(target_of(inputs), inputs["config"].encode(),
                                       credentials_from(inputs["secrets"]), mode=inputs.get("apply_mode", "auto"),
                                       deadline=seconds(inputs.get("timeout"), DEFAULT_TIMEOUT),
                                       cert_fingerprints=[str(f) for f in inputs.get("cert_fingerprints") or []]),
                      f"node {inputs['hostname']}")
        return CreateResult(resource_id(inputs["hostname"], inputs["address"], str(inputs.get("machine") or "")), {
            **inputs, APPLIED_MODE: outcome.result.mode, APPLIED_INSECURE: outcome.insecure})

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = inputs_of(news)
        if olds.get("config") == inputs["config"] and olds.get("address") == inputs["address"]:
            # settings only: they take effect now, in state, without contacting the node
            return UpdateResult({**inputs, APPLIED_MODE: olds.get(APPLIED_MODE),
                                 APPLIED_INSECURE: olds.get(APPLIED_INSECURE)})
        previous_image = install_image(decode(olds["config"], f"node {inputs['hostname']} previous config"))
        result = run(self._apply_and_settle(inputs, credentials_from(inputs["secrets"]), previous_image),
                     f"node {inputs['hostname']}")
        return UpdateResult({**inputs, APPLIED_MODE: result.mode, APPLIED_INSECURE: False})

    async def _apply_and_settle(self, inputs: dict[str, Any], credentials: Credentials,
                                previous_image: str) -> ApplyResult:
        """Upgrade when the installer image changed, secure apply; then wait until the node is back (after a
        reboot) and, for a control plane, healthy with every control plane in etcd, so the next one may go."""
        from ..talos.api import operations
        from ..talos.api.configured_node import apply_secure, lost_installation, wait_rebooted

        target = target_of(inputs)
        hostname = str(inputs["hostname"])
        deadline = seconds(inputs.get("timeout"), DEFAULT_TIMEOUT)
        if await operations.in_maintenance(target, credentials):
            raise lost_installation(hostname, target)
        image = install_image(decode(inputs["config"], f"node {hostname} machine config"))
        if image and image != previous_image:
            # A new Talos version: upgrade first (the node reboots into it), then apply the new config.
            await operations.upgrade(target, image, credentials, deadline=deadline)
        result = await apply_secure(target, hostname, inputs["config"].encode(), credentials,
                                    mode=inputs.get("apply_mode", "auto"), deadline=deadline)
        if result.mode == "reboot":
            await wait_rebooted(target, credentials, deadline=deadline)
        await operations.wait_configured(target, credentials, deadline=deadline)
        if inputs["role"] == "controlplane":
            from ..talos.kube.health import KubernetesChecks

            # Talos's stages, then its kube-apiserver answering and its static pods Ready, before the next one
            kubernetes = KubernetesChecks(kube_credentials_from(inputs["secrets"]), nodes_ready=False,
                                          schedulable=False)
            members = int(seconds(inputs.get("control_plane_count"), 1))
            await operations.wait_healthy([target], [], credentials, deadline=deadline, etcd_members=members,
                                          kubernetes=kubernetes)
        else:  # the next batch of workers waits for this one (components/talos/rollout.py)
            await operations.wait_healthy([], [target], credentials, deadline=deadline)
        return result

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """`pulumi refresh`: what the node runs now. Gone (empty id) when it is back in maintenance mode or
        another machine answers there; a config edited out of band shows as changed `config`."""
        from ..talos.api.configured_node import NodeClaim, running_config, same_config

        if "config" not in props or "address" not in props:
            raise TalosError("a Talos node cannot be imported by id: adopt an existing cluster through the stack "
                             "setting talos-cluster:secrets instead (see the README)")
        hostname = str(props.get("hostname"))
        running = run(running_config(target_of(props), credentials_from(props["secrets"]),
                                     deadline=seconds(props.get("timeout"), DEFAULT_TIMEOUT)), f"node {hostname}")
        if running is None:
            return ReadResult("", {})
        ours = NodeClaim.of(props["config"], f"node {hostname} state")
        if NodeClaim.of(running, f"node {hostname} running config") != ours:
            return ReadResult("", {})  # another node of this cluster answers at that address
        if same_config(running, props["config"]):
            return ReadResult(id_, props)
        return ReadResult(id_, {**props, "config": running,
                                "masked_config": masked_config(running, f"node {hostname} running config")})

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        """Leaving the machine as it is (Terraform's default) unless the stack says reset on destroy; never a
        machine the current program still claims (the replacement, a renamed twin). A node removed from the
        definition during an `up` first leaves the cluster: drained, out of etcd, its Node object deleted."""
        address, hostname = str(props.get("address")), str(props.get("hostname"))
        if claims.claimed(address) or claims.claimed_hostname(hostname):
            return
        reset = reset_on_destroy_setting(self.talos_settings, props.get("reset_on_destroy"))
        removed = claims.in_deployment_with_program()  # a destroy takes the whole cluster: nothing to leave
        if reset or removed:
            run(self._leave_and_reset(props, removed=removed, reset=reset), f"node {hostname}")

    async def _leave_and_reset(self, props: dict[str, Any], *, removed: bool, reset: bool) -> None:
        from ..talos.api import calls
        from ..talos.api.client import TalosClient
        from ..talos.api.configured_node import NodeClaim, running_config
        from ..talos.api.errors import TalosAPIError
        from ..talos.api.operations import Target

        target = target_of(props)
        credentials = credentials_from(props["secrets"])
        ours = NodeClaim.of(props["config"], "state")
        try:
            running = await running_config(target, credentials, deadline=min(seconds(props.get("timeout"), 60), 60))
        except TalosAPIError:
            running = None  # gone: nothing to reset; a control plane still leaves etcd through the others
        if running is not None and NodeClaim.of(running, "running config") != ours:
            return  # another node answers at this address now: it is not ours to drain or reset
        if removed:
            from ..talos.kube.removal import remove_node

            control_plane = props.get("role") == "controlplane"
            others = [Target(address) for address in claims.control_planes()]
            await remove_node(target, others + ([target] if control_plane else []), credentials,
                              kube_credentials_from(props["secrets"]), control_plane=control_plane,
                              drain_deadline=seconds(props.get("timeout"), DEFAULT_TIMEOUT))
        if reset and running is not None:
            async with TalosClient(target.dial, credentials, port=target.port) as client:
                await calls.reset(client, graceful=props.get("role") == "controlplane" and not removed,
                                  reboot=True, node=target.node)


class MachineConfigApply(Resource, module="talos", name="MachineConfigApply"):
    """One node's rendered config applied over the Talos API (talosctl apply-config)."""

    masked_config: pulumi.Output[str]
    address: pulumi.Output[str]

    def __init__(self, name: str, *, hostname: str, role: str, address: pulumi.Input[str],
                 config: pulumi.Input[str], masked_config: pulumi.Input[str],
                 secrets: pulumi.Input[str], control_plane_count: int, machine: pulumi.Input[str] = "",
                 apply_mode: str = "auto", timeout: float = DEFAULT_TIMEOUT, reset_on_destroy: bool = False,
                 cert_fingerprints: list[str] | None = None, validation: dict[str, str] | None = None,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        inputs: dict[str, Any] = {
            "hostname": hostname, "role": role, "address": address, "machine": machine,
            "config": pulumi.Output.secret(config), "masked_config": masked_config,
            "secrets": pulumi.Output.secret(secrets), "control_plane_count": control_plane_count,
            "apply_mode": apply_mode, "timeout": timeout, "reset_on_destroy": reset_on_destroy}
        if cert_fingerprints:  # pins the first, insecure apply (talosctl apply-config --cert-fingerprint)
            inputs["cert_fingerprints"] = cert_fingerprints
        if validation:  # how Check validates the config: {mode, talos_version, source} (see check_rendered)
            inputs["validation"] = validation
        super().__init__(MachineConfigProvider(), name, inputs, opts)
