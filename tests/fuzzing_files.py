"""Hostile-file classes for the input fuzz (tests/fuzzing.py's Case, Tally and run_case): SOPS files with
tampered tags, MACs and metadata; Go templates; file-name templates; patch files that are not what they
claim. A case passes when it is accepted or refused with a TalosError naming its file, in bounded time,
and no secret it could reach (a SOPS plaintext, a key of the bundle) appears in an error or an output."""

from __future__ import annotations

import copy
import functools
import json
import os
import random
import shutil
import socket
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from components.talos import yamlio
from components.talos.cli.gitignore import ignore_line, ignored
from components.talos.cli.talhelper_genconfig import output_names
from components.talos.definition import parse_definition, render_node
from components.talos.definition.talpatches import talhelper_patches
from components.talos.definition.template_functions import TemplateError
from components.talos.definition.templating import render
from components.talos.errors import TalosError
from components.talos.secrets import SecretsBundle
from components.talos.sops import SopsError, decrypt_text
from components.talos.versions import Contract

from .conftest import ROOT
from .fuzzing import Case, Tally, run_case
from .sops_files import encrypt_like_sops, environ_for, exception_text, new_identity, retag

IDENTITY = new_identity()
PLAIN_TREE: dict[str, Any] = {"cluster": {"id": "cluster-id-value", "secret": "Sup3rS3cretClusterValue=="},
                              "secrets": {"bootstraptoken": "abcdef.0123456789abcdef"},
                              "count": 3, "ratio": 0.5, "enabled": True, "list": ["first-item", 7]}
PLAINTEXTS = ("Sup3rS3cretClusterValue==", "abcdef.0123456789abcdef", "cluster-id-value", "first-item")


class Leak(AssertionError):
    """A secret reached an error or an output: a failure, whatever else happened."""


# --------------------------------------------------------------------------- SOPS

def _leaves(tree: Any, path: list[str]) -> list[list[str]]:
    if isinstance(tree, dict):
        return [leaf for key, value in tree.items() for leaf in _leaves(value, [*path, key])]
    return [path] if not isinstance(tree, list) else []


