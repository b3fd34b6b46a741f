"""A bounded seeded fuzz over hostile files: SOPS files with tampered tags, MACs and metadata, Go templates,
file-name templates and patch files that are no regular file; no traceback, no hang, no secret in an error
or output, every known-hostile input refused. The full run is benchmarks/fuzz_inputs.py."""

from __future__ import annotations

import pytest

from .fuzzing_files import run_hostile_files

COUNTS = {"sops": 60, "templates": 80, "filenames": 60, "patchfiles": 30}


@pytest.mark.timeout(120)
def test_hostile_files_are_accepted_or_refused_cleanly_and_never_leak_a_secret() -> None:
    tally = run_hostile_files(COUNTS["sops"], COUNTS["templates"], COUNTS["filenames"], COUNTS["patchfiles"],
                              seed=2001)
    print("\n".join(tally.rows()))
    assert tally.failures == []
    assert dict(tally.cases) == COUNTS
    for kind in COUNTS:
        assert tally.refused[kind] > 0 and tally.invalid[kind] > 0
        assert tally.invalid_refused[kind] == tally.invalid[kind]
    assert tally.slowest < 2
