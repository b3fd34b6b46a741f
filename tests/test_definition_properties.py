"""Property tests: random valid definitions render; random mutations fail only with a validation error."""

from __future__ import annotations

import contextlib
import copy
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.talos.definition import DefinitionError, parse_definition, render_node
from components.talos.documents import encode
from components.talos.secrets import SecretsBundle

hostnames = st.from_regex(r"[a-z][a-z0-9]{0,10}", fullmatch=True)


@st.composite
def definitions(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(hostnames, min_size=1, max_size=6, unique=True))
    control_planes = draw(st.integers(min_value=1, max_value=len(names)))
    minor = draw(st.sampled_from([6, 8, 11, 12, 13]))
    nodes = []
    for index, name in enumerate(names):
        node: dict[str, Any] = {"hostname": name, "ipAddress": f"10.0.0.{index + 10}",
                                "controlPlane": index < control_planes, "installDisk": "/dev/sda"}
        if draw(st.booleans()):
            node["networkInterfaces"] = [{"interface": "eth0", "addresses": [f"10.0.0.{index + 10}/24"],
                                          "routes": [{"network": "0.0.0.0/0", "gateway": "10.0.0.1"}]}]
        if draw(st.booleans()):
            node["nodeLabels"] = {"zone": draw(hostnames)}
        nodes.append(node)
    return {"clusterName": draw(hostnames), "talosVersion": f"v1.{minor}.0",
            "kubernetesVersion": f"v1.{minor + 23}.0", "endpoint": "https://10.0.0.10:6443", "nodes": nodes}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(definitions())
def test_random_valid_definitions_render_every_node(data: dict[str, Any]) -> None:
    definition = parse_definition(yaml.safe_dump(data), "random.yaml", environ={})
    for node in definition.nodes:
        assert encode(render_node(definition, node, SecretsBundle.placeholder()))


values = st.one_of(st.none(), st.integers(), st.text(max_size=8), st.booleans(), st.lists(st.integers(), max_size=2),
                   st.dictionaries(st.text(max_size=4), st.integers(), max_size=2))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(definitions(), st.data())
def test_random_mutations_never_crash_with_anything_but_a_validation_error(data: dict[str, Any], draw) -> None:
    broken = copy.deepcopy(data)
    target = draw.draw(st.sampled_from([broken, *broken["nodes"]]))
    key = draw.draw(st.sampled_from([*sorted(target), "bogusField", "vultr", "proxmox", "patches"]))
    target[key] = draw.draw(values)
    with contextlib.suppress(DefinitionError):
        parse_definition(yaml.safe_dump(broken), "mutated.yaml", environ={})
