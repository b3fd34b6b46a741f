"""Talos's v1alpha1 ``Config.Validate`` as registered checks, in Talos's order, with Talos's wording.

siderolabs/talos pkg/machinery/config/types/v1alpha1/v1alpha1_validation.go at v1.14.0-rc.1; where v1.12.9
or v1.13.9 differ, the older behaviour applies to the older targets (rows of rules_extra.tsv, or a condition
on ``ctx.minor`` with the source line). The cluster and network parts live in v1alpha1_cluster.py and
v1alpha1_network.py; the rule ids are registered here.
"""

from __future__ import annotations

import math
import re
from typing import Any

from ..versions import kubernetes_minor_range
from . import goparse, labels
from .registry import LEGACY_KIND, Context, document_check, first_release
from .v1alpha1_cluster import check_cluster, check_cni
from .v1alpha1_network import check_devices, check_links, worker_vips
from .values import dig, flag, items, mapping, number, present, quote, text

Document = dict[str, Any]

_TYPES = {"init": "init", "controlplane": "controlplane", "worker": "worker", "join": "worker", "": "worker",
          "unknown": "unknown"}  # machine.ParseType
_KUBESPAN_MIN_MTU = 1280  # constants.KubeSpanLinkMinimumMTU
_DISK_SELECTOR_TYPES = ("nvme", "sd", "hdd", "ssd")  # InstallConfig.DiskMatchExpression
_ROLES = ("os:admin", "os:operator", "os:reader", "os:etcd:backup", "os:impersonator")  # role.All (v1.13.9)
_ROLES_SINCE_14 = ("os:image:verifier", "os:meta:writer")  # role.All gained these in v1.14
_ADDRESS_SORT = ("v1", "v2")  # nethelpers.AddressSortAlgorithm names (enumer: name or lower-case name)
_KUBELET_PROTECTED = ("apiVersion", "authentication", "authorization", "cgroupRoot", "kind", "kubeletCgroups", "port",
                      "protectKernelDefaults", "resolvConf", "rotateCertificates", "systemCgroups", "staticPodPath",
                      "seccompDefault")  # kubelet.ProtectedConfigurationFields
_EXTENSIONS_DOCS = {14: "https://docs.siderolabs.com/talos/latest/platform-specific-installations/boot-assets",
                    0: "https://www.talos.dev/latest/talos-guides/install/boot-assets/"}


# Sites of v1.12.9 that older releases lack (git grep of each message in the v1.5.5 ... v1.11.6 tags), where the
# older release takes the config and runs it as meant (a disk selector on name, authorizers): such a config for an
# older Talos is not refused. Where an older release lacks the check but the config cannot work there either (no
# machine CA, a CA key on a worker, a null disk), the rule applies to it too. Older releases' own rules (other
# wording, other conditions) are not ported: see the README.
first_release(9, "R426", "R427", "R428", "R430", "R431", "R432", "R438", "R439", "R446", "R476", "R478", "R479")


def machine_type(machine: dict[str, Any]) -> str:
    """The parsed machine type: init, controlplane, worker, or unknown (also for an invalid name)."""
    return _TYPES.get(text(machine.get("type")), "unknown")


def is_control_plane(machine: dict[str, Any]) -> bool:
    return machine_type(machine) in ("init", "controlplane")


def _machine(document: Document) -> dict[str, Any] | None:
    return mapping(document.get("machine")) if present(document, "machine") else None


@document_check(LEGACY_KIND, "R445")
def machine_required(document: Document, ctx: Context) -> None:
    if _machine(document) is None:
        ctx.fail("R445", "machine instructions are required")


@document_check(LEGACY_KIND, "R482")
def deprecations(document: Document, ctx: Context) -> None:
    """The v1.14 deprecation warnings that come first in Config.Validate."""
    machine = _machine(document)
    if machine is None or ctx.minor < 14:
        return
    if items(machine.get("files")):
        ctx.warn("R482", ".machine.files is deprecated; use dedicated configuration documents instead")
    if mapping(machine.get("baseRuntimeSpecOverrides")):
        ctx.warn("R482", ".machine.baseRuntimeSpecOverrides is deprecated; use a CRIBaseRuntimeSpecConfig document "
                         "instead")


