"""apid of an emulated node: TLS roles, `node`/`nodes` routing, fan-out replies, faults, and the call log."""

from __future__ import annotations

import asyncio
from typing import Any

from google.rpc import status_pb2
from grpclib.const import Cardinality, Handler, Status
from grpclib.exceptions import GRPCError
from grpclib.server import Stream

from components.talos.api import methods
from components.talos.api.methods import Method, supports_fan_out
from components.talos.api.proto.common import common_pb2

from .api import NodeAPI
from .node import CallRecord, EmulatedNode, peer_organizations

_HANDLER_NAMES = {methods.LIFECYCLE_UPGRADE.path: "LifecycleUpgrade"}


def _name(method: Method) -> str:
    return _HANDLER_NAMES.get(method.path, method.name)


class Apid:
    """The grpclib service object: every method of the API subset, served through one routing function."""

    def __init__(self, node: EmulatedNode) -> None:
        self.node = node

    def __mapping__(self) -> dict[str, Handler]:
        mapping = {}
        for method in methods.ALL:
            cardinality = Cardinality.STREAM_UNARY if method.uploads else \
                Cardinality.UNARY_STREAM if method.streaming else Cardinality.UNARY_UNARY
            mapping[method.path] = Handler(self._handler(method), cardinality, method.request, method.reply)
        return mapping

    def _handler(self, method: Method) -> Any:
        async def handle(stream: Stream[Any, Any]) -> None:
            # an upload is read whole before it is routed: the emulator keeps snapshots in memory anyway
            request = [message async for message in stream] if method.uploads else await stream.recv_message()
            node = self.node
            if node.faults.drop_calls > 0:
                node.faults.drop_calls -= 1
                stream.peer._transport.abort()  # the connection dies mid-call, as when a node reboots
                return
            roles = self._roles(stream)
            reply = await self._route(method, request, roles, stream.metadata or {})
            for message in reply if method.streaming else [reply]:
                await stream.send_message(message)

        return handle

    def _roles(self, stream: Stream[Any, Any]) -> set[str]:
        if self.node.maintenance:
            return {"os:reader"}  # anonymous clients get the reader role in maintenance mode
        return peer_organizations(stream.peer.cert())

    async def _route(self, method: Method, request: Any, roles: set[str], metadata: Any) -> Any:
        node = self.node
        single = metadata.getall("node", []) if hasattr(metadata, "getall") else []
        many = [t.strip() for value in (metadata.getall("nodes", []) if hasattr(metadata, "getall") else [])
                for t in value.split(",") if t.strip()]
        if node.maintenance:  # maintenance mode never routes
            single, many = [], []
        if len(single) > 1:
            raise GRPCError(Status.INVALID_ARGUMENT, "node metadata must be single-valued")
        if single:
            return await self._forward(method, single[0], request, roles)
        if many:
            if not supports_fan_out(method):
                raise GRPCError(Status.INVALID_ARGUMENT,
                                f"one-2-many proxying is not supported for method {method.path}")
            return await self._fan_out(method, many, request, roles)
        return await self.serve_local(method, request, roles)

    async def serve_local(self, method: Method, request: Any, roles: set[str]) -> Any:
        node = self.node
        started = asyncio.get_running_loop().time()
        ok = False
        try:
            if node.faults.latency:
                await asyncio.sleep(node.faults.latency)
            reply = await NodeAPI(node).serve(_name(method), request, roles)
            ok = True
            return reply
        finally:
            ended = asyncio.get_running_loop().time()
            node.cluster.record(CallRecord(node.address, method.name, method.path, started, ended, ok))

    async def _forward(self, method: Method, target: str, request: Any, roles: set[str]) -> Any:
        node = self.node
        if target in (node.address, node.hostname):
            return await self.serve_local(method, request, roles)
        if node.config is None or not node.config.control_plane:
            raise GRPCError(Status.PERMISSION_DENIED, "no request forwarding")  # workers hold no client certificate
        other = node.cluster.find(target)
        if other is None or not other.listening or other.config is None \
                or other.cluster_key != node.cluster_key:
            raise GRPCError(Status.UNAVAILABLE, f'connection error: desc = "transport: Error while dialing: dial tcp '
                                                f'{target}:50000: connect: connection refused"')
        return await Apid(other).serve_local(method, request, roles)

    async def _fan_out(self, method: Method, targets: list[str], request: Any, roles: set[str]) -> Any:
        replies = await asyncio.gather(*(self._one_of_many(method, target, request, roles) for target in targets))
        if method.streaming:
            return [message for reply in replies for message in reply]
        merged = method.reply()
        for reply in replies:
            merged.messages.extend(reply.messages)
        return merged

    async def _one_of_many(self, method: Method, target: str, request: Any, roles: set[str]) -> Any:
        """One backend of a fan-out: its reply tagged with the target, or its error as an OK entry."""
        try:
            reply = await self._forward(method, target, request, roles)
        except GRPCError as error:
            metadata = common_pb2.Metadata(
                hostname=target, error=f"rpc error: code = {_go_code(error.status)} desc = {error.message}",
                status=status_pb2.Status(code=error.status.value, message=error.message or ""))
            if method.streaming:
                return [common_pb2.Data(metadata=metadata)]
            failed = method.reply()
            failed.messages.add().metadata.CopyFrom(metadata)
            return failed
        if method.streaming:
            for message in reply:
                message.metadata.hostname = target
            return reply
        for message in reply.messages:
            message.metadata.hostname = target
        return reply


def _go_code(status: Status) -> str:
    """grpc-go's spelling of a code in error strings (AlreadyExists, FailedPrecondition, …)."""
    return "".join(part.capitalize() for part in status.name.split("_"))
