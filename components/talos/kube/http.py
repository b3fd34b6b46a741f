"""HTTP/1.1 over asyncio streams with TLS: just what a Kubernetes API client needs (JSON bodies,
Content-Length or chunked replies, one connection per request), read as RFC 9112 frames a reply and no
further than this client's limits: every size the server declares (a Content-Length, a chunk size, the
header block) is checked before a byte of it is read, and a reply that breaks the framing is refused.

Why not a library: see client.py's docstring (choice and measured import cost)."""

from __future__ import annotations

import asyncio
import re
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_BODY = 64 * 1024 * 1024  # the API server's largest reply we accept (a full Node or Pod list)
# Go's net/http client (transport.go) refuses response headers past 10 MB by default (MaxResponseHeaderBytes);
# kube-apiserver's are a few hundred bytes. The line limit also bounds a chunk-size line.
MAX_LINE = 64 * 1024
MAX_HEADER_BYTES = 256 * 1024
MAX_HEADER_LINES = 200

_STATUS_LINE = re.compile(rb"HTTP/1\.[01] ([1-5][0-9][0-9])(?: [^\r\n]*)?\r?\n")
_DIGITS = re.compile(r"[0-9]{1,20}")
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes


class ConnectionFailed(Exception):
    """The API server could not be reached or dropped the connection (transient: retry), or its
    certificate is not the cluster's, or its reply breaks HTTP or this client's limits (not transient)."""

    def __init__(self, message: str, transient: bool = True) -> None:
        super().__init__(message)
        self.transient = transient


def _refused(netloc: str, what: str) -> ConnectionFailed:
    return ConnectionFailed(f"{netloc}: {what}", transient=False)


async def _line(reader: asyncio.StreamReader, netloc: str, what: str) -> bytes:
    """One line, at most MAX_LINE bytes; b"" at the end of the stream."""
    try:
        return await reader.readuntil(b"\n")
    except asyncio.IncompleteReadError as error:
        if error.partial:
            raise ConnectionFailed(f"{netloc}: the connection closed inside the {what}") from None
        return b""
    except asyncio.LimitOverrunError:
        raise _refused(netloc, f"{what} longer than {MAX_LINE} bytes") from None


async def _head(reader: asyncio.StreamReader, netloc: str, budget: list[int]) -> tuple[int, dict[str, str]]:
    """A status line and its headers; `budget` holds the header bytes left for this reply (interim replies
    included, as Go's Transport counts them since Go 1.24: their total against MaxResponseHeaderBytes)."""
    status_line = await _line(reader, netloc, "status line")
    if not status_line:  # an API server restarting (upgrade-k8s restarts each in turn) closes without a word
        raise ConnectionFailed(f"{netloc}: the connection closed without a reply")
    match = _STATUS_LINE.fullmatch(status_line)
    if match is None:
        raise _refused(netloc, f"not an HTTP/1.1 reply: {status_line[:60]!r}")
    headers: dict[str, str] = {}
    for _ in range(MAX_HEADER_LINES):
        line = await _line(reader, netloc, "header block")
        budget[0] -= len(line)
        if budget[0] < 0:
            raise _refused(netloc, f"reply headers longer than {MAX_HEADER_BYTES} bytes")
        if line in (b"\r\n", b"\n"):
            return int(match.group(1)), headers
        if not line:
            raise ConnectionFailed(f"{netloc}: the connection closed inside the header block")
        name, colon, value = line.decode("latin-1").partition(":")
        if not colon or not name.strip():
            raise _refused(netloc, f"malformed reply header {line[:60]!r}")
        key = name.strip().lower()
        # A repeated header is one comma-separated list (RFC 9110 §5.3); Content-Length's values must agree.
        headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    raise _refused(netloc, f"more than {MAX_HEADER_LINES} reply headers")


def _content_length(value: str, netloc: str) -> int:
    lengths = {part.strip() for part in value.split(",")}
    if len(lengths) != 1 or not _DIGITS.fullmatch(length := lengths.pop()):
        raise _refused(netloc, f"Content-Length {value[:40]!r} is not a length")
    size = int(length)
    if size > MAX_BODY:
        raise _refused(netloc, f"reply of {size} bytes is larger than this client's limit of {MAX_BODY}")
    return size


