"""The engine stand-in (tests/engine.py) follows the real engine's modes, each test named after the CLI
invocation it models. Probe resources (tests/engine_probe.py) report every provider call with the stack
setting the provider was configured with, so these tests see exactly what the engine asked, and when."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pytest

from .conftest import ROOT
from .engine import Engine, PendingOperation, Program, StepFailed, default_parallel
from .engine_probe import SETTING, Probe, calls, max_overlap
from .provider_host import ProviderHost
from .test_engine_safety import _kill_when


@dataclass(frozen=True)
class Spec:
    name: str
    depends: tuple[str, ...] = ()
    value: str = "v1"
    generation: int = 1
    seconds: float = 0.0
    protect: bool = False
    fail: bool = False


def program(journal: Path, specs: list[Spec], setting: str | None = None) -> Program:
    """Probes as specified; `setting` is the stack's `probe:setting` (none: an empty config, which the
    fixture's first host already has, so the first deployment starts no second one)."""
    def build() -> dict[str, object]:
        made: dict[str, Probe] = {}
        for spec in specs:
            made[spec.name] = Probe(spec.name, journal, value=spec.value, generation=spec.generation,
                                    seconds=spec.seconds, fail=spec.fail, opts=pulumi.ResourceOptions(
                                        protect=spec.protect, depends_on=[made[d] for d in spec.depends]))
        return {}

    return Program(build, config={SETTING: setting} if setting is not None else {})


def names(result: dict[str, str]) -> dict[str, str]:
    return {urn.rsplit("::", 1)[-1]: operation for urn, operation in result.items()}


def urn(name: str) -> str:
    return f"urn:pulumi:test::talos-cluster::pulumi:pulumi:Stack$pulumi-python:dynamic/test:Probe::{name}"


@pytest.fixture
def engine() -> Iterator[Engine]:
    with ProviderHost() as host:
        yield Engine(host)


def deleted(journal: Path) -> list[str]:
    return [call.name for call in calls(journal, "delete")]


CHAIN = [Spec("base"), Spec("middle", ("base",)), Spec("top", ("middle",))]


def test_pulumi_destroy_and_pulumi_refresh_configure_the_provider_with_the_config_recorded_at_the_last_up(
        engine: Engine, tmp_path: Path) -> None:
    journal = tmp_path / "calls.jsonl"
    engine.up(program(journal, CHAIN, setting="at-the-last-up"))
    engine.refresh()  # pulumi refresh
    engine.destroy()  # pulumi destroy: no program runs, so nothing could tell it the stack file changed since
    assert {call.setting for call in calls(journal, "read") + calls(journal, "delete")} == {"at-the-last-up"}
    assert deleted(journal) == ["top", "middle", "base"]


def test_run_program_configures_the_provider_with_the_stack_config_as_it_is_now(
        engine: Engine, tmp_path: Path) -> None:
    journal = tmp_path / "calls.jsonl"
    engine.up(program(journal, CHAIN, setting="at-the-last-up"))
    now = program(journal, CHAIN, setting="changed-since")
    engine.refresh(now, run_program=True)  # pulumi refresh --run-program
    assert {call.setting for call in calls(journal, "read")} == {"changed-since"}
    engine.destroy(now, run_program=True)  # pulumi destroy --run-program: destroyMode, no Check
    assert [(call.name, call.setting) for call in calls(journal, "delete")] == [
        ("top", "changed-since"), ("middle", "changed-since"), ("base", "changed-since")]
    assert not [call for call in calls(journal, "check") if call.setting == "changed-since"]
    assert engine.state == {}


def test_pulumi_destroy_fails_in_its_preview_on_a_protected_resource_and_with_skip_preview_goes_past_it(
        engine: Engine, tmp_path: Path) -> None:
    journal = tmp_path / "calls.jsonl"
    specs = [Spec("base"), Spec("kept", ("base",), protect=True), Spec("user", ("kept",)), Spec("other")]
    engine.up(program(journal, specs))
    with pytest.raises(StepFailed, match="cannot be deleted\nbecause it is protected"):
        engine.destroy()  # pulumi destroy: the preview fails, nothing is deleted
    assert deleted(journal) == []
    with pytest.raises(StepFailed, match="cannot be deleted\nbecause it is protected"):
        engine.destroy(skip_preview=True)  # also --remote, and the Automation API's Stack.destroy()
    # dependants of the protected resource go first, as does the unrelated one; what it depends on stays
    assert sorted(deleted(journal)) == ["other", "user"]
    assert set(names(dict.fromkeys(engine.state, ""))) == {"base", "kept"}
    assert engine.destroy(exclude_protected=True) == {}  # pulumi destroy --exclude-protected: nothing left to do
    engine.unprotect(urn("kept"))  # pulumi state unprotect
    engine.destroy()
    assert deleted(journal)[2:] == ["kept", "base"] and engine.state == {}


