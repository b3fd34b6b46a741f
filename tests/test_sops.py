"""SOPS files decrypt as talhelper's pkg/decrypt tests expect, with the MAC checked and clear refusals."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from components.talos import yamlio
from components.talos.sops import SopsError, decrypt_file, decrypt_text
from components.talos.sops import decrypt as sops_decrypt
from components.talos.sops.tree import _go_float

from .sops_files import encrypt_like_sops
from .talhelper_data import age_key, talhelper_path

NO_KEY: dict[str, str] = {"HOME": "/nonexistent"}


def with_key() -> dict[str, str]:
    return {"HOME": "/nonexistent", "SOPS_AGE_KEY": age_key()}


def _parsed(text: str, name: str) -> object:
    if name.endswith(".json"):
        return json.loads(text)
    if name.endswith(".env"):
        return dict(line.split("=", 1) for line in text.splitlines() if line)
    return yamlio.load(text)


@pytest.fixture(autouse=True)
def no_sops_binary(monkeypatch: pytest.MonkeyPatch) -> None:
    """The native path is under test: a sops binary on the developer's PATH must not answer instead."""
    monkeypatch.setattr(sops_decrypt, "sops_binary", lambda: None)


@pytest.mark.parametrize("extension", ["yaml", "json", "env"])
def test_each_encrypted_talhelper_fixture_decrypts_to_its_unencrypted_twin(extension: str) -> None:
    folder = talhelper_path("pkg", "decrypt", "testdata")
    plain = decrypt_file(folder / f"encrypted.{extension}", environ=with_key())
    twin = (folder / f"unencrypted.{extension}").read_text()
    assert _parsed(plain, extension) == _parsed(twin, extension)
    assert "ENC[" not in plain and "sops" not in plain


@pytest.mark.parametrize("name", ["unencrypted.yaml", "unencrypted.json", "unencrypted.env", "plain.txt"])
def test_an_unencrypted_file_passes_through_unchanged(name: str) -> None:
    path = talhelper_path("pkg", "decrypt", "testdata", name)
    assert decrypt_file(path, environ=NO_KEY) == path.read_text()


def test_the_key_file_and_the_default_keys_file_are_found_like_sops_finds_them(tmp_path: Path) -> None:
    encrypted = talhelper_path("pkg", "decrypt", "testdata", "encrypted.yaml")
    key_file = talhelper_path("example", "key.txt")
    assert "mysecretvalue" in decrypt_file(encrypted, environ={"HOME": "/x", "SOPS_AGE_KEY_FILE": str(key_file)})
    config = tmp_path / "sops" / "age"
    config.mkdir(parents=True)
    (config / "keys.txt").write_text(key_file.read_text())
    assert "mysecretvalue" in decrypt_file(encrypted, environ={"HOME": "/x", "XDG_CONFIG_HOME": str(tmp_path)})
    home = tmp_path / "home"
    (home / ".config" / "sops" / "age").mkdir(parents=True)
    (home / ".config" / "sops" / "age" / "keys.txt").write_text(key_file.read_text())
    assert "mysecretvalue" in decrypt_file(encrypted, environ={"HOME": str(home)})


def test_without_a_key_the_error_names_the_file_the_recipient_and_where_keys_are_looked_for() -> None:
    encrypted = talhelper_path("pkg", "decrypt", "testdata", "encrypted.yaml")
    with pytest.raises(SopsError) as error:
        decrypt_file(encrypted, environ=NO_KEY)
    message = str(error.value)
    assert message.startswith(f"{encrypted}: SOPS decryption failed: no age identity for recipient age1")
    assert "SOPS_AGE_KEY_FILE" in message and "mysecretvalue" not in message


