"""Nothing valid is refused: each config Talos accepts passes every check the project makes on a render (decoder,
container, Config.Validate, conflicts), starting from the project's own `gen config` output plus one change."""

from __future__ import annotations

import copy
import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

import pytest

from components.talos.bundle import render_role
from components.talos.generate import GenerateInput
from components.talos.secrets import SecretsBundle
from components.talos.validation import Mode, check_config, run
from components.talos.versions import Contract

from . import validation_cases
from .validation_cases._configs import typed

Document = dict[str, Any]


def _accepted() -> list[tuple[str, Callable[[], list[Document]], Mode]]:
    found: list[tuple[str, Callable[[], list[Document]], Mode]] = []
    for module in pkgutil.iter_modules(validation_cases.__path__):
        found += getattr(importlib.import_module(f"{validation_cases.__name__}.{module.name}"), "ACCEPTED", [])
    return found


@pytest.mark.parametrize("name, documents, mode", _accepted(), ids=lambda v: v if isinstance(v, str) else "")
def test_talos_s_own_accepted_test_configs_pass(name: str, documents: Callable[[], list[Document]], mode: Mode):
    problems = run(documents(), 14, mode, local=True)
    assert [str(p) for p in problems if not p.warning] == [], name


@pytest.fixture(scope="module")
def rendered(stability_dir) -> dict[tuple[int, str], list[Document]]:
    secrets = SecretsBundle.read(stability_dir / "secrets.yaml")
    configs = {}
    for minor in (12, 13, 14):
        gen = GenerateInput(cluster_name="c1", endpoint="https://192.168.1.80:6443", kubernetes_version="1.32.0",
                            secrets=secrets, contract=Contract(1, minor), install_disk="/dev/sda")
        for role in ("controlplane", "worker"):
            configs[(minor, role)] = render_role(gen, role)
    return configs


def _legacy(documents: list[Document]) -> Document:
    legacy: Document = next(doc for doc in documents if "kind" not in doc)
    return legacy


def _set(path: str, value: Any) -> Callable[[list[Document]], None]:
    def change(documents: list[Document]) -> None:
        node = _legacy(documents)
        keys = path.split(".")
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = value
    return change


def _first_interface(documents: list[Document]) -> Document:
    network = _legacy(documents)["machine"].setdefault("network", {})
    interface: Document = network.setdefault("interfaces", [{"interface": "eth0"}])[0]
    return interface


def _cidr(documents: list[Document]) -> None:
    _first_interface(documents)["cidr"] = "192.168.1.85/24"


def _vlan_cidr(documents: list[Document]) -> None:
    _first_interface(documents)["vlans"] = [{"vlanId": 10, "cidr": "10.10.0.5/24"}]


def _append(*extra: Document) -> Callable[[list[Document]], None]:
    """Add the documents, in place of the rendered ones of the same kind and name."""
    def change(documents: list[Document]) -> None:
        ids = {(doc["kind"], doc.get("name")) for doc in extra}
        documents[:] = [doc for doc in documents if (doc.get("kind"), doc.get("name")) not in ids]
        documents.extend(copy.deepcopy(list(extra)))
    return change


_ENCRYPTED_EPHEMERAL = typed("VolumeConfig", name="EPHEMERAL", encryption={
    "provider": "luks2", "keys": [{"slot": 0, "tpm": {}}], "options": ["no_read_workqueue", "no_write_workqueue"]})
_LEGACY_ENCRYPTION = {"ephemeral": {"provider": "luks2", "keys": [{"slot": 0, "nodeID": {}}],
                                    "options": ["no_read_workqueue"]}}
_USER_VOLUME = typed("UserVolumeConfig", name="data", provisioning={"diskSelector": {"match": "!system_disk"},
                                                                    "minSize": "1GiB"})
_CONTAINER_MOUNT = typed("ContainerConfig", name="web", image="docker.io/library/nginx:latest",
                         mounts=[{"userVolume": {"name": "data", "destination": "/data", "options": ["ro", "nosuid"]}}])

