"""The one entry point every render goes through: a config is checked as the target Talos checks it (decoder,
container.New, Config.Validate, each document's Validate, the conflict and container checks) before it is
written or applied. `talosctl validate` (cli/validate.py) reads a file the same way.
"""

from __future__ import annotations

from typing import Any

from ..errors import ConfigError
from .decoder import load_text
from .goparse import endpoint_uri_error
from .registry import Document, Mode, Phase, Problem, run


class MachineConfigInvalid(ConfigError):
    """A config Talos would refuse: every problem, each as Talos words it, after the source it came from."""

    def __init__(self, source: str, problems: list[str], talos: str = "Talos") -> None:
        self.problems = problems
        self.talos = talos
        super().__init__(f"{source}: {describe(problems, talos)}")


def describe(problems: list[str], talos: str = "Talos") -> str:
    return f"{talos} would refuse this config: {'; '.join(problems)}"


def check_config(documents: list[Document], *, minor: int, mode: Mode, source: str,
                 placeholder_secrets: bool = False, talos_version: str = "", local: bool = False) -> list[str]:
    """Raise MachineConfigInvalid naming `source` and every problem Talos v1.`minor` finds in `documents`, as a
    node applying the config checks it (Kubernetes versions against the target too, unless `local`).
    Returns the warnings."""
    problems = run(documents, minor, mode, placeholder_secrets=placeholder_secrets, talos_version=talos_version,
                   local=local)
    errors = [str(p) for p in problems if not p.warning]
    if errors:
        raise MachineConfigInvalid(source, errors, f"Talos {talos_version or f'v1.{minor}'}")
    return [str(p) for p in problems if p.warning]


def check_loadable(documents: list[Document], *, minor: int, source: str) -> None:
    """What loading a config refuses (configloader: the decoder, then container.New), without validating it:
    talosctl gen config loads patches and their result this way."""
    problems = run(documents, minor, Mode.METAL, last=Phase.NEW)
    if problems:
        raise MachineConfigInvalid(source, [str(p) for p in problems], f"Talos v1.{minor}")


def validate_text(text: str | bytes, *, minor: int, mode: Mode, strict: bool = False,
                  talos_version: str = "") -> list[Problem]:
    """talosctl validate: configloader.NewFromFile, then ValidateAsClient with validation.WithLocal()."""
    loaded = load_text(text)
    if loaded.error:
        return [Problem(loaded.rule, loaded.error)]
    if not loaded.documents:
        return [Problem("", "config not found")]  # configloader.ErrNoConfig
    return run(loaded.documents, minor, mode, local=True, strict=strict, talos_version=talos_version,
               lines=loaded.lines)


def endpoint_problem(value: Any) -> str | None:
    """siderolabs/net ValidateEndpointURI's reason, for a cluster endpoint given as input."""
    if not isinstance(value, str) or not value:
        return "expected a URL such as https://192.168.1.80:6443"
    return endpoint_uri_error(value)
