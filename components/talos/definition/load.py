"""Reading a definition file: ``${VAR}`` substitution as talhelper does it, then structure and types."""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .. import yamlio
from ..errors import ConfigError, TalosError
from ..versions import TALHELPER_TALOS_VERSION, normalize_kubernetes_version, normalize_tag
from . import envsubst, talenv
from .contents import inline_manifests, machine_files
from .fields import check_fields, output_file_name
from .model import (
    GROUP_FIELDS,
    NODE_FIELDS,
    PROXMOX_FIELDS,
    TALHELPER_UNSUPPORTED,
    TOP_FIELDS,
    VULTR_FIELDS,
    ClusterDefinition,
    NodeDefinition,
    ProxmoxMachine,
    VultrMachine,
)
from .problems import DefinitionError, Problem, ProblemList, redacted
from .validate import validate

_VARIABLE_NAME = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")
_LIST_FIELDS = {"patches", "nameservers", "networkInterfaces", "kernelModules", "machineFiles", "certSANs",
                "machineDisks", "extensionServices", "volumes", "userVolumes", "extraManifests"}
_MAP_FIELDS = {"nodeLabels", "nodeAnnotations", "nodeTaints", "schematic", "installDiskSelector", "machineSpec",
               "ingressFirewall", "imageSchematic"}
# talhelper's bool fields: a string "false" must never count as true
_BOOL_FIELDS = {"controlPlane", "overridePatches", "overrideMachineCertSANs", "disableSearchDomain"}
_STRING_FIELDS = {"hostname", "ipAddress", "installDisk", "talosImageURL", "arch"}


def substitute_environment(text: str, source: str, environ: Mapping[str, str]) -> str:
    """talhelper's envsubst (restricted, comments stripped first): unset or empty variables are errors."""
    try:
        return envsubst.substitute(text, source, environ)
    except envsubst.SubstitutionError as error:
        raise DefinitionError(source, [Problem("environment", str(error))]) from None


def substituted_values(text: str, environ: Mapping[str, str]) -> frozenset[str]:
    """The values `${VAR}` references take from the environment: secrets as far as previews are concerned."""
    return frozenset(substituted_labels(text, environ))


def _origin(name: str, sources: Mapping[str, str]) -> str:
    return f"${{{name}}} from {sources[name]}" if name in sources else f"${{{name}}} from the environment"


def substituted_labels(text: str, environ: Mapping[str, str]) -> dict[str, str]:
    """Each value a `${VAR}` reference takes, with where it came from (a talenv file or the environment)."""
    sources: Mapping[str, str] = getattr(environ, "sources", {})
    return {environ[name]: _origin(name, sources) for name in _VARIABLE_NAME.findall(text) if environ.get(name)}


def _check_fields(mapping: dict[str, Any], allowed: tuple[str, ...], path: str, problems: ProblemList) -> None:
    for key in mapping:
        where = f"{path}.{key}" if path else str(key)
        if key in allowed:
            continue
        if key in TALHELPER_UNSUPPORTED:
            problems.add(where, f"is not supported: {TALHELPER_UNSUPPORTED[key]}")
            continue
        close = difflib.get_close_matches(str(key), allowed, n=1)
        # the whole list would make one error line of hundreds of characters: the reference names them all
        listed = ", ".join(allowed[:12]) + (f" and {len(allowed) - 12} more (see the README)" if len(allowed) > 12
                                             else "")
        hint = f"; did you mean {close[0]!r}?" if close else f"; expected one of {listed}"
        problems.add(where, f"unknown field{hint}")


def _typed(mapping: dict[str, Any], path: str, problems: ProblemList) -> dict[str, Any]:
    """Drop fields of the wrong shape (reported) so later checks see clean data."""
    result: dict[str, Any] = {}
    for key, value in mapping.items():
        if value is None:
            continue
        structured = check_fields({key: value}, path)
        for line in structured:
            where, _, message = line.partition(": ")
            problems.add(where, message)
        if structured:
            continue
        if key in _LIST_FIELDS and not isinstance(value, list):
            problems.add(f"{path}.{key}", "expected a list", value)
        elif key in _MAP_FIELDS and not isinstance(value, dict):
            problems.add(f"{path}.{key}", "expected a mapping", value)
        elif key == "patches" and not all(isinstance(p, str) for p in value):
            problems.add(f"{path}.{key}", "expected a list of strings (inline YAML or @file)")
        elif key in _BOOL_FIELDS and not isinstance(value, bool):
            problems.add(f"{path}.{key}", "expected true or false", value)
        elif key in _STRING_FIELDS and not isinstance(value, str):
            problems.add(f"{path}.{key}", "expected a string", value)
        else:
            result[key] = value
    return result


