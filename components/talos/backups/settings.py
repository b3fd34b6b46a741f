"""`talos-cluster:etcdBackups` and `talos-cluster:etcdRestore`, typed and checked at load.

Pure (no Pulumi import): the program checks them before any resource exists, the bootstrap provider reads
`etcdRestore` again from the stack config it is handed. Every error names the full key and what was
expected; secret values never appear in one.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..errors import EXCERPT, excerpt
from ..stackconfig import StackConfigError, parse_bool

BACKUPS_KEY = "talos-cluster:etcdBackups"
RESTORE_KEY = "talos-cluster:etcdRestore"
DEFAULT_KEEP = 10
MAX_KEEP = 1000
# siderolabs/talos-backup's published image (ghcr.io/siderolabs/talos-backup, release v0.1.0-beta.3)
TALOS_BACKUP_IMAGE = "ghcr.io/siderolabs/talos-backup:v0.1.0-beta.3"
BACKUP_FIELDS = ("enabled", "folder", "keep", "ageRecipients", "s3", "schedule", "scheduleImage")
S3_FIELDS = ("endpoint", "bucket", "region", "prefix", "accessKeyId", "secretAccessKey", "caCertificate")
RESTORE_FIELDS = ("from", "skipHashCheck")
# AWS bucket naming rules (docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html)
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_REGION = re.compile(r"^[a-z0-9][a-z0-9-]{0,30}$")
_PREFIX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,200}$")
# a five-field cron schedule as Kubernetes CronJob takes it, or one of its @ macros
_CRON_FIELD = r"[0-9*/,\-A-Za-z?]+"
_CRON = re.compile(rf"^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|{_CRON_FIELD}( {_CRON_FIELD}){{4}})$")
_IMAGE = re.compile(r"^[a-z0-9][a-z0-9._/:@-]{0,254}$")


@dataclass(frozen=True)
class S3Bucket:
    """An S3-compatible bucket, addressed path-style (MinIO, Garage, Ceph RGW, R2, AWS)."""

    endpoint: str  # https://host[:port]; http only on loopback
    bucket: str
    region: str
    prefix: str  # "" means the cluster name, as talos-backup's S3_PREFIX
    access_key_id: str = field(repr=False)
    secret_access_key: str = field(repr=False)
    ca_certificate: str = ""  # PEM: trust this CA (a private one) instead of the system's

    def key_prefix(self, cluster_name: str) -> str:
        return (self.prefix or cluster_name).strip("/")


@dataclass(frozen=True)
class EtcdBackups:
    """Where the snapshots taken before risky changes go, and how many are kept."""

    folder: str  # absolute; snapshots (or, with s3, only their staging) live here
    keep: int = DEFAULT_KEEP
    age_recipients: tuple[str, ...] = ()  # X25519 public keys; snapshots leaving the machine are encrypted
    s3: S3Bucket | None = None
    schedule: str = ""  # a CronJob schedule: talos-backup runs inside the cluster too
    schedule_image: str = TALOS_BACKUP_IMAGE

    def destination(self) -> dict[str, Any]:
        """What is no secret: shown in previews, recorded in plain state."""
        where: dict[str, Any] = {"folder": self.folder, "keep": self.keep, "age_recipients": list(self.age_recipients)}
        if self.s3 is not None:
            where["s3"] = {"endpoint": self.s3.endpoint, "bucket": self.s3.bucket, "region": self.s3.region,
                           "prefix": self.s3.prefix, "ca_certificate": self.s3.ca_certificate}
        return where

    def credentials(self) -> dict[str, str]:
        """The S3 keys (a secret input)."""
        if self.s3 is None:
            return {}
        return {"access_key_id": self.s3.access_key_id, "secret_access_key": self.s3.secret_access_key}


def from_destination(destination: dict[str, Any], credentials: dict[str, str]) -> EtcdBackups:
    """EtcdBackups back from a resource's inputs (destination() and credentials())."""
    s3 = destination.get("s3")
    bucket = None if not s3 else S3Bucket(
        str(s3["endpoint"]), str(s3["bucket"]), str(s3["region"]), str(s3.get("prefix") or ""),
        credentials.get("access_key_id", ""), credentials.get("secret_access_key", ""),
        str(s3.get("ca_certificate") or ""))
    return EtcdBackups(str(destination["folder"]), int(destination.get("keep") or DEFAULT_KEEP),
                       tuple(str(r) for r in destination.get("age_recipients") or ()), bucket)


