"""CEL type checking as cel-go does it for Talos's environments, conservative where this port is unsure.

Talos (pkg/machinery/cel/cel.go parseExpressionWithOutputType) parses an expression, type-checks it in one of the
environments of pkg/machinery/cel/celenv (DiskLocator, VolumeLocator, OOMTrigger, OOMCgroupScoring, LinkLocator)
and requires the output type (bool, or double for OOM cgroup ranking). The checker here follows google/cel-go
checker/checker.go and common/stdlib/standard.go: declared variables and constants, proto message fields, the
standard overloads (cross-type numeric comparisons stay disabled, as cel.NewEnv leaves them), macros' ranges and
predicates. Errors read as cel-go's (common/error.go ToDisplayString: ERROR: <input>:line:column: ..., the
source line and a caret).

Where cel-go's inference is richer than this port (dyn, null, optionals, type parameters left open), the type is
*unknown* and nothing is refused: an expression is refused only for a reason cel-go certainly reports.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

from .celparse import (
    Call,
    CelSyntaxError,
    Comprehension,
    Ident,
    ListExpr,
    Literal,
    MapExpr,
    Node,
    Select,
    StructExpr,
    deep_enough,
    parse,
)
from .golang import byte_length, clip


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


def _global(result: CelType, *args: CelType) -> Overload:
    return Overload(args, result)


def _member(result: CelType, *args: CelType) -> Overload:
    return Overload(args, result, member=True)


_NUMERIC = (INT, UINT, DOUBLE)
_ORDERED = (BOOL, INT, UINT, DOUBLE, STRING, BYTES, TIMESTAMP, DURATION)


def _standard_functions() -> dict[str, tuple[Overload, ...]]:
    """common/stdlib/standard.go: the functions and operators of cel.NewEnv."""
    functions: dict[str, tuple[Overload, ...]] = {
        "_?_:_": (_global(A, BOOL, A, A),),
        "!_": (_global(BOOL, BOOL),),
        "@not_strictly_false": (_global(BOOL, BOOL),),
        "_==_": (_global(BOOL, A, A),),
        "_!=_": (_global(BOOL, A, A),),
        "_+_": (*(_global(t, t, t) for t in (*_NUMERIC, STRING, BYTES)), _global(list_of(A), list_of(A), list_of(A)),
                _global(TIMESTAMP, TIMESTAMP, DURATION), _global(TIMESTAMP, DURATION, TIMESTAMP),
                _global(DURATION, DURATION, DURATION)),
        "_-_": (*(_global(t, t, t) for t in _NUMERIC), _global(DURATION, DURATION, DURATION),
                _global(TIMESTAMP, TIMESTAMP, DURATION), _global(DURATION, TIMESTAMP, TIMESTAMP)),
        "_*_": tuple(_global(t, t, t) for t in _NUMERIC),
        "_/_": tuple(_global(t, t, t) for t in _NUMERIC),
        "_%_": (_global(INT, INT, INT), _global(UINT, UINT, UINT)),
        "-_": (_global(INT, INT), _global(DOUBLE, DOUBLE)),
        "_[_]": (_global(A, list_of(A), INT), _global(B, map_of(A, B), A)),
        "@in": (_global(BOOL, A, list_of(A)), _global(BOOL, A, map_of(A, B))),
        "size": tuple(o for t in (BYTES, list_of(A), map_of(A, B), STRING)
                      for o in (_global(INT, t), _member(INT, t))),
        "type": (_global(type_of(A), A),),
        "bool": (_global(BOOL, BOOL), _global(BOOL, STRING)),
        "bytes": (_global(BYTES, BYTES), _global(BYTES, STRING)),
        "double": tuple(_global(DOUBLE, t) for t in (DOUBLE, INT, STRING, UINT)),
        "duration": (_global(DURATION, DURATION), _global(DURATION, STRING)),
        "dyn": (_global(DYN, A),),
        "int": tuple(_global(INT, t) for t in (INT, DOUBLE, DURATION, STRING, TIMESTAMP, UINT)),
        "string": tuple(_global(STRING, t) for t in (STRING, BOOL, BYTES, DOUBLE, DURATION, INT, TIMESTAMP, UINT)),
        "timestamp": (_global(TIMESTAMP, TIMESTAMP), _global(TIMESTAMP, INT), _global(TIMESTAMP, STRING)),
        "uint": tuple(_global(UINT, t) for t in (UINT, DOUBLE, INT, STRING)),
        "contains": (_member(BOOL, STRING, STRING),),
        "endsWith": (_member(BOOL, STRING, STRING),),
        "startsWith": (_member(BOOL, STRING, STRING),),
        "matches": (_global(BOOL, STRING, STRING), _member(BOOL, STRING, STRING)),
    }
    for comparison in ("_<_", "_<=_", "_>_", "_>=_"):
        functions[comparison] = tuple(_global(BOOL, t, t) for t in _ORDERED)
    for getter in ("getFullYear", "getMonth", "getDayOfYear", "getDayOfMonth", "getDate", "getDayOfWeek"):
        functions[getter] = (_member(INT, TIMESTAMP), _member(INT, TIMESTAMP, STRING))
    for getter in ("getHours", "getMinutes", "getSeconds", "getMilliseconds"):
        functions[getter] = (_member(INT, TIMESTAMP), _member(INT, TIMESTAMP, STRING), _member(INT, DURATION))
    return functions


STANDARD_FUNCTIONS = _standard_functions()
# common/stdlib/standard.go stdTypes: identifiers that name a type
TYPE_IDENTIFIERS = {"bool": BOOL, "bytes": BYTES, "double": DOUBLE, "duration": DURATION, "int": INT,
                    "list": list_of(A), "map": map_of(A, B), "null_type": NULL, "string": STRING,
                    "timestamp": TIMESTAMP, "type": type_of(), "uint": UINT}
# cel.OptionalTypes(): functions whose types this port leaves unknown
_OPTIONAL_FUNCTIONS = frozenset({"hasValue", "value", "or", "orValue", "optMap", "optFlatMap", "optional.of",
                                 "optional.ofNonZeroValue", "optional.none", "_?._", "_[?_]"})
# packages whose qualified names (message types, enum values) resolve in Talos's environments
_PACKAGE_ROOTS = frozenset({"google", "talos"})


@dataclass(frozen=True)
class Environment:
    """One of Talos's celenv environments."""

    name: str
    variables: dict[str, CelType]
    messages: dict[str, dict[str, CelType]] = field(default_factory=dict)
    functions: Mapping[str, tuple[Overload, ...]] = field(default_factory=dict)
    optional_types: bool = False


