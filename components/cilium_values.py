"""Cilium's Helm values for Talos, per chart version.

Talos's recommended values (Talos docs, "Deploying Cilium CNI"): Kubernetes IPAM, kube-proxy replacement through
KubePrism on localhost:7445, Talos's cgroup mount, and the chart's own capabilities without SYS_MODULE (Talos
lets no workload load kernel modules). The capabilities follow the chart version: a list written for an older
chart would take a capability away from a newer chart's agent.
"""

from __future__ import annotations

import copy
from typing import Any

from .talos.errors import ConfigError

TALOS_VALUES: dict[str, Any] = {
    "ipam": {"mode": "kubernetes"},
    "kubeProxyReplacement": True,
    "cgroup": {"autoMount": {"enabled": False}, "hostRoot": "/sys/fs/cgroup"},
    "k8sServiceHost": "localhost",  # KubePrism
    "k8sServicePort": 7445,
}
# The chart's default capabilities (values securityContext.capabilities), by the first chart version with each
# list: cilium/cilium#21506 made them values (1.13); #43201 added SYSLOG to the agent's, for dmesg in sysdumps
# (1.19). Talos's guide passes the chart's lists without SYS_MODULE: passing an older list to a newer chart
# would take a capability away from the agent.
OLDEST_CHART = (1, 13)
_AGENT_1_13 = ["CHOWN", "KILL", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "SYS_MODULE", "SYS_ADMIN", "SYS_RESOURCE",
               "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID"]
CHART_CAPABILITIES: list[tuple[tuple[int, int], dict[str, list[str]]]] = [
    (OLDEST_CHART, {"ciliumAgent": _AGENT_1_13, "cleanCiliumState": ["NET_ADMIN", "SYS_MODULE", "SYS_ADMIN",
                                                                     "SYS_RESOURCE"]}),
    ((1, 19), {"ciliumAgent": [*_AGENT_1_13, "SYSLOG"], "cleanCiliumState": ["NET_ADMIN", "SYS_MODULE",
                                                                             "SYS_ADMIN", "SYS_RESOURCE"]}),
]
_TALOS_DROPS = ("SYS_MODULE",)


def _merged(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    result = copy.deepcopy(base)
    for key, value in override.items():
        result[key] = _merged(result[key], value) if isinstance(value, dict) and isinstance(
            result.get(key), dict) else copy.deepcopy(value)
    return result


def chart_version(version: str) -> tuple[int, int]:
    """major.minor of a pinned chart version (1.20.0, 1.19.0-rc.1)."""
    major, minor = version.removeprefix("v").split(".")[:2]
    return int(major), int(minor)


def talos_capabilities(version: str) -> dict[str, list[str]]:
    """The chart's own capabilities for `version`, without the ones Talos forbids."""
    wanted = chart_version(version)
    if wanted < OLDEST_CHART:
        raise ConfigError(f"Cilium chart {version}: charts before {OLDEST_CHART[0]}.{OLDEST_CHART[1]} take no "
                          "securityContext.capabilities values, so the agent would ask for SYS_MODULE, which Talos "
                          "refuses; expected 1.13 or later")
    capabilities = [lists for since, lists in CHART_CAPABILITIES if since <= wanted][-1]
    return {container: [c for c in names if c not in _TALOS_DROPS] for container, names in capabilities.items()}


def cilium_values(version: str, node_count: int, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Talos's values for chart `version`; the operator's two replicas need two nodes (they use host ports), so
    one on one node."""
    values = _merged(TALOS_VALUES, {"securityContext": {"capabilities": talos_capabilities(version)},
                                    "operator": {"replicas": 1 if node_count < 2 else 2}})
    return _merged(values, overrides or {})
