"""The list of what upstream clients check on a peer's reply (tests/hostile/upstream.py) stays in step with the
code: every ported row's wording is in its module and its test exists; every other row says why."""

from __future__ import annotations

import ast

import pytest

from .conftest import ROOT
from .hostile.upstream import ROWS


def _test_names() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "tests").glob("test_*.py"):
        tree = ast.parse(path.read_text())
        names.update(node.name for node in tree.body if isinstance(node, ast.FunctionDef))
    return names


TESTS = _test_names()


@pytest.mark.parametrize("row", ROWS, ids=[f"{row.upstream}: {row.behaviour}"[:90] for row in ROWS])
def test_each_upstream_check_is_ported_relied_on_or_says_why_not(row):
    assert row.status in ("ported", "relied on", "not applicable")
    if row.status == "ported":
        assert row.wording in (ROOT / row.module).read_text(), f"{row.module} lost {row.wording!r}"
    if row.status in ("ported", "relied on") and row.test:
        assert row.test in TESTS, f"no test named {row.test}"
    if row.status != "ported":
        assert row.reason, "a check not ported says why"
