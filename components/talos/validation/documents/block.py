"""Talos's checks of system volume documents and the specs all volume kinds share (types/block).

Ports, at v1.14.0-rc.1 with the v1.12.9/v1.13.9 differences noted where they change a verdict:
volume_config.go (VolumeConfig Validate, validateVolumeConstraints, ProvisioningSpec.Validate), encryption.go
(EncryptionSpec.Validate), user_volume_config.go (FilesystemSpec.Validate), trim.go, scrub.go, zswap_config.go,
filesystem_trim_config.go and fs_scrub.go (sizes and percentages are the decoder's: decoder_values.py). The user,
raw, swap, existing and external volume kinds are in ``block_volumes``.
"""

from __future__ import annotations

from ...golang.durations import SECOND
from ...golang.strconv import byte_length, quote, quote_list
from ..cel import compile_selector
from ..registry import Context, Document, document_check, not_applicable
from ..values import duration, enum_name, items, mapping, number, present, size, text

MIN_SCRUB_INTERVAL = 10 * SECOND  # block.MinScrubInterval


def name_problems(document: Document, ctx: Context, rules: tuple[str, str, str], *, longest: int | None,
                  extra: str = "-", charset_message: str = "name can only contain lowercase and uppercase ASCII "
                                                            "letters, digits, and hyphens") -> None:
    """The name checks the volume kinds share: required, a length in bytes, ASCII letters, digits and `extra`."""
    name = text(document.get("name"))
    required, length, charset = rules
    if name == "":
        ctx.fail(required, "name is required")
    if longest is not None and not 1 <= byte_length(name) <= longest:
        ctx.fail(length, f"name must be between 1 and {longest} characters long")
    if any(not ((char.isascii() and char.isalnum()) or char in extra) for char in name):
        ctx.fail(charset, charset_message)


def provisioning(ctx: Context, spec: object, *, required: bool, size_supported: bool) -> None:
    """ProvisioningSpec.Validate(required, sizeSupported)."""
    spec = mapping(spec)
    match = text(mapping(spec.get("diskSelector")).get("match"))
    if problem := compile_selector(match, "DiskLocator", ctx.minor):
        ctx.fail("R075", f"disk selector is invalid: {problem}")
    elif not match and required:
        ctx.fail("R076", "disk selector is required")
    minimum, maximum = size(spec.get("minSize"), ctx.minor), size(spec.get("maxSize"), ctx.minor)
    if size_supported:
        # v1.12 has no negative sizes (the decoder refuses the sign), so the guard changes nothing there
        if minimum.present and maximum.present and not maximum.relative and not maximum.negative:
            if minimum.value > maximum.value:
                ctx.fail("R077", "min size is greater than max size")
        elif required and not minimum.present and not maximum.present:
            ctx.fail("R078", "min size or max size is required")
        if minimum.negative:
            ctx.fail("R079", "min size cannot be negative")
    elif minimum.present or maximum.present or present(spec, "grow"):
        ctx.fail("R080", "min size, max size and grow are not supported")


def provisioning_is_zero(spec: object) -> bool:
    """ProvisioningSpec.IsZero."""
    spec = mapping(spec)
    return not (present(spec, "grow") or text(spec.get("minSize")) or text(spec.get("maxSize"))
                or text(mapping(spec.get("diskSelector")).get("match")))


def encryption(ctx: Context, spec: object) -> None:
    """EncryptionSpec.Validate."""
    spec = mapping(spec)
    provider = enum_name(spec.get("provider"), "none")
    keys = items(spec.get("keys"))
    if provider == "none" and not keys:
        return  # IsZero
    if provider != "luks2":
        ctx.fail("R030", f"unsupported encryption provider: {provider}")
    if not keys:
        ctx.fail("R031", "encryption keys are required")
    slots: set[int] = set()
    for key in map(mapping, keys):
        slot = number(key.get("slot"))
        if slot in slots:
            ctx.fail("R032", f"duplicate key slot {slot}")
        slots.add(slot)
        if not any(present(key, kind) for kind in ("static", "nodeID", "kms", "tpm")):
            ctx.fail("R033", f"at least one encryption key type must be specified for slot {slot}")
        for pcr in items(mapping(mapping(key.get("tpm")).get("options")).get("pcrs")):
            if not 0 <= number(pcr) <= 23:
                ctx.fail("R034", f"TPM PCR {pcr} is out of range (0-23)")


def encryption_is_zero(spec: object) -> bool:
    """EncryptionSpec.IsZero: no provider (or none) and no keys."""
    spec = mapping(spec)
    return text(spec.get("provider")).lower() in ("", "none") and not items(spec.get("keys"))


