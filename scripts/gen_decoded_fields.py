"""Regenerate components/talos/validation/decoded_fields.py from Talos's Go config types.

Talos decodes each document into its Go struct (configloader/internal/decoder: go-yaml v4 into the kind's type),
and some Go types refuse text while decoding: netip prefixes and addresses, time.Duration, net/url, MAC
addresses, enumer enums by name, byte sizes, base64 certificates, port ranges, extraArgs values, integers out of
their Go type's range. Such a value never reaches Validate: Talos stops loading the config with
``error decoding <kind> to <type>: ...``. This script walks every registered kind's Go type (and the legacy
v1alpha1.Config) at each release and writes, for each yaml path whose Go type can refuse a value, the decoder's
parser of it; plus the names of every enumer enum, and the kinds whose type names itself (config.NamedDocument:
Talos prints them as Kind/name). A Go type with its own UnmarshalYAML/UnmarshalText that this script does not
know stops it: a new release's type needs a decision (and a parser) first.

    python scripts/gen_decoded_fields.py [TALOS_GIT_DIR]
        (default: $TALOS_GIT or /work/.mirror/siderolabs+talos/repo, a bare clone of
         https://github.com/siderolabs/talos with the release tags)
"""

from __future__ import annotations

import os
import pprint
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from components.talos.schema_fields import KINDS, LEGACY_SHAPE  # noqa: E402
from scripts.go_source import git, go_imports  # noqa: E402

OUTPUT = ROOT / "components" / "talos" / "validation" / "decoded_fields.py"
RELEASES = {12: "v1.12.9", 13: "v1.13.9", 14: "v1.14.0-rc.1"}
MACHINERY = "pkg/machinery"
TYPES = f"{MACHINERY}/config/types"
_MODULE = "github.com/siderolabs/talos/"
META, V1ALPHA1, BLOCK, NETWORK = (f"{TYPES}/{name}" for name in ("meta", "v1alpha1", "block", "network"))
NETHELPERS, CEL, YAMLUTILS = f"{MACHINERY}/nethelpers", f"{MACHINERY}/cel", f"{MACHINERY}/yamlutils"
X509 = "github.com/siderolabs/crypto/x509"

# Go types whose decoding can refuse a value, by the parser of components/talos/validation/decoder_values.py
PARSERS: dict[tuple[str, str], str] = {
    ("time", "Duration"): "duration",  # go-yaml: a string through time.ParseDuration, no other scalar
    ("net/netip", "Prefix"): "prefix", (META, "Prefix"): "prefix",  # UnmarshalText: netip.ParsePrefix
    ("net/netip", "Addr"): "addr", (META, "Addr"): "addr",
    ("net/netip", "AddrPort"): "addrport", (META, "AddrPort"): "addrport",
    (META, "URL"): "url", (V1ALPHA1, "Endpoint"): "url",  # UnmarshalYAML: url.Parse
    (NETHELPERS, "HardwareAddr"): "hwaddr",  # UnmarshalText: hex after removing ':'
    (NETHELPERS, "FailOverMAC"): "failovermac",  # FailOverMACByName, or a number 0-2
    (BLOCK, "ByteSize"): "bytesize", (BLOCK, "Size"): "size",  # Size: a PercentageSize when it has a '%'
    (V1ALPHA1, "DiskSize"): "humanize", (V1ALPHA1, "InstallDiskSizeMatcher"): "disksize",
    (V1ALPHA1, "Base64Bytes"): "base64",
    (NETWORK, "PortRange"): "portrange",
    (META, "ArgValue"): "args", (V1ALPHA1, "ArgValue"): "args",  # v1.13 has it in v1alpha1, v1.14 in meta
}
# siderolabs/crypto x509 types: their UnmarshalYAML base64-decodes each field ("******" is a redacted key)
STRUCT_PARSERS: dict[tuple[str, str], dict[str, str]] = {
    (X509, "PEMEncodedCertificateAndKey"): {"crt": "base64", "key": "base64key"},
    (X509, "PEMEncodedCertificate"): {"crt": "base64"},
    (X509, "PEMEncodedKey"): {"key": "base64key"},
}
# Go types with their own unmarshaler that refuse nothing a YAML scalar or mapping can hold
NEVER_REFUSE: dict[tuple[str, str], str] = {
    (CEL, "Expression"): "UnmarshalText keeps the text; Validate compiles it",
    (META, "Unstructured"): "any mapping",
    ("go.yaml.in/yaml/v4", "Node"): "any node",
    (YAMLUTILS, "StringBytes"): "any string, else bytes",
}
# Go types decoded through another one (their UnmarshalYAML decodes the underlying list as it is)
THROUGH_UNDERLYING = {(V1ALPHA1, "ClusterInlineManifests")}
INTEGERS = {"int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64"}
PLAIN = {"string", "bool", "float32", "float64", "any", "interface{}", "byte"}


