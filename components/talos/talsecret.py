"""talhelper's secrets file (``talsecret.yaml`` / ``talsecret.sops.yaml``): found, decrypted, never regenerated.

cmd/genconfig.go: of the ``--secret-file`` names (default below), the last one that exists is used;
pkg/talos/input.go NewClusterInput reads it with DecryptYamlWithSops and refuses an empty file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from .errors import SecretsError
from .secrets import SecretsBundle
from .sops import decrypt_file, decrypt_text

DEFAULT_SECRET_FILES = ("talsecret.yaml", "talsecret.sops.yaml", "talsecret.yml", "talsecret.sops.yml")


def find_secret_file(candidates: Sequence[str | Path] = DEFAULT_SECRET_FILES) -> Path | None:
    found = None
    for candidate in candidates:
        if Path(candidate).exists():
            found = Path(candidate)
    return found


def read_talsecret(path: str | Path, environ: Mapping[str, str] | None = None) -> str:
    """The plaintext of a secrets file, SOPS-encrypted or not (the result is secret)."""
    text = decrypt_file(path, "yaml", environ=environ)
    if text.strip() == "":
        raise SecretsError(f"secret file {path} is empty")
    return text


def talsecret_text(text: str, source: str, environ: Mapping[str, str] | None = None) -> str:
    """The same for a secrets file's content held elsewhere (a stack's secret config value)."""
    return decrypt_text(text, source, "yaml", environ=environ)


def load_talsecret(path: str | Path, environ: Mapping[str, str] | None = None) -> SecretsBundle:
    return SecretsBundle.from_yaml(read_talsecret(path, environ), str(path))
