"""An imported secrets bundle checked as Talos and Kubernetes will need it, before any node sees it.

Talos's own Bundle.Validate (pkg/machinery/config/generate/secrets/bundle.go) only checks that values
are present and that each PEM parses; a key that does not match its certificate, a CA without the CA
flag, an expired CA, a weak key or a short token would fail later on a node, or never. Each check here
raises one error naming the field, e.g. ``secrets.yaml: certs.os: the key does not match the certificate``.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import re
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from . import pki
from .errors import SecretsError

if TYPE_CHECKING:
    from .secrets import CertPair, SecretsBundle

# Kubernetes bootstrap tokens (k8s.io/cluster-bootstrap token/api BootstrapTokenPattern) and Talos's
# trustd token, both made by Talos's genToken(6, 16) (generate/secrets/utils.go).
TOKEN = re.compile(r"[a-z0-9]{6}\.[a-z0-9]{16}")
# Talos constants.DefaultClusterIDSize / DefaultClusterSecretSize: 32 random bytes, base64.
CLUSTER_BYTES = 32
# cis.CreateEncryptionToken makes 32 bytes; kube-apiserver's secretbox needs exactly 32, aescbc an AES key.
SECRETBOX_BYTES = (32,)
AESCBC_BYTES = (16, 24, 32)
# Go's crypto/x509 parses P-224..P-521 only (P-192 and secp256k1 fail on the node); P-224 is below the
# 128-bit strength every Talos-generated key has. RSA below 2048 bits is refused by current TLS stacks.
EC_CURVES = ("secp256r1", "secp384r1", "secp521r1")
RSA_MIN_BITS = 2048
# A bundle made on a machine whose clock runs a little ahead is still usable (siderolabs/crypto does not
# backdate CA notBefore), so "not yet valid" allows this much skew.
CLOCK_SKEW = datetime.timedelta(minutes=10)

# field -> key types Talos components accept there; Talos generates the first (bundle.go populate, ca.go)
_CA_KEYS: dict[str, tuple[pki.KeyType, ...]] = {
    "certs.etcd": ("ecdsa", "rsa"),
    "certs.k8s": ("ecdsa", "rsa"),
    "certs.k8saggregator": ("ecdsa", "rsa"),
    "certs.os": ("ed25519", "ecdsa"),
}
_KEY_NAMES = {"ed25519": "Ed25519", "ecdsa": "ECDSA (P-256, P-384 or P-521)", "rsa": f"RSA ({RSA_MIN_BITS}+ bits)"}


def _base64_length(value: str) -> int | None:
    """Decoded length in the standard or the URL-safe alphabet (older Talos wrote the cluster id URL-safe)."""
    for altchars in (None, b"-_"):
        try:
            return len(base64.b64decode(value.encode("ascii"), altchars=altchars, validate=True))
        except (binascii.Error, ValueError, UnicodeEncodeError):
            continue
    return None


def _key_strength(key: pki.PrivateKey, where: str, allowed: tuple[pki.KeyType, ...]) -> None:
    kind = pki.key_type_of(key)
    expected = " or ".join(_KEY_NAMES[k] for k in allowed)
    if kind not in allowed:
        raise SecretsError(f"{where}: the key is {_KEY_NAMES[kind].split(' ')[0]}; expected {expected}")
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name not in EC_CURVES:
        raise SecretsError(f"{where}: the key is on curve {key.curve.name}; expected {expected}")
    if isinstance(key, rsa.RSAPrivateKey) and key.key_size < RSA_MIN_BITS:
        raise SecretsError(f"{where}: the key is RSA-{key.key_size}; expected {expected}")


def check_ca(pair: CertPair, where: str, allowed: tuple[pki.KeyType, ...],
             now: datetime.datetime | None = None) -> None:
    """A CA certificate and its key: parse, match, CA flag, key usage, strength, validity."""
    loaded = pair.load(where)
    certificate, key = loaded.certificate, loaded.key
    spki = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if key.public_key().public_bytes(*spki) != certificate.public_key().public_bytes(*spki):
        raise SecretsError(f"{where}: the key does not match the certificate")
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
    except (x509.ExtensionNotFound, ValueError):
        constraints = None
    if constraints is None or not constraints.ca:
        raise SecretsError(f"{where}: the certificate is not a CA (BasicConstraints CA=true is missing); "
                           "expected a CA certificate such as talosctl gen secrets makes")
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
        if not usage.key_cert_sign:
            raise SecretsError(f"{where}: the CA certificate's key usage lacks certificate signing (keyCertSign)")
    except x509.ExtensionNotFound:
        pass
    _key_strength(key, where, allowed)
    now = now or datetime.datetime.now(datetime.UTC)
    if certificate.not_valid_after_utc <= now:
        raise SecretsError(f"{where}: the CA certificate expired on {certificate.not_valid_after_utc:%Y-%m-%d}; "
                           "expected a CA valid now (rotate it with talosctl, or generate a new bundle)")
    if certificate.not_valid_before_utc > now + CLOCK_SKEW:
        raise SecretsError(f"{where}: the CA certificate is not valid before "
                           f"{certificate.not_valid_before_utc:%Y-%m-%d %H:%M} UTC; check this machine's clock")


def check_bundle(bundle: SecretsBundle, source: str, now: datetime.datetime | None = None) -> None:
    """Every field of a bundle, in file order; raises the first problem found."""
    for field, value in (("cluster.id", bundle.cluster_id), ("cluster.secret", bundle.cluster_secret)):
        if _base64_length(value) != CLUSTER_BYTES:
            raise SecretsError(f"{source}: {field} is not base64 of {CLUSTER_BYTES} bytes; expected a value such "
                               "as talosctl gen secrets makes")
    for field, value in (("secrets.bootstraptoken", bundle.bootstrap_token), ("trustdinfo.token", bundle.trustd_token)):
        if not TOKEN.fullmatch(value):
            raise SecretsError(f"{source}: {field} is not a token of the form [a-z0-9]{{6}}.[a-z0-9]{{16}}")
    if bool(bundle.secretbox_encryption_secret) == bool(bundle.aescbc_encryption_secret):
        raise SecretsError(f"{source}: secrets: exactly one of secretboxencryptionsecret and aescbcencryptionsecret "
                           "must be set")
    for field, value, sizes in (("secrets.secretboxencryptionsecret", bundle.secretbox_encryption_secret,
                                 SECRETBOX_BYTES),
                                ("secrets.aescbcencryptionsecret", bundle.aescbc_encryption_secret, AESCBC_BYTES)):
        if value and _base64_length(value) not in sizes:
            raise SecretsError(f"{source}: {field} is not base64 of a {' or '.join(map(str, sizes))}-byte key")
    for field, pair in (("certs.etcd", bundle.etcd), ("certs.k8s", bundle.k8s),
                        ("certs.k8saggregator", bundle.k8s_aggregator), ("certs.os", bundle.os)):
        check_ca(pair, f"{source}: {field}", _CA_KEYS[field], now)
    where = f"{source}: certs.k8sserviceaccount.key"
    # kube-apiserver --service-account-signing-key-file takes RSA or ECDSA; Talos makes RSA-4096 or ECDSA
    # P-256 by contract (bundle.go: versionContract.UseRSAServiceAccountKey)
    _key_strength(pki.decode_key(bundle.k8s_service_account_key, where), where, ("rsa", "ecdsa"))
