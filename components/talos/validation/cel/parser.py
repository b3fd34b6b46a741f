"""A parser for CEL, the expression language of Talos's selectors (disk, volume, OOM), as google/cel-go parses it.

Follows cel-go parser/gen/CEL.g4 (tokens, precedence, literals), parser/parser.go (reserved identifiers, literal
ranges, optional syntax, the recursion and size limits) and parser/macro.go (has, all, exists, exists_one, map,
filter). Errors carry the offset cel-go reports them at; ``checker.py formats them as cel-go does. A syntax error's
description is this parser's own (cel-go's comes from ANTLR); its position and the verdict are cel-go's.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from ...golang.strconv import clip
from .lexer import CelSyntaxError, Token, tokenize

MAX_CODE_POINTS = 100_000  # parser.go expressionSizeCodePointLimit default
MAX_RECURSION = 250  # parser.go maxRecursionDepth default (depth of nested `expr` rules)

# parser.go reservedIds (true, false, null and in are tokens of their own)
# what ANTLR lists where an operand is expected (cel-go parser_test.go)
_OPERAND_EXPECTED = ("{'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, "
                     "BYTES, IDENTIFIER}")
RESERVED = frozenset({"as", "break", "const", "continue", "else", "for", "function", "if", "import", "let", "loop",
                      "package", "namespace", "return", "var", "void", "while"})


@dataclass
class Node:
    offset: int  # where cel-go reports a problem with this node (an operator's token, a call's '(')


@dataclass
class Literal(Node):
    kind: str  # bool, int, uint, double, string, bytes, null


@dataclass
class Ident(Node):
    name: str


@dataclass
class Select(Node):
    operand: Node
    field: str
    test_only: bool = False  # has(a.b)
    optional: bool = False  # a.?b


@dataclass
class Call(Node):
    function: str  # an operator's internal name (_+_, _[_], @in, ...) or the function's name
    args: list[Node]
    target: Node | None = None  # the receiver of a member call


@dataclass
class ListExpr(Node):
    elements: list[Node]


@dataclass
class MapExpr(Node):
    entries: list[tuple[Node, Node]]


@dataclass
class StructExpr(Node):
    name: str
    fields: list[tuple[str, Node]]


@dataclass
class Comprehension(Node):
    """A macro over a list or map (parser/macro.go): all, exists, exists_one, map, filter."""

    macro: str
    range: Node
    variable: str
    predicate: Node | None  # all/exists/exists_one/filter, and map's optional filter
    transform: Node | None = None  # map


# precedence levels of CEL.g4: conditionalOr, conditionalAnd, relation, calc (+ -), calc (* / %)
_LEVELS = (("||",), ("&&",), ("<", "<=", ">=", ">", "==", "!=", "in"), ("+", "-"), ("*", "/", "%"))
_OPERATORS = {"||": "_||_", "&&": "_&&_", "<": "_<_", "<=": "_<=_", ">=": "_>=_", ">": "_>_", "==": "_==_",
              "!=": "_!=_", "in": "@in", "+": "_+_", "-": "_-_", "*": "_*_", "/": "_/_", "%": "_%_"}


@contextmanager
def deep_enough() -> Iterator[None]:
    """Room for an expression nested to cel-go's limit (250 levels, ~10 Python frames each here)."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 6000))
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


def parse(text: str, *, optional_syntax: bool = False) -> Node:
    """The expression's tree, or CelSyntaxError where cel-go's parser reports an error."""
    if len(text) > MAX_CODE_POINTS:
        raise CelSyntaxError(-1, f"expression code point size exceeds limit: size: {len(text)}, "
                                 f"limit {MAX_CODE_POINTS}")
    with deep_enough():
        return _Parser(tokenize(text), optional_syntax).start()


_STRING_ESCAPE = re.compile(r"\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8})|\\.")


def _unescape_problem(token: Token) -> str | None:
    """parser/unescape.go: \\u and \\U are not bytes, and must name a valid rune in a string."""
    text = token.text[1:] if token.kind == "BYTES" else token.text
    if text[:1] in "rR":
        return None
    for match in _STRING_ESCAPE.finditer(text):
        code = match.group(1)
        if code is None:
            continue
        if token.kind == "BYTES":
            return "unable to unescape string"
        value = int(code[1:], 16)
        if 0xD800 <= value <= 0xDFFF or value > 0x10FFFF:
            return "invalid unicode code point"
    return None


