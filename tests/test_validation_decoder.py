"""Talos's decoder refuses a value its Go type cannot take, for every kind, once, in Talos's words: the table of
decoded Go types follows Talos's source, every Go type in it has its parser, and each parser refuses what the Go
type refuses and takes what it takes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from components.talos.validation import Mode, registry
from components.talos.validation import decoded_fields as table
from components.talos.validation.decoder_values import known, parser

TALOS_GIT = Path(os.environ.get("TALOS_GIT", "/work/.mirror/siderolabs+talos/repo"))


def test_the_table_of_decoded_go_types_follows_talos_s_source() -> None:
    if not (TALOS_GIT / "HEAD").exists():
        pytest.skip(f"no clone of siderolabs/talos at {TALOS_GIT} (set TALOS_GIT); the table is checked where it is")
    from scripts.gen_decoded_fields import OUTPUT, render

    assert OUTPUT.read_text(encoding="utf-8") == render(str(TALOS_GIT)), (
        "components/talos/validation/decoded_fields.py is stale: run python scripts/gen_decoded_fields.py")


def _codes() -> set[str]:
    return {code for paths in table.FIELDS.values() for parsers in paths.values() for code, _ in parsers}


def test_every_go_type_the_decoder_meets_has_a_parser() -> None:
    assert sorted(code for code in _codes() if not known(code)) == []
    enums = {code.removeprefix("enum:") for code in _codes() if code.startswith("enum:")}
    assert sorted(enums - set(table.ENUMS)) == []


def _kind(code: str) -> str:
    return code.split(":")[0] if code.startswith(("enum:", "int:")) else code


# one value each Go type refuses, in a document that has it, and a value it takes: (Go type code, kind, path as
# fields, refused value, Talos's text, a value Talos takes)
EXAMPLES: list[tuple[str, str, dict[str, Any], Any, str, Any]] = [
    ("duration", "WatchdogTimerConfig", {"device": "/dev/watchdog0"}, "timeout",
     "timeout: cannot construct !!str `3 minutes` into time.Duration", "3m0s"),
    ("prefix", "KubeNetworkConfig", {"serviceSubnets": ["10.96.0.0/12"]}, "podSubnets",
     """podSubnets[0]: netip.ParsePrefix("10.244.0.0/255.255.0.0"): bad bits after slash: "255.255.0.0\"""",
     ["10.244.0.0/16"]),
    ("addr", "BGPInstanceConfig", {"name": "fabric", "localASN": 65001}, "routerID",
     'routerID: ParseAddr("10.0.0.300"): IPv4 field has value >255', "10.0.0.1"),
    ("addrport", "KubeSpanEndpointsConfig", {}, "extraAnnouncedEndpoints",
     'extraAnnouncedEndpoints[0]: invalid port "x" parsing "192.0.2.1:x"', ["192.0.2.1:51820"]),
    ("url", "KmsgLogConfig", {"name": "remote"}, "url", """url: parse "tcp://[::1": missing ']' in host""",
     "tcp://[::1]:514/"),
    ("hwaddr", "BondConfig", {"name": "bond0", "links": ["eth0"], "bondMode": "active-backup"}, "hardwareAddr",
     "hardwareAddr: encoding/hex: odd length hex string", "00:1a:2b:3c:4d:5e"),
    ("failovermac", "BondConfig", {"name": "bond0", "links": ["eth0"], "bondMode": "active-backup"}, "failOverMac",
     "failOverMac: invalid fail_over_mac value sometimes", "2"),
    ("bytesize", "UserVolumeConfig", {"name": "data", "provisioning": {"diskSelector": {"match": "!system_disk"}}},
     "provisioning.minSize", "provisioning.minSize: unhandled size name: gigs", "10GiB"),
    ("size", "UserVolumeConfig", {"name": "data", "provisioning": {"diskSelector": {"match": "!system_disk"},
                                                                   "minSize": "1GiB"}},
     "provisioning.maxSize", "provisioning.maxSize: percentage must be between 0 and 100, got 150", "50%"),
    ("humanize", "v1alpha1", {}, "machine.disks", "", None),
    ("disksize", "v1alpha1", {}, "machine.install.diskSelector.size", "", None),
    ("base64", "v1alpha1", {}, "machine.ca.crt", "", None),
    ("base64key", "v1alpha1", {}, "machine.ca.key", "", None),
    ("portrange", "NetworkRuleConfig", {"name": "r", "ingress": [{"subnet": "10.0.0.0/8"}]}, "portSelector.ports",
     'portSelector.ports[0]: invalid port range: "80"', [80, "1000-2000"]),
    ("args", "KubeletConfig", {"image": "ghcr.io/siderolabs/kubelet:v1.35.0"}, "extraArgs",
     "extraArgs.v: arg value must be a string or list of strings", {"v": ["2", "3"], "x": "y"}),
    ("enum", "DHCPv4Config", {"name": "eth0"}, "clientIdentifier",
     "clientIdentifier: uuid does not belong to ClientIdentifier values", "DUID"),
    ("int", "VLANConfig", {"name": "eth0.10", "parent": "eth0"}, "vlanID",
     "vlanID: cannot construct !!int `-1` into uint16", 10),
]
_REFUSED = {"duration": "3 minutes", "addr": "10.0.0.300", "prefix": ["10.244.0.0/255.255.0.0"],
            "addrport": ["192.0.2.1:x"], "url": "tcp://[::1", "hwaddr": "00:1", "failovermac": "sometimes",
            "bytesize": "10 gigs", "size": "150%", "portrange": ["80"], "args": {"v": {"level": 2}}, "enum": "uuid",
            "int": -1}
