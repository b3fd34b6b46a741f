"""Cases for Talos's cluster, siderolink and security documents (pkg/machinery/config/types/cluster,
siderolink, security), from the Talos test named in `source` (v1.14.0-rc.1). ``ACCEPTED``: Talos's testdata."""

from __future__ import annotations

from typing import Any

from . import Case, accepted
from .network import doc

Document = dict[str, Any]
CLUSTER_ID = "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE="  # cluster/testdata/discoveryidentityconfig.yaml
CLUSTER_SECRET = "vlf2HU1NEZL3Ezi9Tk+RZBLJUbjnsHnTzs3wK9JNk6Q="

CASES: list[Case] = [
    # cluster/discovery_identity.go (discovery_identity_test.go TestDiscoveryIdentityConfigValidate)
    Case("R083", doc("DiscoveryIdentityConfig", clusterSecret=CLUSTER_SECRET), "clusterID is required",
         source="discovery_identity_test.go"),
    Case("R084", doc("DiscoveryIdentityConfig", clusterID=CLUSTER_ID), "clusterSecret is required",
         source="discovery_identity_test.go"),
    Case("R085", doc("DiscoveryIdentityConfig", clusterID=CLUSTER_ID, clusterSecret="c2hvcnQ="),
         "invalid clusterSecret: expected 32 bytes, got 5", source="discovery_identity.go:137 wraps R087/R088"),
    Case("R087", doc("DiscoveryIdentityConfig", clusterID=CLUSTER_ID, clusterSecret="not-base64!"),
         "invalid clusterSecret: failed to decode from base64", source="discovery_identity_test.go invalid"),
    Case("R088", doc("DiscoveryIdentityConfig", clusterID=CLUSTER_ID, clusterSecret="c2hvcnQ="),
         "invalid clusterSecret: expected 32 bytes, got 5",
         source="discovery_identity_test.go TestValidateBase64WithLen"),
    # cluster/discovery_service.go (discovery_service_test.go TestDiscoveryServiceConfigValidate)
    Case("R089", doc("DiscoveryServiceConfig", endpoint="https://discovery.talos.dev/"), "name is required",
         source="discovery_service_test.go"),
    Case("R090", doc("DiscoveryServiceConfig", name="primary"), "endpoint is required",
         source="discovery_service_test.go"),
    Case("R091", doc("DiscoveryServiceConfig", name="primary", endpoint="discovery.talos.dev"),
         "endpoint scheme is required"),
    Case("R092", doc("DiscoveryServiceConfig", name="primary", endpoint="ftp://discovery.talos.dev/"),
         "endpoint scheme must be http://, https:// or grpc://", source="discovery_service_test.go"),
    Case("R093", doc("DiscoveryServiceConfig", name="primary", endpoint="https:///path"), "endpoint host is required",
         source="discovery_service_test.go"),
    # siderolink/siderolink.go (siderolink_test.go TestValidate)
    Case("R402", doc("SideroLinkConfig"), "apiUrl is required", source="siderolink_test.go"),
    Case("R403", doc("SideroLinkConfig", apiUrl="http://siderolink.api/"), "apiUrl scheme must be https:// or grpc://",
         source="siderolink_test.go"),
    Case("R404", doc("SideroLinkConfig", apiUrl="https://siderolink.api/path?jointoken=x"),
         "apiUrl path must be empty", source="siderolink_test.go"),
    # security/image_verification.go (image_verification_test.go TestImageVerificationConfigValidate)
    Case("R394", doc("ImageVerificationConfig", rules=[{"skip": True}]), "rule 0: imagePattern must be specified",
         minor=13, source="image_verification_test.go"),
    Case("R395", doc("ImageVerificationConfig", rules=[{"image": "a/*", "skip": True, "deny": True}]),
         "rule 0: skip and deny cannot both be true", minor=13, source="image_verification_test.go"),
    Case("R396", doc("ImageVerificationConfig", rules=[{"image": "a/*", "deny": True,
                                                         "publicKey": {"certificate": "x"}}]),
         "rule 0: verifiers cannot be configured if skip or deny is true", minor=13,
         source="image_verification_test.go"),
    Case("R397", doc("ImageVerificationConfig", rules=[{"image": "a/*"}]),
         "rule 0: at least one verifier must be configured", minor=13, source="image_verification_test.go"),
    Case("R398", doc("ImageVerificationConfig", rules=[{"image": "a/*", "publicKey": {"certificate": "x"},
                                                         "keyless": {"issuer": "i", "subject": "s"}}]),
         "rule 0: only one of keyless or publicKey verifier can be configured", minor=13,
         source="image_verification_test.go"),
    Case("R399", doc("ImageVerificationConfig", rules=[{"image": "a/*", "keyless": {"subject": "s"}}]),
         "rule 0: verifier OIDC issuer must be specified", minor=13, source="image_verification_test.go"),
    Case("R400", doc("ImageVerificationConfig", rules=[{"image": "a/*", "keyless": {"issuer": "i"}}]),
         "rule 0: verifier subject or subjectRegex must be specified", minor=13, source="image_verification_test.go"),
    Case("R401", doc("ImageVerificationConfig", rules=[{"image": "a/*", "publicKey": {}}]),
         "rule 0: verifier certificates must be specified", minor=13, source="image_verification_test.go"),
]

ACCEPTED = [
    accepted("discoveryidentityconfig.yaml", {"apiVersion": "v1alpha1", "kind": "DiscoveryIdentityConfig",
                                          "clusterID": CLUSTER_ID, "clusterSecret": CLUSTER_SECRET}),
    accepted("discoveryserviceconfig.yaml", {"apiVersion": "v1alpha1", "kind": "DiscoveryServiceConfig",
                                         "name": "primary", "endpoint": "https://discovery.talos.dev/"}),
    accepted("discoveryserviceconfig-multiple.yaml", {"apiVersion": "v1alpha1", "kind": "DiscoveryServiceConfig",
                                                  "name": "grpc-endpoint",
                                                  "endpoint": "grpc://discovery-grpc.talos.dev:6443"}),
    accepted("siderolink/testdata/document.yaml", {"apiVersion": "v1alpha1", "kind": "SideroLinkConfig",
                                               "apiUrl": "https://siderolink.api/?jointoken=secret&user=alice"}),
    accepted("imageverificationconfig.yaml", {
        "apiVersion": "v1alpha1", "kind": "ImageVerificationConfig", "rules": [
            {"image": "ghcr.io/*", "keyless": {"issuer": "https://token.actions.githubusercontent.com",
                                               "subjectRegex": "https://github.com/myorg/.*"}},
            {"image": "my-registry/*", "publicKey": {
                "certificate": "-----BEGIN CERTIFICATE-----\nMII--Sample Value--\n-----END CERTIFICATE-----"}},
            {"image": "no-verifier/*", "skip": True}, {"image": "deny-all/*", "deny": True}]}),
    accepted("trustedrootsconfig.yaml", {"apiVersion": "v1alpha1", "kind": "TrustedRootsConfig", "name": "custom-ca",
                                     "certificates": "-----BEGIN CERTIFICATE-----\nMIIC0DCCAbigAwIBAgIUI7z\n"
                                                     "-----END CERTIFICATE-----"}),
]