@dataclass
class _Checker:
    env: Environment
    errors: list[tuple[int, str]] = field(default_factory=list)
    scopes: list[dict[str, CelType]] = field(default_factory=list)

    def error(self, offset: int, message: str) -> CelType:
        self.errors.append((offset, message))
        return ERROR

    # --- expressions ---------------------------------------------------------------------------------------
    def check(self, node: Node) -> CelType:
        if isinstance(node, Literal):
            return {"bool": BOOL, "int": INT, "uint": UINT, "double": DOUBLE, "string": STRING, "bytes": BYTES,
                    "null": NULL}[node.kind]
        if isinstance(node, Ident):
            return self.ident(node)
        if isinstance(node, Select):
            return self.select(node)
        if isinstance(node, Call):
            return self.call(node)
        if isinstance(node, ListExpr):
            return list_of(self.join([self.check(element) for element in node.elements]))
        if isinstance(node, MapExpr):
            keys = [self.check(key) for key, _ in node.entries]
            values = [self.check(value) for _, value in node.entries]
            return map_of(self.join(keys), self.join(values))
        if isinstance(node, StructExpr):
            for _, value in node.fields:
                self.check(value)
            name = node.name.lstrip(".")
            return message(name) if name in self.env.messages else UNKNOWN
        if isinstance(node, Comprehension):
            return self.comprehension(node)
        raise AssertionError(f"unexpected CEL node {node!r}")

    def lookup(self, name: str) -> CelType | None:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        return None

    def ident(self, node: Ident) -> CelType:
        name = node.name
        local = None if name.startswith(".") else self.lookup(name)
        if local is not None:
            return local
        name = name.lstrip(".")
        if name in self.env.variables:
            return self.env.variables[name]
        if name in TYPE_IDENTIFIERS:
            return type_of(TYPE_IDENTIFIERS[name])
        return self.error(node.offset, f"undeclared reference to '{clip(name)}' (in container '')")

    def qualified_root(self, node: Node) -> str | None:
        """The root identifier of a chain a.b.c that names a package (message or enum), else None."""
        while isinstance(node, Select) and not node.test_only and not node.optional:
            node = node.operand
        if isinstance(node, Ident):
            root = node.name.lstrip(".").split(".")[0]
            if root in _PACKAGE_ROOTS and self.lookup(root) is None and root not in self.env.variables:
                return root
        return None

    def select(self, node: Select) -> CelType:
        if self.qualified_root(node):
            return UNKNOWN
        operand = self.check(node.operand)
        result = self.field_type(node, operand)
        if node.test_only:
            return BOOL
        return CelType("optional", params=(result,)) if node.optional else result

    def field_type(self, node: Select, operand: CelType) -> CelType:
        if operand.kind == "optional":
            operand = operand.params[0]
        if operand.kind == "map":
            return operand.params[1]
        if operand.kind == "message":
            fields = self.env.messages.get(operand.name)
            if fields is None:
                return UNKNOWN
            if node.field not in fields:
                return self.error(node.offset, f"undefined field '{clip(node.field)}'")
            return fields[node.field]
        if operand.kind in ("dyn", "unknown", "error", "param"):
            return UNKNOWN
        return self.error(node.offset, f"type '{operand.format()}' does not support field selection")

    def call(self, node: Call) -> CelType:
        function = node.function
        if function in ("_&&_", "_||_"):
            for arg in node.args:
                arg_type = self.check(arg)
                if not _assignable(arg_type, BOOL, {}):
                    self.error(arg.offset, f"expected type 'bool' but found '{arg_type.format()}'")
            return BOOL
        if node.target is not None:
            qualified = _qualified_name(node.target)
            if qualified and f"{qualified}.{function}" in _OPTIONAL_FUNCTIONS and self.env.optional_types:
                for arg in node.args:
                    self.check(arg)
                return UNKNOWN
        target_type = self.check(node.target) if node.target is not None else None
        arg_types = [self.check(arg) for arg in node.args]
        if self.env.optional_types and function in _OPTIONAL_FUNCTIONS:
            return UNKNOWN
        overloads = self.env.functions.get(function) or STANDARD_FUNCTIONS.get(function)
        if overloads is None:
            return self.error(node.offset, f"undeclared reference to '{clip(function)}' (in container '')")
        if target_type is not None:
            arg_types.insert(0, target_type)
        return self.resolve(node, function, arg_types, overloads, member=node.target is not None)

    def resolve(self, node: Call, function: str, arg_types: list[CelType], overloads: tuple[Overload, ...],
                *, member: bool) -> CelType:
        """checker.go resolveOverload: the result of the overloads the argument types match."""
        result: CelType | None = None
        for overload in overloads:
            if overload.member != member or len(overload.args) != len(arg_types):
                continue
            bindings: dict[str, CelType] = {}
            if all(_assignable(actual, formal, bindings) for actual, formal in zip(arg_types, overload.args,
                                                                                   strict=True)):
                candidate = _substitute(overload.result, bindings)
                result = candidate if result is None or result == candidate else UNKNOWN
        if result is not None:
            return result
        if not all(_concrete(t) for t in arg_types):
            return UNKNOWN
        formatted = [t.format() for t in arg_types]
        signature = (f"{formatted[0]}.({', '.join(formatted[1:])})" if member
                     else f"({', '.join(formatted)})")
        return self.error(node.offset, f"found no matching overload for '{function}' applied to '{clip(signature)}'")

    def join(self, types: list[CelType]) -> CelType:
        # checker.go joinTypes with dyn aggregate literals (cel.NewEnv's default): mixed elements make dyn
        if not types:
            return UNKNOWN
        first = types[0]
        return first if all(t == first for t in types) else UNKNOWN

    def comprehension(self, node: Comprehension) -> CelType:
        range_type = self.check(node.range)
        if range_type.kind in ("list", "map"):
            variable = range_type.params[0]
        elif range_type.kind in ("dyn", "unknown", "error", "param"):
            variable = UNKNOWN
        else:
            variable = self.error(node.range.offset, f"expression of type '{range_type.format()}' cannot be range "
                                                     "of a comprehension (must be list, map, or dynamic)")
        self.scopes.append({node.variable: variable})
        try:
            if node.predicate is not None:
                predicate = self.check(node.predicate)
                if not _assignable(predicate, BOOL, {}):
                    self.error(node.predicate.offset, f"expected type 'bool' but found '{predicate.format()}'")
            transform = self.check(node.transform) if node.transform is not None else None
        finally:
            self.scopes.pop()
        if node.macro == "map":
            return list_of(transform or UNKNOWN)
        if node.macro == "filter":
            return list_of(variable) if range_type.kind == "list" else list_of(UNKNOWN)
        return BOOL