def _machine(values: dict[str, Any], key: str, allowed: tuple[str, ...], path: str,
             problems: ProblemList) -> dict[str, Any] | None:
    block = values.get(key)
    if block is None:
        return None
    if not isinstance(block, dict):
        problems.add(f"{path}.{key}", "expected a mapping", block)
        return None
    _check_fields(block, allowed, f"{path}.{key}", problems)
    return block


def _proxmox(block: dict[str, Any], path: str, problems: ProblemList) -> ProxmoxMachine | None:
    if not isinstance(block.get("node"), str):
        problems.add(f"{path}.proxmox.node", "is required: the Proxmox VE node that hosts the VM")
        return None
    ints = {"vmId": "vm_id", "cores": "cores", "memory": "memory", "diskSize": "disk_size", "vlan": "vlan"}
    kwargs: dict[str, Any] = {"node": block["node"]}
    for field, attribute in ints.items():
        if field in block:
            if not isinstance(block[field], int) or isinstance(block[field], bool) or block[field] <= 0:
                problems.add(f"{path}.proxmox.{field}", "expected a positive integer", block[field])
            else:
                kwargs[attribute] = block[field]
    for field, attribute in (("datastore", "datastore"), ("imageDatastore", "image_datastore"),
                             ("bridge", "bridge"), ("cpuType", "cpu_type")):
        if field in block:
            kwargs[attribute] = str(block[field])
    return ProxmoxMachine(**kwargs)


def _vultr(block: dict[str, Any], path: str, problems: ProblemList) -> VultrMachine | None:
    missing = [key for key in ("plan", "region") if not isinstance(block.get(key), str) or not block[key]]
    for required in missing:
        problems.add(f"{path}.vultr.{required}", "is required (e.g. plan vc2-2c-4gb, region cdg)")
    if missing:
        return None
    if not re.fullmatch(r"[a-z]{3}", block["region"]):
        problems.add(f"{path}.vultr.region", "expected a Vultr region id of three lowercase letters, e.g. cdg",
                     block["region"])
        return None
    tags = block.get("tags") or []
    if not isinstance(tags, list):
        problems.add(f"{path}.vultr.tags", "expected a list of strings", tags)
        return None
    enable_ipv6 = block.get("enableIpv6", True)
    if not isinstance(enable_ipv6, bool):
        problems.add(f"{path}.vultr.enableIpv6", "expected true or false", enable_ipv6)
        return None
    return VultrMachine(plan=block["plan"], region=block["region"], label=str(block.get("label") or ""),
                        tags=[str(tag) for tag in tags], enable_ipv6=enable_ipv6)


def _group(data: dict[str, Any], key: str, problems: ProblemList) -> dict[str, Any]:
    group = data.get(key) or {}
    if not isinstance(group, dict):
        problems.add(key, "expected a mapping of node settings", group)
        return {}
    _check_fields(group, GROUP_FIELDS, key, problems)
    return _typed(group, key, problems)


