"""Stack settings a provider reads from the config the engine hands it, so that a delete follows the stack
as it is now rather than the outputs recorded at the last `up` (pulumi/pulumi pkg/resource/deploy/target.go
GetPackageConfig: dynamic providers get the whole stack config, keys with their namespace)."""

from __future__ import annotations

import json
from typing import Any

TALOS_SETTINGS_KEY = "talos-cluster:talos"


def reset_on_destroy_setting(stack_config: dict[str, Any] | None, recorded: Any) -> bool:
    """`resetOnDestroy` of `talos-cluster:talos` as the stack says now; the recorded value only where the
    stack has no such key (a TalosCluster used outside this program). Anything but a real boolean true means
    no reset: wiping a node is never the result of a typo."""
    raw = (stack_config or {}).get(TALOS_SETTINGS_KEY)
    if raw is None:
        return recorded is True
    try:
        settings = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError:
        return False
    return isinstance(settings, dict) and settings.get("resetOnDestroy") is True
