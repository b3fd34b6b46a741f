"""Regenerate components/talos/schema_fields.py from Talos's published JSON schemas.

For every document kind and nested type: each field's value type and the first Talos minor whose
schema has it. That is what a strict decode needs: Talos (yaml.v3 into Go structs with KnownFields)
refuses a key its struct lacks and a value of the wrong shape. Talos keeps deprecated v1alpha1
fields in its Go structs after they leave the published schema, so a field once added stays
accepted; the legacy v1alpha1 schemas supply those hidden fields.

    python scripts/gen_schema_fields.py [SCHEMA_DIR]   (default: ../shared/talos/schemas)
"""

from __future__ import annotations

import json
import pprint
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "components" / "talos" / "schema_fields.py"
# (file, first Talos minor it describes, prefix of its definition names); oldest first.
SCHEMA_FILES: list[tuple[str, int, str]] = [
    ("talos-v1alpha1-schema-v1.6.json", 6, "v1alpha1."),
    ("talos-config-schema-v1.6.json", 6, ""),
    ("talos-config-schema-v1.7.json", 7, ""),
    ("talos-v1alpha1-legacy-schema-v1.7-to-v1.12.json", 7, "v1alpha1."),
    ("talos-config-schema-v1.8.json", 8, ""),
    ("talos-config-schema-v1.9.json", 9, ""),
    ("talos-config-schema-v1.10.json", 10, ""),
    ("talos-config-schema-v1.11.json", 11, ""),
    ("talos-config-schema-v1.12.json", 12, ""),
    ("talos-config-schema-v1.13.json", 13, ""),
    ("talos-config-schema-v1.14.0-rc.1.json", 14, ""),
    ("talos-config-schema-main-v1.15dev.json", 15, ""),
]
_SCALARS = {"string": "s", "integer": "i", "boolean": "b", "number": "n"}
# Integer-typed in the schemas, but their Go types unmarshal human-readable strings too:
# v1alpha1.DiskSize ("100 GB"), nethelpers.RoutingRuleAction (by name).
_SCALAR_OR_TEXT = {("v1alpha1.DiskPartition", "size"), ("network.RoutingRuleConfigV1Alpha1", "action")}

# Where the schemas and Talos's Go structs disagree, the structs win: the decoder decodes into them
# (siderolabs/talos pkg/machinery/config/types, v1.6.8 to v1.14.0-rc.1).
# Deprecated fields still in the v1alpha1 structs but hidden from the schemas (v1alpha1_types.go, all releases).
_GO_ONLY_FIELDS = {("v1alpha1.InstallConfig", "bootloader"): "b", ("v1alpha1.ClusterConfig",
                                                                   "allowSchedulingOnMasters"): "b",
                   ("v1alpha1.Device", "cidr"): "s", ("v1alpha1.Vlan", "cidr"): "s", ("v1alpha1.EtcdConfig",
                                                                                      "subnet"): "s"}
# []string fields the schemas describe as one enum value (options: [no_read_workqueue]).
_GO_LISTS = {("block.EncryptionSpec", "options"), ("v1alpha1.EncryptionConfig", "options"),
             ("container.UserVolumeMount", "options"), ("container.ContainerDependsOn", "networks")}
# []*x509.PEMEncodedCertificate fields the schemas describe as one certificate object.
_GO_STRUCT_LISTS = {("v1alpha1.MachineConfig", "acceptedCAs"), ("v1alpha1.ClusterConfig", "acceptedCAs")}
# Plain Go string fields that the schemas give an enum: the decoder takes any string (Validate may refuse it:
# machine.type init/join are Talos's own aliases, a worker's CNI name is never checked).
_GO_STRINGS = {("block.EncryptionSpec", "cipher"), ("k8s.KubeAuthorizerConfigV1Alpha1", "type"),
               ("v1alpha1.CNIConfig", "name"), ("v1alpha1.Config", "version"), ("v1alpha1.EncryptionConfig", "cipher"),
               ("v1alpha1.LoggingDestination", "format"), ("v1alpha1.MachineConfig", "type"),
               ("v1alpha1.MachineFile", "op"), ("v1alpha1.InstallDiskSelector", "type")}
# enumer types (UnmarshalText takes a name or its lower-case form; "E" = case-insensitive enum) with the
# names the Go type accepts, where the schema lists fewer (pkg/machinery/resources/block, nethelpers).
_FILESYSTEMS = "none|xfs|vfat|ext4|iso9660|swap|virtiofs|btrfs"
_GO_ENUMS = {("block.UserVolumeConfigV1Alpha1",
              "volumeType"): "partition|disk|tmpfs|directory|symlink|overlay|external",
             ("block.FilesystemSpec", "type"): _FILESYSTEMS, ("block.ExternalVolumeConfigV1Alpha1", "filesystemType"):
             _FILESYSTEMS, ("block.EncryptionSpec", "provider"): "none|luks2",
             ("network.HostnameConfigV1Alpha1", "auto"): "off|talos-addr|stable"}
