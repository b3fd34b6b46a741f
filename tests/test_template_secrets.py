"""Templates never copy a secret into what previews show: a template that reads a key, token, certificate,
password or free-form content is refused by name (its message holds no secret), and masked_config also
masks every secret of the bundle by value, in the encodings a template could have produced."""

from __future__ import annotations

import base64
import functools
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.talos import yamlio
from components.talos.definition import parse_definition, render_node
from components.talos.definition.gofields import STRUCTS
from components.talos.definition.template_functions import go_text
from components.talos.documents import encode
from components.talos.errors import TalosError
from components.talos.masking import bundle_secret_values, masked_config, masked_field
from components.talos.secrets import SecretsBundle
from components.talos.versions import parse_contract

from .conftest import ROOT


@functools.cache
def bundle() -> SecretsBundle:
    return SecretsBundle.generate(parse_contract("v1.13.9"))


@functools.cache
def bundle_strings() -> tuple[str, ...]:
    """Every secret string of the bundle as it may appear in a config: base64 and decoded PEM."""
    found: list[str] = []

    def walk(value: Any, key: str) -> None:
        if isinstance(value, dict):
            for name, item in value.items():
                walk(item, str(name))
        elif isinstance(value, str) and key in ("key", "secret", "token", "bootstraptoken",
                                                 "secretboxencryptionsecret", "aescbcencryptionsecret"):
            found.append(value)
            if key == "key":
                found.append(base64.b64decode(value).decode())

    walk(bundle().to_data(), "")
    return tuple(found)


def _definition(change: Any) -> Any:
    data = yamlio.load((ROOT / "config" / "dev.yaml").read_text())
    change(data["nodes"][0])
    return parse_definition(json.dumps(data), "dev.yaml", environ={})


def _refusal(change: Any) -> str:
    """The refusal, which comes at load already: the definition is first rendered with empty secrets."""
    with pytest.raises(TalosError) as caught:
        definition = _definition(change)
        render_node(definition, definition.nodes[0], bundle())
    message = str(caught.value)
    assert "reads a secret" in message, message
    assert not [secret for secret in bundle_strings() if secret in message]
    return message


def test_a_node_annotation_templating_the_kubernetes_ca_is_refused_by_name() -> None:
    message = _refusal(lambda node: node.update(nodeAnnotations={"ca": "{{ .ClusterConfig.ClusterCA }}"}))
    assert ("nodes[0] (dev-cp-01).nodeAnnotations.ca: template: .ClusterConfig.ClusterCA "
            "(at ca.key) reads a secret") in message


def test_a_kubelet_extra_arg_templating_the_cluster_secret_is_refused_by_name() -> None:
    patch = "machine:\n  kubelet:\n    extraArgs:\n      x: x={{ .ClusterConfig.ClusterSecret }}\n"
    message = _refusal(lambda node: node.update(patches=[patch]))
    assert "nodes[0] (dev-cp-01) patch #1 (inline): template: .ClusterConfig.ClusterSecret reads a secret" in message


def test_an_extra_host_entry_alias_templating_the_machine_token_is_refused_by_name() -> None:
    patch = ("machine:\n  network:\n    extraHostEntries:\n      - ip: 10.0.0.1\n"
             "        aliases: ['{{ .MachineConfig.MachineToken }}']\n")
    message = _refusal(lambda node: node.update(patches=[patch]))
    assert "template: .MachineConfig.MachineToken reads a secret" in message


def test_templates_still_read_what_previews_show() -> None:
    definition = _definition(lambda node: node.update(nodeAnnotations={
        "role": "{{ .MachineConfig.MachineType }}-{{ .ClusterConfig.ClusterName }}",
        "sans": '{{ join "," .MachineConfig.MachineCertSANs }}'}))
    config = encode(render_node(definition, definition.nodes[0], bundle()))
    assert "role: controlplane-dev" in config


@functools.cache
def _secret_paths() -> list[str]:
    """Go field chains from the config root to every value the masking rules hide, in a real control plane
    config: the template context's secret fields."""
    definition = _definition(lambda node: None)
    legacy = next(d for d in render_node(definition, definition.nodes[0], bundle()) if "machine" in d)
    paths: list[str] = []
    pending: list[tuple[Any, str, str]] = [(legacy, "Config", "")]
    while pending:
        raw, struct, path = pending.pop()
        for name, (key, element) in STRUCTS.get(struct, {}).items():
            value = raw.get(key) if isinstance(raw, dict) else None
            if value in (None, "", [], {}):
                continue
            if masked_field(value, key) is None:
                continue
            paths.append(f"{path}.{name}")
            if element and isinstance(value, dict):
                pending.append((value, element, f"{path}.{name}"))
            elif isinstance(value, dict):  # an imported Go struct such as x509.PEMEncodedCertificateAndKey
                paths += [f"{path}.{name}.{sub[:1].upper()}{sub[1:]}" for sub in value if value[sub]]
    return sorted(set(paths))


