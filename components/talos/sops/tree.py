"""Decrypting a SOPS tree and recomputing its MAC, as getsops/sops does, in a safer order.

sops.go Tree.Decrypt: every leaf, in file order, is decrypted with AES-256-GCM (aes/cipher.go: 32-byte
nonce, additional data = the mapping keys of its path joined by ``:`` plus a trailing ``:``; list items add
no path element) unless its path is excluded by unencrypted_suffix / encrypted_suffix / *_regex
(shouldBeEncrypted). The MAC is SHA-512 over every leaf's ToBytes, or over the encrypted leaves only,
after a fixed prefix, with mac_only_encrypted; nil leaves and comments are skipped. decrypt/decrypt.go
then compares it with the stored ``mac``, decrypted with additional data = lastmodified as RFC 3339.

The ``type:`` tag of a value is outside GCM's authentication. sops converts each value by its tag
(aes/cipher.go Decrypt: strconv.Atoi, ParseFloat, ParseBool) before it checks the MAC, and its errors
quote the plaintext (``strconv.Atoi: parsing "<secret>"``). Here nothing is converted before the MAC
matches: each value's MAC bytes are derived from its text by pattern checks that raise nothing, a value
that cannot be what its tag says is a tampered file (aes/cipher.go Encrypt only ever writes canonical
text: strconv.Itoa, FormatFloat 'f' -1, "True"/"False", MarshalText), and errors name a key path, never
a value.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ..errors import shorten

# sops.go MACOnlyEncryptedInitialization: sha256("sops").
_MAC_ONLY_ENCRYPTED_PREFIX = hashlib.sha256(b"sops").digest()
# aes/cipher.go encre, with the base64 groups unable to hold a comma so matching stays linear (Go's RE2
# is; Python's backtracking engine on `(.+),iv:(.+),tag:(.+)` is not); base64 has no comma either way.
_VALUE = re.compile(r"^ENC\[AES256_GCM,data:([^,]+),iv:([^,]+),tag:([^,]+),type:(.+)\]")
_GO_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})  # strconv.ParseBool
_GO_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})
_GO_INT = re.compile(r"[+-]?[0-9]{1,19}")  # strconv.Atoi on 64-bit: base 10, optional sign
_GO_INT_RANGE = (-(2 ** 63), 2 ** 63 - 1)
# strconv.ParseFloat's decimal forms and its special names (hex floats never come out of FormatFloat 'f').
_GO_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]{1,4})?")
_GO_FLOAT_NAMES = {"inf": math.inf, "+inf": math.inf, "-inf": -math.inf, "infinity": math.inf,
                   "+infinity": math.inf, "-infinity": -math.inf, "nan": math.nan}
_MAX_FLOAT_TEXT = 1100  # FormatFloat 'f' of the smallest subnormal is 1076 characters
_RFC3339 = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?"
                      r"(?:Z|[+-][0-9]{2}:[0-9]{2})")


class IntegrityError(Exception):
    """A value or the MAC does not authenticate: a wrong key or a tampered file. Never holds a value."""


class RuleError(ValueError):
    """A file's ``sops.*_regex`` that Go's regexp does not compile; names the field, not the pattern."""


def go_regexp(pattern: str, field: str) -> Callable[[str], bool]:
    """A matcher for a ``sops.*_regex`` as sops runs it: Go's regexp (getsops/sops sops.go regexp.Match), RE2
    syntax, in time linear in the key whatever the pattern. Python's ``re`` backtracks: a hostile file's
    ``^(a+)+$`` took 3.8 s on a 27-character key. Go ignores a pattern it cannot compile (no key matches then);
    sops never writes one, so it is refused here by name."""
    # google-re2, the C++ RE2 that Go's regexp reimplements (no type stubs); imported only for a file with a rule
    import re2  # type: ignore[import-untyped]

    options = re2.Options()
    options.log_errors = False  # RE2 would print the pattern on stderr
    try:
        compiled = re2.compile(pattern, options)
    except re2.error:
        raise RuleError(f"sops.{field} is not a regular expression Go's regexp accepts (RE2 syntax)") from None
    return lambda key: compiled.search(key) is not None


@dataclass
class Rules:
    unencrypted_suffix: str = ""
    encrypted_suffix: str = ""
    unencrypted_regex: str = ""
    encrypted_regex: str = ""
    mac_only_encrypted: bool = False

    def __post_init__(self) -> None:
        """Patterns are compiled before any value is decrypted (RuleError)."""
        self._unencrypted = go_regexp(self.unencrypted_regex, "unencrypted_regex") if self.unencrypted_regex else None
        self._encrypted = go_regexp(self.encrypted_regex, "encrypted_regex") if self.encrypted_regex else None

    def encrypted(self, path: list[str]) -> bool:
        """sops.go Tree.Decrypt's choice for a value at ``path``: every rule in this order, the last one set wins."""
        result = True
        if self.unencrypted_suffix and any(p.endswith(self.unencrypted_suffix) for p in path):
            result = False
        if self.encrypted_suffix:
            result = any(p.endswith(self.encrypted_suffix) for p in path)
        if self._unencrypted is not None and any(self._unencrypted(p) for p in path):
            result = False
        if self._encrypted is not None:
            result = any(self._encrypted(p) for p in path)
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
    """sops.go ToBytes, for values that were never encrypted (they come from the file's own YAML/JSON)."""
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


