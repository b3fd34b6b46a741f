"""Errors a user can act on: each names its input and what was expected."""

from __future__ import annotations


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
