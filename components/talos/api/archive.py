"""The Kubeconfig reply: a gzip tar with one file and no end-of-archive blocks (Go never closes the writer).

A node decides how far the archive inflates: it is decompressed up to MAX_ARCHIVE_BYTES and no further (a
3 MB reply of zeros once inflated past 3 GB), and it must hold exactly the one file."""

from __future__ import annotations

import gzip
import io
import tarfile
import zlib

from ..errors import TalosError, terminal_safe

# Talos's admin kubeconfig is a few KB (siderolabs/talos internal/app/machined/pkg/controllers/secrets
# kubeconfig: one cluster, one user, one context); a thousand times that is no kubeconfig.
MAX_ARCHIVE_BYTES = 4 * 1024 * 1024
_BLOCK = tarfile.BLOCKSIZE


def inflate(data: bytes, limit: int = MAX_ARCHIVE_BYTES) -> bytes:
    """gzip data (one or more members, as Go's gzip.Reader reads them), refused once it passes `limit` bytes."""
    out = bytearray()
    rest = data
    while rest:
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            out += inflater.decompress(rest, limit + 1 - len(out))
        except zlib.error as error:
            raise TalosError(f"Kubeconfig reply: not a gzip tar archive ({error})") from None
        if len(out) > limit:
            raise TalosError(f"Kubeconfig reply: the archive inflates past {limit} bytes; a kubeconfig is a few KB")
        if not inflater.eof:
            raise TalosError("Kubeconfig reply: not a gzip tar archive (the gzip stream is truncated)")
        rest = inflater.unused_data
    return bytes(out)


def first_member(data: bytes, expected: str = "kubeconfig") -> bytes:
    """The archive's one file. Python's tarfile raises on the missing end blocks if asked for a next member,
    so the rest of the archive is checked by hand: nothing but padding may follow the file."""
    archive_bytes = inflate(data)
    try:
        with tarfile.open(fileobj=io.BytesIO(archive_bytes), mode="r:") as archive:
            member = archive.next()
            handle = archive.extractfile(member) if member is not None and member.isfile() else None
            if member is None or member.name != expected or handle is None:
                name = terminal_safe(member.name) if member is not None else "nothing"
                raise TalosError(f"Kubeconfig reply: expected one file named {expected!r} in the archive, "
                                 f"found {name}")
            content = handle.read()
            end = member.offset_data + -(-member.size // _BLOCK) * _BLOCK
    except (OSError, EOFError, tarfile.TarError) as error:
        raise TalosError(f"Kubeconfig reply: not a gzip tar archive ({error})") from None
    if len(content) != member.size:
        raise TalosError(f"Kubeconfig reply: the archive ends inside {expected!r}")
    if archive_bytes[end:].strip(b"\0"):
        raise TalosError(f"Kubeconfig reply: expected one file named {expected!r} in the archive, found more")
    return content


def single_file_archive(name: str, content: bytes, mode: int = 0o600) -> bytes:
    """What Talos's server sends: one tar header plus the raw content, no padding, no end blocks, gzipped."""
    info = tarfile.TarInfo(name)
    info.size = len(content)
    info.mode = mode
    header = info.tobuf(format=tarfile.PAX_FORMAT)
    return gzip.compress(header + content)
