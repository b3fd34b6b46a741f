"""An asyncio client for one Talos API endpoint (apid, TCP 50000), over grpclib and Python's ssl.

One client dials one endpoint. Each call may route to another node through it: ``node`` (one-to-one, errors
stay gRPC errors) or ``nodes`` (apid's fan-out; per-node errors arrive inside the reply and are raised
here naming the node, as talosctl's FilterMessages does).
"""

from __future__ import annotations

import asyncio
import errno
import ssl
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import h2.exceptions
from grpclib.const import Cardinality, Status
from grpclib.exceptions import GRPCError, ProtocolError, StreamTerminatedError

from . import diagnose
from .channel import MAX_MESSAGE_SIZE, BoundedStream, PeerRefused, ReplyRefused, VerifiedChannel, malformed
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
# A collected stream (a COSI list, the kubeconfig, upgrade progress) holds at most MAX_MESSAGE_SIZE bytes in all
# unless its call asks for less, and this many messages (an empty message costs 5 bytes on the wire but a Python
# object here): far above any list a node serves (a cluster's members, its KubeSpan peers, its disks).
MAX_COLLECTED_MESSAGES = 16384
_FAILURES = (GRPCError, ReplyRefused, PeerRefused, TalosAPIError, ssl.SSLError, TimeoutError, OSError,
             StreamTerminatedError, ProtocolError, h2.exceptions.ProtocolError)
# An anonymous (--insecure) client refused: the node left maintenance mode, so it wants the talosconfig.
CONFIGURED_NODE_HINT = "drop --insecure and pass the cluster's talosconfig (--talosconfig)"


async def _collect(stream: BoundedStream, max_bytes: int) -> list[Any]:
    messages = []
    async for message in stream:
        messages.append(message)
        if stream.received_bytes > max_bytes or len(messages) > MAX_COLLECTED_MESSAGES:
            raise ReplyRefused(Status.RESOURCE_EXHAUSTED,
                               f"streamed reply longer than {max_bytes} bytes or {MAX_COLLECTED_MESSAGES} messages",
                               transient=False)
    return messages