def test_a_value_moved_to_another_key_does_not_decrypt() -> None:
    """aes/cipher.go: the key path is the GCM additional data, so swapped values fail authentication."""
    text = talhelper_path("pkg", "decrypt", "testdata", "encrypted.yaml").read_text()
    data = yamlio.load(text)
    data["hello"], data["secret"] = data["secret"], data["hello"]
    with pytest.raises(SopsError, match="could not decrypt a value"):
        decrypt_text(yamlio.dump(data), "swapped.yaml", environ=with_key())


def test_a_removed_value_fails_the_mac_check() -> None:
    text = talhelper_path("pkg", "decrypt", "testdata", "encrypted.yaml").read_text()
    data = yamlio.load(text)
    del data["hello"]
    with pytest.raises(SopsError, match="Failed to verify data integrity"):
        decrypt_text(yamlio.dump(data), "trimmed.yaml", environ=with_key())


def _pgp_only(text: str) -> str:
    data = yamlio.load(text)
    data["sops"]["age"] = []
    data["sops"]["pgp"] = [{"fp": "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4", "enc": "-----BEGIN PGP MESSAGE-----"}]
    return yamlio.dump(data)


def test_a_pgp_file_without_the_sops_binary_names_the_file_and_the_key_type() -> None:
    text = _pgp_only(talhelper_path("pkg", "decrypt", "testdata", "encrypted.yaml").read_text())
    with pytest.raises(SopsError, match=r"^pgp\.yaml: SOPS decryption failed: it is encrypted for PGP only; "
                                        r"install the sops binary"):
        decrypt_text(text, "pgp.yaml", environ=with_key())