SECRET_PATHS = st.deferred(lambda: st.sampled_from(_secret_paths()))  # rendered when the test runs
# ``$$`` is a literal ``$`` once talhelper has substituted the definition.
WRAPPERS = ["{{ X }}", "{{ X | print }}", '{{ printf "%v" X }}', "{{ X | quote }}", "{{ upper (print X) }}",
            "{{ with X }}{{ . }}{{ end }}", "{{ $$v := X }}{{ $$v }}", '{{ X | replace "a" "b" }}',
            "{{ if eq (print X) \"\" }}empty{{ end }}", "{{ len X }}"]
SINKS = ["annotation", "label", "extraArg", "alias"]


def test_the_template_context_has_secret_fields_to_draw_from() -> None:
    assert {".ClusterConfig.ClusterSecret", ".ClusterConfig.ClusterCA", ".ClusterConfig.ClusterCA.Key",
            ".MachineConfig.MachineToken", ".MachineConfig.MachineCA.Key"} <= set(_secret_paths())


@settings(max_examples=30, deadline=None)
@given(SECRET_PATHS, st.sampled_from(WRAPPERS), st.sampled_from(SINKS))
def test_no_template_copies_a_secret_field_whatever_it_wraps_it_in_and_wherever_it_puts_it(
        path: str, wrapper: str, sink: str) -> None:
    template = wrapper.replace("X", path)
    patches = {
        "extraArg": f"machine:\n  kubelet:\n    extraArgs:\n      x: 'x={template}'\n",
        "alias": f"machine:\n  network:\n    extraHostEntries:\n      - ip: 10.0.0.1\n"
                 f"        aliases: ['{template}']\n",
    }

    def change(node: dict[str, Any]) -> None:
        if sink == "annotation":
            node["nodeAnnotations"] = {"a": template}
        elif sink == "label":
            node["nodeLabels"] = {"a": template}
        else:
            node["patches"] = [patches[sink]]

    try:
        definition = _definition(change)
        config = encode(render_node(definition, definition.nodes[0], bundle()))
    except TalosError as error:
        message = str(error)
        assert not [secret for secret in bundle_strings() if secret in message]
        assert "reads a secret" in message, message
        return
    masked = masked_config(config, sensitive=bundle_secret_values(bundle()))
    assert not [secret for secret in bundle_strings() if secret in masked]


def test_masking_by_value_finds_the_bundles_secrets_in_every_encoding_a_template_produces() -> None:
    data = bundle().to_data()
    ca, secret, token = data["certs"]["k8s"], data["cluster"]["secret"], data["trustdinfo"]["token"]
    pem_key = base64.b64decode(ca["key"]).decode()
    definition = _definition(lambda node: None)
    documents = render_node(definition, definition.nodes[0], bundle())
    legacy = next(d for d in documents if "machine" in d)
    legacy["machine"]["nodeAnnotations"] = {
        "go-map": go_text(ca), "pem": pem_key, "b64": ca["key"], "arg": f"x={secret}", "alias": f"{token}.lan"}
    masked = masked_config(encode(documents), sensitive=bundle_secret_values(bundle()))
    assert not [s for s in (ca["key"], pem_key, secret, token) if s in masked]
    assert "go-map" in masked and "nodeAnnotations" in masked


ENV_TOKEN = "environment-token-that-must-never-print"


def _with_environment(change: Any) -> Any:
    data = yamlio.load((ROOT / "config" / "dev.yaml").read_text())
    change(data["nodes"][0])
    return parse_definition(json.dumps(data), "dev.yaml", environ={"TOKEN": ENV_TOKEN})


@pytest.mark.parametrize("template", ['{{ upper "${TOKEN}" }}', '{{ "${TOKEN}" | replace "-" "_" }}',
                                      '{{ printf "%s" "x${TOKEN}x" }}',
                                      '{{ index .MachineConfig.MachineNodeLabels "t" | lower }}'])
def test_a_template_function_given_an_environment_value_is_refused_naming_the_variable(template: str) -> None:
    """Masking finds a value from the environment, a talenv or SOPS file only as it is: a template function
    could return it upper-cased or rewritten into a preview, so none is given one."""
    with pytest.raises(TalosError) as caught:
        _with_environment(lambda node: node.update(nodeLabels={"t": "${TOKEN}"}, nodeAnnotations={"a": template}))
    message = str(caught.value)
    assert "an argument holds ${TOKEN} from the environment" in message, message
    assert ENV_TOKEN not in message


def test_an_environment_value_a_template_prints_as_it_is_is_masked_in_the_preview() -> None:
    definition = _with_environment(lambda node: node.update(nodeAnnotations={"a": '{{ "${TOKEN}" }}'}))
    config = encode(render_node(definition, definition.nodes[0], bundle()))
    assert ENV_TOKEN in config
    assert ENV_TOKEN not in masked_config(config, sensitive=definition.sensitive_values)