# the v1alpha1 types, with a worker config around them
_LEGACY = {"humanize": ("machine.disks", [{"device": "/dev/sdb", "partitions": [{"size": "10 gigs"}]}],
                        "machine.disks[0].partitions[0].size: unhandled size name: gigs",
                        [{"device": "/dev/sdb", "partitions": [{"size": "100 GB", "mountpoint": "/var/data"}]}]),
           "disksize": ("machine.install.diskSelector", {"size": "<<= 10GB"},
                        "failed to parse disk size <= 10GB: strconv.ParseFloat", {"size": "<= 2TB"}),
           "base64": ("machine.ca", {"crt": "Zm9v!"}, "machine.ca.crt: illegal base64 data at input byte 4",
                      {"crt": "Zm9v"}),
           "base64key": ("machine.ca", {"crt": "Zm9v", "key": "Zm9"}, "machine.ca.key: illegal base64 data at input "
                         "byte 0", {"crt": "Zm9v", "key": "******"})}


def _document(kind: str, fields: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    document: dict[str, Any] = {"apiVersion": "v1alpha1", "kind": kind, **fields}
    node = document
    *parents, last = path.split(".")
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = value
    return document


def _legacy(path: str, value: Any) -> dict[str, Any]:
    document: dict[str, Any] = {"version": "v1alpha1", "machine": {"type": "worker", "ca": {"crt": "Zm9v"}},
                                "cluster": {"controlPlane": {"endpoint": "https://localhost:6443/"}}}
    node = document
    *parents, last = path.split(".")
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = value
    return document


def _decode_problems(documents: list[dict[str, Any]]) -> list[str]:
    return [str(p) for p in registry.run(documents, 14, Mode.METAL, last=registry.Phase.NEW)]


def test_every_go_type_has_an_example() -> None:
    assert sorted({_kind(code) for code in _codes()}) == sorted(example[0] for example in EXAMPLES)


@pytest.mark.parametrize("example", EXAMPLES, ids=[example[0] for example in EXAMPLES])
def test_a_value_its_go_type_refuses_fails_to_decode_in_talos_s_words(example: tuple[Any, ...]) -> None:
    code, kind, fields, path, text, _ = example
    if code in _LEGACY:
        path, value, text, _ = _LEGACY[code]
        documents = [_legacy(path, value)]
    else:
        documents = [_document(kind, fields, path, _REFUSED[code])]
    problems = _decode_problems(documents)
    assert len(problems) == 1 and text in problems[0] and "error decoding" in problems[0], problems


@pytest.mark.parametrize("example", EXAMPLES, ids=[example[0] for example in EXAMPLES])
def test_a_value_its_go_type_takes_decodes(example: tuple[Any, ...]) -> None:
    code, kind, fields, path, _, accepted = example
    if code in _LEGACY:
        path, _, _, accepted = _LEGACY[code]
        documents = [_legacy(path, accepted)]
    else:
        documents = [_document(kind, fields, path, accepted)]
    assert _decode_problems(documents) == []


def test_a_document_s_decode_errors_are_all_reported_in_document_order() -> None:
    document = _document("LinkConfig", {"name": "eth0", "mtu": -1}, "addresses", [{"address": "x"}])
    document["routes"] = [{"gateway": "y"}]
    [problem] = _decode_problems([document])
    assert problem.endswith("yaml: construct errors: mtu: cannot construct !!int `-1` into uint32; "
                            """addresses[0].address: netip.ParsePrefix("x"): no '/'; """
                            'routes[0].gateway: ParseAddr("y"): unable to parse IP')


def test_only_the_names_of_the_target_release_decode() -> None:
    volume = _document("UserVolumeConfig", {"name": "data", "provisioning": {"diskSelector": {"match": "x"}}},
                       "volumeType", "external")
    assert registry.run([volume], 13, Mode.METAL, last=registry.Phase.NEW) == []
    assert "external does not belong to VolumeType values" in str(
        registry.run([volume], 12, Mode.METAL, last=registry.Phase.NEW)[0])


@pytest.mark.parametrize("value", [None, {"a": 1}, [1, [2]], 10**30, -(10**30), 1e308, float("nan"), "", "\x00"])
def test_any_value_in_any_decoded_field_is_answered_without_a_traceback(value: Any) -> None:
    for code in sorted(_codes()):
        parser(code)(value, 14)
