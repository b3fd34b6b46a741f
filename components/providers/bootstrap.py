"""etcd bootstrap on the first control plane, by its own address (never the VIP). Already bootstrapped
counts as success, so a rerun after an interrupted `pulumi up` converges."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CheckResult, CreateResult, DiffResult, Resource, ResourceProvider

from .base import credentials_from, fingerprint, inputs_of, require, run, seconds, target_of

ALREADY_BOOTSTRAPPED = "__already_bootstrapped"  # an output only: hidden from diffs (see machine_config.py)
DEFAULT_TIMEOUT = 900.0  # install, reboot and the CRI coming up all happen before bootstrap is accepted


class BootstrapProvider(ResourceProvider):
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return CheckResult(news, require(news, ("hostname", "address", "secrets"), "bootstrap"))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return DiffResult(changes=False)  # a cluster is bootstrapped once in its life

    def create(self, props: dict[str, Any]) -> CreateResult:
        from ..talos.api import operations  # only operations talk to nodes; the program never imports this

        inputs = inputs_of(props)
        target = target_of(inputs)
        bootstrapped_now = run(operations.bootstrap(target, credentials_from(inputs["secrets"]),
                                                    deadline=seconds(inputs.get("timeout"), DEFAULT_TIMEOUT)),
                               f"bootstrap on {inputs['hostname']}")
        return CreateResult(f"bootstrap-{fingerprint(target.node)}",
                            {**inputs, ALREADY_BOOTSTRAPPED: not bootstrapped_now})


class TalosBootstrap(Resource, module="talos", name="Bootstrap"):
    """talosctl bootstrap on one control plane."""

    def __init__(self, name: str, *, hostname: str, address: pulumi.Input[str], secrets: pulumi.Input[str],
                 timeout: float = DEFAULT_TIMEOUT, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(BootstrapProvider(), name, {
            "hostname": hostname, "address": address, "secrets": pulumi.Output.secret(secrets), "timeout": timeout},
            opts)
