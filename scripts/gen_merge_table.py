"""Regenerate components/talos/patching/merge_table.py and merge_rules.tsv from Talos's Go config types.

Talos's strategic merge (pkg/machinery/config/merge/merge.go) is driven by the Go types of each document:
a field tagged ``merge:"replace"`` is replaced, a type with a ``Merge`` method merges its own way (network
interfaces by name, VLANs by id, ``extraArgs`` key by key, a ``ByteSize`` always), a pointer takes even a
zero value, a plain bool is always taken from the patch, ``[]byte`` is replaced, other lists are appended
and maps merged key by key. This script reads those types from a Talos checkout and writes:

- ``merge_table.py``: the Go type tree of every document kind at the newest release (the machinery that
  patches: a current talosctl and talhelper, which links Talos's v1.14 machinery), compact type codes;
- ``merge_rules.tsv``: every ``merge:"replace"`` field and every ``Merge`` method of each release, with what
  this project does with it (a test keeps the list, the table and the merge code in step).

    python scripts/gen_merge_table.py [TALOS_GIT_DIR]
        (default: $TALOS_GIT or /work/.mirror/siderolabs+talos/repo; a bare clone of
         https://github.com/siderolabs/talos with the release tags)
"""

from __future__ import annotations

import os
import pprint
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from components.talos.patching.merge_rules import METHODS, write_rules  # noqa: E402
from scripts.go_source import git, go_imports  # noqa: E402

TABLE = ROOT / "components" / "talos" / "patching" / "merge_table.py"
RULES = ROOT / "components" / "talos" / "patching" / "merge_rules.tsv"
TYPES_DIR = "pkg/machinery/config/types"
NEWEST = "v1.14.0-rc.1"
RELEASES = ("v1.12.9", "v1.13.9", NEWEST)

# Types with a Merge method (the `merger` interface of merge.go), by how they merge (merge_rules.METHODS, with
# the source of each); a Merge method not listed there stops the generator: a new release's merger needs a
# decision (and code) first.
MERGERS = {name: behaviour for name, (behaviour, _) in METHODS.items()}
# Types from outside pkg/machinery/config/types, by how merge.go's reflection treats them.
EXTERNAL = {
    "time.Duration": "s", "os.FileMode": "s", "url.URL": "o", "netip.Prefix": "o", "netip.Addr": "o",
    "netip.AddrPort": "o", "cel.Expression": "o", "yaml.Node": "o", "config.ContainerSecurityProfile": "s",
    "config.ContainerNetworkMode": "s",
    **{f"x509.{name}": f"@x509.{name}" for name in ("PEMEncodedCertificateAndKey", "PEMEncodedCertificate",
                                                     "PEMEncodedKey")},
}
# siderolabs/crypto x509: certificates and keys are []byte fields (replaced when set)
EXTERNAL_STRUCTS = {
    "x509.PEMEncodedCertificateAndKey": {"crt": ("Crt", "B", False), "key": ("Key", "B", False)},
    "x509.PEMEncodedCertificate": {"crt": ("Crt", "B", False)},
    "x509.PEMEncodedKey": {"key": ("Key", "B", False)},
}
NUMBERS = {"int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "float32",
           "float64", "byte", "rune"}
# packages whose named types are scalars (enumer types, netlink constants), by package name
SCALAR_PACKAGES = {"nethelpers", "storageres", "block_res", "blockres"}

_TYPE_RE = re.compile(r"^type (\w+)(?:\[[^\]]*\])? (=\s*)?(.+)$")
_FIELD_RE = re.compile(r"^\t(\w+)\s+([^\s`]+)\s*(?:`([^`]*)`)?")
_EMBED_RE = re.compile(r"^\t(\*?[\w.]+)\s*(?:`([^`]*)`)?\s*(?://.*)?$")
_MERGE_RE = re.compile(r"^func \(\w+ \*?(\w+)\) Merge\(")
_STRINGER_RE = re.compile(r"^func \(\w+ (\w+)\) String\(\) string")
_CONST_RE = re.compile(r"^\s*(?:const\s+)?(\w+)\s*=\s*\"(\w+)\"")
_REGISTER_RE = re.compile(r"registry\.Register\(\s*(\w+|\"\w+\")")
_RETURN_RE = re.compile(r"return &(\w+)\{\}")


