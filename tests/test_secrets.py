"""The secrets bundle: generated per contract as Talos does, and read/written as talosctl's secrets.yaml."""

from __future__ import annotations

import datetime
import re
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from components.talos import pki
from components.talos.errors import SecretsError
from components.talos.secrets import SecretsBundle, generate_token
from components.talos.versions import Contract

TOKEN = re.compile(r"^[0-9a-z]{6}\.[0-9a-z]{16}$")


@pytest.fixture(scope="module")
def bundle_v13() -> SecretsBundle:
    return SecretsBundle.generate(Contract(1, 13))


@pytest.fixture(scope="module")
def bundle_v6() -> SecretsBundle:
    return SecretsBundle.generate(Contract(1, 6))


def _ca(pair_pem: bytes) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pair_pem)


def test_talos_test_bundle_round_trips_byte_for_byte(stability_dir: Path) -> None:
    text = (stability_dir / "secrets.yaml").read_text()
    assert SecretsBundle.from_yaml(text).to_yaml() == text


def test_generated_bundle_round_trips(bundle_v13: SecretsBundle) -> None:
    assert SecretsBundle.from_yaml(bundle_v13.to_yaml()) == bundle_v13


def test_tokens_and_ids_have_talos_formats(bundle_v13: SecretsBundle) -> None:
    assert TOKEN.match(bundle_v13.bootstrap_token) and TOKEN.match(bundle_v13.trustd_token)
    assert all(TOKEN.match(generate_token()) for _ in range(200))
    assert len(bundle_v13.cluster_id) == 44 and "+" not in bundle_v13.cluster_id and "/" not in bundle_v13.cluster_id
    assert len(bundle_v13.cluster_secret) == 44 and len(bundle_v13.secretbox_encryption_secret) == 44
    assert bundle_v13.aescbc_encryption_secret == ""


@pytest.mark.parametrize("name, key_type, organization", [
    ("os", ed25519.Ed25519PrivateKey, "talos"),
    ("etcd", ec.EllipticCurvePrivateKey, "etcd"),
    ("k8s", ec.EllipticCurvePrivateKey, "kubernetes"),
    ("k8s_aggregator", ec.EllipticCurvePrivateKey, None),
])
def test_each_ca_is_a_ten_year_self_signed_ca_of_talos_key_type(bundle_v13, name, key_type, organization) -> None:
    pair = getattr(bundle_v13, name).load(name)
    certificate = pair.certificate
    assert isinstance(pair.key, key_type)
    assert pki.chains_to(certificate, certificate)
    assert certificate.not_valid_after_utc - certificate.not_valid_before_utc == datetime.timedelta(days=3650)
    orgs = [a.value for a in certificate.subject.get_attributes_for_oid(x509.NameOID.ORGANIZATION_NAME)]
    assert orgs == ([organization] if organization else [])
    assert certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.key_cert_sign and usage.value.digital_signature


def test_service_account_key_is_ecdsa_up_to_v1_6_and_rsa_4096_from_v1_7(bundle_v6, bundle_v13) -> None:
    assert isinstance(pki.decode_key(bundle_v6.k8s_service_account_key, "sa"), ec.EllipticCurvePrivateKey)
    key = pki.decode_key(bundle_v13.k8s_service_account_key, "sa")
    assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 4096
    assert bundle_v13.k8s_service_account_key.startswith(b"-----BEGIN RSA PRIVATE KEY-----")


def test_os_ca_key_uses_talos_ed25519_pem_label(bundle_v13: SecretsBundle) -> None:
    assert bundle_v13.os.key.startswith(b"-----BEGIN ED25519 PRIVATE KEY-----")
    assert bundle_v13.etcd.key.startswith(b"-----BEGIN EC PRIVATE KEY-----")


def test_subject_key_id_is_sha1_up_to_v1_10_and_random_from_v1_11(bundle_v6, bundle_v13) -> None:
    def skid(bundle: SecretsBundle) -> tuple[bytes, bytes]:
        certificate = _ca(bundle.etcd.crt)
        digest = certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
        return digest, x509.SubjectKeyIdentifier.from_public_key(certificate.public_key()).digest

    assert skid(bundle_v6)[0] == skid(bundle_v6)[1]
    assert skid(bundle_v13)[0] != skid(bundle_v13)[1]


def test_secrets_file_is_written_0600_and_not_overwritten(bundle_v13: SecretsBundle, tmp_path: Path) -> None:
    path = tmp_path / "secrets.yaml"
    bundle_v13.write(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(SecretsError, match="already exists, use --force"):
        bundle_v13.write(path)


@pytest.mark.parametrize("version", ["v1.13", "v1.14"])
def test_bundle_is_recovered_from_a_controlplane_config(stability_dir: Path, version: str) -> None:
    expected = SecretsBundle.read(stability_dir / "secrets.yaml")
    config = (stability_dir / version / "base-controlplane.yaml").read_text()
    assert SecretsBundle.from_controlplane_config(config, "controlplane.yaml") == expected


def test_a_worker_config_is_refused_as_a_source_of_secrets(stability_dir: Path) -> None:
    with pytest.raises(SecretsError, match=r"machine\.type must be controlplane"):
        SecretsBundle.from_controlplane_config((stability_dir / "v1.13" / "base-worker.yaml").read_text(), "w.yaml")


@pytest.mark.parametrize("mutation, message", [
    (lambda t: t.replace("    bootstraptoken:", "    bootstrapt:"), "secrets.bootstraptoken is missing"),
    (lambda t: t.replace("crt: LS0t", "crt: ~~~", 1), "certs.etcd.crt is not base64"),
    (lambda t: t.replace("crt: LS0t", "crt: [LS0t", 1), "not valid YAML: line 13, column 12"),
    (lambda t: "- just\n- a list\n", "expected a talosctl secrets bundle"),
    (lambda t: t + "  broken: [\n", "not valid YAML"),
    (lambda t: t.replace("    secretboxencryptionsecret:",
                         "    aescbcencryptionsecret: x\n    secretboxencryptionsecret:"),
     "exactly one of secretboxencryptionsecret and aescbcencryptionsecret"),
])
def test_broken_secrets_files_are_refused_naming_the_field(stability_dir: Path, mutation, message: str) -> None:
    text = mutation((stability_dir / "secrets.yaml").read_text())
    with pytest.raises(SecretsError, match=re.escape(message)) as error:
        SecretsBundle.from_yaml(text, "talsecret.yaml")
    assert str(error.value).startswith("talsecret.yaml: ")


def test_yaml_errors_in_a_secrets_file_never_quote_the_secret(stability_dir: Path) -> None:
    text = (stability_dir / "secrets.yaml").read_text().replace("crt: LS0t", "crt: [LS0t", 1)
    with pytest.raises(SecretsError) as error:
        SecretsBundle.from_yaml(text, "talsecret.yaml")
    assert "LS0t" not in str(error.value)
