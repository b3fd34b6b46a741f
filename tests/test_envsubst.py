"""``${VAR}`` substitution and env files behave as talhelper's (a8m/envsubst restricted mode, godotenv)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from components.talos.definition import load_definition
from components.talos.definition.envsubst import SubstitutionError, envsubst, substitute
from components.talos.definition.talenv import environment, parse_env
from components.talos.errors import ConfigError

from .talhelper_data import age_key, talhelper_path

ENV = {"SET": "value", "EMPTY": ""}


@pytest.mark.parametrize(("text", "expected"), [
    ("${SET}", "value"), ("$SET", "value"), ("$SET-x", "value-x"), ("a$$SET", "a$SET"),
    ("${UNSET:-d}", "d"), ("${EMPTY:-d}", "d"), ("${SET:-d}", "value"),
    ("${UNSET:=d}", "d"), ("${UNSET-d}", "d"), ("${SET-d}", "value"), ("${UNSET=d}", "d"),
    ("${SET:+alt}", "alt"), ("${EMPTY+alt}", "alt"), ("${UNSET:+alt}", ""), ("${UNSET+alt}", ""),
    ("${UNSET:-$SET}", "value"), ("${}", "${}"), ("cost: 5$", "cost: 5$"), ("$ alone", "$ alone"),
])
def test_substitution_forms_follow_a8m_envsubst(text: str, expected: str) -> None:
    assert envsubst(text, ENV) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("${UNSET}", "variable ${UNSET} not set"), ("$UNSET", "variable ${UNSET} not set"),
    ("${EMPTY}", "variable ${EMPTY} set but empty"), ("${EMPTY-d}", "variable ${EMPTY} set but empty"),
    ("${UNSET:-}", "variable ${UNSET} not set"), ("${SET", "closing brace expected"),
    ("${SET:-$UNSET}", None),
])
def test_unset_and_empty_variables_are_errors(text: str, message: str | None) -> None:
    if message is None:  # a default is only evaluated when it is used
        assert envsubst(text, ENV) == "value"
        return
    with pytest.raises(SubstitutionError) as error:
        envsubst(text, ENV)
    assert str(error.value) == message


def test_variables_in_yaml_comments_are_ignored_and_values_keep_their_quotes() -> None:
    text = "# ${UNSET}\na: ${SET}  # ${UNSET}\nb: \"${SET}\"\nc: |\n  line $SET\n"
    assert substitute(text, "t.yaml", ENV) == 'a: value\nb: "value"\nc: |\n  line value\n'


def test_env_files_read_key_value_lines_like_godotenv() -> None:
    text = "A: one\nB=two\nexport C: 'three # not a comment'\nD: \"a\\nb\"\nE: five # comment\n---\n# x\n"
    assert parse_env(text, "t.env") == {"A": "one", "B": "two", "C": "three # not a comment", "D": "a\nb",
                                        "E": "five"}
    # godotenv expandVariables: upper-case $VAR from the same file, then the environment; not in single quotes.
    expanded = parse_env("A: one\nB: ${A}-$HOME\nC: '$A'\nD: \"\\${A}\"\n", "t.env", {"HOME": "/h"})
    assert expanded == {"A": "one", "B": "one-/h", "C": "$A", "D": "${A}"}
    with pytest.raises(ConfigError, match=r"^t\.env: line 1: expected KEY: value"):
        parse_env("- not a pair\n", "t.env")


def test_later_env_files_override_earlier_ones_and_the_environment(tmp_path: Path) -> None:
    (tmp_path / "one.yaml").write_text("A: first\nB: first\n")
    (tmp_path / "two.yaml").write_text("B: second\n")
    result = environment([tmp_path / "one.yaml", tmp_path / "missing.yaml", tmp_path / "two.yaml"],
                         environ={"A": "env", "C": "env"})
    assert (result["A"], result["B"], result["C"]) == ("first", "second", "env")


def test_talhelper_loader_fixture_takes_its_values_from_both_env_files() -> None:
    """talhelper pkg/config/loader_test.go TestLoadAndValidateFromFile."""
    folder = talhelper_path("pkg", "config", "testdata")
    merged = environment([folder / "env1.yaml", folder / "env2.yml"], environ={})
    assert merged == {"HOSTNAME1": "hostname1", "IP1": "192.168.200.10", "HOSTNAME2": "hostname2"}
    text = substitute((folder / "talconfig.yaml").read_text(), "talconfig.yaml", merged)
    assert "hostname: hostname1" in text and "ipAddress: 192.168.200.10" in text and "hostname: hostname2" in text
    assert "${" not in text


def test_the_encrypted_talenv_of_talhelpers_example_is_decrypted() -> None:
    folder = talhelper_path("example")
    merged = environment([folder / "talenv.yaml"], environ={"HOME": "/nonexistent", "SOPS_AGE_KEY": age_key()})
    assert merged["myDomainName"] == "cluster.local"


def test_machine_file_contents_are_read_substituted_unless_skip_envsubst(tmp_path: Path) -> None:
    (tmp_path / "file.conf").write_text("server: ${SERVER}\n")
    definition = (ROOT_DEFINITION.replace("MACHINE_FILES", "\n".join([
        "    machineFiles:",
        "      - {content: '@file.conf', path: /var/a.conf, permissions: 0o644, op: create}",
        "      - {content: '@./file.conf', path: /var/b.conf, permissions: 0o644, op: create, skipEnvsubst: true}",
    ])))
    (tmp_path / "talconfig.yaml").write_text(definition)
    loaded = load_definition(tmp_path / "talconfig.yaml", environ={"SERVER": "10.0.0.1"})
    files = loaded.nodes[0].values["machineFiles"]
    assert files[0]["content"] == "server: 10.0.0.1\n"
    (tmp_path / "file.conf").write_text("TOKEN=${SERVER}\n")  # not a mapping: a plain scalar, no end marker
    loaded = load_definition(tmp_path / "talconfig.yaml", environ={"SERVER": "x"})
    assert loaded.nodes[0].values["machineFiles"][0]["content"] == "TOKEN=x\n"
    assert files[1]["content"] == "server: ${SERVER}\n" and "skipEnvsubst" not in files[1]


ROOT_DEFINITION = """clusterName: c
talosVersion: v1.11.5
kubernetesVersion: v1.34.1
endpoint: https://10.0.0.10:6443
nodes:
  - hostname: cp-1
    ipAddress: 10.0.0.11
    controlPlane: true
    installDisk: /dev/sda
