"""Talos's checks of system volume documents and the specs all volume kinds share (types/block).

Ports, at v1.14.0-rc.1 with the v1.12.9/v1.13.9 differences noted where they change a verdict:
volume_config.go (VolumeConfig Validate, validateVolumeConstraints, ProvisioningSpec.Validate), encryption.go
(EncryptionSpec.Validate), user_volume_config.go (FilesystemSpec.Validate), trim.go, scrub.go, zswap_config.go,
filesystem_trim_config.go, fs_scrub.go, and percentage_size.go (through ``Report.size``). The user, raw, swap,
existing and external volume kinds are in ``block_volumes``.
"""

from __future__ import annotations

from ..golang import go_quote, go_quote_list
from ..registry import Context, Document, document_check, not_applicable
from .syscommon import Report, listing, mapping, present, text

SECOND = 1_000_000_000
MIN_SCRUB_INTERVAL = 10 * SECOND  # block.MinScrubInterval
ENCRYPTION_PROVIDERS = ("none", "luks2")  # resources/block EncryptionProviderType


def filesystem_types(minor: int) -> tuple[str, ...]:
    """resources/block FilesystemType names: virtiofs from v1.13, btrfs from v1.14."""
    names = ("none", "xfs", "vfat", "ext4", "iso9660", "swap")
    return names + ("virtiofs",) * (minor >= 13) + ("btrfs",) * (minor >= 14)


def provisioning(report: Report, spec: object, *, required: bool, size_supported: bool) -> None:
    """ProvisioningSpec.Validate(required, sizeSupported)."""
    spec = mapping(spec)
    match = mapping(spec.get("diskSelector")).get("match")
    problem = report.cel(match, "DiskLocator")
    if problem:
        report.fail("R075", f"disk selector is invalid: {problem}")
    elif not text(match) and required:
        report.fail("R076", "disk selector is required")
    minimum = report.size(spec.get("minSize"), percentage_allowed=False)
    maximum = report.size(spec.get("maxSize"), percentage_allowed=True)
    if minimum is None or maximum is None:
        return
    if size_supported:
        # v1.12 has no negative sizes (the decoder refuses the sign), so the guard changes nothing there
        if minimum.present and maximum.present and not maximum.relative and not maximum.negative:
            if minimum.value > maximum.value:
                report.fail("R077", "min size is greater than max size")
        elif required and not minimum.present and not maximum.present:
            report.fail("R078", "min size or max size is required")
        if minimum.negative:
            report.fail("R079", "min size cannot be negative")
    elif minimum.present or maximum.present or present(spec, "grow"):
        report.fail("R080", "min size, max size and grow are not supported")


def provisioning_is_zero(spec: object) -> bool:
    """ProvisioningSpec.IsZero."""
    spec = mapping(spec)
    return not (present(spec, "grow") or text(spec.get("minSize")) or text(spec.get("maxSize"))
                or text(mapping(spec.get("diskSelector")).get("match")))


def encryption(report: Report, spec: object) -> None:
    """EncryptionSpec.Validate."""
    spec = mapping(spec)
    provider = report.enum(spec.get("provider"), "EncryptionProviderType", ENCRYPTION_PROVIDERS, "none")
    keys = listing(spec.get("keys"))
    if provider is None or (provider == "none" and not keys):
        return  # IsZero, or the decoder refused the provider
    if provider != "luks2":
        report.fail("R030", f"unsupported encryption provider: {provider}")
    if not keys:
        report.fail("R031", "encryption keys are required")
    slots: set[int] = set()
    for key in map(mapping, keys):
        slot = key.get("slot") or 0
        if slot in slots:
            report.fail("R032", f"duplicate key slot {slot}")
        slots.add(slot)
        if not any(present(key, kind) for kind in ("static", "nodeID", "kms", "tpm")):
            report.fail("R033", f"at least one encryption key type must be specified for slot {slot}")
        for pcr in listing(mapping(mapping(key.get("tpm")).get("options")).get("pcrs")):
            if isinstance(pcr, int) and not 0 <= pcr <= 23:
                report.fail("R034", f"TPM PCR {pcr} is out of range (0-23)")


def encryption_is_zero(spec: object) -> bool:
    """EncryptionSpec.IsZero: no provider (or none) and no keys."""
    spec = mapping(spec)
    return text(spec.get("provider")).lower() in ("", "none") and not listing(spec.get("keys"))


