"""CEL selector expressions as Talos checks them: parsed by the CEL grammar, then type-checked against
Talos's environment, and the result must be a bool (siderolabs/talos pkg/machinery/cel ParseBooleanExpression,
google/cel-go parser and checker).

This is a faithful parser of the CEL syntax (cel-spec doc/langdef.md, cel-go parser/gen/CEL.g4: literals
and escapes, reserved words, operators and precedence, macros) and a conservative checker: it refuses what
cel-go's checker certainly refuses (an undeclared name, a field the message does not have, a function the
environment does not define, a comparison of two different primitive types, a result that is not a bool)
and accepts whatever depends on types it does not model (dyn), so a valid selector is never refused.

A pure-Python parser instead of a CEL package: cel-python has no type checker and a grammar of its own, the
cel-cpp wrapper is a 40 MB native build; a config without selectors never imports this module.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field

from ..errors import shorten

MAX_EXPRESSION = 100_000  # cel-go's default expression size limit (parser.ExpressionSizeCodePointLimit)
MAX_DEPTH = 250  # cel-go's default parser recursion limit (parser.MaxRecursionDepth)

# --- types ---------------------------------------------------------------------------------------------------

DYN = "dyn"
BOOL, INT, UINT, DOUBLE, STRING, BYTES, NULL = "bool", "int", "uint", "double", "string", "bytes", "null_type"
PRIMITIVES = {BOOL, INT, UINT, DOUBLE, STRING, BYTES, NULL}
NUMERIC = {INT, UINT, DOUBLE}


@dataclass(frozen=True)
class Message:
    """A protobuf message type: its fields' CEL types (DYN where the type is not modelled)."""

    name: str
    fields: dict[str, str]


@dataclass(frozen=True)
class Env:
    """A cel.Env as Talos builds it (pkg/machinery/cel/celenv): variables and extra functions."""

    variables: dict[str, str | Message]
    functions: dict[str, str] = field(default_factory=dict)  # name -> result type (global calls)
    constants: dict[str, str] = field(default_factory=dict)


# talos api/resource/definitions/network/network.proto LinkStatusSpec; enums are ints in CEL, nested
# messages are not modelled (DYN).
LINK_STATUS_SPEC = Message("talos.resource.definitions.network.LinkStatusSpec", {
    "index": UINT, "type": INT, "link_index": UINT, "flags": UINT, "hardware_addr": BYTES, "broadcast_addr": BYTES,
    "mtu": UINT, "queue_disc": STRING, "master_index": UINT, "operational_state": INT, "kind": STRING,
    "slave_kind": STRING, "bus_path": STRING, "pciid": STRING, "driver": STRING, "driver_version": STRING,
    "firmware_version": STRING, "product_id": STRING, "vendor_id": STRING, "product": STRING, "vendor": STRING,
    "link_state": BOOL, "speed_megabits": INT, "port": INT, "duplex": INT, "vlan": DYN, "bridge_master": DYN,
    "bond_master": DYN, "wireguard": DYN, "permanent_addr": BYTES, "alias": STRING, "alt_names": "list",
    "vrf_master": DYN, "veth": DYN,
})

# celenv.LinkLocator: `link`, glob(pattern, string) -> bool, mac(bytes) -> string
LINK_LOCATOR = Env(variables={"link": LINK_STATUS_SPEC}, functions={"glob": BOOL, "mac": STRING})

# cel-go's standard declarations (common/stdlib): global functions and their result types
_STD_GLOBAL = {"size": INT, "int": INT, "uint": UINT, "double": DOUBLE, "string": STRING, "bytes": BYTES,
               "bool": BOOL, "type": DYN, "dyn": DYN, "duration": DYN, "timestamp": DYN, "matches": BOOL}
# member functions: receiver.f(...)
_STD_MEMBER = {"contains": BOOL, "startsWith": BOOL, "endsWith": BOOL, "matches": BOOL, "size": INT,
               "getFullYear": INT, "getMonth": INT, "getDate": INT, "getDayOfMonth": INT, "getDayOfWeek": INT,
               "getDayOfYear": INT, "getHours": INT, "getMinutes": INT, "getSeconds": INT, "getMilliseconds": INT}
