"""Files a definition names, read as talhelper reads them: the one reader of ``@file`` contents.

``machineFiles[].content`` and ``inlineManifests[].contents`` (talhelper pkg/config/loader.go, at load, before
anything is rendered; pkg/substitute/contentsubst.go SubstituteFileContent): a value starting with ``@`` is the
path of a file (relative to the definition, pkg/substitute/pathsubst.go), SOPS-decrypted by its extension when
encrypted (no key: an error, never the ciphertext), then substituted like the definition unless the entry sets
``skipEnvsubst: true``. ``extraManifests`` files are read as they are (pkg/generate/config.go
combineExtraManifests: no SOPS, no substitution).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import ConfigError, TalosError
from ..sops import decrypt_file
from .envsubst import SubstitutionError, substitute


def _path(name: str, base_dir: Path) -> Path:
    path = Path(name)
    return path if path.is_absolute() else base_dir / path


def file_content(value: str, base_dir: Path, environ: Mapping[str, str], envsubst: bool,
                 revealed: list[str] | None = None) -> str:
    """The content ``value`` stands for: itself, or the named file's (decrypted, substituted) text.
    ``revealed`` collects the plaintext of SOPS-encrypted values (secrets to mask)."""
    if not value.startswith("@"):
        return value
    path = _path(value[1:], base_dir)
    if not path.exists():
        raise ConfigError(f"file {path} does not exist")
    text = decrypt_file(path, environ=environ, revealed=revealed)
    if not envsubst:
        return text
    try:
        return substitute(text, str(path), environ)
    except SubstitutionError as error:
        raise ConfigError(f"{path}: {error}") from None


def resolve_contents(entries: list[Any], key: str, base_dir: Path, environ: Mapping[str, str],
                     field: str) -> list[Any]:
    """Entries with ``@file`` values of ``key`` read and talhelper's own ``skipEnvsubst`` key removed."""
    resolved: list[Any] = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            resolved.append(entry)
            continue
        entry = dict(entry)
        skip = entry.pop("skipEnvsubst", False)
        if isinstance(entry.get(key), str):
            try:
                entry[key] = file_content(entry[key], base_dir, environ, not skip)
            except TalosError as error:
                raise ConfigError(f"{field}[{index}].{key}: {error}") from None
        resolved.append(entry)
    return resolved


def machine_files(entries: list[Any], base_dir: Path, environ: Mapping[str, str]) -> list[Any]:
    """machineFiles (talhelper loader.go: node.MachineFiles[].content)."""
    return resolve_contents(entries, "content", base_dir, environ, "machineFiles")


def inline_manifests(entries: list[Any], base_dir: Path, environ: Mapping[str, str]) -> list[Any]:
    """inlineManifests (talhelper loader.go: cfg.ClusterInlineManifests[].contents)."""
    return resolve_contents(entries, "contents", base_dir, environ, "inlineManifests")
