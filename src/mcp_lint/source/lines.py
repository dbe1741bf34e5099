"""Offsets <-> (line, column) in a decoded text: for Python sources and manifests alike, without
the parser (a run answered from the cache must not need libcst)."""

from __future__ import annotations

import bisect
import os
import re
import stat

from mcp_lint.model.findings import Span
from mcp_lint.source.read import decode

_NEWLINE = re.compile(r"\r\n?|\n")


class LineTable:
    """Offsets <-> (line, column) for one decoded source text."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.starts = [0] + [m.end() for m in _NEWLINE.finditer(source)]

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based line, 1-based column in code points."""
        line = bisect.bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1

    def line_text(self, line: int) -> str:
        if line < 1 or line > len(self.starts):
            return ""
        start = self.starts[line - 1]
        end = self.starts[line] if line < len(self.starts) else len(self.source)
        return self.source[start:end].rstrip("\r\n")

    def offset(self, line: int, col: int) -> int:
        return self.starts[line - 1] + col - 1

    def span(self, start: int, end: int) -> Span:
        sl, sc = self.line_col(start)
        el, ec = self.line_col(end)
        return Span(sl, sc, el, ec, start, end)


def source_lines(path: str, limit: int = 64 * 1024 * 1024) -> list[str]:
    """The lines of a file as the engine saw them (for reporters): decoded as Python does
    (BOM, coding cookie), split on the newlines Python counts (not form feeds or U+2028, which
    `str.splitlines` also splits on), and empty for what is not a readable regular file (a
    FIFO would block the read)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return []
        with open(path, "rb") as fh:
            data = fh.read(limit)
    except OSError:
        return []
    text, _, _ = decode(data)
    if text is None:
        text = data.decode("utf-8", "replace")
    return _NEWLINE.split(text.removesuffix("\n").removesuffix("\r"))


def utf16_column(line_text: str, column: int) -> int:
    """A 1-based code-point column -> 1-based UTF-16 code-unit column (SARIF, GitHub)."""
    prefix = line_text[: column - 1]
    return len(prefix.encode("utf-16-le")) // 2 + 1
