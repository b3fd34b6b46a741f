"""The cluster definition: a superset of talhelper's ``talconfig.yaml``.

Field names are talhelper's (camelCase in YAML). Project extensions say where a node's machine
comes from: ``proxmox:`` (a VM we create), ``vultr:`` (an instance we create) or neither (an
existing machine at ``ipAddress``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Literal

Platform = Literal["proxmox", "vultr", "existing"]

# Every field a key may have, per mapping kind; used to report unknown fields with a suggestion.
GROUP_FIELDS = (
    "patches", "schematic", "nodeLabels", "nodeAnnotations", "nodeTaints", "kernelModules", "machineFiles",
    "nameservers", "networkInterfaces", "installDisk", "installDiskSelector", "certSANs", "disableSearchDomain",
    "talosImageURL", "arch", "machineSpec", "filenameTmpl", "ingressFirewall", "extensionServices", "volumes",
    "userVolumes", "machineDisks", "noSchematicValidate", "imageSchematic", "extraManifests",
)
NODE_FIELDS = ("hostname", "ipAddress", "controlPlane", "overridePatches", "overrideMachineCertSANs",
               "overrideExtraManifests", "ignoreHostname", "proxmox", "vultr", *GROUP_FIELDS)
TOP_FIELDS = (
    "clusterName", "talosVersion", "kubernetesVersion", "endpoint", "domain", "allowSchedulingOnMasters",
    "allowSchedulingOnControlPlanes", "additionalMachineCertSans", "additionalApiServerCertSans",
    "clusterPodNets", "clusterSvcNets", "cniConfig", "patches", "nodes", "controlPlane", "worker",
    "inlineManifests",
)
PROXMOX_FIELDS = ("node", "vmId", "cores", "memory", "diskSize", "datastore", "imageDatastore", "bridge",
                  "vlan", "cpuType")
VULTR_FIELDS = ("plan", "region", "label", "tags", "enableIpv6")
# talhelper fields this program does not render: refused with the reason, never ignored.
TALHELPER_UNSUPPORTED = {
    "imageFactory": "a self-hosted Image Factory is not supported: boot images and installers come from "
                    "factory.talos.dev; set talosImageURL per node for a mirrored installer",
}


@dataclass
class ProxmoxMachine:
    node: str
    vm_id: int | None = None
    cores: int = 2
    memory: int = 4096  # MiB
    disk_size: int = 20  # GiB
    datastore: str = "local-lvm"
    image_datastore: str = "local"
    bridge: str = "vmbr0"
    vlan: int | None = None
    cpu_type: str = "host"


@dataclass
class VultrMachine:
    plan: str
    region: str
    label: str = ""
    tags: list[str] = field(default_factory=list)
    enable_ipv6: bool = True


@dataclass
class NodeGroup:
    """Settings shared by all control planes (``controlPlane:``) or all workers (``worker:``)."""

    values: dict[str, Any] = field(default_factory=dict)

    @property
    def patches(self) -> list[str]:
        return list(self.values.get("patches") or [])


@dataclass
class NodeDefinition:
    index: int
    hostname: str
    control_plane: bool
    ip_address: str | None
    values: dict[str, Any]  # node fields merged over its group's fields (node wins)
    patches: list[str]  # group patches then node patches (talhelper order)
    proxmox: ProxmoxMachine | None = None
    vultr: VultrMachine | None = None

    @property
    def role(self) -> Literal["controlplane", "worker"]:
        return "controlplane" if self.control_plane else "worker"

    @property
    def platform(self) -> Platform:
        return "proxmox" if self.proxmox else "vultr" if self.vultr else "existing"

    @property
    def addresses(self) -> list[str]:
        return [part.strip() for part in (self.ip_address or "").split(",") if part.strip()]

    @property
    def arch(self) -> str:
        return str(self.values.get("arch") or "amd64")


@dataclass
class ClusterDefinition:
    source: str
    cluster_name: str
    talos_version: str  # a release tag, e.g. v1.13.9
    kubernetes_version: str  # without the leading v
    endpoint: str
    nodes: list[NodeDefinition]
    domain: str = "cluster.local"
    allow_scheduling_on_control_planes: bool = False
    additional_machine_cert_sans: list[str] = field(default_factory=list)
    additional_api_server_cert_sans: list[str] = field(default_factory=list)
    pod_subnets: list[str] = field(default_factory=list)
    service_subnets: list[str] = field(default_factory=list)
    cni: dict[str, Any] | None = None
    patches: list[str] = field(default_factory=list)
    inline_manifests: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Every value substituted from the environment or decrypted: masked wherever it lands in a previewed config.
    sensitive_values: frozenset[str] = frozenset()
    # The same values, each with where it came from ("${DB_PASSWORD} from talenv.sops.yaml"): errors quote
    # that instead of the value (masking.redact).
    secret_labels: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    # The variables ``${VAR}`` took their values from; ``@file`` patches are substituted with them too.
    environ: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def control_planes(self) -> list[NodeDefinition]:
        return [node for node in self.nodes if node.control_plane]

    @property
    def workers(self) -> list[NodeDefinition]:
        return [node for node in self.nodes if not node.control_plane]

    def add_secrets(self, values: list[str], origin: str) -> None:
        """Values found secret while rendering (decrypted from a SOPS patch): masked and redacted from now on."""
        fresh = [value for value in values if value and value not in self.secret_labels]
        self.secret_labels.update(dict.fromkeys(fresh, origin))
        self.sensitive_values = self.sensitive_values | frozenset(fresh)

    @contextlib.contextmanager
    def collecting_secrets(self, origin: str) -> Iterator[list[str]]:
        """A list for the values a step decrypts, added as secrets when it ends, also when it fails: its error
        must not show what was decrypted."""
        revealed: list[str] = []
        try:
            yield revealed
        finally:
            self.add_secrets(revealed, origin)

    def node(self, hostname: str) -> NodeDefinition:
        return next(node for node in self.nodes if node.hostname == hostname)

    def with_control_plane_patch(self, patch: str) -> ClusterDefinition:
        """This definition with ``patch`` last on every control plane that does not carry it yet."""
        def patched(node: NodeDefinition) -> NodeDefinition:
            if not node.control_plane or patch in node.patches:
                return node
            return replace(node, patches=[*node.patches, patch])

        return replace(self, nodes=[patched(node) for node in self.nodes])
