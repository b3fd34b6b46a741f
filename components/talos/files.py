"""Writing generated files with the permissions talosctl and talhelper give them."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import TalosError


def write_output(path: str | Path, text: str, mode: int = 0o600, overwrite: bool = True,
                 error: type[TalosError] = TalosError) -> None:
    """Create or replace `path` with `mode` (also applied to an existing file, so secrets never stay readable)."""
    target = Path(path)
    if target.exists() and not overwrite:
        raise error(f"{target}: file already exists, use --force to overwrite")
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w") as stream:
            stream.write(text)
        os.chmod(target, mode)
    except OSError as failure:
        missing = not target.parent.is_dir()
        reason = f"directory {target.parent} does not exist" if missing else failure.strerror
        raise error(f"{target}: cannot write: {reason}") from None
