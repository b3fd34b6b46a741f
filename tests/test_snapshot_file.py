"""Snapshot files as talosctl writes them and as etcd checks them: a partial file that becomes the snapshot only
when it is one, never through a planted symlink, and a restore that refuses what etcd would refuse."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from components.talos.backups.snapshot import SnapshotError, check_restorable, partial_file, verify


def snapshot_bytes(body: bytes = b"db") -> bytes:
    body = body + b"\0" * (-len(body) % 4096)
    return body + hashlib.sha256(body).digest()


def test_a_complete_snapshot_is_renamed_into_place_0600(tmp_path: Path) -> None:
    target = tmp_path / "db.snapshot"
    with partial_file(target) as stream:
        stream.write(snapshot_bytes())
        assert (tmp_path / "db.snapshot.part").exists() and not target.exists()
    assert target.stat().st_mode & 0o777 == 0o600 and not (tmp_path / "db.snapshot.part").exists()
    assert verify(target).intact


def test_a_stream_without_etcds_trailer_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "db.snapshot"
    with pytest.raises(SnapshotError, match=r"sha256 checksum not found \(size 4096\)"), partial_file(target) as stream:
        stream.write(b"\0" * 4096)
    assert not target.exists() and not (tmp_path / "db.snapshot.part").exists()


def test_a_symlink_planted_as_the_partial_file_is_never_written_through(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    (tmp_path / "db.snapshot.part").symlink_to(victim)
    with partial_file(tmp_path / "db.snapshot") as stream:
        stream.write(snapshot_bytes())
    assert victim.read_text() == "keep me" and not (tmp_path / "db.snapshot").is_symlink()


def test_a_restore_refuses_a_copy_without_hash_unless_told_to_skip_the_check(tmp_path: Path) -> None:
    copy = tmp_path / "db"
    copy.write_bytes(b"\0" * 8192)  # the data directory's member/snap/db: whole pages, no trailer
    with pytest.raises(SnapshotError, match="snapshot missing hash but --skip-hash-check=false"):
        check_restorable(copy, skip_hash_check=False)
    assert not check_restorable(copy, skip_hash_check=True).has_checksum


def test_a_restore_refuses_a_missing_file_by_name(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match=r"db\.snapshot: no such file"):
        check_restorable(tmp_path / "db.snapshot", skip_hash_check=False)
