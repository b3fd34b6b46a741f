"""A value from talenv (or the environment, or a SOPS patch) may be a secret: an error about it names the
variable and the file it came from, never the value, whichever check refuses it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from components.talos import yamlio
from components.talos.cli import main
from components.talos.definition import load_definition, parse_definition, render_node
from components.talos.errors import TalosError
from components.talos.secrets import SecretsBundle
from components.talos.versions import Contract

from .conftest import ROOT
from .sops_files import encrypt_like_sops, environ_for, new_identity

SECRET = "Zq9-s3cr3t-from-talenv"
LONG = "L0ng" + "x" * 120 + "-tail"  # longer than an error's 60-character excerpt
BASE = yamlio.load((ROOT / "config" / "dev.yaml").read_text())


def _put(data: dict[str, Any], path: list[Any], value: Any) -> None:
    *parents, last = path
    for part in parents:
        data = data[part]
    data[last] = value


# One case per kind of error that quoted a value: the "= value" of a problem, a message built around the
# value (versions, enumerations), a file path an @reference names, a JSON patch operation, a file-name
# template action, a field name, a template's index key, a rendered config's own checks.
CASES: dict[str, tuple[list[Any], Any]] = {
    "problem value": (["nodes", 0, "ipAddress"], "${S}"),
    "problem value in a list": (["nodes", 0, "nameservers"], ["${S}"]),
    "version message": (["kubernetesVersion"], "${S}"),
    "enumeration message": (["cniConfig"], {"name": "${S}"}),
    "@file content path": (["nodes", 0, "machineFiles"],
                           [{"content": "@${S}", "path": "/var/x", "permissions": 384, "op": "create"}]),
    "@file patch path": (["nodes", 0, "patches"], ["@${S}.yaml"]),
    "JSON patch operation": (["nodes", 0, "patches"], ['[{"op": "${S}", "path": "/x"}]']),
    "file name template": (["nodes", 0, "filenameTmpl"], "{{ ${S} }}"),
    "field name": (["nodes", 0, "${S}"], 1),
    "template index key": (["nodes", 0, "nodeLabels"], {"a": '{{ index .MachineConfig.MachineCertSANs "${S}" }}'}),
    "rendered config check": (["nodes", 0, "patches"], ["machine:\n  type: ${S}\n"]),
    "value cut short": (["nodes", 0, "ipAddress"], "${LONG}"),
}


def _write(tmp_path: Path, case: str) -> Path:
    data = copy.deepcopy(BASE)
    path, value = CASES[case]
    _put(data, path, value)
    (tmp_path / "talconfig.yaml").write_text(json.dumps(data))
    (tmp_path / "talenv.yaml").write_text(f"S: {SECRET}\nLONG: {LONG}\n")
    return tmp_path / "talconfig.yaml"


@pytest.mark.parametrize("case", sorted(CASES))
def test_an_error_about_a_talenv_value_names_the_variable_and_file_never_the_value(case: str, tmp_path: Path) -> None:
    definition_file = _write(tmp_path, case)
    with pytest.raises(TalosError) as caught:
        definition = load_definition(definition_file, environ={}, env_files=None)
        for node in definition.nodes:
            render_node(definition, node, SecretsBundle.generate(Contract(1, 6)))
    message = str(caught.value)
    variable = "LONG" if case == "value cut short" else "S"
    if case == "enumeration message":
        # Talos's own check of the rendered config (v1alpha1_validation.go ValidateCNI) names no value at all
        assert 'cni name should be one of ["flannel", "custom", "none"]' in message, message
    else:
        assert f"${{{variable}}} from {tmp_path / 'talenv.yaml'}" in message, message
    assert SECRET not in message and LONG[:12] not in message and "Zq9-s3cr" not in message, message


def test_a_value_from_the_process_environment_is_named_as_such() -> None:
    data = copy.deepcopy(BASE)
    data["nodes"][0]["ipAddress"] = "${S}"
    with pytest.raises(TalosError) as caught:
        parse_definition(json.dumps(data), "dev.yaml", environ={"S": SECRET})
    assert "nodes[0].ipAddress = <${S} from the environment>: expected an IP address" in str(caught.value)
    assert SECRET not in str(caught.value)


def test_genconfig_names_the_variable_when_a_file_name_built_from_it_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    data = copy.deepcopy(BASE)
    data["nodes"][0]["filenameTmpl"] = "{{ .ClusterName }}.yaml"
    data["clusterName"] = "${S}"
    (tmp_path / "talconfig.yaml").write_text(json.dumps(data))
    (tmp_path / "talenv.yaml").write_text(f"S: {SECRET}/x\n")  # a slash: no plain file name
    (tmp_path / "talsecret.yaml").write_text(SecretsBundle.generate(Contract(1, 6)).to_yaml())
    monkeypatch.chdir(tmp_path)
    code = main(["genconfig", "-c", "talconfig.yaml", "-s", "talsecret.yaml", "-o", "out"])
    err = capsys.readouterr().err
    assert code == 1 and "${S} from talenv.yaml" in err and SECRET not in err, err


def test_a_value_decrypted_from_a_sops_patch_is_masked_and_never_quoted(tmp_path: Path) -> None:
    identity = new_identity()
    patch = encrypt_like_sops({"machine": {"type": SECRET}}, identity)
    (tmp_path / "secret-patch.sops.yaml").write_text(patch)
    data = copy.deepcopy(BASE)
    data["nodes"][0]["patches"] = ["@secret-patch.sops.yaml"]
    (tmp_path / "talconfig.yaml").write_text(json.dumps(data))
    with pytest.raises(TalosError) as caught:
        load_definition(tmp_path / "talconfig.yaml", environ=environ_for(identity))
    message = str(caught.value)
    assert SECRET not in message and "a value decrypted from a SOPS patch" in message, message


def test_a_value_decrypted_from_a_sops_patch_never_reaches_the_masked_config(tmp_path: Path) -> None:
    from components.talos.documents import encode
    from components.talos.masking import masked_config

    identity = new_identity()
    patch = encrypt_like_sops({"machine": {"kubelet": {"extraArgs": {"node-ip-note": SECRET}}}}, identity)
    (tmp_path / "kubelet.sops.yaml").write_text(patch)
    data = copy.deepcopy(BASE)
    data["nodes"][0]["patches"] = ["@kubelet.sops.yaml"]
    (tmp_path / "talconfig.yaml").write_text(json.dumps(data))
    definition = load_definition(tmp_path / "talconfig.yaml", environ=environ_for(identity))
    config = encode(render_node(definition, definition.nodes[0], SecretsBundle.generate(Contract(1, 6))))
    assert SECRET in config
    masked = masked_config(config, sensitive=definition.sensitive_values)
    assert SECRET not in masked and "node-ip-note" in masked
