"""A seeded fuzz over what peers send: replies from the fake Talos API and the fake Kubernetes API in random
hostile modes and random mutations of honest replies, each read by the call a user's command makes.

A case passes when the call returns or raises a TalosError (TalosAPIError, KubeAPIError) whose text holds no
raw control character and stays bounded; any other exception (a traceback) or a hang fails it. Used by
tests/test_fuzz_peers.py (small, in CI) and benchmarks/fuzz_inputs.py (the full run, with its figures)."""

from __future__ import annotations

import asyncio
import json
import random
import re
import resource
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from components.talos.api import calls, methods
from components.talos.api.archive import single_file_archive
from components.talos.api.client import TalosClient
from components.talos.api.proto.common import common_pb2
from components.talos.api.proto.cosi import resource_pb2, state_pb2
from components.talos.api.proto.machine import machine_pb2
from components.talos.api.proto.storage import storage_pb2
from components.talos.errors import MESSAGE_LIMIT, TalosError
from components.talos.kube.client import KubeClient

from .emulated import fresh_subnet
from .hostile.identity import Authority
from .hostile.kube_api import MODES as KUBE_MODES
from .hostile.kube_api import FakeKubeAPI, KubeReply, reply
from .hostile.node import HostileNode, hostile_node
from .hostile.talos_api import GRPC_HEADERS, Reply, frame
from .hostile.talos_replies import ESCAPES, WIRE_MODES

RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]")
MAX_ERROR = MESSAGE_LIMIT * 3  # a fan-out error joins a few bounded parts
CALL_TIMEOUT = 1.0
SLOW = 5.0  # a case longer than this is a hang


@dataclass
class PeerTally:
    cases: Counter[str] = field(default_factory=Counter)
    returned: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    crashes: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    slowest: float = 0.0

    def rows(self) -> list[str]:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return [f"{name:13} cases={self.cases[name]:5} handled cleanly={self.returned[name] + self.refused[name]:5} "
                f"(returned {self.returned[name]}, refused {self.refused[name]}) crashes={self.crashes[name]}"
                for name in sorted(self.cases)] + [f"peers: peak RSS of this process {peak:.0f} MB, slowest case "
                                                   f"{self.slowest:.2f} s"]


def _run(tally: PeerTally, kind: str, label: str, call: Callable[[], Awaitable[Any]]) -> None:
    tally.cases[kind] += 1
    started = time.perf_counter()
    try:
        asyncio.run(asyncio.wait_for(call(), SLOW))
    except TalosError as error:
        tally.refused[kind] += 1
        text = str(error)
        if RAW_CONTROL.search(text.replace("\n", "")) or len(text) > MAX_ERROR:
            tally.failures.append(f"{kind}/{label}: error of {len(text)} chars or with raw controls: {text[:120]!r}")
    except TimeoutError:
        tally.crashes[kind] += 1
        tally.failures.append(f"{kind}/{label}: no end within {SLOW:g}s")
    except Exception as error:  # a traceback is exactly what this looks for
        tally.crashes[kind] += 1
        tally.failures.append(f"{kind}/{label}: traceback {type(error).__name__}: {str(error)[:200]}")
    else:
        tally.returned[kind] += 1
    tally.slowest = max(tally.slowest, time.perf_counter() - started)


# --------------------------------------------------------------------------- Talos API

def _text(rng: random.Random) -> str:
    return rng.choice(["", "x", ESCAPES, ESCAPES * 200, "\x00\xff", "é" * 50, "a" * rng.randrange(5000)])


