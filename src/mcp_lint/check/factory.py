"""Where every finding is born.

Findings come from the walk (rules report on CST nodes), from the engine itself (MCP001 for a
file that cannot be read or parsed), from the suppression pass (MCP900) and from the project
stage (rules located in a manifest). All of them are made here, by one `FindingFactory` per
file, so that they agree on what the baseline and SARIF fingerprints depend on:

- the message: the rule's template with the fields the primitive supplied (a field it did not
  supply shows as `{name}`);
- the severity: the configuration's override, else the rule's;
- dedupe: one finding per (rule, exact span, message);
- the fingerprint: the rule, the enclosing scope, the flagged text without whitespace, and the
  occurrence: its rank among findings of the same rule, scope and text in this file, counted in
  the order the caller makes them (by position).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mcp_lint.model.findings import Confidence, Finding, Fix, Severity, Span, TraceStep, fingerprint
from mcp_lint.model.rules import Rule
from mcp_lint.source.lines import LineTable

MODULE_SCOPE = "<module>"
MANIFEST_SCOPE = "<manifest>"


class MessageFields(dict):
    """Message fields; a placeholder a primitive did not fill shows as itself."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render_message(rule: Rule, fields: Mapping[str, Any] | None) -> str:
    return rule.message.format_map(MessageFields(fields or {}))


class FindingFactory:
    """Makes the findings of one file (see the module docstring)."""

    def __init__(self, path: str, severity: Mapping[str, Severity] | None = None) -> None:
        self.path = path
        self.severity = severity or {}
        self._seen: set[tuple] = set()
        self._occurrences: dict[tuple[str, str, str], int] = {}

    def make(self, rule: Rule, span: Span, message: str, *, anchor: str, scope: str = MODULE_SCOPE,
             statement_line: int | None = None, trace: tuple[TraceStep, ...] = (), fix: Fix | None = None,
             confidence: Confidence | None = None) -> Finding | None:
        """A finding of `rule` at `span`, or None if this file already has the same one. `anchor`
        is the text the fingerprint stands on (the flagged source, or its line)."""
        key = (rule.id, span.start_offset, span.end_offset, message)
        if key in self._seen:
            return None
        self._seen.add(key)
        anchor = "".join(anchor.split())
        occ_key = (rule.id, scope, anchor)
        occurrence = self._occurrences.get(occ_key, 0)
        self._occurrences[occ_key] = occurrence + 1
        return Finding(
            rule_id=rule.id, rule_name=rule.name, severity=self.severity.get(rule.id, rule.severity),
            confidence=confidence or rule.confidence, path=self.path, span=span, message=message, trace=trace,
            fix=fix, statement_line=statement_line or span.start_line,
            fingerprint=fingerprint(rule.id, scope, anchor, occurrence),
        )

    def at_line(self, rule: Rule, lines: LineTable, line: int, col: int, message: str) -> Finding | None:
        """A finding pointing at one character (MCP001: where parsing failed), on the line's text."""
        line = max(1, min(line, len(lines.starts)))
        line_text = lines.line_text(line)
        col = max(1, min(col, len(line_text) + 1))
        if lines.source:
            start = lines.offset(line, col)
            span = lines.span(start, start + (1 if col <= len(line_text) else 0))
        else:
            span = Span(1, 1, 1, 1, 0, 0)
        return self.make(rule, span, message, anchor=line_text, statement_line=line)
