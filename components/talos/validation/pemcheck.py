"""PEM certificates and keys as Talos's config checks read them.

Ports Go's encoding/pem Decode (which skips what is not a well-formed block), crypto/x509 CertPool
AppendCertsFromPEM, Talos's meta.AssertValidPEM and meta.CertificateAndKey.Validate
(pkg/machinery/config/types/meta/certificate_key.go), and siderolabs/crypto's key loaders
(x509/certificate_key.go GetCert/GetKey, x509/key.go PEMEncodedKey.GetKey). Parsing the DER uses ``cryptography``,
imported only when a config carries a certificate or key.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from typing import Any

from .golang import go_quote, go_quote_list

CERTIFICATE = "CERTIFICATE"
_RSA, _EC, _ED25519, _PKCS8 = "RSA PRIVATE KEY", "EC PRIVATE KEY", "ED25519 PRIVATE KEY", "PRIVATE KEY"
MAX_PEM_BYTES = 1 << 20  # a PEM value larger than this is not read through (Talos's own CAs are a few KiB)


@dataclass
class Block:
    type: str
    headers: dict[str, str] = field(default_factory=dict)
    data: bytes = b""


def _line(data: str) -> tuple[str, str]:
    """pem.go getLine: the line without its CR and trailing spaces and tabs, and the rest."""
    end = data.find("\n")
    if end < 0:
        return data.rstrip(" \t"), ""
    return data[:end].removesuffix("\r").rstrip(" \t"), data[end + 1:]


def pem_decode(data: str) -> tuple[Block | None, str]:
    """encoding/pem Decode: the first well-formed block and what follows it, or (None, data)."""
    rest = data
    while True:
        if rest.startswith("-----BEGIN "):
            rest = rest[len("-----BEGIN "):]
        elif "\n-----BEGIN " in rest:
            rest = rest.split("\n-----BEGIN ", 1)[1]
        else:
            return None, data
        type_line, rest = _line(rest)
        if not type_line.endswith("-----"):
            continue
        block = Block(type_line[:-5])
        while rest:
            line, following = _line(rest)
            key, colon, value = line.partition(":")
            if not colon:
                break
            block.headers[key.strip()] = value.strip()
            rest = following
        if not rest:
            return None, data
        if not block.headers and rest.startswith("-----END "):
            end, trailer_at = 0, len("-----END ")
        else:
            end = rest.find("\n-----END ")
            trailer_at = end + len("\n-----END ")
        if end < 0:
            continue
        trailer_length = len(block.type) + 5
        trailer = rest[trailer_at:trailer_at + trailer_length]
        if len(trailer) < trailer_length or not trailer.startswith(block.type) or not trailer.endswith("-----"):
            continue
        if _line(rest[trailer_at + trailer_length:])[0]:
            continue
        encoded = re.sub(r"[ \t\r\n]", "", rest[:end])
        try:
            block.data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            continue
        return block, _line(rest[end + len("\n-----END ") - 1:])[1]


def pem_blocks(data: str) -> list[Block]:
    blocks: list[Block] = []
    while True:
        block, data = pem_decode(data)
        if block is None:
            return blocks
        blocks.append(block)


def assert_valid_pem(data: str, *expected_types: str) -> str | None:
    """meta.AssertValidPEM: why `data` holds no PEM block (of the expected types), or None."""
    blocks = pem_blocks(data[:MAX_PEM_BYTES])
    for block in blocks:
        if expected_types and block.type not in expected_types:
            return f"unexpected PEM block type {go_quote(block.type)}, expected one of {go_quote_list(expected_types)}"
    return None if blocks else "no PEM blocks found"


def certificates_in_pool(data: str) -> bool:
    """x509.CertPool.AppendCertsFromPEM: whether any CERTIFICATE block without headers parses."""
    return any(block.type == CERTIFICATE and not block.headers and _certificate_problem(block.data) is None
               for block in pem_blocks(data[:MAX_PEM_BYTES]))


def _certificate_problem(der: bytes) -> str | None:
    from cryptography import x509

    try:
        x509.load_der_x509_certificate(der)
    except ValueError as error:
        return f"x509: {error}"
    return None


def _der_second_tag(der: bytes) -> int | None:
    """The tag of a DER SEQUENCE's second element: 0x02 PKCS#1 RSA, 0x04 SEC 1 EC, 0x30 PKCS#8."""
    if len(der) < 2 or der[0] != 0x30:
        return None
    index = 2 if der[1] < 0x80 else 2 + (der[1] & 0x7F)
    if index + 2 > len(der) or der[index] != 0x02:
        return None
    index += 2 + der[index + 1]
    return der[index] if index < len(der) else None


def _load_key(der: bytes, label: str, form: int, kinds: tuple[str, ...]) -> str | None:
    """Go's ParsePKCS1/ParseEC/ParsePKCS8PrivateKey for one PEM type: why the key does not load, or None."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa, x25519

    problem = f"failed to parse {label}key: x509: failed to parse private key"
    if _der_second_tag(der) != form:
        return problem
    try:
        key: Any = serialization.load_der_private_key(der, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return problem
    types = {"rsa": rsa.RSAPrivateKey, "ec": ec.EllipticCurvePrivateKey, "ed25519": ed25519.Ed25519PrivateKey,
             "x25519": x25519.X25519PrivateKey}
    if not any(isinstance(key, types[kind]) for kind in kinds):
        return "failed parsing Ed25519 key, got wrong key type" if kinds == ("ed25519",) else problem
    return None


_KEY_LOADERS = {_RSA: ("RSA ", 0x02, ("rsa",)), _EC: ("ECDSA ", 0x04, ("ec",)),
                _ED25519: ("Ed25519 ", 0x30, ("ed25519",)), _PKCS8: ("", 0x30, ("rsa", "ec", "ed25519", "x25519"))}


def key_problem(pem: str, *, colon: bool) -> str | None:
    """siderolabs/crypto GetKey: why a PEM private key does not load, or None.

    `colon` picks the wording of the unsupported-type error: PEMEncodedCertificateAndKey.GetKey writes
    "unsupported key type: %q", PEMEncodedKey.GetKey "unsupported key type %q".
    """
    block, _ = pem_decode(pem[:MAX_PEM_BYTES])
    if block is None:
        return "failed to parse PEM block"
    loader = _KEY_LOADERS.get(block.type)
    if loader is None:
        return f"unsupported key type{':' if colon else ''} {go_quote(block.type)}"
    return _load_key(block.data, *loader)


def certificate_and_key_problem(value: Any, *, try_loading: bool) -> str | None:
    """meta.CertificateAndKey.Validate: why a {cert, key} pair is refused, or None (also when absent)."""
    if not isinstance(value, dict):
        return None
    cert, key = str(value.get("cert") or ""), str(value.get("key") or "")
    if not cert:
        return "certificate is required"
    if not key:
        return "key is required"
    if (problem := assert_valid_pem(cert, CERTIFICATE)) is not None:
        return f"certificate: {problem}"
    if (problem := assert_valid_pem(key)) is not None:
        return f"key: {problem}"
    if try_loading:
        block, _ = pem_decode(cert[:MAX_PEM_BYTES])
        if block is None:
            return "certificate is invalid: failed to parse PEM block"
        if (problem := _certificate_problem(block.data)) is not None:
            return f"certificate is invalid: failed to parse certificate: {problem}"
        if (problem := key_problem(key, colon=True)) is not None:
            return f"key is invalid: {problem}"
    return None
