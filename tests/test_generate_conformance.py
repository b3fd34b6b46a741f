"""Generated configs are what `talosctl gen config` produces, for every version contract."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from components.talos.bundle import PatchSet, render_role
from components.talos.conformance import case_input
from components.talos.documents import decode, encode, is_legacy
from components.talos.patching import load_patches
from components.talos.versions import Contract

from .conftest import schema_validator, talos

CONTRACTS = [(1, minor) for minor in range(6, 15)]


def test_conformance_command_passes_every_golden_file_of_talos(stability_dir: Path) -> None:
    result = talos("conformance", str(stability_dir))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    passed = [line for line in lines if line.startswith("PASS v1.")]
    required = [line for line in passed if any(f"v1.{m}/" in line for m in range(6, 15))]
    assert len(required) == 36
    assert all("(byte-identical)" in line for line in passed)
    assert lines[-1] == f"{len(passed)} passed, 0 failed"


def test_conformance_command_reports_the_first_differing_path(stability_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "stability"
    (folder / "v1.13").mkdir(parents=True)
    for name in ("secrets.yaml", "patch.yaml", "patch-pre14.yaml"):
        shutil.copy(stability_dir / name, folder / name)
    golden = (stability_dir / "v1.13" / "base-worker.yaml").read_text()
    broken = golden.replace("diskQuotaSupport: true", "diskQuotaSupport: false")
    (folder / "v1.13" / "base-worker.yaml").write_text(broken)
    result = talos("conformance", str(folder))
    assert result.returncode == 1
    assert "FAIL v1.13/base-worker.yaml: first difference at [0].machine.features.diskQuotaSupport" in result.stdout


def _schema_for(contract: Contract) -> Any:
    return schema_validator({(1, 14): "talos-config-schema-v1.14.0-rc.1.json"}.get(
        (contract.major, contract.minor), f"talos-config-schema-v{contract.major}.{contract.minor}.json"))


@pytest.mark.parametrize("contract", [Contract(*c) for c in CONTRACTS], ids=str)
@pytest.mark.parametrize("variant", ["base", "overrides"])
@pytest.mark.parametrize("role", ["controlplane", "worker"])
def test_every_generated_document_is_valid_for_its_talos_version(contract, variant, role, stability_dir,
                                                                  stability_secrets) -> None:
    schema = _schema_for(contract)
    patch = "patch.yaml" if contract.multidoc_kubernetes else "patch-pre14.yaml"
    patches = PatchSet(load_patches([f"@{stability_dir / patch}"])) if variant == "overrides" else None
    documents = decode(encode(render_role(case_input(variant, contract, stability_secrets), role, patches)), "x")
    legacy_schema = schema_validator("talos-v1alpha1-schema-v1.6.json") if contract == Contract(1, 6) else schema
    for document in documents:
        if is_legacy(document):
            document.pop("persist")  # emitted by Talos, absent from every schema (reference §3)
            if contract.greater(1, 11):  # deprecated in the 1.12+ schemas, still emitted by gen config
                document["machine"].get("install", {}).pop("extraKernelArgs", None)
        elif document["kind"] == "UnattendedInstallConfig":
            document["kind"] = "UnattendedInstall"  # the v1.14 schema's enum disagrees with Talos's output
        (legacy_schema if is_legacy(document) else schema).validate(document)
