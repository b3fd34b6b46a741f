"""A machine config with every secret replaced by a mask, so a preview can show which paths change on which
node without showing a secret (it is safe in plain-text state, previews and pull-request comments).

Three rules, any of which masks a value:
- by field name: keys, tokens, certificates, passwords, anything named *secret*, *token*, *password*, *key;
- by place: free-form content that may hold anything (file contents, environment maps, inline manifests,
  manifest headers, registry auth, extension service environments and config files);
- by value: every value the definition's author substituted or decrypted (`sensitive`), wherever it lands,
  and PEM text, raw or base64-encoded.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .documents import decode, encode

MASK = "******"
# Field names (lower-cased) whose values are secret anywhere in a machine config.
SECRET_FIELDS = frozenset({
    "aescbcencryptionsecret", "auth", "bootstraptoken", "cert", "clustersecret", "crt", "identitytoken", "key",
    "password", "privatekey", "secret", "secretboxencryptionsecret", "token", "presharedkey", "username",
})
_SECRET_PARTS = ("secret", "password", "token", "passphrase", "credential")
# Fields whose whole value (every string below them) is free-form content the renderer cannot judge.
# From Talos v1.14 inline manifests are KubeInlineManifestConfig.manifest and environments
# EnvironmentConfig.variables: the same content under new names.
CONTENT_FIELDS = frozenset({
    "content", "contents", "env", "environment", "extramanifestheaders", "configfiles", "auth", "extraconfig",
    "manifest", "variables",
})
# PEM, raw or base64-encoded ("-----BEGIN" → "LS0tLS1CRUdJTi"), is masked wherever it appears.
_PEM_PREFIXES = ("-----BEGIN", "LS0tLS1CRUdJT")
_SHORTEST_SUBSTRING = 3  # shorter substituted values are masked where they are the whole value only


def _secret_field(field: str) -> bool:
    name = field.lower()
    return name in SECRET_FIELDS or name.endswith("key") or any(part in name for part in _SECRET_PARTS)


class _Masker:
    def __init__(self, sensitive: Iterable[str]) -> None:
        values = {value for value in sensitive if value}
        self.whole = frozenset(values)
        self.parts = tuple(sorted((v for v in values if len(v) >= _SHORTEST_SUBSTRING), key=len, reverse=True))

    def string(self, value: str) -> bool:
        return value in self.whole or value.startswith(_PEM_PREFIXES) or any(part in value for part in self.parts)

    def mask(self, value: Any, field: str = "", inside_content: bool = False) -> Any:
        content = inside_content or field.lower() in CONTENT_FIELDS
        if isinstance(value, dict):
            return {name: self.mask(item, str(name), content) for name, item in value.items()}
        if isinstance(value, list):
            return [self.mask(item, field, content) for item in value]
        if isinstance(value, str):
            return MASK if value and (content or _secret_field(field) or self.string(value)) else value
        if isinstance(value, int | float) and not isinstance(value, bool) and (content or _secret_field(field)
                                                                            or str(value) in self.whole):
            return MASK
        return value


def masked_documents(config: str | bytes, source: str = "machine config",
                     sensitive: Iterable[str] = ()) -> list[dict[str, Any]]:
    """The config's documents, secrets masked, in their order."""
    masker = _Masker(sensitive)
    return [masker.mask(document) for document in decode(config, source)]


def masked_config(config: str | bytes, source: str = "machine config", sensitive: Iterable[str] = ()) -> str:
    """The config as YAML with secrets masked: one string per node keeps previews cheap and diffable."""
    return encode(masked_documents(config, source, sensitive))
