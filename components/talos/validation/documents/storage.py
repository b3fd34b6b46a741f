"""Talos's checks of LVM and software RAID documents (types/storage, new in v1.14).

Ports lvm_volume_group_config.go, lvm_logical_volume_config.go and raid_array_config.go (ProvisioningSpec and
RAIDProvisioningSpec Validate with their volume selectors) at v1.14.0-rc.1.
"""

from __future__ import annotations

from ..cel import compile_selector
from ..registry import Context, Document, document_check
from ..values import enum_name, mapping, number, size, text
from .block import name_problems

_LVM_CHARSET = "name can only contain ASCII letters, digits, hyphens and underscores"


def _volume_selector(ctx: Context, provisioning: object, rules: tuple[str, str]) -> None:
    """ProvisioningSpec / RAIDProvisioningSpec Validate: a volume selector that compiles."""
    match = text(mapping(mapping(provisioning).get("volumeSelector")).get("match"))
    required, invalid = rules
    if not match:
        ctx.fail(required, "provisioning.volumeSelector.match is required")
    elif problem := compile_selector(match, "VolumeLocator", ctx.minor):
        ctx.fail(invalid, f"provisioning.volumeSelector.match: {problem}")


@document_check("LVMVolumeGroupConfig", "R416", "R417", "R418", "R419", "R420")
def lvm_volume_group_config(document: Document, ctx: Context) -> None:
    """LVMVolumeGroupConfigV1Alpha1.Validate."""
    name_problems(document, ctx, ("R418", "R419", "R420"), longest=63, extra="-_", charset_message=_LVM_CHARSET)
    _volume_selector(ctx, document.get("provisioning"), ("R416", "R417"))


@document_check("RAIDArrayConfig", "R421", "R422", "R423", "R424", "R425")
def raid_array_config(document: Document, ctx: Context) -> None:
    """RAIDArrayConfigV1Alpha1.Validate."""
    name_problems(document, ctx, ("R423", "R424", "R425"), longest=32, extra="-_", charset_message=_LVM_CHARSET)
    _volume_selector(ctx, document.get("provisioning"), ("R421", "R422"))


@document_check("LVMLogicalVolumeConfig", "R405", "R406", "R407", "R408", "R409", "R410", "R411", "R412", "R413",
                "R414", "R415")
def lvm_logical_volume_config(document: Document, ctx: Context) -> None:
    """LVMLogicalVolumeConfigV1Alpha1.Validate."""
    name_problems(document, ctx, ("R405", "R406", "R407"), longest=63, extra="-_", charset_message=_LVM_CHARSET)
    _layout(ctx, document, enum_name(document.get("type"), "linear"))
    spec = mapping(document.get("provisioning"))
    if not text(spec.get("volumeGroup")):
        ctx.fail("R412", "provisioning.volumeGroup is required")
    minimum, maximum = size(spec.get("minSize"), ctx.minor), size(spec.get("maxSize"), ctx.minor)
    if not maximum.present:
        ctx.fail("R413", "provisioning.maxSize is required")
    if maximum.negative:
        ctx.fail("R414", "provisioning.maxSize must not be negative")
    if minimum.present and not maximum.relative and minimum.value > maximum.value:
        ctx.fail("R415", "provisioning.minSize must not exceed provisioning.maxSize")


def _layout(ctx: Context, document: Document, lv_type: str) -> None:
    """Mirrors for raid1/raid10 (at least 1), stripes for raid0/raid10 (at least 2)."""
    mirrors, stripes = document.get("mirrors"), document.get("stripes")
    if mirrors is not None:
        if lv_type not in ("raid1", "raid10"):
            ctx.fail("R408", f"mirrors is only valid for raid1/raid10, not {lv_type}")
        elif number(mirrors) < 1:
            ctx.fail("R409", "mirrors must be at least 1")
    if stripes is not None:
        if lv_type not in ("raid0", "raid10"):
            ctx.fail("R410", f"stripes is only valid for raid0/raid10, not {lv_type}")
        elif number(stripes) < 2:
            ctx.fail("R411", "stripes must be at least 2")
