"""Stack settings are typed at load: Go durations, real booleans, finite numbers, and errors with full key names."""

from __future__ import annotations

import math

import pytest

from components.talos.stackconfig import StackConfigError, parse_duration, parse_talos_options

from .stacks import run_stack
from .test_stack_config_errors import failure

KEY = "talos-cluster:talos"


@pytest.mark.parametrize(("text", "seconds"), [
    ("10m", 600), ("1h30m", 5400), ("90s", 90), ("1.5h", 5400), ("2h45m30.5s", 9930.5), (".5m", 30),
    ("1500ms", 1.5), ("3000000us", 3), ("3000000\u00b5s", 3), ("1m0s", 60), ("+5m", 300), (600, 600), (7.5, 7.5),
])
def test_durations_follow_go_time_parse_duration(text: str | int | float, seconds: float) -> None:
    assert parse_duration(text, f"{KEY}.applyTimeout", minimum=1, maximum=86400) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["10", "10 m", " 10m", "10M", "1d", "m", ".s", "1h-30m", "ten", "", "1e3s",
                                  "-10m", "0", "8d", True, None, [1], math.nan, math.inf, -5, 0])
def test_a_bad_duration_is_refused_naming_the_full_key(text: object) -> None:
    with pytest.raises(StackConfigError) as caught:
        parse_talos_options({"applyTimeout": text}, KEY)
    message = str(caught.value)
    assert message.startswith("stack config talos-cluster:talos.applyTimeout: ") and "\n" not in message


@pytest.mark.parametrize(("value", "expected"), [(True, True), (False, False), ("true", True), ("false", False)])
def test_reset_on_destroy_means_what_it_says_also_as_a_string(value: object, expected: bool) -> None:
    assert parse_talos_options({"resetOnDestroy": value}, KEY) == {"reset_on_destroy": expected}


@pytest.mark.parametrize("value", ["False ", "no", "0", 0, 1, "yes", None, {}])
def test_reset_on_destroy_that_is_not_a_boolean_is_an_error_never_true(value: object) -> None:
    with pytest.raises(StackConfigError, match=r"^stack config talos-cluster:talos\.resetOnDestroy: .* is not a "
                                               r"boolean; expected true or false$"):
        parse_talos_options({"resetOnDestroy": value}, KEY)


@pytest.mark.parametrize("value", [math.nan, -1, math.inf, "30", 400, True])
def test_renew_before_days_must_be_a_finite_number_within_the_certificate_lifetime(value: object) -> None:
    with pytest.raises(StackConfigError, match=r"^stack config talos-cluster:talos\.renewBeforeDays: "):
        parse_talos_options({"renewBeforeDays": value}, KEY)


def test_proxmox_insecure_that_is_not_a_boolean_is_refused_naming_the_key() -> None:
    message = failure("homelab", {"proxmoxve:insecure": "maybe"})
    assert "stack config proxmoxve:insecure: 'maybe' is not a boolean; expected true or false" in message


def test_a_huge_value_is_quoted_as_a_short_excerpt() -> None:
    with pytest.raises(StackConfigError) as caught:
        parse_talos_options({"applyMode": "x" * 100_000}, KEY)
    assert "x" * 60 not in str(caught.value) and len(str(caught.value)) < 300


def test_a_string_false_reset_on_destroy_reaches_the_nodes_as_false_so_destroy_resets_nothing() -> None:
    run = run_stack("dev", {KEY: '{"resetOnDestroy": "false", "applyTimeout": "10m"}'})
    applies = run.of_type("MachineConfigApply")
    assert applies and all(r.inputs["reset_on_destroy"] is False for r in applies)
    assert all(r.inputs["timeout"] == 600 for r in applies)


def test_nan_retries_are_refused_before_any_resource() -> None:
    message = failure("dev", {KEY: '{"healthTimeout": NaN}'})
    assert "talos-cluster:talos.healthTimeout: nan is out of range" in message


def test_an_empty_imported_secrets_value_is_an_error_never_new_secrets() -> None:
    message = failure("homelab", {"talos-cluster:secrets": ""})
    assert "talos-cluster:secrets is set but empty" in message


def test_a_broken_imported_secrets_value_fails_at_load_naming_the_key_without_quoting_it() -> None:
    message = failure("homelab", {"talos-cluster:secrets": "cluster: {id: SECRETVALUE}"})
    assert "stack config talos-cluster:secrets: " in message and "SECRETVALUE" not in message
