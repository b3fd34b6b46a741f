"""Waiting for a Vultr snapshot import: Vultr fetches the image behind ``create-from-url`` in the background and the
Vultr provider returns at once (vultr/terraform-provider-vultr vultr/resource_vultr_snapshot_from_url.go has no
wait; resource_vultr_snapshot.go waits for status "complete" out of "pending"). Instances take their snapshot id
from this resource, so none is created from an image that is still importing.

The status is read as the Vultr SDK does (vultr/govultr snapshot.go ``Get``: ``GET /v2/snapshots/{id}``,
``{"snapshot": {"status": ...}}``, bearer API key). ``TALOS_CLUSTER_VULTR_API`` replaces the API's base URL
(a proxy, or a stand-in in tests); unset, it is https://api.vultr.com.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from typing import Any

import pulumi
from pulumi.dynamic import CheckResult, CreateResult, DiffResult, Resource, ResourceProvider, UpdateResult

from ..talos.errors import TalosError
from .base import changed, inputs_of, require, seconds

VULTR_API = "https://api.vultr.com"
API_ENV = "TALOS_CLUSTER_VULTR_API"
DEFAULT_TIMEOUT = 3600.0  # a raw Talos image is over 1 GiB; Vultr imports it at its own pace
COMPLETE, PENDING = "complete", "pending"


class VultrSnapshotError(TalosError):
    pass


def snapshot_status(snapshot_id: str, api_key: str, base: str) -> str:
    request = urllib.request.Request(f"{base.rstrip('/')}/v2/snapshots/{snapshot_id}",
                                     headers={"Authorization": f"Bearer {api_key}", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return str(json.load(reply)["snapshot"]["status"])
    except urllib.error.HTTPError as error:
        detail = _vultr_error(error)
        raise VultrSnapshotError(f"Vultr snapshot {snapshot_id}: GET /v2/snapshots/{snapshot_id} answered "
                                 f"{error.code} {detail}; if it names your IP address, add it under Account → API → "
                                 "Access Control") from None
    except (urllib.error.URLError, OSError, ValueError, KeyError) as error:
        raise VultrSnapshotError(f"Vultr snapshot {snapshot_id}: cannot read its status from {base}: {error}") \
            from None


def _vultr_error(error: urllib.error.HTTPError) -> str:
    """Vultr's own wording ({"error": ...}); never the request, which carries the key."""
    try:
        return str(json.loads(error.read() or b"{}").get("error") or error.reason)
    except ValueError:
        return str(error.reason)


def wait_complete(snapshot_id: str, api_key: str, deadline: float, base: str) -> str:
    started, pause, status = time.monotonic(), 1.0, PENDING
    while True:
        status = snapshot_status(snapshot_id, api_key, base)
        if status == COMPLETE:
            return status
        if status != PENDING:
            raise VultrSnapshotError(f"Vultr snapshot {snapshot_id}: import ended with status {status!r}; "
                                     "check that the Image Factory URL serves an uncompressed .raw image")
        if time.monotonic() - started + pause > deadline:
            raise VultrSnapshotError(f"Vultr snapshot {snapshot_id}: still {status} after {deadline:.0f}s")
        time.sleep(pause)
        pause = min(pause * 2, 15.0)


class SnapshotReadyProvider(ResourceProvider):
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return CheckResult(news, require(news, ("snapshot_id", "api_key"), "Vultr snapshot"))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = changed(olds, news, ("snapshot_id",))
        return DiffResult(changes=bool(replaces), replaces=replaces, delete_before_replace=False)

    def _wait(self, inputs: dict[str, Any]) -> dict[str, Any]:
        snapshot_id = str(inputs["snapshot_id"])
        status = wait_complete(snapshot_id, str(inputs["api_key"]), seconds(inputs.get("timeout"), DEFAULT_TIMEOUT),
                               os.environ.get(API_ENV) or VULTR_API)
        return {"snapshot_id": snapshot_id, "status": status, "timeout": inputs.get("timeout")}

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(f"snapshot-{props['snapshot_id']}", self._wait(inputs_of(props)))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(self._wait(inputs_of(news)))


class SnapshotReady(Resource, module="vultr", name="SnapshotReady"):
    """The id of a Vultr snapshot once its import is complete."""

    snapshot_id: pulumi.Output[str]

    def __init__(self, name: str, *, snapshot_id: pulumi.Input[str], api_key: pulumi.Input[str],
                 timeout: float = DEFAULT_TIMEOUT, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(SnapshotReadyProvider(), name, {
            "snapshot_id": snapshot_id, "api_key": pulumi.Output.secret(api_key), "timeout": timeout,
            "status": None}, opts)