_TYPE_NAMES = {"int", "uint", "double", "bool", "string", "bytes", "list", "map", "null_type", "type", "dyn"}
_PROTO_ROOTS = {"talos", "google"}  # qualified names into registered proto packages (enum values, types)
_MACROS = {"all": BOOL, "exists": BOOL, "exists_one": BOOL, "map": "list", "filter": "list"}

# --- lexer ---------------------------------------------------------------------------------------------------

_RESERVED = {"as", "break", "const", "continue", "else", "for", "function", "if", "import", "let", "loop",
             "package", "namespace", "return", "var", "void", "while"}
_TOKEN = re.compile(r"""
    (?P<ws>[ \t\r\n\f]+|//[^\n]*)
  | (?P<float>(?:[0-9]+\.[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+|\.[0-9]+(?:[eE][+-]?[0-9]+)?))
  | (?P<int>(?:0[xX][0-9a-fA-F]+|[0-9]+)[uU]?)
  | (?P<string>[rR]?[bB]?[rR]?(?:\"\"\"|'''|"|'))
  | (?P<ident>[_a-zA-Z][_a-zA-Z0-9]*)
  | (?P<op>\|\||&&|==|!=|<=|>=|[<>!?:+\-*/%.,\[\](){}])
""", re.VERBOSE)
_ESCAPE = re.compile(r"""\\(?:[abfnrtv\\'"`?]|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-3][0-7]{2})""")


class CELError(ValueError):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


@dataclass(frozen=True)
class Token:
    kind: str  # "int", "uint", "float", "string", "bytes", "ident", "op", "end"
    text: str
    offset: int


def _tokens(source: str) -> list[Token]:
    out: list[Token] = []
    position = 0
    while position < len(source):
        match = _TOKEN.match(source, position)
        if not match:
            raise CELError(f"token recognition error at: '{source[position]}'", position)
        kind = match.lastgroup or ""
        if kind == "string":
            token, position = _string(source, match.start(), match.group())
            out.append(token)
            continue
        text = match.group()
        if kind == "int" and text[-1] in "uU":
            kind = "uint"
        if kind != "ws":
            out.append(Token(kind, text, match.start()))
        position = match.end()
    out.append(Token("end", "", len(source)))
    return out


def _string(source: str, start: int, opener: str) -> tuple[Token, int]:
    prefix = opener.rstrip("\"'")
    quote = opener[len(prefix):]
    raw, is_bytes = "r" in prefix.lower(), "b" in prefix.lower()
    if prefix.lower().count("r") > 1 or prefix.lower().count("b") > 1:
        raise CELError("token recognition error", start)
    position = start + len(opener)
    while True:
        if position >= len(source) or (len(quote) == 1 and source[position] == "\n"):
            raise CELError("token recognition error: unterminated string", start)
        if source.startswith(quote, position):
            break
        if source[position] == "\\":
            if raw:
                position += 2
                continue
            escape = _ESCAPE.match(source, position)
            if not escape:
                raise CELError("invalid escape sequence", position)
            if not is_bytes and source[position + 1] in "xU01234567" and _invalid_code_point(escape.group()):
                raise CELError("invalid unicode code point", position)
            position = escape.end()
            continue
        position += 1
    end = position + len(quote)
    return Token("bytes" if is_bytes else "string", source[start:end], start), end


def _invalid_code_point(escape: str) -> bool:
    if escape[1] == "U":
        value = int(escape[2:], 16)
        return value > 0x10FFFF or 0xD800 <= value <= 0xDFFF
    return False


# --- parser and checker --------------------------------------------------------------------------------------

