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

import base64
import binascii
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .documents import decode, encode

if TYPE_CHECKING:
    from .secrets import SecretsBundle

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
_PUBLIC_FIELDS = frozenset({"crt", "cert"})  # certificates are public (masked all the same); keys are not
_SHORTEST_SUBSTRING = 3  # shorter substituted values are masked where they are the whole value only


def _secret_field(field: str) -> bool:
    name = field.lower()
    return name in SECRET_FIELDS or name.endswith("key") or any(part in name for part in _SECRET_PARTS)


def masked_field(value: Any, field: str = "", even_empty: bool = False) -> str | None:
    """The first field at or below ``value`` (reached through ``field``) whose content the masking rules
    hide by name or by place, as a dotted path from ``field``; None when there is none. Templates use it to
    refuse copying what a preview would mask (definition/template_functions.py), with ``even_empty``: the
    definition is first rendered with empty secrets, and a template must be refused there already, by name,
    not by whatever check the empty copy happens to trip."""
    pending: list[tuple[Any, str, str]] = [(value, field, field)]
    certificate = None  # named only when nothing more secret is there: a private key says more
    while pending:
        current, name, path = pending.pop()
        hidden_here = name and (_secret_field(name) or name.lower() in CONTENT_FIELDS)
        if hidden_here and (even_empty or current not in (None, "", [], {})):
            if name.lower() not in _PUBLIC_FIELDS:
                return path
            certificate = certificate or path
            continue
        if isinstance(current, dict):
            pending.extend((item, str(key), f"{path}.{key}" if path else str(key))
                           for key, item in reversed(list(current.items())))
        elif isinstance(current, list):
            pending.extend((item, name, f"{path}[{index}]") for index, item in reversed(list(enumerate(current))))
    return certificate


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


def bundle_secret_values(bundle: SecretsBundle) -> frozenset[str]:
    """Every secret of the bundle (keys, tokens, the cluster secret, encryption secrets) as text a config
    may hold it in: the bundle's own base64 and, for keys, the PEM it decodes to. Given to masked_config as
    ``sensitive``, any of them is masked wherever it lands, inside a longer value too (Go's
    ``map[crt:… key:…]`` printing of a certificate pair holds the base64)."""
    found: set[str] = set()
    pending: list[tuple[Any, str]] = [(bundle.to_data(), "")]
    while pending:
        value, field = pending.pop()
        if isinstance(value, dict):
            pending.extend((item, str(name)) for name, item in value.items())
        elif isinstance(value, str) and value and _secret_field(field) and field.lower() not in _PUBLIC_FIELDS:
            found.add(value)
            try:
                decoded = base64.b64decode(value, validate=True).decode()
            except (binascii.Error, ValueError):
                continue
            if decoded.startswith("-----BEGIN"):
                found.add(decoded)
                found.add(decoded.strip())
    return frozenset(found)


def masked_documents(config: str | bytes, source: str = "machine config",
                     sensitive: Iterable[str] = ()) -> list[dict[str, Any]]:
    """The config's documents, secrets masked, in their order."""
    masker = _Masker(sensitive)
    return [masker.mask(document) for document in decode(config, source)]


def masked_config(config: str | bytes, source: str = "machine config", sensitive: Iterable[str] = ()) -> str:
    """The config as YAML with secrets masked: one string per node keeps previews cheap and diffable."""
    return encode(masked_documents(config, source, sensitive))


# ---------------------------------------------------------------------------------------------- errors
# An error about a definition quotes the value at fault. When that value came from the environment, a
# talenv file or a SOPS file, the error names where it came from instead (``labels``: value -> e.g.
# "${DB_PASSWORD} from talenv.sops.yaml"), since errors reach terminals, CI and PR preview logs.
_SHORTEST_PREFIX = 8  # a secret cut short by an excerpt ("abcdefgh...") is recognised from this many characters


def holds_labelled(value: Any, labels: Mapping[str, str]) -> str | None:
    """The label of a secret that ``value`` is or contains (any string within it), or None."""
    pending = [value]
    while pending:
        current = pending.pop()
        if isinstance(current, dict):
            pending.extend(current.keys())
            pending.extend(current.values())
        elif isinstance(current, list | tuple):
            pending.extend(current)
        elif isinstance(current, str | int | float) and not isinstance(current, bool):
            text = str(current)
            for secret, label in _by_length(labels):
                if text == secret or (len(secret) >= _SHORTEST_SUBSTRING and secret in text):
                    return label
    return None


def _by_length(labels: Mapping[str, str]) -> list[tuple[str, str]]:
    return sorted(((secret, label) for secret, label in labels.items() if secret), key=lambda item: -len(item[0]))


def redact(text: str, labels: Mapping[str, str]) -> str:
    """``text`` with every labelled secret in it replaced by its label: as it is, as repr() escapes it, and
    cut short by an excerpt (a prefix of at least _SHORTEST_PREFIX characters followed by "...")."""
    for secret, label in _by_length(labels):
        shown = f"<{label}>"
        for form in dict.fromkeys((secret, repr(secret)[1:-1])):
            if len(form) >= _SHORTEST_SUBSTRING:
                text = text.replace(form, shown)
            else:  # a short value is replaced only where it stands quoted on its own
                text = text.replace(f"'{form}'", shown).replace(f'"{form}"', shown)
            text = _redact_prefixes(text, form, shown)
    return text


def _redact_prefixes(text: str, secret: str, shown: str) -> str:
    if len(secret) <= _SHORTEST_PREFIX:
        return text
    start = text.find(secret[:_SHORTEST_PREFIX])
    while start >= 0:
        length = _SHORTEST_PREFIX
        while length < len(secret) and text[start + length:start + length + 1] == secret[length]:
            length += 1
        if text.startswith("...", start + length):
            text = text[:start] + shown + text[start + length + 3:]
        start = text.find(secret[:_SHORTEST_PREFIX], start + 1)
    return text
