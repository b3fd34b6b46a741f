"""What exactly went wrong in a TLS handshake with a node, in words a user can act on.

Python's ssl reports the client's own verification failure (verify_code) and the alert a node sent when it
refused our certificate (the SSLError reason). Both are turned into a hint that names the failure: another
CA, another address, an expired or not yet valid certificate, or clocks apart by a measured offset.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import hashlib
import ssl

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from .errors import WRONG_CLUSTER_HINT
from .tls import Credentials, inspection_context, maintenance_client_context

# OpenSSL's X509_V_ERR_* codes (include/openssl/x509_vfy.h) that Python passes through as verify_code.
CERT_NOT_YET_VALID = 9
CERT_HAS_EXPIRED = 10
HOSTNAME_MISMATCH = 62
IP_ADDRESS_MISMATCH = 64

# The alert Go's crypto/tls sends when it refuses a client certificate as outside its validity by the
# node's clock (handshake_server.go processCertsFromClient: x509.Expired → alertCertificateExpired; Go's
# x509.Expired means "has expired or is not yet valid"), as OpenSSL names it in the SSLError reason.
EXPIRED_ALERT = "SSLV3_ALERT_CERTIFICATE_EXPIRED"
REFUSED_ALERTS = ("BAD_CERTIFICATE", "CERTIFICATE_REQUIRED", "UNKNOWN_CA", "CERTIFICATE_EXPIRED")


def spki_fingerprint(certificate: x509.Certificate) -> str:
    """siderolabs/crypto x509/fingerprint.go SPKIFingerprint: base64(SHA-256(SubjectPublicKeyInfo DER)),
    the format of talosctl's --cert-fingerprint."""
    spki = certificate.public_key().public_bytes(serialization.Encoding.DER,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


def parse_fingerprint(text: str) -> bytes:
    """siderolabs/crypto ParseFingerprint: standard base64 of a SHA-256 digest."""
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        raw = b""
    if len(raw) != hashlib.sha256().digest_size:
        raise ValueError(f"certificate fingerprint {text!r}: expected base64 of a SHA-256 digest "
                         "(as talosctl --cert-fingerprint takes it)")
    return raw


def peer_certificate(ssl_object: ssl.SSLObject | ssl.SSLSocket | None) -> x509.Certificate | None:
    der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    return x509.load_der_x509_certificate(der) if der else None


async def fetch_certificate(host: str, port: int, credentials: Credentials | None,
                            timeout: float) -> x509.Certificate | None:
    """The node's certificate, unverified (to explain why verification failed)."""
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=inspection_context(credentials)), timeout)
    except (OSError, TimeoutError, ssl.SSLError):
        return None
    try:
        return peer_certificate(writer.get_extra_info("ssl_object"))
    except ValueError:  # the node closed before the handshake finished
        return None
    finally:
        writer.close()


async def serves_anonymous_clients(host: str, port: int, timeout: float) -> bool:
    """Whether the node is in maintenance mode: Talos's maintenance API (siderolabs/talos internal/app/machined/
    pkg/controllers/secrets/api.go, maintenance branch: SkipVerifyingClientCert) finishes TLS and speaks HTTP/2
    with a client that has no certificate, while a configured apid requires and verifies one and drops such a
    client at its first read (TLS 1.3 reports that after the handshake). The probe only reads: the node is not
    trusted, so it is sent nothing, not even the HTTP/2 preface. A Go HTTP/2 server writes its SETTINGS frame
    before it reads the client's preface (golang.org/x/net/http2 server.go serverConn.serve), so a maintenance
    apid speaks first."""
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=maintenance_client_context()), timeout)
    except (OSError, TimeoutError, ssl.SSLError):
        return False
    try:
        return bool(await asyncio.wait_for(reader.read(9), timeout))
    except (OSError, TimeoutError, ssl.SSLError):
        return False
    finally:
        writer.close()


_CHECK_TIME = "check time sync (machine.time) on the node and here"


def _utc(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _sans(certificate: x509.Certificate) -> list[str]:
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] + names.get_values_for_type(x509.DNSName)


def server_hint(verify_code: int, host: str, certificate: x509.Certificate | None,
                now: datetime.datetime | None = None) -> tuple[str, bool]:
    """(hint, transient) for a node certificate this client refused."""
    now = now or datetime.datetime.now(datetime.UTC)
    if verify_code in (IP_ADDRESS_MISMATCH, HOSTNAME_MISMATCH):
        sans = ", ".join(_sans(certificate)) if certificate else "unknown"
        return (f"the node's certificate is for other addresses ({sans}), not {host}; check the address, or add "
                f"it to the node's machine.certSANs", False)
    if verify_code == CERT_NOT_YET_VALID:
        if certificate is None:
            return (f"the node's certificate is not valid yet by this machine's clock ({_utc(now)}): clock skew, "
                    f"the node's clock is ahead (Talos signs it with its own clock); {_CHECK_TIME}", True)
        ahead = (certificate.not_valid_before_utc - now).total_seconds()
        return (f"the node's certificate is not valid until {_utc(certificate.not_valid_before_utc)}: clock skew, "
                f"the node's clock is at least {ahead:.0f}s ahead of this machine's (Talos signs it with its own clock "
                f"when it makes it); "
                f"{_CHECK_TIME}", True)
    if verify_code == CERT_HAS_EXPIRED:
        until = f"at {_utc(certificate.not_valid_after_utc)} " if certificate is not None else ""
        return (f"the node's certificate expired {until}by this machine's clock ({_utc(now)}): the node's clock "
                f"is behind, or it has not renewed its certificate; {_CHECK_TIME}", True)
    return WRONG_CLUSTER_HINT, False


def client_expired_hint(client_crt: bytes | None, now: datetime.datetime | None = None) -> str:
    """The node refused our certificate as outside its validity by the node's own clock."""
    now = now or datetime.datetime.now(datetime.UTC)
    if client_crt is None:
        return "the node refused the client certificate as expired or not yet valid by its clock"
    certificate = x509.load_pem_x509_certificate(client_crt)
    start, end = certificate.not_valid_before_utc, certificate.not_valid_after_utc
    if end <= now:
        return f"the node refused the client certificate: it expired at {_utc(end)}; renew the talosconfig"
    behind = (now - start).total_seconds()
    return (f"the node refused the client certificate as not yet valid by its own clock: clock skew, the node's "
            f"clock is more than {behind:.0f}s behind this machine's (the certificate is valid from "
            f"{_utc(start)}); {_CHECK_TIME}")
