"""Taking an etcd snapshot and keeping it where the stack says: a local folder, or an S3-compatible bucket.

The destination is checked first, so an unreachable bucket or an unwritable folder stops everything before
any node is asked for anything. The snapshot streams into the destination folder (or, for a bucket, a 0700
staging folder), is verified against its sha256 trailer, encrypted with age where it leaves the machine,
stored, and the oldest of this cluster's snapshots beyond `keep` are removed.

Names: `<cluster>-<UTC time with milliseconds>.snap[.age]`, under the bucket's prefix (the cluster name unless
set), as talos-backup names its uploads `<cluster>-<RFC3339>.snap.age` under the same prefix (talos-backup
pkg/talos TakeEtcdSnapshot, cmd/talos-backup/service BackupSnapshot). The milliseconds tell this program's
snapshots from the CronJob's: retention never removes talos-backup's uploads.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..api.etcd import snapshot_from_healthy
from ..api.operations import Target
from ..api.tls import Credentials
from ..errors import TalosError
from .encryption import encrypt
from .s3 import S3Client
from .settings import EtcdBackups
from .snapshot import partial_file, verify

_NAME = re.compile(r"^(?P<cluster>.+)-\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\.snap(\.age)?$")


class BackupError(TalosError):
    pass


def snapshot_name(cluster: str, when: datetime.datetime) -> str:
    stamp = when.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
    return f"{cluster}-{stamp}.snap"


def ours(name: str, cluster: str) -> bool:
    """A name this program gave to one of `cluster`'s snapshots (never another cluster's, never the CronJob's)."""
    match = _NAME.match(name)
    return match is not None and match.group("cluster") == cluster


@dataclass(frozen=True)
class StoredSnapshot:
    location: str  # file path or s3:// URL
    node: str  # the control plane it came from
    size: int  # bytes of the snapshot (before encryption)
    sha256: str  # of the snapshot's body, as its trailer says
    encrypted: bool
    removed: tuple[str, ...]  # older snapshots removed to keep `keep`


class Destination(Protocol):
    def check(self) -> None: ...
    def store(self, staged: Path, name: str) -> str: ...
    def names(self) -> list[str]: ...
    def remove(self, name: str) -> None: ...


def _private_folder(folder: Path) -> Path:
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise BackupError(f"etcd backups folder {folder}: cannot create it: {error.strerror}") from None
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise BackupError(f"etcd backups folder {folder}: not a writable folder; check "
                          "talos-cluster:etcdBackups.folder")
    return folder


class LocalFolder:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def check(self) -> None:
        _private_folder(self.folder)

    def store(self, staged: Path, name: str) -> str:
        target = self.folder / name
        if staged != target:
            os.replace(staged, target)
        return str(target)

    def names(self) -> list[str]:
        return [entry.name for entry in self.folder.iterdir() if entry.is_file() and not entry.is_symlink()]

    def remove(self, name: str) -> None:
        (self.folder / name).unlink(missing_ok=True)


class Bucket:
    def __init__(self, client: S3Client, prefix: str) -> None:
        self.client = client
        self.prefix = prefix

    def check(self) -> None:
        self.client.check()

    def store(self, staged: Path, name: str) -> str:
        key = f"{self.prefix}/{name}"
        self.client.put(key, staged)
        return self.client.url(key)

    def names(self) -> list[str]:
        return [key.rsplit("/", 1)[-1] for key in self.client.list(f"{self.prefix}/")
                if key.rsplit("/", 1)[0] == self.prefix]

    def remove(self, name: str) -> None:
        self.client.delete(f"{self.prefix}/{name}")


def destination_for(settings: EtcdBackups, credentials: dict[str, str], cluster: str) -> Destination:
    if settings.s3 is None:
        return LocalFolder(Path(settings.folder))
    return Bucket(S3Client(settings.s3, credentials), settings.s3.key_prefix(cluster))


@contextlib.contextmanager
def _staging(settings: EtcdBackups) -> Iterator[Path]:
    """Where the snapshot is written first: the folder itself, or for a bucket a private folder removed after."""
    folder = _private_folder(Path(settings.folder))
    if settings.s3 is None:
        yield folder
        return
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=folder))
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def prune(destination: Destination, cluster: str, keep: int) -> tuple[str, ...]:
    """The oldest of `cluster`'s snapshots beyond `keep` removed (names sort by time)."""
    mine = sorted(name for name in destination.names() if ours(name, cluster))
    stale = tuple(mine[:-keep]) if len(mine) > keep else ()
    for name in stale:
        destination.remove(name)
    return stale


async def take_snapshot(settings: EtcdBackups, s3_credentials: dict[str, str], cluster: str,
                        control_planes: Sequence[Target], credentials: Credentials, *, deadline: float,
                        now: Callable[[], datetime.datetime] | None = None) -> StoredSnapshot:
    destination = destination_for(settings, s3_credentials, cluster)
    destination.check()  # before any node is asked: an unreachable destination changes nothing
    name = snapshot_name(cluster, (now or (lambda: datetime.datetime.now(datetime.UTC)))())
    with _staging(settings) as staging:
        plain = staging / name
        with partial_file(plain) as stream:
            node, size = await snapshot_from_healthy(control_planes, credentials, stream.write, deadline=deadline)
        checked = verify(plain)
        if not checked.intact:
            plain.unlink(missing_ok=True)
            raise BackupError(f"etcd snapshot from {node.node} is damaged (its sha256 trailer does not match); take "
                              "it again")
        staged, final = plain, name
        if settings.age_recipients:
            final = name + ".age"
            staged = staging / (final + ".part")
            staged.unlink(missing_ok=True)  # a stale part (or a link under its name) is removed, never followed
            encrypt(plain, staged, settings.age_recipients)
            plain.unlink()
        try:
            location = destination.store(staged, final)
        finally:
            if staged.name.endswith(".part"):
                staged.unlink(missing_ok=True)
    removed = prune(destination, cluster, settings.keep)
    return StoredSnapshot(location, node.node, size, checked.actual.hex(), bool(settings.age_recipients), removed)
