"""CEL's types and the standard declarations of cel.NewEnv (google/cel-go common/types, checker/format.go,
common/stdlib/standard.go), as the checker (checker.py) and Talos's environments (environments.py) use them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class CelType:
    kind: str  # prim, null, duration, timestamp, list, map, message, type, optional, dyn, unknown, error, param
    name: str = ""
    params: tuple[CelType, ...] = ()

    def format(self) -> str:
        """checker/format.go FormatCELType."""
        if self.kind in ("prim", "message", "param"):
            return self.name
        if self.kind in ("null", "duration", "timestamp", "dyn"):
            return {"null": "null", "duration": "duration", "timestamp": "timestamp", "dyn": "dyn"}[self.kind]
        if self.kind == "error":
            return "!error!"
        if self.kind == "unknown":
            return "dyn"
        label = {"list": "list", "map": "map", "type": "type", "optional": "optional_type"}[self.kind]
        return f"{label}({', '.join(p.format() for p in self.params)})" if self.params else label

    def declared(self) -> str:
        """common/types Type.String(): what Talos prints for an output type it does not expect."""
        names = {"null": "null_type", "duration": "google.protobuf.Duration",
                 "timestamp": "google.protobuf.Timestamp"}
        if self.kind in names:
            return names[self.kind]
        if self.params:
            label = {"list": "list", "map": "map", "type": "type", "optional": "optional_type"}[self.kind]
            return f"{label}({', '.join(p.declared() for p in self.params)})"
        return self.format()


def _prim(name: str) -> CelType:
    return CelType("prim", name)


BOOL, INT, UINT, DOUBLE, STRING, BYTES = (_prim(n) for n in ("bool", "int", "uint", "double", "string", "bytes"))
NULL, DURATION, TIMESTAMP = CelType("null"), CelType("duration"), CelType("timestamp")
DYN, UNKNOWN, ERROR = CelType("dyn"), CelType("unknown"), CelType("error")
A, B = CelType("param", "A"), CelType("param", "B")


def list_of(element: CelType) -> CelType:
    return CelType("list", params=(element,))


def map_of(key: CelType, value: CelType) -> CelType:
    return CelType("map", params=(key, value))


def message(name: str) -> CelType:
    return CelType("message", name)


def type_of(inner: CelType | None = None) -> CelType:
    return CelType("type", params=(inner,) if inner else ())


@dataclass(frozen=True)
class Overload:
    args: tuple[CelType, ...]
    result: CelType
    member: bool = False


def overload(result: CelType, *args: CelType) -> Overload:
    return Overload(args, result)


def member(result: CelType, *args: CelType) -> Overload:
    return Overload(args, result, member=True)


_NUMERIC = (INT, UINT, DOUBLE)
_ORDERED = (BOOL, INT, UINT, DOUBLE, STRING, BYTES, TIMESTAMP, DURATION)


def _standard_functions() -> dict[str, tuple[Overload, ...]]:
    """common/stdlib/standard.go: the functions and operators of cel.NewEnv."""
    functions: dict[str, tuple[Overload, ...]] = {
        "_?_:_": (overload(A, BOOL, A, A),),
        "!_": (overload(BOOL, BOOL),),
        "@not_strictly_false": (overload(BOOL, BOOL),),
        "_==_": (overload(BOOL, A, A),),
        "_!=_": (overload(BOOL, A, A),),
        "_+_": (*(overload(t, t, t) for t in (*_NUMERIC, STRING, BYTES)), overload(list_of(A), list_of(A), list_of(A)),
                overload(TIMESTAMP, TIMESTAMP, DURATION), overload(TIMESTAMP, DURATION, TIMESTAMP),
                overload(DURATION, DURATION, DURATION)),
        "_-_": (*(overload(t, t, t) for t in _NUMERIC), overload(DURATION, DURATION, DURATION),
                overload(TIMESTAMP, TIMESTAMP, DURATION), overload(DURATION, TIMESTAMP, TIMESTAMP)),
        "_*_": tuple(overload(t, t, t) for t in _NUMERIC),
        "_/_": tuple(overload(t, t, t) for t in _NUMERIC),
        "_%_": (overload(INT, INT, INT), overload(UINT, UINT, UINT)),
        "-_": (overload(INT, INT), overload(DOUBLE, DOUBLE)),
        "_[_]": (overload(A, list_of(A), INT), overload(B, map_of(A, B), A)),
        "@in": (overload(BOOL, A, list_of(A)), overload(BOOL, A, map_of(A, B))),
        "size": tuple(o for t in (BYTES, list_of(A), map_of(A, B), STRING)
                      for o in (overload(INT, t), member(INT, t))),
        "type": (overload(type_of(A), A),),
        "bool": (overload(BOOL, BOOL), overload(BOOL, STRING)),
        "bytes": (overload(BYTES, BYTES), overload(BYTES, STRING)),
        "double": tuple(overload(DOUBLE, t) for t in (DOUBLE, INT, STRING, UINT)),
        "duration": (overload(DURATION, DURATION), overload(DURATION, STRING)),
        "dyn": (overload(DYN, A),),
        "int": tuple(overload(INT, t) for t in (INT, DOUBLE, DURATION, STRING, TIMESTAMP, UINT)),
        "string": tuple(overload(STRING, t) for t in (STRING, BOOL, BYTES, DOUBLE, DURATION, INT, TIMESTAMP, UINT)),
        "timestamp": (overload(TIMESTAMP, TIMESTAMP), overload(TIMESTAMP, INT), overload(TIMESTAMP, STRING)),
        "uint": tuple(overload(UINT, t) for t in (UINT, DOUBLE, INT, STRING)),
        "contains": (member(BOOL, STRING, STRING),),
        "endsWith": (member(BOOL, STRING, STRING),),
        "startsWith": (member(BOOL, STRING, STRING),),
        "matches": (overload(BOOL, STRING, STRING), member(BOOL, STRING, STRING)),
    }
    for comparison in ("_<_", "_<=_", "_>_", "_>=_"):
        functions[comparison] = tuple(overload(BOOL, t, t) for t in _ORDERED)
    for getter in ("getFullYear", "getMonth", "getDayOfYear", "getDayOfMonth", "getDate", "getDayOfWeek"):
        functions[getter] = (member(INT, TIMESTAMP), member(INT, TIMESTAMP, STRING))
    for getter in ("getHours", "getMinutes", "getSeconds", "getMilliseconds"):
        functions[getter] = (member(INT, TIMESTAMP), member(INT, TIMESTAMP, STRING), member(INT, DURATION))
    return functions


STANDARD_FUNCTIONS = _standard_functions()
# common/stdlib/standard.go stdTypes: identifiers that name a type
TYPE_IDENTIFIERS = {"bool": BOOL, "bytes": BYTES, "double": DOUBLE, "duration": DURATION, "int": INT,
                    "list": list_of(A), "map": map_of(A, B), "null_type": NULL, "string": STRING,
                    "timestamp": TIMESTAMP, "type": type_of(), "uint": UINT}
# cel.OptionalTypes(): functions whose types this port leaves unknown
OPTIONAL_FUNCTIONS = frozenset({"hasValue", "value", "or", "orValue", "optMap", "optFlatMap", "optional.of",
                                 "optional.ofNonZeroValue", "optional.none", "_?._", "_[?_]"})
# packages whose qualified names (message types, enum values) resolve in Talos's environments
PACKAGE_ROOTS = frozenset({"google", "talos"})


@dataclass(frozen=True)
class Environment:
    """One of Talos's celenv environments."""

    name: str
    variables: dict[str, CelType]
    messages: dict[str, dict[str, CelType]] = field(default_factory=dict)
    functions: Mapping[str, tuple[Overload, ...]] = field(default_factory=dict)
    optional_types: bool = False