# Each reader returns the typed value, or None when the text cannot be what the tag says. They run on
# text a pattern has already bounded, so no conversion can raise with the plaintext in its message.
def _read_int(text: str) -> int | None:
    if _GO_INT.fullmatch(text) is None:
        return None
    value = int(text)
    return value if _GO_INT_RANGE[0] <= value <= _GO_INT_RANGE[1] else None


def _read_float(text: str) -> float | None:
    if text.lower() in _GO_FLOAT_NAMES:
        return _GO_FLOAT_NAMES[text.lower()]
    if len(text) > _MAX_FLOAT_TEXT or _GO_FLOAT.fullmatch(text) is None:
        return None
    return float(text)


def _read_bool(text: str) -> bool | None:
    return True if text in _GO_TRUE else False if text in _GO_FALSE else None


def _read_time(text: str) -> str | None:
    return text if _RFC3339.fullmatch(text) else None


_READERS: dict[str, Callable[[str], Any]] = {
    "str": lambda text: text, "int": _read_int, "float": _read_float, "bool": _read_bool, "time": _read_time,
}


def _mac_bytes(kind: str, value: Any, plain: bytes) -> bytes:
    """What sops.go ToBytes gives for the value aes/cipher.go Decrypt would return."""
    if kind in ("str", "bytes", "time"):
        return plain  # time: MarshalText of what UnmarshalText read, the text sops wrote
    return to_bytes(value)


def _open(ciphertext: str, key: bytes, additional_data: str) -> tuple[str, bytes]:
    """aes/cipher.go parse + Decrypt without the conversion: the type tag and the authenticated bytes."""
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
    return match.group(4), plain


@dataclass
class _Leaf:
    """An encrypted value, authenticated by GCM but not yet by the MAC."""

    kind: str
    plain: bytes
    value: Any


def _decrypt_leaf(ciphertext: str, key: bytes, path: list[str]) -> _Leaf:
    kind, plain = _open(ciphertext, key, ":".join(path) + ":")
    where = ".".join(path) or "(root)"
    if kind == "bytes":  # a tree of text is what every store here writes back out
        return _Leaf(kind, plain, plain.decode("utf-8", errors="replace"))
    reader = _READERS.get(kind)
    if reader is None:
        raise IntegrityError(f"unknown datatype {shorten(kind, 20)!r} at {shorten(where)}")
    text = plain.decode("utf-8", errors="surrogateescape")
    value = reader(text)
    if value is None:
        # aes/cipher.go Encrypt writes every type's canonical text: this tag was changed after encryption
        raise IntegrityError(f"Failed to verify data integrity (MAC mismatch): the value at {shorten(where)} "
                             f"does not read as its type tag {kind!r} says (the tag was changed after encryption)")
    return _Leaf(kind, plain, value)


def decrypt_tree(tree: dict[str, Any], key: bytes, rules: Rules) -> tuple[dict[str, Any], str, list[Any]]:
    """The plaintext tree, its MAC (upper-case hex, as sops formats it) and the decrypted leaf values.

    Check the MAC (check_mac) before using the tree: until then a value's type is only its tag's claim.
    """
    digest = hashlib.sha512()
    if rules.mac_only_encrypted:
        digest.update(_MAC_ONLY_ENCRYPTED_PREFIX)
    revealed: list[Any] = []

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
                raise IntegrityError(f"expected an encrypted value as string at {shorten('.'.join(path))}")
            if value == "":
                plain: Any = ""  # aes/cipher.go isEmpty: an empty value is stored as is
                hashed = b""
            else:
                leaf = _decrypt_leaf(value, key, path)
                plain, hashed = leaf.value, _mac_bytes(leaf.kind, leaf.value, leaf.plain)
                revealed.append(plain)
        else:
            plain, hashed = value, to_bytes(value)
        if not rules.mac_only_encrypted or encrypted:
            digest.update(hashed)
        return plain

    plain_tree = walk(tree, [])
    return plain_tree, digest.hexdigest().upper(), revealed


def rfc3339(lastmodified: Any) -> str:
    """Go's time.Format(time.RFC3339) of the stored lastmodified (whole seconds, Z for UTC)."""
    if isinstance(lastmodified, datetime):
        moment = lastmodified
    else:
        try:
            moment = datetime.fromisoformat(str(lastmodified).replace("Z", "+00:00"))
        except ValueError:
            raise IntegrityError("sops.lastmodified is not an RFC 3339 time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    text = moment.replace(microsecond=0).isoformat()
    return text.replace("+00:00", "Z")


def check_mac(stored: str, computed: str, key: bytes, lastmodified: Any) -> None:
    """decrypt/decrypt.go: the stored MAC (a str value, additional data lastmodified) equals the computed one.
    Neither MAC is printed: the computed one is a hash of every plaintext."""
    kind, original = _open(stored, key, rfc3339(lastmodified))
    if kind != "str" or original != computed.encode():
        raise IntegrityError("Failed to verify data integrity (MAC mismatch): the values do not match the "
                             "file's MAC (the file was changed after encryption, or sops.mac was)")
