"""Definitions are refused, naming the field, where Talos or talhelper would refuse them, and never with a
traceback; patches that break Talos's own config validation are refused before anything is written."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from components.talos import yamlio
from components.talos.definition import DefinitionError, parse_definition
from components.talos.validation import Mode, run

from .conftest import ROOT, talos

Mutation = Callable[[dict[str, Any]], None]


def _base() -> dict[str, Any]:
    data = yamlio.load((ROOT / "config" / "homelab.yaml").read_text())
    assert isinstance(data, dict)
    return data


def _problems(mutate: Mutation) -> str:
    data = _base()
    mutate(data)
    with pytest.raises(DefinitionError) as caught:
        parse_definition(json.dumps(data), "config/homelab.yaml", environ={})
    return str(caught.value)


def _node(data: dict[str, Any], key: str, value: Any) -> None:
    data["nodes"][0][key] = value


def _interface(data: dict[str, Any], key: str, value: Any) -> None:
    data["nodes"][0]["networkInterfaces"] = [{"interface": "eth0", "addresses": ["192.168.1.85/24"], key: value}]


@pytest.mark.parametrize(("mutate", "expected"), [
    (lambda d: _node(d, "hostname", "a/b"), "nodes[0].hostname = 'a/b': expected an RFC 1123 hostname"),
    (lambda d: _node(d, "hostname", "a\0b"), "nodes[0].hostname = 'a\\x00b': expected an RFC 1123 hostname"),
    (lambda d: _node(d, "hostname", "x" * 64), "has a label of 64 characters; expected at most 63 per label"),
    (lambda d: _node(d, "hostname", ".".join(["a" * 60] * 5)), "is 304 characters long; expected an RFC 1123"),
    (lambda d: _node(d, "hostname", d["nodes"][1]["hostname"].upper()),
     "nodes[1].hostname = 'controlplane-02': duplicate: also used by nodes[0]"),
    (lambda d: d.update(endpoint="https://192.168.1.85:70000"),
     "endpoint = 'https://192.168.1.85:70000': port number must be between 1 and 65535"),
    (lambda d: d.update(endpoint="https://192.168.1.85:0"), "port number must be between 1 and 65535"),
    (lambda d: d.update(endpoint="https://[192.168.1.85:6443"), "endpoint = 'https://[192.168.1.85:6443': parse "
                                                                 '"https://[192.168.1.85:6443": missing \']\' in host; '
                                                                 "expected an https URL"),
    (lambda d: d.update(endpoint="https://fe80::1:6443"), "IPv6 addresses MUST be enclosed by square brackets"),
    (lambda d: d.update(clusterSvcNets=["10.96.0.0"]), "clusterSvcNets[0] = '10.96.0.0': expected a CIDR"),
    (lambda d: d.update(clusterPodNets=["10.244.0.0/33"]), "clusterPodNets[0] = '10.244.0.0/33': expected a CIDR"),
    (lambda d: _node(d, "disableSearchDomain", "false"),
     "nodes[0].disableSearchDomain: expected true or false, got 'false'"),  # talhelper's field shapes (fields.py)
    (lambda d: _node(d, "controlPlane", "true"), "nodes[0].controlPlane = 'true': expected true or false"),
    (lambda d: d.update(allowSchedulingOnControlPlanes="false"),
     "allowSchedulingOnControlPlanes = 'false': expected true or false"),
    (lambda d: _interface(d, "dhcp", "false"),
     "nodes[0].networkInterfaces[0].dhcp: expected true or false, got 'false'"),
    (lambda d: _interface(d, "addresses", 1.5), "nodes[0].networkInterfaces[0].addresses: expected a list, got 1.5"),
    (lambda d: _interface(d, "routes", 5), "nodes[0].networkInterfaces[0].routes: expected a list, got 5"),
    (lambda d: _interface(d, "vip", "192.168.1.80"),
     "nodes[0].networkInterfaces[0].vip: expected a mapping, got '192.168.1.80'"),
    (lambda d: _interface(d, "mtu", 70000), "nodes[0].networkInterfaces[0].mtu = 70000: expected an MTU"),
    (lambda d: d.update(cniConfig={"name": "custom", "urls": "https://example.com/cni.yaml"}),
     "cniConfig.urls = 'https://example.com/cni.yaml': expected a list of manifest URLs"),
    (lambda d: _node(d, "schematic", {"customization": 5}), "nodes[0].schematic.customization = 5: expected a "
                                                             "mapping"),
    (lambda d: _node(d, "schematic", {"customization": {"extraKernelArgs": "quiet"}}),
     "nodes[0].schematic.customization.extraKernelArgs = 'quiet': expected a list of strings"),
    (lambda d: d.setdefault("patches", []).append("machine:\n  type: banana\n"),
     'v1alpha1.Config: unknown machine type "banana"'),
    (lambda d: d.setdefault("patches", []).append("machine:\n  ca:\n    $$patch: delete\n"),
     "issuing CA or some accepted CAs are required (.machine.ca, machine.acceptedCAs)"),
    (lambda d: d.setdefault("patches", []).append("cluster:\n  controlPlane:\n    endpoint: https://x:99999\n"),
     "invalid controlplane endpoint: port number must be between 1 and 65535"),
    (lambda d: d.setdefault("patches", []).append("cluster:\n  network:\n    dnsDomain: 'a b'\n"),
     '"a b" is not a valid DNS name'),
])
def test_each_invalid_input_is_refused_naming_its_field(mutate: Mutation, expected: str) -> None:
    message = _problems(mutate)
    assert expected in message, message
    assert "Traceback" not in message


def test_an_error_quotes_at_most_a_short_excerpt_of_a_huge_value() -> None:
    message = _problems(lambda d: _node(d, "hostname", "h" * 1_000_000))
    assert max(len(line) for line in message.splitlines()) < 300


def test_the_cli_refuses_a_bad_definition_in_one_line_per_problem_without_a_traceback(tmp_path: Path) -> None:
    data = _base()
    data["nodes"][0]["networkInterfaces"] = [{"interface": "eth0", "addresses": 1.5}]
    data["nodes"][1]["schematic"] = {"customization": 7}
    (tmp_path / "talconfig.yaml").write_text(json.dumps(data))
    result = talos("genconfig", cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "nodes[0].networkInterfaces[0].addresses: expected a list, got 1.5" in result.stderr
    assert "nodes[1].schematic.customization = 7" in result.stderr
    assert not (tmp_path / "clusterconfig").exists()


def test_gen_config_refuses_a_patch_that_breaks_talos_validation_before_writing(tmp_path: Path,
                                                                               stability_dir: Path) -> None:
    result = talos("gen", "config", "c1", "https://192.168.1.85:6443", "--with-secrets",
                   str(stability_dir / "secrets.yaml"), "--config-patch", "machine:\n  type: banana\n",
                   "-o", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 1
    # machine.type is a Go string: the decoder takes "banana", Config.Validate refuses it (and what a worker must not
    # carry, as the type is not a control plane's)
    assert result.stderr.startswith("error: controlplane.yaml: Talos v1.14 would refuse this config: "), result.stderr
    assert 'v1alpha1.Config: unknown machine type "banana"' in result.stderr
    assert "v1alpha1.Config: etcd config is only allowed on control plane machines" in result.stderr
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_configs_talos_generates_pass_the_same_checks(stability_dir: Path) -> None:
    for path in sorted(stability_dir.glob("v1.*/base-*.yaml")):
        documents = yamlio.load_all(path.read_text())
        minor = int(path.parent.name.split(".")[1])
        # the library-call goldens carry no install disk (README.txt), which only metal mode requires
        assert [str(p) for p in run(documents, minor, Mode.CLOUD, local=True) if not p.warning] == [], path