def _qualified_name(node: Node) -> str | None:
    parts: list[str] = []
    while isinstance(node, Select) and not node.test_only and not node.optional:
        parts.append(node.field)
        node = node.operand
    if not isinstance(node, Ident):
        return None
    parts.append(node.name.lstrip("."))
    return ".".join(reversed(parts))


def _assignable(actual: CelType, formal: CelType, bindings: dict[str, CelType]) -> bool:
    """checker/types.go isAssignable, with type parameters bound on first use; lenient for dyn, null, unknown."""
    if formal.kind == "param":
        bound = bindings.get(formal.name)
        if bound is None or bound.kind == "unknown":
            bindings[formal.name] = actual
            return True
        return _assignable(actual, bound, bindings) or _assignable(bound, actual, bindings)
    if actual.kind in ("unknown", "dyn", "error", "param", "null") or formal.kind in ("dyn", "unknown", "null"):
        return True
    if actual.kind != formal.kind:
        return False
    if actual.kind in ("prim", "message"):
        return actual.name == formal.name
    if actual.kind in ("list", "map", "optional"):
        if len(actual.params) != len(formal.params):
            return True
        return all(_assignable(a, f, bindings) for a, f in zip(actual.params, formal.params, strict=True))
    return True  # type, duration, timestamp


