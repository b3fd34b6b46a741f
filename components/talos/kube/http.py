"""HTTP/1.1 over asyncio streams with TLS: just what a Kubernetes API client needs (JSON bodies,
Content-Length or chunked replies, one connection per request).

Why not a library: see client.py's docstring (choice and measured import cost)."""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_BODY = 64 * 1024 * 1024  # the API server's largest reply we accept (a full Node or Pod list)


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes


class ConnectionFailed(Exception):
    """The API server could not be reached or dropped the connection (transient: retry), or its
    certificate is not the cluster's (not transient)."""

    def __init__(self, message: str, transient: bool = True) -> None:
        super().__init__(message)
        self.transient = transient


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = bytearray()
    while True:
        size_line = await reader.readline()
        size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            while (await reader.readline()) not in (b"\r\n", b"\n", b""):  # trailers
                pass
            return bytes(body)
        body += await reader.readexactly(size)
        await reader.readexactly(2)
        if len(body) > MAX_BODY:
            raise ConnectionFailed(f"reply larger than {MAX_BODY} bytes")


async def request(url: str, method: str, context: ssl.SSLContext, *, body: bytes = b"",
                  headers: dict[str, str] | None = None, timeout: float = 30.0) -> Response:
    """Send one request to an https URL and read the whole reply."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or 443
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(host, port, ssl=context,
                                                           server_hostname=host)
            try:
                lines = [f"{method} {target} HTTP/1.1", f"Host: {parts.netloc}", "Connection: close",
                         f"Content-Length: {len(body)}", "Accept: application/json"]
                lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
                writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
                await writer.drain()
                status_line = await reader.readline()
                fields = status_line.decode("latin-1").split(" ", 2)
                if len(fields) < 2 or not fields[1].isdigit():
                    raise ConnectionFailed(f"not an HTTP reply from {parts.netloc}: {status_line[:60]!r}")
                reply_headers: dict[str, str] = {}
                while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    reply_headers[name.strip().lower()] = value.strip()
                if reply_headers.get("transfer-encoding", "").lower() == "chunked":
                    data = await _read_chunked(reader)
                elif "content-length" in reply_headers:
                    data = await reader.readexactly(int(reply_headers["content-length"]))
                else:
                    data = await reader.read(MAX_BODY)
                return Response(int(fields[1]), reply_headers, data)
            finally:
                writer.close()
    except ssl.SSLCertVerificationError as error:
        raise ConnectionFailed(f"{parts.netloc}: x509: {error.verify_message}", transient=False) from None
    except (OSError, asyncio.IncompleteReadError, TimeoutError) as error:
        raise ConnectionFailed(f"{parts.netloc}: {error or type(error).__name__}") from None