@dataclass
class _Parser:
    tokens: list[Token]
    env: Env
    position: int = 0
    depth: int = 0
    scopes: list[dict[str, str]] = field(default_factory=list)

    # token helpers
    def peek(self, offset: int = 0) -> Token:
        return self.tokens[min(self.position + offset, len(self.tokens) - 1)]

    def take(self) -> Token:
        token = self.peek()
        self.position += 1
        return token

    def accept(self, *ops: str) -> Token | None:
        token = self.peek()
        if token.kind == "op" and token.text in ops:
            self.position += 1
            return token
        return None

    def expect(self, op: str) -> Token:
        token = self.accept(op)
        if token is None:
            found = self.peek()
            raise CELError(f"mismatched input '{found.text or '<EOF>'}' expecting '{op}'", found.offset)
        return token

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise CELError(f"expression recursion limit exceeded: {MAX_DEPTH}", self.peek().offset)

    # grammar: each method returns the expression's CEL type (DYN when not modelled)
    def expr(self) -> str:
        self.enter()
        condition = self.or_expr()
        question = self.accept("?")
        if question is None:
            self.depth -= 1
            return condition
        self._operand(condition, BOOL, "_?_:_", question.offset)
        then = self.or_expr()
        self.expect(":")
        otherwise = self.expr()
        self.depth -= 1
        return then if then == otherwise else DYN

    def or_expr(self) -> str:
        left = self.and_expr()
        while (token := self.accept("||")) is not None:
            self._operand(left, BOOL, "_||_", token.offset)
            self._operand(self.and_expr(), BOOL, "_||_", token.offset)
            left = BOOL
        return left

    def and_expr(self) -> str:
        left = self.relation()
        while (token := self.accept("&&")) is not None:
            self._operand(left, BOOL, "_&&_", token.offset)
            self._operand(self.relation(), BOOL, "_&&_", token.offset)
            left = BOOL
        return left

    def relation(self) -> str:
        left = self.addition()
        while True:
            token = self.accept("==", "!=", "<", "<=", ">", ">=")
            if token is None:
                if self.peek().kind == "ident" and self.peek().text == "in":
                    self.take()
                    self.addition()
                    left = BOOL
                    continue
                return left
            right = self.addition()
            # equality is (A, A); cel-go declares the orderings across int, uint and double too, so numeric
            # mixes are left to it
            if left in PRIMITIVES and right in PRIMITIVES and left != right \
                    and not (left in NUMERIC and right in NUMERIC):
                raise CELError(f"found no matching overload for '_{token.text}_' applied to '({left}, {right})'",
                               token.offset)
            left = BOOL

    def addition(self) -> str:
        left = self.multiplication()
        while (token := self.accept("+", "-")) is not None:
            left = self._arithmetic(token, left, self.multiplication())
        return left

    def multiplication(self) -> str:
        left = self.unary()
        while (token := self.accept("*", "/", "%")) is not None:
            left = self._arithmetic(token, left, self.unary())
        return left

    def _arithmetic(self, token: Token, left: str, right: str) -> str:
        allowed = {"+": {INT, UINT, DOUBLE, STRING, BYTES, "list"}, "-": {INT, UINT, DOUBLE},
                   "*": {INT, UINT, DOUBLE}, "/": {INT, UINT, DOUBLE}, "%": {INT, UINT}}[token.text]
        for operand in (left, right):
            if operand in PRIMITIVES and operand not in allowed:
                raise CELError(f"found no matching overload for '_{token.text}_' applied to '({left}, {right})'",
                               token.offset)
        if left in PRIMITIVES and right in PRIMITIVES and left != right:
            raise CELError(f"found no matching overload for '_{token.text}_' applied to '({left}, {right})'",
                           token.offset)
        return left if left == right else DYN

    def unary(self) -> str:
        """'!'+ member | '-'+ member: one grammar rule however many signs (no recursion depth of its own)."""
        signs: list[Token] = []
        while (token := self.accept("!", "-")) is not None:
            signs.append(token)
        kind = self.member()
        for token in reversed(signs):
            if token.text == "!":
                self._operand(kind, BOOL, "!_", token.offset)
                kind = BOOL
            elif kind in PRIMITIVES and kind not in (INT, DOUBLE):
                raise CELError(f"found no matching overload for '-_' applied to '({kind})'", token.offset)
        return kind

    def member(self) -> str:
        kind, name = self.primary()
        while True:
            if self.accept(".") is not None:
                ident = self.take()
                if ident.kind != "ident" or ident.text in _RESERVED:
                    raise CELError(f"mismatched input '{ident.text or '<EOF>'}' expecting IDENTIFIER", ident.offset)
                if self.accept("(") is not None:
                    kind, name = self._member_call(kind, ident), ""
                    continue
                if name and kind == "qualified":
                    name = f"{name}.{ident.text}"
                    continue
                kind, name = self._select(kind, ident), ""
            elif (token := self.accept("[")) is not None:
                self.expr()
                self.expect("]")
                if kind in PRIMITIVES:
                    raise CELError(f"found no matching overload for '_[_]' applied to '({kind}, ...)'", token.offset)
                kind, name = DYN, ""
            elif self.peek().kind == "op" and self.peek().text == "{" and kind == "qualified":
                self._struct_literal()
                kind, name = DYN, ""
            else:
                return DYN if kind == "qualified" else kind

    def _select(self, kind: str, ident: Token) -> str:
        message = _message(kind, self.env)
        if message is not None:
            if ident.text not in message.fields:
                raise CELError(f"undefined field '{ident.text}'", ident.offset)
            return message.fields[ident.text]
        if kind in PRIMITIVES:
            raise CELError(f"type '{kind}' does not support field selection", ident.offset)
        return DYN

    def _member_call(self, receiver: str, ident: Token) -> str:
        if ident.text in _MACROS:
            self._comprehension(ident)
            return _MACROS[ident.text]
        self._arguments()
        if ident.text not in _STD_MEMBER:
            raise CELError(f"undeclared reference to '{ident.text}' (in container '')", ident.offset)
        return _STD_MEMBER[ident.text]

    def _comprehension(self, ident: Token) -> None:
        """all/exists/exists_one/filter(x, p), map(x, t) and map(x, p, t): x is a new name in scope."""
        variable = self.take()
        if variable.kind != "ident":
            raise CELError("argument must be a simple name", variable.offset)
        self.scopes.append({variable.text: DYN})
        count = 1
        while self.accept(",") is not None:
            self.expr()
            count += 1
        self.expect(")")
        self.scopes.pop()
        if count not in ((2, 3) if ident.text == "map" else (2,)):
            raise CELError(f"undeclared reference to '{ident.text}' (in container '')", ident.offset)

    def _arguments(self) -> list[str]:
        types: list[str] = []
        if self.accept(")") is not None:
            return types
        while True:
            types.append(self.expr())
            if self.accept(")") is not None:
                return types
            self.expect(",")
            if self.accept(")") is not None:
                return types

    def _struct_literal(self) -> None:
        self.expect("{")
        while self.accept("}") is None:
            name = self.take()
            if name.kind != "ident":
                raise CELError(f"mismatched input '{name.text or '<EOF>'}' expecting IDENTIFIER", name.offset)
            self.expect(":")
            self.expr()
            if self.accept(",") is None:
                self.expect("}")
                return

    def primary(self) -> tuple[str, str]:
        token = self.take()
        if token.kind in ("int", "uint", "float", "string", "bytes"):
            if token.kind == "int":
                _check_int(token)
            return {"int": INT, "uint": UINT, "float": DOUBLE, "string": STRING, "bytes": BYTES}[token.kind], ""
        if token.kind == "op":
            if token.text == "(":
                kind = self.expr()
                self.expect(")")
                return kind, ""
            if token.text == "[":
                self._list_literal()
                return "list", ""
            if token.text == "{":
                self._map_literal()
                return "map", ""
            if token.text == ".":
                ident = self.take()
                if ident.kind != "ident":
                    raise CELError(f"mismatched input '{ident.text or '<EOF>'}' expecting IDENTIFIER", ident.offset)
                return self._identifier(ident)
        if token.kind == "ident":
            return self._identifier(token)
        raise CELError(f"mismatched input '{token.text or '<EOF>'}' expecting expression", token.offset)

    def _identifier(self, token: Token) -> tuple[str, str]:
        name = token.text
        if name in ("true", "false"):
            return BOOL, ""
        if name == "null":
            return NULL, ""
        if name in _RESERVED or name == "in":
            raise CELError(f"reserved identifier: {name}", token.offset)
        if self.accept("(") is not None:
            return self._global_call(token), ""
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name], ""
        if name in self.env.variables:
            variable = self.env.variables[name]
            return (variable.name if isinstance(variable, Message) else variable), ""
        if name in self.env.constants:
            return self.env.constants[name], ""
        if name in _TYPE_NAMES:
            return "type", ""
        if name in _PROTO_ROOTS and self.peek().kind == "op" and self.peek().text == ".":
            return "qualified", name
        raise CELError(f"undeclared reference to '{name}' (in container '')", token.offset)

    def _global_call(self, token: Token) -> str:
        name = token.text
        if name == "has":
            start = self.position
            self.expr()
            last = self.tokens[self.position - 1]
            before = self.tokens[self.position - 2] if self.position - 2 >= start else None
            self.expect(")")
            if last.kind != "ident" or before is None or before.text != ".":
                raise CELError("invalid argument to has() macro", token.offset)
            return BOOL
        arguments = self._arguments()
        if name in self.env.functions:
            return self.env.functions[name]
        if name not in _STD_GLOBAL:
            raise CELError(f"undeclared reference to '{name}' (in container '')", token.offset)
        if name == "size" and len(arguments) == 1 and arguments[0] in PRIMITIVES - {STRING, BYTES}:
            raise CELError(f"found no matching overload for 'size' applied to '({arguments[0]})'", token.offset)
        return _STD_GLOBAL[name]

    def _list_literal(self) -> None:
        while self.accept("]") is None:
            self.expr()
            if self.accept(",") is None:
                self.expect("]")
                return

    def _map_literal(self) -> None:
        while self.accept("}") is None:
            self.expr()
            self.expect(":")
            self.expr()
            if self.accept(",") is None:
                self.expect("}")
                return

    def _operand(self, kind: str, expected: str, function: str, offset: int) -> None:
        if (kind in PRIMITIVES and kind != expected) or kind in ("list", "map"):
            raise CELError(f"found no matching overload for '{function}' applied to '({kind})'", offset)


