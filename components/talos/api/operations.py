"""Whole operations on nodes, each retried under one deadline: detect maintenance mode, apply a config,
wait for the secure API, bootstrap, check health. Providers and the CLI use these."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from google.protobuf import empty_pb2

from ..documents import image_tag
from ..errors import terminal_safe
from . import calls, diagnose, methods
from .client import DEFAULT_CALL_TIMEOUT, TalosClient
from .errors import FINGERPRINT_HINT, MAINTENANCE_HINT, TALOS_API_PORT, WRONG_CLUSTER_HINT, TalosAPIError
from .retry import deadline as within
from .retry import with_retries
from .tls import Credentials

if TYPE_CHECKING:
    from ..kube.health import KubernetesChecks

__all__ = ["ApplyOutcome", "Credentials", "HealthReport", "Target"]

T = TypeVar("T")

DEFAULT_DEADLINE = 600.0  # Terraform's default create/update timeout
# A probe waits as long as any call, which is never past the operation's deadline (retry.call_timeout).
PROBE_TIMEOUT = DEFAULT_CALL_TIMEOUT
# Waiting for a rebooting node to answer again is polling, not retrying a failure: a short fixed interval
# notices it within a quarter second (the backoff's doubling to 10 s cost a rollout up to 10 s a wave).
POLL_FIRST, POLL_MAX = 0.1, 0.25
CUT_SHORT_MARGIN = 0.02  # a health round ending this close to the deadline was ended by it


@dataclass(frozen=True)
class Target:
    """A node, and the endpoint that reaches it (the node itself unless it sits behind another apid)."""

    node: str
    endpoint: str = ""
    port: int = TALOS_API_PORT

    @property
    def dial(self) -> str:
        return self.endpoint or self.node


async def _on(target: Target, credentials: Credentials | None, action: Callable[[TalosClient], Awaitable[T]],
              timeout: float = DEFAULT_CALL_TIMEOUT) -> T:
    async with TalosClient(target.dial, credentials, port=target.port, timeout=timeout) as client:
        return await action(client)


async def _answers_insecurely(client: TalosClient, target: Target, credentials: Credentials | None) -> bool:
    """Terraform's probe: an unauthenticated Disks call succeeds only on a node without a config."""
    try:
        await client.call(methods.DISKS, empty_pb2.Empty(), node=target.node)
        return True
    except TalosAPIError as error:
        if error.hint == FINGERPRINT_HINT and credentials is not None:
            return not await _trusted_node(target, credentials, error)
        if error.transient or credentials is None:  # unreachable or dropped: nothing is known yet
            raise
    return False  # it completed TLS and then refused an anonymous client: it has a config


async def _trusted_node(target: Target, credentials: Credentials, pin_error: TalosAPIError) -> bool:
    """A pinned probe met another certificate: fine if it is this cluster's configured node (mutual TLS
    against the OS CA succeeds), else the pin error stands and nothing is sent."""
    try:
        await _on(target, credentials, lambda c: calls.version(c, node=target.node))
    except TalosAPIError:
        raise pin_error from None
    return True


async def in_maintenance(target: Target, credentials: Credentials | None, *,
                         deadline: float = PROBE_TIMEOUT) -> bool:
    """Whether the node is in maintenance mode. A configured node must also accept `credentials` (a secure
    call proves it trusts, and is trusted by, this cluster's OS CA), else the error says which side refused."""
    with within(deadline):
        async with TalosClient(target.dial, None, port=target.port, timeout=PROBE_TIMEOUT) as client:
            if await _answers_insecurely(client, target, credentials):
                return True
        await _on(target, credentials, lambda c: calls.version(c, node=target.node), PROBE_TIMEOUT)
    return False


@dataclass(frozen=True)
class ApplyOutcome:
    result: calls.ApplyResult
    insecure: bool  # applied to a node in maintenance mode (it now installs and reboots)


async def apply(target: Target, data: bytes, credentials: Credentials, *, mode: str = "auto",
                deadline: float = DEFAULT_DEADLINE, cert_fingerprints: Sequence[str] = ()) -> ApplyOutcome:
    """Apply over the insecure API to a node in maintenance mode, or over mutual TLS to a configured one.
    `cert_fingerprints` pins the maintenance certificate as ``talosctl apply-config --insecure
    --cert-fingerprint`` does: a node in maintenance mode presenting another certificate gets nothing."""
    for fingerprint in cert_fingerprints:
        diagnose.parse_fingerprint(fingerprint)  # a malformed pin is refused before anything is dialled

    async def attempt() -> ApplyOutcome:
        async with TalosClient(target.dial, None, port=target.port, cert_fingerprints=cert_fingerprints) as insecure:
            if await _answers_insecurely(insecure, target, credentials):  # one connection: probe, then apply
                return ApplyOutcome(await calls.apply_configuration(insecure, data, node=target.node), True)
        result = await _on(target, credentials,
                           lambda c: calls.apply_configuration(c, data, mode=mode, node=target.node))
        return ApplyOutcome(result, False)

    return await with_retries(attempt, deadline)


