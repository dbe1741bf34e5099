"""Builds a tree of hostile inputs at test time (nothing large is committed).

`build(root)` writes every kind of file a repository may hold that a linter must survive and
returns what each should produce: an MCP001 finding (with a fragment of its message, and its
line), a message on stderr, or the findings of a good server at known positions.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from conftest import SERVER

# SERVER has one MCP101 finding, at line 11, column 5.
SERVER_FINDING = (11, 5)


@dataclass
class Expected:
    parse_errors: dict[str, tuple[str, int | None]] = field(default_factory=dict)  # path -> (message part, line)
    messages: dict[str, str] = field(default_factory=dict)  # path -> stderr fragment
    good: dict[str, tuple[int, int]] = field(default_factory=dict)  # path -> position of its MCP101
    clean: set[str] = field(default_factory=set)  # paths linted with no finding


def _bytes(root: Path, name: str, data: bytes) -> str:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return name


def _server(newline: str = "\n") -> bytes:
    return SERVER.replace("\n", newline).encode("utf-8")


def build(root: Path, max_file_size: int = 1024 * 1024) -> Expected:
    """Write the tree; its pyproject sets `max-file-size` (the huge file is just above it)."""
    e = Expected()
    _bytes(root, "pyproject.toml", f"[tool.mcp-lint]\nmax-file-size = {max_file_size}\n".encode())

    # Good sources, in every encoding and line-ending form: the finding must stay at 11:5.
    e.good[_bytes(root, "good/server.py", _server())] = SERVER_FINDING
    e.good[_bytes(root, "good/bom.py", b"\xef\xbb\xbf" + _server())] = SERVER_FINDING
    e.good[_bytes(root, "good/crlf.py", _server("\r\n"))] = SERVER_FINDING
    e.good[_bytes(root, "good/cr_only.py", _server("\r"))] = SERVER_FINDING
    e.good[_bytes(root, "good/bom_crlf.py", b"\xef\xbb\xbf" + _server("\r\n"))] = SERVER_FINDING
    latin1 = ("# -*- coding: latin-1 -*-\n" + SERVER.replace('"""Orders of one customer."""',
                                                              '"""Commandes d\'un client: café."""'))
    e.good[_bytes(root, "good/latin1.py", latin1.encode("latin-1"))] = (12, 5)
    e.good[_bytes(root, "with space/sérveur ü.py", _server())] = SERVER_FINDING
    form_feed = "# page one\x0c page two\nNOTE = 'a\u2028b\x1cc'\n"  # str.splitlines() splits these, Python does not
    e.good[_bytes(root, "good/form_feed.py", (form_feed + SERVER).encode())] = (13, 5)
    e.good[_bytes(root, "good/tabs.py", _server().replace(b"    ", b"\t"))] = (11, 2)
    e.good[_bytes(root, "dir.py/inside.py", _server())] = SERVER_FINDING  # a directory named *.py
    long_line = "BLOB = '" + "x" * 100_000 + "'\nTABLE = [" + ", ".join(str(i) for i in range(2000)) + "]\n"
    e.good[_bytes(root, "good/long_line.py", (long_line + SERVER).encode())] = (13, 5)
    rows = "".join(f"ROW_{i} = '{'y' * 100}'\n" for i in range(4_600))  # ~520 KB: linted in an isolated worker
    e.good[_bytes(root, "good/generated.py", (SERVER + rows).encode())] = SERVER_FINDING

    e.clean.add(_bytes(root, "empty.py", b""))
    e.clean.add(_bytes(root, "except_comma.py", b"try:\n    pass\nexcept ValueError, TypeError:\n    pass\n"))  # 3.14
    e.clean.add(_bytes(root, "blank_crlf.py", b"\r\n\r\n"))
    e.clean.add(_bytes(root, "deep_but_fine.py", ("x = " + "-" * 200 + "1\n").encode()))

    # Broken sources: each an MCP001 finding, on the right line.
    def broken(name: str, data: bytes, message: str, line: int | None) -> None:
        e.parse_errors[_bytes(root, name, data)] = (message, line)

    broken("broken/syntax.py", b"import os\n\ndef f(:\n    pass\n", "syntax error", 3)
    broken("broken/syntax_crlf.py", b"import os\r\n\r\ndef f(:\r\n    pass\r\n", "syntax error", 3)
    broken("broken/syntax_cr.py", b"import os\r\rdef f(:\r    pass\r", "syntax error", 3)
    broken("broken/python2.py", b"import os\n\nprint 'hello'\nexec 'x = 1'\n", "syntax error", 3)
    broken("broken/syntax_bom.py", b"\xef\xbb\xbfimport os\r\n\r\ndef f(:\r\n    pass\r\n", "syntax error", 3)
    broken("broken/undeclared_latin1.py", b"x = 1\nname = 'caf\xe9'\n", "not valid utf-8", 2)
    broken("broken/bad_cookie.py", b"# -*- coding: klingon -*-\nx = 1\n", "encoding", 1)
    broken("broken/nul.py", b"x = 1\ny = 2\x00\n", "NUL", 2)
    broken("broken/tabs_mixed.py", b"if True:\n\tx = 1\n        y = 2\n", "inconsistent use of tabs", 3)
    broken("broken/truncated.py", SERVER[:200].encode(), "syntax error", None)
    broken("broken/brackets_5000.py", ("x = " + "(" * 5000 + "1" + ")" * 5000 + "\n").encode(), "nested", 1)
    broken("broken/lists_3000.py", ("x = " + "[" * 3000 + "]" * 3000 + "\n").encode(), "nested", 1)
    broken("broken/not_5000.py", ("x = " + "not " * 5000 + "y\n").encode(), "nested", None)
    broken("broken/unary_5000.py", ("x = " + "-" * 5000 + "1\n").encode(), "nested", None)
    broken("broken/strings_20000.py", ("x = " + " ".join(['"a"'] * 20_000) + "\n").encode(),
           "concatenated strings", 1)
    broken("broken/strings_lines_5000.py", ("x = (\n" + "".join(f'    "line {i}"\n' for i in range(5000)) + ")\n")
           .encode(), "concatenated strings", 2)
    broken("broken/indent_300.py", ("def f(x):\n" + "".join("    " * (i + 1) + "if x:\n" for i in range(300))
                                    + "    " * 301 + "pass\n").encode(), "too many", None)

    fifo = root / "broken" / "fifo.py"
    if hasattr(os, "mkfifo"):
        os.mkfifo(fifo)
        e.parse_errors["broken/fifo.py"] = ("not a regular file", 1)

    unreadable = root / "broken" / "unreadable.py"
    unreadable.write_bytes(_server())
    unreadable.chmod(0)
    if os.access(unreadable, os.R_OK):  # privileges that ignore file modes: it is a good file
        e.good["broken/unreadable.py"] = SERVER_FINDING
    else:
        e.parse_errors["broken/unreadable.py"] = ("cannot read file", 1)

    # Over `max-file-size`: not analysed, which CI must see (MCP001), without reading it.
    chunk = b"VALUE = 1\n"
    _bytes(root, "huge.py", chunk * (max_file_size // len(chunk) + 1))
    e.parse_errors["huge.py"] = ("larger than", 1)

    # Skipped with a message.
    (root / "links").mkdir()
    (root / "links" / "dangling.py").symlink_to(root / "links" / "missing.py")
    e.messages["links/dangling.py"] = "broken symbolic link"
    (root / "links" / "loop_a.py").symlink_to(root / "links" / "loop_b.py")
    (root / "links" / "loop_b.py").symlink_to(root / "links" / "loop_a.py")
    e.messages["links/loop_a.py"] = "symbolic link loop"
    (root / "links" / "dir_loop").symlink_to(root / "links", target_is_directory=True)
    return e


def restore(root: Path) -> None:
    """Make the tree removable again."""
    target = root / "broken" / "unreadable.py"
    if target.exists():
        target.chmod(stat.S_IRUSR | stat.S_IWUSR)