def _message(kind: str, env: Env) -> Message | None:
    for variable in env.variables.values():
        if isinstance(variable, Message) and variable.name == kind:
            return variable
    return None


def _check_int(token: Token) -> None:
    text = token.text
    value = int(text, 16) if text[:2] in ("0x", "0X") else int(text)
    if value > (1 << 63) - 1:  # a negative literal's minus sign is an operator in the grammar
        raise CELError("integer literal is out of range", token.offset)


def _error_text(source: str, offset: int, message: str) -> str:
    """cel-go's issue format: location, message, the source line and a caret under the column."""
    line = source.count("\n", 0, offset) + 1
    start = source.rfind("\n", 0, offset) + 1
    column = offset - start
    text = shorten(source[start:].partition("\n")[0], 120)  # an error never echoes a whole huge input
    return f"ERROR: <input>:{line}:{column + 1}: {message}\n | {text}\n | {'.' * column}^"


def _frame_depth() -> int:
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1  # type: ignore[assignment]
    return depth


def boolean_expression_problem(source: str, env: Env) -> str | None:
    """Why cel-go would refuse `source` as a boolean expression in `env` (its ERROR line), or None."""
    if len(source) > MAX_EXPRESSION:
        return f"expression code point size exceeds limit: size: {len(source)}, limit {MAX_EXPRESSION}"
    limit = sys.getrecursionlimit()
    # ten Python frames per nested expression: room for cel-go's 250 levels (pure-Python frames, no C stack)
    sys.setrecursionlimit(max(limit, _frame_depth() + 12 * MAX_DEPTH))
    try:
        parser = _Parser(_tokens(source), env)
        result = parser.expr()
        trailing = parser.peek()
        if trailing.kind != "end":
            raise CELError(f"extraneous input '{trailing.text}' expecting <EOF>", trailing.offset)
    except CELError as error:
        return _error_text(source, error.offset, str(error))
    finally:
        sys.setrecursionlimit(limit)
    if result in (PRIMITIVES | {"list", "map", "type"}) - {BOOL} or _message(result, env) is not None:
        return f"expression output type is {result}, expected bool"
    return None
