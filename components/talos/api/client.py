"""An asyncio client for one Talos API endpoint (apid, TCP 50000), over grpclib and Python's ssl.

One client dials one endpoint. Each call may route to another node through it: ``node`` (one-to-one, errors
stay gRPC errors) or ``nodes`` (apid's fan-out; per-node errors arrive inside the reply and are raised
here naming the node, as talosctl's FilterMessages does).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ssl
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import h2.exceptions
from grpclib.client import Channel, UnaryStreamMethod, UnaryUnaryMethod
from grpclib.const import Cardinality, Status
from grpclib.exceptions import GRPCError, ProtocolError, StreamTerminatedError

from . import diagnose
from .errors import (
    CLIENT_REFUSED_HINT,
    FINGERPRINT_HINT,
    MAINTENANCE_DETAIL,
    MAINTENANCE_HINT,
    TALOS_API_PORT,
    WRONG_CLUSTER_HINT,
    TalosAPIError,
    hint_for_status,
    status_is_transient,
    unreachable_hint,
)
from .methods import Method, supports_fan_out
from .proto.common import common_pb2
from .retry import call_timeout
from .tls import Credentials, maintenance_client_context, secure_client_context

DEFAULT_CALL_TIMEOUT = 30.0
MAX_MESSAGE_SIZE = 32 * 1024 * 1024  # constants.GRPCMaxMessageSize
# An anonymous (--insecure) client refused: the node left maintenance mode, so it wants the talosconfig.
CONFIGURED_NODE_HINT = "drop --insecure and pass the cluster's talosconfig (--talosconfig)"


def split_endpoint(endpoint: str, default_port: int = TALOS_API_PORT) -> tuple[str, int]:
    """``10.0.0.1``, ``10.0.0.1:50000``, ``[fd00::1]:50000`` or ``fd00::1`` → (host, port)."""
    if endpoint.startswith("["):
        host, _, rest = endpoint[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else default_port
    if endpoint.count(":") == 1:
        host, port = endpoint.split(":")
        return host, int(port)
    return endpoint, default_port


@dataclass(frozen=True)
class NodeReply:
    """One node's answer inside a (possibly fanned-out) reply."""

    node: str
    message: Any


