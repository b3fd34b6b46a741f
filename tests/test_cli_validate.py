"""`validate` as talosctl has it (cmd/talosctl/cmd/mgmt/validate.go): every file `gen config` writes is valid, Talos's
own golden configs are valid as Talos says, and a refused file names each problem once with Talos's wording."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.talos.cli import main
from components.talos.validation import Mode, validate_text
from components.talos.versions import NEWEST_SUPPORTED, SUPPORTED_RANGE

from .conftest import talos

VERSIONS = [f"v1.{minor}" for minor in range(6, NEWEST_SUPPORTED.minor + 1)]


@pytest.mark.parametrize("version", VERSIONS)
def test_every_file_gen_config_writes_is_valid_for_metal_mode(version: str, tmp_path: Path,
                                                              stability_dir: Path, capsys) -> None:
    out = tmp_path / "out"
    assert main(["gen", "config", "c1", "https://192.168.1.80:6443", "--with-secrets",
                 str(stability_dir / "secrets.yaml"), "--talos-version", version, "-o", str(out)]) == 0
    for name in ("controlplane.yaml", "worker.yaml"):
        assert main(["validate", "--config", str(out / name), "--mode", "metal", "--talos-version", version]) == 0
        assert f"{out / name} is valid for metal mode" in capsys.readouterr().out


def test_gen_config_refuses_a_contract_past_the_supported_range_before_writing_anything(
        tmp_path: Path, capsys) -> None:
    """Talos's own goldens of the next contract are validated below; generating for it is refused by name."""
    out = tmp_path / "out"
    newer = f"v1.{NEWEST_SUPPORTED.minor + 1}"
    assert main(["gen", "config", "c1", "https://192.168.1.80:6443", "--talos-version", newer, "-o", str(out)]) != 0
    assert SUPPORTED_RANGE in capsys.readouterr().err
    assert not out.exists()


def _goldens(stability_dir: Path) -> list[tuple[Path, int]]:
    return [(path, int(path.parent.name.split(".")[1])) for path in sorted(stability_dir.glob("v1.*/*.yaml"))
            if int(path.parent.name.split(".")[1]) >= 6 and path.name != "patch.yaml"]


def test_talos_own_generated_configs_validate_in_cloud_mode(stability_dir: Path) -> None:
    """The stability goldens of every contract v1.6 to v1.15 (controlplane and worker, with and without options)."""
    goldens = _goldens(stability_dir)
    assert len(goldens) == 40
    for path, minor in goldens:
        problems = validate_text(path.read_bytes(), minor=minor, mode=Mode.CLOUD)
        assert [str(p) for p in problems if not p.warning] == [], path


def test_in_metal_mode_talos_refuses_the_goldens_for_the_reasons_it_states(stability_dir: Path) -> None:
    """The goldens are library calls without an install disk (README.txt); from v1.12 the override goldens combine
    install.extraKernelArgs with grubUseUKICmdline. Talos refuses both in metal mode (Config.Validate), and v1.14's
    UnattendedInstallConfig needs no .machine.install."""
    refused: dict[str, list[str]] = {}
    for path, minor in _goldens(stability_dir):
        errors = [str(p) for p in validate_text(path.read_bytes(), minor=minor, mode=Mode.METAL) if not p.warning]
        if errors:
            refused[f"{path.parent.name}/{path.name}"] = errors
    no_disk = ["v1alpha1.Config: either install disk or diskSelector should be defined"]
    grub = ["v1alpha1.Config: install.extraKernelArgs and install.grubUseUKICmdline can't be used together"]
    expected = {f"v1.{minor}/base-{role}.yaml": no_disk for minor in range(6, 14) for role in ("controlplane",
                                                                                               "worker")}
    expected |= {f"v1.{minor}/overrides-{role}.yaml": grub for minor in (12, 13) for role in ("controlplane", "worker")}
    assert refused == expected


