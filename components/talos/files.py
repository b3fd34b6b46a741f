"""Reading input files and writing generated ones, with nothing a file system can plant taken on trust.

Reading: only regular files, opened without blocking (a FIFO or a device given as a patch must not hang the
run) and never more than the caller's limit. Writing: secrets are never readable by others, not even for
a moment; names stay inside the folder they are meant for; and no file is written through a symbolic
link: the folder is opened once with O_NOFOLLOW and every file is created, checked and renamed relative to
it, so a link planted before or during the run is refused or replaced, never followed.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from .errors import ConfigError, TalosError, excerpt

NAME_MAX = 255  # bytes in one file name on Linux, macOS and Windows file systems
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_O_NOCTTY = getattr(os, "O_NOCTTY", 0)
_O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)


class NotRegularFile(OSError):
    """A path that names something other than a regular file; ``strerror`` says what it is."""


class FileTooLarge(OSError):
    pass


def file_kind(mode: int) -> str:
    for test, kind in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISLNK, "a symbolic link")):
        if test(mode):
            return kind
    return "a regular file" if stat.S_ISREG(mode) else "not a regular file"


def _refuse_irregular(mode: int, path: str | Path) -> None:
    if not stat.S_ISREG(mode):
        raise NotRegularFile(errno.EINVAL, f"is {file_kind(mode)}; expected a regular file", str(path))


def read_regular_file(path: str | Path, limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; OSError otherwise (``strerror`` says why).

    The path is stat'ed before it is opened (a FIFO, socket or device is never opened), then opened with
    O_NONBLOCK and checked again on the descriptor (the path may have changed in between).
    """
    _refuse_irregular(os.stat(path).st_mode, path)
    fd = os.open(path, os.O_RDONLY | _O_NONBLOCK | _O_NOCTTY | _O_CLOEXEC)
    try:
        info = os.fstat(fd)
        _refuse_irregular(info.st_mode, path)
        too_large = FileTooLarge(errno.EFBIG, f"is larger than {limit} bytes ({limit // (1024 * 1024)} MiB); "
                                              "expected a smaller file", str(path))
        if info.st_size > limit:
            raise too_large
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise too_large  # it grew while being read
        return b"".join(chunks)
    finally:
        os.close(fd)


@contextmanager
def _folder(target: Path, error: type[TalosError]) -> Iterator[int]:
    """The folder of ``target`` as a descriptor; refused when it is a symbolic link or not a directory."""
    folder = target.parent
    try:
        fd = os.open(folder, os.O_RDONLY | _O_DIRECTORY | _O_NOFOLLOW | _O_CLOEXEC)
    except OSError as failure:
        if failure.errno == errno.ENOENT:
            raise error(f"{target}: cannot write: directory {folder} does not exist") from None
        if failure.errno in (errno.ELOOP, errno.ENOTDIR) and folder.is_symlink():
            raise error(f"{folder}: is a symbolic link; files are never written through one (use the "
                        "folder it points to)") from None
        raise error(f"{target}: cannot write: {failure.strerror}") from None
    try:
        yield fd
    finally:
        os.close(fd)


