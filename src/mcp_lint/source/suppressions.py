"""Suppression comments.

    x = run(q)  # noqa: MCP101            (flake8/ruff style; a bare `# noqa` silences all)
    x = run(q)  # mcp-lint: ignore[MCP101, sql-string-formatting]
    # mcp-lint: ignore[MCP4]              (own line, directly above the statement)
    # mcp-lint: file-ignore[MCP5]         (anywhere: the whole file)

`# noqa:` takes whole rule ids (`MCP101`) or rule names, as ruff's noqa does: `# noqa: MCP1`
silences nothing (MCP900 calls it an unknown code). Codes of other tools (`E501`, `BLE001`)
may share the comment and are left alone. `# mcp-lint: ignore[...]` and `file-ignore[...]`
also take id prefixes (`MCP4`). A comment applies to findings that start on its line, or
whose statement starts on its line, or (own-line comments) whose statement starts on the
next line. Each comment records which of its codes silenced something, so MCP900 can report
the rest. Comments are found with Python's tokenizer on the text as Python splits it into
lines (`\\n`, `\\r\\n` and a lone `\\r` all end a line).
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field

from mcp_lint.model.findings import Finding

# A code in a `# noqa:` list: an id (`MCP101`, `E501`) or a rule name (`sql-string-formatting`).
_CODE = re.compile(r"[A-Za-z]+[0-9]+|[a-z][a-z0-9]*(?:-[a-z0-9]+)+")
# `# noqa`, `# noqa: A1, b-c`: the codes are the run of codes after the colon, as ruff lexes
# them; words after them are the comment's text.
_NOQA = re.compile(r"#\s*noqa(?![\w-])(?P<colon>\s*:\s*(?P<codes>[\w-]+(?:(?:\s*,\s*|\s+)[\w-]+)*)?)?",
                   re.IGNORECASE)
_IGNORE = re.compile(r"#\s*mcp-lint:\s*(?P<kind>ignore|file-ignore)(?:\[(?P<codes>[^\]]*)\])?")
_ANY = re.compile(r"noqa|mcp-lint:", re.IGNORECASE)
_ITEM = re.compile(r"[^\s,]+")
_ID = re.compile(r"[A-Za-z]+[0-9]*")
_LINE_BREAK = re.compile(r"\r\n?|\n")


@dataclass(frozen=True)
class Code:
    """One code as written in a directive: its text, its columns on the line (1-based, end
    exclusive), and whether it is mcp-lint's (a `# noqa:` code of another tool is not)."""

    text: str
    col: int
    end_col: int
    ours: bool = True

    @property
    def key(self) -> str:
        return self.text.upper() if _ID.fullmatch(self.text) else self.text


@dataclass(eq=False)
class Suppression:
    line: int
    col: int  # 1-based column of the `#`
    end_col: int  # end of the matched directive (exclusive, 1-based)
    kind: str  # "noqa", "ignore", "file"
    codes: tuple[str, ...] | None  # mcp-lint's codes (normalised); None: every rule
    own_line: bool  # the comment is alone on its line
    text: str  # the directive as written
    comment_start: bool = True  # the directive opens its comment (no other text before it)
    used: set[str] = field(default_factory=set)
    entries: tuple[Code, ...] = ()  # every code as written, other tools' included

    def code_matches(self, code: str, finding: Finding) -> bool:
        if finding.rule_id == code or finding.rule_name == code:
            return True
        # prefixes (`MCP4`) in mcp-lint's own directives only, as in selectors
        return self.kind != "noqa" and code[:1].isalpha() and code.upper() == code and \
            finding.rule_id.startswith(code)

    def matches(self, finding: Finding) -> list[str]:
        """The codes (['*'] for a blanket directive) that silence this finding."""
        if self.codes is None:
            return ["*"]
        return [c for c in self.codes if self.code_matches(c, finding)]