def _sops_mutations() -> list[tuple[str, bool, Callable[[str, random.Random], tuple[str, str]]]]:
    """(label, must be refused, mutate(text, rng) -> (text, kind))."""

    def load(text: str) -> dict[str, Any]:
        data: dict[str, Any] = yamlio.load(text)
        return data

    def retagged(kind: str) -> Callable[[str, random.Random], tuple[str, str]]:
        def mutate(text: str, rng: random.Random) -> tuple[str, str]:
            leaf = rng.choice([leaf for leaf in _leaves(PLAIN_TREE, []) if isinstance(_at(PLAIN_TREE, leaf), str)])
            return retag(text, leaf, kind), "yaml"
        return mutate

    def metadata(change: Callable[[dict[str, Any], random.Random], None]) -> Callable[..., tuple[str, str]]:
        def mutate(text: str, rng: random.Random) -> tuple[str, str]:
            data = load(text)
            change(data, rng)
            return yamlio.dump(data), "yaml"
        return mutate

    def swap(data: dict[str, Any], rng: random.Random) -> None:
        data["cluster"]["id"], data["cluster"]["secret"] = data["cluster"]["secret"], data["cluster"]["id"]

    def drop(data: dict[str, Any], rng: random.Random) -> None:
        del data["secrets"]

    def mac_type(data: dict[str, Any], rng: random.Random) -> None:
        data["sops"]["mac"] = data["sops"]["mac"].replace("type:str]", f"type:{rng.choice(['int', 'bool', 'x'])}]")

    def mac_garbage(data: dict[str, Any], rng: random.Random) -> None:
        data["sops"]["mac"] = rng.choice(["", "ENC[AES256_GCM,data:,iv:,tag:,type:str]", "x" * 1000,
                                          "ENC[AES256_GCM,data:" + ",iv:" * 2000 + "]"])

    def lastmodified(data: dict[str, Any], rng: random.Random) -> None:
        data["sops"]["lastmodified"] = rng.choice(["yesterday", "", "2026-13-45T99:99:99Z", 12, None])

    def recipients(data: dict[str, Any], rng: random.Random) -> None:
        data["sops"]["age"] = data["sops"]["age"] * rng.choice([150, 1000])

    def dotenv(text: str, rng: random.Random) -> tuple[str, str]:
        index = rng.choice([1, 2_000_000, 10 ** 30, -1])
        return f"A=1\nsops_age__list_{index}__map_enc=x\nsops_version=3\n", "dotenv"

    def dotenv_deep(text: str, rng: random.Random) -> tuple[str, str]:
        return "sops_x" + "__map_k" * rng.choice([300, 5000]) + "=1\n", "dotenv"

    def deep_json(text: str, rng: random.Random) -> tuple[str, str]:
        depth = rng.choice([250, 5000, 100_000])
        return '{"sops": {"age": [1]}, "a": ' + "[" * depth + "]" * depth + "}", "json"

    return [
        ("retag-unknown", True, retagged("weird")), ("retag-int", True, retagged("int")),
        ("retag-float", True, retagged("float")), ("retag-bool", True, retagged("bool")),
        ("retag-time", True, retagged("time")), ("retag-str", False, retagged("str")),
        ("retag-bytes", False, retagged("bytes")),
        ("swap-values", True, metadata(swap)), ("drop-value", True, metadata(drop)),
        ("mac-type", True, metadata(mac_type)), ("mac-garbage", True, metadata(mac_garbage)),
        ("lastmodified", True, metadata(lastmodified)), ("recipients", True, metadata(recipients)),
        ("dotenv-index", True, dotenv), ("dotenv-deep", True, dotenv_deep), ("deep-json", True, deep_json),
    ]


def _at(tree: Any, path: list[str]) -> Any:
    for part in path:
        tree = tree[part]
    return tree


def _no_leak(text: str, secrets: tuple[str, ...]) -> None:
    leaked = [secret for secret in secrets if secret in text]
    if leaked:
        raise Leak(f"a secret reached the error: {leaked[0][:6]}…")


def sops_cases(count: int, seed: int) -> list[Case]:
    rng = random.Random(seed)
    base = encrypt_like_sops(PLAIN_TREE, IDENTITY)
    mutations = _sops_mutations()
    cases = []
    for index in range(count):
        label, invalid, mutate = rng.choice(mutations)
        text, kind = mutate(base, rng)

        def run(text: str = text, kind: str = kind) -> None:
            try:
                decrypt_text(text, "fuzz.sops.yaml", kind, environ=environ_for(IDENTITY))
            except SopsError as error:
                _no_leak(exception_text(error), PLAINTEXTS)
                raise
        cases.append(Case("sops", f"{index}:{label}", invalid, run, "fuzz.sops.yaml"))
    return cases


# --------------------------------------------------------------------------- templates

@functools.cache
def _control_plane() -> tuple[dict[str, Any], tuple[str, ...]]:
    """A real control plane's v1alpha1 document and every secret string in it."""
    from components.talos.masking import bundle_secret_values

    data = yamlio.load((ROOT / "config" / "dev.yaml").read_text())
    definition = parse_definition(json.dumps(data), "dev.yaml", environ={})
    bundle = SecretsBundle.generate(Contract(1, 6))
    documents = render_node(definition, definition.nodes[0], bundle)
    return next(d for d in documents if "machine" in d), tuple(sorted(bundle_secret_values(bundle)))


