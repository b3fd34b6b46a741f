"""Which written files hold secrets, and the `.gitignore` that keeps each out of git.

Every command that writes keys or tokens to a file names it here, and the file gets a line in the
`.gitignore` of its own folder (talhelper pkg/config/gitignore.go does this for genconfig's output; the same
append-only rule is applied to `gen secrets -o`, `gen config -o` and the client configs):

- `gen secrets`, `gen config` (controlplane.yaml and worker.yaml carry the cluster CAs' keys and tokens, the
  talosconfig an os:admin key) and `genconfig`: always; they make project files, and a `.gitignore` outside
  a repository costs nothing.
- kubeconfig and talosconfig writes (`kubeconfig PATH`, `config endpoint|node|merge|context` on a file):
  only inside a git work tree, so `~/.kube/config` and `~/.talos/config` never grow a `.gitignore`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from .gitignore import append_gitignore


def in_git_work_tree(folder: Path) -> bool:
    """A `.git` (folder, or file for worktrees and submodules) in `folder` or any folder above it."""
    return any((parent / ".git").exists() for parent in (folder.resolve(), *folder.resolve().parents))


def cover(paths: Iterable[Path], *, only_in_repository: bool = False) -> None:
    """Extend each file's folder's `.gitignore` with its name (unless a line already ignores it), and say so."""
    by_folder: dict[Path, list[str]] = {}
    for path in paths:
        by_folder.setdefault(path.parent, []).append(path.name)
    for folder, names in by_folder.items():
        if only_in_repository and not in_git_work_tree(folder):
            continue
        ignore_file = folder / ".gitignore"
        before = ignore_file.read_text() if ignore_file.is_file() else None
        append_gitignore(folder, names)
        if ignore_file.read_text() != before:
            print(f"secrets kept out of git: {', '.join(names)} listed in {ignore_file}", file=sys.stderr)
