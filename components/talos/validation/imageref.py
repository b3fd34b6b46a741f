"""Container image references as Talos's config checks parse them.

``reference_problem`` follows google/go-containerregistry pkg/name ParseReference with its default (weak)
options: a tag reference (repository[:tag]) or a digest reference (repository@sha256:<64 hex>), a registry that
is a valid URI authority. ``kubernetes_image_problem`` follows Talos's compatibility.ValidateKubernetesImageTag
(pkg/machinery/compatibility/kubernetes_image.go): the tag after the last ":v" is a Kubernetes version that the
Talos release supports (blang/semver ParseTolerant, then compatibility/talosXY's range).
"""

from __future__ import annotations

import re

from ..versions import kubernetes_minor_range
from .golang import clip, go_quote, parse_uint, parse_url

_TAG_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-.ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_REPOSITORY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-./")


def _element_ok(element: str, allowed: frozenset[str], longest: int) -> bool:
    # pkg/name check.go checkElement: a length in runes, then only allowed runes
    return 1 <= len(element) <= longest and all(char in allowed for char in element)


def _registry_ok(registry: str) -> bool:
    # registry.go checkRegistry: url.Parse("//" + name) must give the name back as the host
    try:
        return parse_url("//" + registry).host == registry
    except ValueError:
        return False


def _repository_ok(name: str) -> bool:
    # repository.go NewRepository: the first part is a registry if it is localhost or has a '.' or ':'
    if not name:
        return False
    registry, repository = "", name
    first, slash, rest = name.partition("/")
    if slash and (first == "localhost" or "." in first or ":" in first):
        registry, repository = first, rest
    return _element_ok(repository, _REPOSITORY_CHARS, 255) and _registry_ok(registry)


def _tag_ok(name: str) -> bool:
    # tag.go NewTag: the part after the last ':' is a tag unless it holds a '/' (then it is a registry port)
    base = name
    parts = name.split(":")
    if len(parts) > 1 and "/" not in parts[-1]:
        base, tag = ":".join(parts[:-1]), parts[-1]
        if not _element_ok(tag, _TAG_CHARS, 128):
            return False
    return _repository_ok(base)


def _digest_ok(name: str) -> bool:
    # digest.go NewDigest: exactly one '@', a sha256 digest (go-digest Canonical.Validate), a valid base
    parts = name.split("@")
    if len(parts) != 2 or not re.fullmatch(r"sha256:[a-f0-9]{64}", parts[1]):
        return False
    return _tag_ok(parts[0])


def reference_problem(reference: str) -> str | None:
    """name.ParseReference: why `reference` is not an image reference, or None."""
    if _tag_ok(reference) or _digest_ok(reference):
        return None
    return f"could not parse reference: {clip(reference)}"


def _semver_problem(version: str) -> tuple[tuple[int, int, int] | None, str | None]:
    """blang/semver ParseTolerant: (major, minor, patch) or the library's error text."""
    text = version.strip().removeprefix("v")
    parts = text.split(".", 2)
    for index, part in enumerate(parts):
        if len(part) > 1:
            part = part.lstrip("0")
            if not part or not part[0].isdigit():
                part = "0" + part
            parts[index] = part
    if len(parts) < 3:
        if any(char in parts[-1] for char in "+-"):
            return None, "Short version cannot contain PreRelease/Build meta data"
        parts += ["0"] * (3 - len(parts))
    return _semver_parse(".".join(parts))


def _semver_parse(text: str) -> tuple[tuple[int, int, int] | None, str | None]:
    """blang/semver Parse (the checks that can fail after ParseTolerant's clean-up)."""
    if not text:
        return None, "Version string empty"
    parts = text.split(".", 2)
    if len(parts) != 3:
        return None, "No Major.Minor.Patch elements found"
    numbers: list[int] = []
    patch, _, build = parts[2].partition("+")
    patch, _, prerelease = patch.partition("-")
    for label, value in (("major", parts[0]), ("minor", parts[1]), ("patch", patch)):
        if any(char not in "0123456789" for char in value):
            return None, f"Invalid character(s) found in {label} number {go_quote(value)}"
        if len(value) > 1 and value[0] == "0":
            return None, f"{label.capitalize()} number must not contain leading zeroes {go_quote(value)}"
        try:
            numbers.append(parse_uint(value))
        except ValueError as error:
            return None, str(error)
    if "-" in parts[2].partition("+")[0]:
        for identifier in prerelease.split("."):
            if not identifier:
                return None, "Prerelease is empty"
            if identifier.isdigit() and len(identifier) > 1 and identifier[0] == "0":
                return None, f"Numeric PreRelease version must not contain leading zeroes {go_quote(identifier)}"
            if not re.fullmatch(r"[0-9A-Za-z-]+", identifier):
                return None, f"Invalid character(s) found in prerelease {go_quote(identifier)}"
    if "+" in parts[2]:
        for identifier in build.split("."):
            if not identifier:
                return None, "Build meta data is empty"
            if not re.fullmatch(r"[0-9A-Za-z-]+", identifier):
                return None, f"Invalid character(s) found in build meta data {go_quote(identifier)}"
    return (numbers[0], numbers[1], numbers[2]), None


def kubernetes_image_problem(reference: str, talos_minor: int) -> str | None:
    """compatibility.ValidateKubernetesImageTag for a node running Talos 1.`talos_minor`."""
    index = reference.rfind(":v")
    if index < 0:
        return (f"failed to parse Kubernetes version from image reference {go_quote(reference)}: "
                f"invalid image reference: {go_quote(reference)}")
    version, problem = _semver_problem(reference[index + 2:].partition("@")[0])
    if version is None:
        return f"failed to parse Kubernetes version from image reference {go_quote(reference)}: {problem}"
    supported = kubernetes_minor_range(talos_minor)
    if supported is None:
        return None  # a release this project has no compatibility table for: nothing to say
    low, high = supported
    shown = ".".join(str(number) for number in version)
    if version[:2] < (1, low):
        return f"version of Kubernetes {shown} is too old to be used with Talos 1.{talos_minor}"
    if version >= (1, high, 99):  # compatibility/talosXY MaximumKubernetesVersion is 1.<high>.99
        return f"version of Kubernetes {shown} is too new to be used with Talos 1.{talos_minor}"
    return None
