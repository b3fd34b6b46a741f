"""An asyncio client for one Talos API endpoint (apid, TCP 50000), over grpclib and Python's ssl.

One client dials one endpoint. Each call may route to another node through it: ``node`` (one-to-one, errors
stay gRPC errors) or ``nodes`` (apid's fan-out; per-node errors arrive inside the reply and are raised
here naming the node, as talosctl's FilterMessages does).
"""

from __future__ import annotations

import asyncio
import errno
import ssl
from dataclasses import dataclass
from typing import Any

import h2.exceptions
from grpclib.client import Channel, UnaryStreamMethod, UnaryUnaryMethod
from grpclib.const import Status
from grpclib.exceptions import GRPCError, ProtocolError, StreamTerminatedError

from .errors import (
    CLIENT_REFUSED_HINT,
    TALOS_API_PORT,
    WRONG_CLUSTER_HINT,
    TalosAPIError,
    hint_for_status,
    status_is_transient,
    unreachable_hint,
)
from .methods import Method, supports_fan_out
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
    """Calls against one endpoint. `credentials=None` is maintenance mode (talosctl's ``--insecure``)."""

    def __init__(self, endpoint: str, credentials: Credentials | None, *, port: int = TALOS_API_PORT,
                 timeout: float = DEFAULT_CALL_TIMEOUT, fan_out: bool = False) -> None:
        self.endpoint = endpoint
        self.host, self.port = split_endpoint(endpoint, port)
        self.credentials = credentials
        self.timeout = timeout
        self.fan_out = fan_out
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
        try:
            channel = self._open()
            if method.streaming:
                stream_method: UnaryStreamMethod[Any, Any] = UnaryStreamMethod(
                    channel, method.path, method.request, method.reply)
                return await stream_method(request, timeout=self.timeout, metadata=metadata)
            unary: UnaryUnaryMethod[Any, Any] = UnaryUnaryMethod(channel, method.path, method.request, method.reply)
            return await unary(request, timeout=self.timeout, metadata=metadata)
        except GRPCError as error:
            raise self._status_error(target, method, error.status, error.message or "") from None
        except ssl.SSLCertVerificationError as error:
            self.close()
            raise TalosAPIError(node=target, address=self.address, call=method.name,
                                detail=f"TLS verification failed: {error.verify_message}",
                                hint=WRONG_CLUSTER_HINT) from None
        except ssl.SSLError as error:
            self.close()
            raise self._tls_error(target, method, error) from None
        except (TimeoutError, OSError, StreamTerminatedError, ProtocolError, h2.exceptions.ProtocolError) as error:
            self.close()
            detail = str(error) or type(error).__name__
            if isinstance(error, TimeoutError):
                detail = f"no answer within {self.timeout:g}s"
            connected = isinstance(error, (StreamTerminatedError, ProtocolError, h2.exceptions.ProtocolError)) or (
                isinstance(error, OSError) and error.errno in (errno.ECONNRESET, errno.EPIPE))
            if connected and await self._refuses_client():
                raise TalosAPIError(node=target, address=self.address, call=method.name,
                                    detail=self._refusal_detail(),
                                    hint=CONFIGURED_NODE_HINT if self.insecure else CLIENT_REFUSED_HINT) from None
            raise TalosAPIError(node=target, address=self.address, call=method.name,
                                detail=f"connection failed: {detail}", hint=unreachable_hint(self.host),
                                transient=True, connected=connected) from None

    def _refusal_detail(self) -> str:
        if self.insecure:
            return ("the node closed the connection after the TLS handshake: it is configured and requires a "
                    "client certificate (it is not in maintenance mode)")
        return "the node closed the connection after the TLS handshake: it did not accept the client certificate"

    async def _refuses_client(self) -> bool:
        """A lost connection, diagnosed: a node that completes the handshake and then drops a fresh connection
        at the first read is refusing the client's certificate (Talos sends a TLS alert and closes)."""
        context = maintenance_client_context() if self.credentials is None else secure_client_context(
            self.credentials)
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port, ssl=context),
                                                    self.timeout)
        except (OSError, TimeoutError):
            return False
        try:
            writer.write(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")  # the HTTP/2 preface; apid answers with SETTINGS
            return not await asyncio.wait_for(reader.read(9), self.timeout)
        except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
            return True
        except (OSError, TimeoutError):
            return False
        finally:
            writer.close()

    def _status_error(self, node: str, method: Method, status: Status, message: str) -> TalosAPIError:
        return TalosAPIError(node=node, address=self.address, call=method.name, detail=message, status=status,
                             hint=hint_for_status(status), transient=status_is_transient(status, message))

    def _tls_error(self, node: str, method: Method, error: ssl.SSLError) -> TalosAPIError:
        reason = error.reason or str(error)
        refused = any(alert in reason for alert in ("BAD_CERTIFICATE", "CERTIFICATE_REQUIRED", "UNKNOWN_CA"))
        return TalosAPIError(node=node, address=self.address, call=method.name, detail=f"TLS: {reason}",
                             hint=CLIENT_REFUSED_HINT if refused else unreachable_hint(self.host),
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
