"""talos-cluster:etcdBackups and etcdRestore are typed at load: a local folder by default, S3 only encrypted and
with its keys as secrets, every mistake named by its full key, and no key ever in a message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from components.talos.backups.settings import (
    TALOS_BACKUP_IMAGE,
    EtcdBackups,
    from_destination,
    parse_etcd_backups,
    parse_restore_text,
)
from components.talos.stackconfig import StackConfigError

ROOT = Path("/project")
DEFAULT = Path("/home/me/.local/share/talos-cluster/etcd-backups/homelab")
RECIPIENT = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
S3 = {"endpoint": "https://minio.lan:9000", "bucket": "talos-backups", "accessKeyId": "talos-backup",
      "secretAccessKey": SECRET}


def parse(raw: Any, secret: bool = True) -> EtcdBackups | None:
    return parse_etcd_backups(raw, default_folder=DEFAULT, root=ROOT, secret=secret)


def test_without_the_setting_snapshots_go_to_a_local_folder_ten_kept() -> None:
    assert parse(None) == EtcdBackups(str(DEFAULT), 10)


def test_enabled_false_turns_snapshots_off() -> None:
    assert parse({"enabled": False}) is None and parse({"enabled": "false"}) is None


def test_a_relative_folder_is_the_projects_and_home_is_expanded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/me")
    assert parse({"folder": "backups"}).folder == "/project/backups"  # type: ignore[union-attr]
    assert parse({"folder": "~/etcd"}).folder == "/home/me/etcd"  # type: ignore[union-attr]


def test_an_s3_bucket_with_its_keys_and_one_recipient_schedules_talos_backup() -> None:
    settings = parse({"s3": {**S3, "prefix": "/backups/homelab/"}, "ageRecipients": [RECIPIENT],
                      "schedule": "0 */6 * * *", "keep": 3})
    assert settings is not None and settings.s3 is not None
    assert (settings.s3.endpoint, settings.s3.region, settings.s3.key_prefix("homelab")) == (
        "https://minio.lan:9000", "us-east-1", "backups/homelab")
    assert (settings.keep, settings.schedule, settings.schedule_image) == (3, "0 */6 * * *", TALOS_BACKUP_IMAGE)
    assert SECRET not in repr(settings)  # the keys are fields, never shown
    assert SECRET not in str(settings.destination())  # what state keeps in plain text
    assert from_destination(settings.destination(), settings.credentials()) == EtcdBackups(
        settings.folder, 3, (RECIPIENT,), settings.s3)


@pytest.mark.parametrize(("raw", "key", "expected"), [
    ({"s3": S3}, "ageRecipients", "is required with s3"),
    ({"s3": {**S3, "endpoint": "http://minio.lan:9000"}, "ageRecipients": [RECIPIENT]}, "s3.endpoint",
     "expected https"),
    ({"s3": {**S3, "endpoint": "https://minio.lan:9000/bucket"}, "ageRecipients": [RECIPIENT]}, "s3.endpoint",
     "no path"),
    ({"s3": {**S3, "bucket": "Talos_Backups"}, "ageRecipients": [RECIPIENT]}, "s3.bucket", "S3 bucket name"),
    ({"s3": {**S3, "prefix": "../up"}, "ageRecipients": [RECIPIENT]}, "s3.prefix", "key prefix"),
    ({"s3": {**S3, "secretAccessKey": None}, "ageRecipients": [RECIPIENT]}, "s3.secretAccessKey", "is required"),
    ({"s3": {**S3, "caCertificate": "not a pem"}, "ageRecipients": [RECIPIENT]}, "s3.caCertificate",
     "not a PEM certificate"),
    ({"s3": {**S3, "tls": True}, "ageRecipients": [RECIPIENT]}, "s3", "unknown field(s) tls"),
    ({"ageRecipients": ["age1nope"]}, "ageRecipients[0]", "not an age X25519 public key"),
    ({"keep": 0}, "keep", "from 1 to 1000"),
    ({"keep": True}, "keep", "from 1 to 1000"),
    ({"schedule": "hourly"}, "schedule", "CronJob schedule"),
    ({"schedule": "0 * * * *"}, "schedule", "needs s3"),
    ({"s3": S3, "ageRecipients": [RECIPIENT, RECIPIENT], "schedule": "@hourly"}, "schedule",
     "needs exactly one of ageRecipients"),
    ({"folders": "x"}, "", "unknown field(s) folders"),
])
def test_a_bad_setting_is_refused_naming_its_full_key(raw: dict[str, Any], key: str, expected: str) -> None:
    with pytest.raises(StackConfigError) as failure:
        parse(raw)
    message = str(failure.value)
    assert message.startswith(f"stack config talos-cluster:etcdBackups{'.' + key if key else ''}: ")
    assert expected in message and SECRET not in message


def test_s3_keys_stored_in_plain_text_are_refused_with_the_command_that_encrypts_them() -> None:
    with pytest.raises(StackConfigError) as failure:
        parse({"s3": S3, "ageRecipients": [RECIPIENT]}, secret=False)
    assert "pulumi config set --secret --path 'talos-cluster:etcdBackups.s3.secretAccessKey'" in str(failure.value)
    assert SECRET not in str(failure.value)


def test_a_local_http_endpoint_is_allowed_only_on_loopback() -> None:
    settings = parse({"s3": {**S3, "endpoint": "http://127.0.0.1:9000"}, "ageRecipients": [RECIPIENT]})
    assert settings is not None and settings.s3 is not None and settings.s3.endpoint == "http://127.0.0.1:9000"


def test_a_restore_is_a_path_or_an_object_and_an_age_file_needs_its_key() -> None:
    assert parse_restore_text(None, ROOT) is None
    plain = parse_restore_text("db.snapshot", ROOT)
    assert plain is not None and (plain.snapshot, plain.skip_hash_check) == ("/project/db.snapshot", False)
    copied = parse_restore_text('{"from": "/backups/db", "skipHashCheck": "true"}', ROOT)
    assert copied is not None and copied.skip_hash_check
    with pytest.raises(StackConfigError, match=r"etcdRestore\.ageIdentityFile: is required: .*age-encrypted"):
        parse_restore_text('{"from": "db.snap.age"}', ROOT)
    with pytest.raises(StackConfigError, match=r"etcdRestore: unknown field\(s\) form"):
        parse_restore_text('{"form": "db"}', ROOT)
