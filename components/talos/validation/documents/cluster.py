"""Talos's checks of the cluster documents (siderolabs/talos pkg/machinery/config/types/cluster,
v1.14.0-rc.1): DiscoveryIdentityConfig and DiscoveryServiceConfig."""

from __future__ import annotations

import base64
import binascii

from ..registry import Context, Document, document_check, not_applicable
from .netcommon import Report, URLError, go_string, parse_url

CLUSTER_SECRET_SIZE = 32  # constants.DefaultClusterSecretSize


def base64_length_problem(text: str, size: int) -> tuple[str, str] | None:
    """discovery_identity.go ValidateBase64WithLen (StdEncoding). Talos prints the value in its message; the
    value here is a secret, so the message says which part is wrong and never echoes it."""
    try:
        decoded = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return "R087", "failed to decode from base64: (value hidden); illegal base64 data"
    if len(decoded) != size:
        return "R088", f"expected {size} bytes, got {len(decoded)}: (value hidden)"
    return None


@document_check("DiscoveryIdentityConfig", "R083", "R084", "R087", "R088")
def discovery_identity_config(document: Document, ctx: Context) -> None:
    """discovery_identity.go Validate returns at its first problem. In a shape-only render (placeholder
    secrets) the fields are present but empty: their presence is what is checked then."""
    report = Report(ctx, document)
    for field, rule in (("clusterID", "R083"), ("clusterSecret", "R084")):
        if go_string(document.get(field)) == "" and not (ctx.placeholder_secrets and field in document):
            report.fail(rule, f"{field} is required")
            return
    secret = go_string(document.get("clusterSecret"))
    if secret and not ctx.placeholder_secrets:
        problem = base64_length_problem(secret, CLUSTER_SECRET_SIZE)
        if problem:
            report.fail(problem[0], f"invalid clusterSecret: {problem[1]}")


not_applicable("a wrapper with no message of its own: 'invalid clusterSecret: %w' wraps R087 or R088, whose "
               "problems carry this text", "R085")


@document_check("DiscoveryServiceConfig", "R089", "R090", "R091", "R092", "R093")
def discovery_service_config(document: Document, ctx: Context) -> None:
    """discovery_service.go Validate and ValidateDiscoveryServiceEndpoint, first problem only."""
    report = Report(ctx, document)
    if go_string(document.get("name")) == "":
        report.fail("R089", "name is required")
        return
    endpoint = go_string(document.get("endpoint"))
    if endpoint == "":
        report.fail("R090", "endpoint is required")
        return
    if endpoint is None:
        return
    try:
        url = parse_url(endpoint)
    except URLError:
        return  # meta.URL: a URL that does not parse fails in the decoder
    if not url.scheme:
        report.fail("R091", "endpoint scheme is required")
    elif url.scheme not in ("http", "https", "grpc"):
        report.fail("R092", "endpoint scheme must be http://, https:// or grpc://")
    elif not url.hostname:
        report.fail("R093", "endpoint host is required")