def _substitute(result: CelType, bindings: dict[str, CelType]) -> CelType:
    if result.kind == "param":
        return bindings.get(result.name) or UNKNOWN
    if result.params:
        return CelType(result.kind, result.name, tuple(_substitute(p, bindings) for p in result.params))
    return result


def _concrete(value: CelType) -> bool:
    """A type this port knows exactly as cel-go does, so a mismatch with it is certain."""
    if value.kind in ("unknown", "dyn", "error", "param", "null", "optional", "type"):
        return False
    return all(_concrete(p) for p in value.params)


def check(expression: str, env: Environment, expected: CelType) -> str | None:
    """Why Talos refuses `expression` in `env` (cel-go's issues text, or the output type), or None."""
    with deep_enough():
        try:
            tree = parse(expression, optional_syntax=env.optional_types)
        except CelSyntaxError as error:
            return display(expression, [(error.offset, error.message)])
        except RecursionError:
            return None  # deeper than this port can follow; cel-go's own limit is reported above when reached
        checker = _Checker(env)
        try:
            output = checker.check(tree)
        except RecursionError:
            return None
    if checker.errors:
        return display(expression, checker.errors)
    if _concrete(output) and output != expected:
        return f"expression output type is {output.declared()}, expected {expected.declared()}"
    return None


