"""Shared fixtures: the read-only reference data in ../shared (skipped cleanly where absent)."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# hypothesis is imported before any test starts threads: CPython 3.11's ast recursion counter is shared
# between threads (gh-106905), and its plugin's late import failed with "AST constructor recursion depth mismatch"
import hypothesis  # noqa: F401
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from .paths import ROOT as ROOT  # re-exported: tests import it from here
from .rsa_pool import rsa_key_pool

SHARED = Path(os.environ.get("TALOS_SHARED_DIR", ROOT.parent / "shared"))
TALOS_DATA = SHARED / "talos"


def cli_environment(**variables: str) -> dict[str, str]:
    """A minimal environment for ``python -m components.talos``: the project and the run's RSA key pool
    (rsa_keys_from_a_pool) on PYTHONPATH, /usr/bin:/bin, and ``variables``."""
    return {"PYTHONPATH": os.pathsep.join([str(ROOT), os.environ["PYTHONPATH"]]),
            rsa_key_pool.ENVIRONMENT: os.environ[rsa_key_pool.ENVIRONMENT], "PATH": "/usr/bin:/bin", **variables}


def talos(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run ``python -m components.talos ARGS`` as a user would, with a minimal environment."""
    return subprocess.run([sys.executable, "-m", "components.talos", *args], cwd=cwd, capture_output=True,
                          text=True, env=cli_environment(HOME=os.environ["HOME"]))  # the test's private home


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


@pytest.fixture(scope="session", autouse=True)
def rsa_keys_from_a_pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """RSA 4096 keys come from one pool per test run, in the tests and in the processes they start
    (tests/rsa_pool: a third of the suite's time went into generating them)."""
    base = tmp_path_factory.getbasetemp()
    folder = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "rsa-pool"
    rsa_key_pool.fill(folder)
    started = os.pathsep.join(filter(None, [str(ROOT / "tests" / "rsa_pool"), os.environ.get("PYTHONPATH")]))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rsa, "generate_private_key", rsa_key_pool.drawing_from(folder, rsa.generate_private_key))
        patch.setenv(rsa_key_pool.ENVIRONMENT, str(folder))
        patch.setenv("PYTHONPATH", started)
        yield


@functools.cache
def schema_validator(name: str) -> Any:
    """A validator for one of Talos's JSON schemas in ../shared/talos/schemas, made once per process: the schema
    is checked against its metaschema here, once (1.6 s for v1.14's; jsonschema.validate repeats that check on
    every call, and a v1.14 config has ~30 documents)."""
    import jsonschema

    schema = json.loads(shared_path("schemas", name).read_text())
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


@pytest.fixture(autouse=True)
def private_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets an empty home of its own: ~/.talos/config, ~/.kube/config and SOPS keys are never the
    real ones, and parallel workers never share one. Tests wanting a file there write it under $HOME."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for variable in ("TALOSCONFIG", "KUBECONFIG", "XDG_CONFIG_HOME", "SOPS_AGE_KEY", "SOPS_AGE_KEY_FILE",
                     "SOPS_AGE_KEY_CMD", "SOPS_AGE_SSH_PRIVATE_KEY_FILE"):
        monkeypatch.delenv(variable, raising=False)
    return home


@pytest.fixture(scope="session")
def stability_dir() -> Path:
    return shared_path("stability")


@pytest.fixture(scope="session")
def stability_secrets(stability_dir: Path):
    from components.talos.secrets import SecretsBundle

    return SecretsBundle.read(stability_dir / "secrets.yaml")
