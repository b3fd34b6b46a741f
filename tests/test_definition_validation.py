"""Every validation rule reports the file, the field path, the value and what was expected — all at once."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from components.talos.definition import DefinitionError, parse_definition


def _base() -> dict[str, Any]:
    node = {"controlPlane": True, "installDisk": "/dev/sda"}
    return {
        "clusterName": "c", "talosVersion": "v1.13.9", "kubernetesVersion": "v1.36.3",
        "endpoint": "https://192.168.1.80:6443",
        "nodes": [
            {**node, "hostname": "cp-1", "ipAddress": "192.168.1.85", "networkInterfaces": [
                {"interface": "eth0", "addresses": ["192.168.1.85/24"], "vip": {"ip": "192.168.1.80"}}]},
            {**node, "hostname": "cp-2", "ipAddress": "192.168.1.86"},
            {**node, "hostname": "cp-3", "ipAddress": "192.168.1.87"},
            {"hostname": "w-1", "ipAddress": "192.168.1.88", "installDisk": "/dev/sda"},
        ],
    }


def _problems(data: dict[str, Any]) -> str:
    with pytest.raises(DefinitionError) as error:
        parse_definition(yaml.safe_dump(data), "config/broken.yaml", environ={})
    return str(error.value)


def test_the_base_definition_is_valid() -> None:
    assert len(parse_definition(yaml.safe_dump(_base()), "ok.yaml", environ={}).nodes) == 4


@pytest.mark.parametrize("mutate, expected", [
    (lambda d: d["nodes"][3].update(ipAddress="192.168.1.300"),
     "nodes[3].ipAddress = '192.168.1.300': expected an IP address"),
    (lambda d: d["nodes"][0]["networkInterfaces"][0].update(addresses=["192.168.1.300"]),
     "nodes[0].networkInterfaces[0].addresses[0] = '192.168.1.300': expected an IP address or one with its prefix"),
    (lambda d: d["nodes"][3].update(hostname="cp-1"), "nodes[3].hostname = 'cp-1': duplicate: also used by nodes[0]"),
    (lambda d: d["nodes"][3].update(ipAddress="192.168.1.85"),
     "nodes[3].ipAddress = '192.168.1.85': duplicate: also used by nodes[0]"),
    (lambda d: [n.update(controlPlane=False) for n in d["nodes"]], "nodes: no control-plane node"),
    (lambda d: d["nodes"][0]["networkInterfaces"][0].update(vip={"ip": "10.0.0.80"}),
     "nodes[0].networkInterfaces[0].vip.ip = '10.0.0.80': is outside the interface's subnets (192.168.1.0/24)"),
    (lambda d: d.update(kubernetesVersion="v1.27.2"),
     "kubernetesVersion = '1.27.2': Kubernetes 1.27.2 is not supported by Talos v1.13.9; expected 1.31.x to 1.36.x"),
    (lambda d: d["nodes"][2].update(ipAdress="1.2.3.4"), "nodes[2].ipAdress: unknown field; did you mean 'ipAddress'?"),
    (lambda d: d["nodes"][3].update(vultr={"plan": "vc2-2c-4gb", "region": "cdg"}),
     "nodes[3].ipAddress = '192.168.1.88': a Vultr node gets its address from the instance"),
    (lambda d: d["nodes"][3].pop("ipAddress"),
     "nodes[3].ipAddress: is required for an existing machine (a node with neither proxmox nor vultr)"),
    (lambda d: d["nodes"][3].update(vultr={"plan": "p", "region": "cdg"}, proxmox={"node": "pve1"}),
     "nodes[3]: is on two platforms (proxmox and vultr)"),
    (lambda d: d["nodes"][3].update(vultr={"plan": "p", "region": "Paris"}, ipAddress=None),
     "nodes[3].vultr.region = 'Paris': expected a Vultr region id of three lowercase letters"),
    # talhelper substitutes the whole talconfig.yaml (a8m/envsubst): `$$` is how a literal `$patch` is written.
    (lambda d: d["nodes"][3].update(patches=["machine:\n  network:\n    hostname:\n      $$patch: delete\n"]),
     "nodes[3] (w-1): patch does not apply: nodes[3] (w-1) patch #1 (inline): patch delete: path "
     "'machine.network.hostname'"),
    (lambda d: d.update(patches=['[{"op": "add", "path": "/machine/x", "value": 1}]']),
     "nodes[0] (cp-1), nodes[1] (cp-2), nodes[2] (cp-3), nodes[3] (w-1): patch does not apply: patches[] #1 "
     "(inline): JSON6902 patches are not supported"),
    (lambda d: d.update(endpoint="192.168.1.80:6443"), "endpoint = '192.168.1.80:6443': expected an https URL"),
    (lambda d: d.update(clusterPodNets=["10.244.0.0/33"]), "clusterPodNets[0] = '10.244.0.0/33': expected a CIDR"),
    (lambda d: d["nodes"][3].update(installDisk=None),
     "nodes[3].installDisk: one of installDisk or installDiskSelector"),
    (lambda d: d["nodes"][3].update(nameservers=["dns.google"]), "nodes[3].nameservers[0] = 'dns.google'"),
    (lambda d: d.update(talosVersion="v1.15.0"),
     "talosVersion = 'v1.15.0': Talos v1.15.0 is not supported; expected a version from v1.5 to v1.14"),
    (lambda d: d.update(imageFactory={}), "imageFactory: is not supported: a self-hosted Image Factory"),
    (lambda d: d["nodes"][0].update(networkInterfaces=[{"interface": "eth0", "vipp": {"ip": "192.168.1.80"}}]),
     "nodes[0].networkInterfaces[0].vipp: unknown field; did you mean 'vip'?"),
    (lambda d: d["nodes"][0].update(networkInterfaces=[{"interface": "eth0", "adresses": ["10.0.0.2/24"]}]),
     "nodes[0].networkInterfaces[0].adresses: unknown field; did you mean 'addresses'?"),
    (lambda d: d["nodes"][0].update(networkInterfaces=[{"interface": "eth0", "routes": [{"gatway": "10.0.0.1"}]}]),
     "nodes[0].networkInterfaces[0].routes[0].gatway: unknown field; did you mean 'gateway'?"),
    (lambda d: d["nodes"][0].update(networkInterfaces=[{"interface": "eth0", "vip": "192.168.1.80"}]),
     "nodes[0].networkInterfaces[0].vip: expected a mapping, got '192.168.1.80'"),
    (lambda d: d.update(controlPlane={"volumes": [{"name": "EPHEMERAL", "provisioning": {"maxsize": "5GiB"}}]}),
     "controlPlane.volumes[0].provisioning.maxsize: unknown field; did you mean 'maxSize'?"),
])
def test_each_rule_names_file_field_value_and_expectation(mutate, expected: str) -> None:
    data = _base()
    mutate(data)
    message = _problems(data)
    assert f"config/broken.yaml: {expected}" in message


def test_all_problems_are_reported_at_once() -> None:
    data = _base()
    data["nodes"][3]["ipAddress"] = "not-an-ip"
    data["clusterSvcNets"] = ["bad"]
    data["nodes"][1]["hostnme"] = "x"
    message = _problems(data)
    assert message.splitlines()[0] == "config/broken.yaml: 3 problems in the cluster definition"
    assert "nodes[3].ipAddress" in message and "clusterSvcNets[0]" in message and "nodes[1].hostnme" in message


def test_an_even_number_of_control_planes_is_a_warning_not_an_error() -> None:
    data = _base()
    data["nodes"][3]["controlPlane"] = True
    definition = parse_definition(yaml.safe_dump(data), "c.yaml", environ={})
    assert definition.warnings == [
        "c.yaml: nodes: 4 control planes; an odd number keeps etcd quorum through one failure"]
