"""Cases for Talos's shared value types (pkg/machinery/config/types/meta): meta.Args (args_test.go) and
meta.CertificateAndKey / AssertValidPEM as the CA documents run them (k8s/apiserver_ca.go, aggregator_ca.go)."""

from __future__ import annotations

import datetime
import functools
from typing import Any

from components.talos import pki
from components.talos.validation.registry import Phase

from . import Case, accepted
from .network import doc

Document = dict[str, Any]


@functools.cache
def _ca() -> tuple[str, str]:
    """A real CA (certificate and EC key PEM), made once per run."""
    pair = pki.new_certificate_authority("test", "ecdsa", datetime.datetime.now(datetime.UTC), False)
    return pair.crt_pem.decode(), pair.key_pem.decode()


def _issuing(**overrides: str) -> Any:
    def build() -> list[Document]:
        cert, key = _ca()
        return doc("KubeAPIServerCAConfig", issuingCA={"cert": cert, "key": key, **overrides})()
    return build


def _accepted(ca: str) -> Any:
    return doc("KubeAggregatorCAConfig", issuingCA=None, acceptedCAs=[ca])


JUNK_CERT = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
JUNK_KEY = "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"

CASES: list[Case] = [
    Case("R233", doc("KubeletConfig", extraArgs={"feature-gates": {"a": True}}),
         "extraArgs.feature-gates: arg value must be a string or list of strings", source="args_test.go"),
    Case("R233", lambda: [{"version": "v1alpha1", "machine": {"kubelet": {"extraArgs": {"v": [["2"]]}}}}],
         "machine.kubelet.extraArgs.v: arg value must be a string or list of strings"),
    Case("X12", lambda: [{"version": "v1alpha1", "machine": {"kubelet": {"extraArgs": {"v": {"x": 1}}}}}],
         "yaml: construct errors: machine.kubelet.extraArgs.v: arg value must be a string or list of strings",
         minor=13, source="v1.13.9 v1alpha1_types.go ArgValue.UnmarshalYAML"),
    Case("R234", _issuing(cert=""), "issuing CA: certificate is required"),
    Case("R235", _issuing(key=""), "issuing CA: key is required"),
    Case("R236", _issuing(cert=JUNK_KEY), 'issuing CA: certificate: unexpected PEM block type "EC PRIVATE KEY", '
                                          'expected one of ["CERTIFICATE"]'),
    Case("R237", _issuing(key="not pem"), "issuing CA: key: no PEM blocks found"),
    Case("R238", _issuing(cert=JUNK_CERT), "issuing CA: certificate is invalid: failed to parse certificate"),
    Case("R239", _issuing(key=JUNK_KEY), "issuing CA: key is invalid: failed to parse ECDSA key"),
    Case("R240", _accepted(JUNK_KEY), 'accepted CA #0: unexpected PEM block type "EC PRIVATE KEY"'),
    Case("R241", _accepted("MIIC0DCCAbigAwIBAgIUI7z"), "accepted CA #0: no PEM blocks found"),
]

# meta/testdata/args_*.yaml (meta/args_test.go decodes them): extraArgs as strings, lists, a mix, empty.
ACCEPTED = [
    accepted("args_mixed.yaml", {"apiVersion": "v1alpha1", "kind": "KubeletConfig",
                                 "extraArgs": {"a": "b", "c": ["d", "e"], "f": ["g"], "h": ""}}, last=Phase.DECODE),
    accepted("args_empty.yaml", {"apiVersion": "v1alpha1", "kind": "KubeAPIServerConfig", "extraArgs": {}},
             last=Phase.DECODE),
]
