"""Regenerate components/talos/validation/rules.tsv: Talos's rejection rules and what this project does with each.

Input: Talos's list of rejection sites (id, source file:line, function, message, whether v1.13.9 and v1.12.9
have it). Output: the same rows with `since` (the oldest of v1.12/v1.13/v1.14 that has the rule), `status`
(`ported` or `not applicable`) and `where` (the check that ports it, or why it cannot apply here), from the
registrations in components/talos/validation. A row neither ported nor marked is `missing`; a test refuses
any such row and any drift between this file and the code.

It also refreshes the status and where columns of components/talos/validation/rules_extra.tsv, the hand-kept
rows for rejection sites Talos's list does not hold (sites v1.14 removed, sentinel and helper-package errors).

    python scripts/gen_validation_rules.py [RULES_TSV]   (default: ../shared/talos/validation-rules-v1.14.tsv)
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from components.talos.validation import registry  # noqa: E402

DEFAULT_INPUT = ROOT.parent / "shared" / "talos" / "validation-rules-v1.14.tsv"
COLUMNS = ["id", "source", "function", "message", "since", "status", "where"]
EXTRA_COLUMNS = ["id", "source", "function", "message", "since", "until", "status", "where"]


def since(row: dict[str, str]) -> str:
    if row["in_v1.12.9"] == "True":
        return "v1.12"
    return "v1.13" if row["in_v1.13.9"] == "True" else "v1.14"


def status_of(rule: str) -> tuple[str, str]:
    ported = registry.ported_rules()
    if rule in ported:
        return "ported", ported[rule]
    if rule in registry.NOT_APPLICABLE:
        return "not applicable", registry.NOT_APPLICABLE[rule]
    return "missing", ""


def _table(source: Path, columns: list[str], cells: Callable[[dict[str, str]], list[str]]) -> str:
    """A TSV with `columns`: per row of `source`, its `cells` and the rule's status and where."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t", lineterminator="\n")
    writer.writerow(columns)
    with source.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            writer.writerow([*cells(row), *status_of(row["id"])])
    return out.getvalue()


def render(upstream: Path) -> str:
    return _table(upstream, COLUMNS, lambda row: [row["id"], row["source"], row["function"], row["message"],
                                                  since(row)])


def render_extra(current: Path) -> str:
    """rules_extra.tsv with its hand-kept columns as they are and status/where from the code."""
    return _table(current, EXTRA_COLUMNS, lambda row: [row[column] for column in EXTRA_COLUMNS[:6]])


def main() -> None:
    upstream = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_INPUT
    registry.RULES_FILE.write_text(render(upstream), encoding="utf-8")
    registry.EXTRA_RULES_FILE.write_text(render_extra(registry.EXTRA_RULES_FILE), encoding="utf-8")
    print(f"wrote {registry.RULES_FILE.relative_to(ROOT)} and {registry.EXTRA_RULES_FILE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
