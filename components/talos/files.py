"""Writing generated files: secrets are never readable by others, not even for a moment, and names stay
inside the folder they are meant for."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from .errors import ConfigError, TalosError, excerpt


def write_output(path: str | Path, text: str, mode: int = 0o600, overwrite: bool = True,
                 error: type[TalosError] = TalosError) -> None:
    """Create or replace `path`, born with `mode` whatever the umask.

    The text goes to a new file in the same folder, created with O_CREAT|O_EXCL and `mode` (so no other
    user can open it between create and write, and no symlink planted under the temporary name is
    followed); the fd's mode is then set exactly (the umask can only remove bits, never add them), and an
    atomic rename replaces the target, so an existing 0644 file never holds the new secrets.
    """
    target = Path(path)
    if target.exists() and not overwrite:
        raise error(f"{target}: file already exists, use --force to overwrite")
    if target.is_dir():
        raise error(f"{target}: is a directory; expected a file path")
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), mode)
    except OSError as failure:
        missing = not target.parent.is_dir()
        reason = f"directory {target.parent} does not exist" if missing else failure.strerror
        raise error(f"{target}: cannot write: {reason}") from None
    try:
        os.fchmod(fd, mode)  # on the still-empty file: a umask such as 077 must not strip a 0644 talosconfig
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, target)
    except OSError as failure:
        temporary.unlink(missing_ok=True)
        raise error(f"{target}: cannot write: {failure.strerror}") from None


def confined_name(name: str, what: str) -> str:
    """A file name to join to an output folder: one plain component, never a path that leaves the folder."""
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name or os.path.isabs(name):
        raise ConfigError(f"{what}: {excerpt(name)} is not a plain file name; expected no '/', '..', NUL or "
                          "absolute path (files are written only inside the output folder)")
    return name
