"""talhelper's Go templates in patches, ``nodeLabels`` and ``nodeAnnotations``: the subset users write.

talhelper pkg/templating/template.go renders text/template (with sprig) against the node's *v1alpha1.Config,
so fields are Go names (``.MachineConfig.MachineNetwork.NetworkHostname``); gofields.py maps them to YAML
keys. Supported: field chains on ``.``/``$``/variables, string/number/char/bool literals, ``if``/``else if``/
``else``, ``range`` (with ``$v :=`` or ``$i, $v :=``), ``with``, pipelines, parentheses, ``{{-``/``-}}``
trimming, comments, and the functions in FUNCTIONS. Anything else (``define``, ``template``, ``block``, other
sprig functions) is refused by name: a template is never written out as literal text. A template that
would copy a secret is refused too (template_functions.plain).

A template is input the user's files decide, so its costs are bounded: lexing is linear
(template_lexer.py); parsing and rendering keep their own stacks, so nesting costs no Python recursion and
nested ``if``/``range``/``with`` are unlimited, as in Go; the limits below are Go's where Go has them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import yamlio
from ..errors import shorten
from ..masking import holds_labelled
from .gofields import STRUCTS
from .template_functions import FUNCTIONS, TemplateError, Value, go_text, plain, truth
from .template_lexer import Piece, Token, lex

# Every limit on what a template decides:
MAX_PAREN_DEPTH = 10_000  # text/template/parse/parse.go maxStackDepth: "max expression depth exceeded"
MAX_PIPELINE_COMMANDS = 100_000  # parse.go maxPipelineCmds: "pipeline too long"
# Go has no limit on work or output (exec.go's maxExecDepth bounds {{template}} calls only, which are
# refused here). These keep a hostile template (ranges nested over long lists) from running for minutes:
# far above any real patch, and the output could not be read back anyway (yamlio.MAX_DOCUMENT_BYTES).
MAX_STEPS = 100_000
MAX_OUTPUT = yamlio.MAX_DOCUMENT_BYTES
_CONTROL = ("if", "range", "with")
_REFUSED = ("define", "template", "block", "break", "continue")


@dataclass
class _Pipe:
    """declarations? command ('|' command)*; an argument is a token or a parenthesized pipe."""

    declared: list[str] = field(default_factory=list)
    assign: bool = False  # ``=`` (an existing variable) rather than ``:=``
    commands: list[list[Token | _Pipe]] = field(default_factory=lambda: [[]])


@dataclass
class _Node:
    kind: str  # text, action, if, range, with
    text: str = ""
    pipe: _Pipe = field(default_factory=_Pipe)
    body: list[_Node] = field(default_factory=list)
    otherwise: list[_Node] = field(default_factory=list)


def _pipeline(tokens: list[Token], context: str, line: int) -> _Pipe:
    """parse.go pipeline, with parentheses kept on a stack of our own."""
    top = _Pipe()
    index = 0

    def is_variable(at: int) -> bool:
        return at < len(tokens) and tokens[at].kind == "field" and tokens[at].text.startswith("$") \
            and "." not in tokens[at].text

    def is_punct(at: int, *texts: str) -> bool:
        return at < len(tokens) and tokens[at].kind == "punct" and tokens[at].text in texts

    if is_variable(0) and is_punct(1, ":=", "="):
        top.declared, top.assign, index = [tokens[0].text], tokens[1].text == "=", 2
    elif is_variable(0) and is_punct(1, ",") and is_variable(2) and is_punct(3, ":=", "="):
        if context != "range":
            raise TemplateError(f"line {line}: too many declarations in {context}")
        top.declared, top.assign, index = [tokens[0].text, tokens[2].text], tokens[3].text == "=", 4
    stack = [top]
    for token in tokens[index:]:
        current = stack[-1]
        if token.kind == "punct" and token.text == "(":
            if len(stack) > MAX_PAREN_DEPTH:
                raise TemplateError(f"line {line}: max expression depth exceeded (more than {MAX_PAREN_DEPTH} "
                                    "nested parentheses)")
            stack.append(_Pipe())
        elif token.kind == "punct" and token.text == ")":
            if len(stack) == 1:
                raise TemplateError(f"line {line}: unexpected right paren")
            finished = stack.pop()
            _check_pipe(finished, "parenthesized pipeline", line)
            stack[-1].commands[-1].append(finished)
        elif token.kind == "punct" and token.text == "|":
            if not current.commands[-1]:
                raise TemplateError(f"line {line}: missing command before '|'")
            current.commands.append([])
            if len(current.commands) > MAX_PIPELINE_COMMANDS:
                raise TemplateError(f"line {line}: pipeline too long")
        elif token.kind == "punct":
            raise TemplateError(f"line {line}: unexpected {token.text!r} in {context}")
        else:
            current.commands[-1].append(token)
    if len(stack) > 1:
        raise TemplateError(f"line {line}: unclosed left paren")
    _check_pipe(top, context, line)
    return top


def _check_pipe(pipe: _Pipe, context: str, line: int) -> None:
    """parse.go checkPipeline: no empty pipeline, no constant after the first stage."""
    if not pipe.commands[-1]:
        raise TemplateError(f"line {line}: missing value for {context}")
    for stage, command in enumerate(pipe.commands[1:], start=2):
        first = command[0]
        if isinstance(first, Token) and (first.kind in ("string", "number") or first.text in ("true", "false", "nil")
                                         or first.text == "."):
            raise TemplateError(f"line {line}: non executable command in pipeline stage {stage}")


@dataclass
class _Open:
    """A control structure being parsed: which of its lists takes the next nodes."""

    node: _Node
    in_else: bool = False
    chained: bool = False  # an ``else if``/``else with`` block: its {{end}} also closes its parent


def _parse(pieces: list[Piece]) -> list[_Node]:
    """parse.go itemList/parseControl, iteratively."""
    root = _Node("root")
    stack = [_Open(root)]

    def target() -> list[_Node]:
        top = stack[-1]
        return top.node.otherwise if top.in_else else top.node.body

    for piece in pieces:
        if piece.kind == "text":
            if piece.text:
                target().append(_Node("text", piece.text))
            continue
        tokens = piece.tokens
        word = tokens[0].text if tokens and tokens[0].kind == "ident" else ""
        if word in _CONTROL:
            node = _Node(word, pipe=_pipeline(tokens[1:], word, piece.line))
            target().append(node)
            stack.append(_Open(node))
        elif word == "else":
            top = stack[-1]
            if top.node.kind == "root" or top.in_else:
                raise TemplateError(f"line {piece.line}: unexpected {{{{else}}}}")
            top.in_else = True
            chained = tokens[1].text if len(tokens) > 1 and tokens[1].kind == "ident" else ""
            if chained in ("if", "with"):
                if chained != top.node.kind:
                    raise TemplateError(f"line {piece.line}: {{{{else {chained}}}}} inside {{{{{top.node.kind}}}}}")
                node = _Node(chained, pipe=_pipeline(tokens[2:], chained, piece.line))
                top.node.otherwise.append(node)
                stack.append(_Open(node, chained=True))
            elif len(tokens) > 1:
                raise TemplateError(f"line {piece.line}: unexpected {shorten(tokens[1].text, 20)!r} after else")
        elif word == "end":
            if len(stack) == 1:
                raise TemplateError(f"line {piece.line}: unexpected {{{{end}}}}")
            while stack.pop().chained:
                pass
        elif word in _REFUSED:
            raise TemplateError(f"{{{{ {word} }}}} is not supported here")
        else:
            target().append(_Node("action", pipe=_pipeline(tokens, "command", piece.line)))
    if len(stack) > 1:
        raise TemplateError("unexpected EOF: missing {{ end }}")
    return root.body


class _Renderer:
    def __init__(self, data: Value, labels: Mapping[str, str]) -> None:
        self.scopes: list[dict[str, Value]] = [{"$": data}]
        self.steps = 0
        self.labels = labels  # value -> "${VAR} from talenv.yaml": what came from the environment or a file

    def refuse_labelled(self, name: str, args: list[Any]) -> None:
        """A function given a value from the environment, a talenv or SOPS file (or a config field holding
        one) is refused: masking finds such a value in a preview only as it is, not upper-cased, replaced,
        trimmed or formatted."""
        for arg in args:
            label = holds_labelled(arg.raw if isinstance(arg, Value) else arg, self.labels)
            if label is not None:
                raise TemplateError(f"{name}: an argument holds {label}; talos-cluster passes no value from the "
                                    "environment, a talenv or SOPS file to a template function, since previews "
                                    "show what it returns")

    def step(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise TemplateError(f"takes more than {MAX_STEPS} steps (ranges nested over long lists?); "
                                "talos-cluster stops a template there")

    def field(self, base: Value, names: list[str], shown: str) -> Value:
        current = base
        for name in names:
            raw = current.raw
            if current.struct:
                fields = STRUCTS.get(current.struct, {})
                if name not in fields:
                    raise TemplateError(f"can't evaluate field {shorten(name, 40)} in type "
                                        f"*v1alpha1.{current.struct}")
                if raw is None:
                    raise TemplateError(f"nil pointer evaluating {shorten(shown, 80)}")
                key, element = fields[name]
                current = Value(raw.get(key) if isinstance(raw, dict) else None, element, key, shown)
            elif isinstance(raw, dict):
                # a Go struct Talos imports (x509.PEMEncodedCertificateAndKey: Crt, Key) is a plain mapping
                # here, keyed by its YAML names
                key = name if name in raw else name[:1].lower() + name[1:]
                current = Value(raw.get(key), "", key, shown)
            else:
                raise TemplateError(f"can't evaluate field {shorten(name, 40)} in {shorten(shown, 80)}")
        return current

    def variable(self, name: str) -> Value:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        raise TemplateError(f'undefined variable "{shorten(name, 40)}"')

    def operand(self, token: Token, dot: Value) -> Any:
        if token.kind in ("string", "number"):
            return token.value
        if token.kind == "field":
            text = token.text
            if text == ".":
                return dot
            if text.startswith("$"):
                name, *names = text.split(".")
                return self.field(self.variable(name), names, text)
            return self.field(dot, text.split(".")[1:], text)
        if token.text in ("true", "false"):
            return token.text == "true"
        if token.text == "nil":
            return None
        raise TemplateError(f'function "{shorten(token.text, 40)}" not defined')

    def pipeline(self, pipe: _Pipe, dot: Value) -> Any:
        """A pipe and the pipes in its parentheses, innermost first, without recursion."""
        order: list[_Pipe] = []
        pending = [(pipe, False)]
        while pending:
            current, expanded = pending.pop()
            if expanded:
                order.append(current)
                continue
            pending.append((current, True))
            pending.extend((arg, False) for command in reversed(current.commands) for arg in reversed(command)
                           if isinstance(arg, _Pipe))
        results: dict[int, Any] = {}
        for current in order:
            results[id(current)] = self.run(current, dot, results)
        return results[id(pipe)]

    def run(self, pipe: _Pipe, dot: Value, results: dict[int, Any]) -> Any:
        result: Any = None
        for number, command in enumerate(pipe.commands):
            self.step()
            head = command[0]
            function: Callable[..., Any] | None = None
            name = ""
            if isinstance(head, Token) and head.kind == "ident" and head.text not in ("true", "false", "nil"):
                name = head.text
                function = FUNCTIONS.get(head.text)
                if function is None:
                    raise TemplateError(f'function "{shorten(head.text, 40)}" is not supported by talos-cluster '
                                        f"(supported: {', '.join(FUNCTIONS)})")
            args = [results[id(arg)] if isinstance(arg, _Pipe) else self.operand(arg, dot)
                    for arg in (command[1:] if function is not None else command)]
            if function is not None:
                if self.labels:
                    self.refuse_labelled(name, [*args, *([result] if number else [])])
                result = function(*args, *([result] if number else []))
            elif len(args) == 1 and number == 0:
                result = args[0]
            else:
                raise TemplateError("can't give an argument to a non-function")
        return result

    def declare(self, pipe: _Pipe, values: list[Value]) -> None:
        for name, value in zip(pipe.declared, values, strict=False):
            if pipe.assign:
                scope = next((s for s in reversed(self.scopes) if name in s), None)
                if scope is None:
                    raise TemplateError(f'undefined variable "{shorten(name, 40)}"')
                scope[name] = value
            else:
                self.scopes[-1][name] = value

    def render(self, nodes: list[_Node], root: Value, out: list[str]) -> None:
        """Execute with an explicit stack: frames of (nodes, next index, dot), and range frames."""
        written = 0
        stack: list[_Frame | _RangeFrame] = [_Frame(nodes, root, scoped=False)]
        while stack:
            frame = stack[-1]
            if isinstance(frame, _RangeFrame):
                if frame.index >= len(frame.items):
                    stack.pop()
                    continue
                key, item = frame.items[frame.index]
                frame.index += 1
                self.step()
                element = Value(item, frame.collection.struct, frame.collection.key,
                                f"{frame.collection.path}[{shorten(repr(key), 20)}]")
                self.scopes.append({})
                if len(frame.node.pipe.declared) == 2:
                    self.declare(frame.node.pipe, [Value(key), element])
                else:
                    self.declare(frame.node.pipe, [element])
                stack.append(_Frame(frame.node.body, element))
                continue
            if frame.index >= len(frame.nodes):
                stack.pop()
                if frame.scoped:
                    self.scopes.pop()
                continue
            node = frame.nodes[frame.index]
            frame.index += 1
            self.step()
            if node.kind == "text":
                text = node.text
            elif node.kind == "action":
                value = self.pipeline(node.pipe, frame.dot)
                if node.pipe.declared:
                    self.declare(node.pipe, [value if isinstance(value, Value) else Value(value)])
                    continue
                text = go_text(plain(value))
            elif node.kind == "range":
                stack.append(self.range(node, frame.dot))
                continue
            else:  # if, with: the header's variables are scoped to the block, as parse.go popVars does
                value = self.pipeline(node.pipe, frame.dot)
                self.scopes.append({})
                wrapped = value if isinstance(value, Value) else Value(value)
                if node.pipe.declared:
                    self.declare(node.pipe, [wrapped])
                taken = truth(value)
                inner = wrapped if node.kind == "with" and taken else frame.dot
                stack.append(_Frame(node.body if taken else node.otherwise, inner))
                continue
            written += len(text)
            if written > MAX_OUTPUT:
                raise TemplateError(f"produces more than {MAX_OUTPUT} characters; talos-cluster stops a "
                                    "template there")
            out.append(text)

    def range(self, node: _Node, dot: Value) -> _Frame | _RangeFrame:
        value = self.pipeline(node.pipe, dot)
        collection = value if isinstance(value, Value) else Value(value)
        raw = collection.raw
        if raw is not None and not isinstance(raw, list | dict):
            raise TemplateError(f"range can't iterate over a {type(raw).__name__}")
        items = list(enumerate(raw)) if isinstance(raw, list) else sorted((raw or {}).items())
        if not items:
            self.scopes.append({})
            return _Frame(node.otherwise, dot)
        return _RangeFrame(node, collection, items)


@dataclass
class _Frame:
    nodes: list[_Node]
    dot: Value
    index: int = 0
    scoped: bool = True  # pops a scope when done


@dataclass
class _RangeFrame:
    node: _Node
    collection: Value
    items: list[tuple[Any, Any]]
    index: int = 0


def is_template(text: str) -> bool:
    """talhelper IsStringATemplate."""
    return "{{" in text or "}}" in text


def render(template: str, config: dict[str, Any], source: str, struct: str = "Config",
           labels: Mapping[str, str] | None = None) -> str:
    """Render ``template`` against a v1alpha1 config document (``struct=""``: a map keyed by Go field names,
    e.g. talhelper's image factory data); TemplateError names ``source``. ``labels``: the definition's
    secret_labels, values no template function may be given."""
    if not is_template(template):
        return template
    try:
        nodes = _parse(lex(template))
        out: list[str] = []
        root = Value(config, struct)
        _Renderer(root, labels or {}).render(nodes, root, out)
    except TemplateError as error:
        raise TemplateError(f"{source}: template: {error}") from None
    except (TypeError, StopIteration):
        raise TemplateError(f"{source}: template: wrong number or type of arguments to a function") from None
    return "".join(out)
