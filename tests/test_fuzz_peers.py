"""A bounded seeded fuzz over what peers send (issue 20): random hostile replies from a Talos node and a
Kubernetes API server end in a result or a clean error, never a traceback, a hang or raw terminal controls.
The full run is benchmarks/fuzz_inputs.py."""

from __future__ import annotations

import pytest

from .fuzzing_peers import run_peers

COUNTS = {"talos replies": 80, "kube replies": 80}


@pytest.mark.timeout(120)
def test_random_hostile_replies_end_in_a_result_or_a_clean_error() -> None:
    tally = run_peers(COUNTS["talos replies"], COUNTS["kube replies"], seed=2001)
    print("\n".join(tally.rows()))
    assert tally.failures == []
    assert dict(tally.cases) == COUNTS
    for kind in COUNTS:
        assert tally.returned[kind] > 0 and tally.refused[kind] > 0  # both outcomes, in every class
    assert tally.slowest < 5
