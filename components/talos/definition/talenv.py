"""talhelper env files (``talenv.yaml`` and ``-e``): variables for ``${VAR}`` in the definition.

talhelper pkg/substitute/envsubst.go LoadEnvFromFiles: files that do not exist are skipped; each is
SOPS-decrypted as YAML when encrypted, ``---`` lines are blanked, then read with joho/godotenv, whose
parser takes ``KEY=value`` and ``KEY: value`` lines alike. Values override the process environment, and a
later file overrides an earlier one (os.Setenv in file order). godotenv's errors are ignored by talhelper;
here a line that is not ``KEY: value`` is an error naming the file and line.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..errors import ConfigError
from ..sops import decrypt_file

# cmd/genconfig.go --env-file default, in this order.
DEFAULT_ENV_FILES = ("talenv.yaml", "talenv.sops.yaml", "talenv.yml", "talenv.sops.yml")
_KEY = re.compile(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*[=:]\s?(.*)$")
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}  # \$ is left for _expand


_EXPAND = re.compile(r"(\\)?(\$)(\()?\{?([A-Z0-9_]+)?\}?")


def _expand(value: str, values: Mapping[str, str], environ: Mapping[str, str]) -> str:
    """godotenv expandVariables: ``$VAR``/``${VAR}`` (upper-case names) from this file, then the environment."""
    def replace(match: re.Match[str]) -> str:
        if match.group(1) or match.group(3):
            return match.group(0)[1:]
        name = match.group(4)
        if name:
            return values[name] if name in values else environ.get(name, "")
        return match.group(0)
    return _EXPAND.sub(replace, value)


def _value(raw: str, values: Mapping[str, str], environ: Mapping[str, str]) -> str:
    """godotenv extractVarValue: single quotes literal; double quotes unescaped and expanded; else an inline
    `` #`` comment cut, then expanded."""
    text = raw.strip()
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1]
    if len(text) >= 2 and text[0] == text[-1] == '"':
        unescaped = re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), text[1:-1])
        return _expand(unescaped, values, environ)
    comment = re.search(r"\s#", text)
    return _expand((text[:comment.start()] if comment else text).strip(), values, environ)


def parse_env(text: str, source: str, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    values: dict[str, str] = {}
    text = re.sub(r"(?m)^---\n", "\n", text)  # talhelper stripYAMLDocDelimiter (issue 220)
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped == "" or stripped.startswith("#"):
            continue
        match = _KEY.match(stripped)
        if match is None:
            raise ConfigError(f"{source}: line {number}: expected KEY: value (talenv format)")
        values[match.group(1)] = _value(match.group(2), values, {} if environ is None else environ)
    return values


class Environment(dict[str, str]):
    """Variables for ``${VAR}``, and for each one an env file set, which file (errors name it, never the value)."""

    def __init__(self, values: Mapping[str, str]) -> None:
        super().__init__(values)
        self.sources: dict[str, str] = {}


def environment(env_files: Sequence[str | Path] | None = None, base_dir: str | Path | None = None,
                environ: Mapping[str, str] | None = None) -> Environment:
    """The process environment with every existing env file applied over it, in order."""
    result = Environment(os.environ if environ is None else environ)
    names = DEFAULT_ENV_FILES if env_files is None else env_files
    for name in names:
        path = Path(name)
        if base_dir is not None and not path.is_absolute() and env_files is None:
            path = Path(base_dir) / path
        if not path.exists():
            continue
        values = parse_env(decrypt_file(path, "yaml", environ=result), str(path), result)
        result.update(values)
        result.sources.update(dict.fromkeys(values, str(path)))
    return result
