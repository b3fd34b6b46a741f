"""Talos VMs on Proxmox VE: the Image Factory ISO downloaded once per PVE node, one VmLegacy per node.

A node with an ipAddress boots the nocloud ISO with a cloud-init drive carrying that address, so the
insecure apply reaches it where the definition says; without one, the QEMU guest agent reports it.
"""

from __future__ import annotations

import pulumi
import pulumi_proxmoxve as proxmoxve

from .machines import GUEST_AGENT, Machines, extensions_of, first_guest_address, sorted_tags, static_network
from .stack import ProxmoxSettings
from .talos.definition.model import ClusterDefinition, NodeDefinition
from .talos.definition.render import node_image
from .talos.errors import ConfigError


def check_proxmox_nodes(definition: ClusterDefinition) -> None:
    """Refuse what cannot work before any resource exists."""
    for node in definition.nodes:
        if node.proxmox is None:
            continue
        if node.ip_address:
            static_network(definition, node)
        elif GUEST_AGENT not in extensions_of(node):
            raise ConfigError(f"{definition.source}: nodes[{node.index}] ({node.hostname}): without ipAddress the "
                              f"address comes from the QEMU guest agent; add {GUEST_AGENT} to the schematic")


class ProxmoxMachines(pulumi.ComponentResource):
    machines: Machines

    def __init__(self, name: str, definition: ClusterDefinition, settings: ProxmoxSettings,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("talos-cluster:index:ProxmoxMachines", name, {}, opts)
        check_proxmox_nodes(definition)
        self.provider = proxmoxve.Provider(f"{name}-provider", endpoint=settings.endpoint,
                                           api_token=settings.api_token, insecure=settings.insecure,
                                           opts=pulumi.ResourceOptions(parent=self))
        self.images: dict[str, proxmoxve.download.File] = {}
        self.vms: dict[str, proxmoxve.VmLegacy] = {}
        self.machines = Machines()
        for node in definition.nodes:
            if node.proxmox is not None:
                self._vm(definition, node)
        self.register_outputs({"images": {key: image.id for key, image in self.images.items()}})

    def _options(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, provider=self.provider)

    def _image(self, definition: ClusterDefinition, node: NodeDefinition) -> proxmoxve.download.File:
        """One ISO per PVE node, datastore and image: nodes sharing a schematic share the download."""
        assert node.proxmox is not None
        image = node_image(definition, node)
        file_name = f"talos-{image.talos_version}-{image.schematic_id[:12]}-{image.platform}-{image.arch}.iso"
        key = f"{node.proxmox.node}/{node.proxmox.image_datastore}/{file_name}"
        if key not in self.images:
            self.images[key] = proxmoxve.download.File(
                f"{self._name}-{node.proxmox.node}-{file_name.removesuffix('.iso')}", content_type="iso",
                datastore_id=node.proxmox.image_datastore, node_name=node.proxmox.node, url=image.iso_url,
                file_name=file_name, overwrite=False, opts=self._options())
            self.machines.images[key] = self.images[key].id
        return self.images[key]

    def _vm(self, definition: ClusterDefinition, node: NodeDefinition) -> None:
        machine = node.proxmox
        assert machine is not None
        iso = self._image(definition, node)
        initialization = None
        if node.ip_address:
            network = static_network(definition, node)
            initialization = proxmoxve.VmLegacyInitializationArgs(
                datastore_id=machine.datastore, interface="ide0",
                ip_configs=[proxmoxve.VmLegacyInitializationIpConfigArgs(
                    ipv4=proxmoxve.VmLegacyInitializationIpConfigIpv4Args(address=network.address,
                                                                          gateway=network.gateway))],
                dns=proxmoxve.VmLegacyInitializationDnsArgs(servers=network.nameservers) if network.nameservers
                else None)
        vm = proxmoxve.VmLegacy(
            f"{self._name}-{node.hostname}", node_name=machine.node, vm_id=machine.vm_id, name=node.hostname,
            description=f"Talos Linux {node.role} of {definition.cluster_name} (managed by Pulumi)",
            tags=sorted_tags("talos", definition.cluster_name, node.role),
            machine="q35", bios="ovmf",
            efi_disk=proxmoxve.VmLegacyEfiDiskArgs(datastore_id=machine.datastore, type="4m", pre_enrolled_keys=False),
            cpu=proxmoxve.VmLegacyCpuArgs(cores=machine.cores, type=machine.cpu_type),
            memory=proxmoxve.VmLegacyMemoryArgs(dedicated=machine.memory),
            operating_system=proxmoxve.VmLegacyOperatingSystemArgs(type="l26"), scsi_hardware="virtio-scsi-single",
            agent=proxmoxve.VmLegacyAgentArgs(enabled=GUEST_AGENT in extensions_of(node)),
            disks=[proxmoxve.VmLegacyDiskArgs(interface="scsi0", datastore_id=machine.datastore,
                                              size=machine.disk_size, file_format="raw", discard="on", ssd=True,
                                              iothread=True)],
            cdrom=proxmoxve.VmLegacyCdromArgs(file_id=iso.id, interface="ide2"),
            # the empty disk fails to boot, so the ISO runs; once Talos is installed the disk boots first
            boot_orders=["scsi0", "ide2"],
            network_devices=[proxmoxve.VmLegacyNetworkDeviceArgs(bridge=machine.bridge, model="virtio",
                                                                 vlan_id=machine.vlan)],
            initialization=initialization, on_boot=True, started=True, stop_on_destroy=True,
            opts=self._options())
        self.vms[node.hostname] = vm
        address: pulumi.Input[str] = node.addresses[0] if node.ip_address else pulumi.Output.all(
            vm.network_interface_names, vm.ipv4_addresses).apply(lambda found: first_guest_address(*found))
        self.machines.addresses[node.hostname] = address
        self.machines.resources[node.hostname] = [vm]