@dataclass
class Decl:
    package: str
    name: str
    source: str  # file:line
    imports: dict[str, str] = field(default_factory=dict)  # alias -> package as this table names it
    underlying: str = ""  # for non-struct types
    fields: list[tuple[str, str, str, str]] = field(default_factory=list)  # (go name, type, tag, file:line)

    @property
    def qualified(self) -> str:
        return f"{self.package}.{self.name}"


def _tag(tag: str, key: str) -> str | None:
    match = re.search(key + r':"([^"]*)"', tag or "")
    return match.group(1) if match else None


@dataclass
class Source:
    decls: dict[str, Decl] = field(default_factory=dict)
    mergers: dict[str, str] = field(default_factory=dict)  # qualified type -> file:line of its Merge
    stringers: set[str] = field(default_factory=set)  # types with a value-receiver String() (fmt.Stringer)
    kinds: dict[str, str] = field(default_factory=dict)  # kind -> qualified type
    constants: dict[str, dict[str, str]] = field(default_factory=dict)  # package -> string constants
    registered: list[tuple[str, str, str]] = field(default_factory=list)  # (package, kind expression, type)


def read_source(repo: str, tag: str) -> Source:
    source = Source()
    files = [name for name in git(repo, "ls-tree", "-r", "--name-only", tag, TYPES_DIR).split()
             if name.endswith(".go") and not name.endswith(("_test.go", "_docs.go", "deep_copy.generated.go"))
             and "/internal/" not in name]
    for name in files:
        _parse_file(git(repo, "show", f"{tag}:{name}"), name, source)
    for package, expression, type_name in source.registered:
        kind = source.constants.get(package, {}).get(expression, expression.strip('"'))
        source.kinds.setdefault(kind, f"{package}.{type_name}")
    return source


def _imports(text: str) -> dict[str, str]:
    """alias -> the package's name here: a config types package by its name, anything else as ext:PATH."""
    inside = f"/{TYPES_DIR}/"
    return {alias: path.rsplit("/", 1)[-1] if inside in path + "/" and "/internal" not in path else f"ext:{path}"
            for alias, path in go_imports(text).items()}


def _parse_file(text: str, path: str, source: Source) -> None:
    package = re.search(r"^package (\w+)", text, re.M).group(1)  # type: ignore[union-attr]
    imports = _imports(text)
    lines = text.splitlines()
    source.constants.setdefault(package, {}).update(
        {m.group(1): m.group(2) for line in lines if (m := _CONST_RE.match(line))})
    current: Decl | None = None
    depth = 0
    register: str | None = None
    for number, line in enumerate(lines, 1):
        where = f"{path}:{number}"
        if current is not None:
            if line.startswith("}"):
                current = None
                continue
            depth += line.count("{") - line.count("}")
            if depth > 0 or line.strip().startswith("//") or not line.strip():
                if depth < 0:
                    depth = 0
                continue
            match = _FIELD_RE.match(line)
            if match and not match.group(2).startswith("//"):
                current.fields.append((match.group(1), match.group(2), match.group(3) or "", where))
                continue
            embedded = _EMBED_RE.match(line)
            if embedded:
                current.fields.append(("", embedded.group(1), embedded.group(2) or "", where))
            continue
        stringer = _STRINGER_RE.match(line)
        if stringer:
            source.stringers.add(f"{package}.{stringer.group(1)}")
        merge = _MERGE_RE.match(line)
        if merge:
            source.mergers[f"{package}.{merge.group(1)}"] = where
        found = _REGISTER_RE.search(line)
        if found:
            register = found.group(1)
        returned = _RETURN_RE.search(line)
        if returned and register:
            source.registered.append((package, register, returned.group(1)))
            register = None
        typed = _TYPE_RE.match(line)
        if not typed:
            continue
        decl = Decl(package, typed.group(1), where, imports)
        body = typed.group(3).strip()
        if body.startswith("struct {"):
            if body.endswith("}"):  # `struct{}` on one line
                source.decls[decl.qualified] = decl
                continue
            current, depth = decl, 0
        else:
            decl.underlying = body.split("//")[0].strip()
        source.decls[decl.qualified] = decl


