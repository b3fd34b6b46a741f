"""Talos's checks of the security documents (siderolabs/talos pkg/machinery/config/types/security,
v1.14.0-rc.1): ImageVerificationConfig (TrustedRootsConfig has no Validate)."""

from __future__ import annotations

from ..registry import Context, Document, document_check
from .netcommon import Report, go_string, indexed_mappings, mapping


@document_check("ImageVerificationConfig", "R394", "R395", "R396", "R397", "R398", "R399", "R400", "R401")
def image_verification_config(document: Document, ctx: Context) -> None:
    """image_verification.go Validate (its pattern warnings, '@', ':' and no '/', are not rejections)."""
    report = Report(ctx, document)
    for index, rule in indexed_mappings(document.get("rules")):
        if go_string(rule.get("image")) == "":
            report.fail("R394", f"rule {index}: imagePattern must be specified")
        skip, deny = rule.get("skip") is True, rule.get("deny") is True
        keyless, public_key = rule.get("keyless"), rule.get("publicKey")
        has_verifier = keyless is not None or public_key is not None
        if skip and deny:
            report.fail("R395", f"rule {index}: skip and deny cannot both be true")
        if (skip or deny) and has_verifier:
            report.fail("R396", f"rule {index}: verifiers cannot be configured if skip or deny is true")
        if not skip and not deny and not has_verifier:
            report.fail("R397", f"rule {index}: at least one verifier must be configured")
        if keyless is not None and public_key is not None:
            report.fail("R398", f"rule {index}: only one of keyless or publicKey verifier can be configured")
        if keyless is not None:
            verifier = mapping(keyless)
            if go_string(verifier.get("issuer")) == "":
                report.fail("R399", f"rule {index}: verifier OIDC issuer must be specified")
            if go_string(verifier.get("subject")) == "" and go_string(verifier.get("subjectRegex")) == "":
                report.fail("R400", f"rule {index}: verifier subject or subjectRegex must be specified")
        if public_key is not None and go_string(mapping(public_key).get("certificate")) == "":
            report.fail("R401", f"rule {index}: verifier certificates must be specified")