_ENUMER_SHAPES = ("network.BondConfigV1Alpha1", "network.DHCPv4ConfigV1Alpha1", "network.DHCPv6ConfigV1Alpha1",
                  "network.DefaultActionConfigV1Alpha1", "network.NameserverConfig", "storage.RAIDArrayConfigV1Alpha1")
# The kinds Talos registers (registry.Register in pkg/machinery/config/types/*), by the first minor with each.
# Two differ from the schemas' enums (KubeSpanEndpoints, UnattendedInstall); ImageVerificationConfig is in no schema.
REGISTERED_KINDS = {
    6: "EventSinkConfig KmsgLogConfig NetworkDefaultActionConfig NetworkRuleConfig SideroLinkConfig",
    7: "ExtensionServiceConfig WatchdogTimerConfig",
    8: "KubeSpanEndpointsConfig TrustedRootsConfig VolumeConfig",
    10: "EthernetConfig PCIDriverRebindConfig UserVolumeConfig",
    11: "ExistingVolumeConfig RawVolumeConfig SwapVolumeConfig ZswapConfig",
    12: "BondConfig BridgeConfig DHCPv4Config DHCPv6Config DummyLinkConfig HCloudVIPConfig "
        "HostnameConfig Layer2VIPConfig LinkAliasConfig LinkConfig OOMConfig RegistryAuthConfig "
        "RegistryMirrorConfig RegistryTLSConfig ResolverConfig StaticHostConfig TimeSyncConfig "
        "VLANConfig WireguardConfig",
    13: "BlackholeRouteConfig EnvironmentConfig ExternalVolumeConfig ImageVerificationConfig "
        "KubeSpanConfig RoutingRuleConfig TCPProbeConfig VRFConfig",
    14: "BGPInstanceConfig CRIBaseRuntimeSpecConfig CRICustomizationConfig ContainerConfig "
        "DiscoveryIdentityConfig DiscoveryServiceConfig EtcFileConfig FilesystemScrubConfig "
        "FilesystemTrimConfig HTTPProbeConfig ImageCacheConfig KernelModuleConfig KubeAPIServerCAConfig "
        "KubeAPIServerConfig KubeAdmissionControlConfig KubeAggregatorCAConfig KubeAuditPolicyConfig "
        "KubeAuthenticationConfig KubeAuthorizerConfig KubeClusterConfig KubeControllerManagerConfig "
        "KubeCoreDNSConfig KubeCredentialProviderConfig KubeEtcdEncryptionConfig "
        "KubeExternalManifestConfig KubeFlannelCNIConfig KubeInlineManifestConfig KubeNetworkConfig "
        "KubeNodeConfig KubePrismConfig KubeProxyConfig KubeSchedulerConfig KubeServiceAccountConfig "
        "KubeStaticPodConfig KubeTalosAPIAccessConfig KubeletConfig LVMLogicalVolumeConfig "
        "LVMVolumeGroupConfig RAIDArrayConfig SecurityProfileConfig SysctlConfig SysfsConfig "
        "UdevRulesConfig UnattendedInstallConfig VethConfig",
}
_SCHEMA_KIND_NAMES = {"KubeSpanEndpointsConfig": "KubeSpanEndpoints", "UnattendedInstallConfig": "UnattendedInstall"}
# security/image_verification.go (v1.13.9 = v1.14.0-rc.1): the struct the schemas leave out
_IMAGE_VERIFICATION = {
    "security.ImageVerificationConfigV1Alpha1": {"apiVersion": "s", "kind": "s",
                                                 "rules": "[@security.ImageVerificationRuleV1Alpha1"},
    "security.ImageVerificationRuleV1Alpha1": {"image": "s", "skip": "b", "deny": "b",
                                               "keyless": "@security.ImageKeylessVerifierV1Alpha1",
                                               "publicKey": "@security.ImagePublicKeyVerifierV1Alpha1"},
    "security.ImageKeylessVerifierV1Alpha1": {"issuer": "s", "subject": "s", "subjectRegex": "s"},
    "security.ImagePublicKeyVerifierV1Alpha1": {"certificate": "s"},
}


def _type(owner: str, field: str, prop: dict[str, Any], prefix: str, shapes: dict[str, dict[str, list[Any]]],
          since: int) -> str:
    """A compact value type: s/i/b/n scalars, ? anything, m free map, [X list of X, @Name a shape."""
    if "$ref" in prop:
        return "@" + prefix + str(prop["$ref"]).rsplit("/", 1)[-1]
    kind = prop.get("type")
    if kind == "array":
        items = prop.get("items")
        return "[" + (_type(owner, field, items, prefix, shapes, since) if isinstance(items, dict) else "?")
    if kind == "object" and "properties" in prop and prop.get("additionalProperties") is False:
        name = f"{owner}.{field}"
        _collect(name, prop, "", shapes, since)
        return "@" + name
    if kind == "object":
        return "m"
    if isinstance(kind, str) and kind in _SCALARS:
        return _SCALARS[kind]
    enum = prop.get("enum")
    if isinstance(enum, list) and enum and all(isinstance(item, str) for item in enum):
        return "e" + "|".join(enum)
    return "?"  # oneOf, untyped: left to Talos's own validation


