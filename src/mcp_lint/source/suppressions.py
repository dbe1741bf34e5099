"""Suppression comments.

    x = run(q)  # noqa: MCP101            (flake8/ruff style; a bare `# noqa` silences all)
    x = run(q)  # mcp-lint: ignore[MCP101, sql-string-formatting]
    # mcp-lint: ignore[MCP4]              (own line, directly above the statement)
    # mcp-lint: file-ignore[MCP5]         (anywhere: the whole file)

A code matches a rule by id, id prefix (`MCP4`) or name. A comment applies to findings that
start on its line, or whose statement starts on its line, or (own-line comments) whose
statement starts on the next line. Each comment records which of its codes silenced
something, so MCP900 can report the rest.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field

from mcp_lint.model.findings import Finding

_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Za-z0-9_\-]+(?:[\s,]+[A-Za-z0-9_\-]+)*))?", re.IGNORECASE)
_IGNORE = re.compile(r"#\s*mcp-lint:\s*(?P<kind>ignore|file-ignore)(?:\[(?P<codes>[^\]]*)\])?")
_ANY = re.compile(r"noqa|mcp-lint:", re.IGNORECASE)
_ID = re.compile(r"[A-Za-z]+[0-9]*")


@dataclass(eq=False)
class Suppression:
    line: int
    col: int  # 1-based column of the `#`
    end_col: int  # end of the matched directive (exclusive, 1-based)
    kind: str  # "noqa", "ignore", "file"
    codes: tuple[str, ...] | None  # None: every rule
    own_line: bool  # the comment is alone on its line
    text: str  # the directive as written
    comment_start: bool = True  # the directive opens its comment (no other text before it)
    used: set[str] = field(default_factory=set)

    def matches(self, finding: Finding) -> str | None:
        """The code (or '*') that silences this finding, if any."""
        if self.codes is None:
            return "*"
        for code in self.codes:
            if finding.rule_id == code or finding.rule_name == code or (
                    code[:1].isalpha() and code.upper() == code and finding.rule_id.startswith(code)):
                return code
        return None


def code_prefixes(codes) -> frozenset[str]:
    """The letter prefixes of rule ids (MCP, and those of custom packs)."""
    return frozenset(m.group(0) for m in (re.match(r"[A-Z]+", c) for c in codes) if m)


def find(source: str, prefixes: frozenset[str] = frozenset({"MCP"}), comments=None) -> list[Suppression]:
    """Every suppression directive in the source. `prefixes` are the letter prefixes of the
    known rule ids: `# noqa: E501` (another tool's code) is not ours and is ignored.
    `comments` gives (line, col, text, own_line) for a source that is not Python (a
    manifest, whose own scanner knows its comments); by default Python's tokenizer finds them."""
    if not _ANY.search(source):
        return []
    out: list[Suppression] = []
    for line, col, text, own_line in (comments if comments is not None else _comments(source)):
        for m in _NOQA.finditer(text):
            codes = _codes(m.group("codes")) if m.group("codes") else None
            if codes is not None:
                codes = tuple(c.upper() if _ID.fullmatch(c) else c for c in codes if _is_ours(c, prefixes))
                if not codes:
                    continue
            out.append(Suppression(line, col + m.start(), col + m.end(), "noqa", codes, own_line, m.group(0),
                                   comment_start=not text[:m.start()].strip("# ")))
        for m in _IGNORE.finditer(text):
            raw = m.group("codes")
            codes = _codes(raw) if raw is not None and raw.strip() else None
            kind = "file" if m.group("kind") == "file-ignore" else "ignore"
            out.append(Suppression(line, col + m.start(), col + m.end(), kind, codes, own_line, m.group(0),
                                   comment_start=not text[:m.start()].strip("# ")))
    return out


def _codes(raw: str) -> tuple[str, ...]:
    return tuple(c for c in re.split(r"[\s,]+", raw.strip()) if c)


def _is_ours(code: str, prefixes: frozenset[str]) -> bool:
    head = re.match(r"[A-Za-z]+", code)
    if head and head.group(0).upper() in prefixes and (code[len(head.group(0)):].isdigit() or
                                                       len(code) == len(head.group(0))):
        return True
    return "-" in code and code.islower()  # a rule name


def _comments(source: str):
    """(line, 1-based col, text, own_line) for each comment; tokenize, else a plain scan."""
    try:
        lines = source.splitlines()
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                line, col = tok.start
                own = not lines[line - 1][:col].strip() if line - 1 < len(lines) else True
                yield line, col + 1, tok.string, own
    except (tokenize.TokenError, SyntaxError, IndentationError):
        for i, text in enumerate(source.splitlines(), 1):
            pos = text.find("#")
            if pos >= 0:
                yield i, pos + 1, text[pos:], not text[:pos].strip()


class Suppressor:
    """Applies a file's suppressions to its findings."""

    def __init__(self, suppressions: list[Suppression]) -> None:
        self.all = suppressions
        self.by_line: dict[int, list[Suppression]] = {}
        self.file_level = [s for s in suppressions if s.kind == "file"]
        for s in suppressions:
            if s.kind != "file":
                self.by_line.setdefault(s.line, []).append(s)

    def suppressed(self, finding: Finding) -> bool:
        candidates = list(self.by_line.get(finding.span.start_line, ()))
        stmt = finding.statement_line or finding.span.start_line
        if stmt != finding.span.start_line:
            candidates += self.by_line.get(stmt, ())
        candidates += [s for s in self.by_line.get(stmt - 1, ()) if s.own_line]
        hit = False
        for s in candidates + self.file_level:
            code = s.matches(finding)
            if code is not None:
                s.used.add(code)
                hit = True
        return hit
