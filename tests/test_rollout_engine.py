"""The rollout order of components/talos/rollout.py as `pulumi up` follows it through the engine: a Talos
upgrade reboots one control plane at a time, then the workers in batches, and etcd keeps its quorum."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest

from benchmarks.up_emulated import definition_text
from components.talos.definition import load
from components.talos.kube.upgrade import config_image

from .emulated import emulate, fresh_subnet, render
from .engine import Engine, StepFailed
from .provider_host import ProviderHost
from .talos_layer import FAST, run_with
from .test_kube_upgrade import replay


def test_a_talos_upgrade_reboots_one_control_plane_at_a_time_then_workers_two_at_a_time():
    text = definition_text(fresh_subnet(), 3, 6)
    cluster = render(text)
    options = replace(FAST, worker_batch=2)
    control_planes, workers = set(cluster.control_planes), set(cluster.workers)
    samples: list[tuple[float, set[str]]] = []
    done = threading.Event()
    with emulate(cluster) as emulated, ProviderHost() as host:
        engine = Engine(host)
        engine.up(run_with(engine, load.parse_definition(text, "bench.yaml", environ={}), options))

        def sample() -> None:
            while not done.is_set():
                samples.append((time.monotonic(), {a for a in cluster.addresses
                                                   if emulated.node(a).phase != "running"}))
                time.sleep(0.005)

        sampler = threading.Thread(target=sample)
        sampler.start()
        newer = load.parse_definition(text.replace("talosVersion: v1.13.9", "talosVersion: v1.13.10"), "bench.yaml",
                                      environ={})
        try:
            engine.up(run_with(engine, newer, options))
        finally:
            done.set()
            sampler.join()
        assert {emulated.node(a).version for a in cluster.addresses} == {"v1.13.10"}
    assert max(len(down & control_planes) for _, down in samples) == 1  # and etcd keeps 2 of 3: quorum
    assert max(len(down & workers) for _, down in samples) == 2
    last_control_plane_up = max(t for t, down in samples if down & control_planes)
    first_worker_down = min(t for t, down in samples if down & workers)
    assert first_worker_down > last_control_plane_up


def test_a_two_minor_kubernetes_jump_fails_the_preview_in_one_line_before_any_node_is_touched():
    text = definition_text(fresh_subnet(), 1, 1).replace("kubernetesVersion: v1.36.3", "kubernetesVersion: v1.34.2")
    cluster = render(text)
    with emulate(cluster) as emulated, ProviderHost() as host:
        engine = Engine(host)
        engine.up(run_with(engine, load.parse_definition(text, "bench.yaml", environ={})))
        calls_before = len(emulated.calls)
        jumped = load.parse_definition(text.replace("v1.34.2", "v1.36.3"), "bench.yaml", environ={})
        with pytest.raises(StepFailed) as failure:
            engine.preview(run_with(engine, jumped))
        assert len(emulated.calls) == calls_before
    message = str(failure.value)
    assert "controlplane-01" in message and "1.34.2" in message and "1.36.3" in message
    assert len(message.splitlines()) == 1


def test_a_kubernetes_minor_bump_upgrades_every_api_server_before_any_kubelet(tmp_path):
    text = definition_text(fresh_subnet(), 3, 2).replace("kubernetesVersion: v1.36.3", "kubernetesVersion: v1.35.0")
    cluster = render(text)
    journal = tmp_path / "journal.jsonl"
    with emulate(cluster, journal=str(journal)) as emulated, ProviderHost() as host:
        engine = Engine(host)
        engine.up(run_with(engine, load.parse_definition(text, "bench.yaml", environ={})))
        bumped = load.parse_definition(text.replace("v1.35.0", "v1.36.3"), "bench.yaml", environ={})
        result = {urn.rsplit("::", 1)[-1]: op for urn, op in engine.up(run_with(engine, bumped)).items()}
        configs = [emulated.node(address).config for address in cluster.addresses]
    assert result["talos-kubernetes"] == "update"
    replay(journal)  # no kubelet newer than any running API server, at any event
    assert all(config is not None and config_image(config.text, "kubelet").endswith(":v1.36.3") for config in configs)
    assert all(config is not None and config_image(config.text, "kube-apiserver").endswith(":v1.36.3")
               for config in configs[:3])