def test_pulumi_destroy_runs_deletes_without_a_dependency_between_them_at_once_dependants_first(
        engine: Engine, tmp_path: Path) -> None:
    journal = tmp_path / "calls.jsonl"
    independent = [Spec(f"leaf-{i}", ("root",), seconds=0.3) for i in range(4)]
    engine.up(program(journal, [Spec("root"), *independent]))
    engine.destroy(skip_preview=True)
    leaves = [call for call in calls(journal, "delete") if call.name.startswith("leaf")]
    root = next(call for call in calls(journal, "delete") if call.name == "root")
    assert default_parallel() >= 4 and max_overlap(leaves) == 4  # the SDK host's 4 workers serve them at once
    assert root.started >= max(leaf.ended for leaf in leaves)


def test_parallel_bounds_the_steps_in_flight_of_pulumi_up_and_pulumi_destroy(engine: Engine, tmp_path: Path) -> None:
    journal = tmp_path / "calls.jsonl"
    engine.up(program(journal, [Spec(f"r-{i}", seconds=0.2) for i in range(3)]), parallel=1)  # pulumi up -p 1
    assert max_overlap(calls(journal, "create")) == 1
    engine.up(program(journal, [Spec(f"r-{i}", value="v2", seconds=0.2) for i in range(3)]))
    assert max_overlap(calls(journal, "update")) == 3
    engine.destroy(skip_preview=True, parallel=1)  # pulumi destroy -f -p 1
    assert max_overlap(calls(journal, "delete")) == 1


def test_pulumi_up_target_checks_only_the_targets_and_keeps_the_state_of_the_rest(
        engine: Engine, tmp_path: Path) -> None:
    journal = tmp_path / "calls.jsonl"
    engine.up(program(journal, [Spec("a"), Spec("b"), Spec("gone")]))
    before = engine.state[urn("b")]
    changed = program(journal, [Spec("a", value="v2"), Spec("b", value="v2")])  # and `gone` removed
    checks = len(calls(journal, "check"))
    result = names(engine.up(changed, targets=[urn("a")]))
    assert [call.name for call in calls(journal, "check")[checks:]] == ["a"]  # b: no Check, no Diff
    assert result["a"] == "update" and result["b"] == "same" and engine.state[urn("b")] is before
    assert urn("gone") in engine.state and deleted(journal) == []  # untargeted: kept in state
    with_new = program(journal, [Spec("a", value="v2"), Spec("b", value="v2"), Spec("fresh"), Spec("user", ("fresh",))])
    assert names(engine.up(with_new, targets=[urn("a")]))["fresh"] == "skipped-create"
    assert urn("fresh") not in engine.state
    with pytest.raises(StepFailed, match=r"depends on '.*::fresh' which was was not specified in --target list"):
        engine.up(with_new, targets=[urn("user")])
    with pytest.raises(StepFailed, match=r"Target '.*::nowhere' could not be found in the stack"):
        engine.up(changed, targets=[urn("nowhere")])
    engine.up(changed, targets=["**Probe::go*"])  # a glob, as deployment.go getMatcher reads it
    assert deleted(journal) == ["gone"]


def test_pulumi_up_target_refuses_before_any_delete_to_delete_a_dependant_it_was_not_given(
        engine: Engine, tmp_path: Path) -> None:
    journal = tmp_path / "calls.jsonl"
    engine.up(program(journal, [Spec("a"), Spec("b", ("a",))]))
    with pytest.raises(StepFailed, match=r"will be destroyed but was not specified in --target list"):
        engine.up(program(journal, []), targets=[urn("a")])
    with pytest.raises(StepFailed, match=r"will be destroyed but was not specified in --target list"):
        engine.destroy(targets=[urn("a")])  # pulumi destroy --target: its preview fails the same way
    assert deleted(journal) == []
    engine.up(program(journal, []), targets=[urn("a")], target_dependents=True)  # --target-dependents
    assert deleted(journal) == ["b", "a"]


def test_a_failed_pulumi_up_keeps_the_replaced_resource_pending_delete_and_the_next_up_deletes_it(
        engine: Engine, tmp_path: Path) -> None:
    journal = tmp_path / "calls.jsonl"
    engine.up(program(journal, [Spec("a")]))
    with pytest.raises(StepFailed, match="create failed as the test asked"):
        engine.up(program(journal, [Spec("a", generation=2), Spec("broken", ("a",), fail=True)]))
    assert deleted(journal) == [] and [u for u, _ in engine.pending_deletes] == [urn("a")]
    assert engine.state[urn("a")].id == "a-2"  # the replacement is in state, the old one pending deletion
    engine.up(program(journal, [Spec("a", generation=2)]))
    assert deleted(journal) == ["a"] and engine.pending_deletes == []


def test_pulumi_up_deletes_old_halves_of_replacements_and_removed_resources_together_dependants_first(
        engine: Engine, tmp_path: Path) -> None:
    journal = tmp_path / "calls.jsonl"
    engine.up(program(journal, [Spec("base"), Spec("replaced", ("base",), seconds=0.3),
                                Spec("removed", ("base",), seconds=0.3), Spec("user", ("replaced",), seconds=0.1)]))
    engine.up(program(journal, [Spec("base"), Spec("replaced", ("base",), generation=2, seconds=0.3)]))
    done = {call.name: call for call in calls(journal, "delete")}
    assert sorted(done) == ["removed", "replaced", "user"]
    assert done["user"].ended <= done["replaced"].started  # it depended on the old half
    assert max_overlap([done["removed"], done["replaced"]]) == 2