def _honest(method: methods.Method, rng: random.Random) -> bytes:
    """A well-formed reply with random content: what mutations start from."""
    meta = common_pb2.Metadata(hostname=_text(rng))
    if rng.random() < 0.15:
        meta.error, meta.status.code, meta.status.message = _text(rng), rng.randrange(-5, 40), _text(rng)
    if method is methods.VERSION:
        message: Any = machine_pb2.VersionResponse(messages=[machine_pb2.Version(
            metadata=meta, version=machine_pb2.VersionInfo(tag=_text(rng)))])
    elif method is methods.SERVICE_LIST:
        event = machine_pb2.ServiceEvent(msg=_text(rng))
        event.ts.seconds = rng.choice([0, -(2**62), 2**62, 1_700_000_000])
        message = machine_pb2.ServiceListResponse(messages=[machine_pb2.ServiceList(metadata=meta, services=[
            machine_pb2.ServiceInfo(id=_text(rng), state=_text(rng), events=machine_pb2.ServiceEvents(
                events=[event]))])])
    elif method is methods.DISKS:
        disk = storage_pb2.Disk(device_name=_text(rng), size=rng.randrange(2**63))
        disk.type = rng.randrange(-3, 40)  # type: ignore[assignment]
        message = storage_pb2.DisksResponse(messages=[storage_pb2.Disks(metadata=meta, disks=[disk])])
    elif method is methods.ETCD_MEMBER_LIST:
        message = machine_pb2.EtcdMemberListResponse(messages=[machine_pb2.EtcdMembers(metadata=meta, members=[
            machine_pb2.EtcdMember(id=rng.randrange(2**64), hostname=_text(rng), peer_urls=[_text(rng)])])])
    elif method in (methods.COSI_GET, methods.COSI_LIST):
        spec = rng.choice(["hostname: a", "- 1", "{{", "a: &a [*a]", "[" * 300, _text(rng), "a: 1\na: 2"])
        item = resource_pb2.Resource(metadata=resource_pb2.Metadata(id=_text(rng)),
                                     spec=resource_pb2.Spec(yaml_spec=spec))
        message = (state_pb2.GetResponse if method is methods.COSI_GET else state_pb2.ListResponse)(resource=item)
    elif method is methods.KUBECONFIG:
        content = rng.choice([b"apiVersion: v1\nclusters: []\n", b"- a", b"\xff", ESCAPES.encode()])
        archive = single_file_archive(rng.choice(["kubeconfig", "x", "../k"]), content)
        message = common_pb2.Data(metadata=meta, bytes=archive)
    else:  # logs, dmesg
        message = common_pb2.Data(metadata=meta, bytes=_text(rng).encode() + b"\n")
    return bytes(message.SerializeToString())


def _mutated(original: bytes, rng: random.Random) -> bytes:
    data = bytearray(original)
    for _ in range(rng.randrange(1, 4)):
        choice = rng.randrange(4)
        if choice == 0 and data:
            data[rng.randrange(len(data))] = rng.randrange(256)
        elif choice == 1:
            del data[rng.randrange(len(data) + 1):]
        elif choice == 2:
            at = rng.randrange(len(data) + 1)
            data[at:at] = rng.randbytes(rng.randrange(1, 20))
        else:
            data += data[: rng.randrange(len(data) + 1)]
    return bytes(data)


def _talos_reply(method: methods.Method, rng: random.Random) -> Reply:
    if rng.random() < 0.4:
        mode = rng.choice(sorted(set(WIRE_MODES) - {"stall", "escapes"}))
        answer = WIRE_MODES[mode](method)
        if mode == "endless":
            answer.repeat_bytes = 2 * 1024 * 1024
        return answer
    body = _honest(method, rng)
    if rng.random() < 0.4:
        body = _mutated(body, rng)
    flag = 0 if rng.random() < 0.85 else rng.choice([1, 2, 255])
    length = None if rng.random() < 0.85 else rng.choice([0, len(body) + 1, max(0, len(body) - 1), 2**32 - 1])
    trailers = None
    if rng.random() < 0.1:
        trailers = rng.choice([[], [(b"grpc-status", str(rng.randrange(-2, 30)).encode())],
                               [(b"grpc-status", b"13"), (b"grpc-message", ESCAPES.encode("latin-1", "replace"))]])
    headers = GRPC_HEADERS if rng.random() < 0.9 else rng.choice([[], [(b":status", b"404")], GRPC_HEADERS[1:],
                                                                  [*GRPC_HEADERS, (b"x-bin", b"%%")]])
    return Reply(data=[frame(body, flag=flag, length=length)] * rng.choice([1, 1, 2]), headers=headers,
                 trailers=trailers)


CALLS: dict[str, tuple[methods.Method, Callable[[TalosClient], Awaitable[Any]]]] = {
    "version": (methods.VERSION, lambda c: calls.version(c, node="n")),
    "services": (methods.SERVICE_LIST, lambda c: calls.services(c, node="n")),
    "disks": (methods.DISKS, lambda c: calls.disks(c, node="n")),
    "etcd members": (methods.ETCD_MEMBER_LIST, lambda c: calls.etcd_members(c, node="n")),
    "get": (methods.COSI_GET, lambda c: calls.get_resource(c, "cluster", "Members.cluster.talos.dev", "a")),
    "list": (methods.COSI_LIST, lambda c: calls.list_resources(c, "cluster", "Members.cluster.talos.dev")),
    "machine config": (methods.COSI_GET, lambda c: calls.machine_config(c)),
    "kubeconfig": (methods.KUBECONFIG, lambda c: calls.kubeconfig(c)),
}


