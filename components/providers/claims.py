"""What the current deployment is, as the one provider host of a deployment sees it: which nodes the program
claims, whether the whole cluster's membership was checked, and whether the stack is being destroyed.

The engine starts one dynamic-provider host per deployment and runs every delete after all other steps
(pulumi/pulumi pkg/resource/deploy/deployment_executor.go performPostSteps), in dependency order, dependants
first (step_generator.go ScheduleDeletes). So, when a node resource is deleted:
- every resource the program registered and the engine checked has claimed its machine in Check: a delete can
  leave alone a machine the program still uses (the replacement of a renamed or re-addressed node);
- the stack's DestroyGuard (providers/destroy_guard.py) claimed every node of the definition in its Check,
  unless `pulumi up --target` skipped that Check (step_generator.go: untargeted resources get no Check);
- a destroy deletes the DestroyGuard before any node, because it depends on all of them.
A node delete thus knows whether it is a removal from the cluster (drain, etcd leave), a destroy (nothing to
leave), or neither (refused: the program's membership is unknown).
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Iterable

_lock = threading.Lock()
_addresses: set[str] = set()
_hostnames: set[str] = set()
_control_planes: dict[str, str] = {}  # normalized address → address, as the program gives it
_state = {"cluster_checked": False, "destroying": False}


def normalized(address: str) -> str:
    """One spelling per address (``192.168.001.005`` and ``::ffff:…`` forms aside, IPs compare as IPs)."""
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return address.strip().lower().rstrip(".")


def claim(address: str, hostname: str, role: str = "") -> None:
    with _lock:
        _addresses.add(normalized(address))
        _hostnames.add(hostname)
        if role == "controlplane":
            _control_planes[normalized(address)] = address


def claim_cluster(nodes: Iterable[tuple[str, str, str]]) -> None:
    """Every node of the definition, as (hostname, address, role): the deployment now knows the membership."""
    for hostname, address, role in nodes:
        claim(address, hostname, role)
    with _lock:
        _state["cluster_checked"] = True


def cluster_checked() -> bool:
    with _lock:
        return _state["cluster_checked"]


def mark_destroying() -> None:
    """The DestroyGuard was deleted: this deployment destroys the stack (or, with `--target`, the guard and
    what it guards, which is all of it)."""
    with _lock:
        _state["destroying"] = True


def destroying() -> bool:
    with _lock:
        return _state["destroying"]


def control_planes() -> list[str]:
    """The addresses of the control planes the current program keeps."""
    with _lock:
        return list(_control_planes.values())


def claimed(address: str) -> bool:
    with _lock:
        return normalized(address) in _addresses


def claimed_hostname(hostname: str) -> bool:
    with _lock:
        return hostname in _hostnames
