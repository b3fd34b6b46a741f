"""Talos's checks of ContainerConfig, the v1.14 document that runs a container on the host (types/container).

Ports container_config.go (Validate, ValidateName, ValidateMounts, ValidateAbsPath, NormalizedImage),
mounts.go (ContainerMount.Validate, ValidateMountOptions), runas.go, runtime.go (network mode, resource limits,
parseMillicores, dependsOn) and security.go (profile, ValidateCapabilityName) at v1.14.0-rc.1.
"""

from __future__ import annotations

import re

from ...golang.humanize import parse_bytes
from ...golang.strconv import byte_length, parse_uint, quote
from ..imageref import reference_problem
from ..registry import Context, Document, document_check
from ..values import items, mapping, number, present, text

MAX_NAME = 63
MOUNT_OPTIONS = ("ro", "rw", "noexec", "nosuid", "nodev", "noatime", "rbind", "rshared")  # validMountOptions
NETWORK_CONDITIONS = ("addresses", "connectivity", "hostname", "etcfiles")  # validNetworkConditions
_MOUNT_FIELDS = {"userVolume": ("userVolume.destination",), "tmpfs": ("tmpfs.destination",),
                 "hostPath": ("hostPath.source", "hostPath.destination")}


def abs_path_problem(kind: str, path: str) -> str | None:
    """ValidateAbsPath."""
    if path == "":
        return f"{kind} is required"
    if not path.startswith("/"):
        return f"{kind} {quote(path)} must be an absolute path"
    return None


def mount_options_problems(options: list[str]) -> list[tuple[str, str]]:
    """ValidateMountOptions: (rule, message) for each unsupported option, and ro with rw."""
    problems = [("R107", f"unsupported mount option {quote(option)}") for option in options
                if option not in MOUNT_OPTIONS]
    if "ro" in options and "rw" in options:
        problems.append(("R108", "mount options ro and rw are mutually exclusive"))
    return problems


def _mount_problems(mount: dict[str, object]) -> tuple[str, list[tuple[str, str]]]:
    """ContainerMount.Validate: the destination and (rule, message) for each problem."""
    kinds = [kind for kind in _MOUNT_FIELDS if present(mount, kind)]
    if len(kinds) != 1:
        return "", [("R105", "exactly one of userVolume, tmpfs or hostPath must be set")]
    kind = kinds[0]
    spec = mapping(mount[kind])
    problems: list[tuple[str, str]] = []
    if kind == "userVolume" and not text(spec.get("name")):
        problems.append(("R106", "userVolume.name is required"))
    for field in _MOUNT_FIELDS[kind]:
        problem = abs_path_problem(field, text(spec.get(field.split(".")[1])))
        if problem:
            problems.append(("R104" if "absolute" in problem else "R103", problem))
    problems += mount_options_problems([text(option) for option in items(spec.get("options"))])
    return text(spec.get("destination")), problems


def _mounts(ctx: Context, mounts: list[object]) -> None:
    """ValidateMounts: each mount, then no destination twice."""
    destinations: set[str] = set()
    for index, mount in enumerate(mounts):
        destination, problems = _mount_problems(mapping(mount))
        for rule, message in problems:
            ctx.fail("R098", f"mounts[{index}]: {message}", inner=rule)
        if problems:
            continue
        if destination in destinations:
            ctx.fail("R099", f"mounts[{index}]: duplicate destination {quote(destination)}")
        destinations.add(destination)


def capability_problem(field: str, capability: str) -> tuple[str, str] | None:
    """ValidateCapabilityName."""
    if capability == "":
        return "R122", f"{field}: capability name must not be empty"
    if capability.startswith("CAP_"):
        return "R123", f"{field}: capability {quote(capability)} must be given without the CAP_ prefix"
    if capability.upper() != capability:
        return "R124", f"{field}: capability {quote(capability)} must be upper case"
    if not re.fullmatch(r"[A-Z_]*", capability):
        return "R125", f"{field}: capability {quote(capability)} may only contain upper case letters and " \
                       "underscores"
    return None


def _security(ctx: Context, security: dict[str, object]) -> None:
    """ContainerSecurity.Validate."""
    profile = text(security.get("profile"))
    if profile not in ("", "restricted", "privileged"):
        ctx.fail("R119", f"unsupported security profile {quote(profile)}, expected restricted or privileged")
    if not present(security, "capabilities"):
        return
    capabilities = mapping(security.get("capabilities"))
    add = [text(c) for c in items(capabilities.get("add"))]
    drop = [text(c) for c in items(capabilities.get("drop"))]
    for capability in add:
        if capability == "ALL":
            ctx.fail("R120", "capabilities.add does not accept ALL, use profile: privileged instead")
        elif problem := capability_problem("capabilities.add", capability):
            ctx.fail(*problem)
    for capability in drop:
        if capability != "ALL" and (problem := capability_problem("capabilities.drop", capability)):
            ctx.fail(*problem)
    for capability in add:
        if capability in drop:
            ctx.fail("R121", f"capability {quote(capability)} appears in both add and drop")


