"""The Talos API calls this project makes: gRPC path, message types, and whether the reply streams.

Paths are Talos's (``/machine.MachineService/ApplyConfiguration``); tests check every entry against the
service descriptors generated from the .proto files, so a typo cannot reach the wire.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.protobuf import empty_pb2

from .proto.common import common_pb2
from .proto.cosi import state_pb2
from .proto.machine import lifecycle_pb2, machine_pb2
from .proto.storage import storage_pb2


@dataclass(frozen=True)
class Method:
    path: str
    request: type[Any]
    reply: type[Any]
    streaming: bool = False  # the server streams its reply
    uploads: bool = False  # the client streams its request (EtcdRecover)

    @property
    def name(self) -> str:
        """The short name users know from talosctl errors, e.g. ``ApplyConfiguration``."""
        return self.path.rsplit("/", 1)[-1]

    @property
    def service(self) -> str:
        return self.path.split("/")[1]


def _machine(name: str, request: type[Any], reply: type[Any], streaming: bool = False, uploads: bool = False
             ) -> Method:
    return Method(f"/machine.MachineService/{name}", request, reply, streaming, uploads)


APPLY_CONFIGURATION = _machine("ApplyConfiguration", machine_pb2.ApplyConfigurationRequest,
                               machine_pb2.ApplyConfigurationResponse)
BOOTSTRAP = _machine("Bootstrap", machine_pb2.BootstrapRequest, machine_pb2.BootstrapResponse)
DMESG = _machine("Dmesg", machine_pb2.DmesgRequest, common_pb2.Data, streaming=True)
ETCD_LEAVE_CLUSTER = _machine("EtcdLeaveCluster", machine_pb2.EtcdLeaveClusterRequest,
                              machine_pb2.EtcdLeaveClusterResponse)
ETCD_RECOVER = _machine("EtcdRecover", common_pb2.Data, machine_pb2.EtcdRecoverResponse, uploads=True)
ETCD_SNAPSHOT = _machine("EtcdSnapshot", machine_pb2.EtcdSnapshotRequest, common_pb2.Data, streaming=True)
ETCD_MEMBER_LIST = _machine("EtcdMemberList", machine_pb2.EtcdMemberListRequest, machine_pb2.EtcdMemberListResponse)
ETCD_REMOVE_MEMBER_BY_ID = _machine("EtcdRemoveMemberByID", machine_pb2.EtcdRemoveMemberByIDRequest,
                                    machine_pb2.EtcdRemoveMemberByIDResponse)
HOSTNAME = _machine("Hostname", empty_pb2.Empty, machine_pb2.HostnameResponse)
KUBECONFIG = _machine("Kubeconfig", empty_pb2.Empty, common_pb2.Data, streaming=True)
LOGS = _machine("Logs", machine_pb2.LogsRequest, common_pb2.Data, streaming=True)
REBOOT = _machine("Reboot", machine_pb2.RebootRequest, machine_pb2.RebootResponse)
RESET = _machine("Reset", machine_pb2.ResetRequest, machine_pb2.ResetResponse)
SERVICE_LIST = _machine("ServiceList", empty_pb2.Empty, machine_pb2.ServiceListResponse)
UPGRADE = _machine("Upgrade", machine_pb2.UpgradeRequest, machine_pb2.UpgradeResponse)
VERSION = _machine("Version", empty_pb2.Empty, machine_pb2.VersionResponse)
LIFECYCLE_UPGRADE = Method("/machine.LifecycleService/Upgrade", lifecycle_pb2.LifecycleServiceUpgradeRequest,
                           lifecycle_pb2.LifecycleServiceUpgradeResponse, streaming=True)
DISKS = Method("/storage.StorageService/Disks", empty_pb2.Empty, storage_pb2.DisksResponse)
COSI_GET = Method("/cosi.resource.State/Get", state_pb2.GetRequest, state_pb2.GetResponse)
COSI_LIST = Method("/cosi.resource.State/List", state_pb2.ListRequest, state_pb2.ListResponse, streaming=True)

ALL = (APPLY_CONFIGURATION, BOOTSTRAP, ETCD_LEAVE_CLUSTER, ETCD_MEMBER_LIST, ETCD_RECOVER, ETCD_REMOVE_MEMBER_BY_ID,
       ETCD_SNAPSHOT, HOSTNAME,
       KUBECONFIG, REBOOT, RESET, SERVICE_LIST, UPGRADE, VERSION, LIFECYCLE_UPGRADE, DISKS, COSI_GET, COSI_LIST,
       LOGS, DMESG)

# Methods apid may fan out with `nodes` metadata; everything else (COSI) is routed with `node`.
FAN_OUT_PREFIXES = ("/machine.MachineService/", "/cluster.ClusterService/", "/inspect.InspectService/",
                    "/storage.StorageService/", "/time.TimeService/")


def supports_fan_out(method: Method) -> bool:
    return method.path.startswith(FAN_OUT_PREFIXES)
