"""``${VAR}`` substitution exactly as talhelper does it.

talhelper pkg/substitute/envsubst.go SubstituteEnvFromByte: YAML comments are stripped first (a go-yaml v3
node round trip), then a8m/envsubst BytesRestricted(noUnset=true, noEmpty=true). a8m/envsubst
parse/lex.go + parse/node.go semantics, modelled here:

- ``$$`` is a literal ``$``; ``$NAME`` and ``${NAME}`` take the variable (NAME: letters, digits, ``_``;
  a lone ``$_`` and a ``$`` before anything else stay text).
- ``${V:-d}`` / ``${V:=d}``: V if set and non-empty, else d (``:=`` assigns nothing).
- ``${V-d}`` / ``${V=d}``: d if V is unset, else V (so a set but empty V is an error).
- ``${V+v}`` / ``${V:+v}``: v if V is set, else empty.
- A default is text up to ``}`` or one ``$VAR``; an empty default counts as none.
- Errors: ``variable ${V} not set``, ``variable ${V} set but empty``, ``closing brace expected``
  (a ``${`` without ``}`` on its line); the first error wins.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping

import yaml

_OPERATORS = (":-", ":=", ":+", "-", "=", "+")
# libyaml when PyYAML has it: the round trip is most of a definition's load time otherwise.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class SubstitutionError(Exception):
    pass


def _is_name_char(char: str) -> bool:
    return char == "_" or char.isalnum()


def _variable(name: str, environ: Mapping[str, str]) -> str:
    if name not in environ:
        raise SubstitutionError(f"variable ${{{name}}} not set")
    if environ[name] == "":
        raise SubstitutionError(f"variable ${{{name}}} set but empty")
    return environ[name]


def _name_end(text: str, start: int) -> int:
    end = start
    while end < len(text) and _is_name_char(text[end]):
        end += 1
    return end


def _substitution(text: str, start: int, environ: Mapping[str, str]) -> tuple[str, int]:
    """``${`` at ``start``: the replacement and the index after the closing ``}``."""
    close = start + 2
    while close < len(text) and text[close] not in "}\r\n":
        close += 1
    if close >= len(text) or text[close] != "}":
        raise SubstitutionError("closing brace expected")
    body = text[start + 2:close]
    name_end = _name_end(body, 0)
    name, rest = body[:name_end], body[name_end:]
    if name == "":
        # a8m/envsubst: no variable after ``${`` leaves the text as it is.
        return text[start:close + 1], close + 1
    operator = next((op for op in _OPERATORS if rest.startswith(op)), "")
    default_text = rest[len(operator):]
    if operator == "" or default_text == "":
        return _variable(name, environ), close + 1
    def default() -> str:
        if default_text.startswith("$") and _name_end(default_text, 1) == len(default_text) > 1:
            return _variable(default_text[1:], environ)  # a ``$VAR`` default is itself a variable
        return default_text

    is_set = name in environ
    if operator in (":-", ":="):
        value = environ.get(name, "")
        return (value if value else default()), close + 1
    if operator in ("+", ":+"):
        return (default() if is_set else ""), close + 1
    return (_variable(name, environ) if is_set else default()), close + 1


def envsubst(text: str, environ: Mapping[str, str]) -> str:
    """a8m/envsubst restricted mode (no unset, no empty) over ``text``."""
    out: list[str] = []
    index = 0
    while index < len(text):
        dollar = text.find("$", index)
        if dollar < 0:
            out.append(text[index:])
            break
        out.append(text[index:dollar])
        following = text[dollar + 1:dollar + 2]
        if following == "$":
            out.append("$")
            index = dollar + 2
        elif following == "{":
            replacement, index = _substitution(text, dollar, environ)
            out.append(replacement)
        elif following and _is_name_char(following):
            end = _name_end(text, dollar + 1)
            name = text[dollar + 1:end]
            out.append("$_" if name == "_" else _variable(name, environ))
            index = end
        else:
            out.append("$")
            index = dollar + 1
    return "".join(out)


def strip_comments(text: str) -> str:
    """talhelper stripYamlComment: every document re-emitted without its comments, styles kept."""
    stream = io.StringIO()
    nodes = list(yaml.compose_all(text, Loader=_LOADER))
    yaml.serialize_all(nodes, stream, Dumper=_DUMPER, explicit_start=len(nodes) > 1,
                       allow_unicode=True, width=1 << 30)
    # PyYAML closes a document whose root is a plain scalar with "..."; go-yaml v3 writes no end marker.
    return re.sub(r"(?m)^\.\.\.\n", "", stream.getvalue())


def substitute(text: str, source: str, environ: Mapping[str, str]) -> str:
    """SubstituteEnvFromByte: comments stripped, then restricted envsubst. Raises SubstitutionError."""
    if "$" not in text:
        return text  # nothing to substitute: the comment-stripping round trip would not change the meaning
    try:
        stripped = strip_comments(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise SubstitutionError(f"not valid YAML{where}: {getattr(error, 'problem', None) or error}") from None
    return envsubst(stripped, environ)
