"""The engine's dependency graph, as the stand-in (tests/engine.py) needs it for deletes and `--target`.

Each function follows pulumi/pulumi (HEAD 1b59498, engine 3.260-dev): pkg/resource/graph/dependency_graph.go
(DependenciesOf, DependingOn, TransitiveDependenciesOf), pkg/resource/deploy/step_generator.go (ScheduleDeletes,
getTargetDependents) and pkg/resource/deploy/deployment.go (UrnTargets globs).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass(eq=False)
class GraphNode:
    """One resource state of the snapshot. Identity matters, not the URN: a replaced resource's old half
    (`delete` set: pending deletion) and its new half share a URN."""

    urn: str
    state: Any  # tests/engine.py ResourceState: .parent, .dependencies
    delete: bool = False


def _lookup(graph: list[GraphNode], origin: GraphNode, urn: str) -> GraphNode | None:
    """dependency_graph.go TransitiveDependenciesOf lookup: with an old and a new state under one URN, an old
    resource refers to the old one and a new resource to the new one."""
    found = [node for node in graph if node.urn == urn]
    same_kind = [node for node in found if node.delete == origin.delete]
    return (same_kind or found)[0] if found else None


def dependencies_of(graph: list[GraphNode], node: GraphNode) -> set[GraphNode]:
    """dependency_graph.go DependenciesOf: the resource's dependencies (property dependencies are among them, as
    the SDK sends them) and its parent. (Providers are not modelled: dynamic resources use the default provider,
    which no resource of this program deletes.)"""
    urns = set(node.state.dependencies) | ({node.state.parent} if node.state.parent else set())
    found = {_lookup(graph, node, urn) for urn in urns}
    return {other for other in found if other is not None and other is not node}


def transitive_dependencies(graph: list[GraphNode], node: GraphNode) -> set[GraphNode]:
    """dependency_graph.go TransitiveDependenciesOf (markAsDependency): dependencies and parents, transitively."""
    seen: set[GraphNode] = set()
    frontier = [node]
    while frontier:
        for other in dependencies_of(graph, frontier.pop()):
            if other not in seen:
                seen.add(other)
                frontier.append(other)
    seen.discard(node)
    return seen


def dependents_closure(graph: list[GraphNode], roots: Iterable[GraphNode]) -> set[str]:
    """step_generator.go getTargetDependents: the targets and, transitively, every resource depending on them
    (dependency_graph.go DependingOn: dependencies and children)."""
    found: set[str] = set()
    frontier = list(roots)
    while frontier:
        node = frontier.pop()
        if node.urn in found:
            continue
        found.add(node.urn)
        frontier.extend(other for other in graph if node in dependencies_of(graph, other))
    return found


def schedule_deletes(graph: list[GraphNode], condemned: Iterable[GraphNode]) -> list[list[GraphNode]]:
    """step_generator.go ScheduleDeletes: split the condemned resources into antichains (no two depend on each
    other); each antichain runs in parallel and completes before the next starts; dependants go first."""
    remaining = set(condemned)
    antichains: list[list[GraphNode]] = []
    while remaining:
        layer = [node for node in remaining if not dependencies_of(graph, node) & remaining]
        if not layer:  # a cycle cannot come from the SDK; fail loudly rather than loop
            raise AssertionError(f"dependency cycle among {sorted(n.urn for n in remaining)}")
        remaining -= set(layer)
        antichains.append(sorted(layer, key=lambda n: n.urn))
    antichains.reverse()
    return antichains


@dataclass
class UrnTargets:
    """deployment.go UrnTargets: literal URNs and globs (`*` within a URN segment, `**` across segments); an
    empty set is unconstrained and contains every URN."""

    patterns: list[str] = field(default_factory=list)

    @property
    def constrained(self) -> bool:
        return bool(self.patterns)

    def contains(self, urn: str) -> bool:
        if not self.patterns:
            return True
        return any(pattern == urn or ("*" in pattern and _glob(pattern).match(urn)) for pattern in self.patterns)

    def literals(self) -> list[str]:
        return [pattern for pattern in self.patterns if "*" not in pattern]


def _glob(pattern: str) -> re.Pattern[str]:
    """deployment.go getMatcher: `**` matches anything, `*` anything but ':'."""
    segments = ["[^:]*".join(re.escape(part) for part in segment.split("*")) for segment in pattern.split("**")]
    return re.compile("^" + ".*".join(segments) + "$")
