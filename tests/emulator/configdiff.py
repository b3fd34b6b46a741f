"""The config diff a dry-run apply reports (siderolabs/talos pkg/machinery/config/configdiff DiffConfigs over
pkg/machinery/textdiff: a unified diff of the two encoded configs with "--- a" / "+++ b" headers)."""

from __future__ import annotations

import difflib


def diff_configs(old: str, new: str) -> str:
    """"" when equal, else the unified diff (3 lines of context, as the Myers unified formatter writes)."""
    if old == new:
        return ""
    lines = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True), "a", "b")
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)
