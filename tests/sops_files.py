"""SOPS files laid out as sops writes them (sops.go Tree.Encrypt, aes/cipher.go Encrypt), for any age identity,
and the ways an attacker (or a careless edit) changes them afterwards."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from typing import Any

import pyrage
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from components.talos import yamlio
from components.talos.sops.tree import to_bytes

LASTMODIFIED = "2026-01-02T03:04:05Z"


def new_identity() -> pyrage.x25519.Identity:
    return pyrage.x25519.Identity.generate()


def encrypt_like_sops(tree: dict[str, Any], identity: pyrage.x25519.Identity | None = None, suffix: str = "",
                      mac_only_encrypted: bool = False, ssh_public_key: str = "", as_json: bool = False,
                      encrypted_regex: str = "") -> str:
    """``tree`` encrypted for ``identity`` (or an SSH recipient); leaves under a key ending in ``suffix`` stay
    plain (unencrypted_suffix); with ``encrypted_regex`` only leaves under a key it matches are encrypted
    (a benign pattern: Python's ``re`` decides here)."""
    key = os.urandom(32)
    digest = hashlib.sha512(hashlib.sha256(b"sops").digest() if mac_only_encrypted else b"")

    def seal(plain: bytes, aad: str, kind: str) -> str:
        iv = os.urandom(32)  # aes/cipher.go: a 32-byte nonce
        sealed = AESGCM(key).encrypt(iv, plain, aad.encode())
        parts = (base64.b64encode(sealed[:-16]), base64.b64encode(iv), base64.b64encode(sealed[-16:]))
        return "ENC[AES256_GCM,data:{},iv:{},tag:{},type:{}]".format(*(p.decode() for p in parts), kind)

    def walk(value: Any, path: list[str]) -> Any:
        if isinstance(value, dict):
            return {k: walk(v, [*path, k]) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, path) for v in value]
        encrypted = not (suffix and any(p.endswith(suffix) for p in path))
        if encrypted_regex:
            encrypted = any(re.search(encrypted_regex, p) for p in path)
        if encrypted or not mac_only_encrypted:
            digest.update(to_bytes(value))
        if not encrypted:
            return value
        kind = {bool: "bool", int: "int", float: "float"}.get(type(value), "str")
        return seal(to_bytes(value), ":".join(path) + ":", kind)

    encrypted_tree = walk(tree, [])
    identity = identity or new_identity()
    recipient = ssh_public_key or str(identity.to_public())
    stanza = pyrage.encrypt(key, [pyrage.ssh.Recipient.from_str(ssh_public_key) if ssh_public_key
                                  else identity.to_public()])
    encoded = base64.b64encode(stanza).decode()
    armored = ("-----BEGIN AGE ENCRYPTED FILE-----\n" + "\n".join(encoded[i:i + 64] for i in range(0, len(encoded), 64))
               + "\n-----END AGE ENCRYPTED FILE-----\n")
    metadata: dict[str, Any] = {
        "age": [{"recipient": recipient, "enc": armored}], "lastmodified": LASTMODIFIED,
        "mac": seal(digest.hexdigest().upper().encode(), LASTMODIFIED, "str"), "version": "3.11.0"}
    if suffix:
        metadata["unencrypted_suffix"] = suffix
    if encrypted_regex:
        metadata["encrypted_regex"] = encrypted_regex
    if mac_only_encrypted:
        metadata["mac_only_encrypted"] = True
    document = {**encrypted_tree, "sops": metadata}
    return json.dumps(document) if as_json else yamlio.dump(document)


def environ_for(identity: pyrage.x25519.Identity) -> dict[str, str]:
    return {"HOME": "/nonexistent", "SOPS_AGE_KEY": str(identity)}


def retag(text: str, path: list[str], kind: str) -> str:
    """The file with the ``type:`` tag of the value at ``path`` changed: the one part GCM does not cover."""
    data = yamlio.load(text)
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = re.sub(r",type:[^\]]*\]$", f",type:{kind}]", node[path[-1]])
    return yamlio.dump(data)


def exception_text(error: BaseException) -> str:
    """Everything a traceback of ``error`` could show, its chained exceptions included, whether or not
    ``from None`` hides them from the printed traceback."""
    import traceback

    seen: list[str] = []
    current: BaseException | None = error
    while current is not None and len(seen) < 20:
        seen.append("".join(traceback.format_exception(current)))
        seen.append(repr(current.args))
        current = current.__context__ or current.__cause__
    return "\n".join(seen)
