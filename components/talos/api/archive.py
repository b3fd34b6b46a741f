"""The Kubeconfig reply: a gzip tar with one file and no end-of-archive blocks (Go never closes the writer)."""

from __future__ import annotations

import gzip
import io
import tarfile

from ..errors import TalosError


def first_member(data: bytes, expected: str = "kubeconfig") -> bytes:
    """Read only the first member: Python's tarfile raises on the missing end blocks if asked for more."""
    try:
        with tarfile.open(fileobj=io.BytesIO(gzip.decompress(data)), mode="r:") as archive:
            member = archive.next()
            handle = archive.extractfile(member) if member is not None and member.isfile() else None
            if member is None or member.name != expected or handle is None:
                raise TalosError(f"Kubeconfig reply: expected one file named {expected!r} in the archive")
            return handle.read()
    except (OSError, EOFError, tarfile.TarError) as error:
        raise TalosError(f"Kubeconfig reply: not a gzip tar archive ({error})") from None


def single_file_archive(name: str, content: bytes, mode: int = 0o600) -> bytes:
    """What Talos's server sends: one tar header plus the raw content, no padding, no end blocks, gzipped."""
    info = tarfile.TarInfo(name)
    info.size = len(content)
    info.mode = mode
    header = info.tobuf(format=tarfile.PAX_FORMAT)
    return gzip.compress(header + content)
