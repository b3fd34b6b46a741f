"""talosctl's etcd commands: bootstrap (with --recover-from), etcd members, etcd snapshot."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

from ..api import calls
from ..api.client import TalosClient
from ..api.etcd import bootstrap_from
from ..api.operations import Target
from ..backups.snapshot import check_restorable, partial_file
from ..errors import terminal_safe
from .session import Session, add_global_flags

# talosctl streams a snapshot without a deadline; this one gives a slow link half an hour
SNAPSHOT_TIMEOUT = 1800.0
RECOVER_DEADLINE = 600.0  # upload, bootstrap and etcd starting on the restored data


def _quoted(path: Path) -> str:
    """Go's %q of a path, as talosctl prints it."""
    return json.dumps(str(path))


def _bootstrap(args: argparse.Namespace) -> int:
    session = Session(args)
    if args.recover_from:
        return _recover(session, Path(args.recover_from), args.recover_skip_hash_check)
    node, done = session.one("bootstrap", lambda client, node: calls.bootstrap(client, node=node))
    if not done:
        print(f"{node}: etcd is already bootstrapped (etcd data directory is not empty); nothing to do")
    return 0


def _recover(session: Session, snapshot: Path, skip_hash_check: bool) -> int:
    """talosctl bootstrap --recover-from: checked, uploaded, bootstrapped, and (beyond talosctl) etcd watched
    until it runs, because Talos reports a refused snapshot only through the etcd service."""
    checked = check_restorable(snapshot, skip_hash_check)
    integrity = "sha256 verified" if checked.intact else "hash check skipped"
    print(f"recovering from snapshot {_quoted(snapshot)}: {checked.size} bytes, {integrity}")
    credentials = session.secure_credentials("bootstrap")
    node = session.single("bootstrap")
    target = Target(node, session.endpoint if node != session.endpoint else "")
    asyncio.run(bootstrap_from(target, credentials, snapshot, skip_hash_check=skip_hash_check,
                               deadline=RECOVER_DEADLINE))
    print(f"{node}: etcd restored from {_quoted(snapshot)} and running; the other control planes join it")
    return 0


def _members(args: argparse.Namespace) -> int:
    session = Session(args)
    print(f"{'NODE':<16}{'ID':<18}{'HOSTNAME':<20}{'PEER URLS':<28}{'LEARNER'}")
    for node, members in session.each(lambda client, node: calls.etcd_members(client, node=node)):
        for member in members:  # names a node reports are printed inert (errors.terminal_safe)
            hostname, urls = terminal_safe(member.hostname), terminal_safe(",".join(member.peer_urls))
            print(f"{node:<16}{member.id:<18x}{hostname:<20}{urls:<28}{str(member.is_learner).lower()}")
    return 0


def _snapshot(args: argparse.Namespace) -> int:
    """talosctl etcd snapshot <path> (etcd.go etcdSnapshotCmd): into <path>.part, 0600, the sha256 trailer
    required, renamed; talosctl's "snapshot info" line needs a bbolt reader and is not printed."""
    session = Session(args)
    path = Path(args.path)

    async def save(client: TalosClient, node: str) -> int:
        with partial_file(path) as stream:
            return await calls.etcd_snapshot(client, stream.write, node=node, timeout=SNAPSHOT_TIMEOUT)

    _, size = session.one("etcd snapshot", save)
    print(f"etcd snapshot saved to {_quoted(path)} ({size} bytes)")
    return 0


def register(commands: Any) -> None:
    bootstrap = commands.add_parser("bootstrap", help="bootstrap etcd on one control plane (talosctl bootstrap)")
    add_global_flags(bootstrap)
    bootstrap.add_argument("--recover-from", metavar="PATH", default="",
                           help="recover etcd cluster from the snapshot")
    bootstrap.add_argument("--recover-skip-hash-check", action="store_true",
                           help="skip integrity check when recovering etcd (use when recovering from data directory "
                                "copy)")
    bootstrap.set_defaults(handler=_bootstrap)

    etcd = commands.add_parser("etcd", help="etcd commands (talosctl etcd)")
    etcd_verbs = etcd.add_subparsers(dest="verb", metavar="VERB", required=True)
    members = etcd_verbs.add_parser("members", help="list etcd members")
    add_global_flags(members)
    members.set_defaults(handler=_members)
    snapshot = etcd_verbs.add_parser("snapshot", help="stream snapshot of the etcd node to the path")
    add_global_flags(snapshot)
    snapshot.add_argument("path", help="where to write the snapshot (written as <path>.part, then renamed)")
    snapshot.set_defaults(handler=_snapshot)

