"""Writing a user's file without ever losing it, and reading a source to edit it.

Every file mcp-lint writes for the user (a fixed source, `--add-noqa`, a baseline, a report)
goes to a temporary file in the same directory, is flushed to disk, and then replaces the
original atomically, keeping its permissions. A write that fails (a full disk, a read-only
directory, a path that is a directory) leaves the original as it was and is an `OutputError`
naming the path and the reason. A symbolic link is written through to the file it names, as
`open()` would: the link stays a link.

A source edited by `--fix` or `--add-noqa` is read the way Python reads it (a byte-order mark,
a coding cookie such as `# -*- coding: latin-1 -*-`) and written back the same way: the mark
stays, the text is encoded in the declared encoding, line endings are never translated.
"""

from __future__ import annotations

import codecs
import io
import os
import stat
import tempfile
import tokenize
from dataclasses import dataclass
from pathlib import Path

from mcp_lint.model.errors import OutputError

_BOM = codecs.BOM_UTF8


@dataclass(frozen=True)
class EditableSource:
    """A source file's text (without its byte-order mark) and how to write it back."""

    path: str
    text: str
    encoding: str = "utf-8"
    bom: bool = False

    def encode(self, text: str) -> bytes:
        """`text` as this file stores it. Raises UnicodeEncodeError when the encoding cannot
        hold a character of it."""
        data = text.encode(self.encoding, "surrogateescape" if self.encoding == "utf-8" else "strict")
        return _BOM + data if self.bom else data

    def write(self, text: str) -> None:
        """Replace the file with `text`, atomically; never through a symbolic link."""
        if os.path.islink(self.path):
            raise OutputError(self.path, "is a symbolic link: not edited (edit the file it points to)")
        try:
            data = self.encode(text)
        except UnicodeEncodeError as exc:
            raise OutputError(self.path, f"cannot write: the new text is not representable in {self.encoding} "
                                         f"({exc.reason})") from None
        write_bytes(Path(self.path), data)


def read_source(path: str | os.PathLike[str]) -> EditableSource:
    """Read a Python source for editing, decoded as Python decodes it. Raises OSError when it
    cannot be read and UnicodeDecodeError (or SyntaxError, for a bad cookie) when it is not
    text in its declared encoding."""
    with open(path, "rb") as fh:
        data = fh.read()
    bom = data.startswith(_BOM)
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    body = data[len(_BOM):] if bom else data
    if encoding == "utf-8-sig":
        encoding = "utf-8"
    text = body.decode(encoding)
    return EditableSource(str(path), text, _canonical(encoding), bom)


def _canonical(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return encoding


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
    shown = str(path)
    path = Path(path)
    if path.is_symlink() and path.exists():
        path = Path(os.path.realpath(path))  # the file the link names; the link stays
    if path.is_dir():
        raise OutputError(shown, "is a directory")
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
        raise OutputError(shown, f"cannot write: {exc.strerror or exc}") from None


def _write_special(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
