"""Container image references as Talos's config checks parse them: google/go-containerregistry pkg/name
ParseReference with its default (weak) options: a tag reference (repository[:tag]) or a digest reference
(repository@sha256:<64 hex>), a registry that is a valid URI authority. (Kubernetes versions in image tags:
kubernetes.py.)
"""

from __future__ import annotations

import re

from ..golang import url
from ..golang.strconv import clip

_TAG_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-.ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_REPOSITORY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-./")


def _element_ok(element: str, allowed: frozenset[str], longest: int) -> bool:
    # pkg/name check.go checkElement: a length in runes, then only allowed runes
    return 1 <= len(element) <= longest and all(char in allowed for char in element)


def _registry_ok(registry: str) -> bool:
    # registry.go checkRegistry: url.Parse("//" + name) must give the name back as the host
    try:
        return url.parse("//" + registry).host == registry
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