@document_check(LEGACY_KIND, "R483", "R484", "R485", "R486", "R487", "R488", "R496", "R497", "R498", "R499", "R500",
                "R501", "R502", "R503", "R545", "R546", "R547", "R426", "R427", "R428", "R429", "R430", "R431",
                "R432", "R433", "R440", "R441", "X03")
def cluster(document: Document, ctx: Context) -> None:
    machine = _machine(document)
    if machine is not None:
        check_cluster(document.get("cluster"), is_control_plane(machine), ctx)


@document_check(LEGACY_KIND, "R446", "R447", "R448", "R438", "R439", "X04")
def install(document: Document, ctx: Context) -> None:
    """The install section, in metal mode (v1.12/v1.13 also require it there)."""
    machine = _machine(document)
    if machine is None or not ctx.mode.requires_install:
        return
    if machine.get("install") is None:
        ctx.fail("X04", f"install instructions are required in {quote(ctx.mode.value)} mode")
        return
    section = mapping(machine.get("install"))
    selector = section.get("diskSelector")
    matcher = selector is not None
    if selector is not None:
        found = disk_selector_error(mapping(selector))
        if found and ctx.applies("R446"):  # before v1.9 the selector matched names and any type
            ctx.fail("R446", f"install disk selector is invalid: {found[1]}", inner=found[0])
            matcher = False
    if not text(section.get("disk")) and not matcher:
        ctx.fail("R447", "either install disk or diskSelector should be defined")
    if items(section.get("extraKernelArgs")) and flag(section.get("grubUseUKICmdline")):
        ctx.fail("R448", "install.extraKernelArgs and install.grubUseUKICmdline can't be used together")


def disk_selector_error(selector: dict[str, Any]) -> tuple[str, str] | None:
    """InstallConfig.DiskMatchExpression's errors (v1alpha1_provider.go): name and an unknown type."""
    if text(selector.get("name")):
        return "R438", "selector on name is not supported"
    kind = text(selector.get("type"))
    if kind and kind not in _DISK_SELECTOR_TYPES:
        return "R439", f"unsupported disk type {quote(kind)}"
    return None


@document_check(LEGACY_KIND, "R449", "X05", "X06")
def host_dns(document: Document, ctx: Context) -> None:
    machine = _machine(document)
    if machine is None:
        return
    config = dig(machine, "features", "hostDNS")
    if ctx.minor < 14 and ctx.mode.in_container:  # v1.13.9 v1alpha1_validation.go:120-129
        if not flag(mapping(config).get("enabled")):
            ctx.fail("X05", "feature HostDNS should be enabled in container mode (.machine.features.hostDNS.enabled)")
        if not flag(mapping(config).get("forwardKubeDNSToHost")):
            ctx.fail("X06", "feature HostDNS should forward kube-dns to host in container mode "
                            "(.machine.features.hostDNS.forwardKubeDNSToHost)")
    if config is not None and flag(mapping(config).get("forwardKubeDNSToHost")) and \
            not flag(mapping(config).get("enabled")):
        ctx.fail("R449", "feature hostDNS.forwardKubeDNSToHost requires hostDNS.enabled to be true "
                         "(.machine.features.hostDNS)")


@document_check(LEGACY_KIND, "R450", "R451", "R452", "R453", "R454", "R455", "R456", "R457", "R458", "R489", "R490",
                "R491", "R492", "R493", "R494", "R495", "X02")
