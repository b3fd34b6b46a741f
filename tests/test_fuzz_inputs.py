"""A bounded seeded fuzz over definitions, secrets files and stack settings: no traceback, no hang, no
known-invalid input accepted, every error line naming its place. The full run is benchmarks/fuzz_inputs.py."""

from __future__ import annotations

import pytest

from .fuzzing import run_all

COUNTS = {"definitions": 1000, "secrets": 300, "stack": 300}


@pytest.mark.timeout(120)
def test_mutated_inputs_are_accepted_or_refused_cleanly_and_invalid_ones_always_refused() -> None:
    tally = run_all(COUNTS["definitions"], COUNTS["secrets"], COUNTS["stack"], seed=1501)
    print("\n".join(tally.rows()))
    assert tally.failures == []
    assert dict(tally.cases) == COUNTS
    for kind in COUNTS:
        # the mutator really produced both outcomes, and many known-invalid inputs, in every class
        assert tally.accepted[kind] > 0 and tally.invalid[kind] > COUNTS[kind] // 4
        assert tally.invalid_refused[kind] == tally.invalid[kind]
    assert tally.slowest < 5