async def _drain(chunks: Any) -> int:
    async with aclosing(chunks) as stream:
        return sum([len(chunk) async for chunk in stream])


CALLS["logs"] = (methods.LOGS, lambda c: _drain(calls.logs(c, "apid", node="n")))
CALLS["dmesg"] = (methods.DMESG, lambda c: _drain(calls.dmesg(c, node="n")))


def _constant(answer: Reply) -> Callable[[str, bytes], Reply]:
    return lambda path, request: answer


def talos_cases(node: HostileNode, count: int, seed: int, tally: PeerTally) -> None:
    rng = random.Random(seed)
    for index in range(count):
        name = rng.choice(sorted(CALLS))
        method, action = CALLS[name]
        answer = _talos_reply(method, rng)
        node.answers["*"] = _constant(answer)

        async def call(action: Callable[[TalosClient], Awaitable[Any]] = action) -> Any:
            async with TalosClient(node.address, node.credentials, timeout=CALL_TIMEOUT, fan_out=True) as client:
                return await action(client)

        _run(tally, "talos replies", f"{index}:{name}", call)


# --------------------------------------------------------------------------- Kubernetes API

def _json_shape(rng: random.Random) -> Any:
    return rng.choice([
        {"kind": "PodList", "items": [{"metadata": {"name": "a", "namespace": "n"}}]},
        {"kind": "PodList", "items": rng.choice([None, {}, "x", [1], [{"metadata": []}], [{"metadata": {}}]])},
        [], "x", 1, None, {"kind": "Status", "reason": ESCAPES, "message": ESCAPES * 100},
        {"items": [{"metadata": {"name": ESCAPES, "namespace": "n", "ownerReferences": ["x", {"kind": 1}]}}]},
    ])


def _kube_reply(rng: random.Random) -> KubeReply:
    if rng.random() < 0.4:
        mode = rng.choice(sorted(set(KUBE_MODES) - {"stall", "closed"}))
        return KUBE_MODES[mode]()
    body = json.dumps(_json_shape(rng)).encode()
    if rng.random() < 0.4:
        body = _mutated(body, rng)
    status = rng.choice([200, 200, 200, 201, 204, 301, 404, 409, 429, 500, 599, 100, 101])
    headers: dict[str, str] = {}
    length: str | None = None
    framing = rng.randrange(5)
    if framing == 1:
        length = rng.choice(["-5", "abc", str(len(body) + 10), " 1", "0x10", "1" * 30])
    elif framing == 2:
        headers["Transfer-Encoding"] = "chunked"
        chunk = rng.choice([f"{len(body):x}", "zz", "-1", "FFFFFFFF", f"{len(body):x};ext=1", ""])
        answer = reply(status, headers=headers)
        return KubeReply(answer.head, f"{chunk}\r\n".encode() + body + rng.choice([b"\r\n0\r\n\r\n", b"", b"xx"]))
    elif framing == 3:
        headers["Location"] = ESCAPES * rng.randrange(1, 1000)
    return reply(status, body, headers=headers, length=length)


KUBE_CALLS: dict[str, Callable[[KubeClient], Awaitable[Any]]] = {
    "nodes": lambda c: c.nodes(),
    "pods": lambda c: c.pods(field_selector="spec.nodeName=a"),
    "node": lambda c: c.node("a"),
    "delete node": lambda c: c.delete_node("a"),
    "apply": lambda c: c.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}),
}


def _bound(call: Callable[[KubeClient], Awaitable[Any]], client: KubeClient) -> Callable[[], Awaitable[Any]]:
    return lambda: call(client)


def kube_cases(count: int, seed: int, tally: PeerTally) -> None:
    rng = random.Random(seed + 1)
    authority = Authority.new("ecdsa")
    address = f"{fresh_subnet()}.91"
    answers: list[KubeReply] = []
    with FakeKubeAPI(address, lambda method, target: answers[-1], certificate=authority.server(address)) as api:
        credentials = authority.credentials("system:masters")
        for index in range(count):
            name = rng.choice(sorted(KUBE_CALLS))
            answers.append(_kube_reply(rng))
            client = KubeClient(api.url, credentials, timeout=CALL_TIMEOUT)
            _run(tally, "kube replies", f"{index}:{name}", _bound(KUBE_CALLS[name], client))
            answers[:-1] = []


def run_peers(talos: int, kube: int, seed: int = 20) -> PeerTally:
    tally = PeerTally()
    with tempfile.TemporaryDirectory() as directory, hostile_node(f"{fresh_subnet()}.90", Path(directory)) as node:
        talos_cases(node, talos, seed, tally)
    kube_cases(kube, seed, tally)
    return tally
