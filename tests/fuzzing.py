"""A seeded mutator over the project's inputs: definitions, secrets files and stack settings.

Each case is one mutated input fed to the same entry point a user reaches (parse and render a definition,
read a secrets.yaml, parse ``talos-cluster:talos``). A case passes when the input is accepted or refused
with a TalosError whose every line names its place; a traceback, a hang or an accepted input of a class
known to be invalid fails it. Used by tests/test_fuzz_inputs.py (small, in CI) and
benchmarks/fuzz_inputs.py (the full run, with counts per class).
"""

from __future__ import annotations

import base64
import copy
import datetime
import json
import math
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from components.talos import pki, yamlio
from components.talos.definition import parse_definition, render_node_text
from components.talos.errors import TalosError
from components.talos.secrets import SecretsBundle
from components.talos.stackconfig import parse_talos_options
from components.talos.versions import Contract

from .conftest import ROOT, SHARED

MAX_LINE = 400  # an error line longer than this echoes too much input
JUNK: list[Any] = [None, 0, -1, 1.5, "", "x", [], {}, True, False, "false", "a" * 100, [1, 2], {"k": "v"},
                   math.inf, "${NOPE}", "\u00e9\u4e2d", "-1", "0.0.0.0/0"]


@dataclass
class Tally:
    """Counts per input class: cases, accepted, refused, and how many known-invalid mutants were refused."""

    cases: Counter[str] = field(default_factory=Counter)
    accepted: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    invalid: Counter[str] = field(default_factory=Counter)
    invalid_refused: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    slowest: float = 0.0

    def rows(self) -> list[str]:
        return [f"{name:12} cases={self.cases[name]:5} accepted={self.accepted[name]:5} "
                f"refused={self.refused[name]:5} invalid mutants refused={self.invalid_refused[name]}"
                f"/{self.invalid[name]}" for name in sorted(self.cases)]


@dataclass
class Case:
    kind: str  # definitions, secrets, stack
    label: str  # which mutation, for failure messages
    invalid: bool  # the mutation puts the input in a class that must be refused
    run: Callable[[], None]
    source: str


def _check_error(error: TalosError, source: str) -> str | None:
    """None when every line of the error names its place (the source) and stays short."""
    lines = str(error).splitlines()
    if not lines:
        return "empty error"
    problem_lines = lines[1:] if len(lines) > 1 else lines
    for line in problem_lines:
        text = line.strip()
        if not text.startswith(source):
            return f"error line does not name {source}: {text[:120]!r}"
        if len(text) > MAX_LINE:
            return f"error line of {len(text)} chars"
    return None


def run_case(case: Case, tally: Tally) -> None:
    tally.cases[case.kind] += 1
    tally.invalid[case.kind] += case.invalid
    start = time.perf_counter()
    try:
        case.run()
    except TalosError as error:
        tally.refused[case.kind] += 1
        tally.invalid_refused[case.kind] += case.invalid
        problem = _check_error(error, case.source)
        if problem:
            tally.failures.append(f"{case.kind}/{case.label}: {problem}")
    except Exception as error:  # a traceback is exactly what this looks for
        tally.failures.append(f"{case.kind}/{case.label}: traceback {type(error).__name__}: {str(error)[:200]}")
    else:
        tally.accepted[case.kind] += 1
        if case.invalid:
            tally.failures.append(f"{case.kind}/{case.label}: invalid input accepted")
    elapsed = time.perf_counter() - start
    tally.slowest = max(tally.slowest, elapsed)
    if elapsed > 5:
        tally.failures.append(f"{case.kind}/{case.label}: took {elapsed:.1f}s")


# --------------------------------------------------------------------------- definitions

def definition_bases() -> dict[str, str]:
    """The example definitions in config/ and, where ../shared is present, the seed article's talconfig."""
    bases = {path.name: path.read_text() for path in sorted((ROOT / "config").glob("*.yaml"))}
    seed_dir = SHARED / "seed"  # absent outside the developers' workspace: the config/ examples still run
    article = next(iter(sorted(seed_dir.glob("*.txt"))), None) if seed_dir.is_dir() else None
    if article is not None:
        lines = article.read_text().splitlines(keepends=True)
        start = next((i for i, line in enumerate(lines) if line.strip() == "clusterName: homelab-talos-dev"), None)
        if start is not None:
            end = next(i for i in range(start, len(lines)) if not lines[i].strip())
            bases["seed-talconfig.yaml"] = "".join(lines[start - 1:end])
    return bases


