"""Talos's decoder refuses a value its Go type cannot take, for every kind, once, in Talos's words: the table of
decoded Go types follows Talos's source, every Go type in it has its parser, and each parser refuses what the Go
type refuses and takes what it takes."""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from components.talos.validation import Mode, registry
from components.talos.validation import decoded_fields as table
from components.talos.validation.decoder_values import known, parser

from .validation_cases._configs import worker

TALOS_GIT = Path(os.environ.get("TALOS_GIT", "/work/.mirror/siderolabs+talos/repo"))
_BOND = {"name": "bond0", "links": ["eth0"], "bondMode": "active-backup"}
_VOLUME = {"name": "data", "provisioning": {"diskSelector": {"match": "!system_disk"}, "minSize": "1GiB"}}


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


def _put(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    node = document
    *parents, last = path.split(".")
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = value
    return document


def typed(kind: str, fields: dict[str, Any], path: str) -> Callable[[Any], list[dict[str, Any]]]:
    """A document of `kind` with `fields`, the value at `path`."""
    return lambda value: [_put({"apiVersion": "v1alpha1", "kind": kind, **copy.deepcopy(fields)}, path, value)]


def legacy(path: str) -> Callable[[Any], list[dict[str, Any]]]:
    """A worker's v1alpha1 config, the value at `path`."""
    return lambda value: [_put(worker(), path, value)]


@dataclass(frozen=True)
class Example:
    go_type: str  # the parser's code in decoded_fields.py (enum:X and int:X by their kind)
    config: Callable[[Any], list[dict[str, Any]]]
    refused: Any  # a value the Go type refuses, and Talos's text for it
    text: str
    taken: Any  # a value the Go type takes


EXAMPLES = [
    Example("duration", typed("WatchdogTimerConfig", {"device": "/dev/watchdog0"}, "timeout"), "3 minutes",
            "timeout: cannot construct !!str `3 minutes` into time.Duration", "3m0s"),
    Example("prefix", typed("KubeNetworkConfig", {"serviceSubnets": ["10.96.0.0/12"]}, "podSubnets"),
            ["10.244.0.0/255.255.0.0"],
            """podSubnets[0]: netip.ParsePrefix("10.244.0.0/255.255.0.0"): bad bits after slash: "255.255.0.0\"""",
            ["10.244.0.0/16"]),
    Example("addr", typed("BGPInstanceConfig", {"name": "fabric", "localASN": 65001}, "routerID"), "10.0.0.300",
            'routerID: ParseAddr("10.0.0.300"): IPv4 field has value >255', "10.0.0.1"),
    Example("addrport", typed("KubeSpanEndpointsConfig", {}, "extraAnnouncedEndpoints"), ["192.0.2.1:x"],
            'extraAnnouncedEndpoints[0]: invalid port "x" parsing "192.0.2.1:x"', ["192.0.2.1:51820"]),
    Example("url", typed("KmsgLogConfig", {"name": "remote"}, "url"), "tcp://[::1",
            """url: parse "tcp://[::1": missing ']' in host""", "tcp://[::1]:514/"),
    Example("hwaddr", typed("BondConfig", _BOND, "hardwareAddr"), "00:1",
            "hardwareAddr: encoding/hex: odd length hex string", "00:1a:2b:3c:4d:5e"),
    Example("failovermac", typed("BondConfig", _BOND, "failOverMac"), "sometimes",
            "failOverMac: invalid fail_over_mac value sometimes", "2"),
    Example("bytesize", typed("UserVolumeConfig", _VOLUME, "provisioning.minSize"), "10 gigs",
            "provisioning.minSize: unhandled size name: gigs", "10GiB"),
    Example("size", typed("UserVolumeConfig", _VOLUME, "provisioning.maxSize"), "150%",
            "provisioning.maxSize: percentage must be between 0 and 100, got 150", "50%"),
    Example("humanize", legacy("machine.disks"), [{"device": "/dev/sdb", "partitions": [{"size": "10 gigs"}]}],
            "machine.disks[0].partitions[0].size: unhandled size name: gigs",
            [{"device": "/dev/sdb", "partitions": [{"size": "100 GB", "mountpoint": "/var/data"}]}]),
    Example("disksize", legacy("machine.install.diskSelector"), {"size": "<<= 10GB"},
            "failed to parse disk size <= 10GB: strconv.ParseFloat", {"size": "<= 2TB"}),
    Example("base64", legacy("machine.ca"), {"crt": "Zm9v!"}, "machine.ca.crt: illegal base64 data at input byte 4",
            {"crt": "Zm9v"}),
    Example("base64key", legacy("machine.ca"), {"crt": "Zm9v", "key": "Zm9"},
            "machine.ca.key: illegal base64 data at input byte 0", {"crt": "Zm9v", "key": "******"}),
    Example("portrange", typed("NetworkRuleConfig", {"name": "r", "ingress": [{"subnet": "10.0.0.0/8"}]},
                               "portSelector.ports"), ["80"],
            'portSelector.ports[0]: invalid port range: "80"', [80, "1000-2000"]),
    Example("args", typed("KubeletConfig", {"image": "ghcr.io/siderolabs/kubelet:v1.35.0"}, "extraArgs"),
            {"v": {"level": 2}}, "extraArgs.v: arg value must be a string or list of strings",
            {"v": ["2", "3"], "x": "y"}),
    Example("enum", typed("DHCPv4Config", {"name": "eth0"}, "clientIdentifier"), "uuid",
            "clientIdentifier: uuid does not belong to ClientIdentifier values", "DUID"),
    Example("int", typed("VLANConfig", {"name": "eth0.10", "parent": "eth0"}, "vlanID"), -1,
            "vlanID: cannot construct !!int `-1` into uint16", 10),
]


def _decode_problems(documents: list[dict[str, Any]]) -> list[str]:
    return [str(p) for p in registry.run(documents, 14, Mode.METAL, last=registry.Phase.NEW)]


def test_every_go_type_has_an_example() -> None:
    assert sorted({_kind(code) for code in _codes()}) == sorted(example.go_type for example in EXAMPLES)


@pytest.mark.parametrize("example", EXAMPLES, ids=[example.go_type for example in EXAMPLES])
def test_a_value_its_go_type_refuses_fails_to_decode_in_talos_s_words(example: Example) -> None:
    problems = _decode_problems(example.config(example.refused))
    assert len(problems) == 1 and example.text in problems[0] and "error decoding" in problems[0], problems


@pytest.mark.parametrize("example", EXAMPLES, ids=[example.go_type for example in EXAMPLES])
def test_a_value_its_go_type_takes_decodes(example: Example) -> None:
    assert _decode_problems(example.config(example.taken)) == []


def test_a_document_s_decode_errors_are_all_reported_in_document_order() -> None:
    [document] = typed("LinkConfig", {"name": "eth0", "mtu": -1}, "addresses")([{"address": "x"}])
    document["routes"] = [{"gateway": "y"}]
    [problem] = _decode_problems([document])
    assert problem.endswith("yaml: construct errors: mtu: cannot construct !!int `-1` into uint32; "
                            """addresses[0].address: netip.ParsePrefix("x"): no '/'; """
                            'routes[0].gateway: ParseAddr("y"): unable to parse IP')


def test_only_the_names_of_the_target_release_decode() -> None:
    volume = typed("UserVolumeConfig", _VOLUME, "volumeType")("external")
    assert registry.run(volume, 13, Mode.METAL, last=registry.Phase.NEW) == []
    assert "external does not belong to VolumeType values" in str(
        registry.run(volume, 12, Mode.METAL, last=registry.Phase.NEW)[0])


@pytest.mark.parametrize("value", [None, {"a": 1}, [1, [2]], 10**30, -(10**30), 1e308, float("nan"), "", "\x00"])
def test_any_value_in_any_decoded_field_is_answered_without_a_traceback(value: Any) -> None:
    for code in sorted(_codes()):
        parser(code)(value, 14)
