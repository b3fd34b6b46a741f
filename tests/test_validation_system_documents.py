"""Talos's per-document checks (types/block, storage, container, cri, k8s, runtime): the documents Talos's own
tests accept are accepted, the ones they refuse are refused with exactly Talos's joined error text, each Talos
release gets its own rules, and no document, however malformed or hostile, crashes the check or leaks a secret."""

from __future__ import annotations

import datetime
import functools
import re
from typing import Any

import pytest

from components.talos import yamlio
from components.talos.validation import registry
from components.talos.validation.documents import k8s_controlplane
from components.talos.validation.registry import Mode

MY_SOURCES = re.compile(r"types/(block|storage|k8s|container|cri|runtime)/")


@functools.cache
def my_rules() -> frozenset[str]:
    rows = registry.RULES_FILE.read_text(encoding="utf-8").splitlines()[1:]
    return frozenset(row.split("\t")[0] for row in rows if MY_SOURCES.search(row.split("\t")[1])) | {"R011"}


def problems(documents: list[dict[str, Any]], minor: int = 14) -> list[registry.Problem]:
    return [p for p in registry.run(documents, minor, Mode.METAL) if p.rule in my_rules()]


def talos_error(document: dict[str, Any], minor: int = 14) -> str:
    """The document's errors as Talos joins them (errors.Join); the container's "Kind/name: " prefix is the
    problem's document, printed before the message."""
    return "\n".join(p.message for p in problems([document], minor) if not p.warning)


def load(text: str) -> dict[str, Any]:
    """A document as Talos's go-yaml reads it (YAML 1.2 core: 0o644 is an integer)."""
    document = yamlio.load(text)
    assert isinstance(document, dict)
    return document


# --- Talos's own expectations, compared whole ---------------------------------------------------------------

DISK_SELECTOR_ERROR = ("disk selector is invalid: ERROR: <input>:1:11: found no matching overload for '_>_' applied "
                       "to '(uint, int)'\n | disk.size > 120\n | ..........^")
