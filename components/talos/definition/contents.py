"""``@file`` contents in a definition (``machineFiles[].content``, ``inlineManifests[].contents``), read as
talhelper reads them.

talhelper pkg/substitute/contentsubst.go SubstituteFileContent: a value starting with ``@`` is the path of a
file (relative to the definition, pkg/substitute/pathsubst.go), SOPS-decrypted by its extension when
encrypted, then substituted like the definition unless the entry sets ``skipEnvsubst: true``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import ConfigError, TalosError
from ..sops import decrypt_file
from .envsubst import SubstitutionError, substitute


def file_content(value: str, base_dir: Path, environ: Mapping[str, str], envsubst: bool) -> str:
    """The content ``value`` stands for: itself, or the named file's (decrypted, substituted) text."""
    if not value.startswith("@"):
        return value
    path = Path(value[1:])
    if not path.is_absolute():
        path = base_dir / path
    if not path.exists():
        raise ConfigError(f"file {path} does not exist")
    text = decrypt_file(path, environ=environ)
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
