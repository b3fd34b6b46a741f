"""The list of upstream behaviours for hostile files (tests/upstream_hostile_files.py) and the tests stay in
step: every ported or refused row names a test that exists."""

from __future__ import annotations

import ast

from .conftest import ROOT
from .upstream_hostile_files import ROWS

STATUSES = {"ported", "refused", "not applicable"}


def _tests(module: str) -> set[str]:
    tree = ast.parse((ROOT / "tests" / module).read_text())
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}


def test_every_row_has_a_status_and_every_ported_or_refused_row_names_an_existing_test() -> None:
    for row in ROWS:
        assert row.status in STATUSES, row
        if row.status == "not applicable":
            assert "::" not in row.where and len(row.where) > 20, row
            continue
        module, _, name = row.where.partition("::")
        assert name in _tests(module.removeprefix("tests/")), row
