"""Read a file someone else made, as a hostile file: no links, sized first.

Submissions on the grader's side and run directories in the kernel are both
read this way: opened without following a symbolic link (`O_NOFOLLOW`) and
without blocking on a FIFO (`O_NONBLOCK`), checked on the open descriptor to
be a regular file (and, where asked, to have a single name), and refused by
its size before a byte is read.

Examples:
    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile() as handle:
    ...     _ = handle.write(b"12345"); handle.flush()
    ...     read_bounded(handle.name, 3)
    Traceback (most recent call last):
    ...
    ValueError: ... has 5 bytes; the limit is 3

"""

from __future__ import annotations

import os
import stat

_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


def read_bounded(
    name: str | os.PathLike,
    limit: int,
    *,
    dir_fd: int | None = None,
    single_link: bool = False,
) -> bytes:
    """The bytes of one regular file, refused past `limit` bytes.

    Args:
        name: The file, relative to `dir_fd` when given.
        limit: The most bytes it may have.
        dir_fd: An open directory that `name` is relative to.
        single_link: Also refuse a file with more than one name (a hard link).

    Returns:
        The file's bytes.

    Raises:
        FileNotFoundError: There is no such file.
        ValueError: A symbolic link, not a regular file, a hard link (with
            `single_link`), or over `limit` bytes; the message names the file.

    """
    label = os.path.basename(os.fspath(name))
    try:
        handle = os.open(name, _FLAGS, dir_fd=dir_fd)
    except FileNotFoundError:
        raise
    except OSError as error:  # a symbolic link (ELOOP), no permission
        raise ValueError(f"{label} cannot be opened ({error.strerror})") from None
    with os.fdopen(handle, "rb") as stream:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"{label} is not a regular file")
        if single_link and info.st_nlink > 1:
            raise ValueError(f"{label} is a hard link (a file with more than one name)")
        if info.st_size > limit:
            raise ValueError(
                f"{label} has {info.st_size:,} bytes; the limit is {limit:,}"
            )
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"{label} grew past the limit of {limit:,} bytes")
    return data
