"""talosconfig and admin kubeconfig, generated locally from the bundle."""

from __future__ import annotations

import base64
import datetime

import yaml
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID

from components.talos import pki
from components.talos.clientconfig import admin_kubeconfig, read_talosconfig, talosconfig


def _orgs(certificate: x509.Certificate) -> list[str]:
    return [str(a.value) for a in certificate.subject.get_attributes_for_oid(x509.NameOID.ORGANIZATION_NAME)]


def test_talosconfig_holds_an_os_admin_ed25519_cert_signed_by_the_os_ca(stability_secrets) -> None:
    text = talosconfig(stability_secrets, "homelab", endpoints=["192.168.1.85"], nodes=["192.168.1.85", "192.168.1.83"])
    data = yaml.safe_load(text)
    assert data["context"] == "homelab"
    entry = data["contexts"]["homelab"]
    assert list(entry) == ["endpoints", "nodes", "ca", "crt", "key"]
    assert base64.b64decode(entry["ca"]) == stability_secrets.os.crt
    certificate = x509.load_pem_x509_certificate(base64.b64decode(entry["crt"]))
    key = pki.decode_key(base64.b64decode(entry["key"]), "key")
    assert isinstance(key, ed25519.Ed25519PrivateKey)
    assert base64.b64decode(entry["key"]).startswith(b"-----BEGIN ED25519 PRIVATE KEY-----")
    assert pki.chains_to(certificate, x509.load_pem_x509_certificate(stability_secrets.os.crt))
    assert _orgs(certificate) == ["os:admin"]
    lifetime = certificate.not_valid_after_utc - certificate.not_valid_before_utc
    assert lifetime == datetime.timedelta(days=365, minutes=1)  # the TTL from now, backdated a minute for skew
    eku = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.CLIENT_AUTH]


def test_talosconfig_ttl_and_roles_are_configurable(stability_secrets) -> None:
    text = talosconfig(stability_secrets, "c", endpoints=[], roles=["os:reader"], ttl=datetime.timedelta(hours=2))
    entry = read_talosconfig(text, "talosconfig")
    certificate = x509.load_pem_x509_certificate(entry["crt"])
    assert _orgs(certificate) == ["os:reader"]
    assert certificate.not_valid_after_utc - certificate.not_valid_before_utc == datetime.timedelta(hours=2, minutes=1)
    assert yaml.safe_load(text)["contexts"]["c"]["endpoints"] == []


def test_admin_kubeconfig_matches_talos_layout_and_chains_to_the_cluster_ca(stability_secrets) -> None:
    data = yaml.safe_load(admin_kubeconfig(stability_secrets, "homelab", "https://192.168.1.80:6443"))
    assert data["current-context"] == "admin@homelab"
    assert data["clusters"][0] == {"name": "homelab", "cluster": {
        "server": "https://192.168.1.80:6443",
        "certificate-authority-data": base64.b64encode(stability_secrets.k8s.crt).decode()}}
    assert data["contexts"][0]["context"] == {"cluster": "homelab", "namespace": "default", "user": "admin@homelab"}
    user = data["users"][0]["user"]
    certificate = x509.load_pem_x509_certificate(base64.b64decode(user["client-certificate-data"]))
    assert isinstance(pki.decode_key(base64.b64decode(user["client-key-data"]), "k"), ec.EllipticCurvePrivateKey)
    assert pki.chains_to(certificate, x509.load_pem_x509_certificate(stability_secrets.k8s.crt))
    assert certificate.subject.rfc4514_string() == "CN=admin,O=system:masters"  # DER: O then CN, as Go
    lifetime = certificate.not_valid_after_utc - certificate.not_valid_before_utc
    assert lifetime == datetime.timedelta(days=365, seconds=10)