def _existing(name: str, folder_fd: int) -> os.stat_result | None:
    try:
        return os.stat(name, dir_fd=folder_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None


def check_output_target(path: str | Path, error: type[TalosError] = TalosError, overwrite: bool = True) -> None:
    """Refuse before anything is written: a folder or target that is a symbolic link, a target that is
    not a regular file, or (``overwrite=False``) one that exists. A missing folder passes (it is created)."""
    target = Path(path)
    if not target.parent.exists() and not target.parent.is_symlink():
        return
    with _folder(target, error) as folder_fd:
        _check_target(target, _existing(target.name, folder_fd), error, overwrite)


def _check_target(target: Path, existing: os.stat_result | None, error: type[TalosError], overwrite: bool) -> None:
    if existing is None:
        return
    if stat.S_ISLNK(existing.st_mode):
        raise error(f"{target}: is a symbolic link; files are never written through one (remove it first)")
    if stat.S_ISDIR(existing.st_mode):
        raise error(f"{target}: is a directory; expected a file path")
    if not stat.S_ISREG(existing.st_mode):
        raise error(f"{target}: is {file_kind(existing.st_mode)}; expected a regular file or nothing")
    if not overwrite:
        raise error(f"{target}: file already exists, use --force to overwrite")


def write_output(path: str | Path, text: str, mode: int = 0o600, overwrite: bool = True,
                 error: type[TalosError] = TalosError) -> None:
    """Create or replace `path`, born with `mode` whatever the umask, never through a symbolic link.

    The text goes to a new file in the same folder, created with O_CREAT|O_EXCL|O_NOFOLLOW and `mode`
    relative to the folder's descriptor (so no other user can open it between create and write, and no
    link planted under either name is followed); the fd's mode is then set exactly (the umask can only
    remove bits, never add them), and an atomic rename replaces the target, so an existing 0644 file never
    holds the new secrets.
    """
    target = Path(path)
    with _folder(target, error) as folder_fd:
        _check_target(target, _existing(target.name, folder_fd), error, overwrite)
        temporary = f".{target.name[:200]}.{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | _O_CLOEXEC, mode,
                         dir_fd=folder_fd)
        except OSError as failure:
            raise error(f"{target}: cannot write: {failure.strerror}") from None
        try:
            os.fchmod(fd, mode)  # on the still-empty file: a umask such as 077 must not strip a 0644 talosconfig
            with os.fdopen(fd, "w", encoding="utf-8") as stream:
                stream.write(text)
            os.replace(temporary, target.name, src_dir_fd=folder_fd, dst_dir_fd=folder_fd)
        except OSError as failure:
            with suppress(FileNotFoundError):
                os.unlink(temporary, dir_fd=folder_fd)
            raise error(f"{target}: cannot write: {failure.strerror}") from None


def read_output(path: str | Path, limit: int, error: type[TalosError] = TalosError) -> str | None:
    """An existing output file's text (None when it does not exist), read without following a link."""
    target = Path(path)
    with _folder(target, error) as folder_fd:
        try:
            fd = os.open(target.name, os.O_RDONLY | _O_NOFOLLOW | _O_NONBLOCK | _O_NOCTTY | _O_CLOEXEC,
                         dir_fd=folder_fd)
        except FileNotFoundError:
            return None
        except OSError as failure:
            _check_target(target, _existing(target.name, folder_fd), error, True)
            raise error(f"{target}: cannot read: {failure.strerror}") from None
        with os.fdopen(fd, "rb") as stream:
            _check_target(target, os.fstat(stream.fileno()), error, True)
            data = stream.read(limit + 1)
    if len(data) > limit:
        raise error(f"{target}: is larger than {limit} bytes; expected a smaller file")
    return data.decode("utf-8", errors="replace")


def append_output(path: str | Path, text: str, mode: int = 0o644, error: type[TalosError] = TalosError) -> None:
    """Append to (or create) a file the user may have written too, never through a symbolic link."""
    target = Path(path)
    with _folder(target, error) as folder_fd:
        _check_target(target, _existing(target.name, folder_fd), error, True)
        try:
            fd = os.open(target.name, os.O_WRONLY | os.O_APPEND | os.O_CREAT | _O_NOFOLLOW | _O_NONBLOCK
                         | _O_NOCTTY | _O_CLOEXEC, mode, dir_fd=folder_fd)
        except OSError as failure:
            raise error(f"{target}: cannot write: {failure.strerror}") from None
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            _check_target(target, os.fstat(stream.fileno()), error, True)
            stream.write(text)


def confined_name(name: str, what: str) -> str:
    """A file name to join to an output folder: one plain component, never a path that leaves the folder,
    nor one a terminal or a `.gitignore` line cannot show as it is (control characters)."""
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name or os.path.isabs(name):
        raise ConfigError(f"{what}: {excerpt(name)} is not a plain file name; expected no '/', '..', NUL or "
                          "absolute path (files are written only inside the output folder)")
    if any(unicodedata.category(char) == "Cc" for char in name):
        raise ConfigError(f"{what}: {excerpt(name)} holds a control character (a newline, a tab, an escape); "
                          "expected a printable file name")
    if len(name.encode("utf-8", errors="surrogateescape")) > NAME_MAX:
        raise ConfigError(f"{what}: {excerpt(name)} is longer than {NAME_MAX} bytes, the longest file name "
                          "file systems take")
    return name
