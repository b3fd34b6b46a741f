"""Cases for types/cri: registry auth, mirrors and TLS, CRI customization, the base runtime spec.

From Talos v1.14.0-rc.1 pkg/machinery/config/types/cri/*_test.go, named in each case's source.
"""

from __future__ import annotations

from typing import Any

from . import Case

Document = dict[str, Any]


def doc(kind: str, **fields: Any) -> Document:
    return {"apiVersion": "v1alpha1", "kind": kind, **fields}


CASES = [
    Case("R132", lambda: [doc("RegistryAuthConfig", username="a", password="b")], "name must be specified",
         source="cri/registry_auth_test.go TestRegistryAuthConfigValidate/empty"),
    Case("R133", lambda: [doc("RegistryAuthConfig", name="ghcr.io", username="a", identityToken="t")],
         "only one of username/password or identityToken authentication can be specified",
         source="cri/registry_auth_test.go TestRegistryAuthConfigValidate/username and identity token"),
    Case("R134", lambda: [doc("RegistryAuthConfig", name="ghcr.io", auth="YTpi", username="a")],
         "only one of auth, username/password or identityToken authentication can be specified",
         source="cri/registry_auth.go Validate"),
    Case("R135", lambda: [doc("RegistryMirrorConfig", endpoints=[{"url": "https://mirror.local"}])],
         "name must be specified", source="cri/registry_mirror_test.go TestRegistryMirrorConfigValidate/empty"),
    Case("R136", lambda: [doc("RegistryMirrorConfig", name="docker.io", endpoints=[{"overridePath": True}])],
         "endpoints[0].url must be specified",
         source="cri/registry_mirror_test.go TestRegistryMirrorConfigValidate/invalid endpoint URL"),
    Case("R137", lambda: [doc("RegistryMirrorConfig", name="docker.io", endpoints=[{"url": "ftp://mirror"}])],
         'endpoints[0].url has unsupported scheme: "ftp"',
         source="cri/registry_mirror_test.go TestRegistryMirrorConfigValidate/unsupported endpoint URL scheme"),
    Case("R137", lambda: [doc("RegistryMirrorConfig", name="docker.io", endpoints=[{"url": "localhost:5000"}])],
         'endpoints[0].url has unsupported scheme: "localhost"',
         source="net/url.Parse: a host:port without a scheme reads the host as the scheme"),
    Case("R011", lambda: [doc("RegistryMirrorConfig", name="docker.io", endpoints=[{"url": "10.5.0.1:5000"}])],
         'parse "10.5.0.1:5000": first path segment in URL cannot contain colon',
         source="types/meta/url.go URL.UnmarshalYAML"),
    Case("R138", lambda: [doc("RegistryTLSConfig", insecureSkipVerify=True)], "name must be specified",
         source="cri/registry_tls_test.go TestRegistryTLSConfigValidate/empty"),
    Case("R139", lambda: [doc("RegistryTLSConfig", name="ghcr.io", ca="not a certificate")],
         "ca must be a valid PEM-encoded certificate", source="cri/registry_tls.go Validate"),
    Case("R140", lambda: [doc("RegistryTLSConfig", name="ghcr.io", clientIdentity={"cert": "x"})],
         "client identity: key is required", source="cri/registry_tls.go Validate (meta.CertificateAndKey)"),
    Case("R129", lambda: [doc("CRICustomizationConfig", name="example.com/foo/bar", content="[metrics]")],
         'invalid name: invalid format: too many slashes: "example.com/foo/bar"',
         source="cri/customization_test.go TestCRICustomizationConfigValidate/invalid qualified name"),
    Case("R129", lambda: [doc("CRICustomizationConfig", content="[metrics]")], 'invalid name: name cannot be empty: ""',
         source="cri/customization_test.go TestCRICustomizationConfigValidate/empty name"),
    Case("R130", lambda: [doc("CRICustomizationConfig", name="customization", content="[metrics]")],
         'name "customization" is reserved for the legacy CRI customization',
         source="cri/customization_test.go TestCRICustomizationConfigValidate/reserved legacy name"),
    Case("R127", lambda: [doc("CRIBaseRuntimeSpecConfig", overrides={"annotations": {1: "x"}})],
         "failed to marshal base runtime spec overrides: json: unsupported type: map[interface {}]interface {}",
         source="cri/base_runtime_spec.go Validate: json.Marshal of a mapping with a non-string key"),
    Case("R128", lambda: [doc("CRIBaseRuntimeSpecConfig", overrides={"process": {"rlimits": "invalid"}})],
         "failed to unmarshal base runtime spec overrides: json: cannot unmarshal string into Go struct field "
         "Process.process.rlimits of type []specs.POSIXRlimit",
         source="cri/base_runtime_spec_test.go TestCRIBaseRuntimeSpecConfigValidate/invalid rlimits"),
]
