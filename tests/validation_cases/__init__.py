"""Cases for Talos's rejection rules: one module per group of rules, each a list ``CASES`` of `Case`.

A case is a config Talos refuses (or warns about) for exactly the reason its rule states, taken from
Talos's own Go tests and testdata where they exist (the module says which). ``test_validation_rules``
runs every case and requires a case for every ported rule.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from components.talos.validation.registry import Mode

Document = dict[str, Any]


@dataclass(frozen=True)
class Case:
    rule: str  # the rules.tsv id the config breaks
    documents: Callable[[], list[Document]]  # builds the config (fresh each call: checks may not mutate it)
    message: str  # a part of Talos's message that the problem must contain
    minor: int = 14  # the Talos minor the config targets
    mode: Mode = Mode.METAL
    warning: bool = False  # Talos warns (an error only under --strict)
    source: str = ""  # the Talos test or testdata the case comes from, if any
    extra: dict[str, Any] = field(default_factory=dict)
    text: str | bytes = ""  # a config file's text, for the rules the decoder applies to text (documents() is unused)
    strict: bool = False  # talosctl validate --strict
    local: bool = False  # talosctl validate (validation.WithLocal); else as a node applying the config checks it


def all_cases() -> list[Case]:
    cases: list[Case] = []
    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_"):  # _name: helpers shared by the case modules
            cases += importlib.import_module(f"{__name__}.{module.name}").CASES
    return cases