def _node(data: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    return rng.choice(data["nodes"]) if isinstance(data.get("nodes"), list) and data["nodes"] else {}


def _interface(node: dict[str, Any]) -> dict[str, Any]:
    interfaces = node.setdefault("networkInterfaces", [])
    if not interfaces or not isinstance(interfaces[0], dict):
        interfaces[:] = [{"interface": "eth0", "addresses": ["192.168.1.99/24"]}]
    interface: dict[str, Any] = interfaces[0]
    return interface


BAD_HOSTNAMES = ["a/b", "a\0b", "x" * 64, ".".join(["a" * 60] * 5), "-lead", "trail-", "under_score", "has space",
                 "dot..dot", "../../etc", "é"]
BAD_ENDPOINTS = ["https://192.168.1.80:70000", "https://192.168.1.80:0", "http://192.168.1.80:6443", "not a url",
                 "https://:6443", "https://192.168.1.80:port", "https://[192.168.1.80:6443", "https://fe80::1:6443"]
BAD_NETS = [["10.96.0.0"], ["banana"], ["10.96.0.0/33"], [12], ["10.96.0.0/12", "x"], "10.96.0.0/12", [None]]
BAD_BOOLS = ["false", "true", "yes", 0, 1, "no", [], {"a": 1}]
BAD_PATCHES = ["machine:\n  type: banana\n", '[{"op": "remove", "path": "/machine/ca"}]',
               "cluster:\n  controlPlane:\n    endpoint: not-a-url\n", "cluster:\n  network:\n    dnsDomain: 'a b'\n",
               '[{"op": "replace", "path": "/cluster/controlPlane/endpoint", "value": "https://x:99999"}]',
               '[{"op": "remove", "path": "/machine"}]',
               "cluster:\n  network:\n    cni:\n      name: banana\n"]


def _invalid_definition_mutations() -> list[tuple[str, Callable[[dict[str, Any], random.Random], None]]]:
    def hostname(d: dict[str, Any], r: random.Random) -> None:
        _node(d, r)["hostname"] = r.choice(BAD_HOSTNAMES)

    def endpoint(d: dict[str, Any], r: random.Random) -> None:
        d["endpoint"] = r.choice(BAD_ENDPOINTS)

    def nets(d: dict[str, Any], r: random.Random) -> None:
        d[r.choice(["clusterPodNets", "clusterSvcNets"])] = copy.deepcopy(r.choice(BAD_NETS))

    def boolean(d: dict[str, Any], r: random.Random) -> None:
        target, key = r.choice([(d, "allowSchedulingOnControlPlanes"), (_node(d, r), "controlPlane"),
                                (_node(d, r), "overridePatches"), (_node(d, r), "disableSearchDomain"),
                                (_interface(_node(d, r)), "dhcp")])
        target[key] = copy.deepcopy(r.choice(BAD_BOOLS))

    def addresses(d: dict[str, Any], r: random.Random) -> None:
        _interface(_node(d, r))["addresses"] = copy.deepcopy(
            r.choice([1.5, [1.5], "192.168.1.9/24", ["192.168.1.9/33"], [{"a": 1}], ["300.1.1.1/24"]]))

    def schematic(d: dict[str, Any], r: random.Random) -> None:
        _node(d, r)["schematic"] = copy.deepcopy(r.choice([
            {"customization": 5}, 5, {"customization": {"extraKernelArgs": "x"}},
            {"customization": {"systemExtensions": {"officialExtensions": "siderolabs/x"}}},
            {"customization": {"systemExtensions": 3}}, {"customization": {"extraKernelArgs": [1]}}]))

    def unknown(d: dict[str, Any], r: random.Random) -> None:
        r.choice([d, _node(d, r)])["bogusField" + str(r.randint(0, 9))] = 1

    def patch(d: dict[str, Any], r: random.Random) -> None:
        d.setdefault("patches", []).append(r.choice(BAD_PATCHES))

    def address(d: dict[str, Any], r: random.Random) -> None:
        _node(d, r)["ipAddress"] = copy.deepcopy(r.choice(["999.1.1.1", 5, ["x"], "10.0.0.1/24", "a,b"]))

    def nameservers(d: dict[str, Any], r: random.Random) -> None:
        _node(d, r)["nameservers"] = copy.deepcopy(r.choice([["nope"], "1.1.1.1", [5], [{"a": 1}]]))

    def version(d: dict[str, Any], r: random.Random) -> None:
        key = r.choice(["talosVersion", "kubernetesVersion"])
        # an empty or null talosVersion takes talhelper's default (pkg/config), so it is no invalid input
        d[key] = r.choice([1.13, "banana", ["v1"]] + (["", None] if key == "kubernetesVersion" else []))

    def huge(d: dict[str, Any], r: random.Random) -> None:
        _node(d, r)["hostname"] = "h" * 1_000_000

    def routes(d: dict[str, Any], r: random.Random) -> None:
        _interface(_node(d, r))["routes"] = copy.deepcopy(r.choice([
            5, [{"network": "nope", "gateway": "1.1.1.1"}], [{"network": "0.0.0.0/0", "gateway": 7}], "x", [[1]]]))

    def vip(d: dict[str, Any], r: random.Random) -> None:
        _interface(_node(d, r))["vip"] = copy.deepcopy(r.choice([{"ip": "nope"}, 5, "1.1.1.1", {"ip": [1]}]))

    return [("hostname", hostname), ("endpoint", endpoint), ("nets", nets), ("boolean", boolean),
            ("addresses", addresses), ("schematic", schematic), ("unknown", unknown), ("patch", patch),
            ("ipAddress", address), ("nameservers", nameservers), ("version", version), ("huge", huge),
            ("routes", routes), ("vip", vip)]


INVALID_TEXT = {
    "duplicate-key": lambda text, r: text + "clusterName: duplicate\n",
    "alias-bomb": lambda text, r: text + "".join(
        f"x{i}: &x{i} [" + ",".join([f"*x{i - 1}" if i else "lol"] * 9) + "]\n" for i in range(9)),
    "not-utf8": lambda text, r: text.encode() + b"\nclusterName: \xff\xfe\n",
    "deep": lambda text, r: text + "x: " + "[" * 5000 + "]" * 5000 + "\n",
}


def _random_paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    paths: list[tuple[Any, ...]] = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            paths += _random_paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            paths += _random_paths(item, (*prefix, index))
    return paths


def _neutral_mutation(data: Any, rng: random.Random) -> str:
    paths = _random_paths(data)
    if not paths:
        return "none"
    path = rng.choice(paths)
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    action = rng.choice(["replace", "delete", "wrap"])
    if action == "delete":
        del parent[path[-1]]
    elif action == "wrap":
        parent[path[-1]] = rng.choice([[parent[path[-1]]], {"v": parent[path[-1]]}])
    else:
        parent[path[-1]] = copy.deepcopy(rng.choice(JUNK))
    return f"{action} {'.'.join(map(str, path))}"[:80]


def _text_mutation(text: str, rng: random.Random) -> str | bytes:
    data = bytearray(text.encode())
    for _ in range(rng.randint(1, 4)):
        if not data:
            break
        position = rng.randrange(len(data))
        choice = rng.random()
        if choice < 0.4:
            data[position] = rng.choice(b" :-[]{}&*!|>'\"#\n\t0aZ\x00")
        elif choice < 0.7:
            del data[position:position + rng.randint(1, 20)]
        else:
            data[position:position] = rng.choice([b"\n  x: 1", b": ", b"- ", b"&a ", b"*a", b"\n---\n", b"\t"])
    raw = bytes(data)
    try:
        return raw.decode()
    except UnicodeDecodeError:
        return raw


def _definition_run(text: str | bytes, source: str, secrets: SecretsBundle) -> Callable[[], None]:
    def run() -> None:
        if isinstance(text, bytes):
            # the loader's path for files: bytes are decoded strictly, as load_definition reads them
            try:
                decoded = yamlio.decode_utf8(text)
            except yamlio.StrictYAMLError as error:
                raise TalosError(f"{source}: (file): {error}") from None
        else:
            decoded = text
        definition = parse_definition(decoded, source, environ={})
        for node in definition.nodes:
            render_node_text(definition, node, secrets)
    return run


def definition_cases(count: int, seed: int, secrets: SecretsBundle) -> list[Case]:
    rng = random.Random(seed)
    bases = definition_bases()
    invalid = _invalid_definition_mutations()
    cases: list[Case] = []
    for index in range(count):
        name = rng.choice(sorted(bases))
        source = f"fuzz-{name}"
        base = bases[name]
        roll = rng.random()
        text: str | bytes
        if roll < 0.05:
            label, text, is_invalid = "unmutated", base, False
        elif roll < 0.45:
            label, mutate = rng.choice(invalid)
            data = yamlio.load(base)
            mutate(data, rng)
            text, is_invalid = json.dumps(data), True  # JSON is YAML: no emitter quirks in the way
        elif roll < 0.55:
            label = rng.choice(sorted(INVALID_TEXT))
            text, is_invalid = INVALID_TEXT[label](base, rng), True
        elif roll < 0.85:
            data = yamlio.load(base)
            label = _neutral_mutation(data, rng)
            text, is_invalid = json.dumps(data), False
        else:
            label, text, is_invalid = "text", _text_mutation(base, rng), False
        cases.append(Case("definitions", f"{index}:{name}:{label}", is_invalid,
                          _definition_run(text, source, secrets), source))
    return cases


# --------------------------------------------------------------------------- secrets

def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _invalid_secrets_mutations(now: datetime.datetime) -> list[tuple[str, Callable[[dict[str, Any]], None]]]:
    def ca(**kwargs: Any) -> dict[str, str]:
        pair = pki.new_certificate_authority("x", kwargs.get("key_type", "ecdsa"), kwargs.get("now", now), False)
        return {"crt": _b64(pair.crt_pem), "key": _b64(pair.key_pem)}

    expired = ca(now=now - datetime.timedelta(days=3660))
    rsa_os = ca(key_type="rsa")
    other_key = _b64(pki.encode_key(pki.generate_key("ed25519")))

    def put(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
        def mutate(data: dict[str, Any]) -> None:
            *parents, last = path.split(".")
            node = data
            for part in parents:
                node = node.setdefault(part, {}) if isinstance(node, dict) else {}
            if isinstance(node, dict):
                node[last] = copy.deepcopy(value)
        return mutate

    def drop(path: str) -> Callable[[dict[str, Any]], None]:
        def mutate(data: dict[str, Any]) -> None:
            *parents, last = path.split(".")
            node = data
            for part in parents:
                node = node[part]
            node.pop(last, None)
        return mutate

    return [
        ("token-short", put("secrets.bootstraptoken", "abc.def")),
        ("token-upper", put("trustdinfo.token", "ABCDEF.0123456789abcdef")),
        ("secretbox-5", put("secrets.secretboxencryptionsecret", _b64(b"12345"))),
        ("cluster-id", put("cluster.id", "short")),
        ("cluster-secret", put("cluster.secret", _b64(b"x" * 31))),
        ("key-mismatch", put("certs.os.key", other_key)),
        ("expired-ca", put("certs.etcd", expired)),
        ("rsa-os", put("certs.os", rsa_os)),
        # an Ed25519 CA where Kubernetes needs ECDSA or RSA
        ("os-ca-as-k8s", lambda data: data["certs"].__setitem__("k8s", dict(data["certs"]["os"]))),
        ("missing", drop("certs.k8saggregator")),
        ("missing-token", drop("trustdinfo")),
        ("not-base64", put("certs.k8s.crt", "!!!")),
        ("redacted", put("certs.os.key", "******")),
        ("not-pem", put("certs.etcd.key", _b64(b"hello"))),
        ("int-field", put("cluster.id", 5)),
        ("both-encryption", put("secrets.aescbcencryptionsecret", _b64(b"k" * 32))),
    ]


def secrets_cases(count: int, seed: int) -> list[Case]:
    rng = random.Random(seed)
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    # contract v1.6 has an ECDSA service-account key: the 4096-bit RSA check would cost 0.4 s a case
    base = SecretsBundle.generate(Contract(1, 6), now).to_data()
    invalid = _invalid_secrets_mutations(now)
    cases: list[Case] = []
    for index in range(count):
        data = copy.deepcopy(base)
        roll = rng.random()
        text: str
        if roll < 0.05:
            label, text, is_invalid = "unmutated", yamlio.dump(data), False
        elif roll < 0.5:
            label, mutate = rng.choice(invalid)
            mutate(data)
            text, is_invalid = yamlio.dump(data), True
        elif roll < 0.85:
            label, is_invalid = _neutral_mutation(data, rng), False
            text = yamlio.dump(data)
        else:
            mutated = _text_mutation(yamlio.dump(data), rng)
            label, is_invalid = "text", False
            text = mutated if isinstance(mutated, str) else mutated.decode("utf-8", "replace")

        def run(text: str = text) -> None:
            SecretsBundle.from_yaml(text, "secrets.yaml")
        cases.append(Case("secrets", f"{index}:{label}", is_invalid, run, "secrets.yaml"))
    return cases


# --------------------------------------------------------------------------- stack settings

STACK_KEY = "talos-cluster:talos"
INVALID_STACK: list[tuple[str, Any]] = [
    ("applyTimeout", "10"), ("applyTimeout", math.nan), ("applyTimeout", -5), ("applyTimeout", math.inf),
    ("healthTimeout", "1d"), ("healthTimeout", True), ("bootstrapTimeout", "ten minutes"), ("bootstrapTimeout", 0),
    ("resetOnDestroy", "yes"), ("resetOnDestroy", 0), ("resetOnDestroy", "False "), ("resetOnDestroy", None),
    ("renewBeforeDays", math.nan), ("renewBeforeDays", "30"), ("renewBeforeDays", -1), ("applyMode", "fast"),
    ("applyMode", 1), ("applyTimeot", 60), ("applyTimeout", "x" * 100_000),
]
VALID_STACK: list[tuple[str, Any]] = [
    ("applyTimeout", "10m"), ("applyTimeout", "1h30m"), ("applyTimeout", 90), ("healthTimeout", "90s"),
    ("bootstrapTimeout", 7.5), ("resetOnDestroy", "false"), ("resetOnDestroy", False), ("resetOnDestroy", True),
    ("renewBeforeDays", 30), ("applyMode", "no-reboot"), ("applyMode", "staged"),
]


def stack_cases(count: int, seed: int) -> list[Case]:
    rng = random.Random(seed)
    cases: list[Case] = []
    for index in range(count):
        settings = dict(rng.sample(VALID_STACK, rng.randint(0, 3)))
        roll = rng.random()
        if roll < 0.5:
            key, value = rng.choice(INVALID_STACK)
            settings[key], is_invalid, label = value, True, f"{key}={str(value)[:20]}"
        elif roll < 0.8:
            key = rng.choice([k for k, _ in VALID_STACK])
            settings[key], is_invalid, label = copy.deepcopy(rng.choice(JUNK)), False, f"{key}=junk"
        else:
            is_invalid, label = False, "valid"
        raw: Any = settings
        if rng.random() < 0.05:  # not an object at all
            raw = copy.deepcopy(rng.choice(JUNK))
            is_invalid, label = raw not in (None, {}), f"raw={str(raw)[:20]}"

        def run(raw: Any = raw) -> None:
            options = parse_talos_options(raw, STACK_KEY)
            reset = raw.get("resetOnDestroy") if isinstance(raw, dict) else None
            if options.get("reset_on_destroy") is True and reset is not True and reset != "true":
                raise AssertionError(f"resetOnDestroy {reset!r} became true")
        cases.append(Case("stack", f"{index}:{label}", is_invalid, run, f"stack config {STACK_KEY}"))
    return cases


def run_all(definitions: int, secrets: int, stack: int, seed: int = 15) -> Tally:
    tally = Tally()
    bundle = SecretsBundle.generate(Contract(1, 13))
    for case in [*definition_cases(definitions, seed, bundle), *secrets_cases(secrets, seed),
                 *stack_cases(stack, seed)]:
        run_case(case, tally)
    return tally
