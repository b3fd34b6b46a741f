"""Talos's checks of container runtime documents (types/cri).

Ports registry_auth.go, registry_mirror.go, registry_tls.go (v1.14's client identity through
meta.CertificateAndKey.Validate), customization.go and base_runtime_spec.go (overrides must round-trip through
JSON into the OCI runtime spec) at v1.14.0-rc.1. ImageCacheConfig has no Validate of its own.
"""

from __future__ import annotations

from ...golang.strconv import quote
from ..certificates import certificate_and_key_error, certificates_in_pool
from ..labels import qualified_name_error
from ..registry import Context, Document, document_check
from ..values import items, mapping, text, url_of

LEGACY_CUSTOMIZATION_NAME = "customization"  # config.LegacyCRICustomizationConfigName


@document_check("RegistryAuthConfig", "R132", "R133", "R134")
def registry_auth_config(document: Document, ctx: Context) -> None:
    """RegistryAuthConfigV1Alpha1.Validate: one way to authenticate."""
    if not text(document.get("name")):
        ctx.fail("R132", "name must be specified")
    username, token, auth = (bool(text(document.get(key))) for key in ("username", "identityToken", "auth"))
    if username and token:
        ctx.fail("R133", "only one of username/password or identityToken authentication can be specified")
    if auth and (username or token):
        ctx.fail("R134", "only one of auth, username/password or identityToken authentication can be specified")


@document_check("RegistryMirrorConfig", "R135", "R136", "R137")
def registry_mirror_config(document: Document, ctx: Context) -> None:
    """RegistryMirrorConfigV1Alpha1.Validate: each endpoint an http(s) URL."""
    if not text(document.get("name")):
        ctx.fail("R135", "name must be specified")
    for index, endpoint in enumerate(items(document.get("endpoints"))):
        url = url_of(mapping(endpoint).get("url"))
        if url is None:
            ctx.fail("R136", f"endpoints[{index}].url must be specified")
        elif url.scheme not in ("http", "https"):
            ctx.fail("R137", f"endpoints[{index}].url has unsupported scheme: {quote(url.scheme)}")


@document_check("RegistryTLSConfig", "R138", "R139", "R140", "R234", "R235", "R236", "R237", "R240", "R241")
def registry_tls_config(document: Document, ctx: Context) -> None:
    """RegistryTLSConfigV1Alpha1.Validate."""
    if not text(document.get("name")):
        ctx.fail("R138", "name must be specified")
    ca = text(document.get("ca"))
    if ca and not certificates_in_pool(ca):
        ctx.fail("R139", "ca must be a valid PEM-encoded certificate")
    if found := certificate_and_key_error(document.get("clientIdentity"), try_loading=False):
        ctx.fail("R140", f"client identity: {found[1]}", inner=(found[0], *found[2]))


@document_check("CRICustomizationConfig", "R129", "R130")
def cri_customization_config(document: Document, ctx: Context) -> None:
    """CRICustomizationConfigV1Alpha1.Validate: a qualified name, not the legacy one."""
    name = text(document.get("name"))
    if (problem := qualified_name_error(name)) is not None:
        ctx.fail("R129", f"invalid name: {problem}")
    if name == LEGACY_CUSTOMIZATION_NAME:
        ctx.fail("R130", f"name {quote(name)} is reserved for the legacy CRI customization")


@document_check("CRIBaseRuntimeSpecConfig", "R127", "R128")
def cri_base_runtime_spec_config(document: Document, ctx: Context) -> None:
    """CRIBaseRuntimeSpecConfigV1Alpha1.Validate: the overrides decode as an OCI runtime spec."""
    from ..ocispec import marshal_problem, unmarshal_problem  # the spec's table loads only for a config with one

    overrides = mapping(document.get("overrides"))
    if (problem := marshal_problem(overrides)) is not None:
        ctx.fail("R127", f"failed to marshal base runtime spec overrides: {problem}")
    elif (problem := unmarshal_problem(overrides)) is not None:
        ctx.fail("R128", f"failed to unmarshal base runtime spec overrides: {problem}")
