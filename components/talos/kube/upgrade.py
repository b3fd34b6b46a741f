"""`talosctl upgrade-k8s`, in its order (siderolabs/talos pkg/cluster/kubernetes/talos_managed.go Upgrade):
the upgrade path check; kube-apiserver, then kube-controller-manager, then kube-scheduler, each on one
control plane at a time (patch the machine config's image, apply without a reboot, wait through the
Kubernetes API until that node's static pod runs the new image and is Ready); kube-proxy's image in the
control planes' configs; then each kubelet in the order given (the rollout order), waiting for its Node to
report the new kubelet version and Ready; finally the bootstrap manifests, read from the first control
plane's `Manifests` resources, synced by server-side apply with Talos's field manager.

Log lines are talosctl's. Where talosctl waits for the static pod's `talos.dev/config-version` annotation,
this waits for the pod's image on that node: the same moment, without reading Talos's internal
APIServerConfig resource version."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from .. import documents, rollout
from ..api import calls
from ..api.client import TalosClient
from ..api.operations import DEFAULT_DEADLINE, Target
from ..api.tls import Credentials
from ..errors import TalosError
from .client import FIELD_MANAGER, KubeAPIError, KubeClient
from .health import addresses_of, condition

# siderolabs/talos pkg/machinery/constants
IMAGES = {"kube-apiserver": "registry.k8s.io/kube-apiserver",
          "kube-controller-manager": "registry.k8s.io/kube-controller-manager",
          "kube-scheduler": "registry.k8s.io/kube-scheduler", "kube-proxy": "registry.k8s.io/kube-proxy",
          "kubelet": "ghcr.io/siderolabs/kubelet"}
STATIC_PODS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler")
_CONFIG_PATH = {"kube-apiserver": ("cluster", "apiServer"), "kube-controller-manager": ("cluster", "controllerManager"),
                "kube-scheduler": ("cluster", "scheduler"), "kube-proxy": ("cluster", "proxy"),
                "kubelet": ("machine", "kubelet")}
# A wait polls soon (a static pod's restart often takes well under a second), then backs off to POLL.
FIRST_POLL = 0.05
# Talos v1.14's documents for the same settings: a config that has the document is patched there, one without it
# in v1alpha1 (pkg/machinery/config/generate/stdpatches guess.go GuessVersionContractKube*, stdpatches.go)
_CONFIG_KIND = {"kube-apiserver": "KubeAPIServerConfig", "kube-controller-manager": "KubeControllerManagerConfig",
                "kube-scheduler": "KubeSchedulerConfig", "kube-proxy": "KubeProxyConfig", "kubelet": "KubeletConfig"}
POLL = 0.5
MANIFESTS = "Manifests.kubernetes.talos.dev"
MACHINE_CONFIG = "MachineConfigs.config.talos.dev"


class UpgradeError(TalosError):
    pass


def check_path(from_version: str, to_version: str, node: str = "cluster") -> tuple[str, str]:
    """The project's one Kubernetes upgrade policy (rollout.check_kubernetes_upgrade: one minor at a time,
    never down; talosctl's go-kubernetes IsSupported path rule plus no downgrade); returns both without v."""
    rollout.check_kubernetes_upgrade(node, from_version, to_version)
    return from_version.strip().removeprefix("v"), to_version.strip().removeprefix("v")


def image_version(image: str) -> str:
    name = image.rsplit("/", 1)[-1]
    return name.rsplit(":", 1)[-1].lstrip("v") if ":" in name else ""


def _section(docs: list[dict[str, Any]], component: str) -> dict[str, Any] | None:
    """Where `component`'s settings live: its v1.14 document, else the v1alpha1 section (None: neither)."""
    typed = next((d for d in docs if d.get("kind") == _CONFIG_KIND[component]), None)
    if typed is not None:
        return typed
    legacy = next((d for d in docs if documents.is_legacy(d)), None)
    if legacy is None:
        return None
    section, key = _CONFIG_PATH[component]
    found: dict[str, Any] = legacy.setdefault(section, {}).setdefault(key, {})
    return found


def config_image(config: bytes, component: str) -> str:
    section = _section(documents.decode(config, "machine config"), component)
    return str((section or {}).get("image") or "")


def with_image(config: bytes, component: str, image: str) -> bytes:
    """The machine config with `component`'s image replaced (stdpatches.WithKubeAPIServerImage & co.)."""
    docs = documents.decode(config, "machine config")
    section = _section(docs, component)
    if section is not None:
        section["image"] = image
    return documents.encode(docs).encode()


