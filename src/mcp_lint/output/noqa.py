"""`--add-noqa`: silence every current finding with a `# noqa: CODE` comment.

A comment goes where the suppression logic looks for it and Python allows one:
- at the end of the finding's first line, when that line ends outside a string and without
  a backslash continuation;
- else at the end of the first line of the finding's statement, on the same condition;
- else on a line of its own directly above the statement (a line inside a triple-quoted
  string or a continuation cannot end with a comment).
An existing `# noqa: ...` comment on the chosen line gets the code merged into it. The
result must tokenize and parse like the original, or the file is left alone. Running it
twice adds nothing the second time: the first run's comments silence the findings.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass, field

from mcp_lint.model.findings import Finding
from mcp_lint.source.suppressions import noqa_directive

# Findings that a noqa comment cannot (MCP001: the file does not parse) or should not
# (MCP900: it reports a suppression comment itself) silence.
_SKIP = {"MCP001": "the file does not parse", "MCP900": "an unused suppression is removed with --fix"}
_LINE_END = re.compile(r"\r\n|\r|\n")
_STRING_START = {getattr(tokenize, n) for n in ("FSTRING_START", "TSTRING_START") if hasattr(tokenize, n)}
_STRING_END = {getattr(tokenize, n) for n in ("FSTRING_END", "TSTRING_END") if hasattr(tokenize, n)}


@dataclass
class NoqaOutcome:
    text: str
    added: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)


def _commentable_lines(text: str) -> set[int] | None:
    """Lines that may end with a comment: those where a NEWLINE/NL token (or an existing
    comment) ends the physical line. None when the source does not tokenize."""
    ok: set[int] = set()
    depth = 0  # inside an f-string (3.12+ tokenizes its replacement fields, NL tokens included)
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text, newline=None).readline):
            if tok.type in _STRING_START:
                depth += 1
            elif tok.type in _STRING_END:
                depth -= 1
            elif depth == 0 and tok.type in (tokenize.NEWLINE, tokenize.NL, tokenize.COMMENT):
                ok.add(tok.start[0])
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    return ok


def _split_lines(text: str) -> list[tuple[str, str]]:
    """(content, line ending) per physical line, keeping the file's line endings."""
    out = []
    pos = 0
    for m in _LINE_END.finditer(text):
        out.append((text[pos:m.start()], m.group(0)))
        pos = m.end()
    if pos < len(text):
        out.append((text[pos:], ""))
    return out


def _merge(line: str, codes: list[str]) -> tuple[str, int]:
    """`line` with `codes` added to its noqa comment (or a new one). Returns the new line and
    how many codes were added."""
    comment = _comment_start(line)
    if comment is not None:
        found = noqa_directive(line, comment)
        if found is not None and found[2]:
            _, end, present_codes = found
            present = {c.upper() for c in present_codes}
            new = [c for c in codes if c.upper() not in present]
            if not new:
                return line, 0
            return line[:end] + ", " + ", ".join(new) + line[end:], len(new)
        if found is not None:  # a blanket `# noqa` silences everything already
            return line, 0
    stripped = line.rstrip()
    return f"{stripped}  # noqa: {', '.join(codes)}", len(codes)


def _comment_start(line: str) -> int | None:
    """Where the line's comment starts, if it has one (tokenize the line alone)."""
    try:
        for tok in tokenize.generate_tokens(io.StringIO(line + "\n").readline):
            if tok.type == tokenize.COMMENT:
                return tok.start[1]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    idx = line.find("#")
    return idx if idx >= 0 else None


def add_noqa(text: str, findings: list[Finding]) -> NoqaOutcome:
    if text.startswith("\ufeff"):  # a byte-order mark stays, outside the Python source
        outcome = add_noqa(text[1:], findings)
        outcome.text = "\ufeff" + outcome.text
        return outcome
    outcome = NoqaOutcome(text)
    outcome.skipped = [(f.span.start_line, f"{f.rule_id}: {_SKIP[f.rule_id]}") for f in findings
                       if f.rule_id in _SKIP]
    findings = [f for f in findings if f.rule_id not in _SKIP]
    if not findings:
        return outcome
    commentable = _commentable_lines(text)
    if commentable is None:
        outcome.skipped += [(f.span.start_line, "the file does not tokenize") for f in findings]
        return outcome
    at_end: dict[int, list[str]] = {}  # line -> codes appended to it
    above: dict[int, list[str]] = {}  # statement line -> codes on an own line above it
    for f in findings:
        stmt = f.statement_line or f.span.start_line
        if f.span.start_line in commentable:
            target = at_end.setdefault(f.span.start_line, [])
        elif stmt in commentable:
            target = at_end.setdefault(stmt, [])
        else:
            target = above.setdefault(stmt, [])
        if f.rule_id not in target:
            target.append(f.rule_id)
    if not at_end and not above:
        return outcome
    lines = _split_lines(text)
    ending = next((e for _, e in lines if e), "\n")
    added = 0
    for n in sorted(set(at_end) | set(above), reverse=True):
        if n < 1 or n > len(lines):
            continue
        content, end = lines[n - 1]
        if n in at_end:
            content, count = _merge(content, at_end[n])
            added += count
            lines[n - 1] = (content, end)
        if n in above:
            indent = content[:len(content) - len(content.lstrip())]
            prev = lines[n - 2][0] if n >= 2 else None
            if prev is not None and prev.strip().startswith("#") and noqa_directive(prev) is not None:
                merged, count = _merge(prev, above[n])
                lines[n - 2] = (merged, lines[n - 2][1])
            else:
                count = len(above[n])
                lines.insert(n - 1, (f"{indent}# noqa: {', '.join(above[n])}", ending))
            added += count
    new_text = "".join(c + e for c, e in lines)
    if not _same_program(text, new_text):
        outcome.skipped += [(f.span.start_line, "adding a comment would change the code") for f in findings]
        return outcome
    outcome.text = new_text
    outcome.added = added
    return outcome


def _same_program(before: str, after: str) -> bool:
    """The edit only added comments: both parse to the same AST."""
    try:
        return ast.dump(ast.parse(before)) == ast.dump(ast.parse(after))
    except (SyntaxError, ValueError):
        return False
