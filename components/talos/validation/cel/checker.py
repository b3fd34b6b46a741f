"""CEL type checking as cel-go does it for Talos's environments, conservative where this port is unsure.

Talos (pkg/machinery/cel/cel.go parseExpressionWithOutputType) parses an expression, type-checks it in one of the
environments of pkg/machinery/cel/celenv (environments.py) and requires the output type (bool, or double for OOM
cgroup ranking). The checker here follows google/cel-go checker/checker.go and common/stdlib/standard.go: declared
variables and constants, proto message fields, the standard overloads (cross-type numeric comparisons stay
disabled, as cel.NewEnv leaves them), macros' ranges and predicates. Errors read as cel-go's (common/error.go
ToDisplayString: ERROR: <input>:line:column: ..., the source line and a caret).

Where cel-go's inference is richer than this port (dyn, null, optionals, type parameters left open), the type is
*unknown* and nothing is refused: an expression is refused only for a reason cel-go certainly reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...golang.strconv import byte_length, clip
from .lexer import CelSyntaxError
from .parser import (
    Call,
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
from .types import (
    BOOL,
    BYTES,
    DOUBLE,
    ERROR,
    INT,
    NULL,
    OPTIONAL_FUNCTIONS,
    PACKAGE_ROOTS,
    STANDARD_FUNCTIONS,
    STRING,
    TYPE_IDENTIFIERS,
    UINT,
    UNKNOWN,
    CelType,
    Environment,
    Overload,
    list_of,
    map_of,
    message,
    type_of,
)


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
            if root in PACKAGE_ROOTS and self.lookup(root) is None and root not in self.env.variables:
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
            if qualified and f"{qualified}.{function}" in OPTIONAL_FUNCTIONS and self.env.optional_types:
                for arg in node.args:
                    self.check(arg)
                return UNKNOWN
        target_type = self.check(node.target) if node.target is not None else None
        arg_types = [self.check(arg) for arg in node.args]
        if self.env.optional_types and function in OPTIONAL_FUNCTIONS:
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
