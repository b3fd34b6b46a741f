"""The SDK's dynamic-provider host, unchanged, with each provider call it serves timed.

    python -u -m benchmarks.host_probe      (as `python -u -m pulumi.dynamic`; env TALOS_BENCH_CALLS=FILE)

pulumi/dynamic/__main__.py main() serves the provider on `grpc.server(ThreadPoolExecutor(max_workers=4))`:
a call runs only while it holds one of those 4 threads, so the time between a servicer method's entry and
its return is the time the call held a thread. Each served call appends `method resource started ended`
(CLOCK_MONOTONIC, shared by every process on the machine) to FILE.
"""

from __future__ import annotations

import functools
import os
import runpy
import threading
import time
from collections.abc import Callable
from typing import Any

from pulumi.runtime.proto import provider_pb2_grpc

TIMED = ("Check", "Diff", "Create", "Update", "Delete", "Read")
_register = provider_pb2_grpc.add_ResourceProviderServicer_to_server
_lock = threading.Lock()


def _timed(name: str, method: Callable[[Any, Any], Any], log: str) -> Callable[[Any, Any], Any]:
    @functools.wraps(method)
    def served(request: Any, context: Any) -> Any:
        started = time.monotonic()
        try:
            return method(request, context)
        finally:
            ended = time.monotonic()
            resource = request.urn.rsplit("::", 1)[-1]
            with _lock, open(log, "a", encoding="utf-8") as out:
                out.write(f"{name} {resource} {started:.6f} {ended:.6f}\n")

    return served


def _register_timed(servicer: Any, server: Any) -> None:
    # add_ResourceProviderServicer_to_server takes the bound methods when it builds the handlers, so the
    # servicer's methods are replaced on the instance just before.
    log = os.environ["TALOS_BENCH_CALLS"]
    for name in TIMED:
        setattr(servicer, name, _timed(name, getattr(servicer, name), log))
    _register(servicer, server)


if __name__ == "__main__":
    provider_pb2_grpc.add_ResourceProviderServicer_to_server = _register_timed
    runpy.run_module("pulumi.dynamic", run_name="__main__", alter_sys=True)
