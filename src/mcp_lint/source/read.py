"""Reading source and configuration bytes as Python and TOML readers do."""

from __future__ import annotations

import hashlib
import io
import tokenize

from mcp_lint.model.schema import SchemaError


def content_digest(data: bytes) -> str:
    """What names a file's content in the caches and between the stages of a run."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def decode(data: bytes) -> tuple[str | None, str, int | None]:
    """Decode source bytes as Python does (BOM, coding cookie); say what makes it not text."""
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        return None, "not a text file: contains NUL bytes", line
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        if "unknown encoding" in str(exc) or b"coding" in data[:200]:
            return None, f"bad encoding declaration: {exc}", getattr(exc, "lineno", None) or 1
        encoding = "utf-8"  # no cookie: the first lines are simply not UTF-8
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        start = getattr(exc, "start", 0)
        line = data[:start].count(b"\n") + 1
        bad = data[start:start + 1].hex()
        return None, f"not valid {encoding} text: byte 0x{bad} at line {line}", line
    if text.startswith("\ufeff"):
        text = text[1:]
    return text, "", None


def read_utf8(path) -> str:
    """A configuration file's text. Not UTF-8: a SchemaError naming the line of the first bad
    byte. OSError is the caller's to word."""
    with open(path, "rb") as fh:
        data = fh.read()
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SchemaError("", f"not valid UTF-8: byte 0x{data[exc.start:exc.start + 1].hex()} at line {line}",
                          line) from None
