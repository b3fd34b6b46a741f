"""An imported secrets.yaml is refused, naming the field, when Talos or Kubernetes could not use it."""

from __future__ import annotations

import base64
import datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from components.talos import pki, yamlio
from components.talos.errors import SecretsError
from components.talos.secrets import SecretsBundle

NOW = datetime.datetime.now(datetime.UTC).replace(microsecond=0)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _pair(ca: pki.CertificateAndKey) -> dict[str, str]:
    return {"crt": _b64(ca.crt_pem), "key": _b64(ca.key_pem)}


def _ca(key_type: pki.KeyType = "ecdsa", now: datetime.datetime = NOW) -> pki.CertificateAndKey:
    return pki.new_certificate_authority("test", key_type, now, False)


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        data = data[part]
    data[last] = value() if callable(value) else value


def _key(key: pki.PrivateKey) -> str:
    return _b64(pki.encode_key(key))


def _leaf() -> dict[str, str]:
    return _pair(pki.issue_certificate(_ca(), organizations=["x"], lifetime=datetime.timedelta(days=365)))


def _inconsistent_rsa(d_offset: int = 0, iqmp_offset: int = 0) -> rsa.RSAPrivateKey:
    """An RSA key whose numbers disagree (a corrupted file): Go's rsa.PrivateKey.Validate refuses it where
    kube-apiserver loads the service account key."""
    numbers = rsa.generate_private_key(65537, 2048).private_numbers()
    broken = rsa.RSAPrivateNumbers(numbers.p, numbers.q, numbers.d + d_offset, numbers.dmp1, numbers.dmq1,
                                   numbers.iqmp + iqmp_offset, numbers.public_numbers)
    return broken.private_key(unsafe_skip_rsa_key_validation=True)


CASES = [
    ("cluster.id", "abc", "secrets.yaml: cluster.id is not base64 of 32 bytes"),
    ("cluster.secret", _b64(b"x" * 16), "secrets.yaml: cluster.secret is not base64 of 32 bytes"),
    ("secrets.bootstraptoken", "abc.def", "secrets.yaml: secrets.bootstraptoken is not a token of the form"),
    ("secrets.bootstraptoken", "ABCDEF.0123456789abcdef", "secrets.yaml: secrets.bootstraptoken is not a token"),
    ("trustdinfo.token", "abcdef.0123456789abcde", "secrets.yaml: trustdinfo.token is not a token"),
    ("secrets.secretboxencryptionsecret", _b64(b"12345"),
     "secrets.yaml: secrets.secretboxencryptionsecret is not base64 of a 32-byte key"),
    ("certs.os.key", lambda: _key(pki.generate_key("ed25519")),
     "secrets.yaml: certs.os: the key does not match the certificate"),
    ("certs.etcd", _leaf, "secrets.yaml: certs.etcd: the certificate is not a CA"),
    ("certs.k8s", lambda: _pair(_ca(now=NOW - datetime.timedelta(days=3651))),
     "secrets.yaml: certs.k8s: the CA certificate expired on"),
    ("certs.k8saggregator", lambda: _pair(_ca(now=NOW + datetime.timedelta(days=2))),
     "secrets.yaml: certs.k8saggregator: the CA certificate is not valid before"),
    ("certs.os", lambda: _pair(_ca("rsa")), "secrets.yaml: certs.os: the key is RSA; expected Ed25519 or ECDSA"),
    ("certs.k8sserviceaccount.key", lambda: _key(rsa.generate_private_key(65537, 1024)),
     "secrets.yaml: certs.k8sserviceaccount.key: the key is RSA-1024; expected RSA (2048+ bits) or ECDSA"),
    ("certs.k8sserviceaccount.key", lambda: _key(ec.generate_private_key(ec.SECP192R1())),
     "secrets.yaml: certs.k8sserviceaccount.key: the key is on curve secp192r1"),
    ("certs.k8sserviceaccount.key", lambda: _key(pki.generate_key("ed25519")),
     "secrets.yaml: certs.k8sserviceaccount.key: the key is Ed25519; expected RSA"),
    ("certs.k8sserviceaccount.key", lambda: _key(_inconsistent_rsa(d_offset=2)),
     "secrets.yaml: certs.k8sserviceaccount.key: not a PEM private key (the RSA key's numbers do not agree: "
     "the private exponent does not invert the public one)"),
    ("certs.k8sserviceaccount.key", lambda: _key(_inconsistent_rsa(iqmp_offset=1)),
     "secrets.yaml: certs.k8sserviceaccount.key: not a PEM private key (the RSA key's numbers do not agree: "
     "the CRT values do not match the primes)"),
]


@pytest.mark.parametrize(("field", "value", "message"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_an_imported_bundle_talos_could_not_use_is_refused_naming_the_field(
        field: str, value: Any, message: str, stability_secrets: SecretsBundle) -> None:
    data = stability_secrets.to_data()
    _set(data, field, value)
    with pytest.raises(SecretsError) as caught:
        SecretsBundle.from_yaml(yamlio.dump(data))
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)
    assert "PRIVATE" not in str(caught.value)


def test_talos_generated_bundles_of_every_supported_contract_pass(stability_secrets: SecretsBundle) -> None:
    from components.talos.versions import Contract

    for contract in (Contract(1, 6), Contract(1, 13)):
        text = SecretsBundle.generate(contract).to_yaml()
        assert SecretsBundle.from_yaml(text).to_yaml() == text
    aescbc = stability_secrets.to_data()
    aescbc["secrets"] = {"bootstraptoken": stability_secrets.bootstrap_token, "aescbcencryptionsecret": _b64(b"k" * 16)}
    SecretsBundle.from_yaml(yamlio.dump(aescbc))  # kube-apiserver's aescbc takes a 16-, 24- or 32-byte key
