"""When an etcd snapshot is due: before the first control plane of a rollout is touched.

What touches control planes (and so can lose etcd): a Kubernetes version bump (upgrade-k8s restarts every
API server), a control plane's new config or Talos upgrade, and a control plane removed or replaced by
another machine. A control plane added, or any change to workers, is no reason. The rollout order itself is
components/talos/rollout.py's; this module only says whether the rollout about to start needs a snapshot.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ControlPlane:
    """A control plane as the snapshot resource sees it; None where a value is not known yet (a preview)."""

    hostname: str
    address: str | None
    machine: str | None
    config: str | None


def reasons(old_kubernetes: str, new_kubernetes: str | None, old: list[ControlPlane], new: list[ControlPlane],
            effect: Callable[[str, str], str]) -> list[str]:
    """Why a snapshot is due (empty: it is not). `effect(previous, config)` says what a config change does to
    the node ("applies in place", "reboots (...)", "upgrades to Talos v1.13.10 (reboots)")."""
    found: list[str] = []
    if new_kubernetes is None:
        found.append("Kubernetes version not known until the deployment")
    elif old_kubernetes and new_kubernetes != old_kubernetes:
        found.append(f"Kubernetes {old_kubernetes} -> {new_kubernetes}")
    current = {plane.hostname: plane for plane in new}
    for before in old:
        after = current.get(before.hostname)
        if after is None:
            found.append(f"{before.hostname} removed")
        elif after.address is None or after.machine is None or after.config is None:
            found.append(f"{before.hostname} may change (values known only at deployment)")
        elif (after.address, after.machine) != (before.address, before.machine):
            found.append(f"{before.hostname} replaced by another machine")
        elif before.config and after.config != before.config:
            found.append(f"{before.hostname} {effect(before.config, after.config)}")
    return found


def summary(found: list[str]) -> str:
    """What a preview shows: "" when no snapshot is due."""
    return "taken before: " + "; ".join(found) if found else ""
