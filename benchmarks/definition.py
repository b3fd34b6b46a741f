"""Load + validate + render + write a 100-node definition (3 CP + 97 workers).  target < 2 s

    python -m benchmarks.definition
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import yaml

from components.talos.definition import load_definition, render_node_text
from components.talos.secrets import SecretsBundle
from components.talos.versions import Contract


def _definition() -> dict[str, object]:
    nodes = [{"hostname": f"node-{i:03d}", "ipAddress": f"10.0.{i // 250}.{i % 250 + 1}", "controlPlane": i < 3,
              "installDisk": "/dev/sda", "networkInterfaces": [{"interface": "eth0",
              "addresses": [f"10.0.{i // 250}.{i % 250 + 1}/16"], "routes": [{"network": "0.0.0.0/0",
                                                                             "gateway": "10.0.0.254"}]}]}
             for i in range(100)]
    return {"clusterName": "bench", "talosVersion": "v1.13.9", "kubernetesVersion": "v1.36.3",
            "endpoint": "https://10.0.0.1:6443", "cniConfig": {"name": "none"},
            "controlPlane": {"schematic": {"customization": {"systemExtensions": {
                "officialExtensions": ["siderolabs/qemu-guest-agent"]}}}},
            "patches": ["cluster:\n  discovery:\n    enabled: true\n"], "nodes": nodes}


def main() -> None:
    secrets = SecretsBundle.generate(Contract(1, 13))  # not timed: made once per cluster
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "talconfig.yaml"
        path.write_text(yaml.safe_dump(_definition()))
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            definition = load_definition(path, environ={})
            loaded = time.perf_counter()
            for node in definition.nodes:
                (Path(folder) / f"bench-{node.hostname}.yaml").write_text(render_node_text(definition, node, secrets))
            timings.append((loaded - started, time.perf_counter() - started))
    best = min(timings, key=lambda t: t[1])
    print(f"100-node definition: load+validate {best[0]:.3f} s, load+validate+render+write {best[1]:.3f} s "
          f"(best of 3; target < 2 s)")


if __name__ == "__main__":
    main()
