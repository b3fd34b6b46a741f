"""Talos Image Factory: schematic IDs computed offline, and the image/installer references.

ID = hex(sha256(canonical YAML)), the canonical YAML being go-yaml's 4-space Marshal of the
schematic struct (image-factory pkg/schematic). Formatting and empty fields of the input do not
matter; list order does.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from . import yamlio
from .errors import ConfigError
from .versions import parse_contract

FACTORY = "factory.talos.dev"
VANILLA_SCHEMATIC_ID = "376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba"
LEGACY_INSTALLER_REPOSITORY = "ghcr.io/siderolabs/installer"  # published up to Talos v1.13

# Field order of the schematic structs; `customization` is the only field without omitempty.
_CUSTOMIZATION_FIELDS = ("embeddedMachineConfiguration", "extraKernelArgs", "meta", "systemExtensions",
                         "bootloader", "secureboot", "diskImage")
_KNOWN = {
    "": ("owner", "overlay", "customization"),
    "overlay": ("image", "name", "options"),
    "customization": _CUSTOMIZATION_FIELDS,
    "customization.meta": ("key", "value"),
    "customization.systemExtensions": ("officialExtensions",),
    "customization.secureboot": ("enrollKeys", "includeWellKnownCertificates"),
    "customization.diskImage": ("sectorSize",),
}
_FREE_FORM = {"overlay.options"}


def _canonical(value: Any, path: str, source: str) -> Any:
    if path in _FREE_FORM:
        return value
    if isinstance(value, list):
        return [_canonical(item, path, source) for item in value]
    if not isinstance(value, dict):
        return value
    fields = _KNOWN.get(path)
    if fields is None:
        raise ConfigError(f"{source}: {path or 'schematic'} must not be a mapping")
    unknown = [key for key in value if key not in fields]
    if unknown:
        where = f"{path}.{unknown[0]}" if path else unknown[0]
        raise ConfigError(f"{source}: unknown schematic field {where!r}; expected one of {', '.join(fields)}")
    result: dict[str, Any] = {}
    for field in fields:
        child = value.get(field)
        if path == "" and field == "customization" and child is None:
            child = {}
        if child in (None, "", [], {}, False, 0) and not (path == "" and field == "customization"):
            continue
        child_path = f"{path}.{field}" if path else field
        result[field] = _canonical(child, child_path, source)
    if path == "":
        result.setdefault("customization", {})
        # owner and overlay come before customization in struct order
        result = {key: result[key] for key in fields if key in result}
    return result


def canonical_schematic(schematic: dict[str, Any] | None, source: str = "schematic") -> str:
    """The YAML the factory hashes: unmarshalled into its struct, then re-marshalled."""
    if schematic is not None and not isinstance(schematic, dict):
        raise ConfigError(f"{source}: a schematic is a mapping (customization, overlay)")
    data = _canonical(schematic or {}, "", source)
    meta = data.get("customization", {}).get("meta")
    for index, item in enumerate(meta or []):
        key = item.get("key") if isinstance(item, dict) else None
        try:
            item["key"] = int(key, 0) if isinstance(key, str) else int(key)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ConfigError(f"{source}: customization.meta[{index}].key {key!r}: expected an integer 0-255") from None
    return yamlio.dump(data)


def schematic_id(schematic: dict[str, Any] | None, source: str = "schematic") -> str:
    return hashlib.sha256(canonical_schematic(schematic, source).encode()).hexdigest()


@dataclass(frozen=True)
class FactoryImage:
    """References for one schematic, Talos version, platform and architecture."""

    schematic_id: str
    talos_version: str
    platform: str = "metal"
    arch: str = "amd64"
    secureboot: bool = False

    def _base(self) -> str:
        return f"https://{FACTORY}/image/{self.schematic_id}/{self.talos_version}"

    @property
    def iso_url(self) -> str:
        suffix = "-secureboot" if self.secureboot else ""
        return f"{self._base()}/{self.platform}-{self.arch}{suffix}.iso"

    def disk_image_url(self, compression: str | None = None) -> str:
        """Raw disk image; metal is ``raw.zst`` from v1.10 (``raw.xz`` before), other platforms ``raw.xz``."""
        if compression is None:
            minor = int(self.talos_version.lstrip("v").split(".")[1])
            compression = "zst" if self.platform == "metal" and minor >= 10 else "xz"
        return f"{self._base()}/{self.platform}-{self.arch}.raw.{compression}"

    @property
    def uncompressed_disk_image_url(self) -> str:
        """The raw disk image without compression (image-factory internal/profile/profile.go ParseFromPath: a path
        without .xz/.zst/.gz/.tar is served raw), for importers that take raw images only, such as Vultr's."""
        return f"{self._base()}/{self.platform}-{self.arch}.raw"

    @property
    def installer_image(self) -> str:
        """Platform-specific installer (the factory's and talhelper's current default)."""
        suffix = "-secureboot" if self.secureboot else ""
        return f"{FACTORY}/{self.platform}-installer{suffix}/{self.schematic_id}:{self.talos_version}"

    @property
    def legacy_installer_image(self) -> str:
        suffix = "-secureboot" if self.secureboot else ""
        return f"{FACTORY}/installer{suffix}/{self.schematic_id}:{self.talos_version}"

    @property
    def pxe_url(self) -> str:
        return f"https://pxe.{FACTORY}/pxe/{self.schematic_id}/{self.talos_version}/{self.platform}-{self.arch}"


def default_installer_image(talos_version: str) -> str:
    """talosctl's default installer for its release (``gen config --install-image``, ``upgrade --image``).

    Up to v1.13 it is ``ghcr.io/siderolabs/installer:<tag>`` (cmd/talosctl/cmd/mgmt/gen/config.go and
    cmd/talosctl/cmd/talos/upgrade.go at v1.13.9); from v1.14 that image is no longer published and talosctl
    defaults to the Image Factory's metal installer of the empty schematic (pkg/images/images.go
    InstallerImageRepository("metal") and DefaultInstallerImageSchematic at v1.14.0-rc.1).
    """
    if parse_contract(talos_version, "talosVersion").multidoc_kubernetes:  # v1.14+
        return FactoryImage(VANILLA_SCHEMATIC_ID, talos_version).installer_image
    return f"{LEGACY_INSTALLER_REPOSITORY}:{talos_version}"