class TalosClient:
    """Calls against one endpoint. `credentials=None` is maintenance mode (talosctl's ``--insecure``); there
    `cert_fingerprints` pins the node's certificate as talosctl's ``--cert-fingerprint`` does (SPKI SHA-256,
    base64): a node presenting any other certificate is refused before a request is sent.
    `timeout` bounds each call, and never reaches past the deadline of the operation it runs in."""

    def __init__(self, endpoint: str, credentials: Credentials | None, *, port: int = TALOS_API_PORT,
                 timeout: float = DEFAULT_CALL_TIMEOUT, fan_out: bool = False,
                 cert_fingerprints: Sequence[str] = ()) -> None:
        self.endpoint = endpoint
        self.host, self.port = split_endpoint(endpoint, port)
        self.credentials = credentials
        self.timeout = timeout
        self.fan_out = fan_out
        if cert_fingerprints and credentials is not None:
            raise ValueError("certificate fingerprints pin insecure (maintenance) connections only")
        self._pins = {diagnose.parse_fingerprint(text): text for text in cert_fingerprints}
        self._verified: object | None = None  # the pinned connection already checked
        self._channel: Channel | None = None

    @property
    def insecure(self) -> bool:
        return self.credentials is None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    async def __aenter__(self) -> TalosClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()
            self._channel = None

    def _open(self) -> Channel:
        if self._channel is None:
            context: ssl.SSLContext = (maintenance_client_context() if self.credentials is None
                                       else secure_client_context(self.credentials))
            self._channel = Channel(self.host, self.port, ssl=context)
        return self._channel

    # ------------------------------------------------------------------ calls

    def _routing(self, method: Method, node: str | None) -> dict[str, str]:
        if node is None or self.insecure:  # maintenance apid serves locally and ignores routing
            return {}
        if self.fan_out and supports_fan_out(method):
            return {"nodes": node}
        return {"node": node}

    async def call(self, method: Method, request: Any, *, node: str | None = None) -> Any:
        """Make one call; return the reply (a list of messages for streaming calls)."""
        target = node or self.host
        metadata = self._routing(method, node)
        timeout = call_timeout(self.timeout)
        async with self._failures(method, target, timeout):
            channel = await self._connected(method, target, timeout)
            if method.streaming:
                stream_method: UnaryStreamMethod[Any, Any] = UnaryStreamMethod(
                    channel, method.path, method.request, method.reply)
                return await stream_method(request, timeout=timeout, metadata=metadata)
            unary: UnaryUnaryMethod[Any, Any] = UnaryUnaryMethod(channel, method.path, method.request, method.reply)
            return await unary(request, timeout=timeout, metadata=metadata)

    async def download(self, method: Method, request: Any, write: Callable[[bytes], object], *, limit: int,
                       node: str | None = None, timeout: float | None = None) -> int:
        """A streamed common.Data reply handed to `write` chunk by chunk, never held whole; returns the byte
        count. A stream past `limit` bytes is cut off and refused; an error apid put into the stream is raised
        naming the node. Routed with `node`, as talosctl's single-node commands are (BuildClientEnforceSingleNode)."""
        target = node or self.host
        timeout = call_timeout(timeout or self.timeout)
        received = 0
        async with self._failures(method, target, timeout):
            channel = await self._connected(method, target, timeout)
            async with channel.request(method.path, Cardinality.UNARY_STREAM, method.request, method.reply,
                                       timeout=timeout, metadata={"node": node} if node else None) as stream:
                await stream.send_message(request, end=True)
                async for chunk in stream:
                    error = self.metadata_error(method, chunk.metadata, target)
                    if error is not None:
                        raise error
                    received += len(chunk.bytes)
                    if received > limit:  # leaving the stream resets it (grpclib Stream.__aexit__)
                        raise TalosAPIError(node=target, address=self.address, call=method.name,
                                            detail=f"the node sent more than {limit} bytes; refused")
                    write(chunk.bytes)
        return received

    async def upload(self, method: Method, chunks: AsyncIterator[bytes] | Iterator[bytes], *,
                     node: str | None = None, timeout: float | None = None) -> Any:
        """A client-streamed call (EtcdRecover): each chunk sent as common.Data as it is read; the node's
        one reply is returned, a per-node error in it raised naming the node."""
        target = node or self.host
        timeout = call_timeout(timeout or self.timeout)
        async with self._failures(method, target, timeout):
            channel = await self._connected(method, target, timeout)
            async with channel.request(method.path, Cardinality.STREAM_UNARY, method.request, method.reply,
                                       timeout=timeout, metadata={"node": node} if node else None) as stream:
                if isinstance(chunks, AsyncIterator):
                    async for data in chunks:
                        await stream.send_message(common_pb2.Data(bytes=data))
                else:
                    for data in chunks:
                        await stream.send_message(common_pb2.Data(bytes=data))
                await stream.end()
                reply = await stream.recv_message()
        for message in reply.messages if reply is not None else []:
            error = self.metadata_error(method, message.metadata, target)
            if error is not None:
                raise error
        return reply

    async def _connected(self, method: Method, target: str, timeout: float) -> Channel:
        """The channel, its pinned certificate checked (maintenance mode) before any request goes on it."""
        channel = self._open()
        if self._pins:
            await asyncio.wait_for(self._check_pin(channel, target, method), timeout)
        return channel

    @contextlib.asynccontextmanager
    async def _failures(self, method: Method, target: str, timeout: float) -> AsyncIterator[None]:
        """Every way a call fails, as one TalosAPIError naming the node, its address, the call and what to check."""
        try:
            yield
        except GRPCError as error:
            raise self._status_error(target, method, error.status, error.message or "") from None
        except ssl.SSLCertVerificationError as error:
            self.close()
            raise await self._verification_error(target, method, error, timeout) from None
        except ssl.SSLError as error:
            self.close()
            raise self._tls_error(target, method, error.reason or str(error)) from None
        except (TimeoutError, OSError, StreamTerminatedError, ProtocolError, h2.exceptions.ProtocolError) as error:
            self.close()
            detail = str(error) or type(error).__name__
            if isinstance(error, TimeoutError):
                detail = f"no answer within {timeout:.2g}s"
            connected = isinstance(error, (StreamTerminatedError, ProtocolError, h2.exceptions.ProtocolError)) or (
                isinstance(error, OSError) and error.errno in (errno.ECONNRESET, errno.EPIPE))
            refusal = await self._refusal(call_timeout(timeout)) if connected else None
            if refusal:
                raise self._tls_error(target, method, refusal) from None
            if refusal == "":
                raise TalosAPIError(node=target, address=self.address, call=method.name,
                                    detail=self._refusal_detail(),
                                    hint=CONFIGURED_NODE_HINT if self.insecure else CLIENT_REFUSED_HINT) from None
            raise TalosAPIError(node=target, address=self.address, call=method.name,
                                detail=f"connection failed: {detail}", hint=unreachable_hint(self.host),
                                transient=True, connected=connected) from None

    async def _check_pin(self, channel: Channel, target: str, method: Method) -> None:
        """talosctl's --cert-fingerprint (siderolabs/talos pkg/machinery/client/options.go WithMaintenanceMode
        → siderolabs/crypto x509.MatchSPKIFingerprints): the leaf's SPKI fingerprint must be one of the pins."""
        protocol = await channel.__connect__()
        connection = protocol.connection
        if connection is self._verified:
            return
        ssl_object = connection.get_peer()._transport.get_extra_info("ssl_object")
        certificate = diagnose.peer_certificate(ssl_object)
        found = diagnose.spki_fingerprint(certificate) if certificate is not None else "none"
        if certificate is None or diagnose.parse_fingerprint(found) not in self._pins:
            self.close()
            raise TalosAPIError(node=target, address=self.address, call=method.name, hint=FINGERPRINT_HINT,
                                detail=f"leaf peer certificate {found} doesn't match the provided fingerprints: "
                                       f"[{' '.join(self._pins.values())}]")
        self._verified = connection

    async def _verification_error(self, target: str, method: Method, error: ssl.SSLCertVerificationError,
                                  timeout: float) -> TalosAPIError:
        """This client refused the node's certificate: look at it (unverified) to say exactly why."""
        certificate = await diagnose.fetch_certificate(self.host, self.port, self.credentials, call_timeout(timeout))
        hint, transient = diagnose.server_hint(error.verify_code, self.host, certificate)
        if hint == WRONG_CLUSTER_HINT and await diagnose.serves_anonymous_clients(self.host, self.port,
                                                                                  call_timeout(timeout)):
            return TalosAPIError(node=target, address=self.address, call=method.name, detail=MAINTENANCE_DETAIL,
                                 hint=MAINTENANCE_HINT)
        return TalosAPIError(node=target, address=self.address, call=method.name,
                             detail=f"TLS verification failed: {error.verify_message}", hint=hint, transient=transient)

    def _refusal_detail(self) -> str:
        if self.insecure:
            return ("the node closed the connection after the TLS handshake: it is configured and requires a "
                    "client certificate (it is not in maintenance mode)")
        return "the node closed the connection after the TLS handshake: it did not accept the client certificate"

    async def _refusal(self, timeout: float) -> str | None:
        """A lost connection, diagnosed: a node that completes the handshake and then drops a fresh connection
        at the first read is refusing the client's certificate (Talos sends a TLS alert and closes). Returns
        the alert ("" when it closed without one), or None when the node does not refuse this client."""
        context = maintenance_client_context() if self.credentials is None else secure_client_context(
            self.credentials)
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port, ssl=context),
                                                    timeout)
        except ssl.SSLError as error:
            return error.reason or str(error)
        except (OSError, TimeoutError):
            return None
        try:
            writer.write(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")  # the HTTP/2 preface; apid answers with SETTINGS
            return None if await asyncio.wait_for(reader.read(9), timeout) else ""
        except ssl.SSLError as error:
            return error.reason or str(error)
        except (ConnectionResetError, BrokenPipeError):
            return ""
        except (OSError, TimeoutError):
            return None
        finally:
            writer.close()

    def _status_error(self, node: str, method: Method, status: Status, message: str) -> TalosAPIError:
        return TalosAPIError(node=node, address=self.address, call=method.name, detail=message, status=status,
                             hint=hint_for_status(status), transient=status_is_transient(status, message))

    def _tls_error(self, node: str, method: Method, reason: str) -> TalosAPIError:
        if diagnose.EXPIRED_ALERT in reason:  # by the node's clock: time errors heal when the clocks agree
            return TalosAPIError(node=node, address=self.address, call=method.name, detail=f"TLS: {reason}",
                                 hint=diagnose.client_expired_hint(self.credentials.crt if self.credentials else None),
                                 transient=True)
        refused = any(alert in reason for alert in diagnose.REFUSED_ALERTS)
        detail = f"TLS: {reason}"
        if refused and self.insecure:
            detail += ": the node is configured and requires a client certificate (it is not in maintenance mode)"
        hint = (CONFIGURED_NODE_HINT if self.insecure else CLIENT_REFUSED_HINT) if refused else \
            unreachable_hint(self.host)
        return TalosAPIError(node=node, address=self.address, call=method.name, detail=detail, hint=hint,
                             transient=not refused)

    def metadata_error(self, method: Method, metadata: Any, target: str) -> TalosAPIError | None:
        """The error apid put in a fanned-out reply's metadata (it is not a gRPC error), if any."""
        if not metadata.error:
            return None
        hostname = metadata.hostname or target
        if metadata.HasField("status"):
            return self._status_error(hostname, method, Status(metadata.status.code), metadata.status.message)
        return TalosAPIError(node=hostname, address=self.address, call=method.name, detail=metadata.error)

    async def each_node(self, method: Method, request: Any, *, node: str | None = None) -> list[NodeReply]:
        """A unary multi-response call, unwrapped: one NodeReply per node; per-node errors raised by node."""
        reply = await self.call(method, request, node=node)
        target = node or self.host
        answers: list[NodeReply] = []
        errors: list[TalosAPIError] = []
        for message in reply.messages:
            error = self.metadata_error(method, message.metadata, target)
            if error is not None:
                errors.append(error)
            else:
                answers.append(NodeReply(message.metadata.hostname or target, message))
        if errors:
            raise errors[0] if len(errors) == 1 else TalosAPIError(
                node=", ".join(error.node for error in errors), address=self.address, call=method.name,
                detail="; ".join(str(error) for error in errors))
        if not answers:
            raise TalosAPIError(node=target, address=self.address, call=method.name, detail="empty reply")
        return answers

    async def one(self, method: Method, request: Any, *, node: str | None = None) -> Any:
        """The single node's message of a multi-response call."""
        return (await self.each_node(method, request, node=node))[0].message
