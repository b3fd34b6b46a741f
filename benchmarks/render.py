"""Render speed: secrets-bundle generation, and configs for a 100-node cluster (3 CP + 97 workers).

    python -m benchmarks.render        targets: bundle < 1.5 s, 100 nodes < 1 s
"""

from __future__ import annotations

import statistics
import time

from components.talos.bundle import PatchSet, render_role
from components.talos.documents import encode
from components.talos.generate import GenerateInput
from components.talos.patching import load_patches
from components.talos.secrets import SecretsBundle
from components.talos.versions import Contract

CONTRACT = Contract(1, 13)


def _node_patch(index: int, role: str) -> str:
    return (f"machine:\n  network:\n    interfaces:\n      - interface: eth0\n        addresses: [10.0.{index // 250}."
            f"{index % 250 + 1}/16]\n  nodeLabels:\n    role: {role}\n")


def main() -> None:
    bundle_times = []
    for _ in range(5):
        started = time.perf_counter()
        bundle = SecretsBundle.generate(CONTRACT)
        bundle_times.append(time.perf_counter() - started)
    gen = GenerateInput(cluster_name="bench", endpoint="https://10.0.0.10:6443", kubernetes_version="1.36.3",
                        secrets=bundle, contract=CONTRACT, install_disk="/dev/sda",
                        install_image="ghcr.io/siderolabs/installer:v1.13.9")
    render_times = []
    for _ in range(5):
        started = time.perf_counter()
        total_bytes = 0
        for index in range(100):
            role = "controlplane" if index < 3 else "worker"
            patches = PatchSet(load_patches([_node_patch(index, role)]))
            total_bytes += len(encode(render_role(gen, role, patches)))  # type: ignore[arg-type]
        render_times.append(time.perf_counter() - started)
    print(f"secrets bundle generation (contract {CONTRACT}, RSA-4096 SA key): "
          f"median {statistics.median(bundle_times):.3f} s, max {max(bundle_times):.3f} s over 5 runs (target < 1.5 s)")
    print(f"render 100 nodes (3 controlplane + 97 workers, one patch each): "
          f"median {statistics.median(render_times):.3f} s, max {max(render_times):.3f} s over 5 runs "
          f"({total_bytes / 1e6:.1f} MB of YAML) (target < 1 s)")


if __name__ == "__main__":
    main()
