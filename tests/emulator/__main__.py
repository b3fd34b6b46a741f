"""Serve emulated Talos nodes until interrupted:

    python -m tests.emulator --nodes 5 --first-address 127.0.0.21 --talos-version v1.13.9
"""

from __future__ import annotations

import argparse
import contextlib
import threading

from .cluster import EmulatedCluster, loopback_addresses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.emulator", description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1, help="how many nodes (default 1)")
    parser.add_argument("--first-address", default="127.0.0.21", help="first loopback address (default 127.0.0.21)")
    parser.add_argument("--port", type=int, default=50000, help="API port on every address (default 50000)")
    parser.add_argument("--talos-version", default="v1.13.9", help="Talos version the nodes report")
    parser.add_argument("--install-seconds", type=float, default=2.0, help="install time after the first apply")
    parser.add_argument("--reboot-seconds", type=float, default=2.0, help="time a reboot keeps the port closed")
    parser.add_argument("--journal", metavar="FILE", help="append one JSON line per node event to FILE")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every call (default 0)")
    args = parser.parse_args(argv)
    try:
        addresses = loopback_addresses(args.first_address, args.nodes)
    except ValueError as error:
        parser.error(str(error))
    cluster = EmulatedCluster(addresses, version=args.talos_version, port=args.port,
                              install_seconds=args.install_seconds, reboot_seconds=args.reboot_seconds,
                              journal=args.journal, announce=lambda line: print(line, flush=True))
    with cluster:
        for address in addresses:
            cluster.node(address).faults.latency = args.latency
            print(f"ready: {address}:{args.port} (Talos {args.talos_version}, maintenance mode)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
