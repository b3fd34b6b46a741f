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
from .template_functions import FUNCTIONS, TemplateError, Value, go_text, plain, truth

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
                    out.append(go_text(plain(value)))
            elif node.kind == "if":
                value, _ = self.pipeline(node.pipe, dot)
                self.render(node.body if truth(value) else node.otherwise, dot, out)
            elif node.kind == "with":
                value, _ = self.pipeline(node.pipe, dot)
                inner = value if isinstance(value, Value) else Value(value)
                self.render(node.body if truth(value) else node.otherwise, inner if truth(value) else dot, out)
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


def render(template: str, config: dict[str, Any], source: str, struct: str = "Config") -> str:
    """Render ``template`` against a v1alpha1 config document (``struct=""``: a map keyed by Go field names,
    e.g. talhelper's image factory data); TemplateError names ``source``."""
    if not is_template(template):
        return template
    try:
        nodes, _, _ = _parse(_lex(template), 0, ())
        out: list[str] = []
        root = Value(config, struct)
        _Renderer(root).render(nodes, root, out)
    except TemplateError as error:
        raise TemplateError(f"{source}: template: {error}") from None
    except (TypeError, StopIteration):
        raise TemplateError(f"{source}: template: wrong number or type of arguments to a function") from None
    return "".join(out)