def test_a_pgp_file_is_handed_to_the_sops_binary_when_it_is_on_path(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "sops"
    fake.write_text('#!/bin/sh\necho "args: $*"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(sops_decrypt, "sops_binary", lambda: str(fake))
    source = tmp_path / "pgp.yaml"
    source.write_text(_pgp_only(talhelper_path("pkg", "decrypt", "testdata", "encrypted.yaml").read_text()))
    out = decrypt_file(source, environ=with_key())
    assert out == f"args: --decrypt --input-type yaml --output-type yaml {source}\n"
    assert os.access(fake, os.X_OK)


@pytest.mark.parametrize(("value", "text"), [(1.5, "1.5"), (1e-05, "0.00001"), (1e21, "1000000000000000000000"),
                                             (3.0, "3"), (-0.25, "-0.25")])
def test_floats_enter_the_mac_as_go_formats_them(value: float, text: str) -> None:
    """sops.go ToBytes: strconv.FormatFloat(f, 'f', -1, 64)."""
    assert _go_float(value) == text


def test_a_multi_document_sops_file_is_refused_by_name_not_passed_through() -> None:
    text = talhelper_path("pkg", "decrypt", "testdata", "encrypted.yaml").read_text()
    with pytest.raises(SopsError, match=r"^two\.yaml: SOPS decryption failed: it holds several YAML documents"):
        decrypt_text(text + "---\n" + text, "two.yaml", environ=with_key())
    assert decrypt_text("a: 1\n---\nb: 2\n", "plain.yaml", environ=NO_KEY) == "a: 1\n---\nb: 2\n"


def _encrypt_like_sops(tree: dict[str, object], suffix: str, mac_only_encrypted: bool,
                       ssh_public_key: str = "", as_json: bool = False) -> str:
    """A file laid out as sops.go Tree.Encrypt writes it, for talhelper's test identity."""
    import pyrage

    return encrypt_like_sops(tree, pyrage.x25519.Identity.from_str(age_key()), suffix, mac_only_encrypted,
                             ssh_public_key, as_json)


@pytest.mark.parametrize("mac_only_encrypted", [False, True])
def test_typed_and_unencrypted_suffix_values_decrypt_with_the_mac_checked(mac_only_encrypted: bool) -> None:
    tree = {"port": 6443, "ratio": 0.5, "enabled": True, "name": "cp", "list": ["a", 2],
            "note_unencrypted": "plain", "nested": {"count_unencrypted": 3, "secret": "s"}}
    text = _encrypt_like_sops(tree, "_unencrypted", mac_only_encrypted)
    assert "plain" in text and "6443" not in text
    assert yamlio.load(decrypt_text(text, "typed.yaml", environ=with_key())) == tree
    tampered = text.replace("note_unencrypted: plain", "note_unencrypted: changed")
    if mac_only_encrypted:  # sops.go: unencrypted values are outside the MAC in this mode
        assert yamlio.load(decrypt_text(tampered, "t.yaml", environ=with_key()))["note_unencrypted"] == "changed"
    else:
        with pytest.raises(SopsError, match="Failed to verify data integrity"):
            decrypt_text(tampered, "t.yaml", environ=with_key())


def test_a_missing_file_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(SopsError, match=r"does-not-exist\.yaml: cannot read: No such file or directory"):
        decrypt_file(tmp_path / "does-not-exist.yaml", environ=NO_KEY)


def test_sops_age_key_cmd_is_run_with_the_recipient_and_its_output_used() -> None:
    encrypted = talhelper_path("pkg", "decrypt", "testdata", "encrypted.yaml")
    recipient = yamlio.load(encrypted.read_text())["sops"]["age"][0]["recipient"]
    command = f"sh -c 'test \"$SOPS_AGE_RECIPIENT\" = {recipient} && echo {age_key()}'"
    assert "mysecretvalue" in decrypt_file(encrypted, environ={"HOME": "/nonexistent", "SOPS_AGE_KEY_CMD": command})
    with pytest.raises(SopsError, match="SOPS decryption failed: failed to execute command false: exit status 1"):
        decrypt_file(encrypted, environ={"HOME": "/nonexistent", "SOPS_AGE_KEY_CMD": "false"})


def test_an_ssh_key_decrypts_a_file_encrypted_for_its_ssh_recipient(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    private = ed25519.Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    (tmp_path / ".ssh").mkdir()
    (tmp_path / ".ssh" / "id_ed25519").write_bytes(private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()))
    text = _encrypt_like_sops({"token": "t0ps3cret"}, "_unencrypted", False, ssh_public_key=public.decode())
    assert "t0ps3cret" in decrypt_text(text, "ssh.yaml", environ={"HOME": str(tmp_path)})  # ~/.ssh/id_ed25519
    explicit = {"HOME": "/nonexistent", "SOPS_AGE_SSH_PRIVATE_KEY_FILE": str(tmp_path / ".ssh" / "id_ed25519")}
    assert "t0ps3cret" in decrypt_text(text, "ssh.yaml", environ=explicit)


def test_a_binary_sops_file_gives_back_its_data(tmp_path: Path) -> None:
    """sops stores other files as JSON {data, sops}; talhelper reads e.g. a machineFiles tsauth.env that way."""
    path = tmp_path / "auth.conf"
    path.write_text(_encrypt_like_sops({"data": "TS_AUTHKEY=abc\n"}, "_unencrypted", False, as_json=True))
    assert decrypt_file(path, environ=with_key()) == "TS_AUTHKEY=abc\n"
    (tmp_path / "plain.conf").write_text("not json at all\n")
    assert decrypt_file(tmp_path / "plain.conf", environ=NO_KEY) == "not json at all\n"


@pytest.mark.parametrize(("text", "encrypted"), [
    ("this:\n  is:\n    not: encrypted\n", False),
    ("this:\n  is:\n    super: encrypted\nsops:\n  kms: []\n  age:\n    - recipient: age1x\n      enc: x\n", True),
    ("# just a comment\n", False),
    ("a: 1\nsops: {}\n", False),
])
def test_a_file_is_sops_encrypted_when_it_has_a_non_empty_sops_key(text: str, encrypted: bool) -> None:
    """talhelper pkg/decrypt/decrypt_test.go TestIsSopsEncrypted, TestIsSopsEncryptedCommentOnly."""
    from components.talos.sops import is_encrypted

    assert is_encrypted(text) is encrypted
