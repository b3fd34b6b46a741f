"""CEL's lexer as google/cel-go's ANTLR grammar has it (parser/gen/CEL.g4): tokens, longest match first."""

from __future__ import annotations

import re
from dataclasses import dataclass


class CelSyntaxError(Exception):
    def __init__(self, offset: int, message: str) -> None:
        super().__init__(message)
        self.offset = offset
        self.message = message


@dataclass
class Token:
    kind: str
    text: str
    offset: int


_PUNCTUATION = ["==", "!=", "<=", ">=", "&&", "||", "<", ">", "[", "]", "{", "}", "(", ")", ".", ",", "-", "!",
                "?", ":", "+", "*", "/", "%"]
_ESCAPE = r"(?:\\[abfnrtv\"'\\?`]|\\[0-3][0-7][0-7]|\\[xX][0-9A-Fa-f]{2}|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})"
_STRING = (
    r'(?:[rR]"""[\s\S]*?"""|[rR]\'\'\'[\s\S]*?\'\'\'|[rR]"[^"\n\r]*"|[rR]\'[^\'\n\r]*\''
    rf'|"""(?:{_ESCAPE}|[^\\])*?"""|\'\'\'(?:{_ESCAPE}|[^\\])*?\'\'\''
    rf'|"(?:{_ESCAPE}|[^\\"\n\r])*"|\'(?:{_ESCAPE}|[^\\\'\n\r])*\')'
)
# CEL.g4 lexer rules, longest match first as ANTLR's lexer picks them
_LEXER = [
    ("BYTES", re.compile(r"[bB]" + _STRING)),
    ("STRING", re.compile(_STRING)),
    ("NUM_FLOAT", re.compile(r"[0-9]+\.[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+|\.[0-9]+(?:[eE][+-]?[0-9]+)?")),
    ("NUM_UINT", re.compile(r"0x[0-9A-Fa-f]+[uU]|[0-9]+[uU]")),
    ("NUM_INT", re.compile(r"0x[0-9A-Fa-f]+|[0-9]+")),
    ("IDENTIFIER", re.compile(r"[A-Za-z_][A-Za-z0-9_]*")),
    ("ESC_IDENTIFIER", re.compile(r"`[A-Za-z0-9_.\-/ ]+`")),
]
_SKIP = re.compile(r"(?:[\t \r\n\f]+|//[^\n]*)+")
_KEYWORDS = {"true": "TRUE", "false": "FALSE", "null": "NULL", "in": "in"}


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while True:
        skipped = _SKIP.match(text, position)
        if skipped:
            position = skipped.end()
        if position >= len(text):
            tokens.append(Token("EOF", "<EOF>", position))
            return tokens
        best: tuple[str, str] | None = None
        for kind, pattern in _LEXER:
            match = pattern.match(text, position)
            if match and (best is None or len(match.group(0)) > len(best[1])):
                best = (kind, match.group(0))
        for punctuation in _PUNCTUATION:
            if text.startswith(punctuation, position) and (best is None or len(punctuation) > len(best[1])):
                best = (punctuation, punctuation)
        if best is None:
            raise CelSyntaxError(position, f"Syntax error: token recognition error at: '{text[position]}'")
        kind, lexeme = best
        if kind == "IDENTIFIER":
            kind = _KEYWORDS.get(lexeme, kind)
        tokens.append(Token(kind, lexeme, position))
        position += len(lexeme)
