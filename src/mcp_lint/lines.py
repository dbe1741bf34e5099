"""Offsets <-> (line, column) in a decoded text: for Python sources and manifests alike, without
the parser (a run answered from the cache must not need libcst)."""

from __future__ import annotations

import bisect
import re

from .findings import Span

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
