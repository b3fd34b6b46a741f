"""The rollout policy: in which waves nodes are changed, and which version changes are allowed at all.

One policy for the Pulumi program and the CLI (``upgrade`` on several nodes):
- control planes one at a time, in definition order, each its own wave (etcd keeps quorum, and the API
  server is never down on more than one node);
- then workers, in batches of ``batch_size`` (default 1), in definition order; so every kubelet is
  changed after every API server (Kubernetes' version-skew policy: kubelet never newer than kube-apiserver).
The same wave sizes bound how many nodes leave the cluster at once when several are removed in one `pulumi up`
(``wave_size``: one control plane at a time, so etcd membership changes one by one; workers a batch at a time).

Guards raise RolloutError, one line naming the node, the old and the new version.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .errors import TalosError

CONTROL_PLANE = "controlplane"
WORKER = "worker"
ROLES = (CONTROL_PLANE, WORKER)


class RolloutError(TalosError):
    """A change the rollout policy refuses, before any node is touched."""


@dataclass(frozen=True)
class Wave:
    """Nodes changed together; the next wave starts only when all of these are healthy again."""

    role: str
    hostnames: tuple[str, ...]


def wave_size(role: str, batch_size: int = 1) -> int:
    """How many nodes of `role` one wave changes (or takes out of the cluster) at once: a control plane alone,
    workers `batch_size` at a time."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise RolloutError(f"rollout batch size {batch_size!r}: expected a whole number of workers, at least 1")
    if role not in ROLES:
        raise RolloutError(f"role {role!r}; expected {CONTROL_PLANE} or {WORKER}")
    return 1 if role == CONTROL_PLANE else batch_size


def waves(nodes: Iterable[tuple[str, str]], batch_size: int = 1) -> list[Wave]:
    """(hostname, role) pairs in definition order → the waves, control planes first and alone."""
    per_control_plane_wave, per_worker_wave = wave_size(CONTROL_PLANE, batch_size), wave_size(WORKER, batch_size)
    control_planes: list[str] = []
    workers: list[str] = []
    seen: set[str] = set()
    for hostname, role in nodes:
        if role not in ROLES:
            raise RolloutError(f"node {hostname}: role {role!r}; expected {CONTROL_PLANE} or {WORKER}")
        if hostname in seen:
            raise RolloutError(f"node {hostname}: listed twice in the rollout")
        seen.add(hostname)
        (control_planes if role == CONTROL_PLANE else workers).append(hostname)
    result = [Wave(CONTROL_PLANE, tuple(control_planes[i:i + per_control_plane_wave]))
              for i in range(0, len(control_planes), per_control_plane_wave)]
    result += [Wave(WORKER, tuple(workers[i:i + per_worker_wave])) for i in range(0, len(workers), per_worker_wave)]
    return result


# ---------------------------------------------------------------------- versions

_VERSION_RE = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+][0-9A-Za-z.+-]*)?$")


def _parse(version: str, what: str, node: str) -> tuple[int, int, int]:
    match = _VERSION_RE.match(version.strip())
    if not match:
        raise RolloutError(f"node {node}: {what} version {version!r} is not a version; expected X.Y.Z")
    return int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)


def _v(version: str) -> str:
    return "v" + version.strip().removeprefix("v")


def check_kubernetes_upgrade(node: str, old: str, new: str) -> None:
    """Kubernetes one minor at a time and never down.

    siderolabs/go-kubernetes kubernetes/upgrade/path.go IsSupported (used by talosctl upgrade-k8s,
    pkg/cluster/kubernetes/talos_managed.go): only 1.X->1.X and 1.X->1.(X+1) are supported paths.
    A patch downgrade inside one minor is a supported path there; this policy refuses it too (never down)."""
    was, want = _parse(old, "Kubernetes", node), _parse(new, "Kubernetes", node)
    if want == was:
        return
    if want < was:
        raise RolloutError(f"node {node}: Kubernetes {_v(old)} -> {_v(new)} is a downgrade; "
                           f"Kubernetes is never downgraded")
    if want[0] != was[0] or want[1] > was[1] + 1:
        raise RolloutError(f"node {node}: Kubernetes {_v(old)} -> {_v(new)} skips a minor version; upgrade "
                           f"one minor at a time (first to v{was[0]}.{was[1] + 1}.x)")


def kubelet_oldest_minor(apiserver_minor: int) -> int:
    """The oldest kubelet minor an API server accepts: Kubernetes' version-skew policy allows kubelets up to
    three minors older from 1.28 on (KEP-3935), two before."""
    return apiserver_minor - (3 if apiserver_minor >= 28 else 2)


def check_kubelet_skew(node: str, kubelet: str, apiserver: str) -> None:
    """Kubernetes' version-skew policy (kubernetes.io/releases/version-skew-policy): a kubelet must not be
    newer than kube-apiserver, nor more minors older than the policy allows."""
    k, a = _parse(kubelet, "kubelet", node), _parse(apiserver, "kube-apiserver", node)
    if (k[0], k[1]) > (a[0], a[1]):
        raise RolloutError(f"node {node}: kubelet {_v(kubelet)} would be newer than kube-apiserver {_v(apiserver)}; "
                           f"upgrade the control planes first")
    if k[0] == a[0] and k[1] < kubelet_oldest_minor(a[1]):
        raise RolloutError(f"node {node}: kubelet {_v(kubelet)} is too old for kube-apiserver {_v(apiserver)}; "
                           f"expected v{a[0]}.{kubelet_oldest_minor(a[1])}.x or newer")


