"""Problems found in a definition, all reported at once, each naming file, field path, value, expectation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError, excerpt


@dataclass(frozen=True)
class Problem:
    path: str
    message: str
    value: Any = None
    has_value: bool = False

    def render(self, source: str) -> str:
        shown = f" = {excerpt(self.value)}" if self.has_value else ""
        return f"{source}: {self.path}{shown}: {self.message}"


class DefinitionError(ConfigError):
    """Every problem of a definition; ``str()`` is one line per problem."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        count = len(problems)
        lines = [f"{source}: {count} problem{'s' if count != 1 else ''} in the cluster definition"]
        lines += ["  " + problem.render(source) for problem in problems]
        super().__init__("\n".join(lines))


class ProblemList(list[Problem]):
    def add(self, path: str, message: str, *value: Any) -> None:
        self.append(Problem(path, message, value[0] if value else None, bool(value)))
