"""Image Factory schematic IDs computed offline, and the URLs built from them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components.talos import yamlio
from components.talos.cli import main
from components.talos.errors import ConfigError
from components.talos.imagefactory import VANILLA_SCHEMATIC_ID, FactoryImage, schematic_id

from .conftest import shared_path, talos


def _vectors() -> list[dict[str, str]]:
    return json.loads(shared_path("image-factory-schematic-vectors.json").read_text())  # type: ignore[no-any-return]


def test_schematic_ids_match_every_image_factory_vector() -> None:
    for vector in _vectors():
        assert schematic_id(yamlio.load(vector["canonical_yaml"])) == vector["id"], vector["name"]


def test_schematic_id_command_prints_the_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for index, vector in enumerate(_vectors()):
        path = tmp_path / f"s{index}.yaml"
        # the factory re-marshals its input: 2-space YAML and JSON give the same ID
        path.write_text(json.dumps(yamlio.load(vector["canonical_yaml"])))
        assert main(["schematic", "id", str(path)]) == 0  # the command, in this process: one startup, not 12
        assert capsys.readouterr().out.strip() == vector["id"], vector["name"]
    result = talos("schematic", "id", str(tmp_path / "s0.yaml"))  # and once as its own process
    assert result.stdout.strip() == _vectors()[0]["id"], result.stderr


@pytest.mark.parametrize("schematic", [None, {}, {"customization": {}}, {"customization": {"extraKernelArgs": []}}])
def test_empty_schematics_all_have_the_vanilla_id(schematic) -> None:
    assert schematic_id(schematic) == VANILLA_SCHEMATIC_ID


def test_extension_order_changes_the_id() -> None:
    a = {"customization": {"systemExtensions": {"officialExtensions": ["siderolabs/a", "siderolabs/b"]}}}
    b = {"customization": {"systemExtensions": {"officialExtensions": ["siderolabs/b", "siderolabs/a"]}}}
    assert schematic_id(a) != schematic_id(b)


def test_unknown_schematic_fields_are_refused_with_the_valid_names() -> None:
    with pytest.raises(ConfigError, match=r"unknown schematic field 'customization\.systemExtension'"):
        schematic_id({"customization": {"systemExtension": {}}}, "talconfig.yaml")


def test_urls_for_iso_disk_image_and_installer() -> None:
    image = FactoryImage(VANILLA_SCHEMATIC_ID, "v1.13.9", platform="nocloud")
    base = f"https://factory.talos.dev/image/{VANILLA_SCHEMATIC_ID}/v1.13.9"
    assert image.iso_url == f"{base}/nocloud-amd64.iso"
    assert image.disk_image_url() == f"{base}/nocloud-amd64.raw.xz"
    assert FactoryImage(VANILLA_SCHEMATIC_ID, "v1.13.9").disk_image_url() == f"{base}/metal-amd64.raw.zst"
    assert FactoryImage(VANILLA_SCHEMATIC_ID, "v1.9.6").disk_image_url().endswith("metal-amd64.raw.xz")
    assert FactoryImage("abc", "v1.13.9", platform="vultr").iso_url.endswith("/abc/v1.13.9/vultr-amd64.iso")
    assert FactoryImage("abc", "v1.6.8", platform="vultr").uncompressed_disk_image_url.endswith(
        "/abc/v1.6.8/vultr-amd64.raw")  # Vultr imports raw images only
    assert image.installer_image == f"factory.talos.dev/nocloud-installer/{VANILLA_SCHEMATIC_ID}:v1.13.9"


def test_talosctl_s_default_installer_is_ghcr_s_up_to_v1_13_and_the_image_factory_s_from_v1_14() -> None:
    from components.talos.cli.upgrade import DEFAULT_IMAGE
    from components.talos.imagefactory import VANILLA_SCHEMATIC_ID, default_installer_image
    from components.talos.versions import DEFAULT_TALOS_VERSION

    assert default_installer_image("v1.13.9") == "ghcr.io/siderolabs/installer:v1.13.9"
    assert default_installer_image("v1.14.0") == f"factory.talos.dev/metal-installer/{VANILLA_SCHEMATIC_ID}:v1.14.0"
    assert default_installer_image(DEFAULT_TALOS_VERSION) == DEFAULT_IMAGE
