"""Where sops looks for age identities, and unwrapping the data key with them.

getsops/sops age/keysource.go loadIdentities: ``SOPS_AGE_KEY`` (several keys per line allowed),
``SOPS_AGE_KEY_FILE``, ``SOPS_AGE_KEY_CMD``'s output, then ``<user config dir>/sops/age/keys.txt``
(os.UserConfigDir: ``$XDG_CONFIG_HOME`` or ``~/.config`` on Linux), plus SSH keys (loadAgeSSHIdentities).
Empty lines and ``#`` lines are skipped (parseIdentities).
pyrage (bindings to the maintained Rust age implementation, rage) does the X25519 unwrap and the armor.
"""

from __future__ import annotations

import os
import shlex
import subprocess
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


Identity = pyrage.x25519.Identity | pyrage.ssh.Identity


def _ssh_identities(env: Mapping[str, str]) -> list[Identity]:
    """loadAgeSSHIdentities: SOPS_AGE_SSH_PRIVATE_KEY_FILE, else ~/.ssh/id_ed25519 and ~/.ssh/id_rsa."""
    explicit = env.get("SOPS_AGE_SSH_PRIVATE_KEY_FILE")
    home = Path(env.get("HOME") or Path.home())
    paths = [Path(explicit)] if explicit else [home / ".ssh" / "id_ed25519", home / ".ssh" / "id_rsa"]
    identities: list[Identity] = []
    for path in paths:
        if not path.is_file():
            if explicit:
                raise LookupError(f"failed to open SOPS_AGE_SSH_PRIVATE_KEY_FILE file {path}")
            continue
        try:
            identities.append(pyrage.ssh.Identity.from_buffer(path.read_bytes()))
        except (pyrage.IdentityError, OSError):
            if explicit:  # a passphrase-protected key needs sops' prompt
                raise LookupError(f"SOPS_AGE_SSH_PRIVATE_KEY_FILE {path} is not an unencrypted SSH key") from None
    return identities


def _command_identities(env: Mapping[str, str], recipient: str) -> list[Identity]:
    """SOPS_AGE_KEY_CMD: run (shlex-split, SOPS_AGE_RECIPIENT set) and read its output as a keys file."""
    command = env.get("SOPS_AGE_KEY_CMD")
    if not command:
        return []
    try:
        result = subprocess.run(shlex.split(command), env={**os.environ, **env, "SOPS_AGE_RECIPIENT": recipient},
                                capture_output=True, text=True, check=False)
    except (OSError, ValueError) as error:
        raise LookupError(f"failed to execute command {command}: {error}") from None
    if result.returncode != 0:
        raise LookupError(f"failed to execute command {command}: exit status {result.returncode}")
    return list(_parse(result.stdout, False, "SOPS_AGE_KEY_CMD"))


def load_identities(environ: Mapping[str, str] | None = None, recipient: str = "") -> list[Identity]:
    """Every identity sops would find for ``recipient`` (keysource.go loadIdentities)."""
    env = os.environ if environ is None else environ
    identities: list[Identity] = _ssh_identities(env)
    if "SOPS_AGE_KEY" in env:
        identities += _parse(env["SOPS_AGE_KEY"], True, "SOPS_AGE_KEY")
    if "SOPS_AGE_KEY_FILE" in env:
        path = Path(env["SOPS_AGE_KEY_FILE"])
        try:
            identities += _parse(path.read_text(), False, f"SOPS_AGE_KEY_FILE {path}")
        except OSError as error:
            raise LookupError(f"failed to open SOPS_AGE_KEY_FILE file {path}: {error.strerror}") from None
    identities += _command_identities(env, recipient)
    default = keys_file(env)
    if default.is_file():
        identities += _parse(default.read_text(), False, str(default))
    return identities


def unwrap(encrypted_key: str, identities: list[Identity]) -> bytes | None:
    """The data key, or None when no identity is a recipient of this stanza."""
    try:
        return pyrage.decrypt(encrypted_key.encode(), list(identities))
    except pyrage.DecryptError:
        return None
