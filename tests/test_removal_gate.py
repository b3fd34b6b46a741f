"""Node removals that the engine starts at once go through in the rollout's waves (providers/removal_gate.py):
one control plane at a time, workers `workerBatch` at a time, never a control plane and workers together."""

from __future__ import annotations

import threading
import time

import pytest

from components.providers.removal_gate import removal_slot
from components.talos.rollout import RolloutError


def most_at_once(roles: list[str], worker_batch: int) -> tuple[dict[str, int], bool]:
    """Start one thread per removal at the same moment; report the most removals of each role that ran
    together, and whether a control plane ever ran alongside a worker."""
    lock = threading.Lock()
    running: dict[str, int] = {"controlplane": 0, "worker": 0}
    most = dict(running)
    mixed = False
    start = threading.Barrier(len(roles))

    def remove(role: str) -> None:
        nonlocal mixed
        start.wait()
        with removal_slot(role, worker_batch):
            with lock:
                running[role] += 1
                most[role] = max(most[role], running[role])
                mixed = mixed or (running["controlplane"] > 0 and running["worker"] > 0)
            time.sleep(0.05)
            with lock:
                running[role] -= 1

    threads = [threading.Thread(target=remove, args=(role,)) for role in roles]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return most, mixed


def test_control_planes_removed_at_once_leave_one_at_a_time():
    most, _ = most_at_once(["controlplane"] * 3, worker_batch=4)
    assert most["controlplane"] == 1


def test_workers_removed_at_once_leave_in_batches_of_worker_batch():
    assert most_at_once(["worker"] * 5, worker_batch=2)[0]["worker"] == 2
    assert most_at_once(["worker"] * 3, worker_batch=1)[0]["worker"] == 1


def test_a_control_plane_never_leaves_while_workers_do():
    most, mixed = most_at_once(["worker", "controlplane", "worker", "controlplane"], worker_batch=2)
    assert not mixed and most["controlplane"] == 1


def test_a_node_of_no_known_role_is_refused_before_it_waits():
    with pytest.raises(RolloutError, match="role 'etcd'"), removal_slot("etcd", 1):
        pass
