"""Reading Go source out of a bare Talos clone, for the scripts that generate tables from Talos's config types."""

from __future__ import annotations

import re
import subprocess


def git(repo: str, *args: str) -> str:
    """The output of ``git --git-dir=repo args…`` (a bare clone has no work tree to read)."""
    return subprocess.run(["git", f"--git-dir={repo}", *args], check=True, capture_output=True,
                          text=True).stdout


def go_imports(text: str) -> dict[str, str]:
    """alias -> import path of a Go file's imports (the alias is the path's last element unless one is given)."""
    imports: dict[str, str] = {}
    block = re.search(r"^import \((.*?)^\)", text, re.M | re.S)
    specs = block.group(1).splitlines() if block else re.findall(r"^import (.*)$", text, re.M)
    for spec in specs:
        match = re.match(r'\s*(\w+\s+)?"([^"]+)"', spec)
        if match:
            path = match.group(2)
            imports[(match.group(1) or "").strip() or path.rsplit("/", 1)[-1]] = path
    return imports
