"""The stack's destroy guard: one resource that depends on every other resource of the stack.

It does three things, each from the engine's own rules (pulumi/pulumi HEAD, pkg/resource/deploy/):
- **protectSecrets.** With the setting on it is `protect`ed. A destroy deletes dependants first, so it is the
  first delete of any destroy. A preview-first `pulumi destroy` fails in the preview (step.go DeleteStep.Apply
  refuses a protected resource before the DryRun check), and with `--skip-preview`, `--remote` or the
  Automation API the executor goes past the protect error but skips, in every later antichain, whatever the
  failed resource depends on (deployment_executor.go performPostSteps: erroredDeps =
  TransitiveDependenciesOf), which is the whole stack: no node is reset, no machine deleted. With
  `--ignore-protect` or after `pulumi state unprotect`, its own Delete refuses while the setting is on, naming it.
- **Destroy, not removal.** When a destroy does delete it (setting off), it tells the provider host that the
  stack goes away: the node deletes after it reset or keep their machines and leave nothing (providers/claims.py).
- **Membership.** Its Check claims every node of the definition, so a node removed in `pulumi up` knows the
  control planes that stay even under `--target` (which skips Check for untargeted resources), provided this
  resource is targeted too.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

from ..talos.errors import TalosError
from . import claims
from .base import inputs_of, is_unknown
from .stack_settings import TALOS_SETTINGS_KEY, protect_secrets_setting

SETTING = "talos-cluster:talos.protectSecrets"


def refusal() -> str:
    return (f"{SETTING} is on: no destroy resets a node or deletes a machine of this stack while it is. To destroy "
            f"the stack, set it to false (pulumi config set --path '{SETTING}' false), then run `pulumi up` "
            "followed by `pulumi destroy`, or `make destroy STACK=<stack>` (pulumi destroy --run-program)")


class DestroyGuardProvider(ResourceProvider):
    talos_settings: Any = None  # the stack's `talos-cluster:talos`, as the engine passes it (Configure)

    def configure(self, req: ConfigureRequest) -> None:
        self.talos_settings = req.config.get(TALOS_SETTINGS_KEY)

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        nodes = news.get("nodes")
        if isinstance(nodes, list) and not is_unknown(nodes):
            claims.claim_cluster((str(n.get("hostname")), str(n.get("address")), str(n.get("role")))
                                 for n in nodes if isinstance(n, dict))
        return CheckResult(news, [])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        # the membership only feeds Check: a Same step records it without showing a change
        return DiffResult(changes=olds.get("protect_secrets") != news.get("protect_secrets"))

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult("destroy-guard", inputs_of(props))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(inputs_of(news))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        if protect_secrets_setting(self.talos_settings, props.get("protect_secrets")):
            raise TalosError(refusal())
        claims.mark_destroying()


class DestroyGuard(Resource, module="talos", name="DestroyGuard"):
    """Depends on every resource of the stack; protected while protectSecrets is on (see the module docstring)."""

    def __init__(self, name: str, *, protect_secrets: bool, nodes: list[dict[str, pulumi.Input[str]]],
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(DestroyGuardProvider(), name, {"protect_secrets": protect_secrets, "nodes": nodes}, opts)
