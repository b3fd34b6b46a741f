"""Kubernetes label, annotation and taint checks as Talos makes them (siderolabs/talos pkg/machinery/labels
validate.go, v1.14.0-rc.1), with Talos's wording. Each returns the list of errors Talos's multierror holds,
keys in sorted order as Talos walks them."""

from __future__ import annotations

import re
from typing import Any

_DNS1123_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN = re.compile(f"{_DNS1123_LABEL}(\\.{_DNS1123_LABEL})*")
_QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_QUALIFIED_NAME = re.compile(_QUALIFIED_NAME_FMT)
_LABEL_VALUE = re.compile(f"({_QUALIFIED_NAME_FMT})?")
# constants.AnnotationOwnedAnnotations, AnnotationOwnedLabels, AnnotationOwnedTaints
_RESERVED_ANNOTATIONS = ("talos.dev/owned-annotations", "talos.dev/owned-labels", "talos.dev/owned-taints")
_TOTAL_ANNOTATION_SIZE = 256 * (1 << 10)  # TotalAnnotationSizeLimitB
_VALID_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")  # constants.ValidEffects


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _go_len(text: str) -> int:
    return len(text.encode("utf-8"))  # Go's len() counts bytes


def _dns1123_subdomain(value: str) -> str | None:
    if _go_len(value) > 253:
        return f"domain name length exceeds limit of 253: {_q(value)}"
    if not _DNS1123_SUBDOMAIN.fullmatch(value):
        return f"domain doesn't match required format: {_q(value)}"
    return None


def qualified_name_error(value: str) -> str | None:
    """ValidateQualifiedName: ``[prefix/]name`` as Kubernetes label keys are."""
    parts = value.split("/")
    if len(parts) > 2:
        return f"invalid format: too many slashes: {_q(value)}"
    name = parts[-1]
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            return f"prefix cannot be empty: {_q(value)}"
        problem = _dns1123_subdomain(prefix)
        if problem:
            return f"prefix {_q(prefix)} is invalid: {problem}"
    if not name:
        return f"name cannot be empty: {_q(value)}"
    if _go_len(name) > 63:
        return f"name is too long: {_q(value)} (limit is 63)"
    if not _QUALIFIED_NAME.fullmatch(name):
        return f"name {_q(name)} is invalid"
    return None


def label_value_error(value: str) -> str | None:
    if _go_len(value) > 63:
        return f"label value length exceeds limit of 63: {_q(value)}"
    if not _LABEL_VALUE.fullmatch(value):
        return f"label value {_q(value)} is invalid"
    return None


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def label_errors(labels: dict[str, Any]) -> list[str]:
    """labels.Validate."""
    errors: list[str] = []
    for key in sorted(labels):
        errors += [e for e in (qualified_name_error(key), label_value_error(_text(labels[key]))) if e]
    return errors


def annotation_errors(annotations: dict[str, Any]) -> list[str]:
    """labels.ValidateAnnotations."""
    errors: list[str] = []
    size = 0
    for key in sorted(annotations):
        problem = qualified_name_error(key)
        if problem:
            errors.append(problem)
        if key in _RESERVED_ANNOTATIONS:
            errors.append(f"annotation {_q(key)} is reserved")
        size += _go_len(key) + _go_len(_text(annotations[key]))
    if size > _TOTAL_ANNOTATION_SIZE:
        errors.append(f"total annotation size exceeds limit of {_TOTAL_ANNOTATION_SIZE} bytes")
    return errors


def taint_errors(taints: dict[str, Any]) -> list[str]:
    """labels.ValidateTaints: ``key: [value:]effect``."""
    errors: list[str] = []
    for key in sorted(taints):
        problem = qualified_name_error(key)
        if problem:
            errors.append(problem)
            continue
        value, found, effect = _text(taints[key]).partition(":")
        if not found:
            effect = value
        if effect not in _VALID_EFFECTS:
            errors.append(f"invalid taint effect: {_q(effect)}")
            continue
        if found:
            problem = label_value_error(value)
            if problem:
                errors.append(problem)
    return errors

