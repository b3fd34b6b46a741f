"""Cases for types/storage (v1.14): LVM volume groups and logical volumes, RAID arrays.

From Talos v1.14.0-rc.1 pkg/machinery/config/types/storage/*_test.go, named in each case's source.
"""

from __future__ import annotations

from typing import Any

from . import Case

Document = dict[str, Any]
SELECTOR = {"volumeSelector": {"match": 'disk.transport == "nvme"'}}
LV_TEST = "storage/lvm_logical_volume_config_test.go TestLVMLogicalVolumeConfigValidate"
VG_TEST = "storage/lvm_volume_group_config_test.go TestLVMVolumeGroupConfigValidate"
RAID_TEST = "storage/raid_array_config_test.go TestRAIDArrayConfigValidate"


def group(name: str = "vg-pool", provisioning: Any = None) -> Document:
    return {"apiVersion": "v1alpha1", "kind": "LVMVolumeGroupConfig", "name": name,
            "provisioning": SELECTOR if provisioning is None else provisioning}


def raid(name: str = "data", provisioning: Any = None) -> Document:
    return {"apiVersion": "v1alpha1", "kind": "RAIDArrayConfig", "name": name, "level": "raid1",
            "provisioning": SELECTOR if provisioning is None else provisioning}


def logical(name: str = "lv-data", **fields: Any) -> Document:
    fields.setdefault("provisioning", {"volumeGroup": "vg-pool", "maxSize": "50GiB"})
    return {"apiVersion": "v1alpha1", "kind": "LVMLogicalVolumeConfig", "name": name, "type": "linear", **fields}


CASES = [
    Case("R418", lambda: [group("")], "name is required", source=f"{VG_TEST}/no name"),
    Case("R419", lambda: [group("v" * 64)], "name must be between 1 and 63 characters long",
         source=f"{VG_TEST}/too long name"),
    Case("R420", lambda: [group("vg pool")], "name can only contain ASCII letters, digits, hyphens and underscores",
         source=f"{VG_TEST}/invalid characters in name"),
    Case("R416", lambda: [group(provisioning={})], "provisioning.volumeSelector.match is required",
         source=f"{VG_TEST}/missing selector"),
    Case("R417", lambda: [group(provisioning={"volumeSelector": {"match": "volume.size > 1"}})],
         "provisioning.volumeSelector.match: ERROR: <input>:1:13: found no matching overload for '_>_' applied to "
         "'(uint, int)'", source="storage/lvm_volume_group_config.go ProvisioningSpec.Validate"),
    Case("R423", lambda: [raid("")], "name is required", source=f"{RAID_TEST}/no name"),
    Case("R424", lambda: [raid("r" * 33)], "name must be between 1 and 32 characters long",
         source=f"{RAID_TEST}/too long name"),
    Case("R425", lambda: [raid("md/0")], "name can only contain ASCII letters, digits, hyphens and underscores",
         source=f"{RAID_TEST}/invalid characters in name"),
    Case("R421", lambda: [raid(provisioning={})], "provisioning.volumeSelector.match is required",
         source=f"{RAID_TEST}/missing selector"),
    Case("R422", lambda: [raid(provisioning={"volumeSelector": {"match": "disk.transport = 'virtio'"}})],
         "provisioning.volumeSelector.match: ERROR: <input>:1:16: Syntax error:",
         source="storage/raid_array_config.go RAIDProvisioningSpec.Validate"),
    Case("R405", lambda: [logical("")], "name is required", source=f"{LV_TEST}/no name"),
    Case("R406", lambda: [logical("l" * 64)], "name must be between 1 and 63 characters long",
         source=f"{LV_TEST}/no name"),
    Case("R407", lambda: [logical("lv.data")], "name can only contain ASCII letters, digits, hyphens and underscores",
         source="storage/lvm_logical_volume_config.go Validate"),
    Case("R408", lambda: [logical(mirrors=1)], "mirrors is only valid for raid1/raid10, not linear",
         source=f"{LV_TEST}/mirrors on linear"),
    Case("R409", lambda: [logical(type="raid1", mirrors=0)], "mirrors must be at least 1",
         source="storage/lvm_logical_volume_config.go Validate"),
    Case("R410", lambda: [logical(type="raid1", stripes=2)], "stripes is only valid for raid0/raid10, not raid1",
         source=f"{LV_TEST}/stripes on raid1"),
    Case("R411", lambda: [logical(type="raid0", stripes=1)], "stripes must be at least 2",
         source=f"{LV_TEST}/stripes too low on raid0"),
    Case("R412", lambda: [logical(provisioning={"maxSize": "50GiB"})], "provisioning.volumeGroup is required",
         source=f"{LV_TEST}/missing volume group"),
    Case("R413", lambda: [logical(provisioning={"volumeGroup": "vg-pool"})], "provisioning.maxSize is required",
         source=f"{LV_TEST}/missing max size"),
    Case("R414", lambda: [logical(provisioning={"volumeGroup": "vg-pool", "maxSize": "-5GiB"})],
         "provisioning.maxSize must not be negative", source="storage/lvm_logical_volume_config.go Validate"),
    Case("R415", lambda: [logical(provisioning={"volumeGroup": "vg-pool", "minSize": "100GiB", "maxSize": "50GiB"})],
         "provisioning.minSize must not exceed provisioning.maxSize", source=f"{LV_TEST}/min greater than max"),
    Case("R011", lambda: [logical(type="striped")],
         "error decoding LVMLogicalVolumeConfig to *storage.LVMLogicalVolumeConfigV1Alpha1: yaml: construct errors: "
         "type: striped does not belong to LVMLogicalVolumeType values",
         source="resources/storage lvmlogicalvolumetype_enumer.go"),
]