def filesystem(ctx: Context, spec: object) -> None:
    """FilesystemSpec.Validate (user volumes): xfs, ext4 and (from v1.14) btrfs; quota and xfs options on xfs."""
    spec = mapping(spec)
    kind = enum_name(spec.get("type"), "none")
    supported = ("none", "xfs", "ext4") + (("btrfs",) if ctx.minor >= 14 else ())
    if kind not in supported:
        ctx.fail("R066", f"unsupported filesystem type: {kind}")
        return
    effective = "xfs" if kind == "none" else kind
    if spec.get("projectQuotaSupport") is True and effective != "xfs":
        ctx.fail("R067", "project quota support is only available for xfs filesystem")
        return
    if present(spec, "xfs") and effective != "xfs":
        ctx.fail("R068", "xfs options are only available for xfs filesystem")


def trim_and_scrub(ctx: Context, document: Document) -> None:
    """TrimConfig.Validate and ScrubConfig.Validate of a volume's trim and scrub settings."""
    if present(document, "trim") and duration(mapping(document.get("trim")).get("interval")) < 0:
        ctx.fail("R057", "trim interval cannot be negative")
    if present(document, "scrub"):
        interval = duration(mapping(document.get("scrub")).get("interval"))
        if interval and interval < MIN_SCRUB_INTERVAL:
            ctx.fail("R053", "scrub interval: minimum value is 10s")


def system_volumes(minor: int) -> tuple[str, ...]:
    """The VolumeConfig names Talos accepts: ETCD, CRI, KUBELET and LOG from v1.14."""
    names = ("STATE", "EPHEMERAL", "IMAGECACHE")
    return names + (("ETCD", "CRI", "KUBELET", "LOG") if minor >= 14 else ())


def _mount_set(document: Document) -> bool:
    return any(present(mapping(document.get("mount")), key) for key in ("secure", "disableAccessTime"))


def _provisioning_requested(spec: object) -> bool:
    # volume_config.go ProvisioningRequested: any of disk selector, grow, min size, max size
    return not provisioning_is_zero(spec)


@document_check("VolumeConfig", "R069", "R070", "R071", "R072", "R073", "R074", "R075", "R076", "R077", "R078",
                "R079", "R080", "R030", "R031", "R032", "R033", "R034", "R053", "R057")
def volume_config(document: Document, ctx: Context) -> None:
    """VolumeConfigV1Alpha1.Validate."""
    name = text(document.get("name"))
    allowed = system_volumes(ctx.minor)
    if name not in allowed:
        ctx.fail("R069", f"only {quote_list(allowed)} volumes are supported")
        return
    if name == "STATE":
        if not provisioning_is_zero(document.get("provisioning")):
            ctx.fail("R071", f"provisioning config is not allowed for the {quote(name)} volume")
        for key in map(mapping, items(mapping(document.get("encryption")).get("keys"))):
            if key.get("lockToState") is True:
                ctx.fail("R072", f"state-locked key is not allowed for the {quote(name)} volume")
        if _mount_set(document):
            ctx.fail("R070", f"mount config is not allowed for the {quote(name)} volume")
    elif name == "IMAGECACHE":
        if _mount_set(document):
            ctx.fail("R070", f"mount config is not allowed for the {quote(name)} volume")
        if present(mapping(document.get("filesystem")), "xfs"):
            ctx.fail("R073", f"filesystem config is not allowed for the {quote(name)} volume")
    elif name in ("ETCD", "CRI", "KUBELET", "LOG") and _mount_set(document) \
            and not _provisioning_requested(document.get("provisioning")):
        ctx.fail("R074", f"mount config for the {quote(name)} volume is only supported when it is "
                            "provisioned onto a dedicated partition")
    provisioning(ctx, document.get("provisioning"), required=False, size_supported=True)
    encryption(ctx, document.get("encryption"))
    trim_and_scrub(ctx, document)


@document_check("ZswapConfig", "R082")
def zswap_config(document: Document, ctx: Context) -> None:
    """ZswapConfigV1Alpha1.Validate."""
    if not 0 <= number(document.get("maxPoolPercent")) <= 100:
        ctx.fail("R082", "maxPoolPercent must be between 0 and 100")


@document_check("FilesystemTrimConfig", "R045")
def filesystem_trim_config(document: Document, ctx: Context) -> None:
    """FilesystemTrimConfigV1Alpha1.Validate."""
    if duration(document.get("interval")) < 0:
        ctx.fail("R045", "interval cannot be negative")


@document_check("FilesystemScrubConfig", "R046")
def filesystem_scrub_config(document: Document, ctx: Context) -> None:
    """FilesystemScrubConfigV1Alpha1.Validate."""
    interval = duration(document.get("interval"))
    if interval and interval < MIN_SCRUB_INTERVAL:
        ctx.fail("R046", "scrub interval: minimum value is 10s")


not_applicable("needs the machine: converts the node's discovered disks to match a selector "
               "(blockhelpers.go, run by the volume controllers on the node)", "R028", "R029")
