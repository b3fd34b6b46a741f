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
from pathlib import Path
from typing import Any

from .. import yamlio
from ..errors import TalosError
from .identities import keys_file, load_identities, unwrap
from .tree import IntegrityError, Rules, check_mac, decrypt_tree

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


def _tokens(path: str) -> list[str | int]:
    """stores/flatten.go tokenize: ``__map_`` starts a key, ``__list_`` an index."""
    pieces = re.split(r"(__map_|__list_)", path)
    tokens: list[str | int] = [pieces[0]]
    for separator, text in zip(pieces[1::2], pieces[2::2], strict=True):
        tokens.append(int(text) if separator == "__list_" and text.isdigit() else text)
    return tokens


def _unflatten(flat: dict[str, str]) -> dict[str, Any]:
    """stores/flatten.go: ``sops_age__list_0__map_enc`` back to {age: [{enc: ...}]}."""
    root: dict[str, Any] = {}
    for name, value in flat.items():
        tokens = _tokens(name)
        node: Any = root
        for token, following in zip(tokens, [*tokens[1:], None], strict=True):
            if following is None:
                if isinstance(token, int):
                    node.extend({} for _ in range(token + 1 - len(node)))
                    node[token] = value
                else:
                    node[token] = value
            elif isinstance(token, int):
                node.extend({} for _ in range(token + 1 - len(node)))
                node = node[token]
            else:
                node = node.setdefault(token, [] if isinstance(following, int) else {})
    return root


def _parse(text: str, kind: str, source: str) -> tuple[dict[str, Any], Any]:
    """The tree without its metadata, and the metadata (None when the file is not SOPS-encrypted)."""
    if kind == "dotenv":
        tree: dict[str, Any] = {}
        flat: dict[str, str] = {}
        for line in text.split("\n"):
            if line == "" or line.startswith("#"):
                continue
            key, sep, value = line.partition("=")
            if not sep:
                raise SopsError(f"{source}: invalid dotenv input line: {line[:40]}")
            value = value.replace("\\n", "\n")
            if key.startswith("sops_"):
                flat[key[5:]] = value
            else:
                tree[key] = value
        return tree, (_unflatten(flat) if flat else None)
    try:
        documents = yamlio.load_all(text) if kind == "yaml" else [json.loads(text)]
    except Exception as error:
        detail = yamlio.describe_error(error) if kind == "yaml" else str(error)
        raise SopsError(f"{source}: not valid {kind.upper()}: {detail}") from None
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
        # sops' own message names the key it could not use; it never holds plaintext.
        reason = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else f"exit {result.returncode}"
        raise SopsError(f"{source}: SOPS decryption failed: {reason}")
    return result.stdout


def _data_key(metadata: dict[str, Any], source: str, environ: Mapping[str, str] | None) -> bytes | None:
    """The data key from an age stanza, or None when no identity is available for any of them."""
    for stanza in _age_stanzas(metadata):
        try:
            identities = load_identities(environ, str(stanza.get("recipient") or ""))
        except LookupError as error:
            raise SopsError(f"{source}: SOPS decryption failed: {error}") from None
        key = unwrap(str(stanza.get("enc") or ""), identities) if identities else None
        if key is not None:
            return key
    return None


def decrypt_text(text: str, source: str, kind: str = "yaml", environ: Mapping[str, str] | None = None,
                 path: str | None = None) -> str:
    """The plaintext of ``text`` in ``kind`` (yaml, json, dotenv, binary); unencrypted text unchanged."""
    if text == "":
        return text
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
            rules = Rules(**{name: str(metadata.get(name) or "") for name in
                             ("unencrypted_suffix", "encrypted_suffix", "unencrypted_regex", "encrypted_regex")},
                          mac_only_encrypted=str(metadata.get("mac_only_encrypted")).lower() == "true")
            try:
                plain, mac = decrypt_tree(tree, key, rules)
                check_mac(str(metadata.get("mac") or ""), mac, key, metadata.get("lastmodified"))
            except IntegrityError as error:
                raise SopsError(f"{source}: SOPS decryption failed: {error}") from None
            return _emit(plain, kind)
        recipients = ", ".join(str(s.get("recipient")) for s in _age_stanzas(metadata))
        problem = (f"no age identity for recipient {recipients} in SOPS_AGE_KEY, SOPS_AGE_KEY_FILE or "
                   f"{keys_file(os.environ if environ is None else environ)}")
    binary = sops_binary()
    if binary:
        return _sops_binary(text, kind, source, path, binary)
    raise SopsError(f"{source}: SOPS decryption failed: {problem}; "
                    + ("set SOPS_AGE_KEY_FILE or SOPS_AGE_KEY" if problem.startswith("no age identity")
                       else "install the sops binary on PATH to decrypt it"))


def decrypt_file(path: str | Path, kind: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """talhelper DecryptFileWithSops (``kind`` None: from the name) or DecryptYamlWithSops (``kind='yaml'``)."""
    name = str(path)
    try:
        text = Path(path).read_text()
    except OSError as error:
        raise SopsError(f"{name}: cannot read: {error.strerror}") from None
    return decrypt_text(text, name, kind or format_for_path(name), environ, path=name)
