"""The seed article's two talconfig.yaml files, read verbatim from ../shared/seed."""

from __future__ import annotations

import pytest

from .conftest import SHARED


def seed_talconfig(cluster_name: str) -> str:
    """The article's YAML block that starts with ``clusterName: <cluster_name>`` (until its blank line)."""
    lines = seed_text().splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.strip() == f"clusterName: {cluster_name}") - 1
    end = next(i for i in range(start, len(lines)) if not lines[i].strip())
    return "".join(lines[start:end])


def seed_text() -> str:
    """The whole seed article (skips the test when ../shared/seed is absent)."""
    article = next(iter(sorted((SHARED / "seed").glob("*.txt"))), None) if (SHARED / "seed").is_dir() else None
    if article is None:
        pytest.skip("the seed article (../shared/seed) is not present")
    return article.read_text()
