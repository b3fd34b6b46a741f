"""The rollout policy: the order nodes change in, and the version changes refused before any node is touched."""

from __future__ import annotations

import re

import pytest

from components.talos import rollout
from components.talos.rollout import RolloutError, Wave

CLUSTER = [("cp1", "controlplane"), ("w1", "worker"), ("cp2", "controlplane"), ("w2", "worker"),
           ("cp3", "controlplane"), ("w3", "worker"), ("w4", "worker"), ("w5", "worker")]


def test_control_planes_change_one_at_a_time_before_any_worker():
    waves = rollout.waves(CLUSTER)
    assert waves[:3] == [Wave("controlplane", ("cp1",)), Wave("controlplane", ("cp2",)),
                         Wave("controlplane", ("cp3",))]
    assert [w.hostnames for w in waves[3:]] == [("w1",), ("w2",), ("w3",), ("w4",), ("w5",)]


def test_workers_change_in_batches_of_the_stack_setting_in_definition_order():
    waves = rollout.waves(CLUSTER, batch_size=2)
    assert [w.hostnames for w in waves if w.role == "worker"] == [("w1", "w2"), ("w3", "w4"), ("w5",)]
    assert all(len(w.hostnames) == 1 for w in waves if w.role == "controlplane")


def test_a_batch_larger_than_the_workers_is_one_wave():
    assert rollout.waves(CLUSTER, batch_size=10)[-1] == Wave("worker", ("w1", "w2", "w3", "w4", "w5"))


@pytest.mark.parametrize("size", [0, -1, 1.5, True])
def test_a_batch_size_below_one_is_refused(size):
    with pytest.raises(RolloutError, match=re.escape("batch size")):
        rollout.waves(CLUSTER, batch_size=size)


def test_an_unknown_role_or_a_repeated_node_is_refused_by_name():
    with pytest.raises(RolloutError, match=re.escape("node gpu1: role 'gpu'")):
        rollout.waves([("gpu1", "gpu")])
    with pytest.raises(RolloutError, match=re.escape("node cp1: listed twice")):
        rollout.waves([("cp1", "controlplane"), ("cp1", "worker")])


@pytest.mark.parametrize("old, new", [("1.29.3", "1.29.7"), ("v1.29.7", "1.30.0"), ("1.30.0", "1.30.0")])
def test_kubernetes_moves_one_minor_at_a_time(old, new):
    rollout.check_kubernetes_upgrade("cp1", old, new)


def test_kubernetes_two_minors_at_once_is_refused_naming_node_and_versions():
    with pytest.raises(RolloutError) as error:
        rollout.check_kubernetes_upgrade("cp1", "1.27.4", "1.29.0")
    assert str(error.value) == ("node cp1: Kubernetes v1.27.4 -> v1.29.0 skips a minor version; upgrade one minor "
                                "at a time (first to v1.28.x)")


@pytest.mark.parametrize("old, new", [("1.30.2", "1.29.9"), ("1.30.2", "1.30.1")])
def test_kubernetes_is_never_downgraded(old, new):
    with pytest.raises(RolloutError, match=re.escape(f"node w1: Kubernetes v{old} -> v{new} is a downgrade")):
        rollout.check_kubernetes_upgrade("w1", old, new)


def test_a_kubelet_newer_than_the_api_server_is_refused():
    rollout.check_kubelet_skew("w1", "1.30.1", "1.30.4")
    rollout.check_kubelet_skew("w1", "1.29.9", "1.30.0")
    with pytest.raises(RolloutError, match=re.escape("kubelet v1.31.0 would be newer than kube-apiserver v1.30.4")):
        rollout.check_kubelet_skew("w1", "1.31.0", "1.30.4")


def test_a_kubelet_older_than_the_skew_policy_allows_is_refused():
    rollout.check_kubelet_skew("w1", "1.27.0", "1.30.0")  # three minors from 1.28 on
    with pytest.raises(RolloutError, match=re.escape("expected v1.27.x or newer")):
        rollout.check_kubelet_skew("w1", "1.26.0", "1.30.0")
    with pytest.raises(RolloutError, match=re.escape("expected v1.25.x or newer")):
        rollout.check_kubelet_skew("w1", "1.24.0", "1.27.0")  # two minors before


@pytest.mark.parametrize("old, new", [("v1.6.4", "v1.7.7"), ("v1.6.4", "v1.8.4"), ("v1.12.11", "v1.13.9"),
                                      ("v1.11.0", "v1.13.0"), ("v1.13.9", "v1.12.11"), ("v1.13.2", "v1.13.9")])
def test_talos_upgrades_along_the_path_talos_accepts(old, new):
    rollout.check_talos_upgrade("cp1", old, new)


def test_a_talos_upgrade_from_a_host_too_old_is_refused_with_the_step_between():
    with pytest.raises(RolloutError) as error:
        rollout.check_talos_upgrade("cp1", "v1.6.4", "v1.13.9")
    assert str(error.value) == ("node cp1: Talos v1.6.4 -> v1.13.9: host version v1.6.4 is too old to upgrade to "
                                "Talos v1.13.9; upgrade through v1.8 first")
    with pytest.raises(RolloutError, match=re.escape("upgrade through v1.12 first")):
        rollout.check_talos_upgrade("w2", "v1.10.9", "v1.13.0")  # 1.13 needs a 1.11+ host; 1.12 takes 1.10


def test_a_talos_downgrade_past_what_talos_allows_is_refused():
    with pytest.raises(RolloutError, match=re.escape("node w1: Talos v1.13.0 -> v1.10.0: host version v1.13.0 is too")):
        rollout.check_talos_upgrade("w1", "v1.13.0", "v1.10.0")


def test_a_talos_target_talos_has_no_path_to_is_refused():
    with pytest.raises(RolloutError, match=re.escape("upgrades to Talos v1.16 are not supported")):
        rollout.check_talos_upgrade("w1", "v1.15.0", "v1.16.0")


def test_a_version_that_is_not_one_names_the_node():
    with pytest.raises(RolloutError, match=re.escape("node w3: Talos version 'latest' is not a version")):
        rollout.check_talos_upgrade("w3", "latest", "v1.13.9")



APISERVERS = {"cp1": "1.29.3", "cp2": "1.29.3", "cp3": "1.29.3"}
KUBELETS = {"cp1": "1.29.3", "cp2": "1.29.3", "cp3": "1.29.3", "w1": "1.29.3"}


def test_a_plan_that_moves_every_api_server_before_any_kubelet_keeps_the_skew():
    steps = [("kube-apiserver", cp, "1.30.1") for cp in ("cp1", "cp2", "cp3")]
    steps += [("kubelet", node, "1.30.1") for node in ("cp1", "cp2", "cp3", "w1")]
    rollout.check_skew_during(steps, APISERVERS, KUBELETS)


def test_a_kubelet_moved_with_its_own_api_server_while_others_are_old_is_refused():
    steps = [("kube-apiserver", "cp1", "1.30.1"), ("kubelet", "cp1", "1.30.1"), ("kube-apiserver", "cp2", "1.30.1")]
    with pytest.raises(RolloutError, match=re.escape("node cp1: kubelet v1.30.1 would be newer than kube-apiserver "
                                                     "v1.29.3")):
        rollout.check_skew_during(steps, APISERVERS, KUBELETS)
