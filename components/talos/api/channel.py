"""grpclib's Channel, hardened against the node at the other end.

- **Every connection is verified before a byte of HTTP/2 goes on it.** grpclib dials in
  `Channel.__connect__` whenever its connection is gone (a reset, a GOAWAY), in the middle of a call and
  without telling the caller. The check therefore sits in the protocol's `connection_made`, which asyncio
  calls once per TLS connection right after the handshake and before the protocol writes the HTTP/2
  preface: a connection whose certificate fails it is aborted there, and the dial raises `PeerRefused`. This
  is what talosctl gets from Go's `tls.Config.VerifyConnection` (siderolabs/talos pkg/machinery/client/
  options.go WithMaintenanceMode → siderolabs/crypto x509.MatchSPKIFingerprints), run at every handshake.
  CA and address (SAN) checks of mutual TLS are the ssl context's own, also made at every handshake.
- **Every reply message is bounded before it is read** (`read_message`): grpclib's reader trusts the
  length prefix and would gather any declared size; here the prefix is checked against Talos's own limit
  first, then the flag, then the bytes are decoded into the expected type or refused, with grpc-go's words.
- **Hostile frames end the connection, not the program**: h2 raises more than its ProtocolError on some
  frames (a non-ASCII header value); those close the connection as grpclib closes it on protocol errors.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from typing import Any, cast

from google.protobuf.message import DecodeError
from grpclib.client import Channel, Handler, Stream
from grpclib.const import Cardinality, Status
from grpclib.metadata import Deadline, _Metadata
from grpclib.protocol import H2Protocol
from multidict import MultiDict

# siderolabs/talos pkg/machinery/constants GRPCMaxMessageSize: talosctl's MaxCallRecvMsgSize
# (pkg/machinery/client/connection.go) and apid's MaxRecvMsgSize (internal/app/apid/service.go).
MAX_MESSAGE_SIZE = 32 * 1024 * 1024
_PREFIX = 5  # gRPC length-prefixed message: compressed flag (1 byte), length (4 bytes, big-endian)

# A check of a fresh TLS connection: None when it may carry requests, else why not.
PeerCheck = Callable[[ssl.SSLObject | None], "str | None"]


class PeerRefused(Exception):
    """A connection's certificate failed this client's check; it was closed before any byte was sent."""


class ReplyRefused(Exception):
    """A reply this client will not read, worded as grpc-go words it, with the status talosctl would show."""

    def __init__(self, status: Status, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.transient = transient


def malformed(message: str) -> ReplyRefused:
    """A reply that breaks the gRPC wire format: as likely a glitch on the path as a hostile node, so retried."""
    return ReplyRefused(Status.INTERNAL, message, transient=True)


class _VerifiedH2Protocol(H2Protocol):
    """grpclib's protocol, with `check` run on the TLS connection before the HTTP/2 preface is written."""

    refusal: str | None = None

    def __init__(self, check: PeerCheck | None, *args: Any) -> None:
        super().__init__(*args)
        self._check = check
        self._transport: Any = None

    def connection_made(self, transport: Any) -> None:
        self._transport = transport
        if self._check is not None:
            self.refusal = self._check(transport.get_extra_info("ssl_object"))
            if self.refusal is not None:
                transport.abort()  # not a byte written: no preface, no SETTINGS, no request
                return
        super().connection_made(transport)

    def data_received(self, data: bytes) -> None:
        try:
            super().data_received(data)
        except Exception:  # whatever a peer's bytes make h2 raise ends this connection only
            self.processor.close("Protocol error")
            self._transport.abort()

    def connection_lost(self, exc: BaseException | None) -> None:
        if self.refusal is None:
            super().connection_lost(exc)


