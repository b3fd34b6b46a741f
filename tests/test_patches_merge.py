"""Strategic merge patches merge and delete as Talos v1.14's configpatcher does, type by type (merge.go, the
``merge:"replace"`` tags and Merge methods of pkg/machinery/config/types, delete.go/selector.go), and a patched
config that would not load is refused with Talos's words."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from components.talos.errors import PatchError
from components.talos.patching import apply_patches, parse_patch
from components.talos.patching.merge_rules import RULES_FILE, read_rules, status
from components.talos.patching.merge_table import KINDS, STRUCTS

TALOS_GIT = Path(os.environ.get("TALOS_GIT", "/work/.mirror/siderolabs+talos/repo"))


def patched(base: list[dict[str, Any]], *patches: str) -> list[dict[str, Any]]:
    return apply_patches(base, [parse_patch(text, f"patch #{i + 1}") for i, text in enumerate(patches)])


def typed(kind: str, **fields: Any) -> dict[str, Any]:
    return {"apiVersion": "v1alpha1", "kind": kind, **fields}


# ------------------------------------------------------------------ the list of Talos's merge rules


def test_every_merge_rule_of_talos_is_ported_or_says_why_not() -> None:
    rows = read_rules()
    assert {row["release"] for row in rows} == {"v1.12.9", "v1.13.9", "v1.14.0-rc.1"}
    for row in rows:
        assert (row["status"], row["where"]) == status(row), f"{RULES_FILE.name} is stale for {row['go']}: " \
            "run python scripts/gen_merge_table.py"
        assert row["status"] in ("ported", "not applicable"), row


def test_the_type_table_replaces_exactly_the_fields_talos_v1_14_tags() -> None:
    tagged = {row["go"] for row in read_rules() if row["release"] == "v1.14.0-rc.1" and row["rule"] == "replace tag"}
    replaced = set()
    for owner, fields in STRUCTS.items():
        for go_field, _, replace in fields.values():
            if replace:
                inner = go_field.split(">")[-1]
                replaced.add(inner if ">" in go_field else f"{owner}.{inner}")
    assert replaced == tagged


@pytest.mark.skipif(not TALOS_GIT.is_dir(), reason=f"no Talos git repository at {TALOS_GIT} (set TALOS_GIT)")
def test_the_type_table_and_rules_list_are_what_the_generator_makes_from_talos() -> None:
    import scripts.gen_merge_table as generator

    table = Path(generator.TABLE).read_text()
    assert generator.render_table(generator.read_source(str(TALOS_GIT), generator.NEWEST)) == table
    listed = [[row[c] for c in ("release", "source", "go", "yaml", "rule")] for row in read_rules()]
    assert generator.rules_rows(str(TALOS_GIT)) == listed


def _nest(path: list[str], value: Any) -> Any:
    for key in reversed(path):
        value = {key: value}
    return value


def _replace_cases() -> list[tuple[str, str]]:
    rows = [row for row in read_rules() if row["release"] == "v1.14.0-rc.1" and row["rule"] == "replace tag"]
    return [(row["go"], path) for row in rows for path in row["yaml"].split()]


@pytest.mark.parametrize("go, path", _replace_cases())
def test_a_field_tagged_merge_replace_is_replaced_by_the_patch(go: str, path: str) -> None:
    kind, *keys = path.split(".")
    code = STRUCTS[go.rpartition(".")[0]][keys[-1]][1]
    old: Any = [{"a": 1}] if code.startswith("[") else {"a": [1], "x": "y"}
    new: Any = [{"b": 2}] if code.startswith("[") else {"a": [2]}
    if code == "[s":
        old, new = ["10.0.0.0/8"], ["10.1.0.0/16"]
    head = {} if kind == "v1alpha1" else typed(kind, **({"name": "x"} if "name" in STRUCTS[KINDS[kind][1:]] else {}))
    base = {**head, **_nest(keys, old)}
    patch = {**head, **_nest(keys, new)}
    (result,) = patched([base], _yaml(patch))
    value: Any = result
    for key in keys:
        value = value[key]
    assert value == new, f"{path}: {value}"


def _yaml(document: dict[str, Any]) -> str:
    from components.talos import yamlio

    return yamlio.dump(document)


# ------------------------------------------------------------------ the examples


def test_an_audit_policy_document_s_configuration_is_replaced_not_merged() -> None:
    base = typed("KubeAuditPolicyConfig", configuration={"apiVersion": "audit.k8s.io/v1", "kind": "Policy",
                                                         "rules": [{"level": "Metadata"}]})
    patch = "apiVersion: v1alpha1\nkind: KubeAuditPolicyConfig\nconfiguration:\n  rules:\n    - level: None\n"
    (result,) = patched([base], patch)
    assert result["configuration"] == {"rules": [{"level": "None"}]}


def test_bgp_neighbors_and_a_static_pod_spec_are_replaced() -> None:
    bgp = typed("BGPInstanceConfig", name="main", neighbors=[{"address": "10.0.0.1"}])
    pod = typed("KubeStaticPodConfig", name="web", pod={"spec": {"containers": [{"name": "a"}]}})
    result = patched([bgp, pod], "apiVersion: v1alpha1\nkind: BGPInstanceConfig\nname: main\nneighbors:\n"
                                 "  - address: 10.0.0.2\n---\napiVersion: v1alpha1\nkind: KubeStaticPodConfig\n"
                                 "name: web\npod:\n  spec:\n    containers:\n      - name: b\n")
    assert result[0]["neighbors"] == [{"address": "10.0.0.2"}]
    assert result[1]["pod"] == {"spec": {"containers": [{"name": "b"}]}}


def test_other_lists_are_appended_flannel_extra_args_included() -> None:
    base = typed("KubeFlannelCNIConfig", extraArgs=["--iface=eth0"])
    (result,) = patched([base], "apiVersion: v1alpha1\nkind: KubeFlannelCNIConfig\nextraArgs: [--v=2]\n")
    assert result["extraArgs"] == ["--iface=eth0", "--v=2"]


def test_extra_args_are_copied_key_by_key_each_value_whole() -> None:
    base = typed("KubeletConfig", extraArgs={"feature-gates": ["A=true"], "v": "2"})
    (result,) = patched([base], "apiVersion: v1alpha1\nkind: KubeletConfig\nextraArgs:\n  feature-gates: [B=true]\n")
    assert result["extraArgs"] == {"feature-gates": ["B=true"], "v": "2"}


def test_a_zero_scalar_leaves_the_base_but_a_zero_pointer_value_is_taken() -> None:
    base = typed("KubeSpanConfig", enabled=True, mtu=1420)
    (result,) = patched([base], "apiVersion: v1alpha1\nkind: KubeSpanConfig\nenabled: false\nmtu: 0\n")
    assert result["enabled"] is False and result["mtu"] == 0  # *bool and *uint32: a set pointer wins
    link = typed("LinkConfig", name="eth0", mtu=9000)
    (result,) = patched([link], "apiVersion: v1alpha1\nkind: LinkConfig\nname: eth0\nmtu: 0\n")
    assert result["mtu"] == 9000  # a plain uint32: zero leaves the base


def test_a_volume_config_patch_without_min_size_clears_it_as_talos_byte_size_merge_does() -> None:
    base = typed("VolumeConfig", name="EPHEMERAL", provisioning={"minSize": "10GB", "maxSize": "40GB"})
    (result,) = patched([base], "apiVersion: v1alpha1\nkind: VolumeConfig\nname: EPHEMERAL\nprovisioning:\n"
                                "  grow: false\n")
    assert result["provisioning"] == {"maxSize": "40GB", "grow": False}


def test_free_form_content_merges_key_by_key_and_a_changed_type_is_refused_in_talos_words() -> None:
    legacy = {"version": "v1alpha1", "cluster": {"apiServer": {"admissionControl": [
        {"name": "PodSecurity", "configuration": {"defaults": {"audit": "restricted"}}}]}}}
    merged = patched([legacy], "cluster:\n  apiServer:\n    admissionControl:\n      - name: PodSecurity\n"
                               "        configuration:\n          defaults:\n            warn: baseline\n")
    assert merged[0]["cluster"]["apiServer"]["admissionControl"][0]["configuration"] == {
        "defaults": {"audit": "restricted", "warn": "baseline"}}
    with pytest.raises(PatchError) as raised:
        patched([legacy], "cluster:\n  apiServer:\n    admissionControl:\n      - name: PodSecurity\n"
                          "        configuration:\n          defaults: baseline\n")
    assert str(raised.value) == (
        "patch #1: merge field v1alpha1.Config.ClusterConfig: merge field v1alpha1.ClusterConfig.APIServerConfig: "
        "merge field v1alpha1.APIServerConfig.AdmissionControlConfig: merge field "
        "v1alpha1.AdmissionPluginConfig.PluginConfiguration: merge field meta.Unstructured.Object: merge map key "
        "map[string]interface {}[defaults]: merge type mismatch left map[string]interface {} right string")


def test_interfaces_match_by_name_and_a_device_selector_with_physical_never_matches() -> None:
    selector = {"driver": "virtio_net", "physical": True}
    legacy = {"version": "v1alpha1", "machine": {"network": {"interfaces": [
        {"interface": "eth0", "mtu": 1500}, {"deviceSelector": selector, "dhcp": True}]}}}
    (result,) = patched([legacy], "machine:\n  network:\n    interfaces:\n      - interface: eth0\n        mtu: 9000\n"
                                  "      - deviceSelector: {driver: virtio_net, physical: true}\n        mtu: 1400\n")
    interfaces = result["machine"]["network"]["interfaces"]
    assert interfaces[0] == {"interface": "eth0", "mtu": 9000}
    assert len(interfaces) == 3  # *bool physical: two selectors are two pointers, never equal in Go


# ------------------------------------------------------------------ $patch: delete as selector.go applies it


def test_deleting_a_field_that_was_never_set_clears_it_without_error() -> None:
    legacy = {"version": "v1alpha1", "machine": {"network": {"interfaces": []}}}
    (result,) = patched([legacy], "machine:\n  network:\n    hostname:\n      $patch: delete\n")
    assert result["machine"]["network"] == {"interfaces": []}


def test_a_list_item_is_not_found_by_a_number_as_reflect_gives_numbers_no_text() -> None:
    legacy = {"version": "v1alpha1", "machine": {"network": {"interfaces": [
        {"interface": "eth0", "vlans": [{"vlanId": 100}]}]}}}
    patch = "machine:\n  network:\n    interfaces:\n      - interface: eth0\n        vlans:\n" \
            "          - vlanId: 100\n            $patch: delete\n"
    with pytest.raises(PatchError, match=r"failed to delete path 'machine\.network\.interfaces\.\[0\]\.vlans\.\[0\]'"):
        patched([legacy], patch)


def test_a_path_delete_for_a_document_that_is_not_there_is_skipped() -> None:
    link = typed("LinkConfig", name="eth0", mtu=1500)
    assert patched([link], "machine:\n  network:\n    hostname:\n      $patch: delete\n") == [link]


def test_a_delete_inside_a_list_item_s_key_is_refused_at_load() -> None:
    patch = "machine:\n  network:\n    interfaces:\n      - interface: eth0\n        mtu:\n          $patch: delete\n"
    with pytest.raises(PatchError, match=r"error processing patch delete statements at line 1: cannot delete an "
                                         r"inner key in 'machine\.network\.interfaces\.\[0\]\.mtu'"):
        patched([{"version": "v1alpha1", "machine": {}}], patch)


# ------------------------------------------------------------------ what container.New refuses after a patch


@pytest.mark.parametrize("base, patch, message", [
    (typed("BondConfig", name="bond0", links=["eth0"]), "apiVersion: v1alpha1\nkind: LinkConfig\nname: bond0\n"
     "mtu: 9000\n", "conflicting documents: BondConfig/bond0 and LinkConfig/bond0"),
    (typed("UserVolumeConfig", name="data"), "apiVersion: v1alpha1\nkind: ExistingVolumeConfig\nname: data\n",
     "conflicting documents: UserVolumeConfig/data and ExistingVolumeConfig/data"),
    (typed("VethConfig", name="veth0", peer={"name": "veth1"}), "apiVersion: v1alpha1\nkind: DummyLinkConfig\n"
     "name: veth1\n", 'conflicting link configurations: VethConfig/veth0 and DummyLinkConfig/veth1 both configure '
     '"veth1"'),
])
def test_a_patch_adding_a_conflicting_document_is_refused_as_talos_refuses_it(base: dict[str, Any], patch: str,
                                                                              message: str) -> None:
    with pytest.raises(PatchError) as raised:
        patched([base], patch)
    assert str(raised.value) == f"patch #1: {message}"
