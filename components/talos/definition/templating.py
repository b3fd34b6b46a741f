"""talhelper's Go templates in patches, ``nodeLabels`` and ``nodeAnnotations``: the subset users write.

talhelper pkg/templating/template.go renders text/template (with sprig) against the node's *v1alpha1.Config,
so fields are Go names (``.MachineConfig.MachineNetwork.NetworkHostname``); gofields.py maps them to YAML
keys. Supported: field chains on ``.``/``$``/variables, string/number/bool literals, ``if``/``else if``/``else``,
``range`` (with ``$v :=`` or ``$i, $v :=``), ``with``, pipelines, ``{{-``/``-}}`` trimming, comments, and the
functions in FUNCTIONS. Anything else (``define``, ``template``, ``block``, other sprig functions) is refused by
name: a template is never written out as literal text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .gofields import STRUCTS


class TemplateError(Exception):
    pass


@dataclass
class Value:
    raw: Any
    struct: str = ""  # the v1alpha1 struct ``raw`` is an instance of (or, for lists and maps, of each element)


def _go_text(value: Any) -> str:
    """fmt.Print of a value, as text/template prints it."""
    if value is None:
        return ""  # the zero value of a string field; nil structs fail earlier, on field access
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + " ".join(_go_text(item) for item in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{_go_text(v)}" for k, v in sorted(value.items())) + "]"
    return str(value)


def _truth(value: Any) -> bool:
    """text/template IsTrue: zero values and empty collections are false."""
    return bool(value) if not isinstance(value, Value) else _truth(value.raw)


def _plain(value: Any) -> Any:
    return value.raw if isinstance(value, Value) else value


def _compare(name: str, test: Callable[[Any, Any], bool]) -> Callable[..., bool]:
    def compare(left: Any, *rights: Any) -> bool:
        a = "" if _plain(left) is None else _plain(left)
        for right in rights:
            b = "" if _plain(right) is None else _plain(right)
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
        raw, key = current.raw, _plain(key)
        if isinstance(raw, list) and isinstance(key, int) and 0 <= key < len(raw):
            current = Value(raw[key], current.struct)
        elif isinstance(raw, dict) and isinstance(key, str):
            current = Value(raw.get(key), current.struct)
        else:
            # Values stay out of the message: the config holds keys and tokens.
            raise TemplateError(f"index: cannot index a {type(raw).__name__} with {type(key).__name__} {key!r}")
    return current


def _printf(form: Any, *args: Any) -> str:
    values = iter(_plain(a) for a in args)
    return re.sub(r"%[svdq%]", lambda m: "%" if m.group(0) == "%%" else
                  (f'"{next(values)}"' if m.group(0) == "%q" else _go_text(next(values))), str(_plain(form)))


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "eq": _compare("eq", lambda a, b: a == b),
    "ne": _compare("ne", lambda a, b: a != b),
    "lt": _compare("lt", lambda a, b: a < b),
    "le": _compare("le", lambda a, b: a <= b),
    "gt": _compare("gt", lambda a, b: a > b),
    "ge": _compare("ge", lambda a, b: a >= b),
    "not": lambda a: not _truth(a),
    "and": lambda *a: next((x for x in a if not _truth(x)), a[-1]),
    "or": lambda *a: next((x for x in a if _truth(x)), a[-1]),
    "len": lambda a: len(_plain(a) or []),
    "index": _index,
    "print": lambda *a: "".join(_go_text(_plain(x)) for x in a),
    "printf": _printf,
    # sprig functions talhelper users reach for in patches.
    "default": lambda d, v=None: v if _truth(v) else d,
    "quote": lambda *a: " ".join(f'"{_go_text(_plain(x))}"' for x in a),
    "join": lambda sep, items: str(_plain(sep)).join(_go_text(x) for x in (_plain(items) or [])),
    "lower": lambda s: _go_text(_plain(s)).lower(),
    "upper": lambda s: _go_text(_plain(s)).upper(),
    "trim": lambda s: _go_text(_plain(s)).strip(),
    "replace": lambda old, new, s: _go_text(_plain(s)).replace(str(_plain(old)), str(_plain(new))),
    "split": lambda sep, s: {f"_{i}": p for i, p in enumerate(_go_text(_plain(s)).split(str(_plain(sep))))},
    "contains": lambda part, s: str(_plain(part)) in _go_text(_plain(s)),
    "hasPrefix": lambda part, s: _go_text(_plain(s)).startswith(str(_plain(part))),
    "hasSuffix": lambda part, s: _go_text(_plain(s)).endswith(str(_plain(part))),
    "trimPrefix": lambda part, s: _go_text(_plain(s)).removeprefix(str(_plain(part))),
    "trimSuffix": lambda part, s: _go_text(_plain(s)).removesuffix(str(_plain(part))),
}

_TOKEN = re.compile(r'\s*(?:("(?:\\.|[^"\\])*"|`[^`]*`)|(:=|\||\(|\)|,|=)|(\$\w*(?:\.\w+)*|(?:\.\w+)+|\.)'
                    r"|(-?\d+(?:\.\d+)?)|([A-Za-z_]\w*))")


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None:
            raise TemplateError(f"unexpected {text[position:].strip()[:20]!r} in action")
        kind = ("string", "punct", "field", "number", "ident")[next(i for i in range(5) if match.group(i + 1))]
        tokens.append((kind, match.group(match.lastindex or 0)))
        position = match.end()
    return tokens


@dataclass
class _Node:
    kind: str  # text, action, if, range, with
    text: str = ""
    pipe: list[tuple[str, str]] = field(default_factory=list)
    body: list[_Node] = field(default_factory=list)
    otherwise: list[_Node] = field(default_factory=list)


_ACTION = re.compile(r"\{\{(-\s)?(.*?)(\s-)?\}\}", re.S)


def _lex(template: str) -> list[tuple[str, str]]:
    """Text and action pieces, with ``{{-`` / ``-}}`` whitespace trimming applied."""
    pieces: list[tuple[str, str]] = []
    position, trim_next = 0, False
    for match in _ACTION.finditer(template):
        text = template[position:match.start()]
        if trim_next:
            text = text.lstrip()
        if match.group(1):
            text = text.rstrip()
        pieces.append(("text", text))
        body = match.group(2).strip()
        if not (body.startswith("/*") and body.endswith("*/")):
            pieces.append(("action", body))
        position, trim_next = match.end(), bool(match.group(3))
    tail = template[position:]
    pieces.append(("text", tail.lstrip() if trim_next else tail))
    if "{{" in "".join(text for kind, text in pieces if kind == "text"):
        raise TemplateError("unclosed action: '{{' without '}}'")
    return pieces


def _parse(pieces: list[tuple[str, str]], start: int, closers: tuple[str, ...]) -> tuple[list[_Node], int, str]:
    nodes: list[_Node] = []
    index = start
    while index < len(pieces):
        kind, text = pieces[index]
        index += 1
        if kind == "text":
            if text:
                nodes.append(_Node("text", text))
            continue
        word = text.split(None, 1)[0] if text else ""
        rest = text[len(word):].strip()
        if word in ("end", "else") and word in closers:
            return nodes, index, text
        if word in ("if", "range", "with"):
            node, index = _block(pieces, index, word, rest)
            nodes.append(node)
            continue
        if word in ("define", "template", "block", "break", "continue", "end", "else"):
            raise TemplateError(f"{{{{ {word} }}}} is not supported here")
        nodes.append(_Node("action", pipe=_tokens(text)))
    if closers:
        raise TemplateError("unexpected end of template: missing {{ end }}")
    return nodes, index, ""


def _block(pieces: list[tuple[str, str]], index: int, word: str, header: str) -> tuple[_Node, int]:
    node = _Node(word, pipe=_tokens(header))
    node.body, index, closer = _parse(pieces, index, ("end", "else"))
    chained = closer[len("else"):].strip()
    if chained.split(None, 1)[0:1] in (["if"], ["with"]):
        # ``else if X`` is a block nested in the else branch; it consumes the shared ``end``.
        nested_word = chained.split(None, 1)[0]
        nested, index = _block(pieces, index, nested_word, chained[len(nested_word):].strip())
        node.otherwise = [nested]
    elif closer == "else":
        node.otherwise, index, _ = _parse(pieces, index, ("end",))
    return node, index


class _Renderer:
    def __init__(self, data: Value) -> None:
        self.root = data
        self.scopes: list[dict[str, Value]] = [{"$": data}]

    def field(self, base: Value, names: list[str], shown: str) -> Value:
        current = base
        for name in names:
            raw = current.raw
            if current.struct:
                fields = STRUCTS.get(current.struct, {})
                if name not in fields:
                    raise TemplateError(f"can't evaluate field {name} in type *v1alpha1.{current.struct}")
                if raw is None:
                    raise TemplateError(f"nil pointer evaluating {shown}")
                key, element = fields[name]
                current = Value(raw.get(key) if isinstance(raw, dict) else None, element)
            elif isinstance(raw, dict):
                current = Value(raw.get(name))
            else:
                raise TemplateError(f"can't evaluate field {name} in {shown}")
        return current

    def operand(self, token: tuple[str, str], dot: Value) -> Any:
        kind, text = token
        if kind == "string":
            return text[1:-1] if text.startswith("`") else re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(
                m.group(1), m.group(1)), text[1:-1])
        if kind == "number":
            return float(text) if "." in text else int(text)
        if kind == "field":
            if text == ".":
                return dot
            if text.startswith("$"):
                name, *names = text.split(".")
                variable = next((scope[name] for scope in reversed(self.scopes) if name in scope), None)
                if variable is None:
                    raise TemplateError(f'undefined variable "{name}"')
                return self.field(variable, names, text)
            return self.field(dot, text.split(".")[1:], text)
        if text in ("true", "false"):
            return text == "true"
        if text == "nil":
            return None
        raise TemplateError(f'function "{text}" not defined')

    def pipeline(self, tokens: list[tuple[str, str]], dot: Value) -> tuple[Any, list[str]]:
        declared: list[str] = []
        if ("punct", ":=") in tokens:
            split = tokens.index(("punct", ":="))
            declared = [text for kind, text in tokens[:split] if kind == "field"]
            tokens = tokens[split + 1:]
        result: Any = None
        commands: list[list[tuple[str, str]]] = [[]]
        depth = 0
        for token in tokens:
            if token == ("punct", "|") and depth == 0:
                commands.append([])
                continue
            depth += {"(": 1, ")": -1}.get(token[1], 0) if token[0] == "punct" else 0
            commands[-1].append(token)
        for number, command in enumerate(commands):
            function: Callable[..., Any] | None = None
            if command and command[0][0] == "ident" and command[0][1] not in ("true", "false", "nil"):
                function = FUNCTIONS.get(command[0][1])
                if function is None:
                    raise TemplateError(f'function "{command[0][1]}" is not supported by talos-cluster '
                                        f"(supported: {', '.join(FUNCTIONS)})")
            args = self.arguments(command, dot)
            if function is not None:
                call_args = args[1:] + ([result] if number else [])
                result = function(*call_args)
            elif len(args) == 1 and number == 0:
                result = args[0]
            else:
                raise TemplateError("can't give an argument to a non-function")
        return result, declared

    def arguments(self, command: list[tuple[str, str]], dot: Value) -> list[Any]:
        args: list[Any] = []
        index = 0
        while index < len(command):
            token = command[index]
            if token == ("punct", "("):
                depth, end = 1, index + 1
                while depth:
                    if end >= len(command):
                        raise TemplateError("unclosed left paren")
                    depth += {"(": 1, ")": -1}.get(command[end][1], 0) if command[end][0] == "punct" else 0
                    end += 1
                args.append(self.pipeline(command[index + 1:end - 1], dot)[0])
                index = end
                continue
            args.append(None if index == 0 and token[0] == "ident" and token[1] in FUNCTIONS
                        else self.operand(token, dot))
            index += 1
        return args

    def render(self, nodes: list[_Node], dot: Value, out: list[str]) -> None:
        for node in nodes:
            if node.kind == "text":
                out.append(node.text)
            elif node.kind == "action":
                value, declared = self.pipeline(node.pipe, dot)
                if declared:
                    self.scopes[-1][declared[0]] = value if isinstance(value, Value) else Value(value)
                else:
                    out.append(_go_text(_plain(value)))
            elif node.kind == "if":
                value, _ = self.pipeline(node.pipe, dot)
                self.render(node.body if _truth(value) else node.otherwise, dot, out)
            elif node.kind == "with":
                value, _ = self.pipeline(node.pipe, dot)
                inner = value if isinstance(value, Value) else Value(value)
                self.render(node.body if _truth(value) else node.otherwise, inner if _truth(value) else dot, out)
            else:
                self.range(node, dot, out)

    def range(self, node: _Node, dot: Value, out: list[str]) -> None:
        value, declared = self.pipeline(node.pipe, dot)
        collection = value if isinstance(value, Value) else Value(value)
        raw = collection.raw
        if raw is not None and not isinstance(raw, list | dict):
            raise TemplateError(f"range can't iterate over a {type(raw).__name__}")
        items = list(enumerate(raw)) if isinstance(raw, list) else sorted((raw or {}).items())
        if not items:
            self.render(node.otherwise, dot, out)
            return
        for key, item in items:
            element = Value(item, collection.struct)
            self.scopes.append({})
            if len(declared) == 1:
                self.scopes[-1][declared[0]] = element
            elif len(declared) == 2:
                self.scopes[-1][declared[0]] = Value(key)
                self.scopes[-1][declared[1]] = element
            self.render(node.body, element, out)
            self.scopes.pop()


def is_template(text: str) -> bool:
    """talhelper IsStringATemplate."""
    return "{{" in text or "}}" in text


def render(template: str, config: dict[str, Any], source: str) -> str:
    """Render ``template`` against a v1alpha1 config document; TemplateError names ``source``."""
    if not is_template(template):
        return template
    try:
        nodes, _, _ = _parse(_lex(template), 0, ())
        out: list[str] = []
        _Renderer(Value(config, "Config")).render(nodes, Value(config, "Config"), out)
    except TemplateError as error:
        raise TemplateError(f"{source}: template: {error}") from None
    except (TypeError, StopIteration):
        raise TemplateError(f"{source}: template: wrong number or type of arguments to a function") from None
    return "".join(out)
