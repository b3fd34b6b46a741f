"""Splitting a Go template into text and actions, and actions into tokens, in one linear pass.

Follows text/template/parse/lex.go: an action runs from ``{{`` to the first ``}}`` outside a quoted or raw
string; ``{{- `` and `` -}}`` trim the neighbouring text's white space; ``{{/* */}}`` is a comment that
must end at the delimiter; actions may span lines (Go 1.16+). Every token is matched where it starts and
never re-scanned, so 100 KB of ``{{`` is refused at the first character that cannot start a token instead
of being searched for a ``}}`` from each of them. Numbers are read as parse/node.go newNumber reads them,
without building an integer from thousands of digits.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from ..errors import shorten
from .template_functions import TemplateError

_SPACE = " \t\r\n"
_SPACE_CHARS = frozenset(_SPACE)
# lex.go: a quoted string never holds a newline; a raw string may; a char constant is one (escaped) rune.
_TOKEN = re.compile(
    r'(?P<string>"(?:[^"\\\n]|\\.)*")|(?P<raw>`[^`]*`)|(?P<char>\'(?:[^\'\\\n]|\\.)[^\'\n]{0,9}\')'
    r"|(?P<punct>:=|=|\||\(|\)|,)"
    r"|(?P<number>[+-]?(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+"
    r"|(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)(?:[eE][+-]?[0-9_]+)?)(?![\w.]))"
    r"|(?P<field>\$\w*(?:\.\w+)*|(?:\.\w+)+|\.)|(?P<ident>[A-Za-z_]\w*)")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "0": "\0", "a": "\a", "b": "\b",
            "f": "\f", "v": "\v"}
_UINT64_MAX = 2 ** 64 - 1
_INT64_MIN = -(2 ** 63)
# Digits (leading zeros aside) beyond which an integer exceeds uint64 in each base, and beyond which a
# decimal one exceeds even float64 (strconv.ParseFloat's range error).
_MAX_DIGITS = {"0x": 16, "0o": 22, "0b": 64, "": 20}
_MAX_FLOAT_DIGITS = 309


@dataclass
class Token:
    kind: str  # string, number, punct, field, ident
    text: str
    value: object = None  # strings unquoted, numbers parsed
    start: int = 0  # offset in the template


@dataclass
class Piece:
    kind: str  # text, action
    text: str = ""
    tokens: list[Token] = field(default_factory=list)
    line: int = 1


def _unquote(text: str) -> str:
    if text.startswith("`"):
        return text[1:-1]
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text[1:-1])


def number(text: str) -> int | float:
    """parse/node.go newNumber for the forms the lexer takes: an integer that fits int64 or uint64, else a
    float64; "integer overflow" for an integer that only fits a float, "illegal number syntax" for one
    that does not even do that. No integer is ever built from more digits than uint64 holds."""
    quoted = '"' + shorten(text, 40) + '"'
    cleaned = text.replace("_", "")
    unsigned = cleaned.lstrip("+-")
    prefix = unsigned[:2].lower() if unsigned[:2].lower() in ("0x", "0o", "0b") else ""
    if prefix or re.fullmatch(r"[0-9]+", unsigned):
        digits = unsigned[len(prefix):].lstrip("0")
        if len(digits) <= _MAX_DIGITS[prefix]:
            value = int(cleaned, 0) if prefix else int(cleaned)
            if _INT64_MIN <= value <= _UINT64_MAX:
                return value
        if prefix or len(digits) > _MAX_FLOAT_DIGITS:  # ParseFloat: no hex mantissa without p; out of range
            raise TemplateError(f"illegal number syntax: {quoted}")
        raise TemplateError(f"integer overflow: {quoted}")
    value_f = float(cleaned)
    if math.isinf(value_f):
        raise TemplateError(f"illegal number syntax: {quoted}")
    return value_f


def _char(text: str) -> int:
    body = _unquote("'" + text[1:-1] + "'") if text[1] == "\\" else text[1:-1]
    if len(body) != 1:
        raise TemplateError(f"malformed character constant: {shorten(text, 20)}")
    return ord(body)


def _tokens(template: str, start: int, line: int) -> tuple[list[Token], int, bool]:
    """The tokens of the action whose body starts at ``start``; the index after its ``}}`` and whether it
    ends with a ``-}}`` trim marker."""
    tokens: list[Token] = []
    position = start
    length = len(template)
    while True:
        while position < length and template[position] in _SPACE_CHARS:
            position += 1
        if position >= length:
            raise TemplateError(f"line {line}: unclosed action")
        if template.startswith("}}", position):
            return tokens, position + 2, False
        if template.startswith("-}}", position) and position > start and template[position - 1] in _SPACE:
            return tokens, position + 3, True
        match = _TOKEN.match(template, position)
        if match is None:
            char = template[position]
            if char in "\"'`":
                raise TemplateError(f"line {line}: unterminated {'raw ' if char == '`' else ''}quoted string")
            raise TemplateError(f"line {line}: unrecognized character in action: {char!r}")
        kind = match.lastgroup or ""
        text = match.group(0)
        if kind == "field" and tokens and tokens[-1].text == ")" and position == tokens[-1].start + 1:
            raise TemplateError(f"line {line}: a field of a parenthesized pipeline ({shorten(text, 20)}) is not "
                                "supported here; assign the pipeline to a variable first")
        if kind in ("string", "raw"):
            tokens.append(Token("string", text, _unquote(text), position))
        elif kind == "char":
            tokens.append(Token("number", text, _char(text), position))
        elif kind == "number":
            tokens.append(Token("number", text, number(text), position))
        else:
            tokens.append(Token(kind, text, None, position))
        position = match.end()


def lex(template: str) -> list[Piece]:
    """Text and action pieces, with ``{{-`` / ``-}}`` white space trimming applied; comments dropped."""
    pieces: list[Piece] = []
    position, trim_next, line = 0, False, 1
    while True:
        start = template.find("{{", position)
        text = template[position:] if start < 0 else template[position:start]
        if trim_next:
            text = text.lstrip(_SPACE)
        if start < 0:
            pieces.append(Piece("text", text, line=line))
            return pieces
        inner = start + 2
        if template.startswith("-", inner) and template[inner + 1:inner + 2] in _SPACE_CHARS:
            text, inner = text.rstrip(_SPACE), inner + 2  # lex.go trimMarker: "-" and one space
        pieces.append(Piece("text", text, line=line))
        line += template.count("\n", position, start)
        if template.startswith("/*", inner):
            close = template.find("*/", inner + 2)
            if close < 0:
                raise TemplateError(f"line {line}: unclosed comment")
            after = close + 2
            if template.startswith("}}", after):
                position, trim_next = after + 2, False
            elif template.startswith(" -}}", after):
                position, trim_next = after + 4, True
            else:
                raise TemplateError(f"line {line}: comment ends before closing delimiter")
        else:
            if template.find("}}", inner) < 0:  # no close anywhere: known before tokenizing the rest
                raise TemplateError(f"line {line}: unclosed action")
            tokens, position, trim_next = _tokens(template, inner, line)
            pieces.append(Piece("action", template[inner:position], tokens, line))
        line += template.count("\n", start, position)
