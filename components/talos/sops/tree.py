"""Decrypting a SOPS tree and recomputing its MAC, as getsops/sops does.

sops.go Tree.Decrypt: every leaf, in file order, is decrypted with AES-256-GCM (aes/cipher.go: 32-byte
nonce, additional data = the mapping keys of its path joined by ``:`` plus a trailing ``:``; list items add
no path element) unless its path is excluded by unencrypted_suffix / encrypted_suffix / *_regex
(shouldBeEncrypted). The MAC is SHA-512 over every leaf's plaintext (ToBytes), or over the encrypted
leaves only, after a fixed prefix, with mac_only_encrypted; nil leaves and comments are skipped.
decrypt/decrypt.go then compares it with the stored ``mac``, decrypted with additional data =
lastmodified formatted as RFC 3339.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

# sops.go MACOnlyEncryptedInitialization: sha256("sops").
_MAC_ONLY_ENCRYPTED_PREFIX = hashlib.sha256(b"sops").digest()
_VALUE = re.compile(r"^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]")
_GO_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_GO_FALSE = {"0", "f", "F", "FALSE", "false", "False"}


class IntegrityError(Exception):
    """A value or the MAC does not authenticate: a wrong key or a tampered file."""


@dataclass
class Rules:
    unencrypted_suffix: str = ""
    encrypted_suffix: str = ""
    unencrypted_regex: str = ""
    encrypted_regex: str = ""
    mac_only_encrypted: bool = False

    def encrypted(self, path: list[str]) -> bool:
        result = True
        if self.unencrypted_suffix and any(p.endswith(self.unencrypted_suffix) for p in path):
            result = False
        if self.encrypted_suffix:
            result = any(p.endswith(self.encrypted_suffix) for p in path)
        if self.unencrypted_regex and any(re.search(self.unencrypted_regex, p) for p in path):
            result = False
        if self.encrypted_regex:
            result = any(re.search(self.encrypted_regex, p) for p in path)
        return result


def _go_float(value: float) -> str:
    """strconv.FormatFloat(v, 'f', -1, 64): shortest round-trip digits, never an exponent."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    text = format(Decimal(repr(value)), "f")
    return text[:-2] if text.endswith(".0") else text


def to_bytes(value: Any) -> bytes:
    """sops.go ToBytes."""
    if isinstance(value, bool):
        return b"True" if value else b"False"
    if isinstance(value, int):
        return str(value).encode()
    if isinstance(value, float):
        return _go_float(value).encode()
    if isinstance(value, bytes):
        return value
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z").encode()
    return str(value).encode()


def _decrypt_value(ciphertext: str, key: bytes, additional_data: str) -> tuple[Any, bytes]:
    """aes/cipher.go Decrypt: the typed value and the bytes the MAC sees."""
    if ciphertext == "":
        return "", b""
    match = _VALUE.match(ciphertext)
    if match is None:
        raise IntegrityError("a value does not match sops' data format ENC[AES256_GCM,...]")
    from cryptography.exceptions import InvalidTag  # only files that are really SOPS-encrypted pay for it
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        data, iv, tag = (base64.b64decode(match.group(i), validate=True) for i in (1, 2, 3))
        plain = AESGCM(key).decrypt(iv, data + tag, additional_data.encode())
    except (ValueError, InvalidTag):
        raise IntegrityError("could not decrypt a value with AES_GCM (wrong data key or tampered file)") from None
    kind = match.group(4)
    text = plain.decode("utf-8", errors="surrogateescape")
    value: Any
    if kind == "str":
        value = text
    elif kind == "int":
        value = int(text)
    elif kind == "float":
        value = float(text)
    elif kind == "bytes":
        value = plain
    elif kind == "bool":
        if text not in _GO_TRUE | _GO_FALSE:
            raise IntegrityError(f"a bool value does not parse: type {kind}")
        value = text in _GO_TRUE
    elif kind == "time":
        value = text
        return value, plain
    else:
        raise IntegrityError(f"unknown datatype {kind}")
    return value, to_bytes(value)


def decrypt_tree(tree: dict[str, Any], key: bytes, rules: Rules) -> tuple[dict[str, Any], str]:
    """The plaintext tree and its MAC (upper-case hex, as sops formats it)."""
    digest = hashlib.sha512()
    if rules.mac_only_encrypted:
        digest.update(_MAC_ONLY_ENCRYPTED_PREFIX)

    def walk(value: Any, path: list[str]) -> Any:
        if isinstance(value, dict):
            return {k: walk(v, [*path, str(k)]) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(item, path) for item in value]
        if value is None:
            return None
        encrypted = rules.encrypted(path)
        if encrypted:
            if not isinstance(value, str):
                raise IntegrityError(f"expected an encrypted value as string at {'.'.join(path)}")
            plain, hashed = _decrypt_value(value, key, ":".join(path) + ":")
        else:
            plain, hashed = value, to_bytes(value)
        if not rules.mac_only_encrypted or encrypted:
            digest.update(hashed)
        return plain

    plain_tree = walk(tree, [])
    return plain_tree, digest.hexdigest().upper()


def rfc3339(lastmodified: Any) -> str:
    """Go's time.Format(time.RFC3339) of the stored lastmodified (whole seconds, Z for UTC)."""
    if isinstance(lastmodified, datetime):
        moment = lastmodified
    else:
        moment = datetime.fromisoformat(str(lastmodified).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    text = moment.replace(microsecond=0).isoformat()
    return text.replace("+00:00", "Z")


def check_mac(stored: str, computed: str, key: bytes, lastmodified: Any) -> None:
    original, _ = _decrypt_value(stored, key, rfc3339(lastmodified))
    if original != computed:
        raise IntegrityError("Failed to verify data integrity: the MAC does not match the values")
