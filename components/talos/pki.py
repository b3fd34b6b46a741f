"""X.509 and key primitives with siderolabs/crypto's conventions (what Talos's certificates look like)."""

from __future__ import annotations

import datetime
import ipaddress
import os
import secrets
from dataclasses import dataclass
from typing import Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .errors import SecretsError
from .golang import rsa as golang_rsa

PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
KeyType = Literal["ed25519", "ecdsa", "rsa"]

CA_VALIDITY = datetime.timedelta(hours=87600)  # 10 years (crypto CAValidityTime)
ED25519_PEM_LABEL = "ED25519 PRIVATE KEY"


def generate_key(key_type: KeyType) -> PrivateKey:
    if key_type == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if key_type == "ecdsa":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=4096)


def key_type_of(key: PrivateKey) -> KeyType:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    return "ecdsa" if isinstance(key, ec.EllipticCurvePrivateKey) else "rsa"


def encode_key(key: PrivateKey) -> bytes:
    """PEM as Talos writes it: Ed25519 as PKCS#8 under ``ED25519 PRIVATE KEY``, EC as SEC1, RSA as PKCS#1."""
    if isinstance(key, ed25519.Ed25519PrivateKey):
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        return pem.replace(b"PRIVATE KEY-----", f"{ED25519_PEM_LABEL}-----".encode())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption())


def standard_key_pem(pem: bytes) -> bytes:
    """Talos's Ed25519 label is non-standard; OpenSSL and ``cryptography`` want ``PRIVATE KEY``."""
    return pem.replace(f"{ED25519_PEM_LABEL}-----".encode(), b"PRIVATE KEY-----")


def decode_key(pem: bytes, what: str) -> PrivateKey:
    try:
        # OpenSSL's RSA_check_key also tests p and q for primality: 0.4 s for a 4096-bit key, on every preview.
        # The checks Go makes where the key is used (x509.ParsePKCS1PrivateKey -> rsa.PrivateKey.Validate, in
        # kube-apiserver) are the numbers' consistency, made below.
        key = serialization.load_pem_private_key(standard_key_pem(pem), password=None,
                                                 unsafe_skip_rsa_key_validation=True)
    except Exception as error:
        raise SecretsError(f"{what}: not a PEM private key ({error})") from None
    if not isinstance(key, ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise SecretsError(f"{what}: unsupported key type {type(key).__name__}; expected Ed25519, ECDSA or RSA")
    if isinstance(key, rsa.RSAPrivateKey) and (problem := golang_rsa.validate(key.private_numbers())):
        raise SecretsError(f"{what}: not a PEM private key (the RSA key's numbers do not agree: {problem})")
    return key


def decode_certificate(pem: bytes, what: str) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(pem)
    except Exception as error:
        raise SecretsError(f"{what}: not a PEM certificate ({error})") from None


def _signature_hash(key: PrivateKey) -> hashes.SHA256 | None:
    return None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()


def _organization_name(organizations: list[str]) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, org, _type=_ASN1Type.PrintableString)
                      for org in organizations])


def _serial() -> int:
    return secrets.randbelow(2**128)


@dataclass(frozen=True)
class CertificateAndKey:
    certificate: x509.Certificate
    key: PrivateKey

    @property
    def crt_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return encode_key(self.key)


def new_certificate_authority(organization: str | None, key_type: KeyType, now: datetime.datetime,
                              random_subject_key_id: bool) -> CertificateAndKey:
    """A self-signed CA as siderolabs/crypto makes it (O only, PrintableString, 10 years)."""
    key = generate_key(key_type)
    name = _organization_name([organization] if organization else [])
    skid = (x509.SubjectKeyIdentifier(os.urandom(20)) if random_subject_key_id
            else x509.SubjectKeyIdentifier.from_public_key(key.public_key()))
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(_serial())
        .not_valid_before(now)
        .not_valid_after(now + CA_VALIDITY)
        .add_extension(x509.KeyUsage(True, False, False, False, False, True, False, False, False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(skid, critical=False)
    )
    return CertificateAndKey(builder.sign(key, _signature_hash(key)), key)


def issue_certificate(
    issuer: CertificateAndKey,
    *,
    organizations: list[str],
    common_name: str | None = None,
    lifetime: datetime.timedelta,
    now: datetime.datetime | None = None,
    backdate: datetime.timedelta = datetime.timedelta(0),
    server: bool = False,
    client: bool = True,
    key_encipherment: bool = False,
    dns_names: list[str] | None = None,
    ip_addresses: list[str] | None = None,
) -> CertificateAndKey:
    """A leaf certificate signed by `issuer`, with a fresh key of the issuer's key type."""
    now = now or datetime.datetime.now(datetime.UTC)
    key = generate_key(key_type_of(issuer.key))
    attributes = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, org, _type=_ASN1Type.PrintableString)
                  for org in organizations]
    if common_name:
        attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    usages = ([ExtendedKeyUsageOID.SERVER_AUTH] if server else []) + (
        [ExtendedKeyUsageOID.CLIENT_AUTH] if client else [])
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name(attributes))
        .issuer_name(issuer.certificate.subject)
        .public_key(key.public_key())
        .serial_number(_serial())
        .not_valid_before(now - backdate)
        .not_valid_after(now + lifetime)
        .add_extension(x509.KeyUsage(True, False, key_encipherment, False, False, False, False, False, False),
                       critical=True)
        .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    )
    try:
        ski = issuer.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        builder = builder.add_extension(x509.AuthorityKeyIdentifier(ski.digest, None, None), critical=False)
    except x509.ExtensionNotFound:
        pass
    alt_names: list[x509.GeneralName] = [x509.DNSName(name) for name in dns_names or []]
    alt_names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ip_addresses or []]
    if alt_names:
        builder = builder.add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
    return CertificateAndKey(builder.sign(issuer.key, _signature_hash(issuer.key)), key)


def chains_to(certificate: x509.Certificate, authority: x509.Certificate) -> bool:
    """True if `certificate` was signed by `authority`'s key."""
    try:
        certificate.verify_directly_issued_by(authority)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True
