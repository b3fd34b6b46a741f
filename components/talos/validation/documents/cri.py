"""Talos's checks of container runtime documents (types/cri).

Ports registry_auth.go, registry_mirror.go, registry_tls.go (v1.14's client identity through
meta.CertificateAndKey.Validate), customization.go and base_runtime_spec.go (overrides must round-trip through
JSON into the OCI runtime spec) at v1.14.0-rc.1. ImageCacheConfig has no Validate of its own.
"""

from __future__ import annotations

from ..golang import go_quote
from ..k8slabels import qualified_name_problem
from ..pemcheck import certificate_and_key_problem, certificates_in_pool
from ..registry import Context, Document, document_check
from .syscommon import Report, listing, mapping, present, text

LEGACY_CUSTOMIZATION_NAME = "customization"  # config.LegacyCRICustomizationConfigName


@document_check("RegistryAuthConfig", "R132", "R133", "R134")
def registry_auth_config(document: Document, ctx: Context) -> None:
    """RegistryAuthConfigV1Alpha1.Validate: one way to authenticate."""
    report = Report(ctx, document, "*cri.RegistryAuthConfigV1Alpha1")
    if not text(document.get("name")):
        report.fail("R132", "name must be specified")
    username, token, auth = (bool(text(document.get(key))) for key in ("username", "identityToken", "auth"))
    if username and token:
        report.fail("R133", "only one of username/password or identityToken authentication can be specified")
    if auth and (username or token):
        report.fail("R134", "only one of auth, username/password or identityToken authentication can be specified")


@document_check("RegistryMirrorConfig", "R135", "R136", "R137")
def registry_mirror_config(document: Document, ctx: Context) -> None:
    """RegistryMirrorConfigV1Alpha1.Validate: each endpoint an http(s) URL."""
    report = Report(ctx, document, "*cri.RegistryMirrorConfigV1Alpha1")
    if not text(document.get("name")):
        report.fail("R135", "name must be specified")
    for index, endpoint in enumerate(listing(document.get("endpoints"))):
        url = report.url(mapping(endpoint).get("url"))
        if url is None:
            report.fail("R136", f"endpoints[{index}].url must be specified")
        elif url and url.scheme not in ("http", "https"):
            report.fail("R137", f"endpoints[{index}].url has unsupported scheme: {go_quote(url.scheme)}")


@document_check("RegistryTLSConfig", "R138", "R139", "R140")
def registry_tls_config(document: Document, ctx: Context) -> None:
    """RegistryTLSConfigV1Alpha1.Validate."""
    report = Report(ctx, document, "*cri.RegistryTLSConfigV1Alpha1")
    if not text(document.get("name")):
        report.fail("R138", "name must be specified")
    ca = text(document.get("ca"))
    if ca and not certificates_in_pool(ca):
        report.fail("R139", "ca must be a valid PEM-encoded certificate")
    if present(document, "clientIdentity"):
        problem = certificate_and_key_problem(document.get("clientIdentity"), try_loading=False)
        if problem:
            report.fail("R140", f"client identity: {problem}")


@document_check("CRICustomizationConfig", "R129", "R130")
def cri_customization_config(document: Document, ctx: Context) -> None:
    """CRICustomizationConfigV1Alpha1.Validate: a qualified name, not the legacy one."""
    report = Report(ctx, document, "*cri.CRICustomizationConfigV1Alpha1")
    name = text(document.get("name"))
    if (problem := qualified_name_problem(name)) is not None:
        report.fail("R129", f"invalid name: {problem}")
    if name == LEGACY_CUSTOMIZATION_NAME:
        report.fail("R130", f"name {go_quote(name)} is reserved for the legacy CRI customization")


@document_check("CRIBaseRuntimeSpecConfig", "R127", "R128")
def cri_base_runtime_spec_config(document: Document, ctx: Context) -> None:
    """CRIBaseRuntimeSpecConfigV1Alpha1.Validate: the overrides decode as an OCI runtime spec."""
    from ..ocispec import marshal_problem, unmarshal_problem  # the spec's table loads only for this document

    report = Report(ctx, document, "*cri.CRIBaseRuntimeSpecConfigV1Alpha1")
    overrides = mapping(document.get("overrides"))
    if (problem := marshal_problem(overrides)) is not None:
        report.fail("R127", f"failed to marshal base runtime spec overrides: {problem}")
    elif (problem := unmarshal_problem(overrides)) is not None:
        report.fail("R128", f"failed to unmarshal base runtime spec overrides: {problem}")
