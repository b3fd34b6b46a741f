"""A Talos API endpoint that answers as a hostile node would: HTTP/2 over TLS on h2 directly (grpclib's server
frames every message correctly, and these replies must not be), one `Reply` per call.

The gRPC wire format it breaks is the one grpc-go reads (grpc/grpc-go rpc_util.go recvMsg: a 1-byte
compressed flag, a 4-byte big-endian length, the message; status in the `grpc-status`/`grpc-message`
trailers, the message percent-encoded). Flow control is honoured as an HTTP/2 peer must (RFC 9113 §5.2), so
an endless or oversized reply is only as fast as the client lets it be: what it holds is what it asked for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import h2.config
import h2.connection
import h2.events
import h2.exceptions

from components.talos import pki
from components.talos.api.tls import server_context

from .background import BackgroundServer

GRPC_HEADERS: list[tuple[bytes, bytes]] = [(b":status", b"200"), (b"content-type", b"application/grpc")]


def frame(message: Any, *, flag: int = 0, length: int | None = None) -> bytes:
    """One gRPC length-prefixed message; `flag` and `length` may lie."""
    data = message if isinstance(message, bytes) else message.SerializeToString()
    return bytes([flag]) + (len(data) if length is None else length).to_bytes(4, "big") + data


def grpc_message(text: str) -> bytes:
    """grpc-message as gRPC percent-encodes it (PROTOCOL-HTTP2.md: bytes outside 0x20-0x7E, and '%')."""
    return "".join(chr(b) if 0x20 <= b <= 0x7E and b != 0x25 else f"%{b:02X}"
                   for b in text.encode()).encode()


@dataclass
class Reply:
    """What the node sends for one call, in order: `headers`, each of `data` as DATA, then `repeat` again and
    again (`repeat_bytes` in all; 0: until the client goes away), then `trailers` (grpc-status `status`)."""

    data: Sequence[bytes] = ()
    repeat: bytes = b""
    repeat_bytes: int = 0
    status: int = 0
    message: str = ""
    headers: list[tuple[bytes, bytes]] | None = None  # [] resets the stream instead of answering
    trailers: list[tuple[bytes, bytes]] | None = None
    stall: bool = False  # headers, then nothing ever again (the connection stays open)
    goaway: bool = False  # instead of answering: GOAWAY and close the connection

    def trailer_block(self) -> list[tuple[bytes, bytes]]:
        if self.trailers is not None:
            return self.trailers
        block = [(b"grpc-status", str(self.status).encode())]
        return [*block, (b"grpc-message", grpc_message(self.message))] if self.message else block


Responder = Callable[[str, bytes], Reply]  # (gRPC path, request message bytes) → what to send


@dataclass
class Tally:
    """What the server received: connections, decrypted bytes, and the path of every request."""

    connections: int = 0
    received_bytes: int = 0
    requests: list[str] = field(default_factory=list)


class _Gone(Exception):
    """The client reset the stream or left."""


class _Connection(asyncio.Protocol):
    def __init__(self, server: FakeTalosAPI) -> None:
        self.server = server
        config = h2.config.H2Configuration(client_side=False, header_encoding=None, validate_outbound_headers=False,
                                           normalize_outbound_headers=False, validate_inbound_headers=False)
        self.h2 = h2.connection.H2Connection(config=config)
        self.transport: asyncio.Transport | None = None
        self.paths: dict[int, str] = {}
        self.bodies: dict[int, bytes] = {}
        self.window = asyncio.Event()
        self.writable = asyncio.Event()
        self.writable.set()
        self.closed = False
        self.tasks: set[asyncio.Task[None]] = set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.server.tally.connections += 1
        self.h2.initiate_connection()
        self.flush()
        if self.server.goaway_connections > 0:
            self.server.goaway_connections -= 1
            asyncio.get_running_loop().call_soon(self.go_away)  # asyncio's TLS cannot close in connection_made

    def go_away(self) -> None:
        self.h2.close_connection()
        self.flush()
        if self.transport is not None:
            self.transport.close()

    def flush(self) -> None:
        if self.transport is not None and not self.closed and not self.transport.is_closing():
            self.transport.write(self.h2.data_to_send())

    def data_received(self, data: bytes) -> None:
        self.server.tally.received_bytes += len(data)
        try:
            events = self.h2.receive_data(data)
        except h2.exceptions.ProtocolError:
            self.connection_lost(None)
            return
        for event in events:
            if isinstance(event, h2.events.RequestReceived):
                headers = dict(event.headers or [])
                self.paths[event.stream_id] = headers.get(b":path", b"").decode("latin-1")
                self.bodies[event.stream_id] = b""
            elif isinstance(event, h2.events.DataReceived):
                self.bodies[event.stream_id] = self.bodies.get(event.stream_id, b"") + (event.data or b"")
                self.h2.acknowledge_received_data(event.flow_controlled_length or 0, event.stream_id or 0)
            elif isinstance(event, h2.events.StreamEnded) and event.stream_id in self.paths:
                path = self.paths[event.stream_id]
                self.server.tally.requests.append(path)
                task = asyncio.get_running_loop().create_task(
                    self.respond(event.stream_id or 0, path, self.bodies.pop(event.stream_id or 0, b"")[5:]))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)
            elif isinstance(event, (h2.events.WindowUpdated, h2.events.RemoteSettingsChanged,
                                    h2.events.StreamReset)):
                self.window.set()
        self.flush()

    def pause_writing(self) -> None:
        self.writable.clear()

    def resume_writing(self) -> None:
        self.writable.set()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.window.set()
        self.writable.set()
        if self.transport is not None:
            self.transport.abort()

    async def send(self, stream_id: int, data: bytes) -> None:
        view = memoryview(data)
        while view:
            if self.closed:
                raise _Gone
            try:
                window = min(self.h2.local_flow_control_window(stream_id), self.h2.max_outbound_frame_size)
            except h2.exceptions.StreamClosedError:
                raise _Gone from None
            if window <= 0:
                self.window.clear()
                await self.window.wait()
                continue
            self.h2.send_data(stream_id, bytes(view[:window]))
            view = view[window:]
            self.flush()
            await self.writable.wait()
            await asyncio.sleep(0)  # let the client's frames (a reset, a close) in between

    async def respond(self, stream_id: int, path: str, request: bytes) -> None:
        reply = self.server.respond(path, request)
        try:
            if reply.goaway:
                self.go_away()
                return
            headers = reply.headers if reply.headers is not None else GRPC_HEADERS
            if not headers:  # no answer at all: the stream is reset (RST_STREAM)
                self.h2.reset_stream(stream_id)
                self.flush()
                return
            self.h2.send_headers(stream_id, headers)
            self.flush()
            if reply.stall:
                return
            for chunk in reply.data:
                await self.send(stream_id, chunk)
            sent = 0
            repeat = reply.repeat * max(1, 65536 // max(1, len(reply.repeat)))  # whole frames, fewer writes
            while reply.repeat and (not reply.repeat_bytes or sent < reply.repeat_bytes):
                await self.send(stream_id, repeat)
                sent += len(repeat)
            if trailers := reply.trailer_block():
                self.h2.send_headers(stream_id, trailers, end_stream=True)
            else:
                self.h2.end_stream(stream_id)
            self.flush()
        except (_Gone, h2.exceptions.ProtocolError, h2.exceptions.StreamClosedError):
            return


class FakeTalosAPI(BackgroundServer):
    """Serves `respond` at address:port with `certificate` (no client certificate asked for: what a client
    sends is counted, never trusted). Use as a context manager; it runs on its own background loop."""

    def __init__(self, address: str, respond: Responder, *, certificate: pki.CertificateAndKey,
                 port: int = 50000, goaway_connections: int = 0) -> None:
        self.address, self.port = address, port
        self.respond = respond
        self.certificate = certificate
        self.goaway_connections = goaway_connections  # the first N connections get GOAWAY and a close
        self.tally = Tally()

    @property
    def endpoint(self) -> str:
        return f"{self.address}:{self.port}"

    async def _start(self) -> asyncio.Server:
        context = server_context(self.certificate.crt_pem, self.certificate.key_pem, None)
        loop = asyncio.get_running_loop()
        return await loop.create_server(lambda: _Connection(self), self.address, self.port, ssl=context)