async def wait_configured(target: Target, credentials: Credentials, *, deadline: float = DEFAULT_DEADLINE
                          ) -> calls.VersionInfo:
    """Wait until the node answers over mutual TLS with a config loaded (after install and reboot)."""

    async def attempt() -> calls.VersionInfo:
        info = await _on(target, credentials, lambda c: calls.version(c, node=target.node), PROBE_TIMEOUT)
        if info.maintenance:
            raise TalosAPIError(node=target.node, address=f"{target.dial}:{target.port}", call="Version",
                                detail="node is still in maintenance mode", transient=True)
        return info

    return await with_retries(_secure_or_wait(attempt), deadline, first_delay=POLL_FIRST, max_delay=POLL_MAX)


def _secure_or_wait(attempt: Callable[[], Awaitable[T]]) -> Callable[[], Awaitable[T]]:
    """While a node installs and reboots it refuses, resets, or still serves its maintenance certificate."""

    async def wrapped() -> T:
        try:
            return await attempt()
        except TalosAPIError as error:
            if error.hint in (WRONG_CLUSTER_HINT, MAINTENANCE_HINT) and not error.transient:
                error.transient = True  # maintenance certificate until the reboot completes
            raise

    return wrapped


async def bootstrap(target: Target, credentials: Credentials, *, deadline: float = DEFAULT_DEADLINE) -> bool:
    """Bootstrap etcd on `target` (by its own address). False if it already was bootstrapped."""
    return await with_retries(_secure_or_wait(lambda: _on(target, credentials,
                                                          lambda c: calls.bootstrap(c, node=target.node))), deadline)


async def upgrade(target: Target, image: str, credentials: Credentials, *, deadline: float = DEFAULT_DEADLINE,
                  preserve: bool = False, stage: bool = False) -> calls.VersionInfo:
    """``talosctl upgrade --image``: unless the node already runs that version, upgrade it and wait until it
    is back and reports the image's version."""
    wanted = image_tag(image)
    running = await with_retries(lambda: _on(target, credentials, lambda c: calls.version(c, node=target.node)),
                                 deadline)
    if running.tag == wanted:
        return running
    await with_retries(lambda: _on(target, credentials, lambda c: calls.upgrade(c, image, node=target.node,
                                                                   running_tag=running.tag, preserve=preserve,
                                                                   stage=stage)),
                       deadline)

    async def upgraded() -> calls.VersionInfo:
        info = await _on(target, credentials, lambda c: calls.version(c, node=target.node), PROBE_TIMEOUT)
        if wanted and info.tag != wanted:
            raise TalosAPIError(node=target.node, address=f"{target.dial}:{target.port}", call="Version",
                                detail=f"still running {info.tag}, waiting for {wanted}", transient=True)
        return info

    return await with_retries(_secure_or_wait(upgraded), deadline, first_delay=POLL_FIRST, max_delay=POLL_MAX)


# Stages in `talosctl health`'s order (siderolabs/talos pkg/cluster/check/default.go: etcd healthy and its
# members the control planes, then apid and kubelet, then the Kubernetes checks); KubeSpan peers are this
# project's own stage, checked before the API server that depends on them across networks.
STAGE_ETCD = "etcd"
STAGE_SERVICES = "Talos services"
STAGE_KUBESPAN = "KubeSpan peer"


@dataclass
class HealthReport:
    problems: list[str] = field(default_factory=list)
    stage: str = ""  # the first stage that failed; later stages were not checked

    @property
    def healthy(self) -> bool:
        return not self.problems

    def fail(self, stage: str, problems: list[str]) -> bool:
        """Record `stage`'s problems if it has any; True when it failed (stop checking further stages)."""
        if problems:
            self.stage, self.problems = stage, problems
        return bool(problems)

    def __str__(self) -> str:
        return f"{self.stage}: " + "; ".join(self.problems) if self.problems else "healthy"


KUBESPAN_PEER_STATUSES = "KubeSpanPeerStatuses.kubespan.talos.dev"
REQUIRED_SERVICES = {"controlplane": ("apid", "etcd", "kubelet"), "worker": ("apid", "kubelet")}


