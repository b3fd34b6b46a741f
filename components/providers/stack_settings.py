"""Stack settings a provider reads from the config the engine hands it (pulumi/pulumi pkg/resource/deploy/
target.go GetPackageConfig: dynamic providers get the whole stack config, keys with their namespace).

Which config that is depends on the command (providers/registry.go): `pulumi up` and `preview`, and `destroy` or
`refresh` with `--run-program`, configure the provider with the stack config as it is now; `pulumi destroy` and
`pulumi refresh` without it configure it with the inputs recorded for the provider in state, i.e. the stack
config of the last `pulumi up`. So a setting read here takes effect at the next `up`, or at once with
`--run-program` (README, "What the engine does to your nodes").
"""

from __future__ import annotations

import json
from typing import Any

from ..talos.stackconfig import StackConfigError, parse_talos_options

TALOS_SETTINGS_KEY = "talos-cluster:talos"


def _parsed(raw: Any) -> dict[str, Any] | None:
    """The typed `talos-cluster:talos` object, or None when it cannot be read (the program refuses such a stack
    before any resource, so a provider only meets it in state or in a destroy that runs no program)."""
    try:
        settings = json.loads(raw) if isinstance(raw, str) else raw
        return parse_talos_options(settings, TALOS_SETTINGS_KEY) if isinstance(settings, dict) else None
    except (json.JSONDecodeError, StackConfigError):
        return None


def reset_on_destroy_setting(raw: Any, recorded: Any) -> bool:
    """`resetOnDestroy` as the config the engine passed says; the recorded value only where the stack has no
    such key (a TalosCluster used outside this program). Anything but true means no reset: never a wipe from
    a typo."""
    if raw is None:
        return recorded is True
    settings = _parsed(raw)
    return bool(settings and settings.get("reset_on_destroy", False))


def protect_secrets_setting(raw: Any, recorded: Any) -> bool:
    """`protectSecrets` as the config the engine passed says (default true); the recorded value only where the
    stack has no such key. A config that cannot be read protects: never a destroy from a typo."""
    if raw is None:
        return recorded is not False
    settings = _parsed(raw)
    return settings is None or settings.get("protect_secrets", True) is not False


def worker_batch_setting(raw: Any) -> int:
    """`workerBatch` (default 1): how many workers leave the cluster at once (components/talos/rollout.py)."""
    settings = _parsed(raw) if raw is not None else None
    return int(settings.get("worker_batch", 1)) if settings else 1
