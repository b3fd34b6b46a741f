"""Typed Talos API calls over a TalosClient: what each reply means, in plain Python values."""

from __future__ import annotations

import datetime
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import yaml
from google.protobuf import duration_pb2, empty_pb2
from grpclib.const import Status

from .. import yamlio
from ..errors import TalosError
from ..versions import contract_of
from . import methods
from .archive import MAX_ARCHIVE_BYTES, first_member
from .client import TalosClient
from .errors import TalosAPIError
from .modes import APPLY_MODE_NAMES
from .proto.common import common_pb2
from .proto.cosi import state_pb2
from .proto.machine import lifecycle_pb2, machine_pb2

APPLY_MODES: dict[str, Any] = {name: machine_pb2.ApplyConfigurationRequest.Mode.Value(name.upper().replace("-", "_"))
               for name in APPLY_MODE_NAMES}
_MODE_NAMES = {value: name for name, value in APPLY_MODES.items()}


@dataclass(frozen=True)
class ApplyResult:
    node: str
    mode: str
    details: str
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class VersionInfo:
    node: str
    tag: str
    arch: str
    platform: str
    maintenance: bool  # Talos sends no `features` while it has no config


@dataclass(frozen=True)
class ServiceState:
    id: str
    state: str
    healthy: bool | None  # None: health unknown or not reported
    last_event: str = ""
    last_change: datetime.datetime | None = None  # the time of the last event
    health_message: str = ""


@dataclass(frozen=True)
class EtcdMember:
    id: int
    hostname: str
    peer_urls: list[str]
    is_learner: bool


@dataclass(frozen=True)
class Resource:
    namespace: str
    type: str
    id: str
    version: str
    spec: Any


async def apply_configuration(client: TalosClient, data: bytes, *, mode: str = "auto", dry_run: bool = False,
                              try_timeout: datetime.timedelta = datetime.timedelta(minutes=1),
                              node: str | None = None) -> ApplyResult:
    if mode not in APPLY_MODES:
        raise ValueError(f"apply mode {mode!r}: expected one of {', '.join(APPLY_MODES)}")
    timeout = duration_pb2.Duration()
    timeout.FromTimedelta(try_timeout)  # talosctl always sends --timeout, even outside try mode
    request = machine_pb2.ApplyConfigurationRequest(data=data, mode=APPLY_MODES[mode], dry_run=dry_run,
                                                    try_mode_timeout=timeout)
    reply = (await client.each_node(methods.APPLY_CONFIGURATION, request, node=node))[0]
    return ApplyResult(reply.node, _MODE_NAMES.get(reply.message.mode, "reboot"), reply.message.mode_details,
                       list(reply.message.warnings))


async def bootstrap(client: TalosClient, *, node: str | None = None, recover: bool = False,
                    skip_hash_check: bool = False) -> bool:
    """Bootstrap etcd. True if this call bootstrapped it, False if it already was (AlreadyExists). `recover`
    restores the snapshot uploaded with etcd_recover first (talosctl bootstrap --recover-from): then an
    existing etcd is an error, never "done"."""
    request = machine_pb2.BootstrapRequest(recover_etcd=recover, recover_skip_hash_check=skip_hash_check)
    try:
        await client.each_node(methods.BOOTSTRAP, request, node=node)
    except TalosAPIError as error:
        if error.status == Status.ALREADY_EXISTS and not recover:
            return False
        raise
    return True


def reply_error(client: TalosClient, method: methods.Method, node: str | None, detail: str) -> TalosAPIError:
    """A reply that arrived intact but does not mean what the call expects: named by node and call."""
    return TalosAPIError(node=node or client.host, address=client.address, call=method.name, detail=detail)


async def kubeconfig(client: TalosClient, *, node: str | None = None) -> str:
    archive = await _stream_bytes(client, methods.KUBECONFIG, empty_pb2.Empty(), node, MAX_ARCHIVE_BYTES)
    try:
        return first_member(archive).decode("utf-8")
    except TalosError as error:
        raise reply_error(client, methods.KUBECONFIG, node, str(error)) from None
    except UnicodeDecodeError:
        raise reply_error(client, methods.KUBECONFIG, node, "the kubeconfig is not UTF-8 text") from None


async def version(client: TalosClient, *, node: str | None = None) -> VersionInfo:
    reply = (await client.each_node(methods.VERSION, empty_pb2.Empty(), node=node))[0]
    message = reply.message
    return VersionInfo(reply.node, message.version.tag, message.version.arch, message.platform.name,
                       maintenance=not message.HasField("features"))


async def hostname(client: TalosClient, *, node: str | None = None) -> str:
    return str((await client.one(methods.HOSTNAME, empty_pb2.Empty(), node=node)).hostname)


def _timestamp(value: Any) -> datetime.datetime | None:
    """A google.protobuf.Timestamp a node sent, or None when it is outside what Python's datetime holds."""
    try:
        return value.ToDatetime(datetime.UTC)  # type: ignore[no-any-return]
    except (ValueError, OverflowError, OSError):
        return None


