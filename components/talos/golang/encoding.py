"""Go's encoding/base64 (StdEncoding.DecodeString) and encoding/pem (Decode), with Go's verdicts: what Go skips
or refuses is skipped or refused here, and a refusal carries Go's text."""

from __future__ import annotations

import base64
import binascii
import re
import string
from dataclasses import dataclass, field

_BASE64 = frozenset(string.ascii_letters + string.digits + "+/")
_CANONICAL = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")


def base64_decoded_length(text: str) -> int:
    """base64.StdEncoding.DecodeString: the decoded length; ValueError with CorruptInputError's text.

    Follows encoding/base64 decodeQuantum: newlines skipped, padding required, nothing after it."""
    if _CANONICAL.fullmatch(text):  # every key and certificate Talos writes: no loop over the characters
        return len(text) // 4 * 3 - text[-2:].count("=")
    decoded, index, size = 0, 0, len(text)

    def corrupt(offset: int) -> ValueError:
        return ValueError(f"illegal base64 data at input byte {offset}")

    while True:
        filled = 0
        while filled < 4:
            if index == size:
                if filled == 0:
                    return decoded
                raise corrupt(index - filled)
            char = text[index]
            index += 1
            if char in _BASE64:
                filled += 1
                continue
            if char in "\r\n":
                continue
            if char != "=" or filled < 2:
                raise corrupt(index - 1)
            if filled == 2:  # "==" ends a quantum of two characters
                while index < size and text[index] in "\r\n":
                    index += 1
                if index == size:
                    raise corrupt(size)
                if text[index] != "=":
                    raise corrupt(index - 1)
                index += 1
            while index < size and text[index] in "\r\n":
                index += 1
            if index < size:
                raise corrupt(index)
            return decoded + filled - 1
        decoded += 3


@dataclass
class PEMBlock:
    type: str
    headers: dict[str, str] = field(default_factory=dict)
    data: bytes = b""


def _line(data: str) -> tuple[str, str]:
    """pem.go getLine: the line without its CR and trailing spaces and tabs, and the rest."""
    end = data.find("\n")
    if end < 0:
        return data.rstrip(" \t"), ""
    return data[:end].removesuffix("\r").rstrip(" \t"), data[end + 1:]


def pem_decode(data: str) -> tuple[PEMBlock | None, str]:
    """pem.Decode: the first well-formed block and what follows it, or (None, data); a block whose END line does
    not match or whose base64 does not decode is skipped, as Go skips it."""
    rest = data
    while True:
        if rest.startswith("-----BEGIN "):
            rest = rest[len("-----BEGIN "):]
        elif "\n-----BEGIN " in rest:
            rest = rest.split("\n-----BEGIN ", 1)[1]
        else:
            return None, data
        type_line, rest = _line(rest)
        if not type_line.endswith("-----"):
            continue
        block = PEMBlock(type_line[:-5])
        while rest:
            line, following = _line(rest)
            key, colon, value = line.partition(":")
            if not colon:
                break
            block.headers[key.strip()] = value.strip()
            rest = following
        if not rest:
            return None, data
        if not block.headers and rest.startswith("-----END "):
            end, trailer_at = 0, len("-----END ")
        else:
            end = rest.find("\n-----END ")
            trailer_at = end + len("\n-----END ")
        if end < 0:
            continue
        trailer_length = len(block.type) + 5
        trailer = rest[trailer_at:trailer_at + trailer_length]
        if len(trailer) < trailer_length or not trailer.startswith(block.type) or not trailer.endswith("-----"):
            continue
        if _line(rest[trailer_at + trailer_length:])[0]:
            continue
        try:
            block.data = base64.b64decode(re.sub(r"[ \t\r\n]", "", rest[:end]), validate=True)
        except (binascii.Error, ValueError):
            continue
        return block, _line(rest[end + len("\n-----END ") - 1:])[1]


def pem_blocks(data: str) -> list[PEMBlock]:
    """Every block pem.Decode finds, in order."""
    blocks: list[PEMBlock] = []
    while True:
        block, data = pem_decode(data)
        if block is None:
            return blocks
        blocks.append(block)
