"""Files that hold secrets are born 0600 whatever the umask, and output names never leave their folder."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from components.talos.errors import TalosError
from components.talos.files import confined_name, write_output

from .conftest import ROOT
from .seed import seed_talconfig


def _talos_under_umask(umask: int, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "components.talos", *args], cwd=cwd, capture_output=True,
                          text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
                          preexec_fn=lambda: os.umask(umask) and None)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_gen_config_writes_configs_and_talosconfig_0600_under_any_umask(umask: int, tmp_path: Path,
                                                                          stability_dir: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "controlplane.yaml").write_text("old\n")
    os.chmod(out / "controlplane.yaml", 0o644)  # an existing readable file must not keep its mode
    result = _talos_under_umask(umask, "gen", "config", "c1", "https://192.168.1.85:6443", "--with-secrets",
                                str(stability_dir / "secrets.yaml"), "--talos-version", "v1.13", "-o", str(out),
                                "--force", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    modes = {p.name: _mode(p) for p in out.iterdir()}
    assert modes.pop(".gitignore") in (0o644, 0o600)  # names only, no secret; keeps the folder's files out of git
    assert modes == {"controlplane.yaml": 0o600, "worker.yaml": 0o600, "talosconfig": 0o600}


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_genconfig_writes_every_file_0600_under_any_umask(umask: int, tmp_path: Path, stability_dir: Path) -> None:
    (tmp_path / "talconfig.yaml").write_text(seed_talconfig("homelab-talos-dev"))
    (tmp_path / "talsecret.yaml").write_text((stability_dir / "secrets.yaml").read_text())
    result = _talos_under_umask(umask, "genconfig", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    modes = {p.name: _mode(p) for p in (tmp_path / "clusterconfig").iterdir()}
    # .gitignore holds file names, no secret: talhelper appends to the user's own (cli/gitignore.py)
    assert len(modes) == 7 and {mode for name, mode in modes.items() if name != ".gitignore"} == {0o600}


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_a_secrets_file_is_0600_from_the_moment_it_exists(umask: int, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    real_open = os.open

    def spy(path: str, flags: int, mode: int = 0o777, **options: Any) -> int:
        fd = real_open(path, flags, mode, **options)
        if flags & os.O_CREAT:
            seen.append(stat.S_IMODE(os.fstat(fd).st_mode))  # before a single byte is written
        return fd

    monkeypatch.setattr(os, "open", spy)
    previous = os.umask(umask)
    try:
        write_output(tmp_path / "secrets.yaml", "key: value\n")
    finally:
        os.umask(previous)
    assert seen == [0o600] and _mode(tmp_path / "secrets.yaml") == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secrets.yaml"]  # no temporary file left behind


@pytest.mark.parametrize("cluster_name", ["../escape", "/tmp/abs", "a/b", "x\\y"])
def test_genconfig_refuses_a_cluster_name_that_would_write_outside_the_output_folder(
        cluster_name: str, tmp_path: Path, stability_dir: Path) -> None:
    text = seed_talconfig("homelab-talos-dev").replace("clusterName: homelab-talos-dev",
                                                        f"clusterName: '{cluster_name}'")
    (tmp_path / "talconfig.yaml").write_text(text)
    (tmp_path / "talsecret.yaml").write_text((stability_dir / "secrets.yaml").read_text())
    result = _talos_under_umask(0o022, "genconfig", cwd=tmp_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "is not a plain file name" in result.stderr and "clusterName" in result.stderr
    assert not (tmp_path / "clusterconfig").exists()
    assert sorted(p.name for p in tmp_path.parent.iterdir() if p.name == "escape-controlplane-01.yaml") == []


@pytest.mark.parametrize("name", ["", ".", "..", "../x", "/etc/passwd", "a\0b"])
def test_confined_name_refuses_anything_but_one_plain_component(name: str) -> None:
    with pytest.raises(TalosError, match="not a plain file name"):
        confined_name(name, "out")
    assert confined_name("c1-node.yaml", "out") == "c1-node.yaml"
