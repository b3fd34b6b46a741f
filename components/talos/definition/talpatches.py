"""talhelper's patch pipeline and templated labels, around the generic patch engine.

talhelper pkg/patcher/patcher.go PatchesPatcher: an ``@file`` patch is SOPS-decrypted (as YAML), rendered as a
Go template against the config being patched, then substituted (comments stripped, restricted envsubst); an
inline patch was substituted with the whole talconfig.yaml already and is only rendered. Node patches and
global patches are two passes (pkg/generate/config.go), so global patches see the node patches' result.
pkg/talos/nodeconfig.go templateConfig: ``nodeLabels``/``nodeAnnotations`` values holding a template are
rendered against the config carrying the other (plain) values.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..documents import decode, is_legacy
from ..errors import ConfigError, PatchError
from ..patching import Patch, load_patches
from ..sops import SopsError, decrypt_text, is_encrypted
from .contents import file_content
from .envsubst import SubstitutionError, substitute
from .model import NodeDefinition
from .template_functions import TemplateError
from .templating import is_template, render

Document = dict[str, Any]
TEMPLATED_MAPS = ("nodeLabels", "nodeAnnotations")
# Data, not config structure: a "{{" there is the user's own text (a file, a manifest), never a talhelper template.
_CONTENT_KEYS = ("content", "contents")


def _config_of(documents: list[Document]) -> Document:
    return next((doc for doc in documents if is_legacy(doc)), {})


def _transform(documents: list[Document], environ: Mapping[str, str], revealed: list[str] | None,
               labels: Mapping[str, str]) -> Callable[[str, str, bool], str]:
    config = _config_of(documents)

    def transform(text: str, source: str, from_file: bool) -> str:
        try:
            if from_file and is_encrypted(text, "yaml"):
                # talhelper reads a patch that does not parse as YAML (a template) as it is.
                text = decrypt_text(text, source, "yaml", environ=environ, path=source, revealed=revealed)
            text = render(text, config, source, labels=labels)
            return substitute(text, source, environ) if from_file and text.strip() else text
        except (TemplateError, SubstitutionError) as error:
            raise PatchError(f"{source}: {error}".replace(f"{source}: {source}: ", f"{source}: ")) from None

    return transform


def talhelper_patches(references: list[str], base_dir: Path, label: str, documents: list[Document],
                      environ: Mapping[str, str], revealed: list[str] | None = None,
                      labels: Mapping[str, str] | None = None) -> list[Patch]:
    """``revealed`` collects the plaintext of SOPS-encrypted patches' values (secrets to mask); ``labels``
    are the definition's secret_labels, which templates may not give to a function."""
    return load_patches(references, base_dir, label=label,
                        transform=_transform(documents, environ, revealed, labels or {}))


def without_templated_fields(node: NodeDefinition) -> NodeDefinition:
    """The node with templated label/annotation values left out (they are rendered after the field patch)."""
    values = dict(node.values)
    for name in TEMPLATED_MAPS:
        if isinstance(values.get(name), dict):
            values[name] = {k: v for k, v in values[name].items() if not (isinstance(v, str) and is_template(v))}
    return dataclasses.replace(node, values=values)


def templated_fields(node: NodeDefinition, documents: list[Document],
                     labels: Mapping[str, str] | None = None) -> list[Document]:
    """A strategic patch with the rendered templated label/annotation values (empty when there are none)."""
    config = _config_of(documents)
    machine: dict[str, Any] = {}
    for name in TEMPLATED_MAPS:
        values = node.values.get(name)
        if not isinstance(values, dict):
            continue
        rendered = {}
        for key, value in values.items():
            if isinstance(value, str) and is_template(value):
                where = f"nodes[{node.index}] ({node.hostname}).{name}.{key}"
                try:
                    rendered[key] = render(value, config, where, labels=labels)
                except TemplateError as error:
                    raise PatchError(str(error)) from None
        if rendered:
            machine[name] = rendered
    return [{"machine": machine}] if machine else []


def refuse_templates(documents: list[Document], where: str) -> None:
    """Never a literal ``{{`` in a rendered config: a template outside patches and labels is refused by name."""

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key not in _CONTENT_KEYS:
                    walk(item, f"{path}.{key}" if path else str(key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{path}[{index}]")
        elif isinstance(value, str) and "{{" in value:
            raise PatchError(f"{where}: {path} holds a Go template ('{{{{'); talhelper renders templates only in "
                             "patches, nodeLabels and nodeAnnotations")

    for document in documents:
        walk(document, str(document.get("kind") or ""))


def extra_manifest_documents(references: list[str], base_dir: Path, documents: list[Document], where: str,
                             environ: Mapping[str, str], revealed: list[str] | None = None,
                             labels: Mapping[str, str] | None = None) -> list[Document]:
    """A node's ``extraManifests``: documents appended to its config after the patches.

    talhelper pkg/generate/config.go combineExtraManifests: each file is read by getFileContentByte, which
    SOPS-decrypts it (DecryptFileWithSops), and rendered as a Go template against the patched config; no
    ``${VAR}`` substitution. A missing file is refused by name (talhelper appends nothing for it).
    ``revealed`` collects the plaintext of SOPS-encrypted values (secrets to mask).
    """
    config = _config_of(documents)
    appended: list[Document] = []
    for index, reference in enumerate(references):
        field = f"{where}.extraManifests[{index}]"
        source = f"{field} ({reference})"
        try:  # the one @file reader (contents.py), without substitution
            text = file_content(f"@{reference.removeprefix('@')}", base_dir, environ, envsubst=False,
                                revealed=revealed)
            text = render(text, config, source, labels=labels)
        except TemplateError as error:
            raise ConfigError(str(error)) from None  # not a patch: refused as the file it is
        except (ConfigError, SopsError) as error:
            raise ConfigError(f"{field}: {error}") from None
        appended += decode(text, source)
    return appended