@dataclass
class Decl:
    package: str  # repository path of the package
    name: str
    imports: dict[str, str]  # alias -> import path (repository path inside Talos)
    underlying: str = ""
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (Go name, type, tag)


class Blobs:
    """Files of a release read through one ``git cat-file --batch`` (hundreds of files, one process)."""

    def __init__(self, repo: str, tag: str) -> None:
        self.process = subprocess.Popen(["git", f"--git-dir={repo}", "cat-file", "--batch"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE)
        self.tag = tag

    def read(self, path: str) -> str:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"{self.tag}:{path}\n".encode())
        self.process.stdin.flush()
        header = self.process.stdout.readline().split()
        if len(header) < 3 or header[1] != b"blob":
            raise SystemExit(f"{self.tag}:{path}: not in the repository")
        data = self.process.stdout.read(int(header[2]) + 1)[:-1]  # the blob, then a newline
        return data.decode("utf-8")

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait()


@dataclass
class Source:
    tag: str
    repo: str
    blobs: Blobs
    decls: dict[tuple[str, str], Decl] = field(default_factory=dict)
    unmarshalers: set[tuple[str, str]] = field(default_factory=set)
    named: set[tuple[str, str]] = field(default_factory=set)  # types with a Name() string method
    enums: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # enumer type -> names
    read: set[str] = field(default_factory=set)


def _imports(text: str) -> dict[str, str]:
    """alias -> import path, Talos's own packages relative to its module."""
    return {alias: path.removeprefix(_MODULE) for alias, path in go_imports(text).items()}


_TYPE = re.compile(r"^type (\w+)(?:\[[^\]]*\])? (=\s*)?(.+)$")
_FIELD = re.compile(r"^\t(\w+)\s+([^\s`]+)\s*(?:`([^`]*)`)?")
_EMBED = re.compile(r"^\t(\*?[\w.]+)\s*(?:`([^`]*)`)?\s*(?://.*)?$")
_UNMARSHAL = re.compile(r"^func \(\w+ \*?(\w+)\) Unmarshal(?:YAML|Text)\(")
_NAMED = re.compile(r"^func \(\w+ \*?(\w+)\) Name\(\) string")


def read_package(source: Source, package: str) -> None:
    """Every type declaration of a package (tests, docs and generated deep copies left out)."""
    if package in source.read:
        return
    source.read.add(package)
    listing = git(source.repo, "ls-tree", "--name-only", f"{source.tag}:{package}").split()
    for name in listing:
        if name.endswith(".go") and not name.endswith(("_test.go", "_doc.go", "_docs.go", "deep_copy.generated.go")):
            text = source.blobs.read(f"{package}/{name}")
            _parse_file(source, package, text)
            if name.endswith("_enumer.go"):
                _parse_enums(source, package, text)


def _parse_file(source: Source, package: str, text: str) -> None:
    imports = _imports(text)
    current: Decl | None = None
    depth = 0
    for line in text.splitlines():
        if current is not None:
            if line.startswith("}"):
                current = None
                continue
            depth = max(0, depth + line.count("{") - line.count("}"))
            if depth > 0 or not line.strip() or line.strip().startswith("//"):
                continue
            if (found := _FIELD.match(line)) and not found.group(2).startswith("//"):
                current.fields.append((found.group(1), found.group(2), found.group(3) or ""))
            elif embedded := _EMBED.match(line):
                current.fields.append(("", embedded.group(1), embedded.group(2) or ""))
            continue
        if found := _UNMARSHAL.match(line):
            source.unmarshalers.add((package, found.group(1)))
        if found := _NAMED.match(line):
            source.named.add((package, found.group(1)))
        if not (typed := _TYPE.match(line)):
            continue
        decl = Decl(package, typed.group(1), imports)
        body = typed.group(3).split("//")[0].strip()
        source.decls[(package, decl.name)] = decl
        if body.startswith("struct {") and not body.endswith("}"):
            current, depth = decl, 0
        elif not body.startswith("struct"):
            decl.underlying = body


