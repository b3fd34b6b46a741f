"""Talos's CEL environments (pkg/machinery/cel/celenv/celenv.go): the variables, message fields and functions each
kind of selector may use, per Talos release."""

from __future__ import annotations

import functools

from .types import (
    BOOL,
    BYTES,
    DOUBLE,
    DURATION,
    DYN,
    INT,
    STRING,
    UINT,
    UNKNOWN,
    CelType,
    Environment,
    list_of,
    map_of,
    message,
    overload,
)

_UNITS = ("KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "kB", "MB", "GB", "TB", "PB", "EB")
_QOS_CLASSES = ("Besteffort", "Burstable", "Guaranteed", "Podruntime", "System")
_DISK = "talos.resource.definitions.block.DiskSpec"
_VOLUME = "talos.resource.definitions.block.DiscoveredVolumeSpec"
_LINK = "talos.resource.definitions.network.LinkStatusSpec"
_GLOB = {"glob": (overload(BOOL, STRING, STRING),)}


def _disk_fields(minor: int) -> dict[str, CelType]:
    # api/resource/definitions/block/block.proto DiskSpec (firmware_version from v1.14)
    fields = {"size": UINT, "io_size": UINT, "sector_size": UINT, "readonly": BOOL, "model": STRING,
              "serial": STRING, "modalias": STRING, "wwid": STRING, "bus_path": STRING, "sub_system": STRING,
              "transport": STRING, "rotational": BOOL, "cdrom": BOOL, "dev_path": STRING, "pretty_size": STRING,
              "secondary_disks": list_of(STRING), "uuid": STRING, "symlinks": list_of(STRING)}
    if minor >= 14:
        fields["firmware_version"] = STRING
    return fields


# api/resource/definitions/block/block.proto DiscoveredVolumeSpec
_VOLUME_FIELDS = {"size": UINT, "sector_size": UINT, "io_size": UINT, "name": STRING, "uuid": STRING,
                  "label": STRING, "block_size": UINT, "filesystem_block_size": UINT, "probed_size": UINT,
                  "partition_uuid": STRING, "partition_type": STRING, "partition_label": STRING,
                  "partition_index": UINT, "type": STRING, "device_path": STRING, "parent": STRING,
                  "dev_path": STRING, "parent_dev_path": STRING, "pretty_size": STRING, "offset": UINT}
# api/resource/definitions/network/network.proto LinkStatusSpec; enums are int, nested messages left unknown
_LINK_FIELDS = {"index": UINT, "type": INT, "link_index": UINT, "flags": UINT, "hardware_addr": BYTES,
                "broadcast_addr": BYTES, "mtu": UINT, "queue_disc": STRING, "master_index": UINT,
                "operational_state": INT, "kind": STRING, "slave_kind": STRING, "bus_path": STRING, "pciid": STRING,
                "driver": STRING, "driver_version": STRING, "firmware_version": STRING, "product_id": STRING,
                "vendor_id": STRING, "product": STRING, "vendor": STRING, "link_state": BOOL,
                "speed_megabits": INT, "port": INT, "duplex": INT, "vlan": UNKNOWN, "bridge_master": UNKNOWN,
                "bond_master": UNKNOWN, "wireguard": UNKNOWN, "permanent_addr": BYTES, "alias": STRING,
                "alt_names": list_of(STRING), "vrf_master": UNKNOWN, "veth": UNKNOWN}


@functools.cache
def disk_locator(minor: int = 14) -> Environment:
    variables = {"disk": message(_DISK), "system_disk": BOOL, **dict.fromkeys(_UNITS, UINT)}
    return Environment("DiskLocator", variables, {_DISK: _disk_fields(minor)}, _GLOB)


@functools.cache
def volume_locator(minor: int = 14) -> Environment:
    variables = {"volume": message(_VOLUME), "disk": message(_DISK), **dict.fromkeys(_UNITS, UINT)}
    return Environment("VolumeLocator", variables, {_VOLUME: _VOLUME_FIELDS, _DISK: _disk_fields(minor)})


@functools.cache
def oom_trigger() -> Environment:
    qos = map_of(INT, DOUBLE)
    variables: dict[str, CelType] = {}
    for prefix in ("", "d_"):
        for pressure in ("some", "full"):
            for window in ("avg10", "avg60", "avg300", "total"):
                variables[f"{prefix}memory_{pressure}_{window}"] = DOUBLE
                variables[f"{prefix}qos_memory_{pressure}_{window}"] = qos
        for usage in ("current", "peak", "max"):
            variables[f"{prefix}qos_memory_{usage}"] = qos
    variables["time_since_trigger"] = DURATION
    variables.update(dict.fromkeys(_UNITS, UINT))
    variables.update(dict.fromkeys(_QOS_CLASSES, INT))
    functions = {"multiply_qos_vectors": (overload(DOUBLE, map_of(DYN, DOUBLE), map_of(DYN, DOUBLE)),)}
    return Environment("OOMTrigger", variables, functions=functions, optional_types=True)


@functools.cache
def oom_cgroup_scoring() -> Environment:
    optional_uint = CelType("optional", params=(UINT,))
    variables = {"memory_max": optional_uint, "memory_current": optional_uint, "memory_peak": optional_uint,
                 "path": STRING, "class": INT, **dict.fromkeys(_UNITS, UINT), **dict.fromkeys(_QOS_CLASSES, INT)}
    return Environment("OOMCgroupScoring", variables, optional_types=True)


@functools.cache
def link_locator() -> Environment:
    functions = {**_GLOB, "mac": (overload(STRING, BYTES),)}
    return Environment("LinkLocator", {"link": message(_LINK)}, {_LINK: _LINK_FIELDS}, functions)


def environment(name: str, minor: int) -> Environment:
    """Talos's environment by its celenv name, as Talos v1.`minor` declares it."""
    if name == "DiskLocator":
        return disk_locator(minor)
    if name == "VolumeLocator":
        return volume_locator(minor)
    return {"OOMTrigger": oom_trigger, "OOMCgroupScoring": oom_cgroup_scoring, "LinkLocator": link_locator}[name]()
