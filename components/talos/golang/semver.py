"""blang/semver v4 ``ParseTolerant`` and ``Parse``, with the library's error texts (Talos reads Kubernetes versions
from image tags with it)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .strconv import parse_uint, quote


@dataclass(frozen=True)
class Version:
    core: tuple[int, int, int]  # major, minor, patch: what Talos compares
    text: str  # Version.String(): the version with its pre-release and build metadata

    def __str__(self) -> str:
        return self.text


def parse_tolerant(version: str) -> Version:
    """semver.ParseTolerant: spaces and a leading "v" dropped, leading zeros stripped, missing minor and patch
    read as 0; ValueError with the library's text."""
    text = version.strip().removeprefix("v")
    parts = text.split(".", 2)
    for index, part in enumerate(parts):
        if len(part) > 1:
            part = part.lstrip("0")
            if not part or not part[0].isdigit():
                part = "0" + part
            parts[index] = part
    if len(parts) < 3:
        if any(char in parts[-1] for char in "+-"):
            raise ValueError("Short version cannot contain PreRelease/Build meta data")
        parts += ["0"] * (3 - len(parts))
    return parse(".".join(parts))


def parse(text: str) -> Version:
    """semver.Parse: major.minor.patch[-prerelease][+build]."""
    if not text:
        raise ValueError("Version string empty")
    parts = text.split(".", 2)
    if len(parts) != 3:
        raise ValueError("No Major.Minor.Patch elements found")
    patch, _, build = parts[2].partition("+")
    patch, _, prerelease = patch.partition("-")
    numbers: list[int] = []
    for label, value in (("major", parts[0]), ("minor", parts[1]), ("patch", patch)):
        if any(char not in "0123456789" for char in value):
            raise ValueError(f"Invalid character(s) found in {label} number {quote(value)}")
        if len(value) > 1 and value[0] == "0":
            raise ValueError(f"{label.capitalize()} number must not contain leading zeroes {quote(value)}")
        numbers.append(parse_uint(value))
    if "-" in parts[2].partition("+")[0]:
        for identifier in prerelease.split("."):
            if not identifier:
                raise ValueError("Prerelease is empty")
            if identifier.isdigit() and len(identifier) > 1 and identifier[0] == "0":
                raise ValueError(f"Numeric PreRelease version must not contain leading zeroes {quote(identifier)}")
            if not re.fullmatch(r"[0-9A-Za-z-]+", identifier):
                raise ValueError(f"Invalid character(s) found in prerelease {quote(identifier)}")
    if "+" in parts[2]:
        for identifier in build.split("."):
            if not identifier:
                raise ValueError("Build meta data is empty")
            if not re.fullmatch(r"[0-9A-Za-z-]+", identifier):
                raise ValueError(f"Invalid character(s) found in build meta data {quote(identifier)}")
    canonical = ".".join(map(str, numbers)) + (f"-{prerelease}" if "-" in parts[2].partition("+")[0] else "") \
        + (f"+{build}" if "+" in parts[2] else "")
    return Version((numbers[0], numbers[1], numbers[2]), canonical)