def filesystem(report: Report, spec: object) -> None:
    """FilesystemSpec.Validate (user volumes): xfs, ext4 and (from v1.14) btrfs; quota and xfs options on xfs."""
    spec = mapping(spec)
    kind = report.enum(spec.get("type"), "FilesystemType", filesystem_types(report.minor), "none")
    if kind is None:
        return
    supported = ("none", "xfs", "ext4") + (("btrfs",) if report.minor >= 14 else ())
    if kind not in supported:
        report.fail("R066", f"unsupported filesystem type: {kind}")
        return
    effective = "xfs" if kind == "none" else kind
    if spec.get("projectQuotaSupport") is True and effective != "xfs":
        report.fail("R067", "project quota support is only available for xfs filesystem")
        return
    if present(spec, "xfs") and effective != "xfs":
        report.fail("R068", "xfs options are only available for xfs filesystem")


def xfs_options(report: Report, spec: object) -> None:
    """XFSSpec: minAllocationGroupSize is a block.ByteSize the decoder parses."""
    report.size(mapping(mapping(spec).get("xfs")).get("minAllocationGroupSize"), percentage_allowed=False)


def trim_and_scrub(report: Report, document: Document) -> None:
    """TrimConfig.Validate and ScrubConfig.Validate of a volume's trim and scrub settings."""
    if present(document, "trim"):
        interval = report.duration(mapping(document.get("trim")).get("interval"))
        if interval is not None and interval < 0:
            report.fail("R057", "trim interval cannot be negative")
    if present(document, "scrub"):
        interval = report.duration(mapping(document.get("scrub")).get("interval"))
        if interval and interval < MIN_SCRUB_INTERVAL:
            report.fail("R053", "scrub interval: minimum value is 10s")


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
                "R079", "R080", "R030", "R031", "R032", "R033", "R034", "R053", "R057", "R047", "R048", "R049")
def volume_config(document: Document, ctx: Context) -> None:
    """VolumeConfigV1Alpha1.Validate."""
    report = Report(ctx, document, "*block.VolumeConfigV1Alpha1")
    name = text(document.get("name"))
    allowed = system_volumes(ctx.minor)
    if name not in allowed:
        report.fail("R069", f"only {go_quote_list(allowed)} volumes are supported")
        return
    if name == "STATE":
        if not provisioning_is_zero(document.get("provisioning")):
            report.fail("R071", f"provisioning config is not allowed for the {go_quote(name)} volume")
        for key in map(mapping, listing(mapping(document.get("encryption")).get("keys"))):
            if key.get("lockToState") is True:
                report.fail("R072", f"state-locked key is not allowed for the {go_quote(name)} volume")
        if _mount_set(document):
            report.fail("R070", f"mount config is not allowed for the {go_quote(name)} volume")
    elif name == "IMAGECACHE":
        if _mount_set(document):
            report.fail("R070", f"mount config is not allowed for the {go_quote(name)} volume")
        if present(mapping(document.get("filesystem")), "xfs"):
            report.fail("R073", f"filesystem config is not allowed for the {go_quote(name)} volume")
    elif name in ("ETCD", "CRI", "KUBELET", "LOG") and _mount_set(document) \
            and not _provisioning_requested(document.get("provisioning")):
        report.fail("R074", f"mount config for the {go_quote(name)} volume is only supported when it is "
                            "provisioned onto a dedicated partition")
    xfs_options(report, document.get("filesystem"))
    provisioning(report, document.get("provisioning"), required=False, size_supported=True)
    encryption(report, document.get("encryption"))
    trim_and_scrub(report, document)


@document_check("ZswapConfig", "R082")
def zswap_config(document: Document, ctx: Context) -> None:
    """ZswapConfigV1Alpha1.Validate."""
    percent = document.get("maxPoolPercent")
    if isinstance(percent, int) and not isinstance(percent, bool) and not 0 <= percent <= 100:
        Report(ctx, document, "*block.ZswapConfigV1Alpha1").fail("R082", "maxPoolPercent must be between 0 and 100")


@document_check("FilesystemTrimConfig", "R045")
def filesystem_trim_config(document: Document, ctx: Context) -> None:
    """FilesystemTrimConfigV1Alpha1.Validate."""
    report = Report(ctx, document, "*block.FilesystemTrimConfigV1Alpha1")
    interval = report.duration(document.get("interval"))
    if interval is not None and interval < 0:
        report.fail("R045", "interval cannot be negative")


@document_check("FilesystemScrubConfig", "R046")
def filesystem_scrub_config(document: Document, ctx: Context) -> None:
    """FilesystemScrubConfigV1Alpha1.Validate."""
    report = Report(ctx, document, "*block.FilesystemScrubConfigV1Alpha1")
    interval = report.duration(document.get("interval"))
    if interval and interval < MIN_SCRUB_INTERVAL:
        report.fail("R046", "scrub interval: minimum value is 10s")


not_applicable("needs the machine: converts the node's discovered disks to match a selector "
               "(blockhelpers.go, run by the volume controllers on the node)", "R028", "R029")