class BoundedStream(Stream[Any, Any]):
    """grpclib's client Stream whose messages are read by `read_message`, and whose header handling cannot
    raise anything but gRPC errors on hostile headers (grpclib indexes `:status`, base64-decodes `-bin`
    values, decodes status details, all unguarded)."""

    received_bytes = 0

    async def recv_initial_metadata(self) -> None:
        try:
            await super().recv_initial_metadata()
        except (KeyError, ValueError, TypeError, DecodeError) as error:
            raise malformed(f"malformed reply headers ({type(error).__name__})") from None

    async def recv_trailing_metadata(self) -> None:
        try:
            await super().recv_trailing_metadata()
        except (KeyError, ValueError, TypeError, DecodeError, AssertionError) as error:
            raise malformed(f"malformed reply trailers ({type(error).__name__})") from None

    async def recv_message(self) -> Any:
        if not self._recv_initial_metadata_done:
            await self.recv_initial_metadata()
        with self._wrapper:
            message, size = await read_message(self._stream, self._codec, self._recv_type)
            if message is None:
                # The stream ended. Trailers come before the end (h2 reports them first), so none by now means
                # none ever: grpc-go fails such a reply (http2_client.go) where grpclib would wait for them.
                if self._stream.trailers is None and not self._trailers_only:
                    raise malformed("server closed the stream without sending trailers")
                return None
            self.received_bytes += size
            message, = await self._dispatch.recv_message(message)
            self._messages_received += 1
            return message


async def _read(stream: Any, size: int) -> bytes:
    """`size` bytes of the HTTP/2 stream, b"" at its end; grpclib's buffer asserts when the stream ends early."""
    try:
        data: bytes = await stream.recv_data(size)
    except AssertionError:
        raise malformed("unexpected EOF: the reply ended inside a message") from None
    return data


async def read_message(stream: Any, codec: Any, reply_type: type[Any],
                       limit: int = MAX_MESSAGE_SIZE) -> tuple[Any, int]:
    """One length-prefixed message (and its size on the wire), or (None, 0) at the end of the stream. The
    length is checked against `limit` before a byte of the message is read, so memory never follows what a
    peer declares (HTTP/2 flow control keeps what it sends unasked within grpclib's 4 MiB window)."""
    prefix = await _read(stream, _PREFIX)
    if not prefix:
        return None, 0
    if len(prefix) < _PREFIX:
        raise malformed("unexpected EOF: the reply ended inside a message prefix")
    flag, length = prefix[0], int.from_bytes(prefix[1:], "big")
    # grpc-go rpc_util.go checkRecvPayload and recvAndDecompress: no compression is negotiated (talosctl
    # leaves it off), so a compressed message is an error, as is any other flag value.
    if flag == 1:
        raise malformed("grpc: compressed flag set with identity or empty encoding")
    if flag != 0:
        raise malformed(f"grpc: received unexpected payload format {flag}")
    if length > limit:
        raise ReplyRefused(Status.RESOURCE_EXHAUSTED,
                           f"grpc: received message larger than max ({length} vs. {limit})", transient=False)
    data = await _read(stream, length) if length else b""
    if len(data) < length:
        raise malformed("unexpected EOF: the reply ended inside a message")
    try:
        return codec.decode(data, reply_type), _PREFIX + length
    except (DecodeError, ValueError, RecursionError) as error:
        raise malformed(f"grpc: failed to unmarshal the received message: {type(error).__name__}") from None


class VerifiedChannel(Channel):
    """A Channel whose every connection passes `check` (see the module docstring) and whose calls read
    bounded messages. One channel talks to one endpoint."""

    def __init__(self, host: str, port: int, *, ssl: ssl.SSLContext, check: PeerCheck | None = None) -> None:
        super().__init__(host, port, ssl=ssl)
        self._check = check

    def _protocol_factory(self) -> H2Protocol:
        return _VerifiedH2Protocol(self._check, Handler(), self._config, self._h2_config)

    async def _create_connection(self) -> H2Protocol:
        protocol = await super()._create_connection()
        if isinstance(protocol, _VerifiedH2Protocol) and protocol.refusal is not None:
            raise PeerRefused(protocol.refusal)
        return protocol

    def bounded_request(self, name: str, cardinality: Cardinality, request_type: type[Any], reply_type: type[Any],
                        *, timeout: float, metadata: dict[str, str]) -> BoundedStream:
        """grpclib's Channel.request, making a BoundedStream (grpclib's own Stream is never used here)."""
        return BoundedStream(self, name, cast(_Metadata, MultiDict(metadata)), cardinality, request_type, reply_type,
                             codec=self._codec, status_details_codec=self._status_details_codec,
                             dispatch=self.__dispatch__, deadline=Deadline.from_timeout(timeout))