EXACT = [
    ("block/user_volume_config_test.go/no name",
     {"kind": "UserVolumeConfig", "provisioning": {"diskSelector": {"match": "disk.size > 1u"}, "minSize": "2.5TiB"}},
     "name is required\nname must be between 1 and 34 characters long"),
    ("block/user_volume_config_test.go/invalid disk selector",
     {"kind": "UserVolumeConfig", "name": "EPHEMERAL", "provisioning": {"diskSelector": {"match": "disk.size > 120"}}},
     DISK_SELECTOR_ERROR + "\nmin size or max size is required"),
    ("block/user_volume_config_test.go/min size greater than max size",
     {"kind": "UserVolumeConfig", "name": "EPHEMERAL", "provisioning": {"minSize": "2.5TiB", "maxSize": "10GiB"}},
     "disk selector is required\nmin size is greater than max size"),
    ("block/user_volume_config_test.go/invalid encryption key slots",
     {"kind": "UserVolumeConfig", "name": "EPHEMERAL",
      "provisioning": {"diskSelector": {"match": "system_disk"}, "minSize": "10GiB"},
      "encryption": {"provider": "luks2", "keys": [{"slot": 1, "tpm": {}}, {"slot": 0}, {"slot": 1, "tpm": {}}]}},
     "at least one encryption key type must be specified for slot 0\nduplicate key slot 1"),
    ("block/user_volume_config_test.go/no encryption provider",
     {"kind": "UserVolumeConfig", "name": "EPHEMERAL",
      "provisioning": {"diskSelector": {"match": "system_disk"}, "minSize": "10GiB"},
      "encryption": {"keys": [{"slot": 0, "tpm": {}}]}},
     "unsupported encryption provider: none"),
    ("block/volume_config_test.go/invalid pcrs",
     {"kind": "VolumeConfig", "name": "STATE",
      "encryption": {"provider": "luks2", "keys": [{"slot": 0, "tpm": {"options": {"pcrs": [24, 25]}}}]}},
     "TPM PCR 24 is out of range (0-23)\nTPM PCR 25 is out of range (0-23)"),
    ("block/volume_config_test.go/wrong name", {"kind": "VolumeConfig", "name": "wrong"},
     'only ["STATE" "EPHEMERAL" "IMAGECACHE" "ETCD" "CRI" "KUBELET" "LOG"] volumes are supported'),
    ("block/external_volume_config_test.go/empty type",
     {"kind": "ExternalVolumeConfig", "name": "share"}, "invalid filesystem type: none"),
    ("storage/lvm_logical_volume_config_test.go/no name",
     {"kind": "LVMLogicalVolumeConfig", "type": "linear", "provisioning": {"volumeGroup": "vg", "maxSize": "1GiB"}},
     "name is required\nname must be between 1 and 63 characters long"),
    ("k8s/network_test.go/empty", {"kind": "KubeNetworkConfig"},
     "pod subnets: at least one subnet must be specified\nservice subnets: at least one subnet must be specified"),
    ("k8s/network_test.go/double v4",
     {"kind": "KubeNetworkConfig", "podSubnets": ["10.244.0.0/16"] * 2, "serviceSubnets": ["10.96.0.0/12"] * 2},
     "pod subnets: at most one IPv4 and one IPv6 subnet can be specified for dual-stack clusters\n"
     "service subnets: at most one IPv4 and one IPv6 subnet can be specified for dual-stack clusters"),
    ("k8s/network_test.go/pod subnet too large for node mask v6",
     {"kind": "KubeNetworkConfig", "podSubnets": ["fc00:db8::/40"], "serviceSubnets": ["fd00:10:96::/112"]},
     "pod subnets: invalid subnet: fc00:db8::/40 is too large for the per-node pod CIDR mask size /64, the "
     "difference must be at most 16 bits"),
    ("k8s/network_test.go/custom node mask makes pod subnet invalid v6",
     {"kind": "KubeNetworkConfig", "podSubnets": ["fc00:db8:10::/56"], "serviceSubnets": ["fd00:10:96::/112"],
      "nodeCIDRMaskSizeIPv6": 80},
     "pod subnets: invalid subnet: fc00:db8:10::/56 is too large for the per-node pod CIDR mask size /80, the "
     "difference must be at most 16 bits"),
    ("k8s/authorization_test.go/empty", {"kind": "KubeAuthorizerConfig"},
     "authorizer name is required\nauthorizer type is required\n"
     "authorizer type  is not allowed, allowed types are [Node RBAC Webhook]"),
    ("k8s/apiserver_test.go/invalid args",
     {"kind": "KubeAPIServerConfig", "image": "registry.k8s.io/kube-apiserver:v1.35.3",
      "extraArgs": {"authorization-mode": "RBAC", "anonymous-auth": "false"}},
     'kube-apiserver extra argument "anonymous-auth" is not allowed: use KubeAuthenticationConfig\n'
     'kube-apiserver extra argument "authorization-mode" is not allowed: use KubeAuthorizationConfig'),
    ("k8s/external_manifest_test.go/empty", {"kind": "KubeExternalManifestConfig"},
     "manifest name is required\nmanifest URL is required"),
    ("k8s/static_pod_test.go/empty", {"kind": "KubeStaticPodConfig"},
     "static pod name is required\nstatic pod spec is required"),
    ("k8s/service_account_test.go/empty", {"kind": "KubeServiceAccountConfig"},
     "service issuer private key is required\nservice issuer URL is required"),
    ("k8s/cluster_test.go/both missing", {"kind": "KubeClusterConfig"},
     "clusterName must be specified\nendpoint must be specified"),
    ("k8s/talos_api_access_test.go/multiple invalid roles",
     {"kind": "KubeTalosAPIAccessConfig", "allowedRoles": ["reader", ""]},
     'invalid role "reader" in .allowedRoles\ninvalid role "" in .allowedRoles'),
    ("runtime/event_sink_test.go/empty", {"kind": "EventSinkConfig"}, "event sink endpoint: missing port in address"),
    ("runtime/environment_test.go/invalid - empty", {"kind": "EnvironmentConfig", "variables": {"": "x"}},
     'invalid environment variable name: ""'),
]


@pytest.mark.parametrize(("source", "document", "expected"), EXACT, ids=[case[0] for case in EXACT])
def test_talos_refuses_a_document_with_exactly_its_joined_errors(source: str, document: dict[str, Any],
                                                                   expected: str):
    assert talos_error({"apiVersion": "v1alpha1", **document}) == expected, source


# --- documents Talos accepts --------------------------------------------------------------------------------

