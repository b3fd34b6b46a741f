"""The values and functions of talhelper's Go templates: text/template's builtins and the sprig functions
talhelper users reach for (talhelper registers sprig.FuncMap() in pkg/templating/template.go)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import shorten
from ..masking import masked_field


class TemplateError(Exception):
    pass


@dataclass
class Value:
    """A value of the config a template reads, with where it came from."""

    raw: Any
    struct: str = ""  # the v1alpha1 struct ``raw`` is an instance of (or, for lists and maps, of each element)
    key: str = ""  # the YAML key it sits under, for the masking rules
    path: str = "."  # the expression that reached it, for errors


def go_text(value: Any) -> str:
    """fmt.Print of a value, as text/template prints it."""
    if value is None:
        return ""  # the zero value of a string field; nil structs fail earlier, on field access
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + " ".join(go_text(item) for item in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_text(v)}" for k, v in sorted(value.items())) + "]"
    return str(value)


def truth(value: Any) -> bool:
    """text/template IsTrue: zero values and empty collections are false."""
    return bool(value) if not isinstance(value, Value) else truth(value.raw)


def plain(value: Any) -> Any:
    """What a value is once it leaves the config: printed, compared, or given to a function.

    A value the masking rules hide (keys, tokens, certificates, passwords, free-form content), or one that
    holds such a field, never leaves: the rendered config is shown in previews as masked_config, and a copy
    in a label, an annotation or an extraArg would show it there (and to anyone who can read node objects).
    """
    if not isinstance(value, Value):
        return value
    hidden = masked_field(value.raw, value.key, even_empty=True)
    if hidden is not None:
        where = value.path if not value.key or hidden == value.key else f"{value.path} (at {hidden})"
        raise TemplateError(f"{shorten(where, 120)} reads a secret: talos-cluster never renders keys, tokens, "
                            "certificates, passwords or free-form content into a template, since previews "
                            "show what templates produce")
    return value.raw


def _compare(name: str, test: Callable[[Any, Any], bool]) -> Callable[..., bool]:
    def compare(left: Any, *rights: Any) -> bool:
        a = "" if plain(left) is None else plain(left)
        for right in rights:
            b = "" if plain(right) is None else plain(right)
            if type(a) is not type(b) and not (isinstance(a, int | float) and isinstance(b, int | float)):
                raise TemplateError(f"{name}: incompatible types for comparison")
            if name in ("eq",) and test(a, b):
                return True
            if name != "eq" and not test(a, b):
                return False
        return name != "eq"
    return compare


def _index(collection: Any, *keys: Any) -> Value:
    current = collection if isinstance(collection, Value) else Value(collection)
    for key in keys:
        raw, key = current.raw, plain(key)
        if isinstance(raw, list) and isinstance(key, int) and 0 <= key < len(raw):
            current = Value(raw[key], current.struct, current.key, f"{current.path}[{key}]")
        elif isinstance(raw, dict) and isinstance(key, str):
            current = Value(raw.get(key), current.struct, key, f"{current.path}[{shorten(repr(key), 40)}]")
        else:
            # Values stay out of the message: the config holds keys and tokens.
            raise TemplateError(f"index: cannot index a {type(raw).__name__} with {type(key).__name__} "
                                f"{shorten(repr(key), 40)}")
    return current


def _printf(form: Any, *args: Any) -> str:
    values = iter(plain(a) for a in args)
    return re.sub(r"%[svdq%]", lambda m: "%" if m.group(0) == "%%" else
                  (f'"{next(values)}"' if m.group(0) == "%q" else go_text(next(values))), str(plain(form)))


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "eq": _compare("eq", lambda a, b: a == b),
    "ne": _compare("ne", lambda a, b: a != b),
    "lt": _compare("lt", lambda a, b: a < b),
    "le": _compare("le", lambda a, b: a <= b),
    "gt": _compare("gt", lambda a, b: a > b),
    "ge": _compare("ge", lambda a, b: a >= b),
    "not": lambda a: not truth(a),
    "and": lambda *a: next((x for x in a if not truth(x)), a[-1]),
    "or": lambda *a: next((x for x in a if truth(x)), a[-1]),
    "len": lambda a: len(plain(a) or []),
    "index": _index,
    "print": lambda *a: "".join(go_text(plain(x)) for x in a),
    "printf": _printf,
    # sprig functions talhelper users reach for in patches.
    "default": lambda d, v=None: v if truth(v) else d,
    "quote": lambda *a: " ".join(f'"{go_text(plain(x))}"' for x in a),
    "join": lambda sep, items: str(plain(sep)).join(go_text(x) for x in (plain(items) or [])),
    "lower": lambda s: go_text(plain(s)).lower(),
    "upper": lambda s: go_text(plain(s)).upper(),
    "trim": lambda s: go_text(plain(s)).strip(),
    "replace": lambda old, new, s: go_text(plain(s)).replace(str(plain(old)), str(plain(new))),
    "split": lambda sep, s: {f"_{i}": p for i, p in enumerate(go_text(plain(s)).split(str(plain(sep))))},
    "contains": lambda part, s: str(plain(part)) in go_text(plain(s)),
    "hasPrefix": lambda part, s: go_text(plain(s)).startswith(str(plain(part))),
    "hasSuffix": lambda part, s: go_text(plain(s)).endswith(str(plain(part))),
    "trimPrefix": lambda part, s: go_text(plain(s)).removeprefix(str(plain(part))),
    "trimSuffix": lambda part, s: go_text(plain(s)).removesuffix(str(plain(part))),
}
