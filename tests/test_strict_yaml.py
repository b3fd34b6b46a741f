"""YAML is read as strictly as go-yaml v3 reads it for Talos: no duplicate keys, bounded aliases, UTF-8 only."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from components.talos import yamlio
from components.talos.definition.load import load_definition, parse_definition
from components.talos.definition.problems import DefinitionError
from components.talos.errors import SecretsError
from components.talos.secrets import SecretsBundle

from .conftest import ROOT


def _refused(text: str | bytes) -> str:
    with pytest.raises(yamlio.StrictYAMLError) as caught:
        yamlio.load_all(text)
    return str(caught.value)


def test_a_duplicate_mapping_key_is_an_error_as_in_go_yaml_v3() -> None:
    assert _refused("a: 1\nb:\n  c: 2\n  c: 3\n") == 'line 4: mapping key "c" already defined at line 3'
    assert _refused("{x: 1, x: 2}") == 'line 1: mapping key "x" already defined at line 1'
    assert yamlio.load_all("a: {c: 1}\nb: {c: 2}\n---\na: 3\n") == [{"a": {"c": 1}, "b": {"c": 2}}, {"a": 3}]


def test_an_alias_bomb_fails_at_once_with_go_yamls_excessive_aliasing_error() -> None:
    levels = ["a: &a [" + ",".join(["lol"] * 10) + "]"]
    levels += [f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 10) + "]" for i in range(8)]
    start = time.process_time()
    assert _refused("\n".join(levels) + "\n").endswith("document contains excessive aliasing")
    assert time.process_time() - start < 1.0  # CPU time: other test workers share the cores
    assert yamlio.load("base: &b {x: 1}\none: *b\ntwo: *b\n") == {"base": {"x": 1}, "one": {"x": 1}, "two": {"x": 1}}


def test_an_anchor_that_contains_itself_is_refused() -> None:
    assert _refused("a: &a\n  b: *a\n") == "line 2: anchor 'a' value contains itself"


def test_nesting_and_size_are_bounded() -> None:
    assert _refused("[" * 1000 + "]" * 1000).endswith(f"exceeded max depth of {yamlio.MAX_DEPTH}")
    assert "expected at most" in _refused("a: " + "x" * (yamlio.MAX_DOCUMENT_BYTES + 1))


def test_a_file_that_is_not_utf8_is_refused_naming_the_byte(tmp_path: Path) -> None:
    path = tmp_path / "talconfig.yaml"
    path.write_bytes((ROOT / "config" / "dev.yaml").read_bytes().replace(b"clusterName: ", b"clusterName: \xe9", 1))
    with pytest.raises(DefinitionError) as caught:
        load_definition(path)
    assert "not UTF-8 text: byte 0xe9 at offset" in str(caught.value)
    secrets = tmp_path / "secrets.yaml"
    secrets.write_bytes(b"cluster:\n  id: \xff\n")
    with pytest.raises(SecretsError, match="not UTF-8 text: byte 0xff"):
        SecretsBundle.read(secrets)


def test_a_definition_with_a_duplicate_key_names_both_lines() -> None:
    text = (ROOT / "config" / "dev.yaml").read_text()
    with pytest.raises(DefinitionError) as caught:
        parse_definition(text + "clusterName: other\n", "dev.yaml", environ={})
    assert 'mapping key "clusterName" already defined at line' in str(caught.value)
