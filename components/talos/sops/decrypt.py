"""Reading SOPS files (YAML, JSON, dotenv, binary) as talhelper's pkg/decrypt does.

The format follows the file name as in sops cmd/sops/formats (``.yaml``/``.yml``, ``.json``, ``.env``,
anything else binary). A file without ``sops`` metadata passes through unchanged. Age recipients are
decrypted natively; files only other key types can open (PGP, AWS/GCP/Azure/HuaweiCloud KMS, Vault), or
sops features this module does not model, go to the ``sops`` binary when it is on PATH.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import yamlio
from ..errors import TalosError, shorten
from ..files import read_regular_file
from .identities import keys_file, load_identities, unwrap
from .tree import IntegrityError, RuleError, Rules, check_mac, decrypt_tree

# Every limit this reader puts on what a file decides, each refused with a message naming the file:
MAX_INPUT_BYTES = yamlio.MAX_DOCUMENT_BYTES  # a file, or a stack's secret value, before it is parsed
MAX_DEPTH = yamlio.MAX_DEPTH  # nesting of the tree (YAML is held to it by yamlio; JSON and dotenv here)
MAX_RECIPIENTS_SHOWN = 3  # recipients named in a "no identity" error; the rest are counted
MAX_AGE_STANZAS = 100  # age recipients tried (each may run SOPS_AGE_KEY_CMD); sops files have a handful

# stores/stores.go metadata: the key types a file may be encrypted for.
_KEY_TYPES = {"age": "age", "pgp": "PGP", "kms": "AWS KMS", "gcp_kms": "GCP KMS", "azure_kv": "Azure Key Vault",
              "hc_vault": "HashiCorp Vault", "hckms": "HuaweiCloud KMS"}
# Metadata whose meaning depends on comments, which the parsers here do not keep.
_COMMENT_RULES = ("unencrypted_comment_regex", "encrypted_comment_regex")
_MULTI_DOCUMENT = "(several documents)"


class SopsError(TalosError):
    pass


def format_for_path(path: str) -> str:
    """sops cmd/sops/formats FormatForPath."""
    if path.endswith((".yaml", ".yml")):
        return "yaml"
    if path.endswith(".json"):
        return "json"
    if path.endswith(".env"):
        return "dotenv"
    if path.endswith(".ini"):
        return "ini"
    return "binary"


_INDEX = re.compile(r"[+-]?[0-9]+")
_INT_MAX = 2 ** 63 - 1


def _index(text: str) -> int:
    """stores/flatten.go tokenize: ``pos, _ := strconv.Atoi(...)``: a bad index is 0, an overflow saturates."""
    if _INDEX.fullmatch(text) is None:
        return 0
    digits = text.lstrip("+-").lstrip("0") or "0"
    if len(digits) > 19:  # never build a huge int from a file's digits
        return -_INT_MAX - 1 if text.startswith("-") else _INT_MAX
    return max(-_INT_MAX - 1, min(_INT_MAX, int(text)))


def _tokens(path: str) -> list[str | int]:
    """stores/flatten.go tokenize: ``__map_`` starts a key, ``__list_`` an index."""
    pieces = re.split(r"(__map_|__list_)", path)
    tokens: list[str | int] = [pieces[0]]
    for separator, text in zip(pieces[1::2], pieces[2::2], strict=True):
        tokens.append(_index(text) if separator == "__list_" else text)
    return tokens


@dataclass
class _Slot:
    """stores/flatten.go node: a value, keyed children or indexed children (sparse, as sops keeps them)."""

    value: str | None = None
    keys: dict[str, _Slot] = field(default_factory=dict)
    indices: dict[int, _Slot] = field(default_factory=dict)


def _unflatten(flat: list[tuple[str, str]], source: str) -> dict[str, Any]:
    """stores/flatten.go unflattenTreeBranch: ``sops_age__list_0__map_enc`` back to {age: [{enc: ...}]}.

    Lists are built only once every index from 0 up is present ("Incomplete list"), so an index such as
    ``__list_2000000`` costs nothing and is refused, as sops refuses it."""
    root = _Slot()
    for name, value in flat:
        tokens = _tokens(name)
        if len(tokens) > MAX_DEPTH:
            raise SopsError(f"{source}: SOPS metadata key {shorten(name)} nests {len(tokens)} levels; expected at "
                            f"most {MAX_DEPTH}")
        slot = root
        for token in tokens:
            children: dict[Any, _Slot] = slot.indices if isinstance(token, int) else slot.keys
            slot = children.setdefault(token, _Slot())
        if slot.value is not None:
            raise SopsError(f"{source}: error while unflattening SOPS metadata {shorten(name)}: duplicate value")
        slot.value = value

    def convert(slot: _Slot) -> Any:
        if (slot.value is not None) + bool(slot.keys) + bool(slot.indices) > 1:
            raise SopsError(f"{source}: error while unflattening SOPS metadata: type mismatch")
        if slot.value is not None:
            return slot.value
        if slot.keys or not slot.indices:
            return {key: convert(slot.keys[key]) for key in sorted(slot.keys)}
        if min(slot.indices) != 0 or max(slot.indices) + 1 != len(slot.indices):
            raise SopsError(f"{source}: error while unflattening SOPS metadata: incomplete list (indexes "
                            f"{min(slot.indices)} to {shorten(str(max(slot.indices)), 20)} for "
                            f"{len(slot.indices)} item(s))")
        return [convert(slot.indices[index]) for index in range(len(slot.indices))]

    converted = convert(root)
    return converted if isinstance(converted, dict) else {}


def _depth_problem(tree: Any) -> bool:
    """True when the tree nests deeper than MAX_DEPTH (walked without recursion)."""
    pending: list[tuple[Any, int]] = [(tree, 0)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_DEPTH:
            return True
        if isinstance(value, dict):
            pending.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)
    return False


def _parse(text: str, kind: str, source: str) -> tuple[dict[str, Any], Any]:
    """The tree without its metadata, and the metadata (None when the file is not SOPS-encrypted)."""
    if kind == "dotenv":
        tree: dict[str, Any] = {}
        flat: list[tuple[str, str]] = []
        for number, line in enumerate(text.split("\n"), start=1):
            if line == "" or line.startswith("#"):
                continue
            key, sep, value = line.partition("=")
            if not sep:  # the line itself may be a secret: only its number is shown
                raise SopsError(f"{source}: invalid dotenv input line {number}: expected KEY=value")
            value = value.replace("\\n", "\n")
            if key.startswith("sops_"):
                flat.append((key[5:], value))
            else:
                tree[key] = value
        return tree, (_unflatten(flat, source) if flat else None)
    try:
        documents = yamlio.load_all(text) if kind == "yaml" else [json.loads(text)]
    except Exception as error:  # RecursionError included: json nests as deep as the text says
        detail = yamlio.describe_error(error) if kind == "yaml" else shorten(str(error), 120)
        raise SopsError(f"{source}: not valid {kind.upper()}: {detail}") from None
    if kind == "json" and _depth_problem(documents[0]):
        raise SopsError(f"{source}: not valid JSON: nested too deeply; expected at most {MAX_DEPTH} levels")
    if len(documents) > 1:
        # sops keeps one metadata block per document; that layout is left to the sops binary.
        encrypted = any(isinstance(doc, dict) and isinstance(doc.get("sops"), dict) for doc in documents)
        return {}, ({_MULTI_DOCUMENT: True} if encrypted else None)
    data = documents[0] if documents else None
    # talhelper decrypt.isEncrypted: a non-empty top-level ``sops`` mapping.
    if not isinstance(data, dict) or not isinstance(data.get("sops"), dict) or not data["sops"]:
        return {}, None
    metadata = data.pop("sops")
    return data, metadata


def is_encrypted(text: str, kind: str = "yaml") -> bool:
    """talhelper decrypt.isEncrypted: a non-empty top-level ``sops`` key."""
    try:
        return _parse(text, kind, "(text)")[1] is not None
    except SopsError:
        return False


def _emit(tree: dict[str, Any], kind: str) -> str:
    if kind == "yaml":
        return yamlio.dump(tree) if tree else ""
    if kind == "json":
        return json.dumps(tree, indent=4, ensure_ascii=False) + "\n"
    if kind == "binary":
        return str(tree.get("data", ""))
    return "".join(f"{k}={str(v).replace(chr(10), chr(92) + 'n')}\n" for k, v in tree.items())


def _key_types(metadata: dict[str, Any]) -> list[str]:
    groups = metadata.get("key_groups") or [metadata]
    found = [name for group in groups if isinstance(group, dict) for name in _KEY_TYPES if group.get(name)]
    return list(dict.fromkeys(found))


def _age_stanzas(metadata: dict[str, Any]) -> list[dict[str, Any]]:
    groups = metadata.get("key_groups") or [metadata]
    return [stanza for group in groups if isinstance(group, dict)
            for stanza in (group.get("age") or []) if isinstance(stanza, dict)]


def _native_problem(metadata: dict[str, Any]) -> str:
    """Why this file needs the sops binary, or '' when it can be decrypted here."""
    if metadata.get(_MULTI_DOCUMENT):
        return "it holds several YAML documents"
    if "age" not in _key_types(metadata):
        return "it is encrypted for " + ", ".join(_KEY_TYPES[t] for t in _key_types(metadata)) + " only"
    if len(metadata.get("key_groups") or []) > 1 or metadata.get("shamir_threshold"):
        return "it uses Shamir key groups"
    for rule in _COMMENT_RULES:
        if metadata.get(rule):
            return f"it uses {rule}"
    return ""


def sops_binary() -> str | None:
    return shutil.which("sops")


def _sops_binary(text: str, kind: str, source: str, path: str | None, binary: str) -> str:
    with tempfile.TemporaryDirectory() as scratch:
        target = path
        if target is None:
            target = os.path.join(scratch, "input")
            descriptor = os.open(target, os.O_WRONLY | os.O_CREAT, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                handle.write(text)
        result = subprocess.run([binary, "--decrypt", "--input-type", kind, "--output-type", kind, target],
                                capture_output=True, text=True, check=False)
    if result.returncode != 0:
        # sops' last line names the key it could not use, but it quotes values too: aes/cipher.go converts
        # before the MAC check (`strconv.Atoi: parsing "<plaintext>"`) and decrypt.go prints both MACs.
        # Quoted text is left out.
        reason = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else f"exit {result.returncode}"
        reason = shorten(re.sub(r'"(?:\\.|[^"\\])*"?|\'[^\']*\'?', '"…"', reason), 200)
        raise SopsError(f"{source}: SOPS decryption failed: {reason}")
    return result.stdout


def _revealed(encrypted: Any, plain: Any, found: list[Any]) -> None:
    """The plaintext of every encrypted leaf, found by walking the file and its decryption side by side
    (for the sops binary's output, which gives no leaves of its own)."""
    pending = [(encrypted, plain)]
    while pending:
        before, after = pending.pop()
        if isinstance(before, dict) and isinstance(after, dict):
            pending.extend((value, after.get(key)) for key, value in before.items())
        elif isinstance(before, list) and isinstance(after, list):
            pending.extend(zip(before, after, strict=False))
        elif isinstance(before, str) and before.startswith("ENC[AES256_GCM,") and after is not None:
            found.append(after)


def _binary_revealed(tree: dict[str, Any], output: str, kind: str, source: str) -> list[Any]:
    found: list[Any] = []
    if kind == "binary":
        found.append(output)
    else:
        try:
            plain, _ = _parse(output, kind, source) if kind == "dotenv" else (yamlio.load(output), None)
        except Exception:  # what sops printed is no concern of this program's errors
            plain = None
        _revealed(tree, plain, found)
    return found


def _note(revealed: list[str] | None, values: list[Any]) -> None:
    if revealed is not None:
        revealed.extend(str(value) for value in values
                        if value is not None and not isinstance(value, bool) and str(value) != "")


def _recipients(metadata: dict[str, Any]) -> str:
    names = [shorten(str(stanza.get("recipient")), 80) for stanza in _age_stanzas(metadata)]
    shown = ", ".join(names[:MAX_RECIPIENTS_SHOWN])
    return shown + (f" and {len(names) - MAX_RECIPIENTS_SHOWN} more" if len(names) > MAX_RECIPIENTS_SHOWN else "")


def _data_key(metadata: dict[str, Any], source: str, environ: Mapping[str, str] | None) -> bytes | None:
    """The data key from an age stanza, or None when no identity is available for any of them."""
    stanzas = _age_stanzas(metadata)
    if len(stanzas) > MAX_AGE_STANZAS:
        raise SopsError(f"{source}: SOPS metadata lists {len(stanzas)} age recipients; expected at most "
                        f"{MAX_AGE_STANZAS}")
    for stanza in stanzas:
        try:
            identities = load_identities(environ, str(stanza.get("recipient") or ""))
        except LookupError as error:
            raise SopsError(f"{source}: SOPS decryption failed: {error}") from None
        key = unwrap(str(stanza.get("enc") or ""), identities) if identities else None
        if key is not None:
            return key
    return None


def decrypt_text(text: str, source: str, kind: str = "yaml", environ: Mapping[str, str] | None = None,
                 path: str | None = None, revealed: list[str] | None = None) -> str:
    """The plaintext of ``text`` in ``kind`` (yaml, json, dotenv, binary); unencrypted text unchanged.

    ``revealed`` collects the plaintext of every encrypted value (as text): secrets for previews to mask.
    """
    if text == "":
        return text
    if len(text) > MAX_INPUT_BYTES:
        raise SopsError(f"{source}: is larger than {MAX_INPUT_BYTES} bytes ({MAX_INPUT_BYTES // (1024 * 1024)} "
                        "MiB); expected a smaller file")
    if kind == "binary":
        try:
            data = json.loads(text)
        except ValueError:
            return text
        if not (isinstance(data, dict) and isinstance(data.get("sops"), dict)):
            return text
        tree, metadata = data, data.pop("sops")
    elif kind == "ini":
        raise SopsError(f"{source}: INI files are not supported; use YAML, JSON or dotenv")
    else:
        tree, metadata = _parse(text, kind, source)
    if metadata is None:
        return text
    problem = _native_problem(metadata)
    if not problem:
        key = _data_key(metadata, source, environ)
        if key is not None:
            try:
                rules = Rules(**{name: str(metadata.get(name) or "") for name in
                                 ("unencrypted_suffix", "encrypted_suffix", "unencrypted_regex", "encrypted_regex")},
                              mac_only_encrypted=str(metadata.get("mac_only_encrypted")).lower() == "true")
            except RuleError as error:
                raise SopsError(f"{source}: {error}") from None
            try:
                plain, mac, values = decrypt_tree(tree, key, rules)
                check_mac(str(metadata.get("mac") or ""), mac, key, metadata.get("lastmodified"))
            except IntegrityError as error:
                raise SopsError(f"{source}: SOPS decryption failed: {error}") from None
            _note(revealed, values)
            return _emit(plain, kind)
        problem = (f"no age identity for recipient {_recipients(metadata)} in SOPS_AGE_KEY, SOPS_AGE_KEY_FILE "
                   f"or {keys_file(os.environ if environ is None else environ)}")
    binary = sops_binary()
    if binary:
        output = _sops_binary(text, kind, source, path, binary)
        _note(revealed, _binary_revealed(tree, output, kind, source))
        return output
    raise SopsError(f"{source}: SOPS decryption failed: {problem}; "
                    + ("set SOPS_AGE_KEY_FILE or SOPS_AGE_KEY" if problem.startswith("no age identity")
                       else "install the sops binary on PATH to decrypt it"))


def decrypt_file(path: str | Path, kind: str | None = None, environ: Mapping[str, str] | None = None,
                 revealed: list[str] | None = None) -> str:
    """talhelper DecryptFileWithSops (``kind`` None: from the name) or DecryptYamlWithSops (``kind='yaml'``).
    Only a regular file is read (a FIFO or device is refused without blocking), of at most MAX_INPUT_BYTES."""
    name = str(path)
    try:
        data = read_regular_file(path, MAX_INPUT_BYTES)
    except OSError as error:
        raise SopsError(f"{name}: cannot read: {error.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SopsError(f"{name}: not UTF-8 text (byte {error.start})") from None
    return decrypt_text(text, name, kind or format_for_path(name), environ, path=name, revealed=revealed)
