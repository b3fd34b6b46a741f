"""A hostile Kubernetes API server (issue 20, findings 5, 6 and 8): every reply it can break is refused with
an error naming the server, no traceback, nothing read past this client's limits, and nothing printed raw.
The client still verifies the server against the cluster's Kubernetes CA (tests/test_kube_api.py)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from components.talos.kube import http
from components.talos.kube.client import KubeAPIError, KubeClient
from components.talos.kube.removal import drain

from .emulated import fresh_subnet
from .hostile.identity import Authority
from .hostile.kube_api import MODES, POD_LIST, FakeKubeAPI, KubeReply, reply

PORT = 6443


@pytest.fixture(scope="module")
def authority() -> Authority:
    return Authority.new("ecdsa")  # Talos's Kubernetes CA is ECDSA


def pods_from(authority: Authority, answer: KubeReply, timeout: float = 10.0) -> tuple[Any, FakeKubeAPI]:
    """What KubeClient.pods() makes of `answer`: the pods, or the error it raised."""
    address = f"{fresh_subnet()}.90"
    with FakeKubeAPI(address, lambda method, target: answer, certificate=authority.server(address)) as server:
        client = KubeClient(server.url, authority.credentials("system:masters"), timeout=timeout)
        try:
            return asyncio.run(client.pods(field_selector="spec.nodeName=worker-01")), server
        except KubeAPIError as error:
            return error, server


REFUSED = sorted(set(MODES) - {"interim", "stall", "closed"})


@pytest.mark.parametrize("mode", REFUSED)
def test_a_broken_reply_is_refused_naming_the_api_server(authority, mode):
    started = time.monotonic()
    outcome, server = pods_from(authority, MODES[mode]())
    assert isinstance(outcome, KubeAPIError), f"{mode}: read as {outcome!r}"
    message = str(outcome)
    assert f"{server.address}:{PORT}" in message, message
    assert "\x1b" not in message and "\u202e" not in message and len(message) < 1500, message[:200]
    assert time.monotonic() - started < 5  # refused at once, not read until the 10 s timeout or memory runs out


def test_truncated_json_with_200_is_an_error_so_drain_never_sees_nothing_to_evict(authority):
    address = f"{fresh_subnet()}.90"

    def answer(method: str, target: str) -> KubeReply:
        if method == "PATCH":  # the cordon
            return reply(200, {"metadata": {"name": "worker-01"}})
        return MODES["truncated-json"]()

    with FakeKubeAPI(address, answer, certificate=authority.server(address)) as server:
        client = KubeClient(server.url, authority.credentials("system:masters"), timeout=3)
        with pytest.raises(KubeAPIError, match="answered 200 with not JSON; expected a JSON object"):
            asyncio.run(drain(client, "worker-01", deadline=5))


def test_sizes_the_server_declares_are_refused_before_a_byte_of_them_is_read(authority):
    for mode, words in (("huge-length", "reply of 100000000000 bytes is larger than this client's limit"),
                        ("huge-chunk", "chunked reply larger than this client's limit"),
                        ("negative-length", "Content-Length '-1' is not a length"),
                        ("float-length", "Content-Length '1e11' is not a length")):
        outcome, _ = pods_from(authority, MODES[mode]())
        assert words in str(outcome), (mode, str(outcome))


def test_redirects_are_not_followed_and_say_where_they_pointed(authority):
    outcome, server = pods_from(authority, MODES["redirect"]())
    assert "answered 302 (redirect to https://203.0.113.9:6443/api/v1/pods); this client follows no redirects" \
        in str(outcome)
    assert len(server.tally.requests) == 1


def test_an_api_server_message_with_terminal_escapes_is_shown_escaped_and_cut(authority):
    outcome, _ = pods_from(authority, MODES["status-escapes"]())
    message = str(outcome)
    assert "Error from server (\\x1b]0;owned\\x07" in message and message.count("A") < 1100


def test_interim_replies_are_skipped_as_rfc_9110_asks(authority):
    pods, _ = pods_from(authority, MODES["interim"]())
    assert [p["metadata"]["name"] for p in pods] == ["a", "b"]


def test_a_body_without_a_length_is_read_to_the_end_of_the_connection(authority):
    body = reply(200, POD_LIST)
    answer = KubeReply(body.head.replace(f"Content-Length: {len(body.body)}\r\n".encode(), b""), body.body)
    pods, _ = pods_from(authority, answer)
    assert len(pods) == 2


def test_a_stalled_or_silent_server_ends_in_a_transient_error_at_the_timeout(authority):
    for mode in ("stall", "closed"):
        outcome, _ = pods_from(authority, MODES[mode](), timeout=0.5)
        assert isinstance(outcome, KubeAPIError) and outcome.transient, (mode, outcome)


def test_the_header_block_and_chunk_lines_are_bounded():
    assert http.MAX_LINE <= http.MAX_HEADER_BYTES < http.MAX_BODY
