"""The cluster secrets bundle: ``talosctl gen secrets`` and its ``secrets.yaml``.

Generated per version contract exactly as Talos does (reference: talos-config.md §1).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import yamlio
from .documents import decode, is_legacy
from .errors import SecretsError
from .files import write_output
from .versions import Contract

if TYPE_CHECKING:  # pki (cryptography) loads on first use: the Pulumi program's registration never needs it
    from . import pki

_TOKEN_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
_VALIDATED: set[bytes] = set()  # digests of bundle texts that passed validate() in this process


def generate_token(prefix_length: int = 6, suffix_length: int = 16) -> str:
    """Talos's genToken: ``[0-9a-z]{6}.[0-9a-z]{16}``, bytes >= 252 rejected so every char is uniform."""

    def chars(count: int) -> str:
        out: list[str] = []
        while len(out) < count:
            byte = os.urandom(1)[0]
            if byte < 252:
                out.append(_TOKEN_ALPHABET[byte % 36])
        return "".join(out)

    return f"{chars(prefix_length)}.{chars(suffix_length)}"


@dataclass(repr=False)  # a repr would print the key into tracebacks and logs
class CertPair:
    """PEM certificate and key, kept as the exact bytes read so a round trip is byte-stable."""

    def __repr__(self) -> str:
        return "CertPair(crt=…, key=<redacted>)"

    crt: bytes = b""
    key: bytes = b""

    @classmethod
    def of(cls, pair: pki.CertificateAndKey) -> CertPair:
        return cls(pair.crt_pem, pair.key_pem)

    def load(self, what: str) -> pki.CertificateAndKey:
        from . import pki

        return pki.CertificateAndKey(pki.decode_certificate(self.crt, f"{what}.crt"),
                                     pki.decode_key(self.key, f"{what}.key"))


