"""The article's talosctl commands, typed as the article types them, run by `python -m components.talos`."""

from __future__ import annotations

import yaml

from components.talos.cli import main

from .emulated import emulate, example_definition, fresh_subnet, render


def test_the_articles_talosctl_steps_run_without_talosctl(tmp_path, capsys):
    cluster = render(example_definition("homelab", fresh_subnet()))
    talosconfig = tmp_path / "talosconfig"
    talosconfig.write_text(cluster.talosconfig)
    first = cluster.control_planes[0]
    secure = ["--talosconfig", str(talosconfig)]
    with emulate(cluster) as emulated:
        assert main(["disks", "--insecure", "-n", first, "-e", first]) == 0
        assert "/dev/sda" in capsys.readouterr().out
        for address in cluster.addresses:
            config = tmp_path / f"{address}.yaml"
            config.write_bytes(cluster.configs[address])
            assert main(["apply-config", "--insecure", "-n", address, "-e", address, "--file", str(config)]) == 0
        for address in cluster.addresses:
            emulated.wait_for(address, "running")
        assert main(["bootstrap", "-e", first, *secure, "--nodes", first]) == 0
        assert main(["bootstrap", "-e", first, *secure, "--nodes", first]) == 0
        assert "already bootstrapped" in capsys.readouterr().out
        # the emulator serves no VIP: the Kubernetes stages ask the first control plane, as --k8s-endpoint says
        health = ["health", *secure, "-e", first, "--control-plane-nodes", ",".join(cluster.control_planes),
                  "--worker-nodes", ",".join(cluster.workers)]
        assert main([*health, "--wait-timeout", "1s"]) == 1
        error = capsys.readouterr().err
        assert error.startswith(f"error: cluster not healthy after 1s: API: Kubernetes API unreachable: "
                                f"{cluster.definition.endpoint.removeprefix('https://')}: ")
        assert error.endswith("; if that endpoint (a VIP or load balancer) is not up, pass --k8s-endpoint with a "
                              "control plane's address\n")
        assert main([*health, "--k8s-endpoint", first, "--wait-timeout", "30s"]) == 0, capsys.readouterr().err
        assert main(["kubeconfig", "-e", first, *secure, "--nodes", first, str(tmp_path)]) == 0
        kubeconfig = yaml.safe_load((tmp_path / "kubeconfig").read_text())
        assert kubeconfig["current-context"] == "admin@homelab"
        assert (tmp_path / "kubeconfig").stat().st_mode & 0o777 == 0o600
        capsys.readouterr()
        assert main(["etcd", "members", *secure, "-n", first]) == 0
        members = capsys.readouterr().out
        assert all(f"https://{address}:2380" in members for address in cluster.control_planes)
        assert main(["get", "members", *secure, "-n", first]) == 0
        members_table = capsys.readouterr().out.splitlines()
        assert members_table[0].split()[:6] == ["NODE", "NAMESPACE", "TYPE", "ID", "VERSION", "HOSTNAME"]
        assert [line.split()[2] for line in members_table[1:]] == ["Member"] * len(cluster.addresses)
        assert main(["version", *secure, "-n", ",".join(cluster.addresses)]) == 0
        assert capsys.readouterr().out.count("Tag:         v1.13.9") == len(cluster.addresses)
        worker = cluster.workers[-1]
        assert main(["reset", *secure, "-n", worker, "--graceful=false", "--reboot"]) == 0
        emulated.wait_for(worker, "maintenance")


def test_node_commands_without_a_talosconfig_say_which_flag_is_missing(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("TALOSCONFIG", raising=False)
    assert main(["bootstrap", "-n", "127.0.0.1"]) == 1
    assert "pass --talosconfig or --insecure" in capsys.readouterr().err