async def _read_chunked(reader: asyncio.StreamReader, netloc: str) -> bytes:
    body = bytearray()
    while True:
        size_text = (await _line(reader, netloc, "chunk size line")).split(b";", 1)[0].strip()
        if not _CHUNK_SIZE.fullmatch(size_text):
            raise _refused(netloc, f"chunk size {size_text[:20]!r} is not hexadecimal")
        size = int(size_text, 16)
        if len(body) + size > MAX_BODY:
            raise _refused(netloc, f"chunked reply larger than this client's limit of {MAX_BODY} bytes")
        if size == 0:
            for _ in range(MAX_HEADER_LINES):  # trailers, then the blank line
                if (await _line(reader, netloc, "trailers")) in (b"\r\n", b"\n", b""):
                    return bytes(body)
            raise _refused(netloc, f"more than {MAX_HEADER_LINES} trailer lines")
        body += await reader.readexactly(size)
        if await reader.readexactly(2) != b"\r\n":
            raise _refused(netloc, "a chunk does not end with CRLF")


async def _read_to_end(reader: asyncio.StreamReader, netloc: str) -> bytes:
    """A reply without a length ends with the connection; it may not run past MAX_BODY on the way."""
    body = bytearray()
    while len(body) <= MAX_BODY:
        chunk = await reader.read(MAX_BODY + 1 - len(body))
        if not chunk:
            return bytes(body)
        body += chunk
    raise _refused(netloc, f"reply larger than this client's limit of {MAX_BODY} bytes")


async def _body(reader: asyncio.StreamReader, netloc: str, status: int, headers: dict[str, str]) -> bytes:
    """RFC 9112 §6.3: how long a reply's body is, in order of precedence."""
    if status in (204, 304):
        return b""
    coding = headers.get("transfer-encoding")
    if coding is not None:
        if coding.lower().rsplit(",", 1)[-1].strip() != "chunked":
            raise _refused(netloc, f"Transfer-Encoding {coding[:40]!r} is not chunked")
        return await _read_chunked(reader, netloc)
    if "content-length" in headers:
        return await reader.readexactly(_content_length(headers["content-length"], netloc))
    return await _read_to_end(reader, netloc)


async def request(url: str, method: str, context: ssl.SSLContext, *, body: bytes = b"",
                  headers: dict[str, str] | None = None, timeout: float = 30.0) -> Response:
    """Send one request to an https URL and read the whole reply."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or 443
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(host, port, ssl=context, server_hostname=host,
                                                           limit=MAX_LINE)
            try:
                lines = [f"{method} {target} HTTP/1.1", f"Host: {parts.netloc}", "Connection: close",
                         f"Content-Length: {len(body)}", "Accept: application/json"]
                lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
                writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
                await writer.drain()
                budget = [MAX_HEADER_BYTES]
                status, reply_headers = await _head(reader, parts.netloc, budget)
                while 100 <= status < 200 and status != 101:  # RFC 9110 §15.2: parse 1xx replies not asked for
                    status, reply_headers = await _head(reader, parts.netloc, budget)
                if status == 101:  # Switching Protocols: nothing here asks to upgrade
                    raise _refused(parts.netloc, "unexpected 101 Switching Protocols")
                data = await _body(reader, parts.netloc, status, reply_headers)
                return Response(status, reply_headers, data)
            finally:
                writer.close()
    except ssl.SSLCertVerificationError as error:
        raise ConnectionFailed(f"{parts.netloc}: x509: {error.verify_message}", transient=False) from None
    except asyncio.IncompleteReadError as error:
        raise ConnectionFailed(f"{parts.netloc}: the connection closed after {len(error.partial)} of "
                               f"{error.expected} bytes") from None
    except (OSError, TimeoutError) as error:
        raise ConnectionFailed(f"{parts.netloc}: {error or type(error).__name__}") from None
