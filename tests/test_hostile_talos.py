"""A hostile Talos node (issue 20, findings 5, 6 and 8): whatever it sends, every command ends with its output
or one error line naming the node, never a traceback; nothing it says reaches the terminal raw or unbounded;
`operations.apply` (the Pulumi path) retries or fails cleanly."""

from __future__ import annotations

import asyncio
import gzip
import io
import re
import tarfile
import time
from collections.abc import Iterator
from typing import Any

import pytest
from google.protobuf import empty_pb2

from components.talos.api import methods, operations
from components.talos.api.archive import MAX_ARCHIVE_BYTES, single_file_archive
from components.talos.api.client import TalosClient
from components.talos.api.errors import TalosAPIError
from components.talos.api.operations import Target
from components.talos.api.proto.common import common_pb2
from components.talos.api.proto.cosi import resource_pb2, state_pb2
from components.talos.api.proto.machine import machine_pb2
from components.talos.api.proto.storage import storage_pb2
from components.talos.cli import main
from components.talos.errors import MESSAGE_LIMIT, NAME_LIMIT

from .emulated import fresh_subnet
from .hostile.node import HostileNode, hostile_node
from .hostile.talos_api import Reply, frame
from .hostile.talos_replies import ESCAPES, FLOOD, WIRE_MODES

RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]")


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileNode]:
    with hostile_node(f"{fresh_subnet()}.90", tmp_path_factory.mktemp("hostile")) as fake:
        yield fake


@pytest.fixture(autouse=True)
def honest_by_default(node: HostileNode) -> Iterator[None]:
    yield
    node.answers.clear()


