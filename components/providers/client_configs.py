"""talosconfig and the admin kubeconfig, made locally from the secrets bundle (no connection needed) and
renewed at the first `pulumi up` inside the renewal window before their certificates expire."""

from __future__ import annotations

import datetime
from typing import Any

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, Resource, ResourceProvider, UpdateResult

from ..talos.clientconfig import admin_kubeconfig, talosconfig
from ..talos.secrets import SecretsBundle
from .base import changed, inputs_of, is_unknown, require, seconds

DEFAULT_VALIDITY_DAYS = 365.0
DEFAULT_RENEW_BEFORE_DAYS = 30.0
REGENERATING_INPUTS = ("cluster_name", "endpoints", "nodes", "kubernetes_endpoint", "validity_days")


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class ClientConfigsProvider(ResourceProvider):
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = require(news, ("secrets", "cluster_name", "endpoints", "kubernetes_endpoint"), "client configs")
        validity = news.get("validity_days")
        renew = news.get("renew_before_days")
        if not is_unknown(validity) and not is_unknown(renew) and seconds(renew, DEFAULT_RENEW_BEFORE_DAYS) >= \
                seconds(validity, DEFAULT_VALIDITY_DAYS):
            failures.append(CheckFailure("renew_before_days", "must be shorter than validity_days, or every "
                                                              "run would renew the certificates"))
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        updates = changed(olds, news, REGENERATING_INPUTS)
        expires = olds.get("expires_at")
        window = datetime.timedelta(days=seconds(news.get("renew_before_days"), DEFAULT_RENEW_BEFORE_DAYS))
        if not expires or datetime.datetime.fromisoformat(expires) - window <= _now():
            updates.append("expires_at")
        return DiffResult(changes=bool(updates))

    @staticmethod
    def _generate(inputs: dict[str, Any]) -> dict[str, Any]:
        bundle = SecretsBundle.from_yaml(inputs["secrets"], "cluster secrets (stack state)", from_state=True)
        now = _now()
        ttl = datetime.timedelta(days=seconds(inputs.get("validity_days"), DEFAULT_VALIDITY_DAYS))
        endpoints = [str(e) for e in inputs["endpoints"]]
        nodes = [str(n) for n in inputs.get("nodes") or []]
        return {
            **inputs,
            "talosconfig": talosconfig(bundle, str(inputs["cluster_name"]), endpoints, nodes, ttl=ttl, now=now),
            "kubeconfig": admin_kubeconfig(bundle, str(inputs["cluster_name"]), str(inputs["kubernetes_endpoint"]),
                                           ttl=ttl, now=now),
            "expires_at": (now + ttl).isoformat(),
        }

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult("client-configs", self._generate(inputs_of(props)))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(self._generate(inputs_of(news)))


class ClientConfigs(Resource, module="talos", name="ClientConfigs"):
    """The admin talosconfig (os:admin) and kubeconfig (system:masters), both secret outputs."""

    talosconfig: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    expires_at: pulumi.Output[str]

    def __init__(self, name: str, *, secrets: pulumi.Input[str], cluster_name: str,
                 endpoints: pulumi.Input[list[str]], nodes: pulumi.Input[list[str]], kubernetes_endpoint: str,
                 validity_days: float = DEFAULT_VALIDITY_DAYS, renew_before_days: float = DEFAULT_RENEW_BEFORE_DAYS,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        secret_outputs = pulumi.ResourceOptions(additional_secret_outputs=["talosconfig", "kubeconfig"])
        super().__init__(ClientConfigsProvider(), name, {
            "secrets": pulumi.Output.secret(secrets), "cluster_name": cluster_name, "endpoints": endpoints,
            "nodes": nodes, "kubernetes_endpoint": kubernetes_endpoint, "validity_days": validity_days,
            "renew_before_days": renew_before_days, "talosconfig": None, "kubeconfig": None, "expires_at": None,
        }, pulumi.ResourceOptions.merge(opts, secret_outputs))
