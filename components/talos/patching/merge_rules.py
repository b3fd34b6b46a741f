"""The list of Talos's merge rules (merge_rules.tsv) and what this project does with each row.

scripts/gen_merge_table.py enumerates, for Talos v1.12.9, v1.13.9 and v1.14.0-rc.1, every field tagged
``merge:"replace"`` and every type with a ``Merge`` method; the status columns come from here, so a test can
hold the list, the generated table (merge_table.py) and the merge code (gomerge.py) in step.

Patches are applied with Talos v1.14's rules whatever the target release: that is the machinery that patches
(a current talosctl; talhelper links Talos's v1.14 machinery), and a target release only decides which
document kinds may appear.
"""

from __future__ import annotations

import csv
from pathlib import Path

from .merge_table import STRUCTS

RULES_FILE = Path(__file__).with_name("merge_rules.tsv")
COLUMNS = ["release", "source", "go", "yaml", "rule", "status", "where"]
NEWEST = "v1.14.0-rc.1"
# Merge methods, by the gomerge.py behaviour that ports each (merge_table.py type codes), from their sources:
# runtime/extensions/service_config.go, v1alpha1/v1alpha1_types.go, security/image_verification.go,
# meta/args.go (v1alpha1.Args before v1.14), block/byte_size.go, block/percentage_size.go, meta/network.go
METHODS = {
    "extensions.ConfigFileList": ("=keyed:mountPath", "gomerge._merge_method: by mountPath, merged"),
    "v1alpha1.NetworkDeviceList": ("=devices", "gomerge._merge_method: by interface, else an equal deviceSelector"),
    "v1alpha1.AdmissionPluginConfigList": ("=keyed:name", "gomerge._merge_method: by name, merged"),
    "v1alpha1.VlanList": ("=keyed:vlanId", "gomerge._merge_method: by vlanId, merged"),
    "security.ImageVerificationRules": ("=rules:image", "gomerge._merge_method: by image, replaced whole"),
    "meta.Args": ("=args", "gomerge._merge_method: each key's value replaced whole"),
    "v1alpha1.Args": ("=args", "gomerge._merge_method: each key's value replaced whole (meta.Args from v1.14)"),
    "block.ByteSize": ("=always", "gomerge._merge_method: always the patch's value, even when left out"),
    "block.PercentageSize": ("=always", "gomerge._merge_method: always the patch's value, even when left out"),
    "meta.Prefix": ("o", "gomerge.merge: an atomic value, taken unless zero"),
    "meta.Addr": ("o", "gomerge.merge: an atomic value, taken unless zero"),
    "meta.AddrPort": ("o", "gomerge.merge: an atomic value, taken unless zero"),
}


def _replaced_in_newest(go: str) -> bool:
    """Whether Talos v1.14's type `go` (pkg.Type.Field) is replaced in merge_table.py."""
    owner, _, field = go.rpartition(".")
    for go_field, _, replace in STRUCTS.get(owner, {}).values():
        if go_field.split(">")[-1].rpartition(".")[2] == field and replace:
            return True
    return False


def status(row: dict[str, str]) -> tuple[str, str]:
    """(status, where) of one row: ported, or not applicable with the reason; "missing" fails a test."""
    if row["rule"] == "replace tag":  # a field tagged merge:"replace"
        if _replaced_in_newest(row["go"]):
            where = "merge_table.STRUCTS replace flag; gomerge.merge replaces the list or value"
            return ("ported", where) if row["release"] == NEWEST else \
                ("ported", f"as in {NEWEST}: the same field is replaced there; " + where)
        if row["release"] != NEWEST:
            return ("not applicable", f"patches are applied with Talos {NEWEST}'s merge rules, where this field "
                                      "is not tagged (the type changed or the field moved)")
        return "missing", ""
    go = row["go"]
    if go in METHODS:
        return "ported", METHODS[go][1]
    return "missing", ""


def read_rules(path: Path = RULES_FILE) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def write_rules(path: Path, rows: list[list[str]]) -> None:
    """The list with each row's status and where, as this code decides them."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(COLUMNS)
        for cells in rows:
            row = dict(zip(COLUMNS, cells, strict=False))
            writer.writerow([*cells, *status(row)])
