"""Talos's checks of the cluster documents (siderolabs/talos pkg/machinery/config/types/cluster,
v1.14.0-rc.1): DiscoveryIdentityConfig and DiscoveryServiceConfig."""

from __future__ import annotations

from ...golang.encoding import base64_decoded_length
from ..registry import Context, Document, document_check
from ..values import text, url_of

CLUSTER_SECRET_SIZE = 32  # constants.DefaultClusterSecretSize


def base64_length_problem(value: str, size: int) -> tuple[str, str] | None:
    """discovery_identity.go ValidateBase64WithLen (StdEncoding). Talos prints the value in its message; the
    value here is a secret, so the message says which part is wrong and never echoes it."""
    try:
        length = base64_decoded_length(value)
    except ValueError:
        return "R087", "failed to decode from base64: (value hidden); illegal base64 data"
    if length != size:
        return "R088", f"expected {size} bytes, got {length}: (value hidden)"
    return None


@document_check("DiscoveryIdentityConfig", "R083", "R084", "R085", "R087", "R088")
def discovery_identity_config(document: Document, ctx: Context) -> None:
    """discovery_identity.go Validate returns at its first problem; a shape-only render's secrets are present but
    empty, and have nothing to decode."""
    for field, rule in (("clusterID", "R083"), ("clusterSecret", "R084")):
        if not ctx.has_secret(document.get(field)):
            ctx.fail(rule, f"{field} is required")
            return
    secret = document.get("clusterSecret")
    if not ctx.secret_unknown(secret) and (problem := base64_length_problem(text(secret), CLUSTER_SECRET_SIZE)):
        ctx.fail("R085", f"invalid clusterSecret: {problem[1]}", inner=problem[0])


@document_check("DiscoveryServiceConfig", "R089", "R090", "R091", "R092", "R093")
def discovery_service_config(document: Document, ctx: Context) -> None:
    """discovery_service.go Validate and ValidateDiscoveryServiceEndpoint, first problem only."""
    if text(document.get("name")) == "":
        ctx.fail("R089", "name is required")
        return
    url = url_of(document.get("endpoint"))
    if url is None:
        ctx.fail("R090", "endpoint is required")
    elif not url.scheme:
        ctx.fail("R091", "endpoint scheme is required")
    elif url.scheme not in ("http", "https", "grpc"):
        ctx.fail("R092", "endpoint scheme must be http://, https:// or grpc://")
    elif not url.hostname:
        ctx.fail("R093", "endpoint host is required")