def machine_type_and_trust(document: Document, ctx: Context) -> None:
    """Machine type, the CAs each type needs or must not have, the CNI of a control plane, VIPs of a worker."""
    machine = _machine(document)
    if machine is None:
        return
    raw = text(machine.get("type"))
    kind = machine_type(machine)
    if kind != "unknown" and kind != raw:
        ctx.warn("R482", f"use {quote(kind)} instead of {quote(raw)} for machine type")
    ca = machine.get("ca")
    accepted = items(machine.get("acceptedCAs"))
    if ca is None and not accepted:
        ctx.fail("R450", "issuing CA or some accepted CAs are required (.machine.ca, machine.acceptedCAs)")
    key, crt = mapping(ca).get("key"), mapping(ca).get("crt")
    # a shape-only render (placeholder secrets) has empty CA fields: what must be there counts when present
    has_key = key is not None if ctx.placeholder_secrets else bool(text(key))
    has_crt = crt is not None if ctx.placeholder_secrets else bool(text(crt))
    if kind in ("init", "controlplane"):
        cluster = document.get("cluster")
        # v1.14 checks the CNI only with .cluster.network (KubeNetworkConfig may replace it); v1.13 always
        if cluster is not None and (present(cluster, "network") or ctx.minor < 14):
            check_cni(mapping(cluster), ctx)
        if ca is None:
            ctx.fail("R451", "issuing CA is required (.machine.ca)")
        elif not has_key:
            ctx.fail("R452", "issuing CA key is required for controlplane nodes (.machine.ca.key)")
    elif kind == "worker":
        worker_vips(machine, ctx)
        if ca is not None:
            if text(key):
                ctx.fail("R455", "issuing Talos API CA key is not allowed on non-controlplane nodes (.machine.ca)")
            if not has_crt and not accepted:
                ctx.fail("R456", "trusted CA certificates are required on non-controlplane nodes (.machine.ca.crt, "
                                 ".machine.acceptedCAs)")
        if text(dig(document, "cluster", "ca", "key")):
            ctx.fail("R457", "issuing Kubernetes API CA key is not allowed on non-controlplane nodes (.cluster.ca)")
    else:
        ctx.fail("R458", f"unknown machine type {quote(raw)}")


@document_check(LEGACY_KIND, "R459", "R460", "R461", "R462", "R504", "R506", "R507", "R508", "R509", "R510", "R511",
                "R512", "R513", "R514", "R515", "R516", "R517", "R518", "R519", "R520", "R521", "R522", "R523",
                "R524", "R525", "R526", "R527", "R528", "R529", "R530", "R531", "R533", "R534", "R535", "R536",
                "R537", "R539", "R540", "R541", "R542", "X01")
def network(document: Document, ctx: Context) -> None:
    machine = _machine(document)
    if machine is None or not present(machine, "network"):
        return
    secondary = check_links(machine, ctx)
    check_devices(machine, secondary, ctx)
    kubespan = dig(machine, "network", "kubespan")
    if kubespan is not None and flag(mapping(kubespan).get("enabled")):
        mtu = number(mapping(kubespan).get("mtu")) or 1420  # constants.KubeSpanLinkMTU
        if mtu < _KUBESPAN_MIN_MTU:
            ctx.fail("R462", f"kubespan link MTU must be at least {_KUBESPAN_MIN_MTU}")


@document_check(LEGACY_KIND, "R463", "R464")
def disks(document: Document, ctx: Context) -> None:
    machine = _machine(document)
    for index, disk in enumerate(items((machine or {}).get("disks"))):
        if disk is None:
            ctx.fail("R463", f"machine.disks[{index}] is null")
            continue
        partitions = items(mapping(disk).get("partitions"))
        for position, partition in enumerate(partitions):
            if _disk_size(mapping(partition).get("size")) == 0 and position != len(partitions) - 1:
                ctx.fail("R464", f"partition for disk {quote(text(mapping(disk).get('device')))} is set to occupy "
                                 "full disk, but it's not the last partition in the list")


def _disk_size(value: Any) -> int:
    """v1alpha1.DiskSize: an integer or a human-readable size ("100 GB")."""
    if isinstance(value, str):
        size, _ = goparse.parse_bytes(value)
        return size or 0
    return number(value)


@document_check(LEGACY_KIND, "R543", "R544")
def kubelet(document: Document, ctx: Context) -> None:
    """KubeletConfig.Validate."""
    config = dig(document, "machine", "kubelet")
    if config is None:
        return
    for cidr in map(text, items(dig(config, "nodeIP", "validSubnets"))):
        cidr = cidr.removeprefix("!")
        if goparse.parse_subnet_or_address(cidr):
            ctx.fail("R543", f"kubelet nodeIP subnet is not valid: {quote(cidr)}")
    extra = mapping(mapping(config).get("extraConfig"))
    for field in _KUBELET_PROTECTED:
        if field in extra:
            ctx.fail("R544", f"kubelet configuration field {quote(field)} can't be overridden")


