"""talhelper's own test data in ../shared/talhelper (skipped cleanly where absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import SHARED

TALHELPER_DATA = SHARED / "talhelper"


def talhelper_path(*parts: str) -> Path:
    path = TALHELPER_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"talhelper's test data {path} is not present (../shared is only in the developers' workspace)")
    return path


def age_key() -> str:
    """The public test age identity of talhelper's example/key.txt."""
    lines = talhelper_path("example", "key.txt").read_text().splitlines()
    return next(line for line in lines if line.startswith("AGE-SECRET-KEY-"))
