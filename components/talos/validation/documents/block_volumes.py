"""Talos's checks of user-defined volumes (types/block): UserVolumeConfig, RawVolumeConfig, SwapVolumeConfig,
ExistingVolumeConfig and ExternalVolumeConfig.

Ports user_volume_config.go, raw_volume_config.go, swap_volume_config.go, existing_volume_config.go
(VolumeDiscoverySpec.Validate) and external_volume_config.go (VirtiofsMountSpec.Validate) at v1.14.0-rc.1; names
are at most 36 (a partition label) minus the 2-byte prefix Talos adds (constants u-, r-, s-, x-).
"""

from __future__ import annotations

from ...golang.strconv import quote
from ..cel import compile_selector
from ..registry import Context, Document, document_check
from ..values import enum_name, mapping, present, text
from .block import (
    encryption,
    encryption_is_zero,
    filesystem,
    name_problems,
    provisioning,
    provisioning_is_zero,
    trim_and_scrub,
)

MAX_VOLUME_NAME = 36 - 2  # constants.PartitionLabelLength - len(UserVolumePrefix), the same for r-, s-, x-


@document_check("UserVolumeConfig", "R058", "R059", "R060", "R061", "R062", "R063", "R064", "R065", "R066", "R067",
                "R068")
def user_volume_config(document: Document, ctx: Context) -> None:
    """UserVolumeConfigV1Alpha1.Validate."""
    name_problems(document, ctx, ("R058", "R059", "R060"), longest=MAX_VOLUME_NAME)
    volume_type = enum_name(document.get("volumeType"), "partition")
    if volume_type == "directory":
        if not provisioning_is_zero(document.get("provisioning")):
            ctx.fail("R061", "provisioning spec is invalid for volumeType directory")
        if not encryption_is_zero(document.get("encryption")):
            ctx.fail("R062", "encryption spec is invalid for volumeType directory")
        spec = mapping(document.get("filesystem"))
        if text(spec.get("type")).lower() not in ("", "none") or present(spec, "projectQuotaSupport") \
                or present(spec, "xfs"):
            ctx.fail("R063", "filesystem spec is invalid for volumeType directory")
        if any(present(mapping(document.get("mount")), key) for key in ("disableAccessTime", "secure")):
            ctx.fail("R064", "mount spec is invalid for volumeType directory")
    elif volume_type in ("disk", "partition"):
        provisioning(ctx, document.get("provisioning"), required=True, size_supported=volume_type == "partition")
        filesystem(ctx, document.get("filesystem"))
        encryption(ctx, document.get("encryption"))
    else:
        ctx.fail("R065", f"unsupported volume type {quote(volume_type)}")
    trim_and_scrub(ctx, document)


def _partition_volume(document: Document, ctx: Context, name_rules: tuple[str, str, str]) -> None:
    """Raw and swap volumes validate alike: a name, a partition to provision, optional encryption."""
    name_problems(document, ctx, name_rules, longest=MAX_VOLUME_NAME)
    provisioning(ctx, document.get("provisioning"), required=True, size_supported=True)
    encryption(ctx, document.get("encryption"))


@document_check("RawVolumeConfig", "R050", "R051", "R052")
def raw_volume_config(document: Document, ctx: Context) -> None:
    """RawVolumeConfigV1Alpha1.Validate."""
    _partition_volume(document, ctx, ("R050", "R051", "R052"))


@document_check("SwapVolumeConfig", "R054", "R055", "R056")
def swap_volume_config(document: Document, ctx: Context) -> None:
    """SwapVolumeConfigV1Alpha1.Validate."""
    _partition_volume(document, ctx, ("R054", "R055", "R056"))


@document_check("ExistingVolumeConfig", "R035", "R036", "R037", "R038")
def existing_volume_config(document: Document, ctx: Context) -> None:
    """ExistingVolumeConfigV1Alpha1.Validate: a name (no length limit) and a volume selector."""
    name_problems(document, ctx, ("R035", "", "R036"), longest=None)
    match = text(mapping(mapping(document.get("discovery")).get("volumeSelector")).get("match"))
    if problem := compile_selector(match, "VolumeLocator", ctx.minor):
        ctx.fail("R037", f"volume selector is invalid: {problem}")
    elif not match:
        ctx.fail("R038", "volume selector is required")
    trim_and_scrub(ctx, document)


@document_check("ExternalVolumeConfig", "R039", "R040", "R041", "R042", "R043", "R044")
def external_volume_config(document: Document, ctx: Context) -> None:
    """ExternalVolumeConfigV1Alpha1.Validate: only virtiofs, which needs a tag."""
    name_problems(document, ctx, ("R039", "R040", "R041"), longest=MAX_VOLUME_NAME)
    kind = enum_name(document.get("filesystemType"), "none")
    if kind != "virtiofs":
        ctx.fail("R042", f"invalid filesystem type: {kind}")
        return
    virtiofs = mapping(document.get("mount")).get("virtiofs")
    if virtiofs is None:
        ctx.fail("R043", "virtiofs mount spec is required")
    elif not text(mapping(virtiofs).get("tag")):
        ctx.fail("R044", "virtiofs tag is required")
