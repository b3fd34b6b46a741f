"""Vultr imports a snapshot in the background: instances wait until it is complete, and what goes wrong is said
in Vultr's words without the API key."""

from __future__ import annotations

import time

import pytest

from components.providers.vultr_snapshot import VultrSnapshotError, wait_complete

from .vultr_api import FakeVultrAPI

KEY = "VULTRTESTKEY0000000000000000000000000"


def test_waiting_returns_once_vultr_reports_the_import_complete():
    with FakeVultrAPI(KEY) as api:
        api.importing("snap-1", pending_polls=1)
        started = time.monotonic()
        assert wait_complete("snap-1", KEY, deadline=30, base=api.url) == "complete"
    assert api.requests == ["/v2/snapshots/snap-1"] * 2 and time.monotonic() - started >= 1.0


def test_a_refused_key_is_reported_in_vultrs_words_without_the_key():
    with FakeVultrAPI(KEY) as api, pytest.raises(VultrSnapshotError) as failure:
        api.importing("snap-1")
        wait_complete("snap-1", "WRONGKEY", deadline=30, base=api.url)
    assert "answered 401 Invalid API token." in str(failure.value) and "WRONGKEY" not in str(failure.value)
    assert "Access Control" in str(failure.value)


def test_an_import_still_pending_at_the_deadline_fails_naming_the_snapshot():
    with FakeVultrAPI(KEY) as api, pytest.raises(VultrSnapshotError, match=r"snap-1: still pending after 2s"):
        api.importing("snap-1", pending_polls=100)
        wait_complete("snap-1", KEY, deadline=2, base=api.url)
