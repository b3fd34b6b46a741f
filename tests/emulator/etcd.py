"""etcd of an emulated cluster: the key space every member replicates (the Kubernetes objects the API servers
store), its snapshot format, and the restore Talos runs when it bootstraps with a recovery snapshot.

A member's database is not bbolt, but it is shaped like one where the checks look: whole pages (bbolt writes
4 KiB pages, so the body is a multiple of etcd's 512-byte sector) followed by etcd's sha256 trailer
(etcd client/v3/snapshot: the snapshot stream ends with the sha256 of the database; etcdutl/snapshot
v3_snapshot.go hasChecksum and copyAndVerifyDB check it before a restore). The body is a header naming the
format and the length of the key space, the key space as JSON, and zero padding.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import struct
from dataclasses import dataclass, field
from typing import Any

from .kubernetes import RegisteredNode, Workload

MAGIC = b"emulated-etcd-db/v1\0"
PAGE = 4096  # bbolt's page size on amd64
CHECKSUM_SIZE = 32
SECTOR = 512
RECOVERY_SNAPSHOT_PATH = "/var/lib/etcd.snapshot"  # pkg/machinery/constants EtcdRecoverySnapshotPath


@dataclass
class EtcdData:
    """One cluster's key space, replicated on every member (etcd's Raft log is not modelled)."""

    revision: int = 1
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)  # API path → object (server-side apply)
    nodes: dict[str, RegisteredNode] = field(default_factory=dict)  # /registry/minions: hostname → Node
    workloads: list[Workload] = field(default_factory=list)  # /registry/pods scheduled by tests

    def written(self) -> None:
        self.revision += 1

    @property
    def keys(self) -> int:
        return len(self.objects) + len(self.nodes) + len(self.workloads)


class InvalidDatabase(Exception):
    """What bbolt.Open says of a file that is not a database (bbolt errors.ErrInvalid)."""


class RestoreFailed(Exception):
    """etcdutl's restore refused the snapshot; `data_written` says whether the data directory got the copy
    first (copyAndVerifyDB copies the database into member/snap/db before it checks the hash)."""

    def __init__(self, message: str, data_written: bool) -> None:
        super().__init__(message)
        self.data_written = data_written


def _go_bytes(value: bytes) -> str:
    """fmt's %v of a []byte, as etcd prints a sha256 in its error."""
    return "[" + " ".join(str(byte) for byte in value) + "]"


def encode(data: EtcdData) -> bytes:
    """The snapshot a member streams: header, key space, page padding, sha256 trailer."""
    space = json.dumps({"revision": data.revision, "objects": data.objects,
                        "nodes": [dataclasses.asdict(node) for node in data.nodes.values()],
                        "workloads": [dataclasses.asdict(workload) for workload in data.workloads]},
                       sort_keys=True).encode()
    body = MAGIC + struct.pack(">Q", len(space)) + space
    body += b"\0" * (-len(body) % PAGE)
    return body + hashlib.sha256(body).digest()


def status(snapshot: bytes) -> EtcdData:
    """etcdutl snapshot Status: open the database (the trailer, if any, is ignored) and read its key space."""
    header = len(MAGIC) + 8
    if len(snapshot) < header or not snapshot.startswith(MAGIC):
        raise InvalidDatabase("invalid database")
    (length,) = struct.unpack(">Q", snapshot[len(MAGIC):header])
    try:
        space = json.loads(snapshot[header:header + length])
        return EtcdData(int(space["revision"]), dict(space["objects"]),
                        {node["hostname"]: RegisteredNode(**node) for node in space["nodes"]},
                        [Workload(**workload) for workload in space["workloads"]])
    except (ValueError, KeyError, TypeError):
        raise InvalidDatabase("invalid database") from None


def restore(snapshot: bytes | None, skip_hash_check: bool) -> EtcdData:
    """siderolabs/talos internal/app/machined/pkg/system/services/etcd.go recoverFromSnapshot: Status on the
    uploaded file, then etcdutl's Restore (copyAndVerifyDB: trailer required and matching unless skipped)."""
    if snapshot is None:
        raise RestoreFailed(f"error verifying snapshot: stat {RECOVERY_SNAPSHOT_PATH}: no such file or directory",
                            data_written=False)
    try:
        data = status(snapshot)
    except InvalidDatabase as error:
        raise RestoreFailed(f"error verifying snapshot: {error}", data_written=False) from None
    has_hash = len(snapshot) % SECTOR == CHECKSUM_SIZE
    if not has_hash and not skip_hash_check:
        raise RestoreFailed("error recovering from the snapshot: snapshot missing hash but --skip-hash-check=false",
                            data_written=True)
    if has_hash and not skip_hash_check:
        expected, actual = snapshot[-CHECKSUM_SIZE:], hashlib.sha256(snapshot[:-CHECKSUM_SIZE]).digest()
        if expected != actual:
            raise RestoreFailed(f"error recovering from the snapshot: expected sha256 {_go_bytes(expected)}, got "
                                f"{_go_bytes(actual)}", data_written=True)
    return data
