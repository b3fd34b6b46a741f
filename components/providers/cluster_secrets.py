"""The cluster's secrets bundle as a resource: generated once (or imported from an existing talosctl or
talhelper secrets file) and kept in state as a secret. Never regenerated: that would orphan every node."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CheckResult, CreateResult, DiffResult, Resource, ResourceProvider

from ..talos.errors import TalosError
from ..talos.secrets import SecretsBundle
from ..talos.versions import parse_contract
from .base import inputs_of, is_unknown

IMPORT_SOURCE = "the imported secrets (stack config talos-cluster:secrets)"


class TalosSecretsProvider(ResourceProvider):
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        from pulumi.dynamic import CheckFailure

        failures = []
        version = news.get("talos_version")
        if not is_unknown(version):
            try:
                parse_contract(str(version or ""), "talosVersion")
            except TalosError as error:
                failures.append(CheckFailure("talos_version", str(error)))
        imported = news.get("imported")
        if imported and not is_unknown(imported):
            try:
                SecretsBundle.from_yaml(imported, IMPORT_SOURCE)
            except TalosError as error:
                failures.append(CheckFailure("imported", str(error)))
        if olds and "talos_version" in olds and not is_unknown(imported) and olds.get("imported") != imported:
            failures.append(CheckFailure("imported", "the cluster's secrets are fixed once created: replacing them "
                                                     "would lock every node out. Restore the previous "
                                                     "talos-cluster:secrets value (or its absence), or create a "
                                                     "new stack"))
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return DiffResult(changes=False)  # nothing about an existing bundle is ever changed

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = inputs_of(props)
        imported = inputs.get("imported")
        if imported:
            bundle = SecretsBundle.from_yaml(imported, IMPORT_SOURCE)
        else:
            bundle = SecretsBundle.generate(parse_contract(str(inputs["talos_version"]), "talosVersion"))
        return CreateResult("talos-secrets", {**inputs, "bundle": bundle.to_yaml()})


class TalosSecrets(Resource, module="talos", name="Secrets"):
    """``talosctl gen secrets``, once per stack. `bundle` is the secrets.yaml text (a secret output)."""

    bundle: pulumi.Output[str]

    def __init__(self, name: str, talos_version: str, imported: pulumi.Input[str] | None = None,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        secret_outputs = pulumi.ResourceOptions(additional_secret_outputs=["bundle"])
        super().__init__(TalosSecretsProvider(), name,
                         {"talos_version": talos_version, "imported": imported, "bundle": None},
                         pulumi.ResourceOptions.merge(opts, secret_outputs))
