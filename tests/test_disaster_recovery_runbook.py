"""The README's disaster-recovery runbook, executed line by line on emulated nodes: a snapshot, every control
plane lost, `pulumi config set talos-cluster:etcdRestore`, `pulumi up --refresh`; the cluster's Kubernetes
objects are back. `pulumi` lines run through the engine stand-in, `python -m components.talos` lines through the
CLI, the comment line is the loss itself."""

from __future__ import annotations

import asyncio
import shlex
import time
from pathlib import Path
from typing import Any

import pytest

from components.talos.api import calls
from components.talos.api.client import TalosClient
from components.talos.cli import main
from components.talos.clientconfig import read_talosconfig
from components.talos.definition import load
from components.talos.kube.client import KubeClient, admin_credentials, server_for
from components.talos.secrets import SecretsBundle

from .conftest import ROOT
from .emulated import emulate, example_definition, fresh_subnet, render
from .emulator import EmulatedCluster
from .engine import Engine, Program
from .provider_host import ProviderHost
from .talos_layer import FAST, cluster_program

CLI = "python -m components.talos "
CONFIG_MAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "survivor", "namespace": "default"},
              "data": {"written": "before the snapshot"}}


def runbook_blocks() -> list[list[str]]:
    """The sh blocks under the README's "### Restore: every control plane lost", their lines."""
    text = (ROOT / "README.md").read_text()
    start = text.index("\n### Restore: every control plane lost\n")
    section = text[start:text.index("\n## ", start + 1)]
    return [block.split("```", 1)[0].strip().splitlines() for block in section.split("```sh\n")[1:]]


def _state(engine: Engine, name: str) -> Any:
    return next(state for urn, state in engine.state.items() if urn.endswith(f"::{name}"))


def _kube(engine: Engine, address: str) -> KubeClient:
    bundle = SecretsBundle.from_yaml(_state(engine, "talos-secrets").outputs["bundle"], "state")
    return KubeClient([server_for(address)], admin_credentials(bundle, "homelab"))


def _wait_for_api(emulated: EmulatedCluster, seconds: float = 30.0) -> None:
    async def available() -> bool:
        return emulated.kubernetes.api_available()

    deadline = time.monotonic() + seconds
    while not emulated.run(available()):
        assert time.monotonic() < deadline, "no Kubernetes API server"
        time.sleep(0.05)


def _lose_every_control_plane(emulated: EmulatedCluster, control_planes: list[str], engine: Engine) -> None:
    """Every control plane's disk wiped (STATE and EPHEMERAL): the machines come back in maintenance mode."""
    entry = read_talosconfig(_state(engine, "talos-talosconfig").outputs["__talosconfig"], "state")
    from components.talos.api.tls import Credentials

    credentials = Credentials(entry["ca"], entry["crt"], entry["key"])

    async def wipe(address: str) -> None:
        async with TalosClient(address, credentials) as client:
            await calls.reset(client, graceful=False, reboot=True, node=address)

    for address in control_planes:
        asyncio.run(wipe(address))
    for address in control_planes:
        emulated.wait_for(address, "maintenance")


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # where the user runs pulumi and the CLI: the project directory
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("TALOSCONFIG", raising=False)
    return tmp_path