@document_check(LEGACY_KIND, "R465", "R466", "R467")
def disk_encryption(document: Document, ctx: Context) -> None:
    encryption = dig(document, "machine", "systemDiskEncryption")
    for label, field in (("EPHEMERAL", "ephemeral"), ("STATE", "state")):
        config = dig(encryption, field)
        if config is None:
            continue
        keys = items(mapping(config).get("keys"))
        if not keys:
            ctx.fail("R465", f"partition {quote(label)}: no encryption keys provided")
        slots: set[int] = set()
        for key in map(mapping, keys):
            slot = number(key.get("slot"))
            if slot in slots:
                ctx.fail("R466", f"partition {quote(label)}: encryption key slot {slot} is already in use")
            slots.add(slot)
            if all(key.get(kind) is None for kind in ("nodeID", "static", "kms", "tpm")):
                ctx.fail("R467", f"partition {quote(label)}: encryption key at slot {slot} doesn't have the "
                                 "configuration parameters")


@document_check(LEGACY_KIND, "R468", "R469", "X07", "X08", "X09")
def kubespan_filters(document: Document, ctx: Context) -> None:
    kubespan = dig(document, "machine", "network", "kubespan")
    if kubespan is None or not flag(mapping(kubespan).get("enabled")):
        return
    cluster = mapping(document.get("cluster"))
    if ctx.minor < 14:  # v1.13.9 v1alpha1_validation.go:272-284: moved to the container check in v1.14
        if not flag(dig(cluster, "discovery", "enabled")):
            ctx.fail("X07", ".cluster.discovery should be enabled when .machine.network.kubespan is enabled")
        for field, rule in (("id", "X08"), ("secret", "X09")):
            if (not present(cluster, field)) if ctx.placeholder_secrets else not text(cluster.get(field)):
                ctx.fail(rule, f".cluster.{field} should be set when .machine.network.kubespan is enabled")
    for cidr in map(text, items(dig(kubespan, "filters", "endpoints"))):
        cidr = cidr.removeprefix("!")
        if goparse.parse_subnet_or_address(cidr):
            ctx.fail("R468", f"KubeSpan endpoint filter is not valid: {quote(cidr)}")
    for cidr in map(text, items(dig(kubespan, "filters", "excludeAdvertisedNetworks"))):
        if goparse.parse_prefix(cidr):
            ctx.fail("R469", f"KubeSpan exclude advertised networks filter is not valid: {quote(cidr)}")


@document_check(LEGACY_KIND, "R434", "R435", "R436", "R437")
def logging(document: Document, ctx: Context) -> None:
    """LoggingConfig.Validate."""
    for destination in map(mapping, items(dig(document, "machine", "logging", "destinations"))):
        endpoint = text(destination.get("endpoint"))
        url = goparse.parse_url(endpoint)[0] if endpoint else None
        if url is None:
            ctx.fail("R434", "empty logging endpoint")
        else:
            if not url.host:
                ctx.fail("R435", "empty logging endpoint's host")
            if url.scheme not in ("tcp", "udp"):
                ctx.fail("R436", f"unexpected logging endpoint scheme {quote(url.scheme)}")
        log_format = text(destination.get("format"))
        if log_format != "json_lines":  # constants.LoggingFormatJSONLines
            ctx.fail("R437", f"unknown logging format {quote(log_format)}")


@document_check(LEGACY_KIND, "R470")
def extensions(document: Document, ctx: Context) -> None:
    install = dig(document, "machine", "install")
    if install is None:
        return
    seen: set[str] = set()
    for extension in items(mapping(install).get("extensions")):
        image = text(mapping(extension).get("image"))
        if image in seen:
            ctx.fail("R470", f"duplicate system extension {quote(image)}")
        seen.add(image)
    if seen:
        ctx.warn("R482", ".machine.install.extensions is deprecated, please see "
                         + _EXTENSIONS_DOCS[14 if ctx.minor >= 14 else 0])


