"""Text that leaves mcp-lint for a person or a program: one escaping rule for both.

A file name can hold any byte but `/` and NUL: a newline followed by `::error ...` (a GitHub
workflow command in a CI log), ESC and OSC sequences (which retitle, recolour or rewrite a
terminal), bidirectional-text controls (which make `evil.py` display as something else),
and bytes that are not UTF-8 (which Python carries as lone surrogates, U+DC80..U+DCFF,
under `surrogateescape`). Messages quote code, which can hold the same characters.

- `escape(text)` is for terminals and logs: the `full`, `concise` and `github` reports and
  every warning and error printed on stderr. Each unsafe character becomes a visible escape:
  `\\n`, `\\r`, `\\t`, `\\x1b` (other C0 controls and DEL), `\\u0085` (C1 controls, bidi
  controls, U+2028/U+2029, other lone surrogates) and `\\xff` for a byte that is not UTF-8
  (so `\\xNN` with NN >= 80 always means a raw byte). It is for reading, not a reversible
  encoding: a name that really contains a backslash followed by `n` looks the same.
- `dumps_json(doc)` is for programs (`json` report, SARIF, baselines): the same characters
  become JSON `\\uXXXX` escapes, so the document is pure printable text and parses back to
  the exact string; a non-UTF-8 byte parses back as its lone surrogate (Python's
  `os.fsencode` turns the path into the original bytes).
"""

from __future__ import annotations

import json
import re
from typing import Any

# C0 controls, DEL, C1 controls, Arabic letter mark, LRM/RLM, line and paragraph separators,
# the bidi embeddings and overrides (U+202A..U+202E) and isolates (U+2066..U+2069), surrogates.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")
# What json.dumps leaves raw inside strings (it escapes C0 controls itself; outside strings it
# writes only ASCII punctuation, digits, spaces and the newlines of indentation).
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _shown(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    if code < 0x80:
        return f"\\x{code:02x}"
    if 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8, carried by surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    return f"\\u{code:04x}"


def escape(text: str, newlines: bool = False) -> str:
    """`text` with every character that could move, recolour or retitle a terminal, start a
    new line in a log, or fail to encode as UTF-8 written as a visible escape.

    `newlines=True` leaves CR and LF for a caller that encodes them its own way (a GitHub
    workflow command's `%0A`, which shows a line break in the annotation and cannot start a
    new command)."""
    if not _UNSAFE.search(text):
        return text
    if newlines:
        return _UNSAFE.sub(lambda m: m.group() if m.group() in "\r\n" else _shown(m), text)
    return _UNSAFE.sub(_shown, text)


def has_unsafe(text: str) -> bool:
    """Whether `escape` would change `text`."""
    return _UNSAFE.search(text) is not None


def dumps_json(doc: Any, indent: int | None = 2) -> str:
    """JSON with non-ASCII text kept readable, every unsafe character as a `\\uXXXX` escape:
    the output holds no control character and encodes as UTF-8 whatever the strings held."""
    text = json.dumps(doc, indent=indent, ensure_ascii=False)
    # Every match is inside a string, where the escape stands for the same character.
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def display_bytes(path: str) -> str:
    """A path's characters, with bytes that are not UTF-8 as `\\xNN` but nothing else changed:
    for hashing and comparing paths that must stay stable and encodable."""
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        pass
    try:
        return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a lone surrogate no file system produced
        return path.encode("utf-8", "surrogatepass").decode("utf-8", "backslashreplace")