FRAGMENTS = ["{{", "}}", "{{- ", " -}}", "{{ if ", "{{ range ", "{{ with ", "{{ else }}", "{{ end }}", "(", ")",
             " | ", " $x := ", "$x", ".", ".MachineConfig", ".ClusterConfig", ".MachineConfig.MachineType",
             ".ClusterConfig.ClusterName", ".MachineConfig.MachineCertSANs", ".ClusterConfig.ClusterSecret",
             ".MachineConfig.MachineToken", ".ClusterConfig.ClusterCA.Key", ".MachineConfig.MachineCA",
             " print ", " printf \"%v\" ", " upper ", " len ", " index ", " quote ", " eq ", " join \",\" ",
             "\"str\"", "`raw`", "'c'", "12", "-3", "1.5", "9" * 400, "0x" + "f" * 30, "\"unterminated", "/*",
             "*/", "# comment ", "\n", "x", "{{/* c */}}", "{{ define \"t\" }}", "{{ template \"t\" }}"]
SECRET_READS = (".ClusterConfig.ClusterSecret", ".MachineConfig.MachineToken", ".ClusterConfig.ClusterCA.Key",
                ".MachineConfig.MachineCA", ".ClusterConfig }}", ".MachineConfig }}")


def _template(rng: random.Random) -> tuple[str, bool]:
    roll = rng.random()
    if roll < 0.15:  # known hostile shapes
        shape = rng.choice(["{{" * rng.choice([1000, 50_000]), "# " + "{{" * 50_000,
                            "{{ if true }}" * 3000 + "x" + "{{ end }}" * 3000,
                            "{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}",
                            "{{ " + "(" * 10_001 + "1" + ")" * 10_001 + " }}",
                            "{{ range $.MachineConfig.MachineCertSANs }}" * 6 + "x" + "{{ end }}" * 6,
                            "{{ " + "9" * 5000 + " }}"])
        return shape, False
    if roll < 0.35:  # a secret read, however wrapped: must be refused
        field = rng.choice(SECRET_READS[:4])
        wrapper = rng.choice(["{{ X }}", "{{ X | print }}", "{{ printf \"%v\" X }}", "{{ upper (print X) }}",
                              "{{ with X }}{{ . }}{{ end }}", "{{ $v := X }}{{ $v }}", "{{ len X }}"])
        return "machine:\n  nodeLabels:\n    a: " + wrapper.replace("X", field) + "\n", True
    return "".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 30))), False


def template_cases(count: int, seed: int) -> list[Case]:
    rng = random.Random(seed)
    cases = []
    for index in range(count):
        template, invalid = _template(rng)

        def run(template: str = template) -> None:
            config, secrets = _control_plane()
            try:
                output = render(template, config, "patch.yaml")
            except TemplateError as error:
                _no_leak(str(error), secrets)
                raise TalosError(str(error)) from None
            _no_leak(output, secrets)
        cases.append(Case("templates", f"{index}:{template[:40]!r}", invalid, run, "patch.yaml"))
    return cases


# --------------------------------------------------------------------------- file-name templates

NAME_PARTS = ["{{ .Hostname }}", "{{ .ClusterName }}", "{{ .Role }}", "{{ .IPAddress }}", ".yaml", "#", "!", " ",
              "[", "]", "*", "?", "\\", "/", "..", "\n", "talosconfig", ".gitignore", "-", "é", "{{ .Nope }}", "{{",
              "x" * 100]


def filename_cases(count: int, seed: int) -> list[Case]:
    rng = random.Random(seed)
    base = yamlio.load((ROOT / "config" / "dev.yaml").read_text())
    cases = []
    for index in range(count):
        data = copy.deepcopy(base)
        templates = ["".join(rng.choice(NAME_PARTS) for _ in range(rng.randint(1, 6))) for _ in data["nodes"]]
        if rng.random() < 0.2:
            templates[-1] = templates[0]  # the same template twice: a collision unless the hostname is in it
        for node, template in zip(data["nodes"], templates, strict=True):
            node["filenameTmpl"] = template
        invalid = any("/" in t or "\n" in t or "\\" in t for t in templates)

        def run(data: dict[str, Any] = data) -> None:
            definition = parse_definition(json.dumps(data), "talconfig.yaml", environ={})
            with tempfile.TemporaryDirectory() as folder:
                names = output_names(definition, Path(folder), gitignore=True)
            folded = {name.casefold() for name in names} | {"talosconfig", ".gitignore"}
            if len(folded) != len(names) + 2:
                raise AssertionError(f"two outputs share a name: {names}")
            lines = "".join(ignore_line(name) + "\n" for name in names)
            if not all(ignored(name, lines) for name in names):
                raise AssertionError("a name its own .gitignore line does not ignore")
        cases.append(Case("filenames", f"{index}:{templates!r}"[:100], invalid, run, "talconfig.yaml"))
    return cases


