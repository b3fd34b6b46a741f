"""`upgrade` on several nodes follows the rollout policy, and refuses an unsupported path before touching any."""

from __future__ import annotations

import threading
import time

import pytest

from components.talos.cli import main

from .emulated import fresh_subnet
from .emulator import EmulatedCluster

IMAGE = "ghcr.io/siderolabs/installer:v1.13.9"


class PhaseWatcher:
    """Samples every node's phase every few milliseconds: who is down (rebooting) at the same time."""

    def __init__(self, emulated: EmulatedCluster, control_planes: list[str], workers: list[str]) -> None:
        self.emulated, self.control_planes, self.workers = emulated, control_planes, workers
        self.samples: list[tuple[set[str], set[str]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            down = {a for a, node in self.emulated.nodes.items() if node.phase == "booting"}
            self.samples.append((down & set(self.control_planes), down & set(self.workers)))
            time.sleep(0.003)

    def __enter__(self) -> PhaseWatcher:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def cluster_at(version: str, tmp_path, monkeypatch, capsys) -> tuple[list[str], list[str], EmulatedCluster]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    subnet = fresh_subnet()
    control_planes = [f"{subnet}.{n}" for n in (11, 12, 13)]
    workers = [f"{subnet}.{n}" for n in (21, 22, 23)]
    assert main(["gen", "config", "up", f"https://{control_planes[0]}:6443", "--talos-version", version,
                 "-o", "."]) == 0
    emulated = EmulatedCluster(control_planes + workers, version=version, reboot_seconds=0.3).start()
    for address in control_planes + workers:
        config = "controlplane.yaml" if address in control_planes else "worker.yaml"
        assert main(["apply-config", "--insecure", "-n", address, "--file", config]) == 0
    for address in control_planes + workers:
        emulated.wait_for(address, "running")
    assert main(["--talosconfig", "talosconfig", "config", "endpoint", control_planes[0]]) == 0
    assert main(["--talosconfig", "talosconfig", "bootstrap", "-n", control_planes[0]]) == 0
    capsys.readouterr()
    return control_planes, workers, emulated


def test_upgrading_a_cluster_reboots_one_control_plane_at_a_time_then_workers_in_batches(tmp_path, monkeypatch,
                                                                                         capsys):
    control_planes, workers, emulated = cluster_at("v1.12.11", tmp_path, monkeypatch, capsys)
    try:
        nodes = ",".join(workers[:1] + control_planes + workers[1:])  # the order given does not matter
        with PhaseWatcher(emulated, control_planes, workers) as watcher:
            assert main(["--talosconfig", "talosconfig", "upgrade", "-n", nodes, "--image", IMAGE,
                         "--worker-batch", "2", "--timeout", "60s"]) == 0
        assert all(node.version == "v1.13.9" for node in emulated.nodes.values())
    finally:
        emulated.stop()
    assert max(len(cps) for cps, _ in watcher.samples) == 1
    assert max(len(ws) for _, ws in watcher.samples) == 2
    last_control_plane_down = max(i for i, (cps, _) in enumerate(watcher.samples) if cps)
    first_worker_down = min(i for i, (_, ws) in enumerate(watcher.samples) if ws)
    assert first_worker_down > last_control_plane_down
    order = [line.split(":")[0] for line in capsys.readouterr().err.splitlines() if "upgraded to v1.13.9" in line]
    assert order == control_planes + workers


def test_an_upgrade_talos_refuses_fails_before_any_node_is_touched(tmp_path, monkeypatch, capsys):
    control_planes, workers, emulated = cluster_at("v1.10.9", tmp_path, monkeypatch, capsys)
    try:
        assert main(["--talosconfig", "talosconfig", "upgrade", "-n", ",".join(control_planes + workers),
                     "--image", IMAGE]) == 1
        upgrades = [call for call in emulated.calls if "Upgrade" in call.path]
    finally:
        emulated.stop()
    error = capsys.readouterr().err
    assert error == (f"error: node {control_planes[0]}: Talos v1.10.9 -> v1.13.9: host version v1.10.9 is too old "
                     "to upgrade to Talos v1.13.9; upgrade through v1.12 first\n")
    assert upgrades == []


@pytest.mark.parametrize("flags, expected", [(["--stage"], "upgrade --stage is a legacy MachineService.Upgrade flag"),
                                             (["--wait=false"], "upgrade --wait=false: several nodes")])
def test_upgrade_flags_this_cli_cannot_honour_are_refused_by_name(tmp_path, monkeypatch, capsys, flags, expected):
    control_planes, _workers, emulated = cluster_at("v1.13.9", tmp_path, monkeypatch, capsys)
    try:
        assert main(["--talosconfig", "talosconfig", "upgrade", "-n", ",".join(control_planes), "--image", IMAGE,
                     *flags]) == 1
    finally:
        emulated.stop()
    assert expected in capsys.readouterr().err


def test_a_staged_upgrade_before_v1_13_reboots_into_the_new_version(tmp_path, monkeypatch, capsys):
    _, workers, emulated = cluster_at("v1.12.11", tmp_path, monkeypatch, capsys)
    try:
        assert main(["--talosconfig", "talosconfig", "upgrade", "-n", workers[0], "--image", IMAGE, "--stage",
                     "--timeout", "60s"]) == 0
        assert emulated.node(workers[0]).version == "v1.13.9"
        assert [call.path for call in emulated.calls if "Upgrade" in call.path] == ["/machine.MachineService/Upgrade"]
    finally:
        emulated.stop()