# common/error.go shows the source line up to 16384 bytes; a line longer than this is not echoed here, so a
# message stays small whatever the expression
MAX_SNIPPET = 1000


def display(source: str, errors: list[tuple[int, str]]) -> str:
    """common/errors.go ToDisplayString: errors sorted by position, each with its line and a caret."""
    located = sorted((_location(source, offset), message) for offset, message in errors)
    return "\n".join(_display_one(source, line, column, message) for (line, column), message in located)


def _location(source: str, offset: int) -> tuple[int, int]:
    if offset < 0:
        return -1, -1
    line_start = source.rfind("\n", 0, offset) + 1
    return source.count("\n", 0, offset) + 1, offset - line_start


def _display_one(source: str, line: int, column: int, message: str) -> str:
    text = f"ERROR: <input>:{line}:{column + 1}: {message}"
    if line < 1:
        return text
    snippet = source.split("\n")[line - 1]
    if byte_length(snippet) > MAX_SNIPPET:
        return text
    snippet = snippet.replace("\t", " ")
    dots = "".join("\uff0e" if byte_length(char) > 1 else "." for char in snippet[:column])
    caret = "\uff3e" if column < len(snippet) and byte_length(snippet[column]) > 1 else "^"
    return f"{text}\n | {snippet}\n | {dots}{caret}"


# --- Talos's environments (pkg/machinery/cel/celenv/celenv.go) ---------------------------------------------

