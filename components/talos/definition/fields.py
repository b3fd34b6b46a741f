"""talhelper's node fields: their shapes (for strict checks) and how each one is rendered.

Shapes are talhelper's pkg/config structs (config.go); fields typed as Talos structs
(v1alpha1.Device, block.ProvisioningSpec, ...) take their field sets from Talos's schemas, so a
typo anywhere inside them (``networkInterfaces[0].vipp``) is caught with a suggestion.
Rendering follows pkg/talos/multidocs.go (genMultiDocs) and nodeconfig.go (applyNodeOverride).
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import ConfigError
from ..schema_fields import FIELDS
from ..strict import check_mapping, check_value
from ..versions import Contract
from .network import hostname_document, network_documents, resolver_document

Document = dict[str, Any]
_NEWEST = 99  # talhelper decodes its Talos-typed fields with the newest Talos machinery it links

# talhelper's own structs (pkg/config/config.go); "@v1alpha1.X" etc. point into Talos's schemas.
TALHELPER_SHAPES: dict[str, dict[str, tuple[str, int]]] = {
    "talhelper.MachineFile": {**FIELDS["v1alpha1.MachineFile"], "skipEnvsubst": ("b", 0)},
    "talhelper.InlineManifest": {**FIELDS["v1alpha1.ClusterInlineManifest"], "skipEnvsubst": ("b", 0)},
    "talhelper.MachineSpec": {name: ("s", 0) for name in ("mode", "arch", "bootMethod", "imageSuffix")}
    | {"secureboot": ("b", 0), "useUKI": ("b", 0)},
    "talhelper.ImageFactory": {name: ("s", 0) for name in ("registryURL", "schematicEndpoint", "protocol",
                                                           "installerURLTmpl", "ISOURLTmpl")},
    "talhelper.IngressFirewall": {"defaultAction": ("eaccept|block", 0), "rules": ("[@talhelper.NetworkRule", 0)},
    "talhelper.NetworkRule": {"name": ("s", 0), "portSelector": ("@network.RulePortSelector", 0),
                              "ingress": ("[@network.IngressRule", 0)},
    "talhelper.ExtensionService": {"name": ("s", 0), "configFiles": ("[@extensions.ConfigFile", 0),
                                   "environment": ("[s", 0)},
    "talhelper.Volume": {"name": ("s", 0), "provisioning": ("@block.ProvisioningSpec", 0),
                         "encryption": ("@block.EncryptionSpec", 0)},
    "talhelper.UserVolume": {"name": ("s", 0), "volumeType": ("edirectory|disk|partition", 0),
                             "provisioning": ("@block.ProvisioningSpec", 0),
                             "filesystem": ("@block.FilesystemSpec", 0), "encryption": ("@block.EncryptionSpec", 0)},
}
# Value type of each talhelper field whose content is structured (checked recursively).
FIELD_TYPES: dict[str, str] = {
    "networkInterfaces": "[@v1alpha1.Device", "installDiskSelector": "@v1alpha1.InstallDiskSelector",
    "kernelModules": "[@v1alpha1.KernelModuleConfig", "machineFiles": "[@talhelper.MachineFile",
    "machineDisks": "[@v1alpha1.MachineDisk", "machineSpec": "@talhelper.MachineSpec",
    "ingressFirewall": "@talhelper.IngressFirewall", "extensionServices": "[@talhelper.ExtensionService",
    "volumes": "[@talhelper.Volume", "userVolumes": "[@talhelper.UserVolume", "extraManifests": "[s",
    "inlineManifests": "[@talhelper.InlineManifest", "imageFactory": "@talhelper.ImageFactory",
    "cniConfig": "@v1alpha1.CNIConfig", "nameservers": "[s", "certSANs": "[s", "ignoreHostname": "b",
    "noSchematicValidate": "b", "filenameTmpl": "s", "overrideExtraManifests": "b", "disableSearchDomain": "b",
    "talosImageURL": "s", "talosVersion": "s",
}
_TABLE = {**FIELDS, **TALHELPER_SHAPES}


def check_fields(mapping: dict[str, Any], path: str) -> list[str]:
    """Problems ('path: message') in the structured talhelper fields of one mapping."""
    problems: list[str] = []
    for key, value in mapping.items():
        kind = FIELD_TYPES.get(str(key))
        if kind is not None:
            check_value(value, kind, _NEWEST, f"{path}.{key}" if path else str(key), problems, _TABLE)
    return problems


_FILENAME_ACTION = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}")
DEFAULT_FILENAME_TMPL = "{{ .ClusterName }}-{{ .Hostname }}.yaml"  # pkg/config/defaults.go GetFilenameTmpl
MAX_FILENAME_TMPL = 1024  # keeps _FILENAME_ACTION's scan (quadratic in a line of "{{") short


def output_file_name(template: str, cluster_name: str, hostname: str, ip_address: str, role: str) -> str:
    """pkg/config/outputfilename.go: filenameTmpl with .ClusterName, .Hostname, .IPAddress, .Role.
    Only field references are rendered; other Go template actions are refused by name."""
    values = {".ClusterName": cluster_name, ".Hostname": hostname, ".IPAddress": ip_address, ".Role": role}
    if len(template) > MAX_FILENAME_TMPL:
        raise ConfigError(f"filenameTmpl: {len(template)} characters; expected at most {MAX_FILENAME_TMPL} (a "
                          "file name is at most 255 bytes)")

    def replace(match: re.Match[str]) -> str:
        if match.group(1) not in values:
            raise ConfigError(f"filenameTmpl: {{{{{match.group(1)}}}}} is not a field of the file-name template; "
                              f"expected one of {', '.join('{{' + name + '}}' for name in values)}")
        return values[match.group(1)]

    return _FILENAME_ACTION.sub(replace, template)


def multidoc_documents(values: dict[str, Any], hostname: str, contract: Contract, where: str) -> list[Document]:
    """genMultiDocs: typed documents for the node, in talhelper's order."""
    documents: list[Document] = []
    multidoc = contract.multidoc_network_config
    if multidoc and (values.get("nameservers") or values.get("disableSearchDomain")):
        documents.append(resolver_document(list(values.get("nameservers") or []),
                                           bool(values.get("disableSearchDomain"))))
    if multidoc:
        documents.append(hostname_document(hostname, bool(values.get("ignoreHostname"))))
    firewall = values.get("ingressFirewall")
    if firewall:
        documents.append({"apiVersion": "v1alpha1", "kind": "NetworkDefaultActionConfig",
                          "ingress": firewall.get("defaultAction") or "block"})
        documents += [{"apiVersion": "v1alpha1", "kind": "NetworkRuleConfig", **{
            key: rule[key] for key in ("name", "portSelector", "ingress") if rule.get(key) is not None}}
            for rule in firewall.get("rules") or []]
    for service in values.get("extensionServices") or []:
        documents.append({"apiVersion": "v1alpha1", "kind": "ExtensionServiceConfig", **{
            key: service[key] for key in ("name", "configFiles", "environment") if service.get(key)}})
    for kind, field, keys in (("VolumeConfig", "volumes", ("name", "provisioning", "encryption")),
                              ("UserVolumeConfig", "userVolumes",
                               ("name", "volumeType", "provisioning", "filesystem", "encryption"))):
        names: list[str] = []
        for index, volume in enumerate(values.get(field) or []):
            if volume.get("name") in names:  # volumeconfig.go: duplicated volume config name
                raise ConfigError(f"{where}.{field}[{index}].name: duplicated {kind} name {volume['name']!r}")
            names.append(volume.get("name"))
            documents.append({"apiVersion": "v1alpha1", "kind": kind,
                              **{key: volume[key] for key in keys if volume.get(key)}})
    if multidoc and values.get("networkInterfaces"):
        documents += network_documents(list(values["networkInterfaces"]), f"{where}.networkInterfaces")
    return documents


