"""Stack settings a provider reads from the config the engine hands it, so that a delete follows the stack
as it is now rather than the outputs recorded at the last `up` (pulumi/pulumi pkg/resource/deploy/target.go
GetPackageConfig: dynamic providers get the whole stack config, keys with their namespace)."""

from __future__ import annotations

import json
from typing import Any

from ..talos.stackconfig import StackConfigError, parse_bool

TALOS_SETTINGS_KEY = "talos-cluster:talos"


def reset_on_destroy_setting(raw: Any, recorded: Any) -> bool:
    """`resetOnDestroy` of `talos-cluster:talos` (`raw`, as the engine passed it) as the stack says now; the
    recorded value only where the stack has no such key (a TalosCluster used outside this program). Anything
    but true (or "true", as `pulumi config set` stores it) means no reset: never a wipe from a typo."""
    if raw is None:
        return recorded is True
    try:
        settings = json.loads(raw) if isinstance(raw, str) else raw
        return isinstance(settings, dict) and parse_bool(settings.get("resetOnDestroy", False), "resetOnDestroy")
    except (json.JSONDecodeError, StackConfigError):
        return False  # the program refuses such a stack before any resource; a destroy leaves the nodes alone
