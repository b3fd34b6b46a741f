"""Flag helpers with talosctl's (cobra/pflag) conventions: ``--flag=false``, comma-separated slices."""

from __future__ import annotations

import argparse

from ..errors import ConfigError
from ..golang.durations import SECOND, parse_duration


def parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "t", "true"):
        return True
    if value in ("0", "f", "false"):
        return False
    raise argparse.ArgumentTypeError(f"invalid boolean {text!r}; expected true or false")


def add_bool(parser: argparse.ArgumentParser, name: str, default: bool, help_text: str) -> None:
    """``--name`` alone means true; ``--name=false`` is accepted as cobra accepts it."""
    parser.add_argument(name, type=parse_bool, nargs="?", const=True, default=default, metavar="BOOL",
                        help=f"{help_text} (default {str(default).lower()})")


def string_slice(values: list[str] | None) -> list[str]:
    """pflag StringSlice: repeated flags and comma-separated values both add items."""
    return [item.strip() for value in values or [] for item in value.split(",") if item.strip()]


def seconds(duration: str, flag: str) -> float:
    """A duration flag as cobra's DurationVar reads it (time.ParseDuration: 90s, 20m, 1h30m), in seconds."""
    try:
        return parse_duration(duration) / SECOND
    except ValueError as error:
        raise ConfigError(f"invalid argument {duration!r} for {flag}: {error}; expected a duration such as 90s, "
                          "20m or 1h") from None
