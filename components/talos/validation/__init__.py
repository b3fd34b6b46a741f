"""Talos's own checks of a machine config, run before anything is written or applied.

``registry`` holds the rules as ported from siderolabs/talos (one row of ``rules.tsv`` or ``rules_extra.tsv``
each); the modules below register them on import, in the order Talos runs them. ``check`` is the entry point.
"""

from __future__ import annotations

from . import (  # noqa: F401  (register their checks)
           conflicts,
           container,
           decoder,
           documents,
           v1alpha1,
)
from .check import (
    MachineConfigInvalid,
    check_config,
    check_loadable,
    describe,
    endpoint_problem,
    validate_text,
)
from .registry import Mode, Problem, messages, run

__all__ = ["MachineConfigInvalid", "Mode", "Problem", "check_config", "check_loadable", "describe", "endpoint_problem",
           "messages", "run", "validate_text"]
