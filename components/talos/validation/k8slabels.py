"""Kubernetes names, labels, annotations and taints as Talos checks them (pkg/machinery/labels/validate.go).

Each function returns Go's error text, or None for a valid value. Collections report every problem in key
order, as a hashicorp/go-multierror message (``golang.go_multierror``).
"""

from __future__ import annotations

import re
from typing import Any

from .golang import byte_length, go_multierror, go_quote

_DNS1123_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN = re.compile(rf"{_DNS1123_LABEL}(\.{_DNS1123_LABEL})*")
_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
TOTAL_ANNOTATION_SIZE_LIMIT = 256 * (1 << 10)
# constants.AnnotationOwnedAnnotations, AnnotationOwnedLabels, AnnotationOwnedTaints
RESERVED_ANNOTATIONS = ("talos.dev/owned-annotations", "talos.dev/owned-labels", "talos.dev/owned-taints")
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")  # constants.ValidEffects


def dns1123_subdomain_problem(value: str) -> str | None:
    """labels.ValidateDNS1123Subdomain."""
    if byte_length(value) > 253:
        return f"domain name length exceeds limit of 253: {go_quote(value)}"
    if not _DNS1123_SUBDOMAIN.fullmatch(value):
        return f"domain doesn't match required format: {go_quote(value)}"
    return None


def qualified_name_problem(value: str) -> str | None:
    """labels.ValidateQualifiedName: [prefix/]name."""
    parts = value.split("/")
    if len(parts) > 2:
        return f"invalid format: too many slashes: {go_quote(value)}"
    name = parts[-1]
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            return f"prefix cannot be empty: {go_quote(value)}"
        if (problem := dns1123_subdomain_problem(prefix)) is not None:
            return f"prefix {go_quote(prefix)} is invalid: {problem}"
    if not name:
        return f"name cannot be empty: {go_quote(value)}"
    if byte_length(name) > 63:
        return f"name is too long: {go_quote(value)} (limit is 63)"
    if not _QUALIFIED_NAME.fullmatch(name):
        return f"name {go_quote(name)} is invalid"
    return None


def label_value_problem(value: str) -> str | None:
    """labels.ValidateLabelValue."""
    if byte_length(value) > 63:
        return f"label value length exceeds limit of 63: {go_quote(value)}"
    if value and not _QUALIFIED_NAME.fullmatch(value):
        return f"label value {go_quote(value)} is invalid"
    return None


def _text_map(values: dict[Any, Any]) -> dict[str, str]:
    return {str(key): "" if value is None else str(value) for key, value in values.items()}


def labels_problem(labels: dict[Any, Any]) -> str | None:
    """labels.Validate."""
    problems: list[str] = []
    for key, value in sorted(_text_map(labels).items()):
        problems += [p for p in (qualified_name_problem(key), label_value_problem(value)) if p]
    return go_multierror(problems) if problems else None


def annotations_problem(annotations: dict[Any, Any]) -> str | None:
    """labels.ValidateAnnotations."""
    problems: list[str] = []
    size = 0
    for key, value in sorted(_text_map(annotations).items()):
        if (problem := qualified_name_problem(key)) is not None:
            problems.append(problem)
        if key in RESERVED_ANNOTATIONS:
            problems.append(f"annotation {go_quote(key)} is reserved")
        size += byte_length(key) + byte_length(value)
    if size > TOTAL_ANNOTATION_SIZE_LIMIT:
        problems.append(f"total annotation size exceeds limit of {TOTAL_ANNOTATION_SIZE_LIMIT} bytes")
    return go_multierror(problems) if problems else None


def taints_problem(taints: dict[Any, Any]) -> str | None:
    """labels.ValidateTaints: key: value:Effect or key: Effect."""
    problems: list[str] = []
    for key, text in sorted(_text_map(taints).items()):
        if (problem := qualified_name_problem(key)) is not None:
            problems.append(problem)
            continue
        value, found, effect = text.partition(":")
        if not found:
            effect = value
        if effect not in TAINT_EFFECTS:
            problems.append(f"invalid taint effect: {go_quote(effect)}")
            continue
        if found and (problem := label_value_problem(value)) is not None:
            problems.append(problem)
    return go_multierror(problems) if problems else None
