"""A fake S3-compatible server on loopback: path-style buckets, the four calls snapshots use, and S3's checks.

Behaviour follows the Amazon S3 API Reference: HeadBucket (200, or 404 with no body), PutObject,
ListObjectsV2 (ListBucketResult in the 2006-03-01 namespace, at most MaxKeys keys a page, IsTruncated and
NextContinuationToken), DeleteObject (204), errors as <Error><Code/><Message/></Error>: InvalidAccessKeyId
and SignatureDoesNotMatch (403), RequestTimeTooSkewed (403, more than 15 minutes off), NoSuchBucket (404),
XAmzContentSHA256Mismatch (400). Every request's SigV4 signature is recomputed from what arrived, so a
client that signs anything other than what it sends is refused, as by S3.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit
from xml.sax.saxutils import escape

from components.talos.backups.s3 import Request, authorization

NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"
MAX_SKEW = datetime.timedelta(minutes=15)
_AUTH = re.compile(r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<day>\d{8})/(?P<region>[^/]+)/s3/aws4_request,"
                   r"\s*SignedHeaders=(?P<signed>[a-z0-9;-]+),\s*Signature=(?P<signature>[0-9a-f]{64})$")


@dataclass
class FakeS3State:
    access_key_id: str
    secret_access_key: str
    region: str = "us-east-1"
    buckets: dict[str, dict[str, bytes]] = field(default_factory=dict)
    max_keys: int = 1000  # a page of ListObjectsV2
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path)
    list_reply: bytes | None = None  # a hostile server's reply to every ListObjectsV2


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *_: Any) -> None:  # quiet
        return

    def _reply(self, status: int, body: bytes = b"", content_type: str = "application/xml") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: int, code: str, message: str) -> None:
        body = f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{escape(message)}" \
               f"</Message></Error>".encode()
        self._reply(status, body)

    def _authorized(self, body: bytes) -> bool:
        state = self.server.state
        match = _AUTH.match(self.headers.get("Authorization", ""))
        if match is None or match.group("key") != state.access_key_id:
            self._error(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
            return False
        stamp = self.headers.get("x-amz-date", "")
        try:
            when = datetime.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.UTC)
        except ValueError:
            self._error(403, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header")
            return False
        if abs(datetime.datetime.now(datetime.UTC) - when) > MAX_SKEW:
            self._error(403, "RequestTimeTooSkewed", "The difference between the request time and the current time "
                                                     "is too large.")
            return False
        payload = self.headers.get("x-amz-content-sha256", "")
        if self.command == "PUT" and payload != hashlib.sha256(body).hexdigest():
            self._error(400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match "
                                                          "what was computed.")
            return False
        parts = urlsplit(self.path)
        signed = match.group("signed").split(";")
        headers = {name: self.headers.get(name, "") for name in signed}
        request = Request(self.command, parts.path, dict(parse_qsl(parts.query, keep_blank_values=True)), headers,
                          payload)
        expected = authorization(request, access_key_id=state.access_key_id,
                                 secret_access_key=state.secret_access_key, region=match.group("region"), when=when)
        if expected.rsplit("Signature=", 1)[1] != match.group("signature") or match.group("region") != state.region:
            self._error(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the "
                                                      "signature you provided.")
            return False
        return True

    def _handle(self) -> None:
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        state.requests.append((self.command, self.path))
        if not self._authorized(body):
            return
        parts = urlsplit(self.path)
        bucket, _, key = unquote(parts.path).lstrip("/").partition("/")
        objects = state.buckets.get(bucket)
        if objects is None:
            if self.command == "HEAD":
                self._reply(404)
            else:
                self._error(404, "NoSuchBucket", "The specified bucket does not exist")
            return
        if self.command == "HEAD" and not key:
            self._reply(200)
        elif self.command == "PUT" and key:
            objects[key] = body
            self._reply(200)
        elif self.command == "DELETE" and key:
            objects.pop(key, None)
            self._reply(204)
        elif self.command == "GET" and not key:
            self._list(objects, dict(parse_qsl(parts.query, keep_blank_values=True)))
        else:
            self._error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")

    def _list(self, objects: dict[str, bytes], query: dict[str, str]) -> None:
        state = self.server.state
        if state.list_reply is not None:
            self._reply(200, state.list_reply)
            return
        keys = sorted(key for key in objects if key.startswith(query.get("prefix", "")))
        start = int(query.get("continuation-token") or 0)
        page = keys[start:start + state.max_keys]
        truncated = start + state.max_keys < len(keys)
        contents = "".join(f"<Contents><Key>{escape(key)}</Key><Size>{len(objects[key])}</Size></Contents>"
                           for key in page)
        token = f"<NextContinuationToken>{start + state.max_keys}</NextContinuationToken>" if truncated else ""
        self._reply(200, f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"{NAMESPACE}\">"
                         f"<KeyCount>{len(page)}</KeyCount><IsTruncated>{str(truncated).lower()}</IsTruncated>"
                         f"{contents}{token}</ListBucketResult>".encode())

    do_GET = do_PUT = do_DELETE = do_HEAD = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], state: FakeS3State) -> None:
        super().__init__(address, _Handler)
        self.state = state


class FakeS3:
    """`with FakeS3(address) as s3:` serves on `address` (a loopback address), an ephemeral port."""

    def __init__(self, address: str, state: FakeS3State, tls: ssl.SSLContext | None = None) -> None:
        self.state = state
        self._server = _Server((address, 0), state)
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self.endpoint = f"{'https' if tls else 'http'}://{address}:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeS3:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
