"""Resources an emulated node serves beyond the cluster ones: its machine config, hostname and disks.
Each exists only where Talos has it; the rest is refused by the caller as an unsupported type."""

from __future__ import annotations

from typing import Any

from components.talos.versions import contract_of

from .node import EmulatedNode

MACHINE_CONFIGS = "MachineConfigs.config.talos.dev"
HOSTNAME_STATUSES = "HostnameStatuses.net.talos.dev"
DISKS = "Disks.block.talos.dev"
# pkg/machinery/resources/{config,network,block}: each type's namespace (block's is "runtime").
NAMESPACES = {MACHINE_CONFIGS: "config", HOSTNAME_STATUSES: "network", DISKS: "runtime"}
DISK_SIZE = 10 * 1024**3  # the size the emulator's storage.Disks reports too


def served(node: EmulatedNode, type_: str) -> list[tuple[str, Any]] | None:
    """(id, spec) of each resource of `type_`, or None when this module does not model the type."""
    if type_ == MACHINE_CONFIGS:
        # config.MachineConfig (machine_config.go): id "v1alpha1", the spec is the config's text, which
        # talosctl edit/patch read back whole (cmd/talosctl/cmd/talos/patch.go extractMachineConfigBody).
        return [] if node.config is None else [("v1alpha1", node.config.text.decode())]
    if type_ == HOSTNAME_STATUSES:
        hostname, _, domain = node.hostname.partition(".")
        return [("hostname", {"hostname": hostname, "domainname": domain})]
    if type_ == DISKS:
        if not contract_of(node.version).greater(1, 7):  # block.Disk arrived in Talos v1.8
            return None
        return [("sda", {"dev_path": "/dev/sda", "size": DISK_SIZE, "pretty_size": "11 GB", "readonly": False,
                         "transport": "virtio", "rotational": True, "model": "QEMU HARDDISK", "serial": "",
                         "wwid": "", "bus_path": "/pci0000:00/0000:00:05.0/virtio2/host2/target2:0:0/2:0:0:0"})]
    return None
