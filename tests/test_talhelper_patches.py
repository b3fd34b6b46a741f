"""talhelper's patch pipeline: SOPS-encrypted and templated patches, templated labels, no literal ``{{``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from components.talos import yamlio
from components.talos.definition import DefinitionError, parse_definition, render_node
from components.talos.definition.talpatches import talhelper_patches
from components.talos.definition.template_functions import TemplateError
from components.talos.definition.templating import render
from components.talos.errors import TalosError
from components.talos.patching import apply_patches
from components.talos.secrets import SecretsBundle
from components.talos.versions import parse_contract

from .talhelper_data import age_key, talhelper_path


def _without_zero_values(value: Any) -> Any:
    """Go's encoder writes zero values (null, "", []) that Talos decodes as absent: compare without them."""
    if isinstance(value, dict):
        kept = {k: _without_zero_values(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [_without_zero_values(item) for item in value]
    return value


def test_talhelper_patches_patcher_case_applies_json_strategic_encrypted_and_empty_patches() -> None:
    """talhelper pkg/patcher/patcher_test.go TestPatchesPatcher."""
    folder = talhelper_path("pkg", "patcher", "testdata")
    environ = {"foodomain": "foo.com", "foodotbar": "foo.bar", "SOPS_AGE_KEY": age_key(), "HOME": "/nonexistent"}
    base = [{"version": "v1alpha1", "machine": {"certSANs": [""], "network": {"interfaces": [
        {"interface": "eth0", "dhcp": False}]}}}]
    references = ["@patch.json", "@strategic.yaml", "@patch.yaml", "@encrypted.sops.yaml", "@emptyfile.yaml",
                  '[{"op":"add","path":"/machine/network/interfaces/0/dhcp","value": false}]']
    result = apply_patches(base, talhelper_patches(references, folder, "patch", base, environ))
    assert _without_zero_values(result) == [{"version": "v1alpha1", "machine": {
        "certSANs": ["foo.com"],
        "network": {"hostname": "foo.bar", "interfaces": [
            {"interface": "eth0", "dhcp": False, "addresses": ["10.1.2.3/24"]}]}}}]


@pytest.mark.parametrize("case", ["templating0", "templating1", "templating2"])
def test_go_template_patches_render_against_the_config_being_patched(case: str) -> None:
    """talhelper pkg/patcher/patcher_test.go TestPatchesPatherTemplating."""
    folder = talhelper_path("pkg", "patcher", "testdata")
    base = yamlio.load_all((folder / f"{case}_base.yaml").read_text())
    result = apply_patches(base, talhelper_patches([f"@{case}_input.yaml"], folder, "patch", base, {}))
    expected = yamlio.load_all((folder / f"{case}_expected.yaml").read_text())
    assert _without_zero_values(result) == _without_zero_values(expected)


CONFIG = {"version": "v1alpha1", "machine": {"type": "worker", "network": {"hostname": "w-1"}}}


@pytest.mark.parametrize(("template", "message"), [
    ("{{ .MachineConfig.MachineNetwrk }}", "can't evaluate field MachineNetwrk in type *v1alpha1.MachineConfig"),
    ("{{ sha256sum .MachineConfig.MachineType }}", 'function "sha256sum" is not supported by talos-cluster'),
    ('{{ template "x" }}', "{{ template }} is not supported here"),
    ("{{ if .MachineConfig.MachineType }}x", "missing {{ end }}"),
    ("{{ .ClusterConfig.ClusterName }}", "nil pointer evaluating .ClusterConfig.ClusterName"),
])
def test_unsupported_or_wrong_templates_are_refused_by_name(template: str, message: str) -> None:
    with pytest.raises(TemplateError, match=r"^p\.yaml: template: ") as error:
        render(template, CONFIG, "p.yaml")
    assert message in str(error.value)


def test_templates_support_conditionals_ranges_pipelines_and_trimming() -> None:
    template = ('{{- if eq .MachineConfig.MachineType "controlplane" }}cp{{ else if eq .MachineConfig.MachineType '
                '"worker" }}wk{{ else }}?{{ end -}}\n {{ .MachineConfig.MachineNetwork.NetworkHostname | upper }}'
                '{{ range $i, $n := index .MachineConfig "x" }}{{ $i }}{{ end }}')
    assert render(template, CONFIG, "p") == "wkW-1"  # index of a missing key is nil: range runs no time


DEFINITION = """clusterName: c
talosVersion: v1.11.5
kubernetesVersion: v1.34.1
endpoint: https://10.0.0.10:6443
nodes:
  - hostname: cp-1
    ipAddress: 10.0.0.11
    controlPlane: true
    installDisk: /dev/sda
    nodeLabels:
      plain: yes-value
      host: "{{ .MachineConfig.MachineNetwork.NetworkHostname }}"
    nodeAnnotations:
      type: "{{ .MachineConfig.MachineType }}"
    patches:
      - "@patch.yaml"
"""


def test_labels_annotations_and_file_patches_are_rendered_and_no_template_is_left(tmp_path: Path) -> None:
    (tmp_path / "patch.yaml").write_text("machine:\n  kubelet:\n    extraArgs:\n"
                                         "      node-ip: '{{ .MachineConfig.MachineType }}-${SUFFIX}'\n")
    definition = parse_definition(DEFINITION, str(tmp_path / "talconfig.yaml"), environ={"SUFFIX": "s"})
    bundle = SecretsBundle.generate(parse_contract("v1.11.5"))
    machine = render_node(definition, definition.nodes[0], bundle)[0]["machine"]
    assert {"plain": "yes-value", "host": "cp-1"}.items() <= machine["nodeLabels"].items()
    assert machine["nodeAnnotations"] == {"type": "controlplane"}
    assert machine["kubelet"]["extraArgs"]["node-ip"] == "controlplane-s"


def test_a_template_outside_patches_and_labels_is_refused(tmp_path: Path) -> None:
    text = DEFINITION.replace("    patches:\n      - \"@patch.yaml\"\n", "    nodeTaints:\n"
                              "      t: \"{{ .MachineConfig.MachineType }}:NoSchedule\"\n")
    with pytest.raises(DefinitionError, match=r"nodes\[0\] \(cp-1\): machine.nodeTaints.t holds a Go template"):
        parse_definition(text, str(tmp_path / "talconfig.yaml"), environ={})


def test_extra_manifests_are_decrypted_and_templated_but_not_substituted(tmp_path: Path) -> None:
    from components.talos.definition.talpatches import extra_manifest_documents

    (tmp_path / "svc.yaml").write_text("apiVersion: v1alpha1\nkind: ExtensionServiceConfig\n"
                                       "name: '{{ .MachineConfig.MachineNetwork.NetworkHostname }}'\n"
                                       "environment:\n  - KEY=${NOT_SUBSTITUTED}\n")
    documents = extra_manifest_documents(["@svc.yaml"], tmp_path, [CONFIG], "nodes[0]", environ={})
    assert documents == [{"apiVersion": "v1alpha1", "kind": "ExtensionServiceConfig", "name": "w-1",
                          "environment": ["KEY=${NOT_SUBSTITUTED}"]}]


def test_a_node_renders_its_sops_encrypted_extra_manifest_decrypted_templated_and_masked(tmp_path: Path) -> None:
    """talhelper combineExtraManifests reads each file with getFileContentByte (SOPS-decrypted) and renders it
    as a template: the rendered config holds the plaintext, a preview's masked config never does."""
    from components.talos.masking import masked_config

    from .sops_files import encrypt_like_sops, environ_for, new_identity

    identity, secret = new_identity(), "extension-token-that-must-never-print"
    (tmp_path / "svc.sops.yaml").write_text(encrypt_like_sops(
        {"apiVersion": "v1alpha1", "kind": "ExtensionServiceConfig",
         "name": "{{ .MachineConfig.MachineNetwork.NetworkHostname }}-agent", "environment": [f"TOKEN={secret}"]},
        identity, encrypted_regex="^environment$"))
    text = DEFINITION.replace('    patches:\n      - "@patch.yaml"\n', "    extraManifests: [svc.sops.yaml]\n")
    definition = parse_definition(text, str(tmp_path / "talconfig.yaml"), environ=environ_for(identity))
    documents = render_node(definition, definition.nodes[0], SecretsBundle.generate(parse_contract("v1.11.5")))
    service = next(d for d in documents if d.get("kind") == "ExtensionServiceConfig")
    assert service["name"] == "cp-1-agent" and service["environment"] == [f"TOKEN={secret}"]
    assert secret not in masked_config(yamlio.dump_all(documents), sensitive=definition.sensitive_values)


def test_a_missing_extra_manifest_is_refused_naming_the_node_and_file(tmp_path: Path) -> None:
    text = DEFINITION.replace('    patches:\n      - "@patch.yaml"\n', "    extraManifests: [nosuch.yaml]\n")
    with pytest.raises(TalosError, match=r"nodes\[0\] \(cp-1\): nodes\[0\]\.extraManifests\[0\]: "
                                         r"file \S*nosuch\.yaml does not exist"):  # every @file field's wording
        parse_definition(text, str(tmp_path / "talconfig.yaml"), environ={})


def test_inline_manifest_contents_come_from_files_with_skip_envsubst_honoured(tmp_path: Path) -> None:
    from components.talos.definition.contents import inline_manifests

    (tmp_path / "cm.yaml").write_text("kind: ConfigMap\ndata:\n  v: ${V}\n")
    entries = [{"name": "a", "contents": "@cm.yaml"}, {"name": "b", "contents": "@cm.yaml", "skipEnvsubst": True},
               {"name": "c", "contents": "kind: Secret\n"}]
    assert inline_manifests(entries, tmp_path, {"V": "x"}) == [
        {"name": "a", "contents": "kind: ConfigMap\ndata:\n  v: x\n"},
        {"name": "b", "contents": "kind: ConfigMap\ndata:\n  v: ${V}\n"},
        {"name": "c", "contents": "kind: Secret\n"}]


@pytest.mark.parametrize(("template", "expected"), [
    ("{{ .ConfigVersion }}", "dummy value"), ("{{ 123 }}", "123"), ("{{ true }}", "true")])
def test_templated_field_values_render_literals_and_config_fields(template: str, expected: str) -> None:
    """talhelper pkg/talos/nodeconfig_test.go TestTemplateConfigField."""
    assert render(template, {"version": "dummy value"}, "nodeLabels.key") == expected


def test_templates_render_against_plain_data_keyed_by_go_names() -> None:
    """The shape of talhelper's schematic_test.go InstallerURLTmpl (image factory data, not a machine config)."""
    template = '{{ trim .RegistryURL }}/{{ or (hasPrefix "v" .Version) (print "v" .Version) }}'
    assert render(template, {"RegistryURL": " factory.talos.dev ", "Version": "1.5.0"}, "imageFactory",
                  struct="") == "factory.talos.dev/v1.5.0"
