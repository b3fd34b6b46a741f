"""Rendering one node's machine config from the definition, in talhelper's order.

base config (gen config options) -> the node's own fields as a patch -> group patches -> node
patches -> global patches.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..documents import encode
from ..errors import ConfigError, TalosError
from ..generate import CNI, GenerateInput, generate_config
from ..imagefactory import FactoryImage, schematic_id
from ..patching import StrategicPatch, apply_patches
from ..secrets import SecretsBundle
from ..validation import Mode, check_config
from ..versions import parse_contract
from .fields import (
    inline_manifests,
    legacy_machine_fields,
    multidoc_documents,
    typed_node_documents,
)
from .model import ClusterDefinition, NodeDefinition
from .problems import redacted
from .talpatches import (
    extra_manifest_documents,
    refuse_templates,
    talhelper_patches,
    templated_fields,
    without_templated_fields,
)

Document = dict[str, Any]
_FACTORY_PLATFORM = {"proxmox": "nocloud", "vultr": "vultr", "existing": "metal"}


def _machine_spec(node: NodeDefinition) -> dict[str, Any]:
    return dict(node.values.get("machineSpec") or {})


def _factory_image(definition: ClusterDefinition, node: NodeDefinition, field: str) -> FactoryImage:
    spec = _machine_spec(node)
    platform = _FACTORY_PLATFORM[node.platform]
    mode = str(spec.get("mode") or platform)
    if node.platform != "existing" and mode != platform:
        # the VM or instance is created here and boots the image its platform needs
        raise ConfigError(f"nodes[{node.index}].machineSpec.mode: {mode!r} conflicts with the {node.platform} "
                          f"machine, which boots Talos's {platform!r} image; remove mode or set it to {platform!r}")
    schematic = node.values.get(field)
    return FactoryImage(schematic_id(schematic, f"{definition.source}: nodes[{node.index}].{field}"),
                        definition.talos_version, mode, str(spec.get("arch") or node.arch),
                        bool(spec.get("secureboot")))


def image_platform(node: NodeDefinition) -> str:
    """The Talos platform of the image the node boots: nocloud (Proxmox), vultr, metal, or machineSpec.mode."""
    return str(_machine_spec(node).get("mode") or _FACTORY_PLATFORM[node.platform])


def runtime_mode(node: NodeDefinition) -> Mode:
    """The mode the node's Talos runs in, from the platform of the image it boots (nocloud, vultr: cloud)."""
    return Mode.of_platform(image_platform(node))


def node_image(definition: ClusterDefinition, node: NodeDefinition) -> FactoryImage:
    """The node's boot image: talhelper's imageSchematic (for ISO and boot images), else its schematic."""
    return _factory_image(definition, node, "imageSchematic" if node.values.get("imageSchematic") else "schematic")


def installer_image(definition: ClusterDefinition, node: NodeDefinition) -> str:
    """talhelper's installerURL: talosImageURL, else the default installerURLTmpl
    ``{{.RegistryURL}}/{{.Mode}}-installer{{if .Secureboot}}-secureboot{{end}}/{{.ID}}:{{.Version}}``
    for every Talos version (pkg/config/defaults.go)."""
    if node.values.get("talosImageURL"):
        return f"{node.values['talosImageURL']}:{definition.talos_version}"
    return _factory_image(definition, node, "schematic").installer_image


