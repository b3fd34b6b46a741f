"""Kubernetes names, labels, annotations and taints as Talos checks them (pkg/machinery/labels/validate.go,
v1.14.0-rc.1). Each collection check returns every problem, keys in sorted order as Talos walks them; Talos joins
them as a hashicorp/go-multierror (golang.multierror.format_errors)."""

from __future__ import annotations

import re
from typing import Any

from ..golang.strconv import byte_length, quote, scalar_text

_DNS1123_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN = re.compile(rf"{_DNS1123_LABEL}(\.{_DNS1123_LABEL})*")
_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
TOTAL_ANNOTATION_SIZE_LIMIT = 256 * (1 << 10)  # TotalAnnotationSizeLimitB
# constants.AnnotationOwnedAnnotations, AnnotationOwnedLabels, AnnotationOwnedTaints
RESERVED_ANNOTATIONS = ("talos.dev/owned-annotations", "talos.dev/owned-labels", "talos.dev/owned-taints")
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")  # constants.ValidEffects


def dns1123_subdomain_error(value: str) -> str | None:
    """ValidateDNS1123Subdomain."""
    if byte_length(value) > 253:
        return f"domain name length exceeds limit of 253: {quote(value)}"
    if not _DNS1123_SUBDOMAIN.fullmatch(value):
        return f"domain doesn't match required format: {quote(value)}"
    return None


def qualified_name_error(value: str) -> str | None:
    """ValidateQualifiedName: ``[prefix/]name`` as Kubernetes label keys are."""
    parts = value.split("/")
    if len(parts) > 2:
        return f"invalid format: too many slashes: {quote(value)}"
    name = parts[-1]
    if len(parts) == 2:
        if not parts[0]:
            return f"prefix cannot be empty: {quote(value)}"
        if (problem := dns1123_subdomain_error(parts[0])) is not None:
            return f"prefix {quote(parts[0])} is invalid: {problem}"
    if not name:
        return f"name cannot be empty: {quote(value)}"
    if byte_length(name) > 63:
        return f"name is too long: {quote(value)} (limit is 63)"
    if not _QUALIFIED_NAME.fullmatch(name):
        return f"name {quote(name)} is invalid"
    return None


def label_value_error(value: str) -> str | None:
    """ValidateLabelValue."""
    if byte_length(value) > 63:
        return f"label value length exceeds limit of 63: {quote(value)}"
    if value and not _QUALIFIED_NAME.fullmatch(value):
        return f"label value {quote(value)} is invalid"
    return None


def _sorted(values: dict[Any, Any]) -> list[tuple[str, str]]:
    """A map[string]string as the decoder filled it, in Go's sort.Strings order of its keys."""
    return sorted((scalar_text(key), scalar_text(value)) for key, value in values.items())


def label_errors(labels: dict[Any, Any]) -> list[str]:
    """labels.Validate."""
    return [problem for key, value in _sorted(labels)
            for problem in (qualified_name_error(key), label_value_error(value)) if problem]


def annotation_errors(annotations: dict[Any, Any]) -> list[str]:
    """labels.ValidateAnnotations: keys, the reserved ones, and the total size."""
    problems: list[str] = []
    size = 0
    for key, value in _sorted(annotations):
        if (problem := qualified_name_error(key)) is not None:
            problems.append(problem)
        if key in RESERVED_ANNOTATIONS:
            problems.append(f"annotation {quote(key)} is reserved")
        size += byte_length(key) + byte_length(value)
    if size > TOTAL_ANNOTATION_SIZE_LIMIT:
        problems.append(f"total annotation size exceeds limit of {TOTAL_ANNOTATION_SIZE_LIMIT} bytes")
    return problems


def taint_errors(taints: dict[Any, Any]) -> list[str]:
    """labels.ValidateTaints: ``key: [value:]Effect``."""
    problems: list[str] = []
    for key, text in _sorted(taints):
        if (problem := qualified_name_error(key)) is not None:
            problems.append(problem)
            continue
        value, found, effect = text.partition(":")
        if not found:
            effect = value
        if effect not in TAINT_EFFECTS:
            problems.append(f"invalid taint effect: {quote(effect)}")
        elif found and (problem := label_value_error(value)) is not None:
            problems.append(problem)
    return problems