def test_a_refused_config_prints_each_problem_once_with_the_file_and_exits_1(tmp_path: Path) -> None:
    config = tmp_path / "worker.yaml"
    config.write_text("version: v1alpha1\nmachine:\n  type: worker\n  ca: {crt: Zm9v}\n  install: {}\n"
                      "  network:\n    interfaces: [{interface: eth0, addresses: [10.3.x/24]}]\n"
                      "cluster:\n  controlPlane: {endpoint: 'https://localhost:6443/'}\n")
    result = talos("validate", "--config", str(config), "--mode", "metal", "--talos-version", "v1.14.0")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{config}: v1alpha1.Config: either install disk or diskSelector should be defined",
        f'{config}: v1alpha1.Config: [networking.os.device.addresses] "eth0": invalid CIDR address: 10.3.x/24']
    # cloud mode needs no install disk
    cloud = talos("validate", "-c", str(config), "-m", "cloud", "--talos-version", "v1.14.0")
    assert cloud.stderr.splitlines() == [
        f'{config}: v1alpha1.Config: [networking.os.device.addresses] "eth0": invalid CIDR address: 10.3.x/24']


def test_strict_makes_the_v1alpha1_warnings_errors(tmp_path: Path, capsys) -> None:
    config = tmp_path / "worker.yaml"
    config.write_text("version: v1alpha1\nmachine:\n  type: join\n  ca: {crt: Zm9v}\n"
                      "cluster:\n  controlPlane: {endpoint: 'https://localhost:6443/'}\n")
    assert main(["validate", "-c", str(config), "-m", "cloud"]) == 0
    captured = capsys.readouterr()
    assert captured.err == f'WARNING: {config}: v1alpha1.Config: use "worker" instead of "join" for machine type\n'
    assert captured.out == f"{config} is valid for cloud mode\n"
    assert main(["validate", "-c", str(config), "-m", "cloud", "--strict"]) == 1
    assert capsys.readouterr().err == (f'{config}: v1alpha1.Config: warning: use "worker" instead of "join" for '
                                       "machine type\n")


def test_the_mode_is_required_and_must_be_talos_s(tmp_path: Path, capsys) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("version: v1alpha1\nmachine: {type: worker, ca: {crt: Zm9v}}\ncluster: {}\n")
    assert main(["validate", "-c", str(config)]) == 1
    assert capsys.readouterr().err == 'error: required flag(s) "mode" not set\n'
    assert main(["validate", "-c", str(config), "-m", "docker"]) == 1
    assert capsys.readouterr().err == "error: unknown runtime mode: 'docker'\n"
    assert main(["validate", "-c", str(tmp_path / "missing.yaml"), "-m", "metal"]) == 1
    assert capsys.readouterr().err == f"error: open {tmp_path / 'missing.yaml'}: no such file or directory\n"


def test_a_file_that_is_not_yaml_fails_with_the_decoder_s_error_and_no_traceback(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("machine:\n\ttype: worker\n")
    result = talos("validate", "-c", str(config), "-m", "metal")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"{config}: decode error: line 2")


def test_talhelper_validate_nodeconfig_checks_each_file_as_talhelper_does(tmp_path: Path, capsys) -> None:
    """talhelper pkg/talos/validate.go: Talos's validation, local and strict; the first invalid file ends the run."""
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text("version: v1alpha1\nmachine: {type: worker, ca: {crt: Zm9v}}\n"
                    "cluster: {controlPlane: {endpoint: 'https://localhost:6443/'}}\n")
    bad.write_text(good.read_text().replace("type: worker", "type: join"))
    assert main(["validate", "nodeconfig", str(good), "--mode", "cloud"]) == 0
    assert capsys.readouterr().out == f"{good} is valid for cloud mode\n"
    assert main(["validate", "nodeconfig", str(good), str(bad), "-m", "cloud"]) == 1
    captured = capsys.readouterr()
    assert captured.out == f"{good} is valid for cloud mode\n"
    assert captured.err == (f"error: failed to validate Talos node config file {bad}: v1alpha1.Config: warning: use "
                            '"worker" instead of "join" for machine type\n')
    assert main(["validate", "nodeconfig"]) == 1
    assert "please specify at least 1 talos node config file" in capsys.readouterr().err