@dataclass(frozen=True)
class EtcdRestore:
    """A snapshot the next bootstrap restores (talosctl bootstrap --recover-from)."""

    snapshot: str  # absolute path
    skip_hash_check: bool = False
    age_identity_file: str = ""


def _fail(key: str, message: str) -> StackConfigError:
    return StackConfigError(f"stack config {key}: {message}")


def _object(raw: Any, key: str, fields: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise _fail(key, f"{excerpt(raw)}; expected an object with {', '.join(fields)}")
    unknown = sorted(str(name)[:EXCERPT] for name in raw if name not in fields)
    if unknown:
        raise _fail(key, f"unknown field(s) {', '.join(unknown[:5])}; expected {', '.join(fields)}")
    return raw


def _text(raw: dict[str, Any], name: str, key: str, *, required: bool = False, secret: bool = False) -> str:
    value = raw.get(name)
    if value is None or value == "":
        if required:
            raise _fail(f"{key}.{name}", "is required")
        return ""
    if not isinstance(value, str):
        shown = "a non-text value" if secret else excerpt(value)
        raise _fail(f"{key}.{name}", f"{shown}; expected text")
    return value


def _path(value: str, key: str, root: Path) -> str:
    if "\0" in value:
        raise _fail(key, "contains NUL; expected a path")
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else root / path)


def parse_recipient(text: str, key: str) -> str:
    """An age X25519 public key (age1...), as talos-backup's AGE_X25519_PUBLIC_KEY; checked by age itself."""
    import pyrage

    try:
        pyrage.x25519.Recipient.from_str(text)
    except Exception:
        raise _fail(key, f"{excerpt(text)} is not an age X25519 public key; expected age1... (age-keygen -y "
                         "key.txt prints it)") from None
    return text


def _endpoint(value: str, key: str) -> str:
    """https://host[:port]; plain http only to this machine (a local MinIO), never across a network."""
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.query or parts.fragment \
            or parts.username or parts.password or parts.path not in ("", "/"):
        raise _fail(key, f"{excerpt(value)}; expected https://host[:port] (path-style buckets, no path or "
                         "credentials in the URL)")
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise _fail(key, f"{excerpt(value)}: snapshots hold every Kubernetes secret; expected https (plain http "
                         "only to 127.0.0.0/8, ::1 or localhost)")
    try:
        _ = parts.port
    except ValueError:
        raise _fail(key, f"{excerpt(value)}: the port is not a number from 1 to 65535") from None
    return f"{parts.scheme}://{parts.netloc}"


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _ca_certificate(value: str, key: str) -> str:
    if not value:
        return ""
    from cryptography import x509

    try:
        x509.load_pem_x509_certificates(value.encode())
    except ValueError:
        raise _fail(key, "is not a PEM certificate; expected the CA that signed the endpoint's certificate") from None
    return value


def _s3(raw: Any, key: str, secret: bool) -> S3Bucket:
    values = _object(raw, key, S3_FIELDS)
    bucket = _text(values, "bucket", key, required=True)
    if not _BUCKET.match(bucket) or ".." in bucket:
        raise _fail(f"{key}.bucket", f"{excerpt(bucket)}; expected an S3 bucket name (3-63 lowercase letters, "
                                     "digits, dots and hyphens)")
    region = _text(values, "region", key) or "us-east-1"
    if not _REGION.match(region):
        raise _fail(f"{key}.region", f"{excerpt(region)}; expected a region such as us-east-1")
    prefix = _text(values, "prefix", key).strip("/")
    if prefix and (not _PREFIX.match(prefix) or ".." in prefix.split("/") or "//" in prefix):
        raise _fail(f"{key}.prefix", f"{excerpt(prefix)}; expected a key prefix such as backups/homelab")
    access_key = _text(values, "accessKeyId", key, required=True, secret=True)
    secret_key = _text(values, "secretAccessKey", key, required=True, secret=True)
    if not secret:
        raise _fail(f"{key}.secretAccessKey", "is stored in plain text; set it as a secret: pulumi config set "
                                              f"--secret --path '{key}.secretAccessKey' <key>")
    return S3Bucket(_endpoint(_text(values, "endpoint", key, required=True), f"{key}.endpoint"), bucket, region,
                    prefix, access_key, secret_key,
                    _ca_certificate(_text(values, "caCertificate", key), f"{key}.caCertificate"))


