"""Talos's per-document checks of network, cluster, siderolink and security documents: Talos-valid documents pass,
a problem names its document as Talos does, a rule applies to the releases that have it, and secrets never reach a
message (Talos-valid documents: test_validation_accepts.py; Go's value readers: test_golang.py; CEL selectors:
test_validation_cel.py)."""

from __future__ import annotations

from components.talos.validation import registry


def test_a_problem_names_the_document_as_talos_does():
    problems = registry.run([{"apiVersion": "v1alpha1", "kind": "LinkConfig", "name": "eth0",
                              "addresses": [{"address": "0.0.0.0/0"}]}], 14, registry.Mode.METAL)
    assert [str(p) for p in problems] == ["LinkConfig/eth0: address 0 must be a valid IP address"]
    assert [p.message for p in problems] == ["address 0 must be a valid IP address"]  # the prefix, once


def test_a_rule_newer_than_the_target_release_is_not_applied():
    # volume_config.go:283 (R070) is new in v1.14; v1.13 decodes the same document and has no such check
    document = {"apiVersion": "v1alpha1", "kind": "VolumeConfig", "name": "STATE", "mount": {"secure": False}}
    assert registry.run([document], 13, registry.Mode.METAL, last=registry.Phase.VALIDATE) == []
    assert [p.rule for p in registry.run([document], 14, registry.Mode.METAL, last=registry.Phase.VALIDATE)] == \
        ["R070"]


def test_a_cluster_secret_never_reaches_the_message():
    secret = "c2VjcmV0LXZhbHVlLXRoYXQtaXMtdG9vLXNob3J0"  # valid base64, 27 bytes
    problems = registry.run([{"apiVersion": "v1alpha1", "kind": "DiscoveryIdentityConfig", "clusterID": "x",
                              "clusterSecret": secret}], 14, registry.Mode.METAL)
    assert len(problems) == 1 and secret not in problems[0].message
    assert "expected 32 bytes, got 30" in problems[0].message


def test_a_shape_only_render_checks_secret_presence_not_values():
    document = {"apiVersion": "v1alpha1", "kind": "DiscoveryIdentityConfig", "clusterID": "", "clusterSecret": ""}
    assert registry.run([document], 14, registry.Mode.METAL, placeholder_secrets=True) == []
    assert [p.rule for p in registry.run([{"apiVersion": "v1alpha1", "kind": "DiscoveryIdentityConfig"}], 14,
                                         registry.Mode.METAL, placeholder_secrets=True)] == ["R083"]


def test_a_shape_only_render_does_not_load_its_empty_certificate_authorities():
    documents = [{"apiVersion": "v1alpha1", "kind": "KubeAPIServerCAConfig", "issuingCA": {"cert": "", "key": ""},
                  "acceptedCAs": [""]}]
    assert registry.run(documents, 14, registry.Mode.METAL, placeholder_secrets=True) == []
    problems = registry.run(documents, 14, registry.Mode.METAL)
    assert {(p.rule, p.inner) for p in problems} == {("R152", ("R234",)), ("R153", ("R241",))}


def test_values_of_the_wrong_shape_are_left_to_the_decoder():
    documents = [{"apiVersion": "v1alpha1", "kind": kind, "name": {"a": 1}, "addresses": "x", "routes": 5}
                 for kind in ("LinkConfig", "BondConfig", "Layer2VIPConfig", "StaticHostConfig", "RoutingRuleConfig")]
    name_rules = {"R295", "R261", "R292", "R293", "R332", "R333", "R323", "R324", "R325"}
    problems = registry.run(documents, 14, registry.Mode.METAL)
    assert [p for p in problems if p.rule in name_rules] == []
