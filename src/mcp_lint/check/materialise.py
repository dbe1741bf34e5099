"""Findings reported on CST nodes during the walk, turned into plain findings by the file's
`FindingFactory` (check/factory.py): the spans of the few nodes they mention are resolved in one
pass over the module."""

from __future__ import annotations

import bisect

from collections.abc import Iterable

import libcst as cst

from mcp_lint.analysis.module_index import FunctionInfo
from mcp_lint.analysis.positions import Placed, place
from mcp_lint.check.factory import MODULE_SCOPE, FindingFactory
from mcp_lint.model.findings import Finding, Span, TraceStep
from mcp_lint.source.lines import LineTable


def wanted(pending: Iterable) -> set[cst.CSTNode]:
    """The nodes whose spans the findings of `pending` need."""
    nodes: set[cst.CSTNode] = set()
    for p in pending:
        nodes.add(p.node)
        if p.statement is not None:
            nodes.add(p.statement)
        nodes.update(s.node for s in p.trace)
        if p.fix is not None:
            nodes.update(p.fix.nodes())
    return nodes


def materialise(factory: FindingFactory, module: cst.Module, lines: LineTable, pending: Iterable,
                functions: Iterable[FunctionInfo] = (), conditions: dict[str, list] | None = None,
                placed: Placed | None = None) -> list[Finding]:
    """Findings reported on CST nodes during the walk (`check.context.PendingFinding`) -> plain
    findings: spans for the few nodes they mention, resolved in one pass (or taken from `placed`,
    the pass the caller made for these and more), in source order. The conditions of conditional
    findings go to `conditions`, by fingerprint."""
    pending = list(pending)
    if not pending:
        return []
    functions = list(functions)
    if placed is None:
        placed = place(module, wanted(pending), lines, [fn.node for fn in functions])
    spans = placed.spans
    scopes = _Scopes(sorted(((found[0], found[1] or _OPEN, fn.qualname) for fn in functions
                             if (found := placed.scopes.get(id(fn.node))) is not None), key=lambda s: (s[0], -s[1])))
    placed_pending = [(p, spans[p.node]) for p in pending if p.node in spans]
    placed_pending.sort(key=lambda item: (item[1].start_offset, item[1].end_offset))
    out = []
    for p, span in placed_pending:
        stmt = spans.get(p.statement) if p.statement is not None else None
        finding = factory.make(
            p.rule, span, p.message, anchor=lines.source[span.start_offset:span.end_offset],
            scope=scopes.enclosing(span), statement_line=stmt.start_line if stmt is not None else span.start_line,
            trace=tuple(TraceStep(spans[s.node], s.text) for s in p.trace if s.node in spans),
            fix=p.fix.resolve(spans, lines) if p.fix is not None else None, confidence=p.confidence)
        if finding is not None:
            out.append(finding)
            if conditions is not None and getattr(p, "conditions", ()):
                conditions[finding.fingerprint] = [[list(t) for t in through] for through in p.conditions]
    return out


_OPEN = 1 << 62  # the end of a scope the pass stopped inside: after everything it placed


class _Scopes:
    """Function ranges (start, end, qualified name), sorted by start, outer before inner; they nest
    (a function lies inside another or apart from it), so the innermost one around a span is
    found by bisecting the starts and climbing to enclosing ranges."""

    def __init__(self, ranges: list[tuple[int, int, str]]) -> None:
        self.ranges = ranges
        self.starts = [start for start, _, _ in ranges]
        self.parent: list[int] = []  # index of the range around each range (-1: none)
        open_: list[int] = []
        for i, (start, end, _) in enumerate(ranges):
            while open_ and ranges[open_[-1]][1] < end:
                open_.pop()
            self.parent.append(open_[-1] if open_ else -1)
            open_.append(i)

    def enclosing(self, span: Span) -> str:
        """The qualified name of the innermost function around `span` (`<module>` if none)."""
        i = bisect.bisect_right(self.starts, span.start_offset) - 1
        while i >= 0 and span.end_offset > self.ranges[i][1]:
            i = self.parent[i]
        return self.ranges[i][2] if i >= 0 else MODULE_SCOPE
