"""Hostile replies to any Talos API call, by name: the wire-level lies a node (or anything at its address) can
tell. Each mode is a function of the method called, so one mode breaks unary and streaming calls alike."""

from __future__ import annotations

from collections.abc import Callable

from components.talos.api import methods
from components.talos.api.methods import Method
from components.talos.api.proto.common import common_pb2

from .talos_api import GRPC_HEADERS, Reply, frame

# ANSI/OSC escapes: set the window title, clear the screen, red text, a bidi override; then a flood.
ESCAPES = "\x1b]0;owned\x07\x1b[2J\x1b[31m\u202e"
FLOOD = ESCAPES + "A" * 100_000
HUGE = 200 * 1024 * 1024  # a 200 MiB reply, six times Talos's own limit
NOT_PROTOBUF = b"\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"  # a length that is not a varint


def _valid(method: Method) -> bytes:
    return frame(method.reply())


_BY_PATH = {method.path: method for method in methods.ALL}


def well_formed(path: str, request: bytes = b"") -> Reply:
    """A correct, empty reply to any call: what an attacker answers to look like a node."""
    method = _BY_PATH.get(path)
    return Reply(data=[_valid(method)] if method is not None else [])


def _endless(method: Method) -> Reply:
    chunk = common_pb2.Data(bytes=b"x" * 65536 + b"\n") if method.reply is common_pb2.Data else method.reply()
    return Reply(repeat=frame(chunk))


WIRE_MODES: dict[str, Callable[[Method], Reply]] = {
    "garbage": lambda m: Reply(data=[frame(NOT_PROTOBUF)]),
    "huge": lambda m: Reply(data=[frame(b"", length=HUGE)], repeat=bytes(65536), repeat_bytes=HUGE),
    "endless": _endless,
    "stall": lambda m: Reply(stall=True),
    "compressed": lambda m: Reply(data=[frame(_valid(m)[5:], flag=1)]),
    "bad-flag": lambda m: Reply(data=[frame(_valid(m)[5:], flag=7)]),
    "truncated": lambda m: Reply(data=[frame(NOT_PROTOBUF, length=len(NOT_PROTOBUF) + 100)]),
    "short-prefix": lambda m: Reply(data=[b"\x00\x00"]),
    "empty": lambda m: Reply(),
    "escapes": lambda m: Reply(status=13, message=FLOOD[:8_000]),  # 100 KB goes in a message body (fan-out)
    "no-status": lambda m: Reply(headers=[(b"content-type", b"application/grpc")], data=[_valid(m)]),
    "http-500": lambda m: Reply(headers=[(b":status", b"500")], trailers=[]),
    "not-grpc": lambda m: Reply(headers=[(b":status", b"200"), (b"content-type", b"text/html")], data=[b"<html>"]),
    "reset": lambda m: Reply(headers=[]),
    "no-grpc-status": lambda m: Reply(data=[_valid(m)], trailers=[]),
    "bad-grpc-status": lambda m: Reply(data=[_valid(m)], trailers=[(b"grpc-status", b"99x")]),
    "bad-bin-trailer": lambda m: Reply(data=[_valid(m)], trailers=[(b"grpc-status", b"0"), (b"x-bin", b"!%!")]),
    "bad-details": lambda m: Reply(status=13, message="x", trailers=[
        (b"grpc-status", b"13"), (b"grpc-message", b"x"), (b"grpc-status-details-bin", b"AAAA")]),
    "non-ascii-header": lambda m: Reply(headers=[*GRPC_HEADERS, (b"x-talos", b"\xff\xfe")], data=[_valid(m)]),
    "goaway": lambda m: Reply(goaway=True),
}
