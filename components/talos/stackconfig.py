"""Typed stack settings: booleans, numbers and durations parsed and range-checked once, at load.

Pure (no Pulumi import) so the program, the CLI and the tests share one policy. Every error names the
setting by its full key (``talos-cluster:talos.applyTimeout``) and what was expected, and quotes at most a
short excerpt of the value.
"""

from __future__ import annotations

import math
from typing import Any

from .api.modes import APPLY_MODE_NAMES
from .errors import EXCERPT, TalosError, excerpt
from .golang.durations import SECOND
from .golang.durations import parse_duration as go_parse_duration


class StackConfigError(TalosError):
    pass


def parse_duration(value: Any, key: str, *, minimum: float, maximum: float) -> float:
    """Seconds from a number of seconds or a Go duration (``10m``, ``1h30m``, ``90s``), within range."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise StackConfigError(f"stack config {key}: {excerpt(value)} is not a duration; expected seconds or a "
                               "Go duration such as 10m, 1h30m or 90s")
    if isinstance(value, str):
        try:
            seconds = go_parse_duration(value) / SECOND  # Go refuses surrounding spaces too
        except ValueError:
            raise StackConfigError(f"stack config {key}: {excerpt(value)} is not a duration; expected seconds or a "
                                   "Go duration such as 10m, 1h30m or 90s (units ns, us, ms, s, m, h)") from None
    else:
        seconds = float(value)
    if not math.isfinite(seconds) or not minimum <= seconds <= maximum:
        raise StackConfigError(f"stack config {key}: {excerpt(value)} is out of range; expected a duration from "
                               f"{_human(minimum)} to {_human(maximum)}")
    return seconds


def parse_number(value: Any, key: str, *, minimum: float, maximum: float) -> float:
    """A finite number within range; strings, booleans, NaN and infinities are refused."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
            or not minimum <= value <= maximum:
        raise StackConfigError(f"stack config {key}: {excerpt(value)} is not a number from {minimum:g} to "
                               f"{maximum:g}")
    return float(value)


def parse_bool(value: Any, key: str) -> bool:
    """true or false; the strings "true"/"false" (how `pulumi config set` stores them) mean what they say."""
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return bool(value == "true")
    raise StackConfigError(f"stack config {key}: {excerpt(value)} is not a boolean; expected true or false")


def _human(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g}h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g}m"
    return f"{seconds:g}s"


# setting -> (ClusterOptions attribute, parser); ranges are wide enough for slow links, finite so a typo
# (NaN, 1e308) never means "retry forever"
_DAY = 86400.0
TALOS_OPTIONS = {
    "applyMode": "apply_mode", "applyTimeout": "apply_timeout", "bootstrapTimeout": "bootstrap_timeout",
    "healthTimeout": "health_timeout", "resetOnDestroy": "reset_on_destroy", "renewBeforeDays": "renew_before_days",
    "workerBatch": "worker_batch", "protectSecrets": "protect_secrets",
}
# The SDK's dynamic-provider host serves 4 calls at once (pulumi/dynamic/__main__.py ThreadPoolExecutor(
# max_workers=4)): a larger batch would not update more workers at once, only starve the other resources.
MAX_WORKER_BATCH = 4
# talosconfig/kubeconfig certificates are valid 365 days (providers/client_configs.py DEFAULT_VALIDITY_DAYS)
_CLIENT_VALIDITY_DAYS = 365.0


def parse_talos_options(raw: Any, key: str) -> dict[str, Any]:
    """The ``talos-cluster:talos`` object as ClusterOptions keyword arguments, every value typed."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise StackConfigError(f"stack config {key}: {excerpt(raw)}; expected an object with "
                               f"{', '.join(TALOS_OPTIONS)}")
    unknown = sorted(str(name)[:EXCERPT] for name in raw if name not in TALOS_OPTIONS)
    if unknown:
        raise StackConfigError(f"stack config {key}: unknown field(s) {', '.join(unknown[:5])}; "
                               f"expected {', '.join(TALOS_OPTIONS)}")
    options: dict[str, Any] = {}
    for name, value in raw.items():
        full = f"{key}.{name}"
        if name == "applyMode":
            if value not in APPLY_MODE_NAMES:
                raise StackConfigError(f"stack config {full}: {excerpt(value)} is not an apply mode; expected one of "
                                       f"{', '.join(APPLY_MODE_NAMES)} (talosctl apply-config --mode)")
            parsed: Any = value
        elif name in ("resetOnDestroy", "protectSecrets"):
            parsed = parse_bool(value, full)
        elif name == "workerBatch":
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_WORKER_BATCH:
                raise StackConfigError(f"stack config {full}: {excerpt(value)}; expected a whole number of workers "
                                       f"from 1 to {MAX_WORKER_BATCH} (the provider host runs {MAX_WORKER_BATCH} "
                                       "operations at once)")
            parsed = value
        elif name == "renewBeforeDays":
            parsed = parse_number(value, full, minimum=0, maximum=_CLIENT_VALIDITY_DAYS - 1)
        else:
            parsed = parse_duration(value, full, minimum=1.0, maximum=7 * _DAY)
        options[TALOS_OPTIONS[name]] = parsed
    return options
