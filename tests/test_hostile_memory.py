"""Memory a peer cannot decide (issue 20, finding 5): each hostile reply is run against the real CLI in a child
process and its peak RSS (wait4) compared with the same command's against an honest reply. Before the fix these
took 688 MB (a 200 MB reply), 1.4 GB (logs, 30 s of an endless stream), 3.2 GB (a 3 MB gzip kubeconfig) and
1.8-2.2 GB (a Kubernetes API declaring 1e11 bytes)."""

from __future__ import annotations

import functools
import gzip
from collections.abc import Iterator

import pytest

from components.talos.api import methods
from components.talos.api.archive import single_file_archive
from components.talos.api.proto.common import common_pb2
from components.talos.api.proto.machine import machine_pb2

from .emulated import fresh_subnet
from .hostile.identity import Authority
from .hostile.kube_api import MODES as KUBE_MODES
from .hostile.kube_api import FakeKubeAPI
from .hostile.memory import Measured, peak_rss
from .hostile.node import HostileNode, hostile_node
from .hostile.talos_api import Reply, frame
from .hostile.talos_replies import WIRE_MODES

BOUND_MB = 150  # over the honest run's peak
# What an "endless" log streams here before it ends (30 s of one would be GBs): written through, less than half
# of it may stay in memory at any time.
STREAMED = 32 * 1024 * 1024
STREAM_BOUND_MB = STREAMED / 2 / 1024 / 1024


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileNode]:
    with hostile_node(f"{fresh_subnet()}.90", tmp_path_factory.mktemp("memory")) as fake:
        yield fake


def cli(node: HostileNode, *args: str) -> Measured:
    return peak_rss(["-m", "components.talos", *node.cli(*args)])


@pytest.fixture(scope="module")
def baseline(node: HostileNode) -> float:
    """The CLI's peak against an honest node: Python, the program's imports, one TLS call."""
    version = machine_pb2.VersionResponse(messages=[machine_pb2.Version(version=machine_pb2.VersionInfo(
        tag="v1.14.0", arch="amd64"))])
    node.answers["Version"] = lambda path, request: Reply(data=[frame(version)])
    measured = cli(node, "version")
    node.answers.clear()
    assert measured.returncode == 0, measured.stderr
    return measured.peak_mb


@functools.cache
def gzip_bomb(size: int) -> bytes:
    """A kubeconfig archive that inflates to `size` bytes: a tar header claiming them, then zeros, as gzip members
    one after another (RFC 1952 §2.2; Go's gzip.Reader and Python's gzip.decompress read them all)."""
    header = single_file_archive("kubeconfig", b"")
    zeros = gzip.compress(bytes(1024 * 1024))
    return header + zeros * (size // (1024 * 1024))


def _endless_data(total: int) -> Reply:
    return Reply(repeat=frame(common_pb2.Data(bytes=b"x" * 65535 + b"\n")), repeat_bytes=total)


CASES = {
    "a 200 MiB Version reply": (("version",), {"Version": lambda p, r: WIRE_MODES["huge"](methods.VERSION)}),
    "an endless log": (("logs", "apid"), {"Logs": lambda p, r: _endless_data(STREAMED)}),
    "an endless kernel log": (("dmesg",), {"Dmesg": lambda p, r: _endless_data(STREAMED)}),
    "a kubeconfig inflating to 512 MiB": (("kubeconfig", "--merge=false", "-"), {
        "Kubeconfig": lambda p, r: Reply(data=[frame(common_pb2.Data(bytes=gzip_bomb(512 * 1024 * 1024)))])}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_hostile_talos_reply_costs_bounded_memory(node, baseline, case):
    command, answers = CASES[case]
    node.answers.update(answers)
    try:
        measured = cli(node, *command)
    finally:
        node.answers.clear()
    print(f"{case}: peak {measured.peak_mb:.0f} MB, honest {baseline:.0f} MB")
    assert "Traceback" not in measured.stderr, measured.stderr[-2000:]
    bound = STREAM_BOUND_MB if "endless" in case else BOUND_MB
    assert measured.peak_mb - baseline < bound, f"{case}: {measured.peak_mb:.0f} MB vs {baseline:.0f} MB"


KUBE_PROBE = """
import asyncio, sys
from components.talos.api.tls import Credentials
from components.talos.kube.client import KubeAPIError, KubeClient
ca, crt, key = (open(sys.argv[i], "rb").read() for i in (2, 3, 4))
try:
    asyncio.run(KubeClient(sys.argv[1], Credentials(ca, crt, key), timeout=3).nodes())
except KubeAPIError as error:
    print(f"error: {error}", file=sys.stderr)
    sys.exit(1)
"""


@pytest.mark.parametrize("mode", ["huge-length", "huge-chunk"])
def test_a_kubernetes_api_declaring_1e11_bytes_costs_bounded_memory(tmp_path, mode):
    authority = Authority.new("ecdsa")
    credentials = authority.credentials("system:masters")
    files = []
    for name, data in (("ca", credentials.ca), ("crt", credentials.crt), ("key", credentials.key)):
        (tmp_path / name).write_bytes(data)
        files.append(str(tmp_path / name))
    address = f"{fresh_subnet()}.90"
    honest = peak_rss(["-c", KUBE_PROBE, "https://127.0.0.1:1", *files])  # the same client, no reply at all
    with FakeKubeAPI(address, lambda method, target: KUBE_MODES[mode](), certificate=authority.server(address)) as api:
        measured = peak_rss(["-c", KUBE_PROBE, api.url, *files])
    print(f"{mode}: peak {measured.peak_mb:.0f} MB, honest {honest.peak_mb:.0f} MB")
    assert measured.returncode == 1 and "larger than this client's limit" in measured.stderr, measured.stderr
    assert measured.peak_mb - honest.peak_mb < BOUND_MB
