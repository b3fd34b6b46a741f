"""Tables as talosctl prints them: Go's ``tabwriter.NewWriter(os.Stdout, 0, 0, 3, ' ', 0)``, one header
line of upper-case names; every cell but a line's last is padded to its column's width plus 3 spaces."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

from ..errors import terminal_safe

PADDING = 3


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Cells are shown as terminal_safe makes them: what a node reports stays on its line and in its column."""
    lines = [list(header), *[[terminal_safe(cell) for cell in row] for row in rows]]
    columns = max(len(line) for line in lines)
    widths = [max((len(line[i]) for line in lines if i < len(line) - 1), default=0) for i in range(columns)]
    out = []
    for line in lines:
        cells = [cell.ljust(widths[i] + PADDING) for i, cell in enumerate(line[:-1])]
        out.append("".join(cells) + (line[-1] if line else ""))
    return "".join(f"{line}\n" for line in out)


def print_table(header: Sequence[str], rows: Sequence[Sequence[str]], stream: TextIO | None = None) -> None:
    (stream or sys.stdout).write(format_table(header, rows))
