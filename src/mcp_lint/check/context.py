"""The per-file context handed to primitives: the facts computed once for the file (imports,
server model, traversal state, flows) and the one way to report a finding.

Findings are recorded against CST nodes while the file is analysed and turned into plain
`Finding`s (spans, trace, fix) in one pass at the end, so positions are computed only for
files that have findings and only for the nodes they mention.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import libcst as cst

from mcp_lint.analysis.file import FileAnalysis
from mcp_lint.check.factory import render_message
from mcp_lint.analysis.taint import Step
from mcp_lint.model.findings import Applicability, Confidence, Edit, Fix, Span
from mcp_lint.model.rules import Rule
from mcp_lint.source.lines import LineTable

_NEWLINE = re.compile(r"\r\n|\r|\n")


class SourceView:
    """The text a fix is resolved against: the file's decoded source, its line table and the
    spans of the nodes the fix mentions (computed in one pass for the whole file)."""

    def __init__(self, spans: Mapping[cst.CSTNode, Span], lines: LineTable) -> None:
        self.spans = spans
        self.lines = lines
        self.text = lines.source
        m = _NEWLINE.search(self.text)
        self.newline = m.group(0) if m else "\n"

    def has(self, node: cst.CSTNode) -> bool:
        return node in self.spans

    def start(self, node: cst.CSTNode) -> int:
        return self.spans[node].start_offset

    def end(self, node: cst.CSTNode) -> int:
        return self.spans[node].end_offset

    def line_start(self, offset: int) -> int:
        return self.lines.starts[self.lines.line_col(offset)[0] - 1]

    def next_line(self, offset: int) -> int:
        """The start of the line after the one holding `offset` (the end of the text on the last line)."""
        line = self.lines.line_col(offset)[0]
        return self.lines.starts[line] if line < len(self.lines.starts) else len(self.text)

    def line_end(self, offset: int) -> int:
        """Where the line holding `offset` ends, before its line break."""
        end = self.next_line(offset)
        while end > offset and self.text[end - 1] in "\r\n":
            end -= 1
        return end

    def indent_at(self, offset: int) -> str:
        """The indentation of the line holding `offset` (spaces and tabs as written)."""
        start = self.line_start(offset)
        text = self.text[start:offset + 1 if offset < len(self.text) else offset]
        return text[:len(text) - len(text.lstrip(" \t\f"))]

    def only_space_before(self, offset: int) -> bool:
        """Nothing but indentation between the start of the line and `offset`."""
        return not self.text[self.line_start(offset):offset].strip()

    def offset(self, at: At) -> int:
        node_start, node_end = self.start(at.node), self.end(at.node)
        if at.side == "start":
            return node_start
        if at.side == "end":
            return node_end
        if at.side == "line":
            return self.line_start(node_start)
        if at.side == "next-line":
            return self.next_line(max(node_start, node_end - 1) if node_end > node_start else node_start)
        raise ValueError(at.side)


@dataclass(frozen=True, eq=False)
class At:
    """A point of the source relative to a node: its start, its end, the start of the line it
    starts on (`line`), or the start of the line after the one it ends on (`next-line`)."""

    node: cst.CSTNode
    side: str = "start"


@dataclass(frozen=True, eq=False)
class NodeEdit:
    """Replace the text from `start` to `end` with `content` (an insertion when they meet).
    Content inserted at the end of a text without a final line break gets one first when it
    is a whole line (it ends with a line break)."""

    start: At
    end: At
    content: str

    @classmethod
    def replace(cls, node: cst.CSTNode, content: str) -> NodeEdit:
        return cls(At(node, "start"), At(node, "end"), content)

    @classmethod
    def before(cls, node: cst.CSTNode, content: str) -> NodeEdit:
        return cls(At(node, "start"), At(node, "start"), content)

    @classmethod
    def after(cls, node: cst.CSTNode, content: str) -> NodeEdit:
        return cls(At(node, "end"), At(node, "end"), content)

    def nodes(self) -> tuple[cst.CSTNode, ...]:
        return (self.start.node, self.end.node)

    def resolve(self, view: SourceView) -> list[Edit] | None:
        start, end = view.offset(self.start), view.offset(self.end)
        if end < start:
            return None
        content = self.content
        if start == end == len(view.text) and view.text and view.text[-1] not in "\r\n" and \
                content.endswith(("\n", "\r")):
            content = view.newline + content.rstrip("\r\n")
        return [Edit(view.lines.span(start, end), content)]


class LazyEdit(Protocol):
    """An edit decided once the text around its nodes is known (see `check.fixkit`)."""

    def nodes(self) -> Iterable[cst.CSTNode]: ...

    def resolve(self, view: SourceView) -> list[Edit] | None: ...


@dataclass(frozen=True, eq=False)
class NodeFix:
    description: str
    edits: tuple[LazyEdit, ...]
    applicability: Applicability = Applicability.SAFE

    def nodes(self) -> set[cst.CSTNode]:
        return {n for e in self.edits for n in e.nodes()}

    def resolve(self, spans: Mapping[cst.CSTNode, Span], lines: LineTable) -> Fix | None:
        """The plain fix, or None when a node has no span or an edit cannot be placed."""
        view = SourceView(spans, lines)
        out: list[Edit] = []
        for e in self.edits:
            if not all(view.has(n) for n in e.nodes()):
                return None
            try:
                resolved = e.resolve(view)
            except Exception:  # noqa: BLE001 - text the edit did not expect: the finding stands, without a fix
                return None
            if resolved is None:
                return None
            out.extend(resolved)
        out.sort(key=lambda e: (e.span.start_offset, e.span.end_offset))  # stable: insertions keep their order
        merged: list[Edit] = []
        for e in out:
            prev = merged[-1] if merged else None
            if prev is not None and e.span.start_offset < prev.span.end_offset:
                if e == prev:
                    continue  # the same edit twice (one import for two uses)
                return None  # the fix's own edits overlap
            if prev is not None and prev.span.start_offset == prev.span.end_offset == e.span.start_offset == \
                    e.span.end_offset:
                if e.content != prev.content:
                    merged[-1] = Edit(prev.span, prev.content + e.content)
                continue
            merged.append(e)
        return Fix(self.description, tuple(merged), self.applicability) if merged else None


@dataclass(eq=False)
class PendingFinding:
    rule: Rule
    node: cst.CSTNode
    message: str
    statement: cst.CSTNode | None
    trace: tuple[Step, ...] = ()
    fix: NodeFix | None = None
    confidence: Confidence | None = None  # None: the rule's
    # One list per unsafe origin of the calls into other modules it went through (Origin.through):
    # the project join drops the finding when each origin went through a call that sanitizes it.
    conditions: tuple[tuple[tuple[str, int | str, str], ...], ...] = ()


@dataclass(eq=False)
class ConditionalSink:
    """A sink a parameter of a function other modules import reaches: a finding if a caller in
    another module passes tool input for that parameter (decided by project/flows.py)."""

    rule: Rule
    node: cst.CSTNode
    fields: Mapping[str, Any]
    function: cst.CSTNode
    param: str
    statement: cst.CSTNode | None
    trace: tuple[Step, ...] = ()


@dataclass(eq=False)
class FileContext(FileAnalysis):
    """A file's analysis plus the rule API: how primitives report findings and defer checks."""

    pending: list[PendingFinding] = field(default_factory=list)
    conditional_sinks: list[ConditionalSink] = field(default_factory=list)
    deferred: list[tuple[Rule, Callable[[], None]]] = field(default_factory=list)
    scratch: dict[str, Any] = field(default_factory=dict)  # per-file, per-rule working data

    def report(self, rule: Rule, node: cst.CSTNode, fields: Mapping[str, Any] | None = None, *,
               statement: cst.CSTNode | None = None, trace: tuple[Step, ...] = (),
               fix: NodeFix | None = None, confidence: Confidence | None = None,
               origins: Sequence[Any] = ()) -> None:
        """Report a finding. `origins`: the unsafe value origins it stands on (taint rules); when
        every one of them went through calls into other modules, the finding is conditional on
        what those modules do with the value (project/flows.py)."""
        message = render_message(rule, fields)
        stmt = statement if statement is not None else self.state.statement
        lists = [self._condition(o) for o in origins]
        conditions = tuple(lists) if lists and all(lists) else ()
        self.pending.append(PendingFinding(rule, node, message, stmt, trace, fix, confidence, conditions))

    def _condition(self, origin: Any) -> tuple:
        """What would refute an origin: a call into another module that sanitizes it, or (a
        parameter of a function other modules call) callers that all pass safe values."""
        entries = tuple(origin.through)
        if getattr(origin, "kind", None) == "param" and self.exported(origin.function):
            entries += ((self.function_key(origin.function), origin.param, "callers"),)
        return entries

    def function_key(self, fn: cst.CSTNode) -> str:
        """How the project names a function of this file: `path::qualname`."""
        import os

        info = self.index.function_of.get(fn)
        return f"{os.path.abspath(self.path)}::{info.qualname if info is not None else ''}"

    def exported(self, fn: cst.CSTNode | None) -> bool:
        """Does another module of the project import this function (or its class)?"""
        if fn is None or not self.context or not self.context.exported:
            return False
        info = self.index.function_of.get(fn)
        return info is not None and info.qualname in self.context.exported

    def conditional_sink(self, rule: Rule, node: cst.CSTNode, fields: Mapping[str, Any], origin: Any, *,
                         statement: cst.CSTNode | None = None, trace: tuple[Step, ...] = ()) -> None:
        """`origin` is a parameter of an exported function: a finding for each caller in another
        module that passes tool input (project/flows.py)."""
        stmt = statement if statement is not None else self.state.statement
        self.conditional_sinks.append(ConditionalSink(rule, node, dict(fields), origin.function, origin.param,
                                                      stmt, trace))

    def defer(self, rule: Rule, fn: Callable[[], None]) -> None:
        """Run `fn` after the walk, when every function's bindings and summaries exist."""
        self.deferred.append((rule, fn))
