"""etcd operations over the Talos API: a snapshot from a healthy member, and a bootstrap that restores one.

Talos restores a snapshot inside the etcd service it starts on Bootstrap (siderolabs/talos
internal/app/machined/pkg/system/services/etcd.go recoverFromSnapshot, from the service's PreFunc): the call
returns before the restore runs, and a refused snapshot shows only as the etcd service failing. So a restore
here waits for etcd and reports that failure, with what to do about it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from grpclib.const import Status

from ..backups.snapshot import check_restorable
from ..errors import TalosError
from . import calls
from .client import TalosClient
from .errors import TalosAPIError
from .operations import POLL_MAX, PROBE_TIMEOUT, Target, _secure_or_wait
from .retry import deadline as within
from .retry import with_retries
from .tls import Credentials

WIPE_HINT = ("wipe its etcd data first: python -m components.talos reset --graceful=false --reboot "
             "--system-labels-to-wipe EPHEMERAL -n {node}")


class EtcdError(TalosError):
    """etcd cannot give or take a snapshot; the message names the node and the fix."""


async def etcd_service(target: Target, credentials: Credentials) -> calls.ServiceState | None:
    async with TalosClient(target.dial, credentials, port=target.port, timeout=PROBE_TIMEOUT) as client:
        return next((s for s in await calls.services(client, node=target.node) if s.id == "etcd"), None)


async def why_not_healthy(target: Target, credentials: Credentials) -> str | None:
    """None when the node runs a healthy etcd member, else what is wrong with it."""
    try:
        service = await etcd_service(target, credentials)
    except TalosAPIError as error:
        return str(error)
    if service is None:
        return f"{target.node}: runs no etcd (not a control plane?)"
    if service.state != "Running" or service.healthy is False:
        detail = service.last_event or service.health_message
        return f"{target.node}: etcd is {service.state.lower()}" + (f" ({detail})" if detail else "")
    return None


async def snapshot_from_healthy(control_planes: Sequence[Target], credentials: Credentials,
                                write: Callable[[bytes], object], *, deadline: float) -> tuple[Target, int]:
    """Stream an etcd snapshot through `write` from the first control plane whose etcd runs healthy (every
    member holds the whole key space); return that node and the size. `credentials` need os:reader (to see
    the service) and os:etcd:backup (siderolabs/talos machined.go rules: EtcdSnapshot takes os:etcd:backup,
    os:operator or os:admin)."""
    problems: list[str] = []
    with within(deadline):
        for target in control_planes:
            problem = await why_not_healthy(target, credentials)
            if problem is not None:
                problems.append(problem)
                continue
            async with TalosClient(target.dial, credentials, port=target.port) as client:
                return target, await calls.etcd_snapshot(client, write, node=target.node, timeout=deadline)
    raise EtcdError("no healthy etcd member to take a snapshot from: " + "; ".join(problems)
                    + "; fix etcd first (talosctl services, etcd members), nothing was changed")


async def wait_etcd_started(target: Target, credentials: Credentials, *, deadline: float) -> None:
    """Wait until the node's etcd runs; a failed start (a refused snapshot) is raised with its message."""

    async def started() -> None:
        service = await etcd_service(target, credentials)
        if service is not None and service.state == "Failed":
            raise EtcdError(f"{target.node}: etcd failed to start: {service.last_event or service.health_message}; "
                            + WIPE_HINT.format(node=target.node) + ", then bootstrap again with a good snapshot")
        if service is None or service.state != "Running":
            state = "missing" if service is None else service.state.lower()
            raise TalosAPIError(node=target.node, address=f"{target.dial}:{target.port}", call="ServiceList",
                                detail=f"etcd is {state}, waiting for it to start", transient=True)

    await with_retries(_secure_or_wait(started), deadline, first_delay=0.1, max_delay=POLL_MAX)


async def bootstrap_from(target: Target, credentials: Credentials, snapshot: Path, *, skip_hash_check: bool,
                         deadline: float) -> None:
    """talosctl bootstrap --recover-from: the snapshot checked as etcd will check it, uploaded (EtcdRecover),
    Bootstrap with recover_etcd, then etcd watched until it runs on the restored data."""
    check_restorable(snapshot, skip_hash_check)

    async def upload() -> None:
        async with TalosClient(target.dial, credentials, port=target.port) as client:
            with snapshot.open("rb") as source:
                await calls.etcd_recover(client, source, node=target.node, timeout=deadline)

    await with_retries(_secure_or_wait(upload), deadline)

    async def recover() -> bool:
        async with TalosClient(target.dial, credentials, port=target.port) as client:
            return await calls.bootstrap(client, node=target.node, recover=True, skip_hash_check=skip_hash_check)

    try:
        await with_retries(_secure_or_wait(recover), deadline)
    except TalosAPIError as error:
        if error.status == Status.ALREADY_EXISTS:
            raise EtcdError(f"{target.node}: etcd data directory is not empty, so nothing was restored; "
                            + WIPE_HINT.format(node=target.node)) from None
        raise
    await wait_etcd_started(target, credentials, deadline=deadline)

