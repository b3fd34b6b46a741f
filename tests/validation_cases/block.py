"""Cases for types/block: system and user volumes, encryption, sizes, trim, scrub, zswap.

From Talos v1.14.0-rc.1 pkg/machinery/config/types/block/*_test.go (named in each case's source); the rest are
built for the rule from its site.
"""

from __future__ import annotations

from typing import Any

from . import Case

Document = dict[str, Any]
VOLUME_TEST = "block/volume_config_test.go TestVolumeConfigValidate"
USER_TEST = "block/user_volume_config_test.go TestUserVolumeConfigValidate"
RAW_TEST = "block/raw_volume_config_test.go TestRawVolumeConfigValidate"
SWAP_TEST = "block/swap_volume_config_test.go TestSwapVolumeConfigValidate"
EXISTING_TEST = "block/existing_volume_config_test.go TestExistingVolumeConfigValidate"
EXTERNAL_TEST = "block/external_volume_config_test.go TestExternalVolumeConfigValidate"


def doc(kind: str, **fields: Any) -> Document:
    return {"apiVersion": "v1alpha1", "kind": kind, **fields}


def volume(name: str = "EPHEMERAL", **fields: Any) -> Document:
    return doc("VolumeConfig", name=name, **fields)


def user(name: str = "data", **fields: Any) -> Document:
    fields.setdefault("provisioning", {"diskSelector": {"match": "!system_disk"}, "minSize": "10GiB"})
    return doc("UserVolumeConfig", name=name, **fields)


def luks(*keys: Document, provider: str = "luks2") -> Document:
    return {"provider": provider, "keys": list(keys)}


STATIC = {"slot": 0, "static": {"passphrase": "topsecret"}}
SELECTOR = {"diskSelector": {"match": "!system_disk"}, "minSize": "10GiB"}

