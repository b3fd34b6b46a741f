"""Talos's checks of LVM and software RAID documents (types/storage, new in v1.14).

Ports lvm_volume_group_config.go, lvm_logical_volume_config.go and raid_array_config.go (ProvisioningSpec and
RAIDProvisioningSpec Validate with their volume selectors) at v1.14.0-rc.1.
"""

from __future__ import annotations

from ..registry import Context, Document, document_check
from .syscommon import Report, mapping, name_problems, text

_LVM_CHARSET = "name can only contain ASCII letters, digits, hyphens and underscores"
LV_TYPES = ("linear", "raid1", "raid0", "raid10")  # resources/storage LVMLogicalVolumeType
MD_LEVELS = ("raid1",)  # resources/storage MDLevel
MD_METADATA = ("1.0", "1.2")  # resources/storage MDMetadata


def _volume_selector(report: Report, provisioning: object, rules: tuple[str, str]) -> None:
    """ProvisioningSpec / RAIDProvisioningSpec Validate: a volume selector that compiles."""
    match = mapping(mapping(provisioning).get("volumeSelector")).get("match")
    required, invalid = rules
    if not text(match):
        report.fail(required, "provisioning.volumeSelector.match is required")
    elif (problem := report.cel(match, "VolumeLocator")) is not None:
        report.fail(invalid, f"provisioning.volumeSelector.match: {problem}")


@document_check("LVMVolumeGroupConfig", "R416", "R417", "R418", "R419", "R420")
def lvm_volume_group_config(document: Document, ctx: Context) -> None:
    """LVMVolumeGroupConfigV1Alpha1.Validate."""
    report = Report(ctx, document, "*storage.LVMVolumeGroupConfigV1Alpha1")
    name_problems(report, ("R418", "R419", "R420"), longest=63, extra="-_", charset_message=_LVM_CHARSET)
    _volume_selector(report, document.get("provisioning"), ("R416", "R417"))


@document_check("RAIDArrayConfig", "R421", "R422", "R423", "R424", "R425")
def raid_array_config(document: Document, ctx: Context) -> None:
    """RAIDArrayConfigV1Alpha1.Validate."""
    report = Report(ctx, document, "*storage.RAIDArrayConfigV1Alpha1")
    name_problems(report, ("R423", "R424", "R425"), longest=32, extra="-_", charset_message=_LVM_CHARSET)
    report.enum(document.get("level"), "MDLevel", MD_LEVELS, "raid1")
    report.enum(document.get("metadata"), "MDMetadata", MD_METADATA, "1.0")
    _volume_selector(report, document.get("provisioning"), ("R421", "R422"))


@document_check("LVMLogicalVolumeConfig", "R405", "R406", "R407", "R408", "R409", "R410", "R411", "R412", "R413",
                "R414", "R415")
def lvm_logical_volume_config(document: Document, ctx: Context) -> None:
    """LVMLogicalVolumeConfigV1Alpha1.Validate."""
    report = Report(ctx, document, "*storage.LVMLogicalVolumeConfigV1Alpha1")
    name_problems(report, ("R405", "R406", "R407"), longest=63, extra="-_", charset_message=_LVM_CHARSET)
    lv_type = report.enum(document.get("type"), "LVMLogicalVolumeType", LV_TYPES, "linear")
    if lv_type is not None:
        _layout(report, document, lv_type)
    spec = mapping(document.get("provisioning"))
    if not text(spec.get("volumeGroup")):
        report.fail("R412", "provisioning.volumeGroup is required")
    minimum = report.size(spec.get("minSize"), percentage_allowed=False)
    maximum = report.size(spec.get("maxSize"), percentage_allowed=True)
    if maximum is not None:
        if not maximum.present:
            report.fail("R413", "provisioning.maxSize is required")
        if maximum.negative:
            report.fail("R414", "provisioning.maxSize must not be negative")
        if minimum is not None and minimum.present and not maximum.relative and minimum.value > maximum.value:
            report.fail("R415", "provisioning.minSize must not exceed provisioning.maxSize")


def _layout(report: Report, document: Document, lv_type: str) -> None:
    """Mirrors for raid1/raid10 (at least 1), stripes for raid0/raid10 (at least 2)."""
    mirrors, stripes = document.get("mirrors"), document.get("stripes")
    if mirrors is not None:
        if lv_type not in ("raid1", "raid10"):
            report.fail("R408", f"mirrors is only valid for raid1/raid10, not {lv_type}")
        elif isinstance(mirrors, int) and mirrors < 1:
            report.fail("R409", "mirrors must be at least 1")
    if stripes is not None:
        if lv_type not in ("raid0", "raid10"):
            report.fail("R410", f"stripes is only valid for raid0/raid10, not {lv_type}")
        elif isinstance(stripes, int) and stripes < 2:
            report.fail("R411", "stripes must be at least 2")
