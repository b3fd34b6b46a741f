"""Go's path/filepath on Unix."""

from __future__ import annotations

import posixpath


def is_local(path: str) -> bool:
    """filepath.IsLocal: relative, non-empty, and never escaping its directory."""
    if path.startswith("/") or path == "":
        return False
    if any(part in (".", "..") for part in path.split("/")):
        path = posixpath.normpath(path)
    return not (path == ".." or path.startswith("../"))
