"""A TCP relay an attacker on the path would run: the first connection reaches `first` (the real node, whose
certificate the client pinned), every later one reaches `then` (the attacker's server).

With `cut_first`, the first connection carries the TLS handshake only: the ClientHello to the real node, the
real node's flight back, and right behind it the end of the connection. The client finishes its handshake
with the real node (its certificate passes any check) and finds the connection gone before it sends a
request, so the request goes over a redial: to the attacker. The real node sees no request either.
"""

from __future__ import annotations

import asyncio
import socket
import struct

from .background import BackgroundServer

_RECORD_HEADER = 5  # TLS record: type (1), version (2), length (2)
FLIGHT_PAUSE = 0.05  # a TLS server writes its flight at once; a pause this long means it is all there


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST (SO_LINGER 0), as a middlebox or a crashed peer does."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class Relay(BackgroundServer):
    def __init__(self, address: str, port: int, first: tuple[str, int], then: tuple[str, int], *,
                 cut_first: bool = True) -> None:
        self.address, self.port = address, port
        self.first, self.then = first, then
        self.cut_first = cut_first
        self.routed: list[tuple[str, int]] = []  # where each accepted connection went

    @property
    def endpoint(self) -> str:
        return f"{self.address}:{self.port}"

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _handshake_then_close(self, client: asyncio.StreamReader, client_writer: asyncio.StreamWriter,
                                    upstream: asyncio.StreamReader, upstream_writer: asyncio.StreamWriter) -> None:
        """Forward the ClientHello and the server's whole first flight (ServerHello … Finished: all the client
        needs to finish its handshake), then close towards the client right behind it."""
        try:
            header = await client.readexactly(_RECORD_HEADER)
            upstream_writer.write(header + await client.readexactly(int.from_bytes(header[3:5], "big")))
            await upstream_writer.drain()
            flight = await upstream.read(65536)
            while True:  # the flight may come in several reads: take everything until the server pauses
                try:
                    more = await asyncio.wait_for(upstream.read(65536), FLIGHT_PAUSE)
                except TimeoutError:
                    break
                if not more:
                    break
                flight += more
            client_writer.write(flight)
            await client_writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass
        _reset(client_writer)  # RST right behind the flight: the handshake completes, then the connection is gone
        _reset(upstream_writer)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        first = not self.routed
        target = self.first if first else self.then
        self.routed.append(target)
        try:
            up_reader, up_writer = await asyncio.open_connection(*target)
        except OSError:
            _reset(writer)
            return
        if first and self.cut_first:
            await self._handshake_then_close(reader, writer, up_reader, up_writer)
            return
        downstream = asyncio.create_task(self._pipe(up_reader, writer))
        await self._pipe(reader, up_writer)
        await downstream

    async def _start(self) -> asyncio.Server:
        return await asyncio.start_server(self._handle, self.address, self.port)