@document_check(LEGACY_KIND, "R471", "R472", "R473")
def node_labels(document: Document, ctx: Context) -> None:
    machine = _machine(document) or {}
    for field, rule, what, errors in (
            ("nodeLabels", "R471", "labels", labels.label_errors),
            ("nodeAnnotations", "R472", "annotations", labels.annotation_errors),
            ("nodeTaints", "R473", "taints", labels.taint_errors)):
        found = errors(mapping(machine.get(field)))
        if found:
            ctx.fail(rule, f"invalid machine node {what}: {goparse.multierror(found)}")


@document_check(LEGACY_KIND, "R474", "R475")
def talos_api_access(document: Document, ctx: Context) -> None:
    machine = _machine(document)
    access = dig(machine, "features", "kubernetesTalosAPIAccess")
    if machine is None or access is None or not flag(mapping(access).get("enabled")):
        return
    if not is_control_plane(machine):
        ctx.fail("R474", "feature Kubernetes Talos API Access can only be enabled on control plane machines")
    roles = _ROLES + (_ROLES_SINCE_14 if ctx.minor >= 14 else ())
    for role in map(text, items(mapping(access).get("allowedRoles"))):
        if role not in roles:
            ctx.fail("R475", f"invalid role {quote(role)} in allowed roles for Kubernetes Talos API Access")


@document_check(LEGACY_KIND, "R476", "R477")
def features_and_persist(document: Document, ctx: Context) -> None:
    if _machine(document) is None:
        return  # Config.Validate stops at "machine instructions are required"
    algorithm = text(dig(document, "machine", "features", "nodeAddressSortAlgorithm"))
    if algorithm and algorithm.lower() not in _ADDRESS_SORT:  # enumer: a name or its lower-case form
        ctx.fail("R476", f"invalid node address sort algorithm: {algorithm} does not belong to AddressSortAlgorithm "
                         "values")
    if document.get("persist") is False:
        ctx.fail("R477", ".persist should be enabled")


# opencontainers/runtime-spec specs-go config.go: the JSON types of Spec's fields and of the Process
# fields most often overridden; json.Unmarshal refuses a value of another JSON type there.
_SPEC_FIELDS = {"ociVersion": ("string", "string"), "process": ("object", "specs.Process"),
                "root": ("object", "specs.Root"), "hostname": ("string", "string"),
                "domainname": ("string", "string"), "mounts": ("array", "[]specs.Mount"),
                "hooks": ("object", "specs.Hooks"), "annotations": ("object", "map[string]string"),
                "linux": ("object", "specs.Linux"), "solaris": ("object", "specs.Solaris"),
                "windows": ("object", "specs.Windows"), "vm": ("object", "specs.VM"),
                "zos": ("object", "specs.ZOS")}
