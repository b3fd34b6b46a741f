"""A Kubernetes API server that answers as a hostile one would: HTTP/1.1 over TLS, each reply raw bytes (a
status line, headers, a body) so that framing can lie, optionally followed by an endless or stalled body.

The framing it breaks is RFC 9112's (§6.3 message body length: Transfer-Encoding, then Content-Length, then
the end of the connection; §7.1 chunked coding), as Go's net/http reads it for kube-apiserver's clients."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from components.talos import pki
from components.talos.api.tls import server_context

from .background import BackgroundServer

ESCAPES = "\x1b]0;owned\x07\x1b[2J\x1b[31m\u202e"
HUGE = 100_000_000_000  # 1e11 bytes


@dataclass
class KubeReply:
    head: bytes  # status line and headers, up to and including the blank line
    body: bytes = b""
    endless: bytes = b""  # then this, again and again, until the client leaves
    stall: bool = False  # after head and body, nothing (the connection stays open)


def reply(status: int, body: bytes | Any = b"", *, headers: dict[str, str] | None = None,
          length: str | None = None) -> KubeReply:
    """A reply with a Content-Length (`length` may lie) unless headers say otherwise."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    fields = {"Content-Type": "application/json", **(headers or {})}
    if "Transfer-Encoding" not in fields:
        fields["Content-Length"] = length if length is not None else str(len(data))
    head = f"HTTP/1.1 {status} X\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields.items()) + "\r\n"
    return KubeReply(head.encode(), data)  # UTF-8: a header may carry any bytes a server likes


def _pod(name: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "default"}, "spec": {"nodeName": "worker-01"}}


POD_LIST = {"kind": "PodList", "apiVersion": "v1", "items": [_pod("a"), _pod("b")]}
TRUNCATED = json.dumps(POD_LIST).encode()[:40]

MODES: dict[str, Callable[[], KubeReply]] = {
    "truncated-json": lambda: reply(200, TRUNCATED),
    "empty-200": lambda: reply(200),
    "no-content": lambda: reply(204),
    "redirect": lambda: reply(302, headers={"Location": "https://203.0.113.9:6443/api/v1/pods"}),
    "huge-length": lambda: KubeReply(reply(200, length=str(HUGE)).head, endless=bytes(65536)),
    "float-length": lambda: reply(200, length="1e11"),
    "negative-length": lambda: reply(200, length="-1"),
    "two-lengths": lambda: KubeReply(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 9\r\n\r\n{}"),
    "huge-chunk": lambda: KubeReply(reply(200, headers={"Transfer-Encoding": "chunked"}).head,
                                    b"FFFFFFFFFF\r\n", endless=bytes(65536)),
    "bad-chunk": lambda: KubeReply(reply(200, headers={"Transfer-Encoding": "chunked"}).head, b"zz\r\n{}\r\n0\r\n\r\n"),
    "gzip-coding": lambda: reply(200, b"{}", headers={"Transfer-Encoding": "gzip"}),
    "deep-json": lambda: reply(200, b"[" * 200_000),
    "json-list": lambda: reply(200, b"[]"),
    "json-string": lambda: reply(200, b'"items"'),
    "items-not-list": lambda: reply(200, {"kind": "PodList", "items": {"a": 1}}),
    "items-not-objects": lambda: reply(200, {"kind": "PodList", "items": [1, "x", None]}),
    "garbage-status": lambda: KubeReply(b"HTTP/1.1 2xx\r\n\r\n"),
    "not-http": lambda: KubeReply(b"SSH-2.0-OpenSSH_9.6\r\n"),
    "interim": lambda: KubeReply(b"HTTP/1.1 100 Continue\r\n\r\n" + reply(200, POD_LIST).head, json.dumps(
        POD_LIST).encode()),
    "long-header": lambda: KubeReply(b"HTTP/1.1 200 OK\r\nX-Junk: " + b"a" * 100_000 + b"\r\n\r\n"),
    "many-headers": lambda: KubeReply(b"HTTP/1.1 200 OK\r\n" + b"X-A: b\r\n" * 10_000 + b"\r\n"),
    "status-escapes": lambda: reply(500, {"kind": "Status", "reason": ESCAPES, "message": ESCAPES + "A" * 100_000}),
    "error-not-json": lambda: reply(503, (ESCAPES + "B" * 100_000).encode()),
    "stall": lambda: KubeReply(reply(200, length="100").head, b"{", stall=True),
    "closed": lambda: KubeReply(b""),
}


@dataclass
class KubeTally:
    requests: list[str] = field(default_factory=list)


class FakeKubeAPI(BackgroundServer):
    """Answers every request with `respond(method, target)` at address:port over TLS with `certificate`."""

    def __init__(self, address: str, respond: Callable[[str, str], KubeReply], *,
                 certificate: pki.CertificateAndKey, port: int = 6443) -> None:
        self.address, self.port = address, port
        self.respond = respond
        self.certificate = certificate
        self.tally = KubeTally()

    @property
    def url(self) -> str:
        return f"https://{self.address}:{self.port}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            request_line = (await reader.readline()).decode("latin-1").split(" ")
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            await reader.readexactly(length)
            method, target = [*request_line, "", ""][:2]
            self.tally.requests.append(f"{method} {target}")
            answer = self.respond(method, target)
            writer.write(answer.head + answer.body)
            await writer.drain()
            while answer.endless and not writer.is_closing() and not reader.at_eof():
                writer.write(answer.endless)
                await writer.drain()
                await asyncio.sleep(0)  # drain() never yields on a closed TLS transport: let the close in
            if answer.stall:
                await asyncio.sleep(3600)
        writer.close()

    async def _start(self) -> asyncio.Server:
        context = server_context(self.certificate.crt_pem, self.certificate.key_pem, None)
        return await asyncio.start_server(self._serve, self.address, self.port, ssl=context)
