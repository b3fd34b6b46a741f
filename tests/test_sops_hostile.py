"""A hostile SOPS file: a changed type tag, MAC or metadata is refused as tampering, naming the file, and no
decrypted value reaches an error, a traceback or a chained exception; sizes the file decides are bounded."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from components.talos import yamlio
from components.talos.cli import main
from components.talos.secrets import SecretsBundle
from components.talos.sops import SopsError, decrypt_file, decrypt_text
from components.talos.sops import decrypt as sops_decrypt
from components.talos.versions import Contract

from .conftest import ROOT
from .engine import ProgramFailed
from .sops_files import encrypt_like_sops, environ_for, exception_text, new_identity, retag
from .stacks import TEST_SECRETS, run_stack

IDENTITY = new_identity()
SECRET = "s3cr3t-Value-that-must-never-print"


@pytest.fixture(autouse=True)
def no_sops_binary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sops_decrypt, "sops_binary", lambda: None)


def _refusal(text: str, source: str = "talsecret.sops.yaml", kind: str = "yaml") -> SopsError:
    with pytest.raises(SopsError) as caught:
        decrypt_text(text, source, kind, environ=environ_for(IDENTITY))
    return caught.value


@pytest.mark.parametrize("kind", ["int", "float", "bool", "time"])
def test_a_type_tag_changed_on_a_secret_is_refused_as_tampering_without_showing_the_value(kind: str) -> None:
    text = encrypt_like_sops({"cluster": {"secret": SECRET, "id": "x"}}, IDENTITY)
    error = _refusal(retag(text, ["cluster", "secret"], kind))
    message = str(error)
    assert message.startswith("talsecret.sops.yaml: SOPS decryption failed: Failed to verify data integrity "
                              "(MAC mismatch): the value at cluster.secret")
    assert SECRET not in exception_text(error)


def test_a_type_tag_that_reads_differently_changes_the_mac_as_sops_computes_it() -> None:
    """sops.go ToBytes of Atoi("007") is "7", not what was hashed: the MAC no longer matches."""
    text = encrypt_like_sops({"port": "007"}, IDENTITY)
    error = _refusal(retag(text, ["port"], "int"))
    assert "MAC mismatch" in str(error) and "007" not in exception_text(error)


def test_a_type_tag_sops_would_accept_is_accepted_as_sops_accepts_it() -> None:
    """str "6443" retagged int: ToBytes(6443) is what was hashed, so sops reads an int; so does this."""
    text = encrypt_like_sops({"port": "6443"}, IDENTITY)
    assert yamlio.load(decrypt_text(retag(text, ["port"], "int"), "f.yaml", environ=environ_for(IDENTITY))) == \
        {"port": 6443}


def test_an_unknown_type_tag_and_a_retagged_mac_are_refused_without_a_value() -> None:
    text = encrypt_like_sops({"token": SECRET}, IDENTITY)
    assert "unknown datatype 'weird'" in str(_refusal(retag(text, ["token"], "weird")))
    data = yamlio.load(text)
    data["sops"]["mac"] = data["sops"]["mac"].replace("type:str]", "type:int]")
    error = _refusal(yamlio.dump(data))
    assert "MAC mismatch" in str(error) and SECRET not in exception_text(error)


def test_a_garbage_lastmodified_is_an_integrity_error_not_a_traceback() -> None:
    data = yamlio.load(encrypt_like_sops({"token": SECRET}, IDENTITY))
    data["sops"]["lastmodified"] = "yesterday"
    assert "sops.lastmodified is not an RFC 3339 time" in str(_refusal(yamlio.dump(data)))


def _tampered_talsecret() -> tuple[str, str]:
    data = SecretsBundle.generate(Contract(1, 13)).to_data()
    secret = data["cluster"]["secret"]
    return retag(encrypt_like_sops(data, IDENTITY), ["cluster", "secret"], "int"), secret


def test_genconfig_with_a_retagged_talsecret_exits_1_naming_the_file_and_never_prints_the_secret(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    text, secret = _tampered_talsecret()
    (tmp_path / "talsecret.sops.yaml").write_text(text)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOPS_AGE_KEY", str(IDENTITY))
    code = main(["genconfig", "-c", str(ROOT / "config" / "dev.yaml"), "-s", "talsecret.sops.yaml"])
    captured = capsys.readouterr()
    assert code == 1 and "talsecret.sops.yaml: SOPS decryption failed" in captured.err
    assert "MAC mismatch" in captured.err and secret not in captured.out + captured.err
    assert not (tmp_path / "clusterconfig").exists()


@pytest.mark.parametrize("key", ["talos-cluster:secrets", "talos-cluster:secretsFile"])
def test_the_program_refuses_a_retagged_secrets_bundle_without_the_secret_in_its_error_or_traceback(
        key: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text, secret = _tampered_talsecret()
    monkeypatch.setenv("SOPS_AGE_KEY", str(IDENTITY))
    path = tmp_path / "talsecret.sops.yaml"
    path.write_text(text)
    with pytest.raises(ProgramFailed) as caught:
        if key.endswith("File"):
            run_stack("dev", {key: str(path)})
        else:
            run_stack("dev", secrets={**TEST_SECRETS, key: text})
    assert caught.value.registrations == []
    assert f"stack config {key}" in str(caught.value) and "MAC mismatch" in str(caught.value)
    assert secret not in exception_text(caught.value.error)


def test_a_dotenv_list_index_of_two_million_is_refused_at_once_with_a_short_error() -> None:
    start = time.process_time()
    error = _refusal("A=1\nsops_age__list_2000000__map_enc=x\n", "talenv.env", "dotenv")
    assert time.process_time() - start < 0.5  # CPU time: other test workers share the cores
    assert str(error) == ("talenv.env: error while unflattening SOPS metadata: incomplete list (indexes 2000000 "
                          "to 2000000 for 1 item(s))")


def test_dotenv_metadata_keys_are_unflattened_as_sops_does_it() -> None:
    """stores/flatten.go: duplicate values, a key both value and map, and bad indexes (Atoi → 0)."""
    assert "duplicate value" in str(_refusal("sops_version=1\nsops_version=2\n", "a.env", "dotenv"))
    assert "type mismatch" in str(_refusal("sops_age=1\nsops_age__list_0__map_enc=2\n", "a.env", "dotenv"))
    deep = "sops_x" + "__map_k" * 500 + "=1\n"
    assert "nests 501 levels; expected at most 200" in str(_refusal(deep, "a.env", "dotenv"))
    assert sops_decrypt._unflatten([("age__list_x__map_enc", "e")], "a.env") == {"age": [{"enc": "e"}]}


def test_a_dotenv_line_without_equals_is_named_by_number_not_echoed() -> None:
    error = _refusal(f"A=1\n{SECRET}\nsops_version=3\n", "a.env", "dotenv")
    assert str(error) == "a.env: invalid dotenv input line 2: expected KEY=value"


def test_deeply_nested_json_and_oversized_input_are_refused_by_name() -> None:
    deep = '{"sops": {"age": [1]}, "a": ' + "[" * 300 + "]" * 300 + "}"
    assert "nested too deeply; expected at most 200 levels" in str(_refusal(deep, "x.json", "json"))
    assert "not valid JSON" in str(_refusal("[" * 100_000, "y.json", "json"))
    assert "is larger than 4194304 bytes" in str(_refusal("a" * (4 * 1024 * 1024 + 1), "z.yaml"))


def test_many_age_recipients_are_bounded_and_never_listed_in_full() -> None:
    data = yamlio.load(encrypt_like_sops({"token": SECRET}, IDENTITY))
    stanza = data["sops"]["age"][0]
    data["sops"]["age"] = [{**stanza, "recipient": f"age1other{i}"} for i in range(150)]
    assert "lists 150 age recipients; expected at most 100" in str(_refusal(yamlio.dump(data)))
    data["sops"]["age"] = [{"recipient": f"age1other{i}", "enc": "x"} for i in range(50)]
    message = str(_refusal(yamlio.dump(data)))
    assert "age1other0, age1other1, age1other2 and 47 more" in message and len(message) < 400


def test_the_sops_binarys_quoted_values_never_reach_the_error(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """sops converts before its MAC check and its error quotes the plaintext (aes/cipher.go, strconv)."""
    fake = tmp_path / "sops"
    fake.write_text("#!/bin/sh\necho 'Error walking tree: Could not decrypt value: strconv.Atoi: parsing "
                    f"\"{SECRET}\": invalid syntax' >&2\nexit 1\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(sops_decrypt, "sops_binary", lambda: str(fake))
    data = yamlio.load(encrypt_like_sops({"token": SECRET}, IDENTITY))
    data["sops"]["pgp"], data["sops"]["age"] = [{"fp": "F" * 40, "enc": "x"}], []
    error = _refusal(yamlio.dump(data))
    assert "strconv.Atoi: parsing" in str(error) and SECRET not in exception_text(error)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_fifo_given_as_a_sops_file_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "talenv.sops.yaml"
    os.mkfifo(fifo)
    start = time.perf_counter()
    with pytest.raises(SopsError, match=r"talenv\.sops\.yaml: cannot read: is a named pipe \(FIFO\); expected a "
                                        r"regular file"):
        decrypt_file(fifo, "yaml", environ=environ_for(IDENTITY))
    assert time.perf_counter() - start < 10  # opening a FIFO with no writer would block for good


def test_decrypting_reports_every_encrypted_value_for_masking_and_no_plain_one() -> None:
    text = encrypt_like_sops({"token": SECRET, "port": 6443, "note_plain": "visible"}, IDENTITY, suffix="_plain")
    revealed: list[str] = []
    decrypt_text(text, "f.yaml", environ=environ_for(IDENTITY), revealed=revealed)
    assert sorted(revealed) == sorted([SECRET, "6443"])


def test_encrypted_regex_picks_the_encrypted_values_as_sops_does() -> None:
    tree = {"data": {"token": SECRET}, "name": "plain-name"}
    text = encrypt_like_sops(tree, IDENTITY, encrypted_regex="^data$")
    assert "plain-name" in text and SECRET not in text
    assert yamlio.load(decrypt_text(text, "secret.sops.yaml", "yaml", environ=environ_for(IDENTITY))) == tree


def test_a_backtracking_encrypted_regex_ends_at_once_as_gos_linear_regexp_does() -> None:
    """sops matches with Go's regexp (RE2): ``^(a+)+$`` against a 1,001-character key is linear there; Python's
    backtracking ``re`` would take longer than the universe's age. The rule no longer matches the key, so the
    value reads as plain and the MAC no longer agrees."""
    key = "a" * 1000 + "b"  # a YAML plain key holds up to 1,024 characters
    data = yamlio.load(encrypt_like_sops({key: SECRET}, IDENTITY))
    data["sops"]["encrypted_regex"] = "^(a+)+$"
    started = time.process_time()
    error = _refusal(yamlio.dump(data))
    assert time.process_time() - started < 5  # CPU time: other test workers share the cores
    assert "Failed to verify data integrity (MAC mismatch)" in str(error)
    assert SECRET not in exception_text(error)


@pytest.mark.parametrize("field", ["encrypted_regex", "unencrypted_regex"])
@pytest.mark.parametrize("pattern", ["(", "(a)\\1", "(?=a)"])
def test_a_rule_gos_regexp_cannot_compile_is_refused_by_field_before_any_value_is_decrypted(
        field: str, pattern: str) -> None:
    data = yamlio.load(encrypt_like_sops({"data": SECRET}, IDENTITY))
    data["sops"][field] = pattern
    error = _refusal(yamlio.dump(data))
    assert str(error) == (f"talsecret.sops.yaml: sops.{field} is not a regular expression Go's regexp accepts "
                          "(RE2 syntax)")