async def services(client: TalosClient, *, node: str | None = None) -> list[ServiceState]:
    message = await client.one(methods.SERVICE_LIST, empty_pb2.Empty(), node=node)
    return [ServiceState(s.id, s.state, None if s.health.unknown else s.health.healthy,
                         s.events.events[-1].msg if s.events.events else "",
                         _timestamp(s.events.events[-1].ts) if s.events.events else None,
                         s.health.last_message)
            for s in message.services]


async def disks(client: TalosClient, *, node: str | None = None) -> list[dict[str, Any]]:
    message = await client.one(methods.DISKS, empty_pb2.Empty(), node=node)
    return [{"device": d.device_name, "size": d.size, "model": d.model, "system_disk": d.system_disk,
             "serial": d.serial, "type": d.type, "uuid": d.uuid, "wwid": d.wwid, "modalias": d.modalias,
             "name": d.name, "bus_path": d.bus_path, "subsystem": d.subsystem, "readonly": d.readonly}
            for d in message.disks]


async def etcd_members(client: TalosClient, *, node: str | None = None) -> list[EtcdMember]:
    message = await client.one(methods.ETCD_MEMBER_LIST, machine_pb2.EtcdMemberListRequest(), node=node)
    return [EtcdMember(m.id, m.hostname, list(m.peer_urls), m.is_learner) for m in message.members]


async def etcd_remove_member(client: TalosClient, member_id: int, *, node: str | None = None) -> None:
    await client.one(methods.ETCD_REMOVE_MEMBER_BY_ID, machine_pb2.EtcdRemoveMemberByIDRequest(member_id=member_id),
                     node=node)


async def etcd_leave(client: TalosClient, *, node: str | None = None) -> None:
    await client.one(methods.ETCD_LEAVE_CLUSTER, machine_pb2.EtcdLeaveClusterRequest(), node=node)


async def reboot(client: TalosClient, *, node: str | None = None) -> str:
    return str((await client.one(methods.REBOOT, machine_pb2.RebootRequest(), node=node)).actor_id)


RESET_LABELS = ("STATE", "EPHEMERAL")  # Terraform's on_destroy reset: the node returns to maintenance mode


async def reset(client: TalosClient, *, graceful: bool = True, reboot: bool = False,
                node: str | None = None, labels: tuple[str, ...] | list[str] = RESET_LABELS) -> str:
    """Wipe the system partitions `labels` (talosctl reset --system-labels-to-wipe); by default STATE and
    EPHEMERAL. EPHEMERAL alone keeps the config and empties etcd's data, as Talos's disaster recovery does."""
    wipe = [machine_pb2.ResetPartitionSpec(label=label, wipe=True) for label in labels]
    request = machine_pb2.ResetRequest(graceful=graceful, reboot=reboot, system_partitions_to_wipe=wipe)
    return str((await client.one(methods.RESET, request, node=node)).actor_id)


# etcd's own ceiling for its database (--quota-backend-bytes: 8 GiB is the largest quota etcd suggests), twice
# over: a stream longer than this is no snapshot of a healthy member, and is refused before it fills a disk.
MAX_SNAPSHOT_BYTES = 16 * 1024**3
RECOVER_CHUNK = 64 * 1024


async def etcd_snapshot(client: TalosClient, write: Callable[[bytes], object], *, node: str | None = None,
                        limit: int = MAX_SNAPSHOT_BYTES, timeout: float | None = None) -> int:
    """Stream the member's database (etcd's snapshot with its sha256 trailer) through `write`, chunk by
    chunk; return its size. os:etcd:backup, os:operator or os:admin (machined.go `rules`)."""
    return await client.download(methods.ETCD_SNAPSHOT, machine_pb2.EtcdSnapshotRequest(), write, limit=limit,
                                 node=node, timeout=timeout)


async def etcd_recover(client: TalosClient, source: BinaryIO, *, node: str | None = None,
                       timeout: float | None = None) -> None:
    """Upload a snapshot for Bootstrap(recover_etcd) to restore (talosctl bootstrap --recover-from), read from
    `source` one chunk at a time."""
    await client.upload(methods.ETCD_RECOVER, iter(lambda: source.read(RECOVER_CHUNK), b""), node=node,
                        timeout=timeout)


def _lifecycle_api(tag: str) -> bool:
    return contract_of(tag, "Version reply").greater(1, 12)


def uses_lifecycle_upgrade(tag: str) -> bool:
    """Whether a node running `tag` is upgraded through LifecycleService (where --preserve/--stage are gone)."""
    return _lifecycle_api(tag)