def parse_etcd_backups(raw: Any, *, default_folder: Path, root: Path, secret: bool,
                       key: str = BACKUPS_KEY) -> EtcdBackups | None:
    """The setting as EtcdBackups; None when it says `enabled: false`. Absent: a local folder, 10 kept.
    `secret` says whether the stack stores the key encrypted (required once it holds S3 keys)."""
    if raw is None:
        return EtcdBackups(str(default_folder))
    values = _object(raw, key, BACKUP_FIELDS)
    if "enabled" in values and not parse_bool(values["enabled"], f"{key}.enabled"):
        return None
    folder = _path(_text(values, "folder", key), f"{key}.folder", root) if values.get("folder") \
        else str(default_folder)
    keep = values.get("keep", DEFAULT_KEEP)
    if isinstance(keep, bool) or not isinstance(keep, int) or not 1 <= keep <= MAX_KEEP:
        raise _fail(f"{key}.keep", f"{excerpt(keep)}; expected a whole number of snapshots from 1 to {MAX_KEEP}")
    recipients = values.get("ageRecipients") or []
    if isinstance(recipients, str):
        recipients = [recipients]
    if not isinstance(recipients, list):
        raise _fail(f"{key}.ageRecipients", f"{excerpt(recipients)}; expected a list of age public keys")
    parsed = tuple(parse_recipient(str(r), f"{key}.ageRecipients[{i}]") for i, r in enumerate(recipients))
    s3 = _s3(values["s3"], f"{key}.s3", secret) if values.get("s3") is not None else None
    if s3 is not None and not parsed:
        raise _fail(f"{key}.ageRecipients", "is required with s3: snapshots leave this machine encrypted with age, "
                                            "as talos-backup's AGE_X25519_PUBLIC_KEY (age-keygen makes a key pair)")
    schedule = _text(values, "schedule", key)
    if schedule:
        if not _CRON.match(schedule):
            raise _fail(f"{key}.schedule", f"{excerpt(schedule)}; expected a CronJob schedule such as '0 * * * *'")
        if s3 is None:
            raise _fail(f"{key}.schedule", "needs s3: talos-backup in the cluster uploads to an S3-compatible bucket")
        if len(parsed) != 1:
            raise _fail(f"{key}.schedule", f"needs exactly one of ageRecipients (talos-backup's "
                                           f"AGE_X25519_PUBLIC_KEY takes one), got {len(parsed)}")
    image = _text(values, "scheduleImage", key) or TALOS_BACKUP_IMAGE
    if not _IMAGE.match(image):
        raise _fail(f"{key}.scheduleImage", f"{excerpt(image)}; expected an image reference")
    return EtcdBackups(folder, keep, parsed, s3, schedule, image)


def parse_etcd_restore(raw: Any, *, root: Path, key: str = RESTORE_KEY) -> EtcdRestore | None:
    """`{from: <snapshot file>, skipHashCheck: false, ageIdentityFile: <age key file>}`; a plain string is the
    file. Read only when a bootstrap runs."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, str):
        raw = {"from": raw}
    values = _object(raw, key, (*RESTORE_FIELDS, "ageIdentityFile"))
    snapshot = _path(_text(values, "from", key, required=True), f"{key}.from", root)
    skip = parse_bool(values.get("skipHashCheck", False), f"{key}.skipHashCheck")
    identity = _text(values, "ageIdentityFile", key)
    identity = _path(identity, f"{key}.ageIdentityFile", root) if identity else ""
    if snapshot.endswith(".age") and not identity:
        raise _fail(f"{key}.ageIdentityFile", f"is required: {excerpt(Path(snapshot).name)} is age-encrypted; "
                                              "expected the age key file that decrypts it")
    return EtcdRestore(snapshot, skip, identity)


def parse_restore_text(text: str | None, root: Path, key: str = RESTORE_KEY) -> EtcdRestore | None:
    """The setting as the stack config holds it: JSON for an object, else a plain snapshot path."""
    if text is None:
        return None
    import json

    try:
        raw = json.loads(text)
    except ValueError:
        raw = text
    return parse_etcd_restore(raw, root=root, key=key)