def run(node: HostileNode, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """The CLI as a user runs it: an exit code, or any exception escapes (a traceback fails the test)."""
    code = main(node.cli(*args))
    out, err = capsys.readouterr()
    return code, out, err


def assert_clean(node: HostileNode, code: int, out: str, err: str) -> None:
    assert code in (0, 1), code
    assert not RAW_CONTROL.search(out + err.replace("\n", "")), (out + err)[:300]
    if code == 1:
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and node.address in lines[0], err[:300]
        assert len(lines[0]) < MESSAGE_LIMIT + 600, len(lines[0])


# One command per way a reply is read: a unary fan-out reply, a collected stream (COSI list), a stream written
# through, a collected stream of bytes unpacked (the kubeconfig archive). Every other command reads its reply one
# of these ways (they run against a few modes below).
COMMANDS = [("version",), ("get", "members"), ("logs", "apid"), ("kubeconfig", "--merge=false", "-")]
OTHER_COMMANDS = [("get", "mc", "-o", "yaml"), ("bootstrap",), ("etcd", "members"), ("dmesg",), ("disks",),
                  ("services",)]
# Endless replies end at the collected-stream cap, except logs and dmesg, which would print until the call's
# timeout (30 s): here their stream stops after 4 MiB (the memory of an endless one: tests/test_hostile_memory.py).
MODES = sorted(set(WIRE_MODES) - {"stall"})


def _mode(name: str) -> Any:
    make = WIRE_MODES[name]
    by_path = {m.path: m for m in methods.ALL}

    def answer(path: str, request: bytes) -> Reply:
        reply = make(by_path[path])
        if name == "endless" and by_path[path] in (methods.LOGS, methods.DMESG):
            reply.repeat_bytes = 4 * 1024 * 1024
        return reply

    return answer


@pytest.mark.parametrize("mode", MODES)
def test_every_command_ends_cleanly_whatever_the_node_sends(node, capsys, mode):
    node.answers["*"] = _mode(mode)
    for command in COMMANDS + (OTHER_COMMANDS if mode in ("garbage", "escapes", "endless", "empty") else []):
        started = time.monotonic()
        code, out, err = run(node, capsys, *command)
        assert_clean(node, code, out, err)
        assert time.monotonic() - started < 10, (command, mode)


def test_a_stalled_node_is_cut_off_at_the_call_timeout(node):
    node.answers["*"] = _mode("stall")

    async def version() -> Any:
        async with TalosClient(node.address, node.credentials, timeout=0.5) as client:
            return await client.call(methods.VERSION, empty_pb2.Empty())

    started = time.monotonic()
    with pytest.raises(TalosAPIError, match=r"no answer within 0\.5s"):
        asyncio.run(version())
    assert time.monotonic() - started < 4  # a stalled node never answers


# ---------------------------------------------------------------------- sizes a node decides

def test_a_reply_larger_than_talos_own_limit_is_refused_before_it_is_read(node, capsys):
    node.answers["Version"] = _mode("huge")
    code, _, err = run(node, capsys, "version")
    assert code == 1 and "RESOURCE_EXHAUSTED: grpc: received message larger than max (209715200 vs. 33554432)" \
        in err
    assert node.server.tally.connections  # the reply was not read: a 200 MiB body never crossed the wire


VALID_KUBECONFIG = b"""apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: 'https://10.0.0.1:6443'}}]
users: [{name: u, user: {}}]
contexts: [{name: u@c, context: {cluster: c, user: u}}]
current-context: u@c
"""


def _kubeconfig_reply(archive: bytes) -> Any:
    return lambda path, request: Reply(data=[frame(common_pb2.Data(bytes=archive))])


def _tar(*members: tuple[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as archive:
        for name, content in members:
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return out.getvalue()


@pytest.mark.parametrize(("archive", "words"), [
    (gzip.compress(bytes(MAX_ARCHIVE_BYTES * 4)), "the archive inflates past 4194304 bytes"),
    (gzip.compress(_tar(("kubeconfig", b"a: 1\n"), ("other", b"x"))), "found more"),
    (gzip.compress(_tar(("../../etc/passwd", b"x"))), "expected one file named 'kubeconfig'"),
    (b"not gzip at all", "not a gzip tar archive"),
    (gzip.compress(b"x" * 100)[:-10], "not a gzip tar archive"),
    (single_file_archive("kubeconfig", b"\xff\xfe"), "not UTF-8"),
    (single_file_archive("kubeconfig", b"- a\n- b\n"), "not a kubeconfig"),
    (single_file_archive("kubeconfig", b"clusters: {a: 1}\n"), "clusters is dict; expected a list"),
    (single_file_archive("kubeconfig", b"contexts:\n- name: x\n  context: [1]\n"), "contexts[0].context"),
    (single_file_archive("kubeconfig", f"x: '{ESCAPES}'\n".encode()), "not YAML"),
], ids=["bomb", "two files", "another file", "not gzip", "truncated gzip", "not UTF-8", "a list", "clusters a map",
        "context a list", "escapes"])
def test_a_kubeconfig_reply_that_is_no_kubeconfig_is_refused_naming_the_node(node, capsys, tmp_path, archive,
                                                                              words):
    node.answers["Kubeconfig"] = _kubeconfig_reply(archive)
    code, out, err = run(node, capsys, "kubeconfig", str(tmp_path / "kubeconfig"))
    assert_clean(node, code, out, err)
    assert code == 1 and words in err, err
    assert not (tmp_path / "kubeconfig").exists()


def test_a_line_without_end_is_printed_in_pieces_not_gathered(node, capsys):
    from components.talos.cli.debug import LINE_LIMIT

    node.answers["Logs"] = lambda path, request: Reply(data=[frame(common_pb2.Data(bytes=b"x" * (LINE_LIMIT * 3)))])
    code, out, _ = run(node, capsys, "logs", "apid")
    assert code == 0 and [len(line) for line in out.splitlines()] == [len(f"{node.address}: ") + LINE_LIMIT] * 3


# ---------------------------------------------------------------------- what a node says, on a terminal

def _fan_out_error(reply_type: Any) -> Any:
    """A reply whose per-node metadata carries an error (apid's fan-out), hostname and text both hostile."""
    message = reply_type()
    entry = message.messages.add()
    entry.metadata.hostname = ESCAPES + "h" * 100_000
    entry.metadata.error = FLOOD
    entry.metadata.status.code = 13
    entry.metadata.status.message = FLOOD
    return lambda path, request: Reply(data=[frame(message)])


def test_a_node_error_with_terminal_escapes_and_100_kb_of_text_is_shown_escaped_and_cut(node, capsys):
    node.answers["Version"] = _fan_out_error(machine_pb2.VersionResponse)
    code, out, err = run(node, capsys, "version")
    assert_clean(node, code, out, err)
    assert "\\x1b]0;owned\\x07\\x1b[2J" in err and "\\u202e" in err
    assert err.count("h") < NAME_LIMIT + 50 and err.count("A") < MESSAGE_LIMIT


def test_a_grpc_status_message_with_escapes_is_shown_escaped_and_cut(node, capsys):
    node.answers["*"] = _mode("escapes")
    code, out, err = run(node, capsys, "version")
    assert_clean(node, code, out, err)
    assert code == 1 and "\\x1b]0;owned" in err and err.count("A") < MESSAGE_LIMIT


def test_what_a_node_reports_is_printed_with_its_escapes_shown_not_obeyed(node, capsys):
    hostile = ESCAPES + "z" * 100_000
    version = machine_pb2.VersionResponse(messages=[machine_pb2.Version(
        version=machine_pb2.VersionInfo(tag=hostile, arch=hostile), platform=machine_pb2.PlatformInfo(name=hostile))])
    members = machine_pb2.EtcdMemberListResponse(messages=[machine_pb2.EtcdMembers(members=[
        machine_pb2.EtcdMember(id=1, hostname=hostile, peer_urls=[hostile])])])
    services = machine_pb2.ServiceListResponse(messages=[machine_pb2.ServiceList(services=[
        machine_pb2.ServiceInfo(id=hostile, state=hostile)])])
    node.answers.update({"Version": lambda p, r: Reply(data=[frame(version)]),
                         "EtcdMemberList": lambda p, r: Reply(data=[frame(members)]),
                         "ServiceList": lambda p, r: Reply(data=[frame(services)]),
                         "Logs": lambda p, r: Reply(data=[frame(common_pb2.Data(bytes=hostile.encode() + b"\n"))])})
    spec = f"hostname: \"{hostile[:200]}\"\n".replace("\x1b", "\\e").replace("\x07", "\\a")
    listing = state_pb2.ListResponse(resource=_resource(spec))
    node.answers["List"] = lambda p, r: Reply(data=[frame(listing)])
    for command in (("version",), ("etcd", "members"), ("services",), ("logs", "apid"), ("get", "members"),
                    ("get", "members", "-o", "yaml")):
        code, out, err = run(node, capsys, *command)
        assert_clean(node, code, out, err)
        assert code == 0 and "\\x1b]0;owned" in out, (command, out[:200])
        if command not in (("logs", "apid"), ("get", "members", "-o", "yaml")):  # shown whole, controls escaped
            assert out.count("z") < 4 * NAME_LIMIT, (command, out.count("z"))


# ---------------------------------------------------------------------- content that does not parse

def _resource(yaml_spec: str) -> Any:
    return resource_pb2.Resource(metadata=resource_pb2.Metadata(namespace="cluster", type="Members.cluster.talos.dev",
                                                                id="n1", version="1"),
                                 spec=resource_pb2.Spec(yaml_spec=yaml_spec))


BILLION_LAUGHS = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},"
    f"*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)}]\n" for i in range(8))


@pytest.mark.parametrize(("spec", "words"), [
    ("hostname: [unclosed", "the resource spec is not valid YAML"),
    (BILLION_LAUGHS, "the resource spec is not valid YAML"),
    ("[" * 1000, "the resource spec is not valid YAML"),
    ("a: 1\na: 2\n", "the resource spec is not valid YAML"),
])
def test_a_resource_spec_that_is_not_yaml_is_refused_naming_the_node(node, capsys, spec, words):
    node.answers["List"] = lambda path, request: Reply(data=[frame(state_pb2.ListResponse(resource=_resource(spec)))])
    code, out, err = run(node, capsys, "get", "members")
    assert_clean(node, code, out, err)
    assert code == 1 and words in err


def test_health_discovery_refuses_a_member_whose_spec_is_not_a_mapping(node, capsys):
    node.answers["List"] = lambda path, request: Reply(data=[frame(state_pb2.ListResponse(
        resource=_resource("- 1\n- 2\n")))])
    code, _, err = run(node, capsys, "health", "--wait-timeout", "1s")
    assert code == 1 and "member n1 has no address" in err


def test_an_unknown_disk_type_and_status_code_read_as_unknown(node, capsys):
    disk = storage_pb2.Disk(device_name="/dev/x", size=1)
    disk.type = 99  # type: ignore[assignment]  # proto3 enums are open: a newer Talos may send any number
    reply = storage_pb2.DisksResponse(messages=[storage_pb2.Disks(disks=[disk])])
    node.answers["Disks"] = lambda path, request: Reply(data=[frame(reply)])
    code, out, _ = run(node, capsys, "disks")
    assert code == 0 and "UNKNOWN" in out
    failed = machine_pb2.VersionResponse()
    failed.messages.add().metadata.CopyFrom(common_pb2.Metadata(hostname="n", error="boom"))
    failed.messages[0].metadata.status.code = 999
    node.answers["Version"] = lambda path, request: Reply(data=[frame(failed)])
    code, _, err = run(node, capsys, "version")
    assert code == 1 and "UNKNOWN: boom" in err


# ---------------------------------------------------------------------- the Pulumi path

@pytest.mark.parametrize("mode", MODES)
def test_operations_apply_fails_cleanly_whatever_the_node_sends(node, mode):
    node.answers["*"] = _mode(mode)
    with pytest.raises(TalosAPIError) as caught:
        asyncio.run(operations.apply(Target(node.address), b"version: v1alpha1\n", node.credentials, deadline=0.3))
    assert node.address in str(caught.value) and not RAW_CONTROL.search(str(caught.value))


@pytest.mark.parametrize("mode", ["garbage", "truncated", "compressed", "no-grpc-status"])
def test_operations_apply_retries_a_malformed_reply_until_its_deadline(node, mode):
    node.answers["*"] = _mode(mode)
    before = len(node.server.tally.requests)
    with pytest.raises(TalosAPIError, match="gave up after 2 attempts"):
        asyncio.run(operations.apply(Target(node.address), b"version: v1alpha1\n", node.credentials, deadline=0.8))
    assert len(node.server.tally.requests) - before == 2


# ---------------------------------------------------------------------- local files

@pytest.mark.parametrize(("content", "words"), [
    (b"\xff\xfe\x00", "not UTF-8 text"),
    (b"context: [", "not YAML"),
    (b"- a\n", "not a talosconfig"),
    (b"context: a\ncontexts: {a: {endpoints: 10.0.0.1}}\n", "contexts.a.endpoints: expected a list of addresses"),
    (b"context: a\ncontexts: {a: {ca: 12}}\n", "contexts.a.ca is not base64"),
    (b"context: a\ncontexts: {a: {endpoints: [10.0.0.1]}}\n", "has no ca, crt and key"),
    (b"context: [1]\ncontexts: {}\n", "is not defined under contexts"),
])
def test_a_malformed_talosconfig_is_an_error_naming_the_file(tmp_path, capsys, content, words):
    path = tmp_path / "config"
    path.write_bytes(content)
    assert main(["version", "--talosconfig", str(path), "-n", "127.0.0.1"]) == 1
    err = capsys.readouterr().err
    assert f"talosconfig {path}" in err and words in err, err


@pytest.mark.parametrize(("content", "words"), [
    (b"\xff\xfe", "not UTF-8 text"),
    (b"clusters: [", "not YAML"),
    (b"- 1\n", "not a kubeconfig"),
    (b"users: [{user: {}}]\n", "users[0] has no name"),
    (b"contexts: [{name: a, context: {cluster: [1]}}]\n", "contexts[0].context"),
])
def test_a_malformed_kube_config_to_merge_into_is_an_error_naming_the_file(node, capsys, tmp_path, content, words):
    path = tmp_path / "config"
    path.write_bytes(content)
    node.answers["Kubeconfig"] = _kubeconfig_reply(single_file_archive("kubeconfig", VALID_KUBECONFIG))
    code, _, err = run(node, capsys, "kubeconfig", str(path))
    assert code == 1 and f"kubeconfig {path}" in err and words in err, err
    assert path.read_bytes() == content
