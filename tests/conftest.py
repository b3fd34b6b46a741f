"""Shared fixtures: the read-only reference data in ../shared (skipped cleanly where absent)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# hypothesis is imported before any test starts threads: CPython 3.11's ast recursion counter is shared
# between threads (gh-106905), and its plugin's late import failed with "AST constructor recursion depth mismatch"
import hypothesis  # noqa: F401
import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("TALOS_SHARED_DIR", ROOT.parent / "shared"))
TALOS_DATA = SHARED / "talos"


def talos(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run ``python -m components.talos ARGS`` as a user would, with a minimal environment."""
    return subprocess.run([sys.executable, "-m", "components.talos", *args], cwd=cwd, capture_output=True,
                          text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def shared_path(*parts: str) -> Path:
    """A path under ../shared/talos, or a skip naming what is missing."""
    path = TALOS_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"reference data {path} is not present (../shared is only in the developers' workspace)")
    return path


@pytest.fixture(scope="session", autouse=True)
def private_data_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The program's default etcd backups folder ($XDG_DATA_HOME/talos-cluster/...) is a temporary one in tests,
    never the developer's."""
    folder = tmp_path_factory.mktemp("xdg-data")
    os.environ["XDG_DATA_HOME"] = str(folder)
    return folder


@pytest.fixture(scope="session")
def stability_dir() -> Path:
    return shared_path("stability")


@pytest.fixture(scope="session")
def stability_secrets(stability_dir: Path):
    from components.talos.secrets import SecretsBundle

    return SecretsBundle.read(stability_dir / "secrets.yaml")