async def upgrade(client: TalosClient, image: str, *, node: str | None = None, running_tag: str = "",
                  preserve: bool = False, stage: bool = False) -> str:
    """Upgrade to `image`: LifecycleService from v1.13 on, MachineService.Upgrade before (the running
    version is asked for unless the caller already knows it). `preserve` and `stage` are the legacy request's
    flags (a staged upgrade reboots at once and installs during that boot: SequenceStageUpgrade)."""
    running_tag = running_tag or (await version(client, node=node)).tag
    if not _lifecycle_api(running_tag):
        legacy = machine_pb2.UpgradeRequest(image=image, preserve=preserve, stage=stage)
        return str((await client.one(methods.UPGRADE, legacy, node=node)).ack)
    request = lifecycle_pb2.LifecycleServiceUpgradeRequest(source=lifecycle_pb2.InstallArtifactsSource(
        image_name=image))
    lines: list[str] = []
    for reply in await client.call(methods.LIFECYCLE_UPGRADE, request, node=node):
        progress = reply.progress
        if progress.WhichOneof("response") == "exit_code" and progress.exit_code != 0:
            raise TalosAPIError(node=node or client.host, address=client.address, call="Upgrade",
                                detail=f"upgrade failed with exit code {progress.exit_code}: {' '.join(lines[-3:])}")
        if progress.WhichOneof("response") == "message":
            lines.append(progress.message)
    return lines[-1] if lines else ""


def _spec(client: TalosClient, method: methods.Method, node: str | None, text: str) -> Any:
    """A resource's YAML spec, parsed as Talos's YAML is (bounded in size, depth and aliases)."""
    try:
        return yamlio.load(text)
    except yaml.YAMLError as error:
        raise reply_error(client, method, node, f"the resource spec is not valid YAML: "
                                                f"{yamlio.describe_error(error)}") from None


def _resource(client: TalosClient, method: methods.Method, node: str | None, message: Any) -> Resource:
    meta = message.metadata
    return Resource(meta.namespace, meta.type, meta.id, meta.version,
                    _spec(client, method, node, message.spec.yaml_spec or "{}"))


async def get_resource(client: TalosClient, namespace: str, type_: str, id_: str, *,
                       node: str | None = None) -> Resource:
    reply = await client.call(methods.COSI_GET, state_pb2.GetRequest(namespace=namespace, type=type_, id=id_),
                              node=node)
    return _resource(client, methods.COSI_GET, node, reply.resource)


async def list_resources(client: TalosClient, namespace: str, type_: str, *, node: str | None = None
                         ) -> list[Resource]:
    replies = await client.call(methods.COSI_LIST, state_pb2.ListRequest(namespace=namespace, type=type_), node=node)
    return [_resource(client, methods.COSI_LIST, node, reply.resource) for reply in replies]


def spec_fields(resource: Resource) -> dict[str, Any]:
    """A resource spec read as fields: a node may send any YAML, and one that is not a mapping has none."""
    return resource.spec if isinstance(resource.spec, dict) else {}


MACHINE_CONFIG_TYPE = "MachineConfigs.config.talos.dev"


async def machine_config(client: TalosClient, *, node: str | None = None) -> str:
    """The node's active machine config as text (COSI config/MachineConfigs/v1alpha1). Newer Talos sends the
    body as a YAML string, older as the document itself (talosctl patch.go extractMachineConfigBody)."""
    reply = await client.call(methods.COSI_GET, state_pb2.GetRequest(namespace="config", type=MACHINE_CONFIG_TYPE,
                                                                     id="v1alpha1"), node=node)
    text = reply.resource.spec.yaml_spec
    body = _spec(client, methods.COSI_GET, node, text) if text else ""
    return body if isinstance(body, str) else str(text)


async def _stream_bytes(client: TalosClient, method: methods.Method, request: Any, node: str | None,
                        max_bytes: int) -> bytes:
    """A short streamed common.Data reply (the kubeconfig), joined: at most `max_bytes` in all."""
    chunks = await client.call(method, request, node=node, max_bytes=max_bytes)
    for chunk in chunks:
        error = client.metadata_error(method, chunk.metadata, node or client.host)
        if error is not None:
            raise error
    return b"".join(chunk.bytes for chunk in chunks)


async def data_chunks(client: TalosClient, method: methods.Method, request: Any, *,
                      node: str | None = None) -> AsyncGenerator[bytes, None]:
    """A streamed common.Data reply of any length (logs, dmesg, an etcd snapshot), chunk by chunk as it
    arrives: each message bounded (GRPCMaxMessageSize), none kept. An error apid put into the stream (a
    fanned-out stream reports one as a bare message) is raised naming the node."""
    async with aclosing(client.stream(method, request, node=node)) as messages:
        async for chunk in messages:
            error = client.metadata_error(method, chunk.metadata, node or client.host)
            if error is not None:
                raise error
            if chunk.bytes:
                yield chunk.bytes


def logs(client: TalosClient, service: str, *, kubernetes: bool = False, tail_lines: int = -1,
         node: str | None = None) -> AsyncGenerator[bytes, None]:
    """A service's log (system namespace) or, with `kubernetes`, a container's in k8s.io through CRI."""
    request = machine_pb2.LogsRequest(namespace="k8s.io" if kubernetes else "system", id=service,
                                      driver=common_pb2.CRI if kubernetes else common_pb2.CONTAINERD,
                                      tail_lines=tail_lines)
    return data_chunks(client, methods.LOGS, request, node=node)


def dmesg(client: TalosClient, *, tail: bool = False, node: str | None = None) -> AsyncGenerator[bytes, None]:
    return data_chunks(client, methods.DMESG, machine_pb2.DmesgRequest(tail=tail), node=node)