_UNITS = ("KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "kB", "MB", "GB", "TB", "PB", "EB")
_QOS_CLASSES = ("Besteffort", "Burstable", "Guaranteed", "Podruntime", "System")
_DISK = "talos.resource.definitions.block.DiskSpec"
_VOLUME = "talos.resource.definitions.block.DiscoveredVolumeSpec"
_LINK = "talos.resource.definitions.network.LinkStatusSpec"
_GLOB = {"glob": (_global(BOOL, STRING, STRING),)}


def _disk_fields(minor: int) -> dict[str, CelType]:
    # api/resource/definitions/block/block.proto DiskSpec (firmware_version from v1.14)
    fields = {"size": UINT, "io_size": UINT, "sector_size": UINT, "readonly": BOOL, "model": STRING,
              "serial": STRING, "modalias": STRING, "wwid": STRING, "bus_path": STRING, "sub_system": STRING,
              "transport": STRING, "rotational": BOOL, "cdrom": BOOL, "dev_path": STRING, "pretty_size": STRING,
              "secondary_disks": list_of(STRING), "uuid": STRING, "symlinks": list_of(STRING)}
    if minor >= 14:
        fields["firmware_version"] = STRING
    return fields


# api/resource/definitions/block/block.proto DiscoveredVolumeSpec
_VOLUME_FIELDS = {"size": UINT, "sector_size": UINT, "io_size": UINT, "name": STRING, "uuid": STRING,
                  "label": STRING, "block_size": UINT, "filesystem_block_size": UINT, "probed_size": UINT,
                  "partition_uuid": STRING, "partition_type": STRING, "partition_label": STRING,
                  "partition_index": UINT, "type": STRING, "device_path": STRING, "parent": STRING,
                  "dev_path": STRING, "parent_dev_path": STRING, "pretty_size": STRING, "offset": UINT}
# api/resource/definitions/network/network.proto LinkStatusSpec; enums are int, nested messages left unknown
_LINK_FIELDS = {"index": UINT, "type": INT, "link_index": UINT, "flags": UINT, "hardware_addr": BYTES,
                "broadcast_addr": BYTES, "mtu": UINT, "queue_disc": STRING, "master_index": UINT,
                "operational_state": INT, "kind": STRING, "slave_kind": STRING, "bus_path": STRING, "pciid": STRING,
                "driver": STRING, "driver_version": STRING, "firmware_version": STRING, "product_id": STRING,
                "vendor_id": STRING, "product": STRING, "vendor": STRING, "link_state": BOOL,
                "speed_megabits": INT, "port": INT, "duplex": INT, "vlan": UNKNOWN, "bridge_master": UNKNOWN,
                "bond_master": UNKNOWN, "wireguard": UNKNOWN, "permanent_addr": BYTES, "alias": STRING,
                "alt_names": list_of(STRING), "vrf_master": UNKNOWN, "veth": UNKNOWN}


@functools.cache
def disk_locator(minor: int = 14) -> Environment:
    variables = {"disk": message(_DISK), "system_disk": BOOL, **dict.fromkeys(_UNITS, UINT)}
    return Environment("DiskLocator", variables, {_DISK: _disk_fields(minor)}, _GLOB)


@functools.cache
def volume_locator(minor: int = 14) -> Environment:
    variables = {"volume": message(_VOLUME), "disk": message(_DISK), **dict.fromkeys(_UNITS, UINT)}
    return Environment("VolumeLocator", variables, {_VOLUME: _VOLUME_FIELDS, _DISK: _disk_fields(minor)})


@functools.cache
def oom_trigger() -> Environment:
    qos = map_of(INT, DOUBLE)
    variables: dict[str, CelType] = {}
    for prefix in ("", "d_"):
        for pressure in ("some", "full"):
            for window in ("avg10", "avg60", "avg300", "total"):
                variables[f"{prefix}memory_{pressure}_{window}"] = DOUBLE
                variables[f"{prefix}qos_memory_{pressure}_{window}"] = qos
        for usage in ("current", "peak", "max"):
            variables[f"{prefix}qos_memory_{usage}"] = qos
    variables["time_since_trigger"] = DURATION
    variables.update(dict.fromkeys(_UNITS, UINT))
    variables.update(dict.fromkeys(_QOS_CLASSES, INT))
    functions = {"multiply_qos_vectors": (_global(DOUBLE, map_of(DYN, DOUBLE), map_of(DYN, DOUBLE)),)}
    return Environment("OOMTrigger", variables, functions=functions, optional_types=True)


@functools.cache
def oom_cgroup_scoring() -> Environment:
    optional_uint = CelType("optional", params=(UINT,))
    variables = {"memory_max": optional_uint, "memory_current": optional_uint, "memory_peak": optional_uint,
                 "path": STRING, "class": INT, **dict.fromkeys(_UNITS, UINT), **dict.fromkeys(_QOS_CLASSES, INT)}
    return Environment("OOMCgroupScoring", variables, optional_types=True)


@functools.cache
def link_locator() -> Environment:
    functions = {**_GLOB, "mac": (_global(STRING, BYTES),)}
    return Environment("LinkLocator", {"link": message(_LINK)}, {_LINK: _LINK_FIELDS}, functions)


def environment(name: str, minor: int) -> Environment:
    """Talos's environment by its celenv name, as Talos v1.`minor` declares it."""
    if name == "DiskLocator":
        return disk_locator(minor)
    if name == "VolumeLocator":
        return volume_locator(minor)
    return {"OOMTrigger": oom_trigger, "OOMCgroupScoring": oom_cgroup_scoring, "LinkLocator": link_locator}[name]()


def check_bool(expression: str, env: Environment) -> str | None:
    """cel.ParseBooleanExpression / Expression.ParseBool."""
    return check(expression, env, BOOL)


def check_double(expression: str, env: Environment) -> str | None:
    """cel.ParseDoubleExpression / Expression.ParseDouble."""
    return check(expression, env, DOUBLE)


__all__ = ["Environment", "check_bool", "check_double", "disk_locator", "environment", "link_locator",
           "oom_cgroup_scoring", "oom_trigger", "volume_locator"]
