"""etcd snapshot files: written as talosctl writes them, checked as etcd checks them before a restore.

talosctl etcd snapshot (cmd/talosctl/cmd/talos/etcd.go etcdSnapshotCmd) streams into `<path>.part` (0600),
fsyncs, requires etcd's sha256 trailer (`size % 512 == 32`, the check etcd's client/v3/snapshot makes),
then renames to `<path>`. etcd restores only a file whose trailer is the sha256 of everything before it,
unless told to skip the check (etcdutl/snapshot/v3_snapshot.go copyAndVerifyDB, hasChecksum).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..errors import TalosError

CHECKSUM_SIZE = 32  # sha256.Size
SECTOR = 512  # etcd: "the minimum disk sector size", a snapshot body is a whole number of them
READ_CHUNK = 1024 * 1024


class SnapshotError(TalosError):
    """A snapshot that is not there, not complete, or not what etcd would restore."""


def has_checksum(size: int) -> bool:
    """etcdutl snapshot hasChecksum: the body fills whole sectors, so 32 extra bytes are the trailer."""
    return size % SECTOR == CHECKSUM_SIZE


@dataclass(frozen=True)
class Verification:
    size: int
    expected: bytes  # the trailer; empty when the file has none
    actual: bytes  # sha256 of the body

    @property
    def has_checksum(self) -> bool:
        return bool(self.expected)

    @property
    def intact(self) -> bool:
        return self.has_checksum and self.expected == self.actual


def verify(path: Path) -> Verification:
    """Read the file once, in chunks: its trailer and the sha256 of the rest."""
    try:
        size = path.stat().st_size
        with path.open("rb") as stream:
            trailer = size - CHECKSUM_SIZE if has_checksum(size) else size
            digest = hashlib.sha256()
            left = trailer
            while left > 0:
                chunk = stream.read(min(READ_CHUNK, left))
                if not chunk:
                    raise SnapshotError(f"snapshot {path}: changed while it was read")
                digest.update(chunk)
                left -= len(chunk)
            expected = stream.read(CHECKSUM_SIZE) if trailer != size else b""
    except OSError as error:
        raise SnapshotError(f"snapshot {path}: cannot read it: {error.strerror}") from None
    return Verification(size, expected, digest.digest())


def check_restorable(path: Path, skip_hash_check: bool) -> Verification:
    """What etcd's restore will refuse, refused here before anything is uploaded: a file without the trailer
    (a copy of the data directory needs --recover-skip-hash-check) or one whose body no longer matches it."""
    if not path.is_file():
        raise SnapshotError(f"snapshot {path}: no such file")
    result = verify(path)
    if skip_hash_check:
        return result
    if not result.has_checksum:
        raise SnapshotError(f"snapshot {path}: snapshot missing hash but --skip-hash-check=false ({result.size} "
                            "bytes is no etcd snapshot; a copy of the data directory's db needs "
                            "--recover-skip-hash-check)")
    if not result.intact:
        raise SnapshotError(f"snapshot {path}: expected sha256 {result.expected.hex()}, got {result.actual.hex()}: "
                            "the file is damaged; use another snapshot")
    return result


@contextmanager
def partial_file(path: Path) -> Iterator[BinaryIO]:
    """`<path>.part`, born 0600, never a symlink planted under that name; renamed to `path` when the body
    completes, removed when it does not."""
    part = path.with_name(path.name + ".part")
    try:
        part.unlink(missing_ok=True)  # a stale part, or a symlink under its name: removed, never followed
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as error:
        raise SnapshotError(f"{path}: cannot write: {error.strerror}") from None
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        size = part.stat().st_size
        if not has_checksum(size):
            raise SnapshotError(f"{path}: sha256 checksum not found (size {size})")
        os.replace(part, path)
    except OSError as error:
        part.unlink(missing_ok=True)
        raise SnapshotError(f"{path}: cannot write: {error.strerror}") from None
    except BaseException:
        part.unlink(missing_ok=True)
        raise