MACHINE_FILES
"""


def test_talhelpers_substitute_case_gives_its_expected_text() -> None:
    """talhelper pkg/substitute/envsubst_test.go TestLoadEnv + TestSubstituteEnvFromYaml (inputs inline there)."""
    env = parse_env('env1: value1\nenv2: "true"\nenv3: 123\ndefault: default value\n# env2: "false"\n', "env")
    assert env == {"env1": "value1", "env2": "true", "env3": "123", "default": "default value"}
    text = ('a: ${env1}\nb: "${env2:+$default}" ## commentb\n## this is comment\n# another comment\n'
            'c: "${env3-$default}" # commentc\nd: ${env4:=$default}\n')
    assert substitute(text, "t.yaml", env) == 'a: value1\nb: "default value"\nc: "123"\nd: default value\n'


def _loader_fixture() -> list[dict[str, Any]]:
    from components.talos.definition import parse_definition

    folder = talhelper_path("pkg", "config", "testdata")
    merged = environment([folder / "env1.yaml", folder / "env2.yml"], environ={})
    # The fixture's talosVersion v1.5.4 is below the versions definitions accept today (issue 11's version
    # part); the env files and group merging checked here do not depend on it.
    text = (folder / "talconfig.yaml").read_text().replace("talosVersion: v1.5.4", "talosVersion: v1.6.7")
    definition = parse_definition(text, str(folder / "talconfig.yaml"), merged)
    return [node.values for node in definition.nodes]


def test_talhelper_loader_fixture_nodes_get_env_values_and_group_settings() -> None:
    """talhelper pkg/config/loader_test.go TestLoadAndValidateFromFile, expectedNode0 / expectedNode1."""
    first, second = _loader_fixture()
    assert (first["hostname"], first["ipAddress"], first["controlPlane"], first["installDisk"]) == \
        ("hostname1", "192.168.200.10", True, "/dev/sda")
    assert sorted(first["certSANs"]) == ["example.com", "example.net"]
    extensions = {"officialExtensions": ["siderolabs/tailscale"]}  # the node's schematic replaces its group's
    assert first["schematic"] == {"customization": {"systemExtensions": extensions}}
    assert first["disableSearchDomain"] is True
    assert (second["hostname"], second["ipAddress"], second["controlPlane"]) == ("hostname2", "192.168.200.11", False)
    assert second["schematic"] == {"customization": {"extraKernelArgs": ["net.ifnames=0"]}}
    assert not second.get("certSANs") and "disableSearchDomain" not in second


@pytest.mark.xfail(strict=True, reason="issue 11 (fields): talhelper puts a node's certSANs before its group's")
def test_talhelper_loader_fixture_keeps_talhelpers_cert_san_order() -> None:
    assert _loader_fixture()[0]["certSANs"] == ["example.net", "example.com"]