def test_pulumi_up_refresh_reads_through_the_provider_as_recorded_then_checks_with_the_stack_now(
        engine: Engine, tmp_path: Path) -> None:
    journal = tmp_path / "calls.jsonl"
    engine.up(program(journal, [Spec("a")], setting="at-the-last-up"))
    checks = len(calls(journal, "check"))
    engine.up(program(journal, [Spec("a")], setting="changed-since"), refresh=True)
    assert [call.setting for call in calls(journal, "read")] == ["at-the-last-up"]
    assert [call.setting for call in calls(journal, "check")[checks:]] == ["changed-since"]


def test_pending_creates_survive_pulumi_refresh_unless_clear_pending_creates(engine: Engine, tmp_path: Path) -> None:
    journal = tmp_path / "calls.jsonl"
    _kill_when(engine.host, lambda: "creating" in dict(engine.pending_operations).values())
    with pytest.raises((PendingOperation, StepFailed)):
        engine.up(program(journal, [Spec("slow", seconds=5)]))
    assert list(engine.pending_operations.values()) == ["creating"]
    engine.refresh()  # pulumi refresh (non-interactive, no flag)
    assert list(engine.pending_operations.values()) == ["creating"]
    engine.refresh(clear_pending_creates=True)  # pulumi refresh --clear-pending-creates
    assert engine.pending_operations == {}


def test_pulumi_refresh_reads_every_resource_at_once_then_diffs_each_for_the_display(
        engine: Engine, tmp_path: Path) -> None:
    journal = tmp_path / "calls.jsonl"
    engine.up(program(journal, [Spec(f"r-{i}", seconds=0.2) for i in range(3)]))
    diffs = len(calls(journal, "diff"))
    engine.refresh()
    assert sorted(call.name for call in calls(journal, "read")) == ["r-0", "r-1", "r-2"]
    assert max_overlap(calls(journal, "read")) == 3
    assert sorted(call.name for call in calls(journal, "diff")[diffs:]) == ["r-0", "r-1", "r-2"]
    assert set(engine.refresh_diffs.values()) == {False}


def test_pulumi_up_follows_an_alias_to_the_old_resource_instead_of_replacing_it(engine: Engine, tmp_path: Path) -> None:
    journal = tmp_path / "calls.jsonl"
    engine.up(program(journal, [Spec("old-name")]))

    def renamed() -> dict[str, object]:
        Probe("new-name", journal, opts=pulumi.ResourceOptions(aliases=[pulumi.Alias(name="old-name")]))
        return {}

    result = names(engine.up(Program(renamed)))
    assert result == {"new-name": "same"} and deleted(journal) == [] and list(engine.state) == [urn("new-name")]


# ---------------------------------------------------------------------- the list of modes stays true

TABLE = Path(__file__).with_name("engine_modes.md")
CODE = re.compile(r"`(tests/[\w/]+\.py)::([A-Za-z_][\w.]*)`")
TEST = re.compile(r"`(tests/test_[\w/]+\.py)::(test_\w+)`")


def _rows() -> list[list[str]]:
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in TABLE.read_text().splitlines() if re.match(r"^\| [MR]\d+ \|", line)]
    assert rows and all(len(row) == 6 for row in rows), "each row: id, mode or rule, source, stand-in, tests, status"
    return rows


def _code_exists(path: str, name: str) -> bool:
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    found: object = module
    for part in name.split("."):
        if not hasattr(found, part):  # an instance attribute, set in __init__
            return f"self.{part}" in (ROOT / path).read_text()
        found = getattr(found, part)
    return True


def test_every_engine_mode_is_modelled_and_tested_or_not_applicable_with_the_reason_and_every_mode_test_listed():
    named: set[tuple[str, str]] = set()
    for mode_id, _mode, source, stand_in, tests, status in _rows():
        assert source, f"{mode_id}: cite the pulumi source"
        if status == "modelled":
            code = CODE.findall(stand_in)
            cited = TEST.findall(tests)
            assert code and cited, f"{mode_id}: a modelled row names where the stand-in does it and its tests"
            for path, name in code:
                assert _code_exists(path, name), f"{mode_id}: {path}::{name} does not exist"
            for path, name in cited:
                assert f"def {name}(" in (ROOT / path).read_text(), f"{mode_id}: {path}::{name} does not exist"
            named |= set(cited)
        else:
            assert status.startswith("n/a: ") and len(status) > 40 and not tests, f"{mode_id}: n/a needs the reason"
    for module in ("tests/test_engine_modes.py", "tests/test_engine_modes_nodes.py"):
        defined = set(re.findall(r"^def (test_\w+)\(", (ROOT / module).read_text(), re.MULTILINE))
        defined.discard("test_every_engine_mode_is_modelled_and_tested_or_not_applicable_with_the_reason_and_every_"
                        "mode_test_listed")
        assert defined <= {name for path, name in named if path == module}, f"{module}: tests missing from the table"
