"""Talos's own checks of a machine config, run before anything is written or applied.

``registry`` holds the rules as ported from siderolabs/talos (one row of ``rules.tsv`` each); the
modules below register them on import.
"""

from __future__ import annotations

from . import documents  # noqa: F401  (registers the per-document checks)
from .registry import Mode, Problem, messages, run
from .v1alpha1 import MachineConfigInvalid, check_machine_config, config_problems, describe, endpoint_problem

__all__ = ["MachineConfigInvalid", "Mode", "Problem", "check_machine_config", "config_problems", "describe",
           "endpoint_problem", "messages", "run"]
