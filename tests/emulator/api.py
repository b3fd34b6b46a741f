"""The calls an emulated node serves, with Talos's checks, replies and error texts (v1.6–v1.14 families)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from grpclib.const import Status
from grpclib.exceptions import GRPCError

from components.talos import yamlio
from components.talos.api.archive import single_file_archive
from components.talos.api.proto.common import common_pb2
from components.talos.api.proto.cosi import resource_pb2, state_pb2
from components.talos.api.proto.machine import lifecycle_pb2, machine_pb2
from components.talos.api.proto.storage import storage_pb2
from components.talos.clientconfig import admin_kubeconfig
from components.talos.reboots import changes_requiring_reboot
from components.talos.secrets import SecretsBundle
from components.talos.versions import contract_of

from . import etcd
from . import resources as node_resources
from .configdiff import diff_configs
from .logs import ROLES as LOG_ROLES
from .logs import LogsAPI
from .node import EmulatedNode
from .received import ConfigRejected, parse

# siderolabs/talos internal/app/machined/pkg/system/services/machined.go `rules` (method → roles allowed).
ADMIN = {"os:admin"}
OPERATOR = ADMIN | {"os:operator"}
READER = OPERATOR | {"os:reader"}
ROLES = {
    "ApplyConfiguration": ADMIN, "Bootstrap": ADMIN, "Kubeconfig": ADMIN, "Reset": ADMIN, "Upgrade": ADMIN,
    "EtcdLeaveCluster": ADMIN, "EtcdRemoveMemberByID": ADMIN, "LifecycleUpgrade": ADMIN,
    "Reboot": OPERATOR,
    "Version": READER, "Hostname": READER, "ServiceList": READER, "Disks": READER, "Get": READER, "List": READER,
    "EtcdMemberList": READER | {"os:etcd:backup"}, "EtcdSnapshot": OPERATOR | {"os:etcd:backup"},
    "EtcdRecover": ADMIN,
    **LOG_ROLES,
}
# The ≤v1.12 maintenance server registered only these; the rest were "not implemented".
_OLD_MAINTENANCE = {"ApplyConfiguration", "Disks", "Get", "List", "Version", "Upgrade", "Reset"}
_MODE = machine_pb2.ApplyConfigurationRequest
_MODE_FLAG = {_MODE.REBOOT: "reboot", _MODE.AUTO: "auto", _MODE.NO_REBOOT: "no-reboot", _MODE.STAGED: "staged",
              _MODE.TRY: "try"}
MACHINE_STATUSES = "MachineStatuses.runtime.talos.dev"
MEMBERS = "Members.cluster.talos.dev"
KUBESPAN_PEERS = "KubeSpanPeerStatuses.kubespan.talos.dev"
MANIFESTS = "Manifests.kubernetes.talos.dev"  # `talosctl get manifests`: bootstrap manifests of a control plane
RESOURCE_NAMESPACES = {MACHINE_STATUSES: "runtime", MEMBERS: "cluster", KUBESPAN_PEERS: "kubespan",
                       MANIFESTS: "controlplane"}
# siderolabs/talos pkg/machinery/resources/config/machine_config.go: Sensitivity meta.Sensitive;
# internal/app/resources/access.go AccessPolicy: a sensitive type needs os:admin (authz.ErrNotAuthorized).
SENSITIVE_TYPES = {node_resources.MACHINE_CONFIGS}
SNAPSHOT_CHUNK = 1024  # pkg/chunker/stream NewChunker's default Size


def fail(status: Status, message: str) -> GRPCError:
    return GRPCError(status, message)


class NodeAPI(LogsAPI):
    """Method name → implementation; RBAC and maintenance rules are checked before any of them runs."""

    def __init__(self, node: EmulatedNode) -> None:
        self.node = node

    async def serve(self, name: str, request: Any, roles: set[str]) -> Any:
        node = self.node
        if node.maintenance and not node.unified_api:
            if name not in _OLD_MAINTENANCE:
                raise fail(Status.UNIMPLEMENTED, f"method {name} not implemented")
            if name in ("Version", "Upgrade", "Reset"):
                raise fail(Status.UNIMPLEMENTED, "API is not implemented in maintenance mode")
        elif not roles & ROLES[name] and not (name == "ApplyConfiguration" and node.maintenance):
            raise fail(Status.PERMISSION_DENIED, "not authorized")
        if name in ("Get", "List") and request.type in SENSITIVE_TYPES and not roles & ADMIN:
            raise fail(Status.PERMISSION_DENIED, "not authorized")
        handler = getattr(self, name)
        return await handler(request)

    # ------------------------------------------------------------------ helpers

    def _control_plane_only(self, api: str) -> None:
        config = self.node.config
        if config is None:
            raise fail(Status.UNIMPLEMENTED, f"machine type is not set, cannot use {api} API")
        if not config.control_plane:
            raise fail(Status.UNIMPLEMENTED, f"{api} is only available on control plane nodes")

    # ------------------------------------------------------------------ configuration

    async def ApplyConfiguration(self, request: Any) -> Any:
        node = self.node
        if node.maintenance:
            return self._apply_in_maintenance(request)
        if node.apply_in_progress:
            raise fail(Status.FAILED_PRECONDITION, "another apply configuration is already in progress")
        if node.rebooting_after_apply:
            raise fail(Status.FAILED_PRECONDITION, "configuration was already applied and node is rebooting, cannot "
                                                   "apply more configuration changes until next reboot")
        try:
            config = parse(request.data)
        except ConfigRejected as error:
            raise fail(Status.INVALID_ARGUMENT, str(error)) from None
        assert node.config is not None
        # siderolabs/talos v1alpha1_runtime.go CanApplyImmediate (v1.6–v1.13), as components/talos/reboots.py reads it
        paths = changes_requiring_reboot(node.config.text, config.text, node.version)
        reason = ("this config change can't be applied in immediate mode\ndiff:\n" + "\n".join(paths)) if paths else ""
        mode = request.mode
        newest = contract_of(node.version).greater(1, 13)
        if mode == _MODE.REBOOT and newest:
            raise fail(Status.UNIMPLEMENTED, "the REBOOT mode is not supported, please use AUTO or NO_REBOOT modes "
                                             "instead")
        if mode == _MODE.AUTO:
            mode = _MODE.REBOOT if reason and not newest else _MODE.NO_REBOOT
        if mode in (_MODE.NO_REBOOT, _MODE.TRY) and reason:
            raise fail(Status.INVALID_ARGUMENT, reason)
        details = {_MODE.NO_REBOOT: "Applied configuration without a reboot",
                   _MODE.TRY: "Applied configuration without a reboot",
                   _MODE.STAGED: "Staged configuration to be applied after the next reboot",
                   _MODE.REBOOT: "Applied configuration with a reboot"}[mode]
        if request.dry_run:
            changed = diff_configs(node.config.text.decode(), config.text.decode()) or "No changes."
            return machine_pb2.ApplyConfigurationResponse(messages=[machine_pb2.ApplyConfiguration(
                mode=mode, mode_details=f"Dry run summary:\n{details} (skipped in dry-run).\nConfig diff:\n\n"
                                        f"{changed}")])
        node.apply_in_progress = True
        try:
            await asyncio.sleep(self.node.cluster.apply_seconds)
            if mode == _MODE.STAGED:
                node.staged = config
            elif mode == _MODE.REBOOT:
                node.staged = config
                node.rebooting_after_apply = True
                node.reboot()
            else:
                node.config = config
                node.cluster.config_changed(node)
        finally:
            node.apply_in_progress = False
        node.cluster.journal_event(node.address, "apply")
        return machine_pb2.ApplyConfigurationResponse(messages=[machine_pb2.ApplyConfiguration(
            mode=mode, mode_details=details)])

    def _apply_in_maintenance(self, request: Any) -> Any:
        node = self.node
        if not node.unified_api and request.mode in (_MODE.NO_REBOOT, _MODE.STAGED):
            raise fail(Status.UNIMPLEMENTED, f"apply configuration --mode='{_MODE_FLAG[request.mode]}' is not "
                                             "supported in maintenance mode")
        try:
            config = parse(request.data)
        except ConfigRejected as error:
            if error.parse and not node.unified_api:
                raise fail(Status.UNKNOWN, str(error)) from None
            raise fail(Status.INVALID_ARGUMENT, str(error)) from None
        if request.dry_run:
            return machine_pb2.ApplyConfigurationResponse(messages=[machine_pb2.ApplyConfiguration(
                mode_details="Dry run summary:\nNode is running in maintenance mode and does not have a config yet.")])
        node.install_and_reboot(config)
        node.cluster.journal_event(node.address, "apply")  # before the install task first runs
        if not node.unified_api:
            return machine_pb2.ApplyConfigurationResponse(messages=[machine_pb2.ApplyConfiguration()])
        return machine_pb2.ApplyConfigurationResponse(messages=[machine_pb2.ApplyConfiguration(
            mode=_MODE.NO_REBOOT, mode_details="Applied configuration without a reboot")])

    # ------------------------------------------------------------------ cluster

    async def Bootstrap(self, request: Any) -> Any:
        node = self.node
        loop = asyncio.get_running_loop()
        if loop.time() - node.booted_at < node.faults.cri_delay:
            raise fail(Status.FAILED_PRECONDITION, "bootstrap is not available yet")
        if node.config is None or not node.config.control_plane:
            if not node.unified_api:
                raise fail(Status.FAILED_PRECONDITION, "bootstrap can only be performed on a control plane node")
            self._control_plane_only("bootstrap")
        if node.faults.unsynced_bootstraps > 0:
            node.faults.unsynced_bootstraps -= 1
            raise fail(Status.FAILED_PRECONDITION, "time is not in sync yet")
        if node.etcd_data:
            raise fail(Status.ALREADY_EXISTS, "etcd data directory is not empty")
        if request.recover_etcd:
            # services/etcd.go BootstrapEtcd starts etcd in bootstrap mode and returns; its PreFunc restores
            # the uploaded snapshot (recoverFromSnapshot). A refused snapshot fails the etcd service, not this
            # call (service_runner.go: "failed to run pre stage: ..."), and a hash mismatch leaves the copied
            # database behind (etcdutl copyAndVerifyDB copies before it checks).
            try:
                data = etcd.restore(node.recovery_snapshot, request.recover_skip_hash_check)
            except etcd.RestoreFailed as error:
                node.etcd_data = error.data_written
                node.etcd_failure = f"Failed to run pre stage: {error}"
                return machine_pb2.BootstrapResponse(messages=[machine_pb2.Bootstrap()])
            node.recovery_snapshot = None  # recoverFromSnapshot removes it once restored
            node.cluster.bootstrap_etcd(node, data)
            node.cluster.journal_event(node.address, "etcd-restore")
        else:
            node.cluster.bootstrap_etcd(node)
        return machine_pb2.BootstrapResponse(messages=[machine_pb2.Bootstrap()])

    async def EtcdSnapshot(self, request: Any) -> list[Any]:
        """v1alpha1_server.go EtcdSnapshot: control planes only; the local member's database streamed in the
        1 KiB chunks of pkg/chunker/stream (its default Size). Without a running member the etcd client waits
        for one (clientv3 calls wait for ready) until the caller gives up: so does this."""
        self._control_plane_only("etcd snapshot")
        data = self.node.cluster.etcd_data_of(self.node)
        if data is None or self.node.etcd_failure:
            await asyncio.Event().wait()
        assert data is not None
        snapshot = etcd.encode(data)
        self.node.cluster.journal_event(self.node.address, "etcd-snapshot")
        return [common_pb2.Data(bytes=snapshot[offset:offset + SNAPSHOT_CHUNK])
                for offset in range(0, len(snapshot), SNAPSHOT_CHUNK)]

    async def EtcdRecover(self, request: Any) -> Any:
        """v1alpha1_server.go EtcdRecover: /var/lib must exist (EPHEMERAL mounted), control planes only; the
        upload replaces /var/lib/etcd.snapshot. `request` is every message the client streamed."""
        if self.node.maintenance or self.node.config is None:
            raise fail(Status.FAILED_PRECONDITION, "etcd service is not ready for recovery yet")
        self._control_plane_only("etcd recover")
        self.node.recovery_snapshot = b"".join(message.bytes for message in request)
        return machine_pb2.EtcdRecoverResponse(messages=[machine_pb2.EtcdRecover()])

    async def Kubeconfig(self, request: Any) -> list[Any]:
        self._control_plane_only("kubeconfig")
        config = self.node.config
        assert config is not None
        bundle = SecretsBundle.from_controlplane_config(config.text.decode(), "received config")
        text = admin_kubeconfig(bundle, config.cluster_name, config.control_plane_endpoint)
        return [common_pb2.Data(bytes=single_file_archive("kubeconfig", text.encode()))]

    async def EtcdMemberList(self, request: Any) -> Any:
        self._control_plane_only("member list")
        members = [machine_pb2.EtcdMember(id=m.id, hostname=m.hostname, peer_urls=[f"https://{m.address}:2380"],
                                          client_urls=[f"https://{m.address}:2379"])
                   for m in self.node.cluster.etcd_members(self.node)]
        return machine_pb2.EtcdMemberListResponse(messages=[machine_pb2.EtcdMembers(members=members)])

    async def EtcdRemoveMemberByID(self, request: Any) -> Any:
        self._control_plane_only("etcd remove member")
        if (refused := self.node.cluster.etcd_may_remove(self.node, request.member_id)) is not None:
            raise fail(Status.UNKNOWN, f"failed to remove member: {refused}")
        if not self.node.cluster.remove_etcd_member(self.node, request.member_id):
            raise fail(Status.NOT_FOUND, "etcdserver: member not found")
        return machine_pb2.EtcdRemoveMemberByIDResponse(messages=[machine_pb2.EtcdRemoveMemberByID()])

    async def EtcdLeaveCluster(self, request: Any) -> Any:
        self._control_plane_only("etcd leave")
        member_id = self.node.etcd_member_id
        if member_id is not None and (refused := self.node.cluster.etcd_may_remove(self.node, member_id)):
            raise fail(Status.UNKNOWN, f"failed to leave cluster: {refused}")
        self.node.cluster.leave_etcd(self.node)
        return machine_pb2.EtcdLeaveClusterResponse(messages=[machine_pb2.EtcdLeaveCluster()])

    # ------------------------------------------------------------------ machine

    async def Version(self, request: Any) -> Any:
        node = self.node
        message = machine_pb2.Version(version=machine_pb2.VersionInfo(tag=node.version, os="linux", arch=node.arch),
                                      platform=machine_pb2.PlatformInfo(name="metal", mode="metal"))
        if not node.maintenance:
            message.features.rbac = True
        return machine_pb2.VersionResponse(messages=[message])

    async def Hostname(self, request: Any) -> Any:
        return machine_pb2.HostnameResponse(messages=[machine_pb2.Hostname(hostname=self.node.hostname)])

    async def ServiceList(self, request: Any) -> Any:
        node = self.node
        ids = ["apid", "machined", "udevd"]
        if not node.maintenance and node.config is not None:
            ids += ["containerd", "cri", "kubelet"]
            if node.config.control_plane:
                ids += ["etcd", "trustd"]
        infos = []
        # Every service Talos runs has events (internal/app/machined/pkg/system/service_runner.go); the last one's
        # ts is talosctl's LAST CHANGE. Here: the node's boot, by its own clock.
        since = Timestamp()
        since.FromDatetime(node.booted_clock or node.now())
        for service in sorted(ids):
            if service == "etcd" and node.etcd_failure:
                infos.append(machine_pb2.ServiceInfo(
                    id=service, state="Failed", health=machine_pb2.ServiceHealth(healthy=False),
                    events=machine_pb2.ServiceEvents(events=[machine_pb2.ServiceEvent(msg=node.etcd_failure,
                                                                                      state="Failed")])))
                continue
            running = service != "etcd" or node.etcd_member_id is not None
            event = machine_pb2.ServiceEvent(msg="Health check successful" if running else "Waiting for bootstrap",
                                             state="Running" if running else "Preparing", ts=since)
            infos.append(machine_pb2.ServiceInfo(
                id=service, state="Running" if running else "Preparing",
                events=machine_pb2.ServiceEvents(events=[event]),
                health=machine_pb2.ServiceHealth(healthy=running,
                                                 last_message="" if running else "waiting for bootstrap")))
        return machine_pb2.ServiceListResponse(messages=[machine_pb2.ServiceList(services=infos)])

    async def Disks(self, request: Any) -> Any:
        disk = storage_pb2.Disk(size=10 * 1024**3, model="QEMU HARDDISK", device_name="/dev/sda", name="sda",
                                type=storage_pb2.Disk.HDD, system_disk=self.node.installed)
        return storage_pb2.DisksResponse(messages=[storage_pb2.Disks(disks=[disk])])

    async def Reboot(self, request: Any) -> Any:
        self.node.reboot()
        return machine_pb2.RebootResponse(messages=[machine_pb2.Reboot(actor_id=str(uuid.uuid4()))])

    async def Reset(self, request: Any) -> Any:
        """v1alpha1_server.go Reset: the input checks, then each label's volume looked up (from v1.14 a
        volume living inside another, as ETCD inside EPHEMERAL, only with it); no label: the whole disk."""
        if request.mode == machine_pb2.ResetRequest.SYSTEM_DISK and request.user_disks_to_wipe:
            raise fail(Status.UNKNOWN, "reset failed: invalid input, wipe mode SYSTEM_DISK doesn't support "
                                       "UserDisksToWipe parameter")
        if request.mode == machine_pb2.ResetRequest.USER_DISKS and request.system_partitions_to_wipe:
            raise fail(Status.UNKNOWN, "reset failed: invalid input, wipe mode USER_DISKS doesn't support "
                                       "SystemPartitionsToWipe parameter")
        wiped = tuple(spec.label for spec in request.system_partitions_to_wipe if spec.wipe)
        nested = contract_of(self.node.version).greater(1, 13)
        for spec in request.system_partitions_to_wipe:
            if nested and spec.label == "ETCD":
                if "EPHEMERAL" not in wiped:
                    raise fail(Status.UNKNOWN, 'failed to reset: volume "ETCD" resides on volume "EPHEMERAL", '
                                               'and therefore "ETCD" cannot be wiped without wiping "EPHEMERAL"')
            elif spec.label not in ("STATE", "EPHEMERAL", "META"):
                raise fail(Status.UNKNOWN, f"failed to get volume status with label {spec.label!r}")
        if request.graceful:
            self.node.cluster.kubernetes.cordon_and_drain(self.node)
        labels = tuple(label for label in wiped if label != "ETCD") if request.system_partitions_to_wipe else None
        self.node.reset(reboot=request.reboot, graceful=request.graceful, labels=labels)
        return machine_pb2.ResetResponse(messages=[machine_pb2.Reset(actor_id=str(uuid.uuid4()))])

    def _upgrade_to(self, image: str) -> None:
        node = self.node
        if not node.installed:
            raise fail(Status.FAILED_PRECONDITION, "Talos is not installed")
        tag = image.rsplit(":", 1)[-1] if ":" in image.rsplit("/", 1)[-1] else node.version
        contract_of(tag, "upgrade image")
        node.pending_version = tag
        node.cluster.journal_event(node.address, "upgrade")
        node.cluster.kubernetes.cordon_and_drain(node)
        node.reboot()

    async def Upgrade(self, request: Any) -> Any:
        self._upgrade_to(request.image)
        return machine_pb2.UpgradeResponse(messages=[machine_pb2.Upgrade(ack="Upgrade request received",
                                                                         actor_id=str(uuid.uuid4()))])

    async def LifecycleUpgrade(self, request: Any) -> list[Any]:
        image = request.source.image_name
        self._upgrade_to(image)
        progress = lifecycle_pb2.LifecycleServiceInstallProgress
        return [lifecycle_pb2.LifecycleServiceUpgradeResponse(progress=progress(message=f"pulling {image}")),
                lifecycle_pb2.LifecycleServiceUpgradeResponse(progress=progress(message="upgrade complete")),
                lifecycle_pb2.LifecycleServiceUpgradeResponse(progress=progress(exit_code=0))]

    # ------------------------------------------------------------------ COSI

    def _resources(self, namespace: str, type_: str) -> list[tuple[str, Any]]:
        extra = node_resources.served(self.node, type_)
        if extra is not None:
            if namespace != node_resources.NAMESPACES[type_]:
                raise fail(Status.PERMISSION_DENIED, f'namespace "{namespace}" is not supported')
            return extra
        expected = RESOURCE_NAMESPACES.get(type_)
        if expected is None:
            raise fail(Status.PERMISSION_DENIED, f'resource type "{type_}" is not supported')
        if namespace != expected:
            raise fail(Status.PERMISSION_DENIED, f'namespace "{namespace}" is not supported')
        return self.node.cluster.resources(self.node, type_)

    @staticmethod
    def _resource(namespace: str, type_: str, id_: str, spec: Any) -> Any:
        return resource_pb2.Resource(
            metadata=resource_pb2.Metadata(namespace=namespace, type=type_, id=id_, version="1", phase="running"),
            spec=resource_pb2.Spec(yaml_spec=yamlio.dump(spec)))

    async def Get(self, request: Any) -> Any:
        for id_, spec in self._resources(request.namespace, request.type):
            if id_ == request.id:
                return state_pb2.GetResponse(resource=self._resource(request.namespace, request.type, id_, spec))
        raise fail(Status.NOT_FOUND, f"resource {request.type}({request.namespace}/{request.id}@undefined) "
                                     "doesn't exist")

    async def List(self, request: Any) -> list[Any]:
        return [state_pb2.ListResponse(resource=self._resource(request.namespace, request.type, id_, spec))
                for id_, spec in self._resources(request.namespace, request.type)]
