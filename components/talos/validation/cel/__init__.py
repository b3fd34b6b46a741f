"""CEL, the expression language of Talos's selectors (disks, volumes, links, OOM rules), compiled as Talos compiles
it: google/cel-go's parser (parser.py) and checker (checker.py) in Talos's environments (environments.py).

The parser and checker load only when a config has an expression to compile.
"""

from __future__ import annotations


def compile_selector(expression: str, environment: str, minor: int, *, output: str = "bool") -> str | None:
    """cel.Expression.ParseBool (ParseDouble with output "double") of `expression` in the celenv `environment`
    (DiskLocator, VolumeLocator, LinkLocator, OOMTrigger, OOMCgroupScoring) as Talos 1.`minor` declares it:
    cel-go's complaint, or None (also for an empty expression)."""
    if not expression:
        return None
    from .checker import check
    from .environments import environment as named
    from .types import BOOL, DOUBLE

    return check(expression, named(environment, minor), DOUBLE if output == "double" else BOOL)