def noqa_directive(text: str, pos: int = 0) -> tuple[int, int, list[str]] | None:
    """The first `# noqa` directive in `text` from `pos`: (start, end, codes as written), the
    end being where its codes stop (words after them are comment text). None when there is none."""
    for m in _NOQA.finditer(text, pos):
        if m.group("codes") is None:
            return m.start(), (m.start("colon") if m.group("colon") is not None else m.end()), []
        codes, end = [], m.start("codes")
        for c in _ITEM.finditer(m.group("codes")):
            if not _CODE.fullmatch(c.group(0)):
                break
            codes.append(c.group(0))
            end = m.start("codes") + c.end()
        if codes:
            return m.start(), end, codes
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
    if comments is None:
        # Read as if each matching line were a comment first: a directive in a comment is one in
        # its line, so when the lines hold none of ours (`# noqa: E501` is another tool's), the
        # source need not be tokenized.
        candidates = ((n, 1, text, False) for n, text in enumerate(_LINE_BREAK.split(source), 1)
                      if _ANY.search(text))
        if not any(True for c in candidates for _ in _directives(*c, prefixes)):
            return []
    out: list[Suppression] = []
    for line, col, text, own_line in (comments if comments is not None else _comments(source)):
        out.extend(_directives(line, col, text, own_line, prefixes))
    return out


def _directives(line: int, col: int, text: str, own_line: bool, prefixes: frozenset[str]):
    """The suppression directives of one comment."""
    for m in _NOQA.finditer(text):
        entries: tuple[Code, ...] = ()
        codes: tuple[str, ...] | None = None
        end = m.end() if m.group("codes") is None else m.start("codes")
        if m.group("codes"):
            base = col + m.start("codes")
            found = []
            for c in _ITEM.finditer(m.group("codes")):
                if not _CODE.fullmatch(c.group(0)):
                    break  # the comment's own words follow the codes
                found.append(Code(c.group(0), base + c.start(), base + c.end(), _is_ours(c.group(0), prefixes)))
            if not found:
                continue  # `# noqa: because ...`: not a directive
            entries = tuple(found)
            end = entries[-1].end_col - col
            codes = tuple(e.key for e in entries if e.ours)
            if not codes:
                continue  # only other tools' codes
        elif m.group("colon") is not None:
            end = m.start("colon")  # `# noqa:` with nothing after it: a blanket noqa
        yield Suppression(line, col + m.start(), col + end, "noqa", codes, own_line, text[m.start():end],
                          comment_start=not text[:m.start()].strip("# "), entries=entries)
    for m in _IGNORE.finditer(text):
        raw = m.group("codes")
        entries = ()
        codes = None
        if raw is not None and raw.strip():
            base = col + m.start("codes")
            entries = tuple(Code(c.group(0), base + c.start(), base + c.end()) for c in _ITEM.finditer(raw))
            codes = tuple(e.key for e in entries)
        kind = "file" if m.group("kind") == "file-ignore" else "ignore"
        yield Suppression(line, col + m.start(), col + m.end(), kind, codes, own_line, m.group(0),
                          comment_start=not text[:m.start()].strip("# "), entries=entries)


def _is_ours(code: str, prefixes: frozenset[str]) -> bool:
    head = re.match(r"[A-Za-z]+", code)
    if head and head.group(0).upper() in prefixes and code[len(head.group(0)):].isdigit():
        return True
    return "-" in code and code.islower()  # a rule name


def _comments(source: str):
    """(line, 1-based col, text, own_line) for each comment; tokenize, else a plain scan.
    Lines are Python's: a lone carriage return ends a line too."""
    lines = _LINE_BREAK.split(source)
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source, newline=None).readline):
            if tok.type == tokenize.COMMENT:
                line, col = tok.start
                own = not lines[line - 1][:col].strip() if line - 1 < len(lines) else True
                yield line, col + 1, tok.string, own
    except (tokenize.TokenError, SyntaxError, IndentationError):
        for i, text in enumerate(lines, 1):
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
            codes = s.matches(finding)
            if codes:
                s.used.update(codes)
                hit = True
        return hit
