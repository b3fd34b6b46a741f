"""age encryption of snapshot files, as talos-backup encrypts its uploads (pkg/encryption EncryptFile: age
to one X25519 recipient, the ciphertext in `<file>.age`, 0600). Streams file to file through rage."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ..errors import TalosError


class EncryptionError(TalosError):
    pass


def _new_file(path: Path) -> int:
    """A new 0600 file; an existing file or a symlink under that name is refused, never followed."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)


def encrypt(source: Path, target: Path, recipients: Sequence[str]) -> None:
    import pyrage

    keys = [pyrage.x25519.Recipient.from_str(text) for text in recipients]
    try:
        fd = _new_file(target)
        os.fchmod(fd, 0o600)
        with source.open("rb") as plain, os.fdopen(fd, "wb") as sealed:
            pyrage.encrypt_io(plain, sealed, keys)
            sealed.flush()
            os.fsync(sealed.fileno())
    except (OSError, pyrage.EncryptError) as error:
        target.unlink(missing_ok=True)
        raise EncryptionError(f"{target}: cannot encrypt the snapshot: {error}") from None


def decrypt(source: Path, target: Path, identity_file: Path) -> None:
    """For a restore: `source` decrypted with the age identities in `identity_file` (age-keygen's file)."""
    import pyrage

    try:
        lines = identity_file.read_text().splitlines()
    except OSError as error:
        raise EncryptionError(f"{identity_file}: cannot read the age identity file: {error.strerror}") from None
    keys = []
    for line in lines:
        if line.startswith("AGE-SECRET-KEY-"):
            try:
                keys.append(pyrage.x25519.Identity.from_str(line.strip()))
            except Exception:
                raise EncryptionError(f"{identity_file}: holds a line that is no age identity") from None
    if not keys:
        raise EncryptionError(f"{identity_file}: no age identity (AGE-SECRET-KEY-...) in it")
    try:
        fd = _new_file(target)
        os.fchmod(fd, 0o600)
        with source.open("rb") as sealed, os.fdopen(fd, "wb") as plain:
            pyrage.decrypt_io(sealed, plain, keys)
    except (OSError, pyrage.DecryptError) as error:
        target.unlink(missing_ok=True)
        raise EncryptionError(f"{source}: cannot decrypt it with {identity_file}: {error}") from None