async def check_health(control_planes: list[Target], workers: list[Target], credentials: Credentials, *,
                       etcd_members: int | None = None, kubespan_peers: int | None = None,
                       kubernetes: KubernetesChecks | None = None) -> HealthReport:
    """One pass of the stages in order, stopping at the first that fails: etcd (the service on every control
    plane, all control planes members; `etcd_members` of them when checking some control planes of a larger
    cluster), the other Talos services, KubeSpan (the first control plane's `kubespan_peers` peers up) and,
    with `kubernetes`, the Kubernetes stages of kube/health.py."""
    report = HealthReport()

    async def node_problems(target: Target, role: str) -> tuple[list[str], list[str]]:
        """(etcd problems, other service problems) of one node."""
        try:
            async with TalosClient(target.dial, credentials, port=target.port, timeout=PROBE_TIMEOUT) as client:
                info = await calls.version(client, node=target.node)
                if info.maintenance:
                    problem = [f"{target.node}: still in maintenance mode"]
                    return (problem, []) if role == "controlplane" else ([], problem)
                states = {s.id: s for s in await calls.services(client, node=target.node)}
        except TalosAPIError as error:
            return ([str(error)], []) if role == "controlplane" else ([], [str(error)])
        etcd: list[str] = []
        others: list[str] = []
        for service in REQUIRED_SERVICES[role]:
            state = states.get(service)
            if state is None or state.state != "Running" or state.healthy is False:
                shown = "missing" if state is None else terminal_safe(state.state.lower())
                (etcd if service == "etcd" else others).append(f"{target.node}: service {service} is {shown}")
        return etcd, others

    results = await asyncio.gather(*(node_problems(t, "controlplane") for t in control_planes),
                                   *(node_problems(t, "worker") for t in workers))
    etcd = [p for problems, _ in results for p in problems]
    if not etcd and control_planes:
        etcd = await _etcd_problems(control_planes[0], credentials, etcd_members or len(control_planes))
    if report.fail(STAGE_ETCD, etcd) or report.fail(STAGE_SERVICES, [p for _, ps in results for p in ps]):
        return report
    if kubespan_peers and control_planes and report.fail(
            STAGE_KUBESPAN, await _kubespan_problems(control_planes[0], credentials, kubespan_peers)):
        return report
    if kubernetes is not None:
        from ..kube.health import check_kubernetes

        stage, problems = await check_kubernetes(kubernetes, control_planes, workers)
        report.fail(stage, problems)
    return report


async def _etcd_problems(first: Target, credentials: Credentials, etcd_members: int) -> list[str]:
    try:
        async with TalosClient(first.dial, credentials, port=first.port, timeout=PROBE_TIMEOUT) as client:
            members = await calls.etcd_members(client, node=first.node)
    except TalosAPIError as error:
        return [str(error)]
    voting = [m for m in members if not m.is_learner]
    return [f"etcd has {len(voting)} of {etcd_members} control plane members"] if len(voting) < etcd_members else []


async def _kubespan_problems(first: Target, credentials: Credentials, kubespan_peers: int) -> list[str]:
    """What the first control plane sees of its KubeSpan peers."""
    try:
        async with TalosClient(first.dial, credentials, port=first.port, timeout=PROBE_TIMEOUT) as client:
            peers = await calls.list_resources(client, "kubespan", KUBESPAN_PEER_STATUSES, node=first.node)
    except TalosAPIError as error:
        return [str(error)]
    problems = []
    for peer in peers:
        spec = calls.spec_fields(peer)
        if spec.get("state") != "up":
            label, endpoint, state = (terminal_safe(str(spec.get(key))) for key in ("label", "endpoint", "state"))
            problems.append(f"KubeSpan: {first.node} cannot reach peer {label} at {endpoint} (state {state}); "
                            f"check that UDP 51820 is open towards it")
    if len(peers) < kubespan_peers:
        problems.append(f"KubeSpan: {first.node} knows {len(peers)} of {kubespan_peers} peers")
    return problems


async def wait_healthy(control_planes: list[Target], workers: list[Target], credentials: Credentials, *,
                       deadline: float = DEFAULT_DEADLINE, interval: float = 1.0,
                       etcd_members: int | None = None, kubespan_peers: int | None = None,
                       kubernetes: KubernetesChecks | None = None) -> HealthReport:
    """Poll check_health until it passes; at the caller's deadline, raise naming the stage still failing."""
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline
    telling: HealthReport | None = None  # what to report at the deadline
    while True:
        with within(max(end - loop.time(), 0.0)):
            report = await check_health(control_planes, workers, credentials, etcd_members=etcd_members,
                                        kubespan_peers=kubespan_peers, kubernetes=kubernetes)
        if report.healthy:
            return report
        # A round cut short by the deadline says "no answer within 0.05s": the round before it, which had its
        # calls' full time, names the stage that kept failing.
        if telling is None or loop.time() < end - CUT_SHORT_MARGIN:
            telling = report
        if loop.time() + interval > end:
            from ..errors import TalosError

            raise TalosError(f"cluster not healthy after {deadline:g}s: {telling}")
        await asyncio.sleep(interval)