def proxy_disabled(config: bytes) -> bool:
    """kube-proxy off: ``KubeProxyConfig.enabled: false`` (v1.14), else ``cluster.proxy.disabled``."""
    docs = documents.decode(config, "machine config")
    typed = next((d for d in docs if d.get("kind") == "KubeProxyConfig"), None)
    if typed is not None:
        return typed.get("enabled") is False
    legacy = next((d for d in docs if documents.is_legacy(d)), {})
    return bool(((legacy.get("cluster") or {}).get("proxy") or {}).get("disabled"))


class ConfigStore(Protocol):
    """Where machine configs are read from and applied to: the running node (the CLI, as talosctl does), or
    the program's rendered configs (a provider)."""

    async def read(self, target: Target) -> bytes: ...

    async def write(self, target: Target, config: bytes) -> None: ...


@dataclass
class NodeConfigs:
    """talosctl's way: the active MachineConfig resource, applied back with mode no-reboot
    (siderolabs/talos pkg/cluster/kubernetes/patch.go patchNodeConfig)."""

    credentials: Credentials

    async def read(self, target: Target) -> bytes:
        async with TalosClient(target.dial, self.credentials, port=target.port) as client:
            resource = await calls.get_resource(client, "config", MACHINE_CONFIG, "v1alpha1", node=target.node)
        spec = resource.spec  # the config is marshalled as one YAML string (annotation talos.dev/yaml-spec)
        return spec.encode() if isinstance(spec, str) else documents.encode([spec]).encode()

    async def write(self, target: Target, config: bytes) -> None:
        async with TalosClient(target.dial, self.credentials, port=target.port) as client:
            await calls.apply_configuration(client, config, mode="no-reboot", node=target.node)


@dataclass
class UpgradeOptions:
    to_version: str
    from_version: str = ""  # detected from the running kube-apiserver pods when empty
    dry_run: bool = False
    upgrade_kubelet: bool = True
    images: dict[str, str] = field(default_factory=lambda: dict(IMAGES))  # --apiserver-image & co.
    deadline: float = DEFAULT_DEADLINE  # per wait for one node's pod or kubelet


async def detect_version(client: KubeClient) -> str:
    """The lowest kube-apiserver version running (talosctl detects --from the same way)."""
    pods = await client.pods("kube-system", label_selector="k8s-app=kube-apiserver")
    versions = [image_version(p["spec"]["containers"][0]["image"]) for p in pods]
    versions = [v for v in versions if v]
    if not versions:
        raise UpgradeError("cannot detect the running Kubernetes version: no kube-apiserver pods; pass --from")
    return min(versions, key=lambda v: tuple(int(x) for x in re.findall(r"\d+", v)[:3]))


async def _wait(what: str, deadline: float, check: Callable[[], Awaitable[bool]]) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline
    interval = FIRST_POLL
    while True:
        try:
            if await check():
                return
        except KubeAPIError as error:
            if not error.transient:
                raise
        if loop.time() + interval > end:
            raise UpgradeError(f"timed out after {deadline:g}s waiting for {what}")
        await asyncio.sleep(interval)
        interval = min(interval * 2, POLL)


async def upgrade_kubernetes(client: KubeClient, control_planes: list[Target], kubelet_order: list[Target],
                             configs: ConfigStore, credentials: Credentials, options: UpgradeOptions,
                             log: Callable[[str], None] = print) -> None:
    """Upgrade Kubernetes on a cluster. `kubelet_order`: every node whose kubelet is upgraded, in order
    (control planes first: a kubelet never runs newer than the API servers)."""
    if not control_planes:
        raise UpgradeError("no controlplane nodes discovered")
    from_version = options.from_version or await detect_version(client)
    from_version, to_version = check_path(from_version, options.to_version, control_planes[0].node)
    log(f"discovered controlplane nodes {[t.node for t in control_planes]!r}")
    for component in STATIC_PODS:
        log(f'updating "{component}" to version "{to_version}"')
        for target in control_planes:
            await _static_pod(client, target, component, configs, options, from_version, to_version, log)
    await _kube_proxy(control_planes, configs, options, to_version, log)
    if options.upgrade_kubelet:
        log(f'updating kubelet to version "{to_version}"')
        for target in kubelet_order:
            await _kubelet(client, target, configs, options, from_version, to_version, log)
    await sync_manifests(client, control_planes[0], credentials, dry_run=options.dry_run, log=log)


