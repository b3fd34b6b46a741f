"""Problems found in a definition, all reported at once, each naming file, field path, value, expectation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError, TalosError, excerpt
from ..masking import holds_labelled, redact


@dataclass(frozen=True)
class Problem:
    path: str
    message: str
    value: Any = None
    has_value: bool = False

    def render(self, source: str, labels: Mapping[str, str] | None = None) -> str:
        """One line; a value that is (or holds) a substituted or decrypted secret is named by its origin."""
        label = holds_labelled(self.value, labels) if labels and self.has_value else None
        shown = f" = <{label}>" if label else f" = {excerpt(self.value)}" if self.has_value else ""
        line = f"{source}: {self.path}{shown}: {self.message}"
        return redact(line, labels) if labels else line


class DefinitionError(ConfigError):
    """Every problem of a definition; ``str()`` is one line per problem, with no secret ``labels`` names."""

    def __init__(self, source: str, problems: list[Problem], labels: Mapping[str, str] | None = None) -> None:
        self.source = source
        self.problems = problems
        count = len(problems)
        lines = [f"{source}: {count} problem{'s' if count != 1 else ''} in the cluster definition"]
        lines += ["  " + problem.render(source, labels) for problem in problems]
        super().__init__("\n".join(lines))


def redacted(error: TalosError, labels: Mapping[str, str]) -> TalosError:
    """The same error, its message naming each labelled secret by its origin instead of showing it."""
    if labels:
        error.args = (redact(str(error), labels),)
    return error


class ProblemList(list[Problem]):
    def add(self, path: str, message: str, *value: Any) -> None:
        self.append(Problem(path, message, value[0] if value else None, bool(value)))