# (what Talos accepts, role, Talos minors, the change to the rendered config)
VALID: list[tuple[str, str, tuple[int, ...], Callable[[list[Document]], None]]] = [
    ("machine.install.bootloader (deprecated, in the Go struct)", "worker", (12, 13),
     _set("machine.install.bootloader", True)),
    ("cluster.allowSchedulingOnMasters (deprecated, in the Go struct)", "controlplane", (12, 13),
     _set("cluster.allowSchedulingOnMasters", True)),
    ("interfaces[].cidr (deprecated, in the Go struct)", "worker", (12, 13), _cidr),
    ("vlans[].cidr (deprecated, in the Go struct)", "worker", (12, 13), _vlan_cidr),
    ("cluster.etcd.subnet (deprecated, in the Go struct)", "controlplane", (12, 13, 14),
     _set("cluster.etcd.subnet", "10.0.0.0/8")),
    ("machine.type init (a control plane)", "controlplane", (12, 13, 14), _set("machine.type", "init")),
    ("machine.type join (a worker, with a warning)", "worker", (12, 13, 14), _set("machine.type", "join")),
    ("a list of LUKS options in .machine.systemDiskEncryption", "worker", (12, 13),
     _set("machine.systemDiskEncryption", _LEGACY_ENCRYPTION)),
    ("a list of LUKS options in a VolumeConfig", "worker", (12, 13, 14), _append(_ENCRYPTED_EPHEMERAL)),
    ("a list of mount options of a container's user volume", "worker", (14,), _append(_USER_VOLUME, _CONTAINER_MOUNT)),
    ("a CNI name Talos does not ship, on a worker", "worker", (12, 13), _set("cluster.network.cni",
                                                                             {"name": "cilium"})),
    ("KubeSpanEndpointsConfig (the kind Talos registers)", "worker", (12, 13, 14),
     _append(typed("KubeSpanEndpointsConfig", extraAnnouncedEndpoints=["192.0.2.1:51820"]))),
    ("ImageVerificationConfig (v1.13+)", "worker", (13, 14),
     _append(typed("ImageVerificationConfig", rules=[{"image": "docker.io/*", "skip": True}]))),
    ("a DNS protocol in another case (enumer takes the lower-case name)", "worker", (14,),
     _append(typed("ResolverConfig", nameservers=[{"address": "1.1.1.1", "protocol": "do53"}]))),
    ("HostnameConfig auto: talos-addr (an AutoHostnameKind name)", "worker", (13, 14),
     _append(typed("HostnameConfig", auto="talos-addr"))),
]


@pytest.mark.parametrize("what, role, minors, change", VALID, ids=[v[0] for v in VALID])
def test_a_config_talos_accepts_is_not_refused(what: str, role: str, minors: tuple[int, ...],
                                               change: Callable[[list[Document]], None], rendered) -> None:
    for minor in minors:
        documents = copy.deepcopy(rendered[(minor, role)])
        change(documents)
        check_config(documents, minor=minor, mode=Mode.METAL, source=f"v1.{minor} {role}", local=True)


def test_the_schema_only_kind_names_are_refused_as_talos_refuses_them(rendered) -> None:
    for kind in ("KubeSpanEndpoints", "UnattendedInstall"):
        documents = [*rendered[(14, "worker")], typed(kind)]
        problems = [str(p) for p in run(documents, 14, Mode.METAL) if not p.warning]
        assert len(problems) == 1 and f'"{kind}" "v1alpha1": not registered' in problems[0]


@pytest.mark.parametrize("stack", ["homelab", "cross-region", "dev"])
def test_the_example_stacks_render_configs_their_talos_accepts(stack: str, stability_dir) -> None:
    """Every node's config as the program renders it (real secrets), checked as that node's Talos checks it when it
    takes the config: its runtime mode (nocloud, vultr: cloud; metal), Kubernetes versions included."""
    from components.talos.definition import load_definition, render_node
    from components.talos.definition.render import runtime_mode
    from components.talos.versions import parse_contract

    definition = load_definition(f"config/{stack}.yaml", environ={})
    secrets = SecretsBundle.read(stability_dir / "secrets.yaml")
    minor = parse_contract(definition.talos_version).minor
    for node in definition.nodes:
        documents = render_node(definition, node, secrets)
        # raises MachineConfigInvalid naming the node and every problem
        warnings = check_config(documents, minor=minor, mode=runtime_mode(node), source=node.hostname,
                                talos_version=definition.talos_version)
        assert warnings == [], (node.hostname, warnings)
