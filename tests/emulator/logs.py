"""Logs and Dmesg of an emulated node: Talos's request checks and chunk format; the lines themselves are the
emulator's own (the API calls the node served, its boot), since no real service runs here."""

from __future__ import annotations

import asyncio
import datetime
import time
from typing import Any

from grpclib.const import Status
from grpclib.exceptions import GRPCError

from components.talos.api.proto.common import common_pb2

from .node import EmulatedNode

SYSTEM_NAMESPACE = "system"  # constants.SystemContainerdNamespace
K8S_NAMESPACE = "k8s.io"  # constants.K8sContainerdNamespace
ROLES = {"Logs": {"os:admin", "os:operator", "os:reader"}, "Dmesg": {"os:admin", "os:operator", "os:reader"}}


def _wall(loop_time: float) -> datetime.datetime:
    """The emulator keeps event-loop times; logs print wall-clock times."""
    offset = time.time() - asyncio.get_running_loop().time()
    return datetime.datetime.fromtimestamp(loop_time + offset, datetime.UTC)


def _service_lines(node: EmulatedNode, service: str) -> list[str]:
    if service == "apid":
        return [f"{_wall(call.started).isoformat()} {call.path} {'OK' if call.ok else 'error'}"
                for call in node.cluster.calls if call.address == node.address]
    return [f"{_wall(node.booted_at).isoformat()} [talos] service[{service}]: Running"]


class LogsAPI:
    """Mixed into NodeAPI: `self.node` is the emulated node."""

    node: EmulatedNode

    async def Logs(self, request: Any) -> list[Any]:
        if request.follow:
            raise GRPCError(Status.UNIMPLEMENTED, "emulator: following logs is not modelled")
        # v1alpha1_server.go Logs: the system namespace (and kubelet) read the service log; the rest are
        # containers, looked up through containerd or CRI (none run here).
        if request.namespace == SYSTEM_NAMESPACE or request.id == "kubelet":
            lines = _service_lines(self.node, request.id)
        elif not request.namespace:
            raise GRPCError(Status.INVALID_ARGUMENT, "namespace can't be empty")
        elif request.driver == common_pb2.CRI and request.namespace != K8S_NAMESPACE:
            raise GRPCError(Status.INVALID_ARGUMENT, "CRI inspector is supported only for K8s namespace")
        else:
            raise GRPCError(Status.UNKNOWN, f'container "{request.id}" not found')
        if request.tail_lines >= 0:
            lines = lines[len(lines) - request.tail_lines:] if request.tail_lines else []
        return [common_pb2.Data(bytes="".join(f"{line}\n" for line in lines).encode())] if lines else []

    async def Dmesg(self, request: Any) -> list[Any]:
        if request.follow:
            raise GRPCError(Status.UNIMPLEMENTED, "emulator: following the kernel log is not modelled")
        node = self.node
        # v1alpha1_server.go Dmesg: "%s: %7s: [%s]: %s" facility, priority, RFC3339Nano timestamp, message
        stamp = _wall(node.booted_at).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        messages = [("kern", "info", f"Linux version 6.12 (talos {node.version}) booted on {node.address}")]
        if request.tail:
            return []
        return [common_pb2.Data(bytes=f"{facility}: {priority:>7}: [{stamp}]: {message}\n".encode())
                for facility, priority, message in messages]
