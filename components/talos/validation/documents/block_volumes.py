"""Talos's checks of user-defined volumes (types/block): UserVolumeConfig, RawVolumeConfig, SwapVolumeConfig,
ExistingVolumeConfig and ExternalVolumeConfig.

Ports user_volume_config.go, raw_volume_config.go, swap_volume_config.go, existing_volume_config.go
(VolumeDiscoverySpec.Validate) and external_volume_config.go (VirtiofsMountSpec.Validate) at v1.14.0-rc.1; names
are at most 36 (a partition label) minus the 2-byte prefix Talos adds (constants u-, r-, s-, x-).
"""

from __future__ import annotations

from ..golang import go_quote
from ..registry import Context, Document, document_check
from .block import (
    encryption,
    encryption_is_zero,
    filesystem,
    filesystem_types,
    provisioning,
    provisioning_is_zero,
    trim_and_scrub,
    xfs_options,
)
from .syscommon import Report, mapping, name_problems, present, text

MAX_VOLUME_NAME = 36 - 2  # constants.PartitionLabelLength - len(UserVolumePrefix), the same for r-, s-, x-


def volume_types(minor: int) -> tuple[str, ...]:
    """resources/block VolumeType names: external from v1.13."""
    return ("partition", "disk", "tmpfs", "directory", "symlink", "overlay") + ("external",) * (minor >= 13)


@document_check("UserVolumeConfig", "R058", "R059", "R060", "R061", "R062", "R063", "R064", "R065", "R066", "R067",
                "R068")
def user_volume_config(document: Document, ctx: Context) -> None:
    """UserVolumeConfigV1Alpha1.Validate."""
    report = Report(ctx, document, "*block.UserVolumeConfigV1Alpha1")
    name_problems(report, ("R058", "R059", "R060"), longest=MAX_VOLUME_NAME)
    volume_type = report.enum(document.get("volumeType"), "VolumeType", volume_types(ctx.minor), "partition")
    if volume_type is None:
        return
    xfs_options(report, document.get("filesystem"))
    if volume_type == "directory":
        if not provisioning_is_zero(document.get("provisioning")):
            report.fail("R061", "provisioning spec is invalid for volumeType directory")
        if not encryption_is_zero(document.get("encryption")):
            report.fail("R062", "encryption spec is invalid for volumeType directory")
        spec = mapping(document.get("filesystem"))
        if text(spec.get("type")).lower() not in ("", "none") or present(spec, "projectQuotaSupport") \
                or present(spec, "xfs"):
            report.fail("R063", "filesystem spec is invalid for volumeType directory")
        if any(present(mapping(document.get("mount")), key) for key in ("disableAccessTime", "secure")):
            report.fail("R064", "mount spec is invalid for volumeType directory")
    elif volume_type in ("disk", "partition"):
        provisioning(report, document.get("provisioning"), required=True, size_supported=volume_type == "partition")
        filesystem(report, document.get("filesystem"))
        encryption(report, document.get("encryption"))
    else:
        report.fail("R065", f"unsupported volume type {go_quote(volume_type)}")
    trim_and_scrub(report, document)


def _partition_volume(report: Report, name_rules: tuple[str, str, str]) -> None:
    """Raw and swap volumes validate alike: a name, a partition to provision, optional encryption."""
    name_problems(report, name_rules, longest=MAX_VOLUME_NAME)
    provisioning(report, report.document.get("provisioning"), required=True, size_supported=True)
    encryption(report, report.document.get("encryption"))


@document_check("RawVolumeConfig", "R050", "R051", "R052")
def raw_volume_config(document: Document, ctx: Context) -> None:
    """RawVolumeConfigV1Alpha1.Validate."""
    _partition_volume(Report(ctx, document, "*block.RawVolumeConfigV1Alpha1"), ("R050", "R051", "R052"))


@document_check("SwapVolumeConfig", "R054", "R055", "R056")
def swap_volume_config(document: Document, ctx: Context) -> None:
    """SwapVolumeConfigV1Alpha1.Validate."""
    _partition_volume(Report(ctx, document, "*block.SwapVolumeConfigV1Alpha1"), ("R054", "R055", "R056"))


@document_check("ExistingVolumeConfig", "R035", "R036", "R037", "R038")
def existing_volume_config(document: Document, ctx: Context) -> None:
    """ExistingVolumeConfigV1Alpha1.Validate: a name (no length limit) and a volume selector."""
    report = Report(ctx, document, "*block.ExistingVolumeConfigV1Alpha1")
    name_problems(report, ("R035", "", "R036"), longest=None)
    match = mapping(mapping(document.get("discovery")).get("volumeSelector")).get("match")
    problem = report.cel(match, "VolumeLocator")
    if problem:
        report.fail("R037", f"volume selector is invalid: {problem}")
    elif not text(match):
        report.fail("R038", "volume selector is required")
    trim_and_scrub(report, document)


@document_check("ExternalVolumeConfig", "R039", "R040", "R041", "R042", "R043", "R044")
def external_volume_config(document: Document, ctx: Context) -> None:
    """ExternalVolumeConfigV1Alpha1.Validate: only virtiofs, which needs a tag."""
    report = Report(ctx, document, "*block.ExternalVolumeConfigV1Alpha1")
    name_problems(report, ("R039", "R040", "R041"), longest=MAX_VOLUME_NAME)
    kind = report.enum(document.get("filesystemType"), "FilesystemType", filesystem_types(ctx.minor), "none")
    if kind is None:
        return
    if kind != "virtiofs":
        report.fail("R042", f"invalid filesystem type: {kind}")
        return
    virtiofs = mapping(document.get("mount")).get("virtiofs")
    if virtiofs is None:
        report.fail("R043", "virtiofs mount spec is required")
    elif not text(mapping(virtiofs).get("tag")):
        report.fail("R044", "virtiofs tag is required")
