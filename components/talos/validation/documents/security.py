"""Talos's checks of the security documents (siderolabs/talos pkg/machinery/config/types/security,
v1.14.0-rc.1): ImageVerificationConfig (TrustedRootsConfig has no Validate)."""

from __future__ import annotations

from ..registry import Context, Document, document_check
from ..values import flag, indexed, mapping, present, text


@document_check("ImageVerificationConfig", "R394", "R395", "R396", "R397", "R398", "R399", "R400", "R401")
def image_verification_config(document: Document, ctx: Context) -> None:
    """image_verification.go Validate (its pattern warnings, '@', ':' and no '/', are not rejections)."""
    for index, rule in indexed(document.get("rules")):
        if text(rule.get("image")) == "":
            ctx.fail("R394", f"rule {index}: imagePattern must be specified")
        skip, deny = flag(rule.get("skip")), flag(rule.get("deny"))
        keyless, public_key = present(rule, "keyless"), present(rule, "publicKey")
        if skip and deny:
            ctx.fail("R395", f"rule {index}: skip and deny cannot both be true")
        if (skip or deny) and (keyless or public_key):
            ctx.fail("R396", f"rule {index}: verifiers cannot be configured if skip or deny is true")
        if not skip and not deny and not (keyless or public_key):
            ctx.fail("R397", f"rule {index}: at least one verifier must be configured")
        if keyless and public_key:
            ctx.fail("R398", f"rule {index}: only one of keyless or publicKey verifier can be configured")
        if keyless:
            verifier = mapping(rule.get("keyless"))
            if text(verifier.get("issuer")) == "":
                ctx.fail("R399", f"rule {index}: verifier OIDC issuer must be specified")
            if text(verifier.get("subject")) == "" and text(verifier.get("subjectRegex")) == "":
                ctx.fail("R400", f"rule {index}: verifier subject or subjectRegex must be specified")
        if public_key and text(mapping(rule.get("publicKey")).get("certificate")) == "":
            ctx.fail("R401", f"rule {index}: verifier certificates must be specified")
