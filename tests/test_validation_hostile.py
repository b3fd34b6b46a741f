"""Hostile configs: every check of the registry answers any value at any place with problems, never a traceback,
and never echoes more of a value than an error line may hold."""

from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any

import pytest

from components.talos import yamlio
from components.talos.validation import registry
from components.talos.validation.registry import Context, Mode, Phase

from .fuzzing import JUNK

Document = dict[str, Any]
MAX_MESSAGE = 2000  # a problem quotes values cut at values.QUOTED_LIMIT; a few of them fit well under this


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


def _mutate(documents: list[Document], rng: random.Random) -> list[Document]:
    mutated = copy.deepcopy(documents)
    document = rng.choice(mutated)
    path = rng.choice(_paths(document)[1:])
    parent: Any = document
    for step in path[:-1]:
        parent = parent[step]
    junk = rng.choice([*JUNK, {"x": rng.choice(JUNK)}, [rng.choice(JUNK)], "a" * 100_000])
    parent[path[-1]] = junk
    return mutated


@pytest.fixture(scope="module")
def configs(stability_dir: Path) -> list[tuple[int, list[Document]]]:
    found = []
    for minor in (12, 13, 14):
        for name in ("overrides-controlplane.yaml", "base-worker.yaml"):
            found.append((minor, yamlio.load_all((stability_dir / f"v1.{minor}" / name).read_text())))
    network = {"interfaces": [{"interface": "bond0", "bond": {"interfaces": ["eth0"], "mode": "802.3ad"},
                               "vlans": [{"vlanId": 5, "addresses": ["10.0.0.1/24"]}],
                               "routes": [{"network": "0.0.0.0/0", "gateway": "10.0.0.254"}]},
                              {"interface": "wg0", "wireguard": {"privateKey": "", "peers": [{"allowedIPs": []}]}}],
               "kubespan": {"enabled": True, "filters": {"endpoints": ["0.0.0.0/0"]}}}
    legacy = copy.deepcopy(found[-2][1][0])
    legacy["machine"]["network"] = network
    found.append((14, [legacy, *found[-2][1][1:]]))
    return found


def test_any_value_anywhere_is_answered_with_problems_not_a_traceback(configs) -> None:
    rng = random.Random(18)
    for _ in range(400):
        minor, documents = rng.choice(configs)
        mutated = _mutate(documents, rng)
        for mode in (Mode.METAL, Mode.CONTAINER):
            problems = registry.run(mutated, minor, mode, strict=True)
            assert all(len(str(p)) < MAX_MESSAGE for p in problems), [str(p)[:300] for p in problems]


def test_the_checks_behind_the_decoder_survive_what_the_decoder_would_refuse(configs) -> None:
    """A caller that skips the decoder (or a decoder table that is too kind) still gets no traceback."""
    rng = random.Random(1818)
    checks = [r for r in registry.CONFIG_CHECKS if r.phase > Phase.NEW]
    for _ in range(300):
        minor, documents = rng.choice(configs)
        mutated = _mutate(documents, rng)
        ctx = Context(minor, Mode.METAL, mutated)
        for registered in checks:
            registered.function(ctx)
        for document in mutated:
            for registered in registry.DOCUMENT_CHECKS.get(registry.kind_of(document), ()):
                registered.function(document, ctx)
        assert all(len(str(p)) < MAX_MESSAGE for p in ctx.problems)
