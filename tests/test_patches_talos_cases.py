"""Talos's own configpatcher test cases (v1.13.9 data, with main's expected files where they differ)."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.talos.documents import decode, encode
from components.talos.errors import PatchError
from components.talos.patching import JSONPatch, StrategicPatch, apply_patches, load_patches

from .conftest import shared_path


@pytest.fixture(scope="module")
def cases() -> Path:
    return shared_path("configpatcher-testdata")


def _expected(cases: Path, name: str) -> str:
    newer = cases / "main-branch-delta" / name
    return (newer if newer.exists() else cases / name).read_text()


def _apply(cases: Path, base: str, *patches: str) -> str:
    documents = decode((cases / base).read_text(), base)
    return encode(apply_patches(documents, load_patches([f"@{cases / p}" for p in patches])))


def test_a_json_file_loads_as_one_rfc6902_patch(cases: Path) -> None:
    (patch,) = load_patches([f"@{cases / 'patch.json'}"])
    assert isinstance(patch, JSONPatch)
    assert patch.operations == [{"op": "add", "path": "/machine/certSANs", "value": ["foo.com"]}]


def test_a_yaml_list_loads_as_an_rfc6902_patch(cases: Path) -> None:
    (patch,) = load_patches([f"@{cases / 'patch.yaml'}"])
    assert isinstance(patch, JSONPatch)
    assert patch.operations == [{"op": "add", "path": "/some/path", "value": ["a", "b", "c"]}]


def test_a_config_fragment_loads_as_a_strategic_patch(cases: Path) -> None:
    (patch,) = load_patches([f"@{cases / 'strategic.yaml'}"])
    assert isinstance(patch, StrategicPatch)
    assert patch.documents[0]["machine"]["network"]["hostname"] == "foo.bar"


def test_consecutive_json_patches_join_into_one(cases: Path) -> None:
    inline = '[{"op":"replace","path":"/some","value": []}]'
    patches = load_patches([f"@{cases / 'patch.json'}", f"@{cases / 'patch.yaml'}", inline])
    assert len(patches) == 1
    assert isinstance(patches[0], JSONPatch)
    assert [op["op"] for op in patches[0].operations] == ["add", "add", "replace"]


def test_a_strategic_patch_between_json_patches_keeps_them_apart(cases: Path) -> None:
    inline = '[{"op":"replace","path":"/some","value": []}]'
    patches = load_patches([f"@{cases / 'patch.json'}", f"@{cases / 'strategic.yaml'}",
                            f"@{cases / 'patch.yaml'}", inline])
    assert [type(p).__name__ for p in patches] == ["JSONPatch", "StrategicPatch", "JSONPatch"]
    assert len(patches[2].operations) == 2  # type: ignore[union-attr]


def test_a_bare_file_name_is_read_as_a_file(cases: Path) -> None:
    patches = load_patches([str(cases / "strategic.yaml"), '[{"op":"replace","path":"/some","value": []}]'])
    assert [type(p).__name__ for p in patches] == ["StrategicPatch", "JSONPatch"]


def test_mixed_strategic_and_json_patches_apply_in_order(cases: Path) -> None:
    output = _apply(cases, "apply/config.yaml", "apply/strategic1.yaml", "apply/jsonpatch1.yaml",
                    "apply/jsonpatch2.yaml", "apply/strategic2.yaml", "apply/strategic3.yaml")
    assert output == _expected(cases, "apply/expected.yaml")


def test_json_patch_on_a_multi_document_config_is_refused_with_talos_reason(cases: Path) -> None:
    with pytest.raises(PatchError, match="JSON6902 patches are not supported for multi-document machine configuration"):
        _apply(cases, "multidoc/config.yaml", "multidoc/jsonpatch.yaml", "multidoc/strategic1.yaml")


def test_documents_merge_by_kind_and_name(cases: Path) -> None:
    output = _apply(cases, "multidoc/config.yaml", "multidoc/strategic1.yaml", "multidoc/strategic2.yaml")
    assert output == _expected(cases, "multidoc/expected.yaml")


def test_deleting_a_document_that_is_absent_is_skipped(cases: Path) -> None:
    delta = cases / "main-branch-delta" / "multidoc" / "strategic3.yaml"
    documents = decode((cases / "multidoc/config.yaml").read_text(), "config")
    patches = load_patches([f"@{cases / 'multidoc/strategic1.yaml'}", f"@{cases / 'multidoc/strategic2.yaml'}",
                            f"@{delta}"])
    assert encode(apply_patches(documents, patches)) == _expected(cases, "multidoc/expected.yaml")


def test_audit_policy_is_replaced_not_merged(cases: Path) -> None:
    output = _apply(cases, "auditpolicy/config.yaml", "auditpolicy/patch1.yaml")
    assert output == _expected(cases, "auditpolicy/expected.yaml")


def test_leading_blank_lines_of_inline_manifests_are_trimmed(cases: Path) -> None:
    output = _apply(cases, "apply/config.yaml", "apply/strategic4.yaml")
    assert output == _expected(cases, "apply/expected_manifests.yaml")


def test_patch_delete_removes_documents_keys_and_list_items(cases: Path) -> None:
    output = _apply(cases, "patchdelete/config.yaml", "patchdelete/strategic1.yaml")
    assert output == _expected(cases, "patchdelete/expected.yaml")


def test_deletes_that_empty_a_list_or_map_drop_the_key(cases: Path) -> None:
    output = _apply(cases, "patchdelete/controlplane_orig.yaml", "patchdelete/strategic2.yaml",
                    "patchdelete/strategic3.yaml", "patchdelete/strategic4.yaml")
    assert output == _expected(cases, "patchdelete/controlplane_expected.yaml")


def test_deleting_under_a_missing_section_reports_talos_error(cases: Path) -> None:
    expected = ("patch delete: path 'machine.network.hostname' in document '/v1alpha1': "
                "failed to delete path 'machine.network.hostname': lookup failed")
    with pytest.raises(PatchError, match=expected.replace(".", r"\.")):
        _apply(cases, "patchdeletemissing/config.yaml", "patchdeletemissing/strategic1.yaml")


def test_list_items_of_named_documents_delete_by_typed_value(cases: Path) -> None:
    output = _apply(cases, "patchlink/base.yaml", "patchlink/patch.yaml")
    assert output == _expected(cases, "patchlink/expected.yaml")


def test_rfc6902_replace_of_a_missing_key_acts_like_add_as_in_talos() -> None:
    documents = [{"version": "v1alpha1", "machine": {"network": {}}}]
    patches = load_patches(["- op: replace\n  path: /machine/network/kubespan\n  value:\n    enabled: true\n"])
    (result,) = apply_patches(documents, patches)
    assert result["machine"]["network"]["kubespan"] == {"enabled": True}


def test_rfc6902_patch_under_a_missing_parent_fails_naming_the_patch() -> None:
    documents = [{"version": "v1alpha1", "machine": {}}]
    patches = load_patches(['[{"op": "replace", "path": "/machine/network/kubespan", "value": 1}]'])
    with pytest.raises(PatchError, match=r"patch #1 \(inline\).*replace /machine/network/kubespan"):
        apply_patches(documents, patches)


@pytest.mark.parametrize("text, message", [
    ('[{"op": "frobnicate", "path": "/a"}]', "unknown op 'frobnicate'"),
    ('[{"op": "add", "path": "machine", "value": 1}]', "must be a JSON pointer"),
    ("[{not json", "not a strategic merge patch nor a JSON patch"),
])
def test_malformed_patches_are_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(PatchError, match=message):
        load_patches([text])


def test_one_patch_file_may_name_a_document_several_times_deleting_then_setting_a_list(cases: Path) -> None:
    """main/v1.14 PatchMixed: the patch loads without validation, duplicates allowed; delete, then set, then merge."""
    delta = cases / "main-branch-delta" / "patchmixed"
    output = _apply(delta, "base.yaml", "patch.yaml")
    assert output == (delta / "expected.yaml").read_text()


def test_a_patch_on_an_empty_config_appends_its_documents(cases: Path) -> None:
    """main/v1.14 ApplyToEmptyConfig."""
    (patch,) = load_patches([f"@{cases / 'multidoc/strategic2.yaml'}"])
    assert [doc["kind"] for doc in apply_patches([], [patch])] == ["SideroLinkConfig", "ExtensionServiceConfig"]


def test_a_strategic_patch_file_is_one_legacy_document(cases: Path) -> None:
    """main/v1.14 LoadStrategic: strategic.yaml is one v1alpha1 document and reads back as written."""
    (patch,) = load_patches([f"@{cases / 'strategic.yaml'}"])
    assert isinstance(patch, StrategicPatch)
    assert len(patch.documents) == 1 and "kind" not in patch.documents[0]
    assert decode((cases / "strategic.yaml").read_text(), "strategic.yaml") == patch.documents


def test_rfc6902_add_on_a_single_document_config() -> None:
    """configpatcher_test.go TestJSON6902."""
    patches = load_patches(['[{"op": "add", "path": "/machine/kubelet/extraArgs", "value": {"cloud-provider": '
                            '"external"}}]'])
    (result,) = apply_patches([{"machine": {"kubelet": {}}}], patches)
    assert result == {"machine": {"kubelet": {"extraArgs": {"cloud-provider": "external"}}}}
