"""Compare our generator with Talos's golden ``gen config`` outputs (a ``stability/`` folder).

Layout: ``secrets.yaml``, ``patch-pre14.yaml`` (contracts <= v1.13), ``patch.yaml`` (>= v1.14) and
``vX.Y/{base,overrides}-{controlplane,worker}.yaml``; inputs as in that folder's README.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .bundle import PatchSet, render_role
from .documents import decode, encode
from .errors import TalosError
from .generate import CNI, GenerateInput, Role
from .patching import load_patches
from .secrets import SecretsBundle
from .versions import Contract

_CASE_RE = re.compile(r"^(base|overrides)-(controlplane|worker)\.yaml$")
_VERSION_DIR_RE = re.compile(r"^v(\d+)\.(\d+)$")


@dataclass
class CaseResult:
    name: str
    passed: bool
    byte_identical: bool
    first_difference: str = ""

    def line(self) -> str:
        if self.passed:
            return f"PASS {self.name}" + (" (byte-identical)" if self.byte_identical else "")
        return f"FAIL {self.name}: first difference at {self.first_difference}"


def first_difference(expected: Any, actual: Any, path: str = "") -> str | None:
    """The first path where two parsed YAML values differ, e.g. ``[0].machine.features.kubePrism``."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in list(expected) + [k for k in actual if k not in expected]:
            if key not in actual or key not in expected:
                return f"{path}.{key}" + (" (missing)" if key not in actual else " (unexpected)")
            found = first_difference(expected[key], actual[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(expected, list) and isinstance(actual, list):
        for index, (left, right) in enumerate(zip(expected, actual, strict=False)):
            found = first_difference(left, right, f"{path}[{index}]")
            if found:
                return found
        if len(expected) != len(actual):
            return f"{path} (expected {len(expected)} items, got {len(actual)})"
        return None
    return None if expected == actual else f"{path} (expected {expected!r}, got {actual!r})"


def case_input(variant: str, contract: Contract, secrets: SecretsBundle) -> GenerateInput:
    gen = GenerateInput(cluster_name="base", endpoint="https://base:6443", kubernetes_version="1.28.0",
                        secrets=secrets, contract=contract)
    if variant == "overrides":
        gen.additional_sans = ["foo", "bar"]
        gen.allow_scheduling_on_control_planes = True
        gen.dns_domain = "example.com"
        gen.install_disk = "/dev/vda"
        gen.install_extra_kernel_args = ["foo=bar", "bar=baz"]
        gen.local_api_server_port = 5443
        gen.sysctls = {"foo": "bar"}
        gen.cni = CNI("custom", ["https://example.com/cni.yaml"])
        gen.registry_mirrors = {"ghcr.io": ["https://ghcr.io.my-mirror.com"]}
    return gen


def run(directory: Path) -> list[CaseResult]:
    if not (directory / "secrets.yaml").is_file():
        raise TalosError(f"{directory}: no secrets.yaml; expected a folder laid out like Talos's testdata/stability")
    secrets = SecretsBundle.read(directory / "secrets.yaml")
    results: list[CaseResult] = []
    version_dirs = sorted((d for d in directory.iterdir() if d.is_dir() and _VERSION_DIR_RE.match(d.name)),
                          key=lambda d: tuple(int(n) for n in d.name[1:].split(".")))
    for version_dir in version_dirs:
        major, minor = (int(n) for n in version_dir.name[1:].split("."))
        contract = Contract(major, minor)
        patch_file = directory / ("patch.yaml" if contract.multidoc_kubernetes else "patch-pre14.yaml")
        for golden in sorted(version_dir.iterdir()):
            match = _CASE_RE.match(golden.name)
            if not match:
                continue
            variant, role_name = match.groups()
            role: Role = "controlplane" if role_name == "controlplane" else "worker"
            patches = PatchSet(common=load_patches([f"@{patch_file}"])) if variant == "overrides" else None
            name = f"{version_dir.name}/{golden.name}"
            try:
                rendered = encode(render_role(case_input(variant, contract, secrets), role, patches))
            except TalosError as error:
                results.append(CaseResult(name, False, False, f"(render failed: {error})"))
                continue
            expected_text = golden.read_text()
            difference = first_difference(decode(expected_text, name), decode(rendered, "rendered"))
            results.append(CaseResult(name, difference is None, rendered == expected_text, difference or ""))
    if not results:
        raise TalosError(f"{directory}: no vX.Y/{{base,overrides}}-{{controlplane,worker}}.yaml files found")
    return results