# --------------------------------------------------------------------------- patch files

def _patch_file(folder: Path, kind: str, rng: random.Random) -> Path:
    path = folder / f"{kind}.yaml"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "socket":
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(path))
        server.close()
    elif kind == "directory":
        path.mkdir()
    elif kind == "device":
        path.symlink_to(os.devnull)
    elif kind == "link-to-fifo":
        os.mkfifo(folder / "target")
        path.symlink_to(folder / "target")
    elif kind == "huge":
        path.write_bytes(b"a: " + b"x" * (5 * 1024 * 1024) + b"\n")
    elif kind == "deep":
        path.write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
    elif kind == "binary":
        path.write_bytes(bytes(rng.randrange(256) for _ in range(200)))
    elif kind == "open-actions":
        path.write_text("# " + "{{" * 50_000 + "\nmachine: {}\n")
    elif kind == "tampered-sops":
        text = encrypt_like_sops({"machine": {"network": {"hostname": "Sup3rS3cretClusterValue=="}}}, IDENTITY)
        path.write_text(retag(text, ["machine", "network", "hostname"], "int"))
    else:  # a valid one
        path.write_text("machine:\n  network:\n    hostname: fuzz\n")
    return path


PATCH_KINDS = ["fifo", "socket", "directory", "device", "link-to-fifo", "huge", "deep", "binary", "open-actions",
               "tampered-sops", "valid"]


def patch_file_cases(count: int, seed: int) -> list[Case]:
    rng = random.Random(seed)
    config = {"version": "v1alpha1", "machine": {"type": "worker"}}
    cases = []
    for index in range(count):
        kind = rng.choice(PATCH_KINDS)
        folder = Path(tempfile.mkdtemp(prefix="fz"))

        def run(kind: str = kind, folder: Path = folder, case_seed: int = seed + index) -> None:
            path = _patch_file(folder, kind, random.Random(case_seed))
            try:
                talhelper_patches([f"@{path.name}"], folder, "patch", [config], environ_for(IDENTITY))
            except TalosError as error:
                _no_leak(exception_text(error), PLAINTEXTS)
                if str(path) not in str(error):
                    raise AssertionError(f"the error does not name {path}: {str(error)[:120]}") from None
                raise TalosError(f"patch.yaml: {error}") from None
            finally:
                shutil.rmtree(folder, ignore_errors=True)
        cases.append(Case("patchfiles", f"{index}:{kind}", kind != "valid", run, "patch.yaml"))
    return cases


def run_hostile_files(sops: int, templates: int, filenames: int, patch_files: int, seed: int = 20,
                      tally: Tally | None = None, slowest: dict[str, tuple[float, str]] | None = None) -> Tally:
    """Run the cases into ``tally``; ``slowest`` gets each class's slowest case (seconds, label)."""
    tally = tally or Tally()
    for case in [*sops_cases(sops, seed), *template_cases(templates, seed), *filename_cases(filenames, seed),
                 *patch_file_cases(patch_files, seed)]:
        start = time.perf_counter()
        run_case(case, tally)
        elapsed = time.perf_counter() - start
        if slowest is not None and elapsed > slowest.get(case.kind, (0.0, ""))[0]:
            slowest[case.kind] = (elapsed, case.label[:60])
    return tally
