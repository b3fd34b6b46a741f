"""A machine config with every key, token, certificate and password replaced by a mask, so a preview can
show which paths change on which node without showing a secret (it is safe in plain-text state)."""

from __future__ import annotations

from typing import Any

from .documents import decode, encode

MASK = "******"
# Field names (lower-cased) whose string values are secret anywhere in a machine config.
SECRET_FIELDS = frozenset({
    "aescbcencryptionsecret", "auth", "bootstraptoken", "cert", "clustersecret", "crt", "identitytoken", "key",
    "passphrase", "password", "presharedkey", "privatekey", "secret", "secretboxencryptionsecret", "token",
})
# PEM, raw or base64-encoded ("-----BEGIN" → "LS0tLS1CRUdJTi"), is masked wherever it appears.
_PEM_PREFIXES = ("-----BEGIN", "LS0tLS1CRUdJT")


def _masked(value: Any, field: str = "") -> Any:
    if isinstance(value, dict):
        return {name: _masked(item, str(name)) for name, item in value.items()}
    if isinstance(value, list):
        return [_masked(item, field) for item in value]
    if isinstance(value, str) and value and (field.lower() in SECRET_FIELDS or value.startswith(_PEM_PREFIXES)):
        return MASK
    return value


def masked_documents(config: str | bytes, source: str = "machine config") -> list[dict[str, Any]]:
    """The config's documents, secrets masked, in their order."""
    return [_masked(document) for document in decode(config, source)]


def masked_config(config: str | bytes, source: str = "machine config") -> str:
    """The config as YAML with secrets masked: one string per node keeps previews cheap and diffable."""
    return encode(masked_documents(config, source))