CASES = [
    Case("R069", lambda: [volume("wrong")],
         'only ["STATE" "EPHEMERAL" "IMAGECACHE" "ETCD" "CRI" "KUBELET" "LOG"] volumes are supported',
         source=f"{VOLUME_TEST}/wrong name"),
    Case("R069", lambda: [volume("ETCD")], 'only ["STATE" "EPHEMERAL" "IMAGECACHE"] volumes are supported',
         minor=13, source="v1.13.9 block/volume_config.go: ETCD is not a system volume before v1.14"),
    Case("R070", lambda: [volume("STATE", mount={"secure": False})],
         'mount config is not allowed for the "STATE" volume', source=f"{VOLUME_TEST}/mount spec for STATE volume"),
    Case("R071", lambda: [volume("STATE", provisioning={"minSize": "2.5GiB", "maxSize": "10GiB"})],
         'provisioning config is not allowed for the "STATE" volume', minor=12,
         source=f"{VOLUME_TEST}/state provisioning config"),
    Case("R072", lambda: [volume("STATE", encryption=luks({**STATIC, "lockToState": True}))],
         'state-locked key is not allowed for the "STATE" volume',
         source=f"{VOLUME_TEST}/state encryption lock to state"),
    Case("R073", lambda: [volume("IMAGECACHE", filesystem={"xfs": {"minAllocationGroupSize": "128GiB"}})],
         'filesystem config is not allowed for the "IMAGECACHE" volume',
         source=f"{VOLUME_TEST}/filesystem config for image cache"),
    Case("R074", lambda: [volume("ETCD", mount={"secure": False})],
         'mount config for the "ETCD" volume is only supported when it is provisioned onto a dedicated partition',
         source=f"{VOLUME_TEST}/mount spec for ETCD volume without provisioning"),
    Case("R075", lambda: [volume(provisioning={"diskSelector": {"match": "disk.size > 120"}})],
         "disk selector is invalid: ERROR: <input>:1:11: found no matching overload for '_>_' applied to "
         "'(uint, int)'\n | disk.size > 120\n | ..........^", source=f"{VOLUME_TEST}/invalid disk selector"),
    Case("R076", lambda: [user(provisioning={"minSize": "2.5TiB", "maxSize": "10GiB"})],
         "disk selector is required", source=f"{USER_TEST}/min size greater than max size"),
    Case("R077", lambda: [volume(provisioning={"minSize": "2.5TiB", "maxSize": "10GiB"})],
         "min size is greater than max size", source=f"{VOLUME_TEST}/min size greater than max size"),
    Case("R078", lambda: [user(provisioning={"diskSelector": {"match": "system_disk"}})],
         "min size or max size is required", source=f"{USER_TEST}/invalid disk selector"),
    Case("R079", lambda: [volume(provisioning={"minSize": "-10GiB", "maxSize": "10GiB"})],
         "min size cannot be negative", minor=13, source=f"{VOLUME_TEST}/min size negative"),
    Case("R080", lambda: [user(volumeType="disk", filesystem={"type": "ext4"},
                               provisioning={"diskSelector": {"match": "disk.size > 120u * GiB"},
                                             "minSize": "10GiB", "maxSize": "2.5TiB"})],
         "min size, max size and grow are not supported", source=f"{USER_TEST}/size for disk"),
    Case("R030", lambda: [volume("STATE", encryption=luks(STATIC, provider="none"))],
         "unsupported encryption provider: none", source=f"{RAW_TEST}/no encryption provider"),
    Case("R031", lambda: [doc("RawVolumeConfig", name="raw", provisioning=SELECTOR, encryption={"provider": "luks2"})],
         "encryption keys are required", source=f"{RAW_TEST}/no encryption keys"),
    Case("R032", lambda: [volume("STATE", encryption=luks({"slot": 1, "tpm": {}}, {"slot": 1, "nodeID": {}}))],
         "duplicate key slot 1", source=f"{RAW_TEST}/invalid encryption key slots"),
    Case("R033", lambda: [volume("STATE", encryption=luks({"slot": 0}))],
         "at least one encryption key type must be specified for slot 0",
         source=f"{RAW_TEST}/invalid encryption key slots"),
    Case("R034", lambda: [volume("STATE", encryption=luks({"slot": 0, "tpm": {"options": {"pcrs": [24, 25]}}}))],
         "TPM PCR 24 is out of range (0-23)", source=f"{VOLUME_TEST}/invalid pcrs"),
    # block/size.go sends any text with a '%' to PercentageSize, so a '%' inside the text reaches this check
    Case("R047", lambda: [volume(provisioning={"maxSize": "50%GiB"})], "percentage must end with '%'",
         source="block/percentage_size.go UnmarshalText"),
    Case("R048", lambda: [volume(provisioning={"maxSize": "fifty%"})],
         'invalid percentage value: strconv.ParseFloat: parsing "fifty": invalid syntax',
         source="block/percentage_size.go UnmarshalText"),
    Case("R049", lambda: [volume(provisioning={"maxSize": "150%"})],
         "percentage must be between 0 and 100, got 150", source="block/percentage_size.go UnmarshalText"),
    Case("R053", lambda: [volume(scrub={"enabled": True, "interval": "5s"})],
         "scrub interval: minimum value is 10s", source="block/scrub.go ScrubConfig.Validate"),
    Case("R057", lambda: [user(trim={"interval": "-1h"})], "trim interval cannot be negative",
         source="block/trim.go TrimConfig.Validate"),
    Case("R045", lambda: [doc("FilesystemTrimConfig", interval="-1m")], "interval cannot be negative",
         source="block/filesystem_trim_config_test.go TestFilesystemTrimConfigValidate/negative interval"),
    Case("R046", lambda: [doc("FilesystemScrubConfig", interval="1s")], "scrub interval: minimum value is 10s",
         source="block/fs_scrub_test.go TestFilesystemScrubConfigValidate/too small interval"),
    Case("R082", lambda: [doc("ZswapConfig", maxPoolPercent=150)], "maxPoolPercent must be between 0 and 100",
         source="block/zswap_config_test.go TestZswapVolumeConfigValidate/invalid percent"),
    # user volumes
    Case("R058", lambda: [user("")], "name is required", source=f"{USER_TEST}/no name"),
    Case("R059", lambda: [user("a" * 35)], "name must be between 1 and 34 characters long",
         source=f"{USER_TEST}/too long name"),
    Case("R060", lambda: [user("data_1")],
         "name can only contain lowercase and uppercase ASCII letters, digits, and hyphens",
         source=f"{USER_TEST}/invalid characters in name"),
    Case("R061", lambda: [user(volumeType="directory")], "provisioning spec is invalid for volumeType directory",
         source=f"{USER_TEST}/provisioning spec for directory"),
    Case("R062", lambda: [user(volumeType="directory", provisioning=None, encryption=luks({"slot": 0, "tpm": {}}))],
         "encryption spec is invalid for volumeType directory", source=f"{USER_TEST}/encryption spec for directory"),
    Case("R063", lambda: [user(volumeType="directory", provisioning=None, filesystem={"type": "vfat"})],
         "filesystem spec is invalid for volumeType directory", source=f"{USER_TEST}/filesystem spec for directory"),
    Case("R064", lambda: [user(volumeType="directory", provisioning=None, mount={"secure": False})],
         "mount spec is invalid for volumeType directory", minor=13,
         source="block/user_volume_config.go: mount options need a volume of their own"),
    Case("R065", lambda: [user(volumeType="tmpfs")], 'unsupported volume type "tmpfs"',
         source=f"{USER_TEST}/invalid volumeType"),
    Case("R066", lambda: [user(filesystem={"type": "iso9660"})], "unsupported filesystem type: iso9660",
         source=f"{USER_TEST}/unsupported filesystem type"),
    Case("R011", lambda: [user(filesystem={"type": "btrfs"})], "btrfs does not belong to FilesystemType values",
         minor=13, source="v1.13.9 resources/block: btrfs is a filesystem type from v1.14"),
    Case("R067", lambda: [user(filesystem={"type": "ext4", "projectQuotaSupport": True})],
         "project quota support is only available for xfs filesystem", source=f"{USER_TEST}/prjquota not supported"),
    Case("R068", lambda: [user(filesystem={"type": "ext4", "xfs": {"minAllocationGroupSize": "128GiB"}})],
         "xfs options are only available for xfs filesystem", source=f"{USER_TEST}/xfs options not supported"),
    Case("R050", lambda: [doc("RawVolumeConfig", name="", provisioning=SELECTOR)], "name is required",
         source=f"{RAW_TEST}/no name"),
    Case("R051", lambda: [doc("RawVolumeConfig", name="b" * 40, provisioning=SELECTOR)],
         "name must be between 1 and 34 characters long", source=f"{RAW_TEST}/too long name"),
    Case("R052", lambda: [doc("RawVolumeConfig", name="ceph data", provisioning=SELECTOR)],
         "name can only contain lowercase and uppercase ASCII letters, digits, and hyphens",
         source=f"{RAW_TEST}/invalid characters in name"),
    Case("R054", lambda: [doc("SwapVolumeConfig", name="", provisioning=SELECTOR)], "name is required",
         source=f"{SWAP_TEST}/no name"),
    Case("R055", lambda: [doc("SwapVolumeConfig", name="s" * 35, provisioning=SELECTOR)],
         "name must be between 1 and 34 characters long", source=f"{SWAP_TEST}/too long name"),
    Case("R056", lambda: [doc("SwapVolumeConfig", name="swap.1", provisioning=SELECTOR)],
         "name can only contain lowercase and uppercase ASCII letters, digits, and hyphens",
         source=f"{SWAP_TEST}/invalid characters in name"),
    Case("R035", lambda: [doc("ExistingVolumeConfig", name="",
                              discovery={"volumeSelector": {"match": "volume.label == 'x'"}})],
         "name is required", source=f"{EXISTING_TEST}/no name"),
    Case("R036", lambda: [doc("ExistingVolumeConfig", name="my volume",
                              discovery={"volumeSelector": {"match": "volume.label == 'x'"}})],
         "name can only contain lowercase and uppercase ASCII letters, digits, and hyphens",
         source=f"{EXISTING_TEST}/invalid characters in name"),
    Case("R037", lambda: [doc("ExistingVolumeConfig", name="data",
                              discovery={"volumeSelector": {"match": "volume.partition_label == 3"}})],
         "volume selector is invalid: ERROR: <input>:1:24: found no matching overload for '_==_' applied to "
         "'(string, int)'\n | volume.partition_label == 3\n | .......................^",
         source=f"{EXISTING_TEST}/invalid volume selector"),
    Case("R038", lambda: [doc("ExistingVolumeConfig", name="data")], "volume selector is required",
         source="block/existing_volume_config.go VolumeDiscoverySpec.Validate(required)"),
    Case("R039", lambda: [doc("ExternalVolumeConfig", name="", filesystemType="virtiofs",
                              mount={"virtiofs": {"tag": "Data"}})], "name is required", minor=13,
         source=f"{EXTERNAL_TEST}/no name"),
    Case("R040", lambda: [doc("ExternalVolumeConfig", name="x" * 35, filesystemType="virtiofs",
                              mount={"virtiofs": {"tag": "Data"}})],
         "name must be between 1 and 34 characters long", source="block/external_volume_config.go Validate"),
    Case("R041", lambda: [doc("ExternalVolumeConfig", name="a/b", filesystemType="virtiofs",
                              mount={"virtiofs": {"tag": "Data"}})],
         "name can only contain lowercase and uppercase ASCII letters, digits, and hyphens",
         source=f"{EXTERNAL_TEST}/invalid characters in name"),
    Case("R042", lambda: [doc("ExternalVolumeConfig", name="share", filesystemType="ext4")],
         "invalid filesystem type: ext4", source=f"{EXTERNAL_TEST}/invalid type"),
    Case("R043", lambda: [doc("ExternalVolumeConfig", name="share", filesystemType="virtiofs")],
         "virtiofs mount spec is required", source=f"{EXTERNAL_TEST}/no mount spec"),
    Case("R044", lambda: [doc("ExternalVolumeConfig", name="share", filesystemType="virtiofs",
                              mount={"virtiofs": {}})], "virtiofs tag is required",
         source="block/external_volume_config.go VirtiofsMountSpec.Validate"),
    # values the decoder refuses before Validate runs (decoder.go: error decoding <kind> to <type>)
    Case("R011", lambda: [volume(provisioning={"maxSize": "10 gigs"})],
         "error decoding VolumeConfig to *block.VolumeConfigV1Alpha1: yaml: construct errors: provisioning.maxSize: "
         "unhandled size name: gigs",
         source="block/byte_size.go UnmarshalText (humanize.ParseBytes)"),
    Case("R011", lambda: [volume(provisioning={"minSize": "-10GiB"})],
         "error decoding VolumeConfig to *block.VolumeConfigV1Alpha1: yaml: unmarshal errors: provisioning.minSize: "
         'strconv.ParseFloat: parsing "": invalid syntax', minor=12,
         source="v1.12.9 block/byte_size.go: no negative sizes before v1.13"),
    Case("R011", lambda: [user(volumeType="ramdisk")],
         "error decoding UserVolumeConfig to *block.UserVolumeConfigV1Alpha1: yaml: construct errors: volumeType: "
         "ramdisk does not belong to VolumeType values",
         source="resources/block volumetype_enumer.go VolumeTypeString"),
    Case("R011", lambda: [doc("FilesystemTrimConfig", interval="weekly")],
         "error decoding FilesystemTrimConfig to *block.FilesystemTrimConfigV1Alpha1: yaml: construct errors: "
         "interval: cannot construct !!str `weekly` into time.Duration",
         source="go-yaml v4.0.0-rc.6 constructor.go: a duration is a Go duration string"),
]