def generate_input(definition: ClusterDefinition, node: NodeDefinition, secrets: SecretsBundle) -> GenerateInput:
    cni = definition.cni
    gen = GenerateInput(
        cluster_name=definition.cluster_name,
        endpoint=definition.endpoint,
        kubernetes_version=definition.kubernetes_version,
        secrets=secrets,
        contract=parse_contract(definition.talos_version),
        additional_sans=list(definition.additional_api_server_cert_sans),
        # talhelper input.go: machine.certSANs start from additionalMachineCertSans alone
        additional_machine_cert_sans=list(definition.additional_machine_cert_sans),
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


def node_field_patch(definition: ClusterDefinition, node: NodeDefinition) -> list[Document]:
    """The node's talhelper fields, as a strategic patch (nodeconfig.go, then multidocs.go)."""
    values = node.values
    contract = parse_contract(definition.talos_version)
    where = f"nodes[{node.index}]"
    machine = legacy_machine_fields(values, node.hostname, contract)
    documents = multidoc_documents(values, node.hostname, contract, where)
    if values.get("certSANs"):  # applyNodeOverride appends them to the generated ones
        machine["certSANs"] = list(values["certSANs"])
    install: dict[str, Any] = {}
    if values.get("installDiskSelector"):
        install["diskSelector"] = values["installDiskSelector"]
    kernel_args = ((values.get("schematic") or {}).get("customization") or {}).get("extraKernelArgs")
    # talhelper #1000/#1341: no install.extraKernelArgs with UKI or where grubUseUKICmdline is the default
    if kernel_args and not _machine_spec(node).get("useUKI") and not contract.grub_use_uki_cmdline:
        install["extraKernelArgs"] = list(kernel_args)
    if install:
        machine["install"] = install
    for field, target in (("nodeLabels", "nodeLabels"), ("nodeAnnotations", "nodeAnnotations"),
                          ("nodeTaints", "nodeTaints")):
        if values.get(field):
            machine[target] = values[field]
    if values.get("kernelModules"):
        machine["kernel"] = {"modules": values["kernelModules"]}
    manifests = inline_manifests(definition.inline_manifests)
    if contract.multidoc_kubernetes:
        documents += typed_node_documents(machine, manifests, where)
        manifests = []
    cluster: Document = {"inlineManifests": manifests} if manifests else {}
    flannel = (definition.cni or {}).get("flannel")
    if flannel:  # pkg/generate/config.go: the CNI as given, or v1.14's own KubeFlannelCNIConfig
        if contract.multidoc_kubernetes and node.control_plane:
            documents.append({"apiVersion": "v1alpha1", "kind": "KubeFlannelCNIConfig", **flannel})
        elif not contract.multidoc_kubernetes:
            cluster["network"] = {"cni": {"flannel": flannel}}
    patch: Document = {"machine": machine} if machine else {}
    if cluster:
        patch["cluster"] = cluster
    return ([patch] if patch else []) + documents


def render_node(definition: ClusterDefinition, node: NodeDefinition, secrets: SecretsBundle) -> list[Document]:
    """The node's config documents; an error names substituted or decrypted values by their origin."""
    try:
        return _render_node(definition, node, secrets)
    except TalosError as error:
        raise redacted(error, definition.secret_labels) from None


def _render_node(definition: ClusterDefinition, node: NodeDefinition, secrets: SecretsBundle) -> list[Document]:
    base_dir = Path(definition.source).parent
    documents = generate_config(generate_input(definition, node, secrets), node.role)
    label = f"nodes[{node.index}] ({node.hostname})"
    documents = apply_patches(documents, [StrategicPatch(node_field_patch(definition, without_templated_fields(node)),
                                                         f"{label} fields")])
    templated = templated_fields(node, documents, definition.secret_labels)
    documents = apply_patches(documents, [StrategicPatch(templated, f"{label} fields")])
    # Two passes, as talhelper's GenerateConfig: global patches render against the node-patched config.
    for patches, patch_label in ((node.patches, f"{label} patch"), (definition.patches, "patches[]")):
        with definition.collecting_secrets(f"a value decrypted from a SOPS patch of {patch_label}") as revealed:
            loaded = talhelper_patches(patches, base_dir, patch_label, documents, definition.environ, revealed,
                                       definition.secret_labels)
        documents = apply_patches(documents, loaded)
    if node.values.get("extraManifests"):
        with definition.collecting_secrets(f"a value decrypted from an extraManifests file of {label}") as revealed:
            documents += extra_manifest_documents(list(node.values["extraManifests"]), base_dir, documents,
                                                  f"nodes[{node.index}]", definition.environ, revealed,
                                                  definition.secret_labels)
    refuse_templates(documents, label)
    # every check the node's Talos makes before it takes the config (decoder, container, validation), so a
    # refused config fails the render; a shape-only render (empty secrets) checks secret fields' presence only
    check_config(documents, minor=parse_contract(definition.talos_version).minor, mode=runtime_mode(node),
                 source=f"{definition.source}: {label}", placeholder_secrets=not secrets.os.key,
                 talos_version=definition.talos_version)
    return documents


def render_node_text(definition: ClusterDefinition, node: NodeDefinition, secrets: SecretsBundle) -> str:
    return encode(render_node(definition, node, secrets))
