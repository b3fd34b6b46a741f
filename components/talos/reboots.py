"""Which machine-config changes a node applies in place and which need a reboot, by Talos version.

Talos v1.6–v1.13 decide it in siderolabs/talos internal/app/machined/pkg/runtime/v1alpha1/v1alpha1_runtime.go
`CanApplyImmediate`: it copies an allow-list of fields from the running v1alpha1 document onto the new one
and, if the two then still differ (reflect.DeepEqual), mode auto reboots and mode no-reboot is refused with
"this config change can't be applied in immediate mode". Only the v1alpha1 document is compared, so changes
in the other documents (HostnameConfig, KubeSpanConfig, …) never reboot. From v1.14 the function is gone:
ApplyConfiguration turns auto into no-reboot for every change (v1alpha1_server.go).

The allow-list, by the version that added to it (YAML keys of the Go fields it names):
- v1.6: debug, cluster; machine.time, certSANs, install, network, sysfs, sysctls, logging, controlPlane,
  kubelet, kernel, registries, pods, seccompProfiles, nodeLabels, nodeTaints; machine.features
  kubernetesTalosAPIAccess, kubePrism (features compared field by field only when both configs have them).
- v1.7: machine.ca, acceptedCAs; machine.features.hostDNS.
- v1.8: machine.nodeAnnotations.
- v1.9: machine.features.imageCache, nodeAddressSortAlgorithm.
"""

from __future__ import annotations

from typing import Any

from . import documents
from .versions import contract_of

_TOP = ("debug", "cluster")
_MACHINE = {(1, 6): ("time", "certSANs", "install", "network", "sysfs", "sysctls", "logging", "controlPlane",
                     "kubelet", "kernel", "registries", "pods", "seccompProfiles", "nodeLabels", "nodeTaints"),
            (1, 7): ("ca", "acceptedCAs"), (1, 8): ("nodeAnnotations",)}
_FEATURES = {(1, 6): ("kubernetesTalosAPIAccess", "kubePrism"), (1, 7): ("hostDNS",),
             (1, 9): ("imageCache", "nodeAddressSortAlgorithm")}


def _allowed(table: dict[tuple[int, int], tuple[str, ...]], minor: int) -> set[str]:
    return {key for (_, since), keys in table.items() if since <= minor for key in keys}


def _legacy(config: bytes | str, source: str) -> dict[str, Any]:
    return next((d for d in documents.decode(config, source) if documents.is_legacy(d)), {})


def changes_requiring_reboot(old_config: bytes | str, new_config: bytes | str, talos_version: str) -> list[str]:
    """Config paths whose change, on a node running `talos_version`, is applied only by a reboot; empty when
    the whole change applies in place."""
    contract = contract_of(talos_version, "talos version")
    if contract.greater(1, 13):
        return []
    minor = 6 if not contract.greater(1, 6) else min(contract.minor, 13)
    old, new = _legacy(old_config, "running config"), _legacy(new_config, "new config")
    changed: list[str] = []
    for key in sorted(set(old) | set(new)):
        if key in _TOP or key == "machine":
            continue
        if old.get(key) != new.get(key):
            changed.append(key)
    old_machine, new_machine = old.get("machine") or {}, new.get("machine") or {}
    allowed = _allowed(_MACHINE, minor)
    for key in sorted(set(old_machine) | set(new_machine)):
        if key in allowed:
            continue
        old_value, new_value = old_machine.get(key), new_machine.get(key)
        if key == "features" and isinstance(old_value, dict) and isinstance(new_value, dict):
            feature_allowed = _allowed(_FEATURES, minor)
            for feature in sorted(set(old_value) | set(new_value)):
                if feature not in feature_allowed and old_value.get(feature) != new_value.get(feature):
                    changed.append(f"machine.features.{feature}")
            continue
        if old_value != new_value:
            changed.append(f"machine.{key}")
    return changed


def apply_effect(old_config: bytes | str, new_config: bytes | str, talos_version: str) -> str:
    """What a preview says for one node: "applies in place" or "reboots (<paths>)"."""
    paths = changes_requiring_reboot(old_config, new_config, talos_version)
    return f"reboots ({', '.join(paths)})" if paths else "applies in place"
