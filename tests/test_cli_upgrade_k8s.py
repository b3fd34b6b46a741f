"""`python -m components.talos upgrade-k8s`, typed as talosctl's: the plan in --dry-run, the upgrade, and
a one-line refusal of a path talosctl refuses."""

from __future__ import annotations

import asyncio

from components.talos.cli import main

from .emulated import emulate, example_definition, fresh_subnet, render
from .kube_support import bootstrapped, kube_client


def test_upgrade_k8s_dry_run_then_upgrade_then_a_two_minor_jump_is_refused(tmp_path, capsys):
    cluster = render(example_definition("dev", fresh_subnet()))
    talosconfig = tmp_path / "talosconfig"
    talosconfig.write_text(cluster.talosconfig)
    first = cluster.control_planes[0]
    flags = ["--talosconfig", str(talosconfig), "-e", first, "-n", first]
    with emulate(cluster) as emulated:
        bootstrapped(cluster, emulated)
        capsys.readouterr()
        assert main(["upgrade-k8s", *flags, "--to", "1.37.0", "--dry-run"]) == 0
        plan = capsys.readouterr().out
        assert f"discovered controlplane nodes ['{first}']" in plan
        assert " > update kube-apiserver: 1.36.3 -> 1.37.0\n > skipped in dry-run" in plan
        assert main(["upgrade-k8s", *flags, "--to", "1.37.0"]) == 0
        out = capsys.readouterr().out
        assert f' < "{first}": successfully updated' in out and "updating manifests" in out
        kubelets = {n["status"]["nodeInfo"]["kubeletVersion"] for n in asyncio.run(kube_client(cluster).nodes())}
        assert kubelets == {"v1.37.0"}
        assert main(["upgrade-k8s", *flags, "--to", "1.39.0"]) == 1
        assert capsys.readouterr().err == (f"error: node {first}: Kubernetes v1.37.0 -> v1.39.0 skips a minor "
                                           "version; upgrade one minor at a time (first to v1.38.x)\n")
