"""Text that is safe to print to a terminal or a CI log.

A file name or a message can hold a newline (which starts a new GitHub workflow command in a CI
log), an ESC or OSC sequence (which reprograms a terminal), a bidi override, or a byte that is not
UTF-8 (kept by Python as a lone surrogate, which cannot be encoded). `escape` shows each of those
as a Python-style escape, and leaves every other character as it is.
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, line/paragraph separators, bidi controls, lone surrogates.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escaped(match: re.Match[str]) -> str:
    ch = match.group(0)
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if ch == "\n":
        return "\\n"
    if ch == "\r":
        return "\\r"
    if ch == "\t":
        return "\\t"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape(text: str) -> str:
    """`text` with every character that could act on a terminal or a log shown as an escape."""
    return _UNSAFE.sub(_escaped, text)
