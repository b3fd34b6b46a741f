"""Talos's check of SideroLinkConfig (siderolabs/talos pkg/machinery/config/types/siderolink/siderolink.go,
v1.14.0-rc.1): the API URL Omni's SideroLink joins through."""

from __future__ import annotations

from ..registry import Context, Document, document_check
from ..values import url_of


@document_check("SideroLinkConfig", "R402", "R403", "R404")
def siderolink_config(document: Document, ctx: Context) -> None:
    """ConfigV1Alpha1.Validate returns at its first problem."""
    url = url_of(document.get("apiUrl"))
    if url is None:
        ctx.fail("R402", "apiUrl is required")
    elif url.scheme not in ("https", "grpc"):
        ctx.fail("R403", "apiUrl scheme must be https:// or grpc://")
    elif url.path not in ("", "/"):
        ctx.fail("R404", "apiUrl path must be empty")
