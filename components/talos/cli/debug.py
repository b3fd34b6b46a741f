"""``talosctl service(s)``, ``logs`` and ``dmesg``: what a node runs and what it logged
(cmd/talosctl/cmd/talos/service.go, logs.go, dmesg.go)."""

from __future__ import annotations

import argparse
import datetime
import sys
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any

from ..api import calls
from ..errors import ConfigError, terminal_safe
from .session import Session, add_global_flags
from .tables import print_table


def _health(service: calls.ServiceState) -> str:
    return "?" if service.healthy is None else ("OK" if service.healthy else "Fail")


def _since(when: datetime.datetime | None) -> str:
    """Go's time.Since(ts).Round(time.Second).String(), e.g. 1h2m3s."""
    if when is None:
        return ""
    seconds = max(0, round((datetime.datetime.now(datetime.UTC) - when).total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    return f"{minutes}m{secs}s" if minutes else f"{secs}s"


def _service(args: argparse.Namespace) -> int:
    if args.action not in (None, "status"):
        raise ConfigError(f"service {args.id} {args.action}: only listing and status are supported by this CLI")
    session = Session(args)
    results = session.each(lambda client, node: calls.services(client, node=node))
    if args.id is None:
        rows = [[node, s.id, s.state, _health(s), f"{_since(s.last_change)} ago", s.last_event or "<none>"]
                for node, services in results for s in services]
        print_table(["NODE", "SERVICE", "STATE", "HEALTH", "LAST CHANGE", "LAST EVENT"], rows)
        return 0
    for node, services in results:
        match = next((s for s in services if s.id == args.id), None)
        if match is None:
            raise ConfigError(f"node {node}: service {args.id!r} is not running there; "
                              f"it runs {', '.join(s.id for s in services)}")
        rows = [["NODE", node], ["ID", match.id], ["STATE", match.state], ["HEALTH", _health(match)]]
        if match.health_message:
            rows.append(["LAST HEALTH MESSAGE", match.health_message])
        print_table(rows[0], rows[1:])
    return 0


# talosctl keeps each node's unfinished line until its newline (logs.go lineBuffers), however long; here a line
# longer than this is printed in pieces, so memory stays bounded whatever a node streams.
LINE_LIMIT = 64 * 1024


def _print_line(node: str, line: bytes) -> None:
    sys.stdout.write(f"{node}: {terminal_safe(line, None, lines=True)}\n")


async def _print_prefixed(node: str, chunks: AsyncGenerator[bytes, None]) -> None:
    """logs.go: each complete line as "<node>: <line>", written as it arrives (nothing accumulates)."""
    pending = b""
    async with aclosing(chunks):
        async for chunk in chunks:
            *lines, pending = (pending + chunk).split(b"\n")
            for line in lines:
                _print_line(node, line)
            while len(pending) > LINE_LIMIT:
                _print_line(node, pending[:LINE_LIMIT])
                pending = pending[LINE_LIMIT:]
    if pending:
        _print_line(node, pending)


def _logs(args: argparse.Namespace) -> int:
    if args.follow:
        raise ConfigError("logs --follow is not supported by this CLI; drop -f to print the log so far")
    session = Session(args)
    session.each(lambda client, node: _print_prefixed(node, calls.logs(
        client, args.service, kubernetes=args.kubernetes, tail_lines=args.tail, node=node)))
    return 0


def _dmesg(args: argparse.Namespace) -> int:
    if args.follow:
        raise ConfigError("dmesg --follow is not supported by this CLI; drop -f to print the kernel log so far")
    session = Session(args)
    session.each(lambda client, node: _print_prefixed(node, calls.dmesg(client, tail=args.tail, node=node)))
    return 0


def register(commands: Any) -> None:
    service = commands.add_parser("service", aliases=["services"], help="list services or show one (talosctl service)")
    add_global_flags(service)
    service.add_argument("id", nargs="?")
    service.add_argument("action", nargs="?", help="status (start, stop and restart are refused)")
    service.set_defaults(handler=_service)

    logs = commands.add_parser("logs", help="print a service's or container's log (talosctl logs)")
    add_global_flags(logs)
    logs.add_argument("service", metavar="SERVICE")
    logs.add_argument("-k", "--kubernetes", action="store_true", help="use the k8s.io containerd namespace")
    logs.add_argument("-f", "--follow", action="store_true", help="stream the log (refused, see the error)")
    logs.add_argument("--tail", type=int, default=-1, help="lines of log to show (default: all)")
    logs.set_defaults(handler=_logs)

    dmesg = commands.add_parser("dmesg", help="print the kernel log (talosctl dmesg)")
    add_global_flags(dmesg)
    dmesg.add_argument("-f", "--follow", action="store_true", help="stream the kernel log (refused, see the error)")
    dmesg.add_argument("--tail", action="store_true", help="only new messages (with --follow)")
    dmesg.set_defaults(handler=_dmesg)