def _status(code: int) -> Status:
    """A gRPC status code a node put in a reply; one grpc-go does not know reads as Unknown, as grpc-go reads it."""
    try:
        return Status(code)
    except ValueError:
        return Status.UNKNOWN


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
        self._channel: VerifiedChannel | None = None

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

    def _open(self) -> VerifiedChannel:
        if self._channel is None:
            context: ssl.SSLContext = (maintenance_client_context() if self.credentials is None
                                       else secure_client_context(self.credentials))
            self._channel = VerifiedChannel(self.host, self.port, ssl=context,
                                            check=self._pin_check if self._pins else None)
        return self._channel

    def _pin_check(self, ssl_object: ssl.SSLObject | None) -> str | None:
        """talosctl's --cert-fingerprint (siderolabs/talos pkg/machinery/client/options.go WithMaintenanceMode
        → siderolabs/crypto x509.MatchSPKIFingerprints): the leaf's SPKI fingerprint must be one of the pins.
        Run on every connection this client makes (channel.py), before anything is sent on it."""
        certificate = diagnose.peer_certificate(ssl_object)
        found = diagnose.spki_fingerprint(certificate) if certificate is not None else "none"
        if certificate is not None and diagnose.parse_fingerprint(found) in self._pins:
            return None
        return (f"leaf peer certificate {found} doesn't match the provided fingerprints: "
                f"[{' '.join(self._pins.values())}]")

    # ------------------------------------------------------------------ calls

    def _routing(self, method: Method, node: str | None) -> dict[str, str]:
        if node is None or self.insecure:  # maintenance apid serves locally and ignores routing
            return {}
        if self.fan_out and supports_fan_out(method):
            return {"nodes": node}
        return {"node": node}

    def _request(self, method: Method, node: str | None, timeout: float, *, cardinality: Cardinality | None = None,
                 single_node: bool = False) -> BoundedStream:
        """A stream on a verified connection (VerifiedChannel). `single_node` routes with `node` whatever the
        method, as talosctl's single-node commands do (BuildClientEnforceSingleNode)."""
        if cardinality is None:
            cardinality = Cardinality.UNARY_STREAM if method.streaming else Cardinality.UNARY_UNARY
        metadata = ({"node": node} if node else {}) if single_node else self._routing(method, node)
        return self._open().bounded_request(method.path, cardinality, method.request, method.reply,
                                            timeout=timeout, metadata=metadata)

    async def call(self, method: Method, request: Any, *, node: str | None = None,
                   max_bytes: int = MAX_MESSAGE_SIZE) -> Any:
        """Make one call; return the reply. A streaming call's messages are returned as a list, at most
        `max_bytes` and MAX_COLLECTED_MESSAGES messages in all (use `stream` to go through more)."""
        timeout = call_timeout(self.timeout)
        try:
            stream = self._request(method, node, timeout)
            async with stream:
                await stream.send_message(request, end=True)
                if method.streaming:
                    return await _collect(stream, max_bytes)
                # grpc-go stream.go (clientStreamWrapper.RecvMsg, csAttempt.recvMsg): a unary reply is one
                # message, then the end of the stream
                reply = await stream.recv_message()
                if reply is None:
                    await stream.recv_trailing_metadata()  # a node's error status, if it sent one
                    raise malformed("cardinality violation: received no response message from non-server-streaming "
                                    "RPC")
                if await stream.recv_message() is not None:
                    raise malformed("cardinality violation: expected <EOF> for non server-streaming RPCs, but "
                                    "received another message")
                return reply
        except _FAILURES as error:
            raise await self._failure(error, node or self.host, method, timeout) from None

    async def stream(self, method: Method, request: Any, *, node: str | None = None) -> AsyncGenerator[Any, None]:
        """A streaming call's messages one at a time, each bounded (channel.read_message) and none kept: for
        replies of any length (logs, dmesg, an etcd snapshot). Close it with contextlib.aclosing."""
        timeout = call_timeout(self.timeout)
        try:
            stream = self._request(method, node, timeout)
            async with stream:
                await stream.send_message(request, end=True)
                async for message in stream:
                    yield message
        except _FAILURES as error:
            raise await self._failure(error, node or self.host, method, timeout) from None

    async def download(self, method: Method, request: Any, write: Callable[[bytes], object], *, limit: int,
                       node: str | None = None, timeout: float | None = None) -> int:
        """A streamed common.Data reply handed to `write` chunk by chunk, never held whole; returns the byte
        count. A stream past `limit` bytes is cut off and refused; an error apid put into the stream is raised
        naming the node."""
        target = node or self.host
        timeout = call_timeout(timeout or self.timeout)
        received = 0
        try:
            stream = self._request(method, node, timeout, single_node=True)
            async with stream:  # leaving the stream early resets it (grpclib Stream.__aexit__)
                await stream.send_message(request, end=True)
                async for chunk in stream:
                    error = self.metadata_error(method, chunk.metadata, target)
                    if error is not None:
                        raise error
                    received += len(chunk.bytes)
                    if received > limit:
                        raise TalosAPIError(node=target, address=self.address, call=method.name,
                                            detail=f"the node sent more than {limit} bytes; refused")
                    write(chunk.bytes)
        except _FAILURES as error:
            raise await self._failure(error, target, method, timeout) from None
        return received

    async def upload(self, method: Method, chunks: AsyncIterator[bytes] | Iterator[bytes], *,
                     node: str | None = None, timeout: float | None = None) -> Any:
        """A client-streamed call (EtcdRecover): each chunk sent as common.Data as it is read; the node's
        one reply is returned, a per-node error in it raised naming the node."""
        target = node or self.host
        timeout = call_timeout(timeout or self.timeout)
        try:
            stream = self._request(method, node, timeout, cardinality=Cardinality.STREAM_UNARY, single_node=True)
            async with stream:
                if isinstance(chunks, AsyncIterator):
                    async for data in chunks:
                        await stream.send_message(common_pb2.Data(bytes=data))
                else:
                    for data in chunks:
                        await stream.send_message(common_pb2.Data(bytes=data))
                await stream.end()
                reply = await stream.recv_message()
        except _FAILURES as error:
            raise await self._failure(error, target, method, timeout) from None
        for message in reply.messages if reply is not None else []:
            refused = self.metadata_error(method, message.metadata, target)
            if refused is not None:
                raise refused
        return reply

    async def _failure(self, error: Exception, target: str, method: Method, timeout: float) -> TalosAPIError:
        """The TalosAPIError a failed call raises: what went wrong, in words a user can act on."""
        if isinstance(error, TalosAPIError):
            return error
        if isinstance(error, GRPCError):
            return self._status_error(target, method, error.status, error.message or "")
        if isinstance(error, ReplyRefused):
            return TalosAPIError(node=target, address=self.address, call=method.name, status=error.status,
                                 detail=error.message, transient=error.transient)
        if isinstance(error, PeerRefused):
            self.close()
            return self._pin_error(target, method, error)
        if isinstance(error, ssl.SSLCertVerificationError):
            self.close()
            return await self._verification_error(target, method, error, timeout)
        if isinstance(error, ssl.SSLError):
            self.close()
            return self._tls_error(target, method, error.reason or str(error))
        self.close()
        detail = str(error) or type(error).__name__
        if isinstance(error, TimeoutError):
            detail = f"no answer within {timeout:.2g}s"
        connected = isinstance(error, (StreamTerminatedError, ProtocolError, h2.exceptions.ProtocolError)) or (
            isinstance(error, OSError) and error.errno in (errno.ECONNRESET, errno.EPIPE))
        try:
            refusal = await self._refusal(call_timeout(timeout)) if connected else None
        except PeerRefused as refused:
            return self._pin_error(target, method, refused)
        except ssl.SSLCertVerificationError as failed:  # what answers now is not what this client trusts
            return await self._verification_error(target, method, failed, timeout)
        if refusal:
            return self._tls_error(target, method, refusal)
        if refusal == "":
            return TalosAPIError(node=target, address=self.address, call=method.name, detail=self._refusal_detail(),
                                 hint=CONFIGURED_NODE_HINT if self.insecure else CLIENT_REFUSED_HINT)
        return TalosAPIError(node=target, address=self.address, call=method.name,
                             detail=f"connection failed: {detail}", hint=unreachable_hint(self.host),
                             transient=True, connected=connected)

    def _pin_error(self, target: str, method: Method, refused: PeerRefused) -> TalosAPIError:
        return TalosAPIError(node=target, address=self.address, call=method.name, hint=FINGERPRINT_HINT,
                             detail=str(refused))

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
        except ssl.SSLCertVerificationError:
            raise  # this client refused the node, not the other way round
        except ssl.SSLError as error:
            return error.reason or str(error)
        except (OSError, TimeoutError):
            return None
        if self._pins and (refused := self._pin_check(writer.get_extra_info("ssl_object"))) is not None:
            writer.close()  # another machine answers now: it gets nothing, not even the HTTP/2 preface
            raise PeerRefused(refused)
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
            return self._status_error(hostname, method, _status(metadata.status.code),
                                      metadata.status.message or metadata.error)
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
