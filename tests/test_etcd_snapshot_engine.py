"""`pulumi up` takes an etcd snapshot before the first control plane of a rollout is touched, through the engine
stand-in on emulated nodes: the journal shows it first, the preview says so, and a snapshot that cannot be
taken or kept stops the rollout with no node touched."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from benchmarks.up_emulated import definition_text
from components.cluster import ClusterOptions
from components.talos.backups.settings import EtcdBackups, S3Bucket
from components.talos.definition import load
from components.talos.definition.model import ClusterDefinition

from .emulated import emulate, fresh_subnet, render
from .emulator import EmulatedCluster
from .engine import Engine, StepFailed
from .fake_s3 import FakeS3, FakeS3State
from .provider_host import ProviderHost
from .talos_layer import FAST, run_with

SNAPSHOT = "talos-etcd-snapshot"


def _definition(text: str) -> ClusterDefinition:
    return load.parse_definition(text, "bench.yaml", environ={})


def _events(journal: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in journal.read_text().splitlines()]


class Stack:
    """One emulated cluster and its stack, shared by this module's tests; each upgrade goes one patch up."""

    def __init__(self, text: str, emulated: EmulatedCluster, engine: Engine, options: ClusterOptions,
                 folder: Path, journal: Path) -> None:
        self.text, self.emulated, self.engine, self.options = text, emulated, engine, options
        self.folder, self.journal = folder, journal
        self.patch = 9
        self.taken_at_create: dict[str, Any] = {}

    def urn(self, name: str = SNAPSHOT) -> str:
        return next(urn for urn in self.engine.state if urn.endswith(f"::{name}"))

    @property
    def control_planes(self) -> list[str]:
        return render(self.text).control_planes

    def upgraded(self) -> str:
        return self.text.replace(f"talosVersion: v1.13.{self.patch}", f"talosVersion: v1.13.{self.patch + 1}")

    def up(self, text: str | None = None) -> dict[str, str]:
        result = self.engine.up(run_with(self.engine, _definition(text or self.text), self.options))
        if text is not None:
            self.text, self.patch = text, self.patch + (text != self.text)
        return {urn.rsplit("::", 1)[-1]: operation for urn, operation in result.items()}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    folder = tmp_path_factory.mktemp("etcd-snapshot-engine")
    text = definition_text(fresh_subnet(), 2, 0)
    options = replace(FAST, etcd_backups=EtcdBackups(str(folder / "backups"), keep=2))
    journal = folder / "journal.jsonl"
    with emulate(render(text), journal=str(journal)) as emulated, ProviderHost() as host:
        created = Stack(text, emulated, Engine(host), options, folder, journal)
        created.up()
        created.taken_at_create = created.engine.state[created.urn()].outputs["__taken"]
        yield created


def test_a_new_cluster_has_no_etcd_to_snapshot_and_its_up_takes_none(stack: Stack) -> None:
    assert stack.taken_at_create == {}


def test_a_talos_upgrade_takes_a_snapshot_before_the_first_control_plane_is_upgraded(stack: Stack) -> None:
    mark = len(_events(stack.journal))
    result = stack.up(stack.upgraded())
    assert result[SNAPSHOT] == "update"
    events = _events(stack.journal)[mark:]
    kinds = [event["event"] for event in events]
    assert "etcd-snapshot" in kinds and "upgrade" in kinds
    assert kinds.index("etcd-snapshot") < kinds.index("upgrade")
    assert events[kinds.index("upgrade")]["node"] == stack.control_planes[0]
    recorded = stack.engine.state[stack.urn()]
    version = f"v1.13.{stack.patch}"
    assert recorded.inputs["snapshot"] == (f"taken before: controlplane-01 upgrades to Talos {version} (reboots); "
                                           f"controlplane-02 upgrades to Talos {version} (reboots)")
    snapshot = Path(recorded.outputs["__taken"]["location"])
    assert snapshot.parent == stack.folder / "backups" and snapshot.name.startswith("bench-")
    assert snapshot.stat().st_mode & 0o777 == 0o600 and snapshot.stat().st_size % 512 == 32