@dataclass(repr=False)  # a repr would print every secret into tracebacks and logs
class SecretsBundle:
    def __repr__(self) -> str:
        return "SecretsBundle(<redacted>)"

    cluster_id: str
    cluster_secret: str
    bootstrap_token: str
    trustd_token: str
    etcd: CertPair
    k8s: CertPair
    k8s_aggregator: CertPair
    k8s_service_account_key: bytes
    os: CertPair
    secretbox_encryption_secret: str = ""
    aescbc_encryption_secret: str = ""
    # comment lines above the YAML (talosctl writes none; Talos's test bundle has one)
    header: str = field(default="", compare=False)

    # ------------------------------------------------------------ generation

    @classmethod
    def generate(cls, contract: Contract, now: datetime.datetime | None = None) -> SecretsBundle:
        from . import pki

        now = (now or datetime.datetime.now(datetime.UTC)).replace(microsecond=0)
        random_skid = contract.random_subject_key_id

        def ca(org: str | None, key_type: pki.KeyType) -> CertPair:
            return CertPair.of(pki.new_certificate_authority(org, key_type, now, random_skid))

        sa_key = pki.generate_key("rsa" if contract.use_rsa_service_account_key else "ecdsa")
        encryption = base64.b64encode(os.urandom(32)).decode()
        return cls(
            cluster_id=base64.urlsafe_b64encode(os.urandom(32)).decode(),
            cluster_secret=base64.b64encode(os.urandom(32)).decode(),
            bootstrap_token=generate_token(),
            trustd_token=generate_token(),
            secretbox_encryption_secret=encryption if contract.greater(1, 2) else "",
            aescbc_encryption_secret="" if contract.greater(1, 2) else encryption,
            etcd=ca("etcd", "ecdsa"),
            k8s=ca("kubernetes", "ecdsa"),
            # Talos passes CN=front-proxy but the CA template keeps only O, so the subject is empty.
            k8s_aggregator=ca(None, "ecdsa"),
            k8s_service_account_key=pki.encode_key(sa_key),
            os=ca("talos", "ed25519"),
        )

    @classmethod
    def placeholder(cls) -> SecretsBundle:
        """A bundle of empty values: renders a config's shape (validation, previews) without any secret."""
        empty = CertPair(b"", b"")
        return cls(cluster_id="", cluster_secret="", bootstrap_token="", trustd_token="", etcd=empty, k8s=empty,
                   k8s_aggregator=empty, k8s_service_account_key=b"", os=empty, secretbox_encryption_secret="")

    # ------------------------------------------------------------ secrets.yaml

    def to_data(self) -> dict[str, Any]:
        def b64(data: bytes) -> str:
            return base64.b64encode(data).decode()

        encryption: dict[str, str] = {"bootstraptoken": self.bootstrap_token}
        if self.aescbc_encryption_secret:
            encryption["aescbcencryptionsecret"] = self.aescbc_encryption_secret
        if self.secretbox_encryption_secret:
            encryption["secretboxencryptionsecret"] = self.secretbox_encryption_secret
        return {
            "cluster": {"id": self.cluster_id, "secret": self.cluster_secret},
            "secrets": encryption,
            "trustdinfo": {"token": self.trustd_token},
            "certs": {
                "etcd": {"crt": b64(self.etcd.crt), "key": b64(self.etcd.key)},
                "k8s": {"crt": b64(self.k8s.crt), "key": b64(self.k8s.key)},
                "k8saggregator": {"crt": b64(self.k8s_aggregator.crt), "key": b64(self.k8s_aggregator.key)},
                "k8sserviceaccount": {"key": b64(self.k8s_service_account_key)},
                "os": {"crt": b64(self.os.crt), "key": b64(self.os.key)},
            },
        }

    def to_yaml(self) -> str:
        return self.header + yamlio.dump(self.to_data())

    @classmethod
    def from_yaml(cls, text: str, source: str = "secrets.yaml", from_state: bool = False) -> SecretsBundle:
        try:
            data = yamlio.load(text)
        except Exception as error:
            raise SecretsError(f"{source}: not valid YAML: {yamlio.describe_error(error)}") from None
        if not isinstance(data, dict):
            raise SecretsError(f"{source}: expected a talosctl secrets bundle (cluster, secrets, trustdinfo, certs)")
        reader = _FieldReader(data, source)
        bundle = cls(
            cluster_id=reader.text("cluster.id"),
            cluster_secret=reader.text("cluster.secret"),
            bootstrap_token=reader.text("secrets.bootstraptoken"),
            secretbox_encryption_secret=reader.text("secrets.secretboxencryptionsecret", required=False),
            aescbc_encryption_secret=reader.text("secrets.aescbcencryptionsecret", required=False),
            trustd_token=reader.text("trustdinfo.token"),
            etcd=reader.pair("certs.etcd"),
            k8s=reader.pair("certs.k8s"),
            k8s_aggregator=reader.pair("certs.k8saggregator"),
            k8s_service_account_key=reader.pem("certs.k8sserviceaccount.key"),
            os=reader.pair("certs.os"),
            header=_leading_comments(text),
        )
        # Bundles read back from Pulumi state were validated when generated or imported; validating again
        # would cost every preview ~0.4 s (the 4096-bit RSA key check). Files are validated once per process.
        digest = hashlib.sha256(text.encode()).digest()
        if not from_state and digest not in _VALIDATED:
            bundle.validate(source)
            _VALIDATED.add(digest)
        return bundle

    @classmethod
    def read(cls, path: str | Path) -> SecretsBundle:
        try:
            text = yamlio.read_text(path)
        except OSError as error:
            raise SecretsError(f"{path}: cannot read secrets bundle: {error.strerror}") from None
        except yamlio.StrictYAMLError as error:
            raise SecretsError(f"{path}: {error}") from None
        return cls.from_yaml(text, str(path))

    def write(self, path: str | Path, force: bool = False) -> None:
        write_output(path, self.to_yaml(), 0o600, overwrite=force, error=SecretsError)

    def validate(self, source: str) -> None:
        """Talos's Bundle.Validate, and what Talos and Kubernetes will need of each value (secrets_validation)."""
        from .secrets_validation import check_bundle

        check_bundle(self, source)

    # ------------------------------------------------------------ from a controlplane config

    @classmethod
    def from_controlplane_config(cls, text: str, source: str) -> SecretsBundle:
        """``talosctl gen secrets --from-controlplane-config``: recover the bundle a config was made from."""
        documents = decode(text, source)
        legacy = next((doc for doc in documents if is_legacy(doc)), None)
        if legacy is None:
            raise SecretsError(f"{source}: no v1alpha1 document; expected a controlplane machine config")
        by_kind = {str(doc.get("kind")): doc for doc in documents if not is_legacy(doc)}
        reader = _FieldReader(legacy, source)
        if reader.text("machine.type", required=False) not in ("controlplane", "init"):
            raise SecretsError(f"{source}: machine.type must be controlplane to extract secrets")

        def pem_pair(legacy_path: str, kind: str, doc_path: str) -> CertPair:
            if reader.has(legacy_path):
                return reader.pair(legacy_path)
            doc_reader = _FieldReader(by_kind.get(kind, {}), f"{source} ({kind})")
            return CertPair(doc_reader.text(doc_path + ".cert").encode(), doc_reader.text(doc_path + ".key").encode())

        identity = _FieldReader(by_kind.get("DiscoveryIdentityConfig", {}), f"{source} (DiscoveryIdentityConfig)")
        cluster_id = reader.text("cluster.id", required=False) or identity.text("clusterID")
        cluster_secret = reader.text("cluster.secret", required=False) or identity.text("clusterSecret")
        if reader.has("cluster.serviceAccount.key"):
            sa_key = reader.pem("cluster.serviceAccount.key")
        else:
            sa_key = _FieldReader(by_kind.get("KubeServiceAccountConfig", {}), f"{source} (KubeServiceAccountConfig)"
                                  ).text("issuer.privateKey").encode()
        secretbox = reader.text("cluster.secretboxEncryptionSecret", required=False)
        aescbc = reader.text("cluster.aescbcEncryptionSecret", required=False)
        if not secretbox and not aescbc and "KubeEtcdEncryptionConfig" in by_kind:
            secretbox = _etcd_encryption_secret(by_kind["KubeEtcdEncryptionConfig"])
        bundle = cls(
            cluster_id=cluster_id,
            cluster_secret=cluster_secret,
            bootstrap_token=reader.text("cluster.token"),
            secretbox_encryption_secret=secretbox,
            aescbc_encryption_secret=aescbc,
            trustd_token=reader.text("machine.token"),
            etcd=reader.pair("cluster.etcd.ca"),
            k8s=pem_pair("cluster.ca", "KubeAPIServerCAConfig", "issuingCA"),
            k8s_aggregator=pem_pair("cluster.aggregatorCA", "KubeAggregatorCAConfig", "issuingCA"),
            k8s_service_account_key=sa_key,
            os=reader.pair("machine.ca"),
        )
        bundle.validate(source)
        return bundle