# siderolabs/talos pkg/machinery/compatibility/talosXY/talosXY.go: for each target minor, the oldest host
# version it upgrades from (MinimumHostUpgradeVersion) and the first host version too new to downgrade from
# (MaximumHostDowngradeVersion, exclusive). TalosVersion.UpgradeableFrom (talos_version.go) refuses the rest,
# and refuses targets it has no entry for. No target lists DeniedHostUpgradeVersions.
TALOS_UPGRADE_PATHS: dict[tuple[int, int], tuple[tuple[int, int, int], tuple[int, int, int]]] = {
    (1, 2): ((1, 0, 0), (1, 3, 0)),
    (1, 3): ((1, 0, 0), (1, 5, 0)),
    (1, 4): ((1, 0, 0), (1, 6, 0)),
    (1, 5): ((1, 2, 0), (1, 7, 0)),
    (1, 6): ((1, 3, 0), (1, 8, 0)),
    (1, 7): ((1, 4, 0), (1, 9, 0)),
    (1, 8): ((1, 5, 0), (1, 10, 0)),
    (1, 9): ((1, 8, 0), (1, 11, 0)),
    (1, 10): ((1, 8, 0), (1, 12, 0)),
    (1, 11): ((1, 9, 0), (1, 13, 0)),
    (1, 12): ((1, 10, 0), (1, 14, 0)),
    (1, 13): ((1, 11, 0), (1, 15, 0)),
    (1, 14): ((1, 12, 0), (1, 16, 0)),
    (1, 15): ((1, 13, 0), (1, 17, 0)),
}


def _dotted(version: tuple[int, int, int]) -> str:
    return "v" + ".".join(map(str, version))


def check_talos_upgrade(node: str, old: str, new: str) -> None:
    """Talos upgrades only along the path Talos itself accepts (the installer runs
    compatibility.TalosVersion.UpgradeableFrom in its preflight,
    cmd/installer/pkg/install/preflight.go, refusing with 'host version ... is too old to upgrade')."""
    was, want = _parse(old, "Talos", node), _parse(new, "Talos", node)
    if was == want:
        return
    path = TALOS_UPGRADE_PATHS.get((want[0], want[1]))
    if path is None:
        raise RolloutError(f"node {node}: Talos {_v(old)} -> {_v(new)}: upgrades to Talos "
                           f"v{want[0]}.{want[1]} are not supported")
    oldest, too_new = path
    if was < oldest:
        via = _intermediate(was, want)
        raise RolloutError(f"node {node}: Talos {_v(old)} -> {_v(new)}: host version {_v(old)} is too old to "
                           f"upgrade to Talos {_v(new)}; upgrade through {via} first")
    if was >= too_new:
        raise RolloutError(f"node {node}: Talos {_v(old)} -> {_v(new)}: host version {_v(old)} is too new to "
                           f"downgrade to Talos {_v(new)}")


def _intermediate(was: tuple[int, int, int], want: tuple[int, int, int]) -> str:
    """The newest minor that `was` can upgrade to directly and that is older than `want`."""
    reachable = [minor for (major, minor), (oldest, _) in TALOS_UPGRADE_PATHS.items()
                 if major == want[0] and was[1] < minor < want[1] and was >= oldest]
    return f"v{want[0]}.{max(reachable)}" if reachable else f"v{was[0]}.{was[1] + 1}"


KUBE_APISERVER = "kube-apiserver"
KUBELET = "kubelet"


def check_skew_during(steps: Iterable[tuple[str, str, str]], apiservers: dict[str, str],
                      kubelets: dict[str, str]) -> None:
    """Replay a Kubernetes upgrade plan, `steps` of (component, node, new version) with component
    kube-apiserver or kubelet, over the running versions, and refuse the first step after which a kubelet
    is newer than any running API server (the skew policy holds against every kube-apiserver instance in an
    HA cluster: kubernetes.io/releases/version-skew-policy). This is why talosctl upgrade-k8s moves every API
    server before any kubelet."""
    running_apiservers, running_kubelets = dict(apiservers), dict(kubelets)
    for component, node, version in steps:
        if component == KUBE_APISERVER:
            running_apiservers[node] = version
        elif component == KUBELET:
            running_kubelets[node] = version
        else:
            raise RolloutError(f"node {node}: component {component!r}; expected {KUBE_APISERVER} or {KUBELET}")
        if not running_apiservers:
            continue
        oldest = min(running_apiservers.values(), key=lambda v: _parse(v, KUBE_APISERVER, node))
        for kubelet_node, kubelet in running_kubelets.items():
            check_kubelet_skew(kubelet_node, kubelet, oldest)


def check_config_change(node: str, old: list[dict[str, Any]], new: list[dict[str, Any]]) -> None:
    """The guards for one node's config change, before anything is touched (a provider's Check, so a
    preview fails with one line): its kubelet one Kubernetes minor at a time, never down; its installer along
    the Talos upgrade path."""
    from .documents import image_tag, install_image, kubelet_image

    old_kubelet, new_kubelet = image_tag(kubelet_image(old)), image_tag(kubelet_image(new))
    if old_kubelet and new_kubelet and old_kubelet != new_kubelet:
        check_kubernetes_upgrade(node, old_kubelet, new_kubelet)
    old_talos, new_talos = image_tag(install_image(old)), image_tag(install_image(new))
    if old_talos and new_talos and old_talos != new_talos:
        check_talos_upgrade(node, old_talos, new_talos)
