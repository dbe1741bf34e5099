"""Writing a user's file without ever losing it.

Every file mcp-lint writes for the user (a fixed source, `--add-noqa`, a baseline, a report)
goes to a temporary file in the same directory, is flushed to disk, and then replaces the
original atomically, keeping its permissions. A write that fails (a full disk, a read-only
directory, a path that is a directory) leaves the original as it was and is an `OutputError`
naming the path and the reason. A symbolic link is written through to its target only when
the caller allows it; fixes never do.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from mcp_lint.model.errors import OutputError


def write_text(path: Path, text: str, *, encoding: str = "utf-8", make_parents: bool = False,
               through_links: bool = True) -> None:
    """Replace `path` with `text` atomically (newlines written as they are in `text`). With
    `through_links=False` (fixes, noqa comments) a symbolic link is refused, never written through."""
    if not through_links and os.path.islink(path):
        raise OutputError(str(path), "is a symbolic link: not edited (edit the file it points to)")
    try:
        data = text.encode(encoding, "surrogateescape")
    except (UnicodeEncodeError, LookupError) as exc:
        raise OutputError(str(path), f"cannot encode as {encoding}: {exc}") from None
    write_bytes(path, data, make_parents=make_parents)


def write_bytes(path: Path, data: bytes, *, make_parents: bool = False) -> None:
    path = Path(path)
    if path.is_dir():
        raise OutputError(str(path), "is a directory")
    folder = path.parent
    try:
        if make_parents:
            folder.mkdir(parents=True, exist_ok=True)
        mode = None
        try:
            st = os.stat(path)
            if not stat.S_ISREG(st.st_mode):
                _write_special(path, data)  # /dev/stdout, a FIFO: no rename possible
                return
            mode = stat.S_IMODE(st.st_mode)
        except FileNotFoundError:
            pass
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, mode if mode is not None else 0o666 & ~_umask())
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    except OSError as exc:
        raise OutputError(str(path), f"cannot write: {exc.strerror or exc}") from None


def _write_special(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