async def _patched(target: Target, component: str, configs: ConfigStore, options: UpgradeOptions,
                   from_version: str, to_version: str, log: Callable[[str], None]) -> bool:
    """Patch one component's image on one node; False when it already ran it or in dry-run."""
    config = await configs.read(target)
    image = f"{options.images[component]}:v{to_version}"
    current = config_image(config, component)
    if current == image:
        return False
    log(f" > update {component}: {image_version(current) or from_version} -> {to_version}")
    if options.dry_run:
        log(" > skipped in dry-run")
        return False
    await configs.write(target, with_image(config, component, image))
    log(f' > "{target.node}": machine configuration patched')
    return True


async def _static_pod(client: KubeClient, target: Target, component: str, configs: ConfigStore,
                      options: UpgradeOptions, from_version: str, to_version: str, log: Callable[[str], None]
                      ) -> None:
    log(f' > "{target.node}": starting update')
    if not await _patched(target, component, configs, options, from_version, to_version, log):
        return
    log(f' > "{target.node}": waiting for {component} pod update')
    image = f"{options.images[component]}:v{to_version}"

    async def updated() -> bool:
        for pod in await client.pods("kube-system", label_selector=f"k8s-app={component}"):
            if (pod.get("status") or {}).get("hostIP") != target.node:
                continue
            if pod["spec"]["containers"][0]["image"] != image:
                log(f' > "{target.node}": {component}: waiting, image mismatch')
                return False
            if condition(pod, "Ready").get("status") != "True":
                log(f' > "{target.node}": {component}: pod is not ready, waiting')
                return False
            return True
        return False

    await _wait(f"{component} on {target.node} to run {image}", options.deadline, updated)
    log(f' < "{target.node}": successfully updated')


async def _kube_proxy(control_planes: list[Target], configs: ConfigStore, options: UpgradeOptions,
                      to_version: str, log: Callable[[str], None]) -> None:
    log(f'updating kube-proxy to version "{to_version}"')
    for target in control_planes:
        log(f' > "{target.node}": starting update')
        if proxy_disabled(await configs.read(target)):
            log(f' > "{target.node}": kube-proxy is disabled, skipping')
            continue
        await _patched(target, "kube-proxy", configs, options, "", to_version, log)


async def _kubelet(client: KubeClient, target: Target, configs: ConfigStore, options: UpgradeOptions,
                   from_version: str, to_version: str, log: Callable[[str], None]) -> None:
    log(f' > "{target.node}": starting update')
    if not await _patched(target, "kubelet", configs, options, from_version, to_version, log):
        return
    log(f' > "{target.node}": waiting for kubelet restart')

    async def updated() -> bool:
        node = next((n for n in await client.nodes() if target.node in addresses_of(n)), None)
        return (node is not None and node["status"]["nodeInfo"]["kubeletVersion"] == f"v{to_version}"
                and condition(node, "Ready").get("status") == "True")

    await _wait(f"kubelet on {target.node} to report v{to_version} and Ready", options.deadline, updated)
    log(f' < "{target.node}": successfully updated')


async def bootstrap_manifests(target: Target, credentials: Credentials) -> list[dict[str, Any]]:
    """`talosctl get manifests`: the objects of every Manifests resource of a control plane, in ID order."""
    async with TalosClient(target.dial, credentials, port=target.port) as client:
        resources = await calls.list_resources(client, "controlplane", MANIFESTS, node=target.node)
    return [obj for resource in sorted(resources, key=lambda r: r.id) for obj in resource.spec or []]


async def sync_manifests(client: KubeClient, first: Target, credentials: Credentials, *, dry_run: bool = False,
                         log: Callable[[str], None] = print) -> list[str]:
    """Server-side apply of the bootstrap manifests with Talos's field manager; returns what changed."""
    log("updating manifests")
    changed = []
    for obj in await bootstrap_manifests(first, credentials):
        subject = f"{obj.get('kind')} {(obj.get('metadata') or {}).get('namespace', '')}/{obj['metadata']['name']}"
        subject = subject.replace(" /", " ")
        before = await client.get(obj)
        after = await client.apply(obj, field_manager=FIELD_MANAGER, force=True, dry_run=dry_run)
        if before is None:
            action = "created"
        elif _without_status(before) != _without_status(after):
            action = "updated"
        else:
            continue
        changed.append(f"{action} {subject}")
        log(f" < {action} {subject}" + (" (dry run)" if dry_run else ""))
    return changed


def _without_status(obj: dict[str, Any]) -> dict[str, Any]:
    metadata = {k: v for k, v in (obj.get("metadata") or {}).items()
                if k not in ("resourceVersion", "managedFields", "creationTimestamp", "uid", "generation")}
    return {**{k: v for k, v in obj.items() if k != "status"}, "metadata": metadata}