def _parse_enums(source: Source, package: str, text: str) -> None:
    """enumer's generated names: _XName(_N) string constants and the _XNames slices of them."""
    constants = dict(re.findall(r'(_\w+Name(?:_\d+)?)\s*=\s*"([^"]*)"', text))
    for type_name, body in re.findall(r"var _(\w+)Names = \[\]string\{(.*?)\}", text, re.S):
        names = [constants[const][int(low):int(high)]
                 for const, low, high in re.findall(r"(_\w+Name(?:_\d+)?)\[(\d+):(\d+)\]", body)]
        names += re.findall(r'"([^"]*)"', body)
        if f"func (i *{type_name}) UnmarshalText" in text:
            source.enums[(package, type_name)] = names


def _tag(tag: str, key: str) -> str | None:
    match = re.search(key + r':"([^"]*)"', tag)
    return match.group(1) if match else None


class Walker:
    """Yaml paths of one release's document types whose Go type can refuse a value."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.rows: dict[str, str] = {}  # path -> parser
        self.types_used: set[str] = set()

    def qualify(self, expr: str, decl: Decl) -> tuple[str, str]:
        if "." not in expr:
            return decl.package, expr
        alias, _, name = expr.partition(".")
        return decl.imports.get(alias, alias), name

    def walk_type(self, expr: str, decl: Decl, path: str, seen: frozenset[tuple[str, str]]) -> None:
        expr = expr.strip().lstrip("*")
        if expr == "[]byte":
            return
        if expr.startswith("[]"):
            self.walk_type(expr[2:], decl, f"{path}[]", seen)
            return
        if expr.startswith("map["):
            self.walk_type(expr[expr.index("]") + 1:], decl, f"{path}{{}}", seen)
            return
        if expr in INTEGERS:
            if expr not in ("int", "int64"):  # YAML integers beyond int64 are not integers Talos writes
                self.rows[path] = f"int:{expr}"
            return
        if expr in PLAIN or expr.startswith(("struct{", "func(")):
            return
        key = self.qualify(expr, decl)
        if key in PARSERS:
            self.rows[path] = PARSERS[key]
            return
        if key in STRUCT_PARSERS:
            for name, parser in STRUCT_PARSERS[key].items():
                self.rows[f"{path}.{name}"] = parser
            return
        if key in NEVER_REFUSE or key[0] in ("time", "os", "net/netip", "net/url"):
            if key[0] in ("time", "net/netip", "net/url") and key not in NEVER_REFUSE:
                raise SystemExit(f"{self.source.tag}: {path}: Go type {key[0]}.{key[1]} has no parser; add it")
            return
        if key[0].startswith(MACHINERY):
            read_package(self.source, key[0])
        if key in self.source.enums:
            self.rows[path] = f"enum:{key[1]}"
            return
        target = self.source.decls.get(key)
        if target is None:
            raise SystemExit(f"{self.source.tag}: {path}: unknown Go type {key[0]}.{key[1]}; add it to a table")
        if key in self.source.unmarshalers and key not in THROUGH_UNDERLYING:
            raise SystemExit(f"{self.source.tag}: {path}: {key[0]}.{key[1]} has its own unmarshaler this script "
                             "does not know; add its parser to PARSERS or NEVER_REFUSE")
        if target.underlying:
            self.walk_type(target.underlying.removeprefix("=").strip(), target, path, seen)
            return
        if key in seen:
            return
        for go_name, field_type, tag in target.fields:
            yaml_tag = _tag(tag, "yaml")
            if yaml_tag == "-" or (yaml_tag is None and go_name):
                continue
            name, _, options = (yaml_tag or "").partition(",")
            if not go_name or (not name and "inline" in options):
                self.walk_type(field_type, target, path, seen | {key})
            else:
                self.walk_type(field_type, target, f"{path}.{name}" if path else name, seen | {key})


def release_tables(repo: str, minor: int) -> tuple[dict[str, dict[str, str]], dict[str, list[str]], set[str]]:
    """kind -> path -> parser; enum -> names; the kinds whose type has Name()."""
    source = Source(RELEASES[minor], repo, Blobs(repo, RELEASES[minor]))
    for package in sorted(p for p in git(repo, "ls-tree", "-d", "-r", "--name-only", source.tag, TYPES).split()
                          if "/internal" not in p and "testdata" not in p):
        read_package(source, package)
    roots = {kind: shape for kind, (shape, since) in KINDS.items() if since <= minor}
    roots["v1alpha1"] = LEGACY_SHAPE
    tables: dict[str, dict[str, str]] = {}
    named: set[str] = set()
    for kind, shape in sorted(roots.items()):
        short, _, name = shape.partition(".")  # the schema names a type by its package's last element
        package = next(path for (path, decl_name) in source.decls
                       if decl_name == name and path.rsplit("/", 1)[-1] == short and path.startswith(TYPES))
        decl = Decl(package, "", {})
        walker = Walker(source)
        walker.walk_type(name, decl, "", frozenset())
        tables[kind] = dict(sorted(walker.rows.items()))
        if (package, name) in source.named:
            named.add(kind)
    source.blobs.close()
    enums = {name: names for (_, name), names in sorted(source.enums.items())}
    return tables, enums, named


def render(repo: str) -> str:
    fields: dict[str, dict[str, dict[str, list[int]]]] = {}  # kind -> path -> parser -> minors
    enums: dict[str, dict[int, tuple[str, ...]]] = {}
    named: dict[str, list[int]] = {}
    for minor in sorted(RELEASES):
        tables, release_enums, release_named = release_tables(repo, minor)
        for kind, paths in tables.items():
            for path, parser in paths.items():
                fields.setdefault(kind, {}).setdefault(path, {}).setdefault(parser, []).append(minor)
        for enum, names in release_enums.items():
            enums.setdefault(enum, {})[minor] = tuple(names)
        for kind in release_named:
            named.setdefault(kind, []).append(minor)
    rows = {kind: {path: tuple((parser, tuple(minors)) for parser, minors in parsers.items())
                   for path, parsers in sorted(paths.items())} for kind, paths in sorted(fields.items())}
    used = {parser for paths in fields.values() for parsers in paths.values() for parser in parsers}
    header = (
        '"""Talos\'s Go config types as its decoder sees them: per document kind, each yaml path whose Go type can\n'
        "refuse a value while decoding, and the parser that refuses it (decoder_values.py); the names of each enumer\n"
        "enum; the kinds whose type names itself (config.NamedDocument). From siderolabs/talos "
        + ", ".join(RELEASES.values()) + ".\n\n"
        "Generated by scripts/gen_decoded_fields.py; do not edit.\n"
        '"""\n\n'
        "# kind -> path -> ((parser, the Talos 1.x minors whose Go type decodes the path with it), ...); a path's\n"
        "# `[]` is every item of a list, `{}` every value of a map. Older releases read as v1.12, newer as v1.14.\n"
    )
    return (header + "FIELDS: dict[str, dict[str, tuple[tuple[str, tuple[int, ...]], ...]]] = "
            + pprint.pformat(rows, width=120)
            + "\n\n# enumer type -> ((the minors, their names), ...); UnmarshalText takes a name in any case\n"
            + "ENUMS: dict[str, tuple[tuple[tuple[int, ...], tuple[str, ...]], ...]] = "
            + pprint.pformat({enum: _by_names(per_minor) for enum, per_minor in sorted(enums.items())
                              if f"enum:{enum}" in used}, width=120)
            + "\n\n# kind -> the minors whose Go type has Name() (Talos names those documents Kind/name)\n"
            + "NAMED_KINDS: dict[str, tuple[int, ...]] = "
            + pprint.pformat({kind: tuple(minors) for kind, minors in sorted(named.items())}, width=120) + "\n")


def _by_names(per_minor: dict[int, tuple[str, ...]]) -> tuple[tuple[tuple[int, ...], tuple[str, ...]], ...]:
    """The releases grouped by equal names: ((12, 13, 14), names) where nothing changed."""
    groups: dict[tuple[str, ...], list[int]] = {}
    for minor, names in sorted(per_minor.items()):
        groups.setdefault(names, []).append(minor)
    return tuple((tuple(minors), names) for names, minors in groups.items())


def main() -> None:
    repo = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("TALOS_GIT", "/work/.mirror/siderolabs+talos/repo")
    OUTPUT.write_text(render(repo), encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
