"""Talos version contracts, their feature gates, and the Kubernetes support matrix.

Facts from Talos's ``pkg/machinery/config/contract.go``, ``compatibility/talosXY`` and the
release defaults of each tag (``DefaultKubernetesVersion``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering

from .errors import VersionError

_CONTRACT_RE = re.compile(r"^v?(\d+)\.(\d+)($|\.)")
_TAG_RE = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?$")

# Newest stable Talos release: the release of the talosctl this CLI stands in for (gen config, validate and
# upgrade defaults when no version is given). v1.14 is the release new clusters start on.
DEFAULT_TALOS_VERSION = "v1.14.0"
# talhelper's default for a talconfig.yaml without talosVersion (pkg/config/defaults.go LatestTalosVersion of
# budimanjojo/talhelper at its newest release): a definition renders what talhelper renders for it.
TALHELPER_TALOS_VERSION = "v1.13.9"


@total_ordering
@dataclass(frozen=True)
class Contract:
    """A Talos version contract (major.minor): which config features a target Talos understands."""

    major: int
    minor: int

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Contract):
            return NotImplemented
        return (self.major, self.minor) < (other.major, other.minor)

    def greater(self, major: int, minor: int) -> bool:
        """Talos's ``Contract.Greater``: strictly newer than major.minor."""
        return (self.major, self.minor) > (major, minor)

    def __str__(self) -> str:
        return f"v{self.major}.{self.minor}"

    # Feature gates used by config generation (names from contract.go).
    @property
    def kubeprism_enabled(self) -> bool:
        return self.greater(1, 5)

    @property
    def host_dns_enabled(self) -> bool:
        return self.greater(1, 6)

    @property
    def use_rsa_service_account_key(self) -> bool:
        return self.greater(1, 6)

    @property
    def cluster_name_for_workers(self) -> bool:
        return self.greater(1, 7)

    @property
    def host_dns_forward_kube_dns(self) -> bool:
        return self.greater(1, 7)

    @property
    def exclude_from_external_lb_label(self) -> bool:
        return self.greater(1, 7)

    @property
    def multidoc_network_config(self) -> bool:
        return self.greater(1, 11)

    @property
    def hide_rbac_and_key_usage(self) -> bool:
        return self.greater(1, 11)

    @property
    def populate_cluster_sans_from_endpoint(self) -> bool:
        return not self.greater(1, 11)

    @property
    def grub_use_uki_cmdline(self) -> bool:
        return self.greater(1, 11)

    @property
    def kubespan_multidoc(self) -> bool:
        return self.greater(1, 12)

    @property
    def multidoc_kubernetes(self) -> bool:
        return self.greater(1, 13)

    @property
    def random_subject_key_id(self) -> bool:
        # siderolabs/crypto >= v0.6.1 (Talos v1.11+) uses 20 random bytes as the SKID.
        return self.greater(1, 10)


# The Talos versions this project supports, stated here only: what a definition's talosVersion, `gen
# config`/`gen secrets`/`gensecret --talos-version` and the stack's secrets may target. v1.5 is the oldest
# talhelper's own fixtures use; v1.14 is the newest whose documents the renderer and the schemas know.
# The README states this range (tests/test_versions_range.py holds it to this).
OLDEST_SUPPORTED = Contract(1, 5)
NEWEST_SUPPORTED = Contract(1, 14)
SUPPORTED_RANGE = f"{OLDEST_SUPPORTED} to {NEWEST_SUPPORTED}"


def contract_of(version: str, source: str = "Talos version") -> Contract:
    """Talos's ParseContractFromVersion (pkg/machinery/config/contract.go): ``v1.13``, ``v1.13.9`` or ``1.13``
    into a contract, with no range check: for versions a node reports, which this project does not choose."""
    match = _CONTRACT_RE.match(version.strip())
    if not match:
        raise VersionError(
            f"{source}: {version!r} is not a Talos version; expected vX.Y or vX.Y.Z, for example v1.13.9"
        )
    return Contract(int(match.group(1)), int(match.group(2)))


def unsupported_reason(version: str) -> str | None:
    """Why a target version (already parsed by contract_of) is outside the supported range, or None."""
    if OLDEST_SUPPORTED <= contract_of(version) <= NEWEST_SUPPORTED:
        return None
    return f"Talos {version.strip()} is not supported; expected a version from {SUPPORTED_RANGE}"


def parse_contract(version: str, source: str = "--talos-version") -> Contract:
    """A version a user chose to target: parsed as Talos parses it, and refused outside the supported range.
    `source` names where it came from (a flag, or a file and field)."""
    contract = contract_of(version, source)
    reason = unsupported_reason(version)
    if reason:
        raise VersionError(f"{source}: {reason}")
    return contract


