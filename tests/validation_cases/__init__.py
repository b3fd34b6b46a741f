"""Cases for Talos's rejection rules: one module per group of rules, each a list ``CASES`` of `Case` and a list
``ACCEPTED`` of `Accepted`.

A case is a config Talos refuses (or warns about) for exactly the reason its rule states, taken from Talos's own
Go tests and testdata where they exist (the module says which). ``test_validation_rules`` runs every case and
requires a case for every ported rule. An accepted config is one Talos's tests or testdata show Talos accepts;
``test_validation_accepts`` requires that nothing refuses it.
"""

from __future__ import annotations

import copy
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from components.talos.validation.registry import Mode, Phase

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


@dataclass(frozen=True)
class Accepted:
    name: str  # the Talos test or testdata file it comes from
    documents: Callable[[], list[Document]]  # builds the config (fresh each call)
    mode: Mode = Mode.METAL
    minor: int = 14
    # what Talos's test accepts it through: a whole config (Phase.CONTAINER), a document's own Validate
    # (Phase.VALIDATE: a document of a types/* package's testdata, alone), or only the decoder (Phase.DECODE)
    last: Phase = Phase.CONTAINER


def accepted(name: str, *documents: Document, mode: Mode = Mode.METAL, minor: int = 14,
             last: Phase = Phase.VALIDATE) -> Accepted:
    """A document (or documents) Talos's testdata shows its Validate accepts; each call hands out copies."""
    return Accepted(name, lambda: copy.deepcopy(list(documents)), mode, minor, last)


def _modules() -> list[Any]:
    # _name: helpers shared by the case modules
    return [importlib.import_module(f"{__name__}.{module.name}") for module in pkgutil.iter_modules(__path__)
            if not module.name.startswith("_")]


def all_cases() -> list[Case]:
    return [case for module in _modules() for case in getattr(module, "CASES", [])]


def all_accepted() -> list[Accepted]:
    return [config for module in _modules() for config in getattr(module, "ACCEPTED", [])]
