"""The four S3 calls a snapshot needs (HEAD bucket, PUT, ListObjectsV2, DELETE), signed with AWS Signature
Version 4, on the standard library.

Why not boto3: it and botocore add ~80 MB and ~0.5 s of imports for four requests, and this program keeps
heavy imports off its path. Requests are path-style (https://endpoint/bucket/key), which every
S3-compatible server takes (MinIO, Garage, Ceph RGW, R2, AWS). The signing follows AWS's "Signature
Version 4 signing process" (canonical request, string to sign, the derived key chain) and is tested against
AWS's published S3 example. The server is a peer like any other: TLS is verified (the system's CAs, or the
stack's `caCertificate`), redirects are not followed, and every reply is read up to a bound.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import http.client
import re
import ssl
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote, urlsplit

from ..errors import TalosError, shorten
from .settings import S3Bucket

SERVICE = "s3"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
MAX_LIST_REPLY = 4 * 1024 * 1024  # one ListObjectsV2 page of 1000 keys is ~300 KB
MAX_ERROR_REPLY = 64 * 1024
MAX_LIST_PAGES = 100
_NAMESPACE = "{http://s3.amazonaws.com/doc/2006-03-01/}"


class S3Error(TalosError):
    """A request the bucket refused or could not take; names the bucket, the key and what to check."""


def _uri(text: str, safe: str) -> str:
    """SigV4 URI encoding: every byte but A-Z a-z 0-9 - _ . ~ (and `safe`) percent-encoded, uppercase hex."""
    return quote(text, safe="-_.~" + safe)


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # already URI-encoded, e.g. /bucket/prefix/key
    query: dict[str, str]
    headers: dict[str, str]
    payload_sha256: str

    def canonical(self) -> tuple[str, str]:
        """The canonical request and its signed-header list."""
        names = sorted(self.headers, key=str.lower)
        canonical_headers = "".join(f"{name.lower()}:{' '.join(self.headers[name].split())}\n" for name in names)
        signed = ";".join(name.lower() for name in names)
        query = "&".join(f"{_uri(k, '')}={_uri(v, '')}" for k, v in sorted(self.query.items()))
        return (f"{self.method}\n{self.path}\n{query}\n{canonical_headers}\n{signed}\n{self.payload_sha256}",
                signed)


def authorization(request: Request, *, access_key_id: str, secret_access_key: str, region: str,
                  when: datetime.datetime) -> str:
    """The Authorization header of a request whose headers already carry host, x-amz-date and
    x-amz-content-sha256."""
    day = when.strftime("%Y%m%d")
    scope = f"{day}/{region}/{SERVICE}/aws4_request"
    canonical, signed = request.canonical()
    string_to_sign = "\n".join(("AWS4-HMAC-SHA256", when.strftime("%Y%m%dT%H%M%SZ"), scope,
                                hashlib.sha256(canonical.encode()).hexdigest()))
    key = f"AWS4{secret_access_key}".encode()
    for part in (day, region, SERVICE, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    return f"AWS4-HMAC-SHA256 Credential={access_key_id}/{scope},SignedHeaders={signed},Signature={signature}"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _reject_dtd(body: bytes) -> bytes:
    """S3 replies carry no DTD; one that does is refused before the XML parser sees it (entity expansion)."""
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise ValueError("a DTD in the reply")
    return body


class S3Client:
    """One bucket, path-style. Sync (each provider operation runs on its own thread)."""

    def __init__(self, bucket: S3Bucket, credentials: dict[str, str], *, timeout: float = 30.0,
                 clock: Callable[[], datetime.datetime] | None = None) -> None:
        self.bucket = bucket
        self._access_key_id = credentials.get("access_key_id", "")
        self._secret_access_key = credentials.get("secret_access_key", "")
        if not self._access_key_id or not self._secret_access_key:
            raise S3Error(f"s3://{bucket.bucket}: no accessKeyId and secretAccessKey to sign requests with")
        parts = urlsplit(bucket.endpoint)
        self._https = parts.scheme == "https"
        self._host = parts.hostname or ""
        self._port = parts.port or (443 if self._https else 80)
        self._netloc = parts.netloc
        self._timeout = timeout
        self._clock = clock or (lambda: datetime.datetime.now(datetime.UTC))

    # ------------------------------------------------------------------ the calls

    def check(self) -> None:
        """HEAD the bucket: reachable, trusted, the keys accepted, the bucket there."""
        self._send("HEAD", "", {}, None, 0, EMPTY_SHA256, what=f"s3://{self.bucket.bucket}")

    def put(self, key: str, path: Path) -> None:
        size = path.stat().st_size
        digest = file_sha256(path)
        with path.open("rb") as body:
            self._send("PUT", key, {}, body, size, digest, what=self.url(key),
                       extra={"Content-Type": "application/octet-stream"})

    def delete(self, key: str) -> None:
        self._send("DELETE", key, {}, None, 0, EMPTY_SHA256, what=self.url(key), expected=(200, 204))

    def list(self, prefix: str) -> list[str]:
        """Every key under `prefix` (ListObjectsV2, page by page, at most MAX_LIST_PAGES pages)."""
        keys: list[str] = []
        token = ""
        for _ in range(MAX_LIST_PAGES):
            query = {"list-type": "2", "prefix": prefix}
            if token:
                query["continuation-token"] = token
            body = self._send("GET", "", query, None, 0, EMPTY_SHA256, what=f"s3://{self.bucket.bucket}/{prefix}",
                              limit=MAX_LIST_REPLY)
            try:
                root = ElementTree.fromstring(_reject_dtd(body))
            except (ElementTree.ParseError, ValueError) as error:
                raise S3Error(f"s3://{self.bucket.bucket}/{prefix}: ListObjectsV2 reply is not S3's XML "
                              f"({error})") from None
            keys += [element.text or "" for element in root.iter(f"{_NAMESPACE}Key")]
            token = root.findtext(f"{_NAMESPACE}NextContinuationToken") or ""
            if root.findtext(f"{_NAMESPACE}IsTruncated") != "true" or not token:
                return keys
        raise S3Error(f"s3://{self.bucket.bucket}/{prefix}: more than {MAX_LIST_PAGES} pages of keys; refused")

    def url(self, key: str) -> str:
        return f"s3://{self.bucket.bucket}/{key}"

    # ------------------------------------------------------------------ transport

    def _context(self) -> ssl.SSLContext:
        if self.bucket.ca_certificate:
            return ssl.create_default_context(cadata=self.bucket.ca_certificate)
        return ssl.create_default_context()

    def _connection(self) -> http.client.HTTPConnection:
        if self._https:
            return http.client.HTTPSConnection(self._host, self._port, timeout=self._timeout,
                                               context=self._context())
        return http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)

    def _send(self, method: str, key: str, query: dict[str, str], body: BinaryIO | None, size: int,
              payload_sha256: str, *, what: str, expected: tuple[int, ...] = (200,), limit: int = MAX_ERROR_REPLY,
              extra: dict[str, str] | None = None) -> bytes:
        when = self._clock()
        path = f"/{self.bucket.bucket}" + (f"/{_uri(key, '/')}" if key else "")
        headers = {"Host": self._netloc, "x-amz-date": when.strftime("%Y%m%dT%H%M%SZ"),
                   "x-amz-content-sha256": payload_sha256, **(extra or {})}
        request = Request(method, path, query, headers, payload_sha256)
        headers["Authorization"] = authorization(request, access_key_id=self._access_key_id,
                                                 secret_access_key=self._secret_access_key,
                                                 region=self.bucket.region, when=when)
        if body is not None or method == "PUT":
            headers["Content-Length"] = str(size)
        target = path + ("?" + "&".join(f"{_uri(k, '')}={_uri(v, '')}" for k, v in sorted(query.items()))
                         if query else "")
        connection = self._connection()
        try:
            connection.request(method, target, body=body, headers=headers)
            response = connection.getresponse()
            reply = b"" if method == "HEAD" else response.read(limit + 1)
            status = response.status
        except ssl.SSLCertVerificationError as error:
            raise S3Error(f"{what}: TLS verification of {self.bucket.endpoint} failed: {error.verify_message}; set "
                          "etcdBackups.s3.caCertificate to the CA that signed it") from None
        except (OSError, http.client.HTTPException) as error:
            raise S3Error(f"{what}: {self.bucket.endpoint} is unreachable: {error or type(error).__name__}; check the "
                          "endpoint and that it answers from here") from None
        finally:
            connection.close()
        if len(reply) > limit:
            raise S3Error(f"{what}: {method} reply larger than {limit} bytes; refused")
        if status not in expected:
            raise S3Error(f"{what}: {method} answered {status} {self._error(reply, status)}")
        return reply

    def _error(self, reply: bytes, status: int) -> str:
        """S3's <Error><Code/><Message/></Error>, short, with the keys never echoed."""
        code, message = "", ""
        try:
            root = ElementTree.fromstring(_reject_dtd(reply)) if reply else None
            if root is not None:
                code, message = root.findtext("Code") or "", root.findtext("Message") or ""
        except (ElementTree.ParseError, ValueError):
            message = "(not S3's error XML)"
        text = shorten(re.sub(r"\s+", " ", f"{code}: {message}".strip(": ")), 200)
        for secret in (self._access_key_id, self._secret_access_key):
            text = text.replace(secret, "***")
        hints = {403: "check accessKeyId, secretAccessKey and the bucket's policy",
                 404: f"check that bucket {self.bucket.bucket} exists at {self.bucket.endpoint}",
                 301: "the bucket lives in another region or endpoint; check region and endpoint"}
        return "; ".join(part for part in (text, hints.get(status, "")) if part)
