"""Rendering one node's machine config from the definition, in talhelper's order.

base config (gen config options) -> the node's own fields as a patch -> group patches -> node
patches -> global patches.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..documents import encode
from ..generate import CNI, GenerateInput, generate_config
from ..imagefactory import FactoryImage, schematic_id
from ..patching import StrategicPatch, apply_patches
from ..secrets import SecretsBundle
from ..validation import check_machine_config
from ..versions import parse_contract
from .model import ClusterDefinition, NodeDefinition
from .talpatches import refuse_templates, talhelper_patches, templated_fields, without_templated_fields

Document = dict[str, Any]
_FACTORY_PLATFORM = {"proxmox": "nocloud", "vultr": "vultr", "existing": "metal"}


def node_image(definition: ClusterDefinition, node: NodeDefinition) -> FactoryImage:
    """The node's Image Factory image: its schematic, Talos version, platform and arch."""
    schematic = node.values.get("schematic")
    return FactoryImage(schematic_id(schematic, f"{definition.source}: nodes[{node.index}].schematic"),
                        definition.talos_version, _FACTORY_PLATFORM[node.platform], node.arch)


def installer_image(definition: ClusterDefinition, node: NodeDefinition) -> str:
    if node.values.get("talosImageURL"):
        return f"{node.values['talosImageURL']}:{definition.talos_version}"
    image = node_image(definition, node)
    # the factory serves platform-specific installers for Talos 1.10 and newer
    return image.installer_image if parse_contract(definition.talos_version).greater(1, 9) \
        else image.legacy_installer_image


def generate_input(definition: ClusterDefinition, node: NodeDefinition, secrets: SecretsBundle) -> GenerateInput:
    cni = definition.cni
    gen = GenerateInput(
        cluster_name=definition.cluster_name,
        endpoint=definition.endpoint,
        kubernetes_version=definition.kubernetes_version,
        secrets=secrets,
        contract=parse_contract(definition.talos_version),
        additional_sans=list(definition.additional_api_server_cert_sans),
        allow_scheduling_on_control_planes=definition.allow_scheduling_on_control_planes,
        dns_domain=definition.domain,
        install_disk=str(node.values.get("installDisk") or ""),
        install_image=installer_image(definition, node),
        cni=CNI(cni["name"], list(cni.get("urls") or [])) if cni else None,
    )
    if definition.pod_subnets:
        gen.pod_subnets = list(definition.pod_subnets)
    if definition.service_subnets:
        gen.service_subnets = list(definition.service_subnets)
    return gen


def _network_documents(values: dict[str, Any]) -> list[Document]:
    """Contracts v1.12+: interfaces and nameservers as LinkConfig/DHCPv4Config/Layer2VIPConfig/ResolverConfig."""
    documents: list[Document] = []
    for interface in values.get("networkInterfaces") or []:
        name = interface.get("interface")
        link: Document = {"apiVersion": "v1alpha1", "kind": "LinkConfig", "name": name}
        if interface.get("mtu"):
            link["mtu"] = interface["mtu"]
        if interface.get("addresses"):
            link["addresses"] = [{"address": address} for address in interface["addresses"]]
        if interface.get("routes"):
            link["routes"] = [{k: v for k, v in (("destination", route.get("network")),
                                                 ("gateway", route.get("gateway")),
                                                 ("metric", route.get("metric"))) if v is not None}
                              for route in interface["routes"]]
        documents.append(link)
        if interface.get("dhcp"):
            documents.append({"apiVersion": "v1alpha1", "kind": "DHCPv4Config", "name": name})
        if (interface.get("vip") or {}).get("ip"):
            documents.append({"apiVersion": "v1alpha1", "kind": "Layer2VIPConfig",
                              "name": interface["vip"]["ip"], "link": name})
    if values.get("nameservers"):
        documents.append({"apiVersion": "v1alpha1", "kind": "ResolverConfig",
                          "nameservers": [{"address": server} for server in values["nameservers"]]})
    return documents


def node_field_patch(definition: ClusterDefinition, node: NodeDefinition) -> list[Document]:
    """The node's talhelper fields, as a strategic patch."""
    values = node.values
    contract = parse_contract(definition.talos_version)
    machine: dict[str, Any] = {}
    network: dict[str, Any] = {}
    documents: list[Document] = []
    if contract.multidoc_network_config:
        documents.append({"apiVersion": "v1alpha1", "kind": "HostnameConfig", "hostname": node.hostname,
                          "auto": {"$patch": "delete"}})
        documents += _network_documents(values)
    else:
        network["hostname"] = node.hostname
        for field in ("interfaces", "nameservers"):
            source = "networkInterfaces" if field == "interfaces" else field
            if values.get(source):
                network[field] = values[source]
    if values.get("disableSearchDomain"):
        network["disableSearchDomain"] = True
    if network:
        machine["network"] = network
    sans = list(definition.additional_machine_cert_sans) + list(values.get("certSANs") or [])
    if sans:
        machine["certSANs"] = sans
    install: dict[str, Any] = {}
    if values.get("installDiskSelector"):
        install["diskSelector"] = values["installDiskSelector"]
    kernel_args = ((values.get("schematic") or {}).get("customization") or {}).get("extraKernelArgs")
    if kernel_args and not contract.greater(1, 11):  # talhelper: only before UKI-era contracts
        install["extraKernelArgs"] = list(kernel_args)
    if install:
        machine["install"] = install
    for field, target in (("nodeLabels", "nodeLabels"), ("nodeAnnotations", "nodeAnnotations"),
                          ("nodeTaints", "nodeTaints"), ("machineFiles", "files")):
        if values.get(field):
            machine[target] = values[field]
    if values.get("kernelModules"):
        machine["kernel"] = {"modules": values["kernelModules"]}
    if machine:
        documents.insert(0, {"machine": machine})
    return documents


def render_node(definition: ClusterDefinition, node: NodeDefinition, secrets: SecretsBundle) -> list[Document]:
    base_dir = Path(definition.source).parent
    documents = generate_config(generate_input(definition, node, secrets), node.role)
    label = f"nodes[{node.index}] ({node.hostname})"
    documents = apply_patches(documents, [StrategicPatch(node_field_patch(definition, without_templated_fields(node)),
                                                         f"{label} fields")])
    documents = apply_patches(documents, [StrategicPatch(templated_fields(node, documents), f"{label} fields")])
    # Two passes, as talhelper's GenerateConfig: global patches render against the node-patched config.
    for patches, patch_label in ((node.patches, f"{label} patch"), (definition.patches, "patches[]")):
        documents = apply_patches(documents, talhelper_patches(patches, base_dir, patch_label, documents,
                                                               definition.environ))
    refuse_templates(documents, label)
    # a shape-only render (validation, previews) has empty secrets: check their fields' presence only
    check_machine_config(documents, f"{definition.source}: {label}", placeholder_secrets=not secrets.os.key)
    return documents


def render_node_text(definition: ClusterDefinition, node: NodeDefinition, secrets: SecretsBundle) -> str:
    return encode(render_node(definition, node, secrets))