@functools.cache
def pki() -> dict[str, str]:
    """A CA certificate and keys in the PEM forms Talos documents carry."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519
    from cryptography.x509.oid import NameOID

    key = ed25519.Ed25519PrivateKey.generate()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(key, None))
    ec_key = ec.generate_private_key(ec.SECP256R1())
    return {
        "cert": certificate.public_bytes(serialization.Encoding.PEM).decode(),
        "key": key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()).decode(),
        "ec_key": ec_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                       serialization.NoEncryption()).decode(),
    }


def test_certificates_and_keys_that_load_are_accepted():
    pem = pki()
    documents = [
        {"apiVersion": "v1alpha1", "kind": "RegistryTLSConfig", "name": "my-tls-registry.io", "ca": pem["cert"],
         "clientIdentity": {"cert": pem["cert"], "key": pem["key"]}},
        {"apiVersion": "v1alpha1", "kind": "KubeAggregatorCAConfig",
         "issuingCA": {"cert": pem["cert"], "key": pem["ec_key"]}, "acceptedCAs": [pem["cert"]]},
        {"apiVersion": "v1alpha1", "kind": "KubeAPIServerCAConfig", "issuingCA": {"cert": pem["cert"],
                                                                                  "key": pem["key"]}},
        {"apiVersion": "v1alpha1", "kind": "KubeServiceAccountConfig",
         "issuer": {"privateKey": pem["ec_key"], "issuerURL": "https://my-control-plane:6443"}},
    ]
    assert problems(documents) == []


@pytest.mark.parametrize(("form", "label"), [("TraditionalOpenSSL", "RSA "), ("PKCS8", "")])
def test_an_rsa_service_account_key_whose_numbers_disagree_is_refused_as_go_parses_it(form: str, label: str):
    """Go's x509 parsers run rsa.PrivateKey.Validate (the numbers agree; no primality test, which OpenSSL makes at
    0.14 s per 4096-bit key and every v1.14 control plane's render would pay)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    numbers = rsa.generate_private_key(65537, 2048).private_numbers()

    def document(d_offset: int) -> dict[str, Any]:
        key = rsa.RSAPrivateNumbers(numbers.p, numbers.q, numbers.d + d_offset, numbers.dmp1, numbers.dmq1,
                                    numbers.iqmp, numbers.public_numbers).private_key(
            unsafe_skip_rsa_key_validation=True)
        pem = key.private_bytes(serialization.Encoding.PEM, getattr(serialization.PrivateFormat, form),
                                serialization.NoEncryption()).decode()
        return {"apiVersion": "v1alpha1", "kind": "KubeServiceAccountConfig",
                "issuer": {"privateKey": pem, "issuerURL": "https://my-control-plane:6443"}}

    assert talos_error(document(0)) == ""
    assert talos_error(document(2)) == (f"service issuer private key is invalid: failed to parse {label}key: x509: "
                                        "failed to parse private key")


def test_talos_placeholder_pem_in_its_marshal_fixtures_is_refused_as_talos_refuses_it():
    # k8s/testdata/aggregatorcaconfig.yaml is an encoder fixture: "MIIC0DCCAbigAwIBAgIUI7z" is not base64 PEM
    fixture = ("kind: KubeAggregatorCAConfig\nissuingCA:\n  cert: |-\n    -----BEGIN CERTIFICATE-----\n"
               "    MIIC0DCCAbigAwIBAgIUI7z\n    -----END CERTIFICATE-----\n  key: x")
    assert talos_error({"apiVersion": "v1alpha1", **load(fixture)}) == "issuing CA: certificate: no PEM blocks found"


# --- each Talos release gets its own rules --------------------------------------------------------------------

def test_the_system_volumes_talos_accepts_depend_on_its_release():
    etcd = {"apiVersion": "v1alpha1", "kind": "VolumeConfig", "name": "ETCD",
            "provisioning": {"diskSelector": {"match": "!system_disk"}, "maxSize": "50GiB"}}
    assert problems([etcd], 14) == []
    assert [p.rule for p in problems([etcd], 13)] == ["R069"]


def test_negative_sizes_are_decoded_from_v1_13_only():
    volume = {"apiVersion": "v1alpha1", "kind": "VolumeConfig", "name": "EPHEMERAL",
              "provisioning": {"maxSize": "-10GiB"}}
    assert problems([volume], 13) == []
    assert [p.rule for p in problems([volume], 12)] == ["R011"]


def test_btrfs_user_volumes_need_v1_14():
    volume = {"apiVersion": "v1alpha1", "kind": "UserVolumeConfig", "name": "data", "filesystem": {"type": "btrfs"},
              "provisioning": {"diskSelector": {"match": "!system_disk"}, "minSize": "10GiB"}}
    assert problems([volume], 14) == []
    assert [p.rule for p in problems([volume], 13)] == ["R011"]


