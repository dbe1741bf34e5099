"""The suppression pass, run on a file's findings once they are made.

Comments (`# noqa: MCP101`, `# mcp-lint: ignore[...]`, `# mcp-lint: file-ignore[...]`, read by
`source.suppressions`) silence the findings they match; then MCP900 (unused-suppression)
reports the directives, and the codes within them, that silenced nothing, with a safe fix that
removes just those codes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from mcp_lint.check.factory import FindingFactory, render_message
from mcp_lint.model.findings import Edit, Finding, Fix
from mcp_lint.model.rules import Rule
from mcp_lint.source import suppressions
from mcp_lint.source.lines import LineTable


class SuppressionPass:
    """The rules of a run as the suppression pass needs them."""

    def __init__(self, rules: Iterable[Rule], known_codes: Iterable[str], unused_rule: Rule | None) -> None:
        self.rules = list(rules)
        # Every rule id that exists (enabled or not): MCP900 tells unknown codes from disabled ones.
        self.known_codes = frozenset(known_codes) | frozenset(r.id for r in self.rules)
        # The letter prefixes of every known rule id (MCP, and those of custom packs): a
        # `# noqa:` code with another prefix belongs to another tool.
        self.known_prefixes = suppressions.code_prefixes(self.known_codes)
        self.enabled_ids = frozenset(r.id for r in self.rules)
        self.enabled_names = frozenset(r.name for r in self.rules)
        self.unused_rule = unused_rule

    def apply(self, findings: list[Finding], text: str, lines: LineTable, factory: FindingFactory) -> list[Finding]:
        """The findings no comment silences, plus MCP900 findings for directives that silenced nothing."""
        sups = suppressions.find(text, self.known_prefixes)
        if not sups:
            return findings
        sup = suppressions.Suppressor(sups)
        kept = [f for f in findings if not sup.suppressed(f)]
        if self.unused_rule is not None:
            kept.extend(f for f in self._unused(sups, lines, factory) if not sup.suppressed(f))
        return kept

    def file_level(self, finding: Finding, text: str) -> bool:
        """Is `finding` silenced by a file-level directive of `text`? (A file that does not parse
        has only those: its lines cannot be trusted.)"""
        if not text:
            return False
        sup = suppressions.Suppressor(suppressions.find(text, self.known_prefixes))
        return any(s.matches(finding) for s in sup.file_level)

    def _is_unused_rule_code(self, code: str) -> bool:
        rule = self.unused_rule
        return rule is not None and (code in (rule.id, rule.name) or (
            _looks_like_id(code) and rule.id.startswith(code.upper()) and len(code) > 3))

    def _unused(self, sups: list[suppressions.Suppression], lines: LineTable,
                factory: FindingFactory) -> list[Finding]:
        rule = self.unused_rule
        assert rule is not None
        out = []
        for s in sups:
            if s.codes is not None and all(self._is_unused_rule_code(c) for c in s.codes):
                continue  # a directive about MCP900 itself
            if s.codes is None:
                if s.kind == "noqa" or s.used:
                    continue  # a blanket `# noqa` may be meant for another tool
                unused = ["all rules"]
                remaining: list[str] = []
            else:
                unused = []
                remaining = []
                for code in s.codes:
                    if code in s.used:
                        remaining.append(code)
                    elif _looks_like_id(code) and not any(i.startswith(code.upper()) for i in self.known_codes):
                        unused.append(f"{code} (unknown rule)")
                    elif not any(i == code or i.startswith(code.upper()) for i in self.enabled_ids) and \
                            code not in self.enabled_names:
                        remaining.append(code)  # a rule that is not enabled in this run: not our call
                    else:
                        unused.append(code)
            if not unused:
                continue
            span = lines.span(lines.offset(s.line, s.col), lines.offset(s.line, s.end_col))
            message = render_message(rule, {"codes": ", ".join(unused), "directive": s.text})
            fix = Fix("Remove the unused suppression", (_removal(s, remaining, span, lines),)) if rule.fix else None
            finding = factory.make(rule, span, message, anchor=lines.line_text(s.line), statement_line=s.line,
                                   fix=fix)
            if finding is not None:
                out.append(finding)
        return out


def _removal(s: suppressions.Suppression, remaining: list[str], span, lines: LineTable) -> Edit:
    """The edit that removes a directive's unused codes (or the whole directive)."""
    line_text = lines.line_text(s.line)
    after = line_text[s.end_col - 1:]
    if remaining:
        return Edit(span, _rewrite_directive(s, remaining))
    if after.strip():  # text follows in the same comment: keep it a comment
        return Edit(span, "#" if s.comment_start else "")
    if s.own_line and not line_text[: s.col - 1].strip():
        line_end = lines.starts[s.line] if s.line < len(lines.starts) else len(lines.source)
        return Edit(lines.span(lines.starts[s.line - 1], line_end), "")
    before = line_text[: s.col - 1]
    # drop the whitespace before the comment too
    cut = lines.offset(s.line, len(before.rstrip()) + 1) if s.comment_start else span.start_offset
    return Edit(lines.span(cut, span.end_offset), "")


def _looks_like_id(code: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z]+[0-9]+", code))


def _rewrite_directive(s: suppressions.Suppression, codes: list[str]) -> str:
    joined = ", ".join(codes)
    if s.kind == "noqa":
        return f"# noqa: {joined}"
    word = "file-ignore" if s.kind == "file" else "ignore"
    return f"# mcp-lint: {word}[{joined}]"
