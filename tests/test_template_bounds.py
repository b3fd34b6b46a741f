"""Templates and the files they come from are input a user's files decide: each costs bounded time and memory
and is refused with a message naming the file and the limit, never a hang, RecursionError or ValueError."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from components.talos.definition.contents import file_content
from components.talos.definition.talpatches import talhelper_patches
from components.talos.definition.template_functions import TemplateError
from components.talos.definition.templating import MAX_OUTPUT, MAX_PAREN_DEPTH, MAX_STEPS, render
from components.talos.errors import TalosError

CONFIG: dict[str, Any] = {"version": "v1alpha1", "machine": {
    "type": "worker", "certSANs": [f"san-{index}" for index in range(100)], "nodeLabels": {"zone": "a"}}}


def _timed(template: str, limit: float = 2.0) -> tuple[str | None, str | None]:
    """(output, None) or (None, error message); fails when rendering takes more than ``limit`` seconds of this
    process's CPU time (wall time would count the other test workers sharing the machine's cores)."""
    start = time.process_time()
    try:
        result: tuple[str | None, str | None] = (render(template, CONFIG, "patch.yaml"), None)
    except TemplateError as error:
        result = (None, str(error))
    assert time.process_time() - start < limit
    return result


@pytest.mark.timeout(30)
@pytest.mark.parametrize("template", ["{{" * 50_000, "# " + "{{" * 50_000 + "\nmachine: {}\n",
                                      "machine: {}\n# {{ unclosed" + " x" * 50_000])
def test_a_hundred_kilobytes_of_open_actions_is_refused_in_linear_time(template: str) -> None:
    output, error = _timed(template)
    assert output is None and error is not None and error.startswith("patch.yaml: template: line ")
    assert len(error) < 200


@pytest.mark.timeout(30)
def test_ranges_nested_four_deep_over_a_long_list_stop_at_the_step_limit() -> None:
    loop = "{{ range $.MachineConfig.MachineCertSANs }}"
    output, error = _timed(loop * 4 + "x" + "{{ end }}" * 4)
    assert output is None and error == (f"patch.yaml: template: takes more than {MAX_STEPS} steps (ranges nested "
                                        "over long lists?); talos-cluster stops a template there")
    output, _ = _timed(loop * 2 + "x" + "{{ end }}" * 2)  # 10,000 iterations are fine
    assert output == "x" * 10_000


@pytest.mark.timeout(30)
def test_a_template_that_would_produce_more_than_the_readable_size_stops_there() -> None:
    chunk = "y" * 50_000
    output, error = _timed("{{ range $.MachineConfig.MachineCertSANs }}" + chunk + "{{ end }}")
    assert output is None and error == (f"patch.yaml: template: produces more than {MAX_OUTPUT} characters; "
                                        "talos-cluster stops a template there")


@pytest.mark.timeout(30)
@pytest.mark.parametrize("kind", ["if", "with", "range"])
def test_three_thousand_nested_blocks_render_as_go_renders_them(kind: str) -> None:
    """Go's parser has no limit on nested control structures; neither has this one (no Python recursion)."""
    header = {"if": "{{ if true }}", "with": "{{ with 1 }}",
              "range": "{{ range $.MachineConfig.MachineNodeLabels }}"}[kind]
    output, error = _timed(header * 3000 + "x" + "{{ end }}" * 3000)
    assert (output, error) == ("x", None)


@pytest.mark.timeout(30)
def test_parentheses_nest_up_to_gos_limit_and_no_further() -> None:
    output, error = _timed("{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}")
    assert (output, error) == ("1", None)
    deepest = "{{ " + "(" * (MAX_PAREN_DEPTH + 1) + "1" + ")" * (MAX_PAREN_DEPTH + 1) + " }}"
    output, error = _timed(deepest)
    assert error == "patch.yaml: template: line 1: max expression depth exceeded (more than 10000 nested parentheses)"


@pytest.mark.parametrize(("number", "message"), [
    ("9" * 5000, 'illegal number syntax: "' + "9" * 37 + '..."'),
    ("9" * 25, 'integer overflow: "9999999999999999999999999"'),
    ("0x" + "f" * 40, 'illegal number syntax: "0x' + "f" * 35 + '..."'),
    ("1e999", 'illegal number syntax: "1e999"'),
])
def test_numbers_beyond_gos_ranges_are_refused_as_go_refuses_them(number: str, message: str) -> None:
    """parse/node.go newNumber: int64/uint64, else float64; strconv's range errors."""
    assert _timed("{{ " + number + " }}") == (None, f"patch.yaml: template: {message}")


@pytest.mark.parametrize(("literal", "printed"), [("18446744073709551615", "18446744073709551615"),
                                                   ("-9223372036854775808", "-9223372036854775808"),
                                                   ("0x1F", "31"), ("0o17", "15"), ("1_000", "1000"),
                                                   ("'a'", "97"), ("1.5", "1.5")])
def test_numbers_within_gos_ranges_print_as_go_prints_them(literal: str, printed: str) -> None:
    assert _timed("{{ " + literal + " }}") == (printed, None)


def _special_files(folder: Path) -> dict[str, Path]:
    fifo = folder / "fifo.yaml"
    os.mkfifo(fifo)
    sock = folder / "s.yaml"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(sock))
    server.close()
    (folder / "dir.yaml").mkdir()
    return {"a named pipe (FIFO)": fifo, "a socket": sock, "a directory": folder / "dir.yaml",
            "a character device": Path(os.devnull)}


@pytest.mark.timeout(30)
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes and Unix sockets are POSIX")
def test_a_patch_or_content_that_is_not_a_regular_file_is_refused_without_blocking(tmp_path: Path) -> None:
    for kind, path in _special_files(tmp_path).items():
        start = time.perf_counter()
        with pytest.raises(TalosError) as patch_error:
            talhelper_patches([f"@{path}"], tmp_path, "patch", [CONFIG], {})
        assert f"cannot read {path}: is {kind}; expected a regular file" in str(patch_error.value)
        with pytest.raises(TalosError) as content_error:
            file_content(f"@{path}", tmp_path, {}, envsubst=True)
        assert f"{path}: cannot read: is {kind}; expected a regular file" in str(content_error.value)
        assert time.perf_counter() - start < 10  # reading a FIFO with no writer would block for good


def test_a_pipeline_longer_than_gos_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """parse.go maxPipelineCmds (100,000; lowered here so the case stays small)."""
    from components.talos.definition import templating

    monkeypatch.setattr(templating, "MAX_PIPELINE_COMMANDS", 10)
    assert _timed("{{ 1" + " | print" * 9 + " }}") == ("1", None)
    assert _timed("{{ 1" + " | print" * 10 + " }}") == (None, "patch.yaml: template: line 1: pipeline too long")


def test_a_constant_after_the_first_pipeline_stage_is_refused_as_go_refuses_it() -> None:
    """parse.go checkPipeline."""
    assert _timed('{{ 1 | "a" }}') == (None, "patch.yaml: template: line 1: non executable command in pipeline "
                                            "stage 2")
