"""talhelper pkg/config/gitignore.go: add each generated file to ``OUT/.gitignore`` unless a line already
ignores it; the user's own lines stay (the file is opened for appending)."""

from __future__ import annotations

import fnmatch
from pathlib import Path


def _ignored(name: str, patterns: list[str]) -> bool:
    """sabhiram/go-gitignore MatchesPath, for the plain file names talhelper writes: the last match decides."""
    ignored = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        glob = pattern[1:] if negated else pattern
        glob = glob.lstrip("/").rstrip("/")
        if fnmatch.fnmatchcase(name, glob) or fnmatch.fnmatchcase(name, f"**/{glob}"):
            ignored = not negated
    return ignored


def append_gitignore(out_dir: Path, names: list[str]) -> Path:
    path = out_dir / ".gitignore"
    existing = path.read_text() if path.exists() else ""
    patterns = [line.strip() for line in existing.splitlines() if line.strip() and not line.startswith("#")]
    missing = [name for name in names if not _ignored(name, patterns)]
    with path.open("a") as stream:
        if existing and not existing.endswith("\n") and missing:
            stream.write("\n")
        stream.write("".join(f"{name}\n" for name in missing))
    return path
