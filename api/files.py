"""Files that hold personal data or secrets: only the server's own user may read them.

What lawful creates for them is private: files mode 0600, directories mode 0700. Files and
directories that exist already keep their mode (an administrator may have chosen it), except a
file whose whole content lawful writes again, which is made private before it is written.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIRECTORY = 0o700


def private_directory(path: Path) -> Path:
    """Create `path` and any missing parents, each mode 0700; return it. Existing ones are left alone."""
    missing = [p for p in (path, *path.parents) if not p.is_dir()]
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=PRIVATE_DIRECTORY)
        except FileExistsError:  # another process made it first, or a file is in the way
            if not directory.is_dir():
                raise NotADirectoryError(
                    f"expected a directory at {directory}, found a file; move it away so lawful can create its folder"
                ) from None
    return path


def create_private(path: Path) -> bool:
    """Create an empty file with mode 0600 (and its folder, 0700) unless it exists; tell whether it was created."""
    private_directory(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    except FileExistsError:
        return False
    return True


def write_private(path: Path, data: bytes, *, exclusive: bool = False) -> bool:
    """Write `data` to a file with mode 0600, creating its folder (0700) when missing; tell whether it was written.

    With `exclusive`, a file that exists is left as it is (False), and a new one appears whole
    or not at all: several processes starting at once never read a half-written file.
    """
    private_directory(path.parent)
    if not exclusive:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), PRIVATE_FILE)  # an existing file keeps its mode on open
            handle.write(data)
        return True
    if path.exists():
        return False
    draft = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.link(draft, path)  # fails when the file exists: the first writer wins
    except FileExistsError:
        return False
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(draft)
    return True