@dataclass
class _Parser:
    tokens: list[Token]
    optional_syntax: bool
    index: int = 0
    depth: int = 0
    errors: list[CelSyntaxError] = field(default_factory=list)

    # --- token helpers -------------------------------------------------------------------------------------
    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def peek(self, ahead: int = 1) -> Token:
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def accept(self, kind: str) -> Token | None:
        if self.current.kind == kind:
            token = self.current
            self.index += 1
            return token
        return None

    def expect(self, kind: str, wanted: str) -> Token:
        token = self.accept(kind)
        if token is None:
            raise self.mismatch(wanted)
        return token

    def mismatch(self, wanted: str) -> CelSyntaxError:
        found = self.current
        text = "<EOF>" if found.kind == "EOF" else clip(found.text)
        return CelSyntaxError(found.offset, f"Syntax error: mismatched input '{text}' expecting {wanted}")

    # --- grammar -------------------------------------------------------------------------------------------
    def start(self) -> Node:
        node = self.expr()
        if self.current.kind != "EOF":
            raise CelSyntaxError(self.current.offset,
                                 f"Syntax error: extraneous input '{clip(self.current.text)}' expecting <EOF>")
        return node

    def expr(self) -> Node:
        self.depth += 1
        if self.depth > MAX_RECURSION:
            raise CelSyntaxError(-1, f"expression recursion limit exceeded: {MAX_RECURSION}")
        condition = self.binary(0)
        question = self.accept("?")
        if question is not None:
            then = self.binary(0)
            self.expect(":", "':'")
            otherwise = self.expr()
            condition = Call(question.offset, "_?_:_", [condition, then, otherwise])
        self.depth -= 1
        return condition

    def binary(self, level: int) -> Node:
        if level == len(_LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while self.current.kind in _LEVELS[level]:
            operator = self.current
            self.index += 1
            right = self.binary(level + 1)
            left = Call(operator.offset, _OPERATORS[operator.kind], [left, right])
        return left

    def unary(self) -> Node:
        if self.current.kind == "!":
            operators = []
            while self.current.kind == "!":
                operators.append(self.accept("!"))
            operand = self.member()
            first = operators[0]
            return operand if len(operators) % 2 == 0 else Call(first.offset if first else 0, "!_", [operand])
        if self.current.kind == "-":
            if self.peek().kind in ("NUM_INT", "NUM_FLOAT"):
                return self.member()  # MemberExpr wins: a signed literal (CEL.g4 literal: sign=MINUS?)
            operators = []
            while self.current.kind == "-":
                operators.append(self.accept("-"))
            operand = self.member()
            first = operators[0]
            return operand if len(operators) % 2 == 0 else Call(first.offset if first else 0, "-_", [operand])
        return self.member()

    def member(self) -> Node:
        node = self.primary()
        while True:
            if self.current.kind == ".":
                dot = self.accept(".")
                assert dot is not None
                optional = self.accept("?") is not None
                name_token = self.current
                if name_token.kind == "IDENTIFIER" and not optional and self.peek().kind == "(":
                    self.index += 1
                    open_paren = self.expect("(", "'('")
                    args = self.call_args()
                    node = self.call_or_macro(open_paren.offset, name_token.text, args, node)
                    continue
                name = self.escape_ident()
                if optional and not self.optional_syntax:
                    raise CelSyntaxError(dot.offset, "unsupported syntax '.?'")
                node = Select(dot.offset, node, name, optional=optional)
            elif self.current.kind == "[":
                bracket = self.accept("[")
                assert bracket is not None
                optional = self.accept("?") is not None
                index = self.expr()
                self.expect("]", "']'")
                if optional and not self.optional_syntax:
                    raise CelSyntaxError(bracket.offset, "unsupported syntax '[?'")
                node = Call(bracket.offset, "_[?_]" if optional else "_[_]", [node, index])
            else:
                return node

    def escape_ident(self) -> str:
        token = self.current
        if token.kind == "IDENTIFIER":
            self.index += 1
            return token.text
        if token.kind == "ESC_IDENTIFIER":
            self.index += 1
            return token.text[1:-1]
        raise self.mismatch("{IDENTIFIER, ESC_IDENTIFIER}")

    def call_args(self) -> list[Node]:
        args: list[Node] = []
        if self.accept(")"):
            return args
        args.append(self.expr())
        while self.accept(","):
            args.append(self.expr())
        self.expect(")", "')'")
        return args

    def primary(self) -> Node:
        token = self.current
        if token.kind in ("IDENTIFIER", "."):
            return self.identifier_primary()
        if self.accept("("):
            node = self.expr()
            self.expect(")", "')'")
            return node
        if self.accept("["):
            elements: list[Node] = []
            while self.current.kind != "]":
                optional = self.accept("?")
                if optional and not self.optional_syntax:
                    raise CelSyntaxError(optional.offset, "unsupported syntax '?'")
                elements.append(self.expr())
                if not self.accept(","):
                    break
            self.expect("]", "']'")
            return ListExpr(token.offset, elements)
        if self.accept("{"):
            entries: list[tuple[Node, Node]] = []
            while self.current.kind != "}":
                optional = self.accept("?")
                if optional and not self.optional_syntax:
                    raise CelSyntaxError(optional.offset, "unsupported syntax '?'")
                key = self.expr()
                self.expect(":", "':'")
                entries.append((key, self.expr()))
                if not self.accept(","):
                    break
            self.expect("}", "'}'")
            return MapExpr(token.offset, entries)
        return self.literal()

    def identifier_primary(self) -> Node:
        leading_dot = self.accept(".")
        name_token = self.expect("IDENTIFIER", "IDENTIFIER")
        prefix = "." if leading_dot else ""
        # CreateMessage: IDENT ('.' IDENT)* '{'
        ahead = 0
        while self.peek(ahead).kind == "." and self.peek(ahead + 1).kind == "IDENTIFIER":
            ahead += 2
        if self.peek(ahead).kind == "{":
            parts = [name_token.text]
            while self.current.kind == ".":
                self.index += 1
                parts.append(self.expect("IDENTIFIER", "IDENTIFIER").text)
            brace = self.expect("{", "'{'")
            fields: list[tuple[str, Node]] = []
            while self.current.kind != "}":
                optional = self.accept("?")
                if optional and not self.optional_syntax:
                    raise CelSyntaxError(optional.offset, "unsupported syntax '?'")
                name = self.escape_ident()
                self.expect(":", "':'")
                fields.append((name, self.expr()))
                if not self.accept(","):
                    break
            self.expect("}", "'}'")
            return StructExpr(brace.offset, prefix + ".".join(parts), fields)
        if name_token.text in RESERVED:
            raise CelSyntaxError(name_token.offset, f"reserved identifier: {name_token.text}")
        if self.current.kind == "(":
            open_paren = self.expect("(", "'('")
            return self.call_or_macro(open_paren.offset, prefix + name_token.text, self.call_args(), None)
        return Ident(name_token.offset, prefix + name_token.text)

    def literal(self) -> Node:
        token = self.current
        sign = ""
        if token.kind == "-" and self.peek().kind in ("NUM_INT", "NUM_FLOAT"):
            self.index += 1
            sign, token = "-", self.current
        kind = {"NUM_INT": "int", "NUM_UINT": "uint", "NUM_FLOAT": "double", "STRING": "string", "BYTES": "bytes",
                "TRUE": "bool", "FALSE": "bool", "NULL": "null"}.get(token.kind)
        if kind is None:
            raise self.mismatch(_OPERAND_EXPECTED)
        self.index += 1
        offset = token.offset - len(sign)
        if kind == "int":
            value = int(sign + token.text[2:], 16) if token.text.startswith("0x") else int(sign + token.text)
            if not -(1 << 63) <= value < 1 << 63:
                raise CelSyntaxError(offset, "invalid int literal")
        elif kind == "uint":
            digits = token.text[:-1]
            value = int(digits[2:], 16) if digits.startswith("0x") else int(digits)
            if value >= 1 << 64:
                raise CelSyntaxError(offset, "invalid uint literal")
        elif kind == "double" and math.isinf(float(token.text)):
            raise CelSyntaxError(offset, "invalid double literal")  # strconv.ParseFloat: value out of range
        elif kind in ("string", "bytes") and (problem := _unescape_problem(token)):
            raise CelSyntaxError(offset, problem)
        return Literal(offset, kind)

    # --- macros (parser/macro.go) --------------------------------------------------------------------------
    def call_or_macro(self, offset: int, name: str, args: list[Node], target: Node | None) -> Node:
        if target is None and name == "has" and len(args) == 1:
            argument = args[0]
            if not isinstance(argument, Select) or argument.test_only or argument.optional:
                raise CelSyntaxError(argument.offset, "invalid argument to has() macro")
            return Select(argument.offset, argument.operand, argument.field, test_only=True)
        if target is not None:
            if name in ("all", "exists", "exists_one") and len(args) == 2:
                return Comprehension(offset, name, target, self.loop_variable(args[0], "argument must be a simple "
                                                                                        "name"), args[1])
            if name == "map" and len(args) in (2, 3):
                variable = self.loop_variable(args[0], "argument is not an identifier")
                predicate = args[1] if len(args) == 3 else None
                return Comprehension(offset, "map", target, variable, predicate, args[-1])
            if name == "filter" and len(args) == 2:
                variable = self.loop_variable(args[0], "argument is not an identifier")
                return Comprehension(offset, "filter", target, variable, args[1])
        return Call(offset, name, args, target)

    @staticmethod
    def loop_variable(argument: Node, problem: str) -> str:
        if not isinstance(argument, Ident) or argument.name.startswith("."):
            raise CelSyntaxError(argument.offset, problem)
        if argument.name == "__result__":  # macro.go AccumulatorName
            raise CelSyntaxError(argument.offset, "iteration variable overwrites accumulator variable")
        return argument.name
