"""The emulator itself: runnable from the command line, loopback only, and faithful to Talos's quirks."""

from __future__ import annotations

import asyncio
import gzip
import io
import subprocess
import sys
import tarfile

import pytest

from components.talos.api import calls
from components.talos.api.archive import first_member, single_file_archive
from components.talos.api.client import TalosClient

from .conftest import ROOT
from .emulated import fresh_subnet
from .emulator import loopback_addresses


def test_python_m_tests_emulator_serves_nodes_until_interrupted():
    first = f"{fresh_subnet()}.21"
    process = subprocess.Popen([sys.executable, "-m", "tests.emulator", "--nodes", "2", "--first-address", first,
                                "--talos-version", "v1.13.9"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        ready = [process.stdout.readline().strip() for _ in range(2)]
        assert [line.split()[1] for line in ready] == [f"{a}:50000" for a in loopback_addresses(first, 2)]

        async def version() -> calls.VersionInfo:
            async with TalosClient(loopback_addresses(first, 2)[1], None) as client:
                return await calls.version(client)

        info = asyncio.run(version())
        assert info.tag == "v1.13.9" and info.maintenance
    finally:
        process.terminate()
        assert process.wait(10) in (0, -15)


def test_the_emulator_refuses_addresses_outside_loopback():
    with pytest.raises(ValueError, match=r"127\.0\.0\.0/8"):
        loopback_addresses("192.168.1.85", 3)


def test_kubeconfig_archives_have_no_end_blocks_as_talos_sends_them():
    archive = single_file_archive("kubeconfig", b"apiVersion: v1\n")
    raw = gzip.decompress(archive)
    assert len(raw) == 512 + len(b"apiVersion: v1\n")  # a header and the content, nothing after
    with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as reader:
        assert reader.next() is not None
        with pytest.raises(tarfile.ReadError):
            reader.next()  # Python's tarfile trips over the missing end blocks...
    assert first_member(archive) == b"apiVersion: v1\n"  # ...so the client reads only the first member
