"""Talos's rejection rules: the list in the repo matches the code, every rule is ported or marked not applicable
with the reason, and every ported rule refuses a config that breaks it."""

from __future__ import annotations

import pytest

from components.talos.validation import registry, validate_text
from scripts.gen_validation_rules import render, render_extra

from .conftest import shared_path
from .validation_cases import Case, all_cases

CASES = all_cases()


def test_rules_list_in_the_repo_matches_the_code_and_talos_list():
    expected = render(shared_path("validation-rules-v1.14.tsv"))
    assert registry.RULES_FILE.read_text(encoding="utf-8") == expected, (
        "components/talos/validation/rules.tsv is stale: run python scripts/gen_validation_rules.py")


def test_extra_rules_list_in_the_repo_matches_the_code():
    assert registry.EXTRA_RULES_FILE.read_text(encoding="utf-8") == render_extra(registry.EXTRA_RULES_FILE), (
        "components/talos/validation/rules_extra.tsv is stale: run python scripts/gen_validation_rules.py")


def test_every_talos_rule_is_ported_or_marked_not_applicable():
    rows = registry.RULES_FILE.read_text(encoding="utf-8").splitlines()[1:]
    missing = [row.split("\t", 1)[0] for row in rows if row.split("\t")[5] == "missing"]
    assert missing == []


def test_every_extra_rule_is_ported_or_marked_not_applicable():
    rows = registry.EXTRA_RULES_FILE.read_text(encoding="utf-8").splitlines()[1:]
    assert [row.split("\t", 1)[0] for row in rows if row.split("\t")[6] == "missing"] == []


def test_every_ported_rule_has_a_case_that_breaks_it():
    without_case = sorted(set(registry.ported_rules()) - {case.rule for case in CASES})
    assert without_case == []


def test_no_rule_is_both_ported_and_not_applicable():
    assert sorted(set(registry.ported_rules()) & set(registry.NOT_APPLICABLE)) == []


def problems_of(case: Case) -> list[registry.Problem]:
    if case.text:
        return validate_text(case.text, minor=case.minor, mode=case.mode, strict=case.strict)
    return registry.run(case.documents(), case.minor, case.mode, strict=case.strict, local=case.local)


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case.rule}-{case.message[:30]}")
def test_talos_refuses_the_case_for_its_rule(case: Case):
    problems = problems_of(case)
    # a problem reports its own rule and the rules whose errors its message wraps (Talos's %w)
    hits = [p for p in problems if case.rule in (p.rule, *p.inner)]
    assert hits, f"{case.rule} not raised; got {[(p.rule, p.message) for p in problems]}"
    assert any(case.message in p.message and p.warning == case.warning for p in hits), hits
