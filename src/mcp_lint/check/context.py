"""The per-file context handed to primitives: the facts computed once for the file (imports,
server model, traversal state, flows) and the one way to report a finding.

Findings are recorded against CST nodes while the file is analysed and turned into plain
`Finding`s (spans, trace, fix) in one pass at the end, so positions are computed only for
files that have findings and only for the nodes they mention.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from mcp_lint.analysis.file import FileAnalysis
from mcp_lint.check.factory import render_message
from mcp_lint.analysis.taint import Step
from mcp_lint.model.findings import Applicability, Confidence
from mcp_lint.model.rules import Rule


@dataclass(frozen=True, eq=False)
class NodeEdit:
    """A fix edit expressed on nodes: replace a node's text, or insert before/after it."""

    node: cst.CSTNode
    content: str
    mode: str = "replace"  # "replace" | "insert-before" | "insert-after"


@dataclass(frozen=True, eq=False)
class NodeFix:
    description: str
    edits: tuple[NodeEdit, ...]
    applicability: Applicability = Applicability.SAFE


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
