"""Where sops looks for age identities, and unwrapping the data key with them.

getsops/sops age/keysource.go loadIdentities: ``SOPS_AGE_KEY`` (several keys per line allowed),
``SOPS_AGE_KEY_FILE``, then ``<user config dir>/sops/age/keys.txt`` (os.UserConfigDir: ``$XDG_CONFIG_HOME``
or ``~/.config`` on Linux). Empty lines and ``#`` lines are skipped (parseIdentities).
pyrage (bindings to the maintained Rust age implementation, rage) does the X25519 unwrap and the armor.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import pyrage


def keys_file(environ: Mapping[str, str]) -> Path:
    config = environ.get("XDG_CONFIG_HOME") or str(Path(environ.get("HOME") or Path.home()) / ".config")
    return Path(config) / "sops" / "age" / "keys.txt"


def _parse(text: str, several_per_line: bool, location: str) -> list[pyrage.x25519.Identity]:
    identities: list[pyrage.x25519.Identity] = []
    for line in text.splitlines():
        if line == "" or line.startswith("#"):
            continue
        for word in line.split() if several_per_line else [line]:
            if not word.startswith("AGE-SECRET-KEY-1"):
                # Plugins, post-quantum and SSH identities are left to the sops binary.
                raise LookupError(f"{location} holds an identity this program cannot use natively "
                                  f"({word.split('-1')[0][:24]}…)")
            try:
                identities.append(pyrage.x25519.Identity.from_str(word.strip()))
            except pyrage.IdentityError:
                raise LookupError(f"{location} holds a malformed age secret key") from None
    return identities


def load_identities(environ: Mapping[str, str] | None = None) -> list[pyrage.x25519.Identity]:
    """Every identity sops would find."""
    env = os.environ if environ is None else environ
    identities: list[pyrage.x25519.Identity] = []
    if "SOPS_AGE_KEY" in env:
        identities += _parse(env["SOPS_AGE_KEY"], True, "SOPS_AGE_KEY")
    if "SOPS_AGE_KEY_FILE" in env:
        path = Path(env["SOPS_AGE_KEY_FILE"])
        try:
            identities += _parse(path.read_text(), False, f"SOPS_AGE_KEY_FILE {path}")
        except OSError as error:
            raise LookupError(f"failed to open SOPS_AGE_KEY_FILE file {path}: {error.strerror}") from None
    default = keys_file(env)
    if default.is_file():
        identities += _parse(default.read_text(), False, str(default))
    return identities


def unwrap(encrypted_key: str, identities: list[pyrage.x25519.Identity]) -> bytes | None:
    """The data key, or None when no identity is a recipient of this stanza."""
    try:
        return pyrage.decrypt(encrypted_key.encode(), list(identities))
    except pyrage.DecryptError:
        return None