def _collect(name: str, definition: dict[str, Any], prefix: str, shapes: dict[str, dict[str, list[Any]]],
             since: int) -> None:
    fields = shapes.setdefault(name, {})
    for field, prop in definition.get("properties", {}).items():
        value_type = _type(name, field, prop, prefix, shapes, since)
        if field not in fields:
            fields[field] = [value_type, since]
        elif fields[field][0] == "?" and value_type != "?":
            fields[field][0] = value_type
        elif fields[field][0].startswith("e") and value_type.startswith("e"):
            # an enum gains values in later releases; keep them all (newest first)
            known = fields[field][0][1:].split("|")
            fields[field][0] = "e" + "|".join([*known, *(v for v in value_type[1:].split("|") if v not in known)])


def render(schema_dir: Path) -> str:
    """The text of schema_fields.py for the schemas in ``schema_dir``."""
    shapes: dict[str, dict[str, list[Any]]] = {}
    kinds: dict[str, list[Any]] = {}
    for file_name, since, prefix in SCHEMA_FILES:
        schema = json.loads((schema_dir / file_name).read_text())
        for def_name, definition in schema["$defs"].items():
            name = prefix + def_name
            _collect(name, definition, prefix, shapes, since)
            kind = definition.get("properties", {}).get("kind", {}).get("enum")
            if kind:
                kinds.setdefault(kind[0], [name, since])
    # `persist` is in Talos's v1alpha1.Config struct but in no schema.
    shapes["v1alpha1.Config"].setdefault("persist", ["b", 6])
    _apply_go_structs(shapes)
    kinds = _registered_kinds(kinds)
    compact = {name: {field: ("?" if (name, field) in _SCALAR_OR_TEXT else _opaque(entry[0], shapes), entry[1])
                      for field, entry in fields.items()}
               for name, fields in sorted(shapes.items()) if fields}
    header = (
        '"""Field sets of Talos config documents per version, for strict decoding.\n\n'
        "Generated by scripts/gen_schema_fields.py from Talos's JSON schemas; do not edit.\n"
        '"""\n\n'
        "# shape -> field -> (type, first Talos 1.x minor with it). Types: s string, i integer, b boolean,\n"
        "# n number, ea|b one of the strings a, b (Ea|b: in any case); ? anything, m free-form map, [X list of X,\n"
        "# @name nested shape.\n"
    )
    body = "FIELDS: dict[str, dict[str, tuple[str, int]]] = " + pprint.pformat(compact, width=110)
    kinds_text = "\n\n# document kind Talos registers -> (shape, first Talos 1.x minor with it)\n" \
        "KINDS: dict[str, tuple[str, int]] = " \
        + pprint.pformat({kind: (entry[0], entry[1]) for kind, entry in sorted(kinds.items())}, width=110)
    text = header + body + kinds_text + '\n\nLEGACY_SHAPE = "v1alpha1.Config"\n'
    return re.sub(r"[ \t]+\n", "\n", text)


def _apply_go_structs(shapes: dict[str, dict[str, list[Any]]]) -> None:
    for (shape, field), value_type in _GO_ONLY_FIELDS.items():
        shapes[shape].setdefault(field, [value_type, 6])
    for shape, field in _GO_LISTS:
        shapes[shape][field][0] = "[s"
    for shape, field in _GO_STRINGS:
        shapes[shape][field][0] = "s"
    for shape, field in _GO_STRUCT_LISTS:
        shapes[shape][field][0] = "[" + shapes[shape][field][0]
    for shape, fields in shapes.items():
        for field, entry in fields.items():
            if (shape, field) in _GO_ENUMS:
                entry[0] = "E" + _GO_ENUMS[(shape, field)]
            elif shape in _ENUMER_SHAPES and entry[0].startswith("e"):
                entry[0] = "E" + entry[0][1:]
    for shape, struct in _IMAGE_VERIFICATION.items():
        shapes[shape] = {field: [value_type, 13] for field, value_type in struct.items()}


def _registered_kinds(schema_kinds: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """kind -> [shape, first minor] for the kinds Talos registers; a schema-only name is no kind."""
    kinds: dict[str, list[Any]] = {}
    for since, names in REGISTERED_KINDS.items():
        for kind in names.split():
            if kind == "ImageVerificationConfig":
                kinds[kind] = ["security.ImageVerificationConfigV1Alpha1", since]
                continue
            kinds[kind] = [schema_kinds[_SCHEMA_KIND_NAMES.get(kind, kind)][0], since]
    return kinds


def _opaque(value_type: str, shapes: dict[str, dict[str, list[Any]]]) -> str:
    """A Go type with its own YAML (un)marshaller shows as an empty object or no definition at all
    (v1alpha1.Endpoint is a URL string, v1alpha1.Unstructured any YAML): its values are left to Talos."""
    inner = value_type.lstrip("[")
    if inner.startswith("@") and not shapes.get(inner[1:]):
        return value_type[: len(value_type) - len(inner)] + "?"
    return value_type


def main() -> None:
    schema_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "talos" / "schemas"
    OUTPUT.write_text(render(schema_dir))
    print(f"wrote {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