def test_the_preview_says_a_snapshot_will_be_taken_and_an_unchanged_stack_takes_none(stack: Stack) -> None:
    calls_before = len(stack.emulated.calls_to("EtcdSnapshot"))
    assert stack.engine.preview(run_with(stack.engine, _definition(stack.text), stack.options))[stack.urn()] == "same"
    operations = stack.engine.preview(run_with(stack.engine, _definition(stack.upgraded()), stack.options))
    assert operations[stack.urn()] == "update" and "snapshot" in stack.engine.display[stack.urn()]
    assert len(stack.emulated.calls_to("EtcdSnapshot")) == calls_before


def test_an_unreachable_backup_bucket_stops_the_rollout_before_any_node_is_touched(stack: Stack) -> None:
    bucket = S3Bucket(f"http://{fresh_subnet()}.1:9", "backups", "us-east-1", "", "KEY", "SECRET")
    recipients = ("age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p",)
    options = stack.options
    stack.options = replace(options, etcd_backups=EtcdBackups(str(stack.folder / "staging"), 2, recipients, bucket))
    calls_before = len(stack.emulated.calls)
    try:
        with pytest.raises(StepFailed) as failure:
            stack.up(stack.upgraded())
    finally:
        stack.options = options
    message = str(failure.value)
    assert "no node was touched" in message and "s3://backups" in message and "is unreachable" in message
    touched = {call.method for call in stack.emulated.calls[calls_before:]}
    assert not touched & {"EtcdSnapshot", "Upgrade", "LifecycleUpgrade", "ApplyConfiguration"}, touched
    assert {node.version for node in stack.emulated.nodes.values()} == {f"v1.13.{stack.patch}"}


def test_no_healthy_etcd_member_stops_the_rollout_naming_each_control_plane(stack: Stack) -> None:
    for address in stack.control_planes:
        stack.emulated.refuse(address)
    try:
        with pytest.raises(StepFailed) as failure:
            stack.up(stack.upgraded())
    finally:
        for address in stack.control_planes:
            stack.emulated.refuse(address, False)
    message = str(failure.value)
    assert "no healthy etcd member" in message and "no node was touched" in message
    assert all(address in message for address in stack.control_planes)
    assert "etcdBackups.enabled" in message  # the way out, if the user accepts the risk
    assert {node.version for node in stack.emulated.nodes.values()} == {f"v1.13.{stack.patch}"}


def test_snapshots_go_to_an_s3_bucket_age_encrypted_and_the_oldest_beyond_keep_are_removed(stack: Stack) -> None:
    import pyrage

    identity = pyrage.x25519.Identity.generate()
    cron, older = "bench/bench-2020-01-01T00:00:00Z.snap.age", "bench/bench-2020-01-01T00:00:00.000Z.snap.age"
    state = FakeS3State("KEY", "SECRET", buckets={"backups": {cron: b"talos-backup's", older: b"an older one"}})
    options = stack.options
    with FakeS3(f"{fresh_subnet()}.1", state) as s3:
        bucket = S3Bucket(s3.endpoint, "backups", "us-east-1", "", "KEY", "SECRET")
        stack.options = replace(options, etcd_backups=EtcdBackups(
            str(stack.folder / "staging"), 1, (str(identity.to_public()),), bucket))
        try:
            assert stack.up(stack.upgraded())[SNAPSHOT] == "update"
        finally:
            stack.options = options
    ours = sorted(key for key in state.buckets["backups"] if key != cron)
    assert len(ours) == 1 and ours[0] != older and ours[0].startswith("bench/bench-") and ours[0].endswith(".snap.age")
    assert cron in state.buckets["backups"]  # talos-backup's uploads are never pruned
    snapshot = pyrage.decrypt(state.buckets["backups"][ours[0]], [identity])
    assert len(snapshot) % 512 == 32
    assert not list((stack.folder / "staging").rglob("*.snap*"))  # nothing left behind in plain text


def test_adopting_a_running_cluster_takes_a_first_snapshot(stack: Stack) -> None:
    stack.engine.state.pop(stack.urn())  # as a stack made before snapshots existed
    before = set((stack.folder / "backups").glob("bench-*.snap"))
    assert stack.up()[SNAPSHOT] == "create"
    taken = stack.engine.state[stack.urn()].outputs["__taken"]
    assert taken["node"] == stack.control_planes[0] and Path(taken["location"]) not in before