def test_the_readme_restore_runbook_brings_the_clusters_objects_back(workdir: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    pulumi_way = runbook_blocks()[0]
    assert any(line.startswith("pulumi up --refresh") for line in pulumi_way)
    subnet = fresh_subnet()
    text = example_definition("homelab", subnet)
    definition = load.parse_definition(text, "homelab.yaml", environ={})
    cluster = render(text)
    config: dict[str, str] = {}
    with emulate(cluster) as emulated, ProviderHost() as host:
        engine = Engine(host)

        def program() -> Program:
            return Program(lambda: cluster_program(definition, FAST), config=dict(config))

        engine.up(program())
        _wait_for_api(emulated)
        asyncio.run(_kube(engine, cluster.control_planes[0]).apply(CONFIG_MAP))
        for line in pulumi_way:
            words = shlex.split(line.replace("192.168.1.", f"{subnet}."), comments=True)
            if line.startswith("#"):
                _lose_every_control_plane(emulated, cluster.control_planes, engine)
                assert not emulated.has_etcd()  # and with it every object the cluster had
            elif line.startswith("pulumi stack output talosconfig"):
                (workdir / words[-1]).write_text(_state(engine, "talos-talosconfig").outputs["__talosconfig"])
            elif line.startswith(CLI):
                assert main(words[3:]) == 0, f"runbook line failed: {line}\n{capsys.readouterr().err}"
            elif line.startswith("pulumi config set "):
                key, value = words[3], words[4]
                config[key] = str(workdir / value)  # pulumi runs in the project directory, where the file is
            elif line.startswith("pulumi config rm "):
                config.pop(words[3])
            elif line.startswith("pulumi up --refresh"):
                operations = {urn.rsplit("::", 1)[-1]: op for urn, op in engine.up(program(), refresh=True).items()}
                assert operations["talos-bootstrap"] == "create"
                assert _state(engine, "talos-bootstrap").outputs["__restored_from"] == str(workdir / "db.snapshot")
            else:
                raise AssertionError(f"the test cannot run this runbook line: {line}")
        assert "talos-cluster:etcdRestore" not in config
        _wait_for_api(emulated)
        restored = asyncio.run(_kube(engine, cluster.control_planes[0]).get(CONFIG_MAP))
        assert restored is not None and restored["data"] == {"written": "before the snapshot"}
        assert all(emulated.node(address).etcd_member_id is not None for address in cluster.control_planes)


def test_a_refresh_keeps_the_bootstrap_while_another_control_plane_runs_etcd(workdir: Path) -> None:
    from benchmarks.up_emulated import definition_text

    text = definition_text(fresh_subnet(), 2, 0)
    definition = load.parse_definition(text, "bench.yaml", environ={})
    cluster = render(text)
    with emulate(cluster) as emulated, ProviderHost() as host:
        engine = Engine(host)
        engine.up(Program(lambda: cluster_program(definition, FAST)))
        _lose_every_control_plane(emulated, cluster.control_planes[:1], engine)
        refreshed = {urn.rsplit("::", 1)[-1]: op for urn, op in engine.refresh().items()}
        assert refreshed["talos-bootstrap"] == "same" and refreshed["talos-controlplane-01"] == "refresh-delete"
        bootstraps = len(emulated.calls_to("Bootstrap"))
        engine.up(Program(lambda: cluster_program(definition, FAST)))
        assert len(emulated.calls_to("Bootstrap")) == bootstraps  # never a second etcd cluster


def test_the_readme_by_hand_restore_runs_as_written_on_every_control_plane(workdir: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    from .kube_support import bootstrapped, kube_client

    snapshot_line = next(line for line in runbook_blocks()[0] if " etcd snapshot " in line)
    by_hand = runbook_blocks()[1]
    subnet = fresh_subnet()
    cluster = render(example_definition("homelab", subnet))
    (workdir / "talosconfig").write_text(cluster.talosconfig)
    first = cluster.control_planes[0]

    def run(line: str, address: str = first) -> None:
        words = shlex.split(line.replace("192.168.1.85", address).replace("192.168.1.", f"{subnet}."), comments=True)
        assert main(words[3:]) == 0, f"runbook line failed: {line}\n{capsys.readouterr().err}"

    with emulate(cluster) as emulated:
        bootstrapped(cluster, emulated)
        asyncio.run(kube_client(cluster).apply(CONFIG_MAP))
        run(snapshot_line)
        reset, recover = by_hand
        for address in cluster.control_planes:  # "do it on every control plane first"
            run(reset, address)
        for address in cluster.control_planes:
            emulated.wait_for(address, "running")
        assert not emulated.has_etcd()
        run(recover)
        _wait_for_api(emulated)
        restored = asyncio.run(kube_client(cluster, first).get(CONFIG_MAP))
        assert restored is not None and restored["data"] == {"written": "before the snapshot"}
