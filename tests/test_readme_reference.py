"""The README's `proxmox:` and `vultr:` node-block reference matches the definition parser: the same fields, each
example value parsed into the field it documents, and the documented defaults are the parser's."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest
import yaml

from components.talos.definition import load
from components.talos.definition.model import PROXMOX_FIELDS, VULTR_FIELDS, ProxmoxMachine, VultrMachine
from components.vultr import DEFAULT_LABEL, DEFAULT_TAGS

from .conftest import ROOT

BLOCKS = {"proxmox": (PROXMOX_FIELDS, ProxmoxMachine), "vultr": (VULTR_FIELDS, VultrMachine)}
_CODE = re.compile(r"^`([^`]*)`$")


def reference(block: str) -> dict[str, dict[str, str]]:
    """field → {default, example, meaning} from the table under "### `<block>:` node block"."""
    lines = (ROOT / "README.md").read_text().splitlines()
    start = lines.index(f"### `{block}:` node block")
    rows: dict[str, dict[str, str]] = {}
    for line in lines[start + 1:]:
        if line.startswith("#"):
            break
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if len(cells) == 4 and _CODE.match(cells[0]):
            rows[cells[0].strip("`")] = {"default": cells[1], "example": cells[2], "meaning": cells[3]}
    return rows


def attribute(field: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", field).lower()


def literal(cell: str) -> Any:
    match = _CODE.match(cell)
    assert match, f"expected a `value`, got {cell!r}"
    return yaml.safe_load(match.group(1))


def parsed_block(block: str, values: dict[str, Any]) -> Any:
    node = {"hostname": "node-01", "controlPlane": True, "installDisk": "/dev/sda", block: values}
    if block == "proxmox":
        node["ipAddress"] = "192.168.1.85"
        node["networkInterfaces"] = [{"interface": "eth0", "addresses": ["192.168.1.85/24"]}]
    text = yaml.safe_dump({"clusterName": "readme", "talosVersion": "v1.13.9", "kubernetesVersion": "v1.36.3",
                           "endpoint": "https://192.168.1.85:6443", "nodes": [node]})
    return getattr(load.parse_definition(text, "readme.yaml", environ={}).nodes[0], block)


@pytest.mark.parametrize("block", sorted(BLOCKS))
def test_the_readme_documents_exactly_the_fields_the_parser_accepts(block):
    fields, _ = BLOCKS[block]
    assert set(reference(block)) == set(fields)


@pytest.mark.parametrize("block", sorted(BLOCKS))
def test_every_readme_example_value_lands_in_the_field_it_documents(block):
    examples = {field: literal(row["example"]) for field, row in reference(block).items()}
    machine = parsed_block(block, examples)
    assert {field: getattr(machine, attribute(field)) for field in examples} == examples


def model_default(model: type, name: str) -> Any:
    spec = next(f for f in dataclasses.fields(model) if f.name == name)
    if spec.default is not dataclasses.MISSING:
        return spec.default
    if spec.default_factory is not dataclasses.MISSING:
        return spec.default_factory()
    return dataclasses.MISSING


# Unset in the definition, these are filled in by Proxmox (vmId, vlan) or by components/vultr.py (label, tags).
COMPUTED: dict[str, Any] = {"vmId": None, "vlan": None, "label": "", "tags": []}


@pytest.mark.parametrize("block", sorted(BLOCKS))
def test_the_readme_defaults_are_the_parsers_defaults(block):
    _, model = BLOCKS[block]
    for field, row in reference(block).items():
        default, cell = model_default(model, attribute(field)), row["default"]
        if default is dataclasses.MISSING:
            assert cell == "(required)", field
        elif field in COMPUTED:
            assert default == COMPUTED[field], field
        else:
            assert literal(cell) == default, field
    if block == "vultr":
        rows = reference("vultr")
        assert rows["label"]["default"] == f"`{DEFAULT_LABEL} <stack> <hostname>`"
        assert literal(rows["tags"]["default"]) == list(DEFAULT_TAGS)
    else:
        assert not _CODE.match(reference("proxmox")["vmId"]["default"])  # Proxmox picks: prose, not a value