def millicores_problem(value: str) -> tuple[str, str] | None:
    """parseMillicores."""
    if not value.endswith("m"):
        return "R113", f"limits.cpu {quote(value)} must be expressed in millicores, e.g. 1500m"
    try:
        millicores = parse_uint(value[:-1])
    except ValueError as error:
        return "R114", f"limits.cpu {quote(value)} is not a valid millicore quantity: {error}"
    if millicores == 0:
        return "R115", f"limits.cpu {quote(value)} must be greater than zero"
    return None


def _resources(ctx: Context, resources: dict[str, object]) -> None:
    """ContainerResources.Validate."""
    if not present(resources, "limits"):
        return
    limits = mapping(resources.get("limits"))
    memory, cpu = text(limits.get("memory")), text(limits.get("cpu"))
    if memory:
        try:
            parse_bytes(memory)
        except ValueError as error:
            ctx.fail("R112", f"limits.memory {quote(memory)} is not a valid size: {error}")
    if cpu and (problem := millicores_problem(cpu)):
        ctx.fail(*problem)


def _depends_on(ctx: Context, depends_on: dict[str, object], own_name: str) -> None:
    """ContainerDependsOn.Validate."""
    for path in items(depends_on.get("paths")):
        problem = abs_path_problem("dependsOn.paths entry", text(path))
        if problem:
            ctx.fail("R104" if "absolute" in problem else "R103", problem)
    for condition in map(text, items(depends_on.get("networks"))):
        if condition not in NETWORK_CONDITIONS:
            ctx.fail("R116", f"unsupported dependsOn.networks condition {quote(condition)}")
    for name in map(text, items(depends_on.get("containers"))):
        if name == "":
            ctx.fail("R117", "dependsOn.containers entry must not be empty")
        elif name == own_name:
            ctx.fail("R118", f"container {quote(own_name)} cannot depend on itself")


@document_check("ContainerConfig", "R095", "R096", "R097", "R098", "R099", "R100", "R101", "R102", "R103", "R104",
                "R105", "R106", "R107", "R108", "R109", "R110", "R111", "R112", "R113", "R114", "R115", "R116",
                "R117", "R118", "R119", "R120", "R121", "R122", "R123", "R124", "R125")
def container_config(document: Document, ctx: Context) -> None:
    """ContainerConfigV1Alpha1.Validate."""
    name = text(document.get("name"))
    if name == "":
        ctx.fail("R100", "name is required")
    elif byte_length(name) > MAX_NAME:
        ctx.fail("R101", f"name {quote(name)} must be {MAX_NAME} characters or fewer")
    elif not re.fullmatch(r"[a-z0-9-]+", name):
        ctx.fail("R102", f"name {quote(name)}: name can only contain lowercase ASCII letters, digits and "
                            "hyphens")
    image = text(document.get("image"))
    if image == "":
        ctx.fail("R096", "image is required")
    elif (problem := reference_problem(image)) is not None:
        ctx.fail("R095", f"invalid image reference {quote(image)}: {problem}")
    for index, variable in enumerate(map(text, items(document.get("environment")))):
        if "=" not in variable:
            ctx.fail("R097", f"environment[{index}]: {quote(variable)} must be in KEY=value form")
    _mounts(ctx, items(document.get("mounts")))
    if present(document, "security"):
        _security(ctx, mapping(document.get("security")))
    if present(document, "network"):
        mode = text(mapping(document.get("network")).get("mode"))
        if mode not in ("", "none", "host"):
            ctx.fail("R111", f"unsupported network mode {quote(mode)}, expected none or host")
    if present(document, "resources"):
        _resources(ctx, mapping(document.get("resources")))
    if present(document, "dependsOn"):
        _depends_on(ctx, mapping(document.get("dependsOn")), name)
    if present(document, "runAs"):
        run_as = mapping(document.get("runAs"))
        for field, rule in (("uid", "R109"), ("gid", "R110")):
            if (value := number(run_as.get(field))) < 0:
                ctx.fail(rule, f"runAs.{field} must be non-negative, got {value}")