def normalize_tag(version: str, source: str = "talosVersion") -> str:
    """``1.13.9`` -> ``v1.13.9``; a bare ``v1.13`` is completed with the newest patch we know."""
    text = version.strip()
    if _TAG_RE.match(text):
        return text if text.startswith("v") else "v" + text
    contract = parse_contract(text, source)
    newest_patch = _NEWEST_PATCH.get((contract.major, contract.minor))
    if newest_patch is None:
        raise VersionError(f"{source}: {version!r} names no released Talos version; expected vX.Y.Z")
    return f"v{contract.major}.{contract.minor}.{newest_patch}"


# DefaultKubernetesVersion per Talos minor: (first patch, k8s version), ascending.
_DEFAULT_KUBERNETES: dict[tuple[int, int], list[tuple[int, str]]] = {
    (1, 6): [(0, "1.29.0"), (3, "1.29.1"), (5, "1.29.2"), (7, "1.29.3"), (8, "1.29.7")],
    (1, 7): [(0, "1.30.0"), (2, "1.30.1"), (6, "1.30.3"), (7, "1.30.5")],
    (1, 8): [(0, "1.31.1"), (2, "1.31.2"), (4, "1.31.4")],
    (1, 9): [(0, "1.32.0"), (3, "1.32.1"), (4, "1.32.2"), (5, "1.32.3"), (6, "1.32.4")],
    (1, 10): [(0, "1.33.0"), (3, "1.33.1"), (5, "1.33.2"), (6, "1.33.3"), (7, "1.33.4"), (8, "1.33.6")],
    (1, 11): [(0, "1.34.0"), (2, "1.34.1")],
    (1, 12): [(0, "1.35.0"), (5, "1.35.2"), (7, "1.35.4")],
    (1, 13): [(0, "1.36.0"), (3, "1.36.1"), (5, "1.36.2"), (9, "1.36.3")],
    (1, 14): [(0, "1.37.0")],
}
_NEWEST_PATCH = {(1, 6): 8, (1, 7): 7, (1, 8): 4, (1, 9): 6, (1, 10): 9, (1, 11): 6, (1, 12): 11,
                 (1, 13): 9, (1, 14): 0}

# Supported Kubernetes minors per Talos minor (compatibility/talosXY), inclusive.
_KUBERNETES_RANGE: dict[tuple[int, int], tuple[int, int]] = {
    (1, 3): (24, 26), (1, 4): (25, 27), (1, 5): (26, 28),
    (1, 6): (24, 29), (1, 7): (25, 30), (1, 8): (26, 31), (1, 9): (27, 32), (1, 10): (28, 33),
    (1, 11): (29, 34), (1, 12): (30, 35), (1, 13): (31, 36), (1, 14): (32, 37), (1, 15): (33, 38),
}


def kubernetes_minor_range(major: int, minor: int) -> tuple[int, int]:
    """The Kubernetes minors Talos major.minor supports, inclusive (compatibility/talosXY); releases before
    the table take its oldest row, after it its newest."""
    keys = sorted(_KUBERNETES_RANGE)
    key = min(max((major, minor), keys[0]), keys[-1])
    return _KUBERNETES_RANGE[key]


def default_kubernetes_version(talos_version: str) -> str:
    """The Kubernetes version a given talosctl release generates by default."""
    tag = normalize_tag(talos_version)
    match = _TAG_RE.match(tag)
    assert match is not None
    minor_key = (int(match.group(1)), int(match.group(2)))
    patch = int(match.group(3))
    table = _DEFAULT_KUBERNETES.get(minor_key)
    if not table:
        raise VersionError(f"no default Kubernetes version is known for Talos {talos_version}")
    return [k8s for first, k8s in table if first <= patch][-1]


def normalize_kubernetes_version(version: str, source: str = "--kubernetes-version") -> str:
    """Strip a leading ``v`` as talosctl does, and check the shape ``1.X.Y``."""
    text = version.strip().removeprefix("v")
    if not re.match(r"^1\.\d+\.\d+(-[0-9A-Za-z.-]+)?$", text):
        raise VersionError(f"{source}: {version!r} is not a Kubernetes version; expected 1.X.Y, e.g. 1.36.3")
    return text


def check_kubernetes_supported(talos_version: str, kubernetes_version: str) -> str | None:
    """None if Talos supports this Kubernetes version, else a sentence saying which range it supports."""
    contract = parse_contract(talos_version)
    k8s_minor = int(normalize_kubernetes_version(kubernetes_version).split(".")[1])
    low, high = _KUBERNETES_RANGE[(contract.major, contract.minor)]
    if low <= k8s_minor <= high:
        return None
    return (
        f"Kubernetes {kubernetes_version} is not supported by Talos {talos_version}; "
        f"expected 1.{low}.x to 1.{high}.x"
    )
