"""Files mcp-lint changes for the user: read for editing, written back atomically.

A source edited by `--fix` or `--add-noqa` is read the way Python reads it (a byte-order
mark, a coding cookie such as `# -*- coding: latin-1 -*-`) and written back the same way: the
mark stays, the text is encoded in the declared encoding, line endings are never translated.

Every file mcp-lint writes (fixed sources, noqa comments, baselines, reports) goes to a
temporary file in the same directory, is flushed and synced, takes the mode of the file it
replaces, and then replaces it with one `os.replace`: a reader sees the old file or the new
one, never half of it, and a failed write (a full disk, a read-only directory) leaves the
original as it was and raises `OutputError` naming the path and the reason.
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
        data = text.encode(self.encoding)
        return _BOM + data if self.bom else data

    def write(self, text: str) -> None:
        try:
            data = self.encode(text)
        except UnicodeEncodeError as exc:
            raise OutputError(self.path, f"cannot write: the new text is not representable in {self.encoding} "
                                         f"({exc.reason})") from None
        write_bytes(self.path, data)


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


def write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> None:
    """Write `text` atomically (no newline translation)."""
    write_bytes(path, text.encode(encoding))


def write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace `path` with `data` atomically, keeping its mode (a new file gets the mode the
    umask allows). On failure the original is untouched and OutputError says why."""
    target = Path(os.path.realpath(path))  # a symlink keeps pointing at the file it names
    directory = target.parent if str(target.parent) else Path(".")
    mode = _mode_of(target)
    tmp_name = None
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".mcp-lint-tmp", dir=directory)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, target)
        tmp_name = None
    except OSError as exc:
        raise OutputError(str(path), f"cannot write: {exc.strerror or exc}") from None
    finally:
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass


def _mode_of(target: Path) -> int:
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