class Resolver:
    """Type expressions -> compact codes (see merge_table.py's header)."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.structs: dict[str, dict[str, tuple[str, str, bool]]] = dict(EXTERNAL_STRUCTS)

    def qualify(self, expr: str, package: str, imports: dict[str, str] | None = None) -> str:
        if "." not in expr:
            return f"{package}.{expr}"
        alias, _, name = expr.partition(".")
        target = (imports or {}).get(alias, alias)
        if target.startswith("ext:"):
            path = target[4:]
            if "/resources/" in path or path.endswith("/nethelpers"):
                return f"scalar:{name}"  # enumer and netlink types of Talos's resources: strings and ints
            return f"{path.rsplit('/', 1)[-1]}.{name}"
        return f"{target}.{name}"

    def code(self, expr: str, package: str, imports: dict[str, str] | None = None) -> str:
        expr = expr.strip()
        if expr.startswith("*"):
            inner = self.code(expr[1:], package, imports)
            return "*" + inner
        if expr == "[]byte":
            return "B"
        if expr.startswith("[]"):
            return "[" + self.code(expr[2:], package, imports)
        if expr.startswith("map["):
            close = expr.index("]")
            return "{" + self.code(expr[close + 1:], package, imports)
        if expr in ("any", "interface{}"):
            return "?"
        if expr.startswith("struct{"):  # an empty marker struct: nothing to merge
            return "o"
        if expr == "bool":
            return "b"
        if expr == "string":
            return "s"
        if expr in NUMBERS:
            return "i"
        qualified = self.qualify(expr, package, imports)
        if qualified.startswith("scalar:"):
            return "s"
        if qualified in MERGERS:
            return self._merger(qualified)
        if qualified in self.source.mergers:
            raise SystemExit(f"{self.source.mergers[qualified]}: {qualified} has a Merge method this generator does "
                             "not know; add it to MERGERS with how it merges")
        if qualified in EXTERNAL:
            code = EXTERNAL[qualified]
            return code
        if qualified.split(".")[0] in SCALAR_PACKAGES:
            return "s"
        if qualified.endswith(".Unstructured"):
            return "u"
        decl = self.source.decls.get(qualified)
        if decl is None:
            raise SystemExit(f"unknown Go type {expr!r} (package {package}); add it to EXTERNAL")
        if decl.underlying:
            code = self.code(decl.underlying.removeprefix("= ").strip(), decl.package, decl.imports)
            # a number with a String() method compares by its text in a `$patch: delete` item selector
            return "s" if code == "i" and qualified in self.source.stringers else code
        self.struct(decl)
        return "@" + qualified

    def _merger(self, qualified: str) -> str:
        behaviour = MERGERS[qualified]
        if behaviour.startswith(("=keyed", "=devices", "=rules")):
            decl = self.source.decls[qualified]
            return behaviour + ":" + self.code(decl.underlying, decl.package, decl.imports)
        return behaviour

    def struct(self, decl: Decl) -> dict[str, tuple[str, str, bool]]:
        qualified = decl.qualified
        if qualified in self.structs:
            return self.structs[qualified]
        table: dict[str, tuple[str, str, bool]] = {}
        self.structs[qualified] = table  # before recursing: types may refer to themselves
        for go_name, expr, tag, _ in decl.fields:
            yaml_tag = _tag(tag, "yaml")
            if yaml_tag == "-" or (yaml_tag is None and go_name):
                continue
            name, _, options = (yaml_tag or "").partition(",")
            replace = "replace" in (_tag(tag, "merge") or "").split(",")
            if not go_name or (not name and "inline" in options):
                inner = self.source.decls.get(self.qualify(expr.lstrip("*"), decl.package, decl.imports))
                if inner is None or inner.underlying:
                    # meta.Unstructured's map inlined, or an unknown embedded type: no named fields
                    continue
                embedded = expr.lstrip("*").split(".")[-1]
                for inner_name, (wrap, code, inner_replace) in self.struct(inner).items():
                    # Talos wraps errors per struct: Outer.Embedded, then Embedded.Field
                    inner_wrap = wrap if ">" in wrap else f"{inner.qualified}.{wrap}"
                    table[inner_name] = (f"{embedded}>{inner_wrap}", code, inner_replace)
                continue
            table[name] = (go_name, self.code(expr, decl.package, decl.imports), replace)
        return table


def render_table(source: Source) -> str:
    resolver = Resolver(source)
    kinds = {kind: resolver.code(qualified.split(".", 1)[1], qualified.split(".", 1)[0])
             for kind, qualified in sorted(source.kinds.items())}
    legacy = resolver.code("Config", "v1alpha1")
    header = (
        f'"""Talos\'s Go config types as its strategic merge sees them (siderolabs/talos {NEWEST}, '
        f"{TYPES_DIR}).\n\n"
        "Generated by scripts/gen_merge_table.py; do not edit.\n"
        '"""\n\n'
        "# STRUCTS: Go struct -> yaml field -> (Go field for Talos's error wrapping, type code, merge:\"replace\");\n"
        "# a field of an embedded (inline) struct is named Embedded>pkg.EmbeddedType.Field.\n"
        "# Type codes: s string or fmt.Stringer, i number (both taken unless zero), b plain bool (always taken),\n"
        "# B []byte (replaced), o atomic value with a String() (taken unless zero), u Unstructured (free-form map),\n"
        "# ? any, *X pointer to X (taken even when zero),\n"
        "# [X list of X (appended), {X map of X (merged key by key), @T struct T (merged field by field), =args\n"
        "# key-by-key copy, =always taken even when absent, =keyed:F:[X list merged by field F, =devices:[X network\n"
        "# interfaces (by interface, else deviceSelector), =rules:F:[X list whose items are replaced by field F.\n"
    )
    structs = "STRUCTS: dict[str, dict[str, tuple[str, str, bool]]] = " + pprint.pformat(
        dict(sorted(resolver.structs.items())), width=120)
    kinds_text = "\n\n# document kind -> its type code\nKINDS: dict[str, str] = " + pprint.pformat(kinds, width=120)
    text = header + structs + kinds_text + f"\n\nLEGACY = {legacy!r}\n"
    return re.sub(r"[ \t]+\n", "\n", text)


