"""Which nodes the current program claims, as seen by the one provider host of a deployment.

The engine starts one dynamic-provider host per deployment and sends it Check for every resource the
program registers before any delete runs: deletes of replaced and removed resources come after all other
steps (pulumi/pulumi pkg/resource/deploy/step_generator.go GenerateDeletes, called from
deployment_executor.go performPostSteps). So a delete can ask whether a current resource claims the same
machine (the replacement of a renamed or re-addressed node) and leave that machine alone.
"""

from __future__ import annotations

import ipaddress
import threading

_lock = threading.Lock()
_addresses: set[str] = set()
_hostnames: set[str] = set()
_control_planes: dict[str, str] = {}  # normalized address → address, as the program gives it


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


def in_deployment_with_program() -> bool:
    """Whether this host checked the resources of a program (an `up`), rather than only deleting (a destroy,
    which runs no program): a node deleted during an `up` was removed from the definition."""
    with _lock:
        return bool(_addresses)


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