def test_talosctl_validate_skips_the_image_version_check_that_a_node_makes():
    document = {"apiVersion": "v1alpha1", "kind": "KubeAPIServerConfig", "image": "invalid-image"}
    node = registry.Context(14, Mode.METAL, [document])
    k8s_controlplane.kube_apiserver_config(document, node)
    assert [p.rule for p in node.problems] == ["R148"]
    local = registry.Context(14, Mode.METAL, [document])
    local.local = True  # validation.WithLocal(), as talosctl validate passes it
    k8s_controlplane.kube_apiserver_config(document, local)
    assert local.problems == []


def test_a_disabled_component_is_not_checked():
    for kind in ("KubeControllerManagerConfig", "KubeSchedulerConfig", "KubeProxyConfig"):
        assert problems([{"apiVersion": "v1alpha1", "kind": kind, "enabled": False}]) == [], kind


# --- hostile and malformed input ------------------------------------------------------------------------------

WEIRD_VALUES = [None, "", "x" * 5000, -1, 2**70, 1.5, True, [], {}, ["a", None, 3], {"k": [1, {"n": None}]},
                "\x00\u202e\ud800"]
FIELDS = ["name", "image", "provisioning", "encryption", "filesystem", "mount", "trim", "scrub", "volumeType",
          "filesystemType", "discovery", "type", "mirrors", "stripes", "level", "metadata", "mounts", "security",
          "network", "resources", "dependsOn", "runAs", "environment", "endpoints", "url", "ca", "clientIdentity",
          "overrides", "username", "auth", "identityToken", "issuingCA", "acceptedCAs", "extraArgs", "config",
          "podSubnets", "serviceSubnets", "nodeCIDRMaskSizeIPv4", "nodeIP", "labels", "annotations", "taints",
          "issuer", "accepted", "allowedRoles", "port", "pod", "manifest", "variables", "endpoint", "configFiles",
          "triggerExpression", "cgroupRankingExpression", "sampleInterval", "params", "device", "timeout",
          "interval", "maxPoolPercent", "enabled", "backendType", "webhook", "clusterName", "installer"]


@pytest.mark.parametrize("kind", sorted(k for k, checks in registry.DOCUMENT_CHECKS.items()
                                        if any(MY_SOURCES.search(c.function.__module__.replace(".", "/")) or
                                               c.function.__module__.rsplit(".", 1)[-1] in
                                               ("block", "block_volumes", "storage", "container", "cri",
                                                "k8s_controlplane", "k8s_cluster", "runtime")
                                               for c in checks)))
def test_no_field_value_crashes_a_check(kind: str):
    for field in FIELDS:
        for value in WEIRD_VALUES:
            for minor in (12, 14):
                found = registry.run([{"apiVersion": "v1alpha1", "kind": kind, field: value}], minor, Mode.METAL)
                assert all(len(p.message) < 2000 for p in found), (kind, field)


def test_secrets_in_a_refused_document_never_reach_a_message():
    secret = "s3cr3t-passphrase-value"
    documents: list[dict[str, Any]] = [
        {"apiVersion": "v1alpha1", "kind": "UserVolumeConfig", "name": "bad name!",
         "encryption": {"provider": "luks2", "keys": [{"slot": 0, "static": {"passphrase": secret}},
                                                      {"slot": 0, "static": {"passphrase": secret}}]}},
        {"apiVersion": "v1alpha1", "kind": "RegistryAuthConfig", "password": secret, "username": "u",
         "identityToken": secret, "auth": secret},
        {"apiVersion": "v1alpha1", "kind": "RegistryTLSConfig", "name": "r",
         "clientIdentity": {"cert": "junk",
                            "key": f"-----BEGIN PRIVATE KEY-----\n{secret}\n-----END PRIVATE KEY-----"}},
        {"apiVersion": "v1alpha1", "kind": "KubeServiceAccountConfig", "issuer": {"privateKey": secret}},
        {"apiVersion": "v1alpha1", "kind": "KubeAggregatorCAConfig", "issuingCA": {"cert": "x", "key": secret}},
    ]
    found = problems(documents)
    assert len(found) >= 5
    assert not any(secret in p.message for p in found)


def test_a_huge_value_is_cut_short_in_a_message():
    found = problems([{"apiVersion": "v1alpha1", "kind": "ContainerConfig", "name": "n" * 100_000, "image": "x"}])
    assert found and all(len(p.message) < 600 for p in found)  # the name twice, each cut at 200
