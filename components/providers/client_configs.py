"""talosconfig and the admin kubeconfig, made locally from the secrets bundle (no connection needed) and
renewed at the first `pulumi up` inside the renewal window before their certificates expire.

Two resources, so that each changes only with its own inputs: adding a node changes the talosconfig's node
list, never the kubeconfig (whose consumers, the Kubernetes provider and Cilium, would otherwise see an
unknown kubeconfig in the preview: an updated resource's outputs are unknown there). The generated texts
are `__`-prefixed outputs, hidden from the engine's diff display (see machine_config.py).
"""

from __future__ import annotations

import datetime
from typing import Any

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, Resource, ResourceProvider, UpdateResult

from ..talos.clientconfig import admin_kubeconfig, talosconfig
from ..talos.secrets import SecretsBundle
from .base import bundle_from, changed, inputs_of, is_unknown, require, seconds

DEFAULT_VALIDITY_DAYS = 365.0
DEFAULT_RENEW_BEFORE_DAYS = 30.0
EXPIRES_AT = "__expires_at"
TALOSCONFIG, KUBECONFIG = "__talosconfig", "__kubeconfig"


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class _RenewedCredentialsProvider(ResourceProvider):
    """Generated from the secrets; regenerated when `regenerating` inputs change or renewal is due."""

    required: tuple[str, ...] = ("secrets",)
    regenerating: tuple[str, ...] = ("validity_days",)
    output: str = ""

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = require(news, self.required, self.output.strip("_"))
        validity = news.get("validity_days")
        renew = news.get("renew_before_days")
        if not is_unknown(validity) and not is_unknown(renew) and seconds(renew, DEFAULT_RENEW_BEFORE_DAYS) >= \
                seconds(validity, DEFAULT_VALIDITY_DAYS):
            failures.append(CheckFailure("renew_before_days", "must be shorter than validity_days, or every "
                                                              "run would renew the certificates"))
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        updates = changed(olds, news, self.regenerating)
        expires = olds.get(EXPIRES_AT)
        window = datetime.timedelta(days=seconds(news.get("renew_before_days"), DEFAULT_RENEW_BEFORE_DAYS))
        if not expires or datetime.datetime.fromisoformat(expires) - window <= _now():
            updates.append(EXPIRES_AT)
        return DiffResult(changes=bool(updates))

    def generate(self, inputs: dict[str, Any], bundle: SecretsBundle, ttl: datetime.timedelta,
                 now: datetime.datetime) -> str:
        raise NotImplementedError

    def _generated(self, inputs: dict[str, Any]) -> dict[str, Any]:
        bundle = bundle_from(inputs["secrets"])
        now = _now()
        ttl = datetime.timedelta(days=seconds(inputs.get("validity_days"), DEFAULT_VALIDITY_DAYS))
        return {**inputs, self.output: self.generate(inputs, bundle, ttl, now), EXPIRES_AT: (now + ttl).isoformat()}

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(self.output.strip("_"), self._generated(inputs_of(props)))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(self._generated(inputs_of(news)))


class TalosconfigProvider(_RenewedCredentialsProvider):
    required = ("secrets", "cluster_name", "endpoints")
    regenerating = ("cluster_name", "endpoints", "nodes", "validity_days")
    output = TALOSCONFIG

    def generate(self, inputs: dict[str, Any], bundle: SecretsBundle, ttl: datetime.timedelta,
                 now: datetime.datetime) -> str:
        return talosconfig(bundle, str(inputs["cluster_name"]), [str(e) for e in inputs["endpoints"]],
                           [str(n) for n in inputs.get("nodes") or []], ttl=ttl, now=now)


class KubeconfigProvider(_RenewedCredentialsProvider):
    required = ("secrets", "cluster_name", "kubernetes_endpoint")
    regenerating = ("cluster_name", "kubernetes_endpoint", "validity_days")
    output = KUBECONFIG

    def generate(self, inputs: dict[str, Any], bundle: SecretsBundle, ttl: datetime.timedelta,
                 now: datetime.datetime) -> str:
        return admin_kubeconfig(bundle, str(inputs["cluster_name"]), str(inputs["kubernetes_endpoint"]), ttl=ttl,
                                now=now)


class ClientConfigsProvider(ResourceProvider):
    """Stacks written before the split hold one ClientConfigs resource whose state names this class; the host
    must still load it to delete that resource (a no-op: nothing outside the state was ever created)."""


def _options(opts: pulumi.ResourceOptions | None, output: str) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=[output]))


class Talosconfig(Resource, module="talos", name="Talosconfig"):
    """The admin talosconfig (os:admin): endpoints are the control planes, nodes every node. Secret output."""

    def __init__(self, name: str, *, secrets: pulumi.Input[str], cluster_name: str,
                 endpoints: pulumi.Input[list[str]], nodes: pulumi.Input[list[str]],
                 validity_days: float = DEFAULT_VALIDITY_DAYS, renew_before_days: float = DEFAULT_RENEW_BEFORE_DAYS,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TalosconfigProvider(), name, {
            "secrets": pulumi.Output.secret(secrets), "cluster_name": cluster_name, "endpoints": endpoints,
            "nodes": nodes, "validity_days": validity_days, "renew_before_days": renew_before_days,
            TALOSCONFIG: None, EXPIRES_AT: None}, _options(opts, TALOSCONFIG))

    @property
    def text(self) -> pulumi.Output[str]:
        return pulumi.Output.secret(getattr(self, TALOSCONFIG))


class Kubeconfig(Resource, module="talos", name="Kubeconfig"):
    """The admin kubeconfig (system:masters) for the cluster's Kubernetes endpoint. Secret output."""

    def __init__(self, name: str, *, secrets: pulumi.Input[str], cluster_name: str, kubernetes_endpoint: str,
                 validity_days: float = DEFAULT_VALIDITY_DAYS, renew_before_days: float = DEFAULT_RENEW_BEFORE_DAYS,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(KubeconfigProvider(), name, {
            "secrets": pulumi.Output.secret(secrets), "cluster_name": cluster_name,
            "kubernetes_endpoint": kubernetes_endpoint, "validity_days": validity_days,
            "renew_before_days": renew_before_days, KUBECONFIG: None, EXPIRES_AT: None}, _options(opts, KUBECONFIG))

    @property
    def text(self) -> pulumi.Output[str]:
        return pulumi.Output.secret(getattr(self, KUBECONFIG))