_PROCESS_FIELDS = {"terminal": ("boolean", "bool"), "user": ("object", "specs.User"), "args": ("array", "[]string"),
                   "commandLine": ("string", "string"), "env": ("array", "[]string"), "cwd": ("string", "string"),
                   "capabilities": ("object", "specs.LinuxCapabilities"), "rlimits": ("array", "[]specs.POSIXRlimit"),
                   "noNewPrivileges": ("boolean", "bool"), "apparmorProfile": ("string", "string"),
                   "oomScoreAdj": ("number", "int"), "selinuxLabel": ("string", "string")}


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _unsupported_json(value: Any) -> str | None:
    """encoding/json Marshal's UnsupportedValueError: NaN and infinities (YAML .nan, .inf) have no JSON form."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("+Inf" if value > 0 else "-Inf")
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return next((found for child in children if (found := _unsupported_json(child))), None)


def _spec_error(spec: dict[str, Any]) -> str | None:
    """json.Unmarshal of the overrides into specs.Spec: the first field of the wrong JSON type."""
    for fields, owner, value in ((_SPEC_FIELDS, "Spec", spec), (_PROCESS_FIELDS, "Spec.process",
                                                                 mapping(spec.get("process")))):
        for field, (expected, go_type) in fields.items():
            if field not in value or value[field] is None:
                continue
            actual = _json_type(value[field])
            if actual != {"boolean": "bool"}.get(expected, expected):
                return f"json: cannot unmarshal {actual} into Go struct field {owner}.{field} of type {go_type}"
            if go_type in ("[]string", "map[string]string"):
                members = value[field] if isinstance(value[field], list) else list(value[field].values())
                bad = next((m for m in members if m is not None and not isinstance(m, str)), None)
                if bad is not None:
                    return f"json: cannot unmarshal {_json_type(bad)} into Go struct field {owner}.{field} of type " \
                           "string"
    return None


@document_check(LEGACY_KIND, "R478", "R479")
def base_runtime_spec(document: Document, ctx: Context) -> None:
    overrides = mapping(dig(document, "machine", "baseRuntimeSpecOverrides"))
    if not overrides:
        return
    unsupported = _unsupported_json(overrides)
    if unsupported:
        ctx.fail("R478", f"failed to marshal base runtime spec overrides: json: unsupported value: {unsupported}")
        return
    problem = _spec_error(overrides)
    if problem:
        ctx.fail("R479", f"failed to unmarshal base runtime spec overrides: {problem}")


@document_check(LEGACY_KIND, "R480", "R481")
def registries(document: Document, ctx: Context) -> None:
    section = mapping(dig(document, "machine", "registries"))
    for field, rule in (("config", "R480"), ("mirrors", "R481")):
        for name, value in sorted(mapping(section.get(field)).items()):
            if value is None:
                ctx.fail(rule, f"registries.{field}[{quote(str(name))}] is null")


_IMAGE_VERSION = re.compile(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?P<suffix>[-+].*)?$")  # semver.ParseTolerant


def kubernetes_image_error(image: str, minor: int, talos_version: str) -> str | None:
    """compatibility.ValidateKubernetesImageTag: the image's Kubernetes version is supported by the target."""
    index = image.rfind(":v")
    if index < 0:
        return f"failed to parse Kubernetes version from image reference {quote(image)}: invalid image reference: " \
               f"{quote(image)}"
    version = image[index + 2:].split("@", 1)[0].strip()
    match = _IMAGE_VERSION.match(version)
    if not match:
        return f"failed to parse Kubernetes version from image reference {quote(image)}: Invalid character(s) found " \
               f"in version {quote(version)}"
    low, high = kubernetes_minor_range(1, minor)
    core = tuple(int(part or 0) for part in match.groups()[:3])
    talos = talos_version.removeprefix("v") or f"1.{minor}.0"
    shown = ".".join(str(part) for part in core) + (match.group("suffix") or "")
    if core < (1, low, 0):
        return f"version of Kubernetes {shown} is too old to be used with Talos {talos}"
    if core >= (1, high, 99):
        return f"version of Kubernetes {shown} is too new to be used with Talos {talos}"
    return None


@document_check(LEGACY_KIND, "R548", "R549", "X10", "X11")
def kubernetes_versions(document: Document, ctx: Context) -> None:
    """Config.ValidateKubernetesVersions (v1.14: Validate unless local; before: RuntimeValidate on the node)."""
    if ctx.local:
        return
    machine = _machine(document)
    kubelet_rule, image_rule = ("R548", "R549") if ctx.minor >= 14 else ("X10", "X11")
    kubelet_image = text(dig(machine, "kubelet", "image"))
    if kubelet_image and (problem := kubernetes_image_error(kubelet_image, ctx.minor, ctx.talos_version)):
        ctx.fail(kubelet_rule, f"kubelet image is not valid: {problem}")
    cluster = document.get("cluster")
    if machine is None or cluster is None or not is_control_plane(machine):
        return
    for field, name in (("apiServer", "kube-apiserver"), ("controllerManager", "kube-controller-manager"),
                        ("scheduler", "kube-scheduler")):
        image = text(dig(cluster, field, "image"))
        if image and (problem := kubernetes_image_error(image, ctx.minor, ctx.talos_version)):
            ctx.fail(image_rule, f"{name} image is not valid: {problem}")
