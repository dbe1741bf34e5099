"""TOML as mcp-lint reads it (configuration, linted projects' manifests): `tomllib` behind the
limits it lacks, every failure one `TomlError` with the line it concerns.

`tomllib` parses nested arrays and inline tables by recursion, so a few hundred levels of
`[[[[...` raise `RecursionError` (or, on a deep stack, worse); it converts integers with
`int()`, which refuses more than 4,300 digits with a bare `ValueError`; and, like TOML itself,
it does not accept a byte order mark. Here a document is first scanned, without recursion,
for its nesting depth (strings and comments skipped), a leading BOM is dropped as Python's
own readers of text drop it, and every exception of the parser becomes a `TomlError`.
"""

from __future__ import annotations

import re
import sys
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10
    import tomli as tomllib

# Arrays and inline tables deeper than this are refused. Real documents nest a handful of
# levels; tomllib needs several stack frames per level.
MAX_DEPTH = 100

_TOKEN = re.compile(r'"""|\'\'\'|["\'#\[\]{}]')
_BASIC = re.compile(r'(?:[^"\\\n]+|\\.)*')  # the body of a one-line "basic" string
_LITERAL_END = re.compile(r"['\n]")  # the end of a one-line 'literal' string
_LINE = re.compile(r"line (\d+)")


class TomlError(ValueError):
    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def loads(text: str) -> dict[str, Any]:
    """Parse a TOML document; any problem is a `TomlError` (message, 1-based line or None)."""
    text = text.removeprefix("\ufeff")
    deep = too_deep(text, MAX_DEPTH)
    if deep is not None:
        raise TomlError(f"arrays and tables nested more than {MAX_DEPTH} levels deep", deep)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = _LINE.search(str(exc))
        raise TomlError(f"invalid TOML: {exc}", int(m.group(1)) if m else None) from None
    except ValueError as exc:  # an integer too long for int()
        m = re.search(r"\d{4000,}", text)
        line = text.count("\n", 0, m.start()) + 1 if m else None
        raise TomlError(f"invalid TOML: a number too long to read ({exc})", line) from None
    except RecursionError:  # pragma: no cover - too_deep refuses such documents first
        raise TomlError("invalid TOML: nested too deeply", None) from None


def too_deep(text: str, limit: int) -> int | None:
    """The line where arrays or inline tables (or table headers) open more than `limit`
    levels deep, else None. A linear scan that skips strings and comments; it does not
    validate (tomllib does that afterwards)."""
    depth = 0
    i = 0
    n = len(text)
    while i < n:
        m = _TOKEN.search(text, i)
        if m is None:
            return None
        token = m.group()
        i = m.end()
        if token == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif token in ('"""', "'''"):
            i = _multiline_end(text, i, token)
        elif token == '"':
            i = _BASIC.match(text, i).end() + 1
        elif token == "'":
            end = _LITERAL_END.search(text, i)
            i = n if end is None else end.end()
        elif token in "[{":
            depth += 1
            if depth > limit:
                return text.count("\n", 0, m.start()) + 1
        else:
            depth = max(0, depth - 1)
    return None


def _multiline_end(text: str, i: int, delimiter: str) -> int:
    """Just past the multi-line string whose body starts at `i`."""
    while True:
        end = text.find(delimiter, i)
        if end < 0:
            return len(text)
        if delimiter == '"""':
            slashes = 0
            while end - slashes - 1 >= i and text[end - slashes - 1] == "\\":
                slashes += 1
            if slashes % 2:  # an escaped quote: the delimiter is further on
                i = end + 1
                continue
        end += 3
        extra = 0
        while end < len(text) and text[end] == delimiter[0] and extra < 2:  # `""""` ends with a quote
            end += 1
            extra += 1
        return end
