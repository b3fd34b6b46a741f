"""PEM certificates and keys as Talos's config checks read them: meta.AssertValidPEM and
meta.CertificateAndKey.Validate (pkg/machinery/config/types/meta/certificate_key.go), crypto/x509 CertPool
AppendCertsFromPEM, and siderolabs/crypto's key loaders (x509/certificate_key.go GetCert/GetKey, x509/key.go
PEMEncodedKey.GetKey), over Go's encoding/pem (golang.encoding). Parsing the DER uses ``cryptography``, imported
only when a config carries a certificate or key.
"""

from __future__ import annotations

from typing import Any

from ..golang import rsa as golang_rsa
from ..golang.encoding import pem_blocks, pem_decode
from ..golang.strconv import quote, quote_list, scalar_text

CERTIFICATE = "CERTIFICATE"
_RSA, _EC, _ED25519, _PKCS8 = "RSA PRIVATE KEY", "EC PRIVATE KEY", "ED25519 PRIVATE KEY", "PRIVATE KEY"
MAX_PEM_BYTES = 1 << 20  # a PEM value larger than this is not read through (Talos's own CAs are a few KiB)


def pem_error(data: str, *expected_types: str) -> tuple[str, str] | None:
    """meta.AssertValidPEM: (rule, why) `data` holds no PEM block (of the expected types), or None."""
    blocks = pem_blocks(data[:MAX_PEM_BYTES])
    for block in blocks:
        if expected_types and block.type not in expected_types:
            expected = quote_list(expected_types)
            return "R240", f"unexpected PEM block type {quote(block.type)}, expected one of {expected}"
    return None if blocks else ("R241", "no PEM blocks found")


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
        # Go checks an RSA key's numbers, not its primes (golang/rsa.py): OpenSSL's primality tests took 0.14 s
        # per 4096-bit service account key, on every v1.14 control plane's KubeServiceAccountConfig
        key: Any = serialization.load_der_private_key(der, password=None, unsafe_skip_rsa_key_validation=True)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return problem
    if isinstance(key, rsa.RSAPrivateKey) and golang_rsa.validate(key.private_numbers()):
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
        return f"unsupported key type{':' if colon else ''} {quote(block.type)}"
    return _load_key(block.data, *loader)


def certificate_and_key_error(value: Any, *, try_loading: bool) -> tuple[str, str, tuple[str, ...]] | None:
    """meta.CertificateAndKey.Validate: (rule, why a {cert, key} pair is refused, the rules it wraps), or None
    (also when absent)."""
    if not isinstance(value, dict):
        return None
    cert, key = scalar_text(value.get("cert")), scalar_text(value.get("key"))
    if not cert:
        return "R234", "certificate is required", ()
    if not key:
        return "R235", "key is required", ()
    if (problem := pem_error(cert, CERTIFICATE)) is not None:
        return "R236", f"certificate: {problem[1]}", (problem[0],)
    if (problem := pem_error(key)) is not None:
        return "R237", f"key: {problem[1]}", (problem[0],)
    if try_loading:
        block, _ = pem_decode(cert[:MAX_PEM_BYTES])
        if block is None:
            return "R238", "certificate is invalid: failed to parse PEM block", ()
        if (error := _certificate_problem(block.data)) is not None:
            return "R238", f"certificate is invalid: failed to parse certificate: {error}", ()
        if (error := key_problem(key, colon=True)) is not None:
            return "R239", f"key is invalid: {error}", ()
    return None
