"""Errors a user can act on: each names its input and what was expected."""

from __future__ import annotations

from typing import Any

EXCERPT = 60  # an error never echoes more of an input than this (a 1 MB value once made a 1 MB message)


def shorten(text: str, limit: int = EXCERPT) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


def excerpt(value: Any) -> str:
    """repr of a user's value, cut short for an error line."""
    return shorten(repr(value))


class TalosError(Exception):
    """A user-facing error. The CLI prints ``str(error)`` and exits non-zero, without a traceback."""


class VersionError(TalosError):
    pass


class SecretsError(TalosError):
    pass


class PatchError(TalosError):
    pass


class ConfigError(TalosError):
    pass