def _etcd_encryption_secret(document: dict[str, Any]) -> str:
    for resource in (document.get("config") or {}).get("resources") or []:
        for provider in resource.get("providers") or []:
            for key in (provider.get("secretbox") or {}).get("keys") or []:
                if key.get("secret"):
                    return str(key["secret"])
    return ""


class _FieldReader:
    """Reads dotted paths from parsed YAML, raising errors that name the file and the field."""

    def __init__(self, data: dict[str, Any], source: str) -> None:
        self.data = data
        self.source = source

    def _get(self, path: str) -> Any:
        node: Any = self.data
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node

    def has(self, path: str) -> bool:
        value = self._get(path)
        return value is not None and value != {} and value != ""

    def text(self, path: str, required: bool = True) -> str:
        value = self._get(path)
        if value is None or value == "":
            if required:
                raise SecretsError(f"{self.source}: {path} is missing; expected a non-empty string")
            return ""
        if not isinstance(value, str):
            raise SecretsError(f"{self.source}: {path} is a {type(value).__name__}; expected a string")
        return value

    def pem(self, path: str) -> bytes:
        value = self.text(path)
        if value == "******":
            raise SecretsError(f"{self.source}: {path} is redacted (******); expected the real value")
        try:
            decoded = base64.b64decode(value, validate=True)
        except ValueError:
            raise SecretsError(f"{self.source}: {path} is not base64; expected base64 of a PEM block") from None
        if b"-----BEGIN " not in decoded:
            raise SecretsError(f"{self.source}: {path} does not decode to PEM; expected base64 of a PEM block")
        return decoded

    def pair(self, path: str) -> CertPair:
        return CertPair(self.pem(path + ".crt"), self.pem(path + ".key"))


def _leading_comments(text: str) -> str:
    header = []
    for line in text.splitlines(keepends=True):
        if not line.startswith("#"):
            break
        header.append(line)
    return "".join(header)
