"""A command's peak resident memory, as the kernel counts it: the child is reaped with wait4, whose rusage is
that child's alone (getrusage(RUSAGE_CHILDREN) would report the largest child this process ever had)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Measured:
    returncode: int
    stderr: str
    peak_mb: float  # ru_maxrss: KiB on Linux


def peak_rss(argv: list[str], *, timeout: float = 60.0, stdin: bytes = b"") -> Measured:
    """Run `python ARGV` from the project root with stdout discarded; its exit code, stderr and peak RSS."""
    with tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as given:
        given.write(stdin)
        given.seek(0)
        process = subprocess.Popen([sys.executable, *argv], cwd=ROOT, stdin=given, stdout=subprocess.DEVNULL,
                                   stderr=err, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
        killer = threading.Timer(timeout, process.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            killer.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
        err.seek(0)
        return Measured(process.returncode, err.read().decode(errors="replace"), usage.ru_maxrss / 1024)