def legacy_machine_fields(values: dict[str, Any], hostname: str, contract: Contract) -> dict[str, Any]:
    """applyNodeOverride and GenerateNodeConfig: node fields set on the v1alpha1 machine section."""
    machine: dict[str, Any] = {}
    network: dict[str, Any] = {}
    if not contract.multidoc_network_config:
        if not values.get("ignoreHostname"):
            network["hostname"] = hostname
        if values.get("nameservers"):
            network["nameservers"] = list(values["nameservers"])
        if values.get("disableSearchDomain"):
            network["disableSearchDomain"] = True
        if values.get("networkInterfaces"):
            network["interfaces"] = values["networkInterfaces"]
    if network:
        machine["network"] = network
    if values.get("machineDisks"):
        machine["disks"] = values["machineDisks"]
    if values.get("machineFiles"):  # @file contents were read at load (contents.py)
        machine["files"] = [{key: value for key, value in entry.items() if key != "skipEnvsubst"}
                            for entry in values["machineFiles"]]
    return machine


def typed_node_documents(machine: dict[str, Any], manifests: list[dict[str, Any]], where: str) -> list[Document]:
    """Contract v1.14+: node fields Talos moved out of v1alpha1 go to their typed documents (popped
    from ``machine``): labels/annotations/taints to KubeNodeConfig, kernel modules to
    KernelModuleConfig, inline manifests to KubeInlineManifestConfig."""
    if (machine.get("install") or {}).get("diskSelector"):
        raise ConfigError(f"{where}.installDiskSelector: Talos v1.14 selects the install disk with a CEL "
                          "expression (UnattendedInstallConfig provisioning.diskSelector.match); give installDisk "
                          "or set that expression in a patch")
    documents: list[Document] = []
    node = {target: machine.pop(source) for source, target in (("nodeLabels", "labels"),
            ("nodeAnnotations", "annotations"), ("nodeTaints", "taints")) if source in machine}
    if node:
        documents.append({"apiVersion": "v1alpha1", "kind": "KubeNodeConfig", **node})
    for module in (machine.pop("kernel", None) or {}).get("modules") or []:
        documents.append({"apiVersion": "v1alpha1", "kind": "KernelModuleConfig", "name": module.get("name"),
                          **({"parameters": module["parameters"]} if module.get("parameters") else {})})
    documents += [{"apiVersion": "v1alpha1", "kind": "KubeInlineManifestConfig", "name": manifest["name"],
                   "manifest": manifest["contents"]} for manifest in manifests]
    return documents


def inline_manifests(manifests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """cluster.inlineManifests on every node (pkg/generate/config.go); @file contents were read at load."""
    return [{"name": manifest.get("name"), "contents": manifest.get("contents", "")} for manifest in manifests]


__all__ = [
    "DEFAULT_FILENAME_TMPL",
    "FIELD_TYPES",
    "TALHELPER_SHAPES",
    "check_fields",
    "check_mapping",
    "inline_manifests",
    "legacy_machine_fields",
    "multidoc_documents",
    "output_file_name",
    "typed_node_documents",
]