def _merge_node(group: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """talhelper mergeNodeConfigs: non-zero node fields override the group's; certSANs and
    extraManifests append the group's after the node's (an empty node list takes the group's)."""
    merged = {**group, **{k: v for k, v in node.items() if v not in (None, "", [], {})}}
    for field, override in (("certSANs", "overrideMachineCertSANs"), ("extraManifests", "overrideExtraManifests")):
        if not node.get(override):
            merged[field] = list(node.get(field) or []) + list(group.get(field) or [])
    return merged


def _nodes(data: dict[str, Any], problems: ProblemList) -> list[NodeDefinition]:
    raw_nodes = data.get("nodes")
    if not isinstance(raw_nodes, list) or not raw_nodes:
        problems.add("nodes", "expected a non-empty list of nodes")
        return []
    groups = {True: _group(data, "controlPlane", problems), False: _group(data, "worker", problems)}
    nodes: list[NodeDefinition] = []
    for index, raw in enumerate(raw_nodes):
        path = f"nodes[{index}]"
        if not isinstance(raw, dict):
            problems.add(path, "expected a mapping with hostname, ipAddress, controlPlane", raw)
            continue
        _check_fields(raw, NODE_FIELDS, path, problems)
        values = _typed(raw, path, problems)
        hostname = values.get("hostname")
        if not isinstance(hostname, str) or not hostname:
            problems.add(f"{path}.hostname", "is required")
            hostname = f"<node {index}>"
        control_plane = values.get("controlPlane", False)  # _typed reported and dropped a non-boolean
        group = groups[control_plane]
        merged = _merge_node(group, values)
        patches = list(values.get("patches") or []) if values.get("overridePatches") else \
            list(group.get("patches") or []) + list(values.get("patches") or [])
        proxmox_block = _machine(values, "proxmox", PROXMOX_FIELDS, path, problems)
        vultr_block = _machine(values, "vultr", VULTR_FIELDS, path, problems)
        ip_address = values.get("ipAddress")
        if merged.get("filenameTmpl"):
            try:
                output_file_name(str(merged["filenameTmpl"]), "", hostname, "", "")
            except ConfigError as error:
                problems.add(f"{path}.filenameTmpl", str(error).removeprefix("filenameTmpl: "))
        nodes.append(NodeDefinition(
            index=index, hostname=hostname, control_plane=control_plane,
            ip_address=str(ip_address) if ip_address is not None else None, values=merged, patches=patches,
            proxmox=_proxmox(proxmox_block, path, problems) if proxmox_block is not None else None,
            vultr=_vultr(vultr_block, path, problems) if vultr_block is not None else None,
        ))
    return nodes


def _string_list(data: dict[str, Any], key: str, problems: ProblemList) -> list[str]:
    value = data.get(key) or []
    if not isinstance(value, list):
        problems.add(key, "expected a list", value)
        return []
    return [str(item) for item in value]


def parse_definition(text: str, source: str, environ: Mapping[str, str] | None = None,
                     substitute: bool = True) -> ClusterDefinition:
    """Parse and validate; raises DefinitionError listing every problem.

    ``substitute=False``: ``${VAR}`` is left as written (talhelper ``validate talconfig --no-substitute``).
    """
    labels = substituted_labels(text, os.environ if environ is None else environ) if substitute else {}
    environ = dict(os.environ if environ is None else environ)
    sensitive = frozenset(labels)
    if substitute:
        text = substitute_environment(text, source, environ)
    try:
        data = yamlio.load(text)
    except Exception as error:
        raise DefinitionError(source, [Problem("(file)", f"not valid YAML: {yamlio.describe_error(error)}")],
                              labels) from None
    if not isinstance(data, dict):
        raise DefinitionError(source, [Problem("(file)", "expected a mapping (talconfig.yaml format)")], labels)
    problems = ProblemList()
    _check_fields(data, TOP_FIELDS, "", problems)
    for line in check_fields({k: v for k, v in data.items() if k in ("inlineManifests", "cniConfig")}, ""):
        where, _, message = line.partition(": ")
        problems.add(where, message)
    for required in ("clusterName", "endpoint", "kubernetesVersion"):
        if not isinstance(data.get(required), str) or not data[required]:
            problems.add(required, "is required to be not empty")
    talos_version = kubernetes_version = ""
    if data.get("talosVersion") is not None and not isinstance(data["talosVersion"], str):
        # a YAML number is no version: `talosVersion: 1.10` reads as 1.1
        problems.add("talosVersion", "expected a string such as v1.13.9 (quote a bare number)", data["talosVersion"])
    try:
        # talhelper GetTalosVersion: an empty talosVersion is its LatestTalosVersion
        talos_version = normalize_tag(str(data.get("talosVersion") or TALHELPER_TALOS_VERSION), "talosVersion")
    except Exception as error:
        if data.get("talosVersion"):
            problems.add("talosVersion", str(error).removeprefix("talosVersion: "), data.get("talosVersion"))
    try:
        kubernetes_version = normalize_kubernetes_version(str(data.get("kubernetesVersion") or ""), "kubernetesVersion")
    except Exception as error:
        if data.get("kubernetesVersion"):
            problems.add("kubernetesVersion", str(error).removeprefix("kubernetesVersion: "),
                         data.get("kubernetesVersion"))
    for flag in ("allowSchedulingOnControlPlanes", "allowSchedulingOnMasters"):
        if data.get(flag) is not None and not isinstance(data[flag], bool):
            problems.add(flag, "expected true or false", data[flag])
    if data.get("domain") is not None and not isinstance(data["domain"], str):
        problems.add("domain", "expected a string", data["domain"])
    cni = data.get("cniConfig")
    if cni is not None and not (isinstance(cni, dict) and isinstance(cni.get("name"), str)):
        problems.add("cniConfig", "expected a mapping with name (and urls for custom)", cni)
        cni = None
    elif cni is not None and cni.get("urls") is not None and not (
            isinstance(cni["urls"], list) and all(isinstance(url, str) for url in cni["urls"])):
        problems.add("cniConfig.urls", "expected a list of manifest URLs", cni["urls"])
        cni = None
    elif cni is not None and cni.get("flannel") and cni["name"] != "flannel":
        problems.add("cniConfig.flannel", f"applies to name: flannel only, not {cni['name']!r}")
    definition = ClusterDefinition(
        source=source,
        cluster_name=str(data.get("clusterName") or ""),
        talos_version=talos_version,
        kubernetes_version=kubernetes_version,
        endpoint=str(data.get("endpoint") or ""),
        nodes=_nodes(data, problems),
        domain=str(data.get("domain") or "cluster.local"),
        allow_scheduling_on_control_planes=data.get("allowSchedulingOnControlPlanes") is True
        or data.get("allowSchedulingOnMasters") is True,
        additional_machine_cert_sans=_string_list(data, "additionalMachineCertSans", problems),
        additional_api_server_cert_sans=_string_list(data, "additionalApiServerCertSans", problems),
        pod_subnets=_string_list(data, "clusterPodNets", problems),
        service_subnets=_string_list(data, "clusterSvcNets", problems),
        cni=cni,
        patches=_string_list(data, "patches", problems),
        sensitive_values=sensitive,
        inline_manifests=list(data.get("inlineManifests") or []),
    )
    definition.environ = environ
    definition.secret_labels = labels
    _read_contents(definition, problems)
    validate(definition, problems)
    if problems:
        raise DefinitionError(source, list(problems), definition.secret_labels)
    return definition


def _read_contents(definition: ClusterDefinition, problems: ProblemList) -> None:
    """talhelper's loader reads @file contents before anything is rendered: inlineManifests, then each node's
    machineFiles (pkg/config/loader.go); a file that cannot be read or decrypted is a problem of the field."""
    base_dir = Path(definition.source).parent
    if definition.inline_manifests:
        try:
            definition.inline_manifests = inline_manifests(definition.inline_manifests, base_dir, definition.environ)
        except TalosError as error:
            where, _, message = str(error).partition(": ")
            problems.add(where, message)
    for node in definition.nodes:
        entries = node.values.get("machineFiles")
        if not entries:
            continue
        try:
            node.values["machineFiles"] = machine_files(entries, base_dir, definition.environ)
        except TalosError as error:
            problems.add(f"nodes[{node.index}]", str(error))


def load_definition(path: str | Path, environ: Mapping[str, str] | None = None,
                    env_files: Sequence[str | Path] | None = ()) -> ClusterDefinition:
    """Read and substitute a definition (talhelper reads talconfig.yaml itself unencrypted).

    ``env_files``: talhelper env files applied over ``environ`` (``None``: talhelper's default names, looked
    up beside the definition; the default ``()`` reads none).
    """
    try:
        text = yamlio.read_text(path)
    except OSError as error:
        raise DefinitionError(str(path), [Problem("(file)", f"cannot read: {error.strerror}")]) from None
    except yamlio.StrictYAMLError as error:
        raise DefinitionError(str(path), [Problem("(file)", str(error))]) from None
    try:
        merged = talenv.environment(env_files, Path(path).parent, environ) if env_files != () else environ
    except TalosError as error:
        raise DefinitionError(str(path), [Problem("environment", str(error))]) from None
    if merged is not environ and merged is not None:
        # talenv values (often from talenv.sops.yaml) may be used in @file patches and machineFiles too:
        # every one of them is masked in previews and named by its variable in errors
        given = os.environ if environ is None else environ
        sources: Mapping[str, str] = getattr(merged, "sources", {})
        from_files = {value: _origin(name, sources) for name, value in merged.items()
                      if value and given.get(name) != value}
    else:
        from_files = {}
    try:
        definition = parse_definition(text, str(path), merged)
    except DefinitionError as error:
        raise redacted(error, from_files) from None
    definition.secret_labels = {**from_files, **definition.secret_labels}
    definition.sensitive_values = definition.sensitive_values | frozenset(from_files)
    return definition
