"""Node removals of one deployment, in the rollout policy's waves.

The engine deletes resources that do not depend on each other at once (pulumi/pulumi pkg/resource/deploy/
step_generator.go ScheduleDeletes: antichains, each run in parallel up to `--parallel`), and the one provider
host serves each delete on a thread of its own (sdk/python/lib/pulumi/dynamic/__main__.py: 4 workers). Two
control planes removed in one `pulumi up` would drain and leave etcd at the same moment, each having checked
the quorum before the other left. This gate lets a removal start only when it fits the current wave
(components/talos/rollout.py wave_size): a control plane alone, so etcd membership changes one by one and each
quorum check sees the member list the previous leave left; workers up to `workerBatch` at a time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from ..talos.rollout import wave_size

_changed = threading.Condition()
_running: dict[str, int] = {}  # role → removals in progress (one role at a time: a wave is one role)


def _fits(role: str, limit: int) -> bool:
    others = sum(count for other, count in _running.items() if other != role)
    return others == 0 and _running.get(role, 0) < limit


@contextmanager
def removal_slot(role: str, worker_batch: int) -> Iterator[None]:
    """Wait until a removal of a `role` node fits the current wave, and hold its place while it runs. Every
    removal ahead is bounded by its own deadlines, so the wait is too."""
    limit = wave_size(role, worker_batch)
    with _changed:
        _changed.wait_for(lambda: _fits(role, limit))
        _running[role] = _running.get(role, 0) + 1
    try:
        yield
    finally:
        with _changed:
            _running[role] -= 1
            _changed.notify_all()