def _yaml_paths(source: Source) -> dict[tuple[str, str], list[str]]:
    """(owner type, Go field) -> yaml paths from each document kind (for the rules list)."""
    resolver = Resolver(source)
    paths: dict[tuple[str, str], list[str]] = {}

    def walk(code: str, path: str, seen: frozenset[str]) -> None:
        code = code.lstrip("*[{")
        if code.startswith("="):
            code = code.split(":", 2)[-1].lstrip("*[{") if code.count(":") >= 2 else ""
        if not code.startswith("@") or code[1:] in seen:
            return
        for name, (wrap, child, _) in resolver.structs.get(code[1:], {}).items():
            last = wrap.split(">")[-1]
            owner, _, go_field = last.rpartition(".") if ">" in wrap else (code[1:], ".", wrap)
            child_path = f"{path}.{name}" if path else name
            paths.setdefault((owner, go_field), []).append(child_path)
            walk(child, child_path, seen | {code[1:]})

    for kind, qualified in sorted(source.kinds.items()):
        walk(resolver.code(qualified.split(".", 1)[1], qualified.split(".", 1)[0]), kind, frozenset())
    walk(resolver.code("Config", "v1alpha1"), "v1alpha1", frozenset())
    return paths


def rules_rows(repo: str) -> list[list[str]]:
    """release, source, Go type.field or merger type, yaml paths, rule."""
    rows: list[list[str]] = []
    for tag in RELEASES:
        source = read_source(repo, tag)
        paths = _yaml_paths(source)
        for decl in sorted(source.decls.values(), key=lambda d: d.qualified):
            for go_name, _, tag_text, where in decl.fields:
                if "replace" in (_tag(tag_text, "merge") or "").split(","):
                    yaml_paths = paths.get((decl.qualified, go_name), [])
                    rows.append([tag, where, f"{decl.qualified}.{go_name}", " ".join(sorted(set(yaml_paths))) or "-",
                                 "replace tag"])
        for qualified, where in sorted(source.mergers.items()):
            rows.append([tag, where, qualified, "-", f"Merge method ({MERGERS.get(qualified, 'unknown')})"])
    return rows


def main() -> None:
    repo = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("TALOS_GIT", "/work/.mirror/siderolabs+talos/repo")
    TABLE.write_text(render_table(read_source(repo, NEWEST)))
    write_rules(RULES, rules_rows(repo))
    print(f"wrote {TABLE.relative_to(ROOT)} and {RULES.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
