"""TLS contexts for the Talos API: Ed25519 mutual TLS over Python's ssl (grpcio cannot negotiate Ed25519).

Secure mode verifies the node's certificate against the cluster's OS CA and its IP SANs; it is never
skipped. Maintenance mode has no client certificate and cannot verify (the node's CA is ephemeral).
"""

from __future__ import annotations

import contextlib
import functools
import os
import ssl
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Credentials:
    """The three PEM blobs of a talosconfig context: OS CA, client certificate, client key."""

    ca: bytes
    crt: bytes
    key: bytes

    def __repr__(self) -> str:  # never print key material
        return "Credentials(ca=…, crt=…, key=<redacted>)"


@contextlib.contextmanager
def _pem_file(data: bytes) -> Iterator[str]:
    """ssl.load_cert_chain only reads paths: hand it an anonymous in-memory file where Linux offers one."""
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("talos-client", 0)
        try:
            os.write(fd, data)
            yield f"/proc/self/fd/{fd}"
        finally:
            os.close(fd)
        return
    with tempfile.TemporaryDirectory() as directory:  # macOS: a private 0700 directory, removed at once
        path = os.path.join(directory, "client.pem")
        with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "wb") as handle:
            handle.write(data)
        yield path


def _base_context(purpose: ssl.Purpose) -> ssl.SSLContext:
    # Not ssl.create_default_context: loading the system CA store costs ~50 ms and Talos never uses it.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT if purpose == ssl.Purpose.SERVER_AUTH
                             else ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_alpn_protocols(["h2"])  # grpclib sets ALPN only on contexts it builds itself
    return context


def load_identity(context: ssl.SSLContext, crt: bytes, key: bytes) -> None:
    """Load a certificate and key, accepting Talos's non-standard ``ED25519 PRIVATE KEY`` PEM label."""
    from ..pki import standard_key_pem  # cryptography: loaded when a connection is made, not at import

    with _pem_file(crt + b"\n" + standard_key_pem(key)) as path:
        context.load_cert_chain(path)


@functools.lru_cache(maxsize=32)  # contexts are reusable across connections; building one parses keys
def secure_client_context(credentials: Credentials) -> ssl.SSLContext:
    context = _base_context(ssl.Purpose.SERVER_AUTH)
    context.load_verify_locations(cadata=credentials.ca.decode())
    load_identity(context, credentials.crt, credentials.key)
    return context


@functools.lru_cache(maxsize=1)
def maintenance_client_context() -> ssl.SSLContext:
    """What ``talosctl apply-config --insecure`` does: TLS without verification, no client certificate."""
    context = _base_context(ssl.Purpose.SERVER_AUTH)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


@functools.lru_cache(maxsize=8)
def inspection_context(credentials: Credentials | None) -> ssl.SSLContext:
    """To look at a certificate that failed verification: no verification, the client's identity if any
    (a configured node does not finish a handshake without one)."""
    context = _base_context(ssl.Purpose.SERVER_AUTH)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    if credentials is not None:
        load_identity(context, credentials.crt, credentials.key)
    return context


def server_context(crt: bytes, key: bytes, client_ca: bytes | None) -> ssl.SSLContext:
    """apid's listener: mutual TLS against `client_ca`, or no client certificate (maintenance)."""
    context = _base_context(ssl.Purpose.CLIENT_AUTH)
    load_identity(context, crt, key)
    if client_ca is not None:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(cadata=client_ca.decode())
    return context
