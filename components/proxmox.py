"""Talos VMs on Proxmox VE: the Image Factory ISO downloaded once per stack and PVE node, one VmLegacy per node.

A node with an ipAddress boots the nocloud ISO with a cloud-init drive carrying that address, so the
insecure apply reaches it where the definition says; without one, the QEMU guest agent reports it.

Boot order: the disk first, then the ISO. The empty disk fails to boot, so the ISO installs Talos; every
later boot starts from the disk. That matters from Talos v1.8, whose ISOs carry talos.halt_if_installed=1
(siderolabs/talos pkg/imager/imager.go buildCmdline, quirk SupportsHaltIfInstalled) and halt once Talos is
installed (v1alpha1_sequencer.go Initialize → haltIfInstalled in v1alpha1_sequencer_tasks.go); before v1.8 an
ISO booted first would run the ISO's kernel and undo every upgrade. Names, tags and the ISO's file name
carry the stack (components/placement.py), so stacks sharing a Proxmox never touch each other's objects.
"""

from __future__ import annotations

import pulumi
import pulumi_proxmoxve as proxmoxve

from .machines import GUEST_AGENT, Machines, extensions_of, first_guest_address, sorted_tags, static_network
from .placement import check_vm_ids, explicit_vm_ids, iso_file_name, stack_tag, vm_name
from .stack import ROOT, ProxmoxSettings
from .talos.definition.model import ClusterDefinition, NodeDefinition
from .talos.definition.render import node_image
from .talos.errors import ConfigError


def check_proxmox_nodes(definition: ClusterDefinition) -> None:
    """Refuse what cannot work before any resource exists."""
    explicit_vm_ids(definition)
    for node in definition.nodes:
        if node.proxmox is None:
            continue
        if node.ip_address:
            static_network(definition, node)
        elif GUEST_AGENT not in extensions_of(node):
            raise ConfigError(f"{definition.source}: nodes[{node.index}] ({node.hostname}): without ipAddress the "
                              f"address comes from the QEMU guest agent; add {GUEST_AGENT} to the schematic")


def check_shared_proxmox(definition: ClusterDefinition, settings: ProxmoxSettings) -> None:
    """Explicit vmIds against the project's other stacks on the same endpoint, before any resource exists."""
    check_vm_ids(definition, ROOT, pulumi.get_stack(), settings.endpoint)


class ProxmoxMachines(pulumi.ComponentResource):
    machines: Machines

    def __init__(self, name: str, definition: ClusterDefinition, settings: ProxmoxSettings,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("talos-cluster:index:ProxmoxMachines", name, {}, opts)
        check_proxmox_nodes(definition)
        check_shared_proxmox(definition, settings)
        self.stack = pulumi.get_stack()
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
        """One ISO per stack, PVE node, datastore and image: the stack's nodes sharing a schematic share the
        download, and no other stack's download or destroy touches it."""
        assert node.proxmox is not None
        image = node_image(definition, node)
        file_name = iso_file_name(self.stack, image)
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
            f"{self._name}-{node.hostname}", node_name=machine.node, vm_id=machine.vm_id,
            name=vm_name(self.stack, node.hostname),
            description=f"Talos Linux {node.role} {node.hostname} of {definition.cluster_name} (Pulumi stack "
                        f"{self.stack})",
            tags=sorted_tags("talos", definition.cluster_name, node.role, stack_tag(self.stack)),
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
            # the empty disk fails to boot, so the ISO installs; then the disk boots first (module docstring)
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
