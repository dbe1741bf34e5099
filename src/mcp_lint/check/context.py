"""The per-file context handed to primitives: the facts computed once for the file (imports,
server model, traversal state, flows) and the one way to report a finding.

Findings are recorded against CST nodes while the file is analysed and turned into plain
`Finding`s (spans, trace, fix) in one pass at the end, so positions are computed only for
files that have findings and only for the nodes they mention.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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


@dataclass(eq=False)
class FileContext(FileAnalysis):
    """A file's analysis plus the rule API: how primitives report findings and defer checks."""

    pending: list[PendingFinding] = field(default_factory=list)
    deferred: list[tuple[Rule, Callable[[], None]]] = field(default_factory=list)
    scratch: dict[str, Any] = field(default_factory=dict)  # per-file, per-rule working data
    # What the rest of the project says about this module (project.index.ModuleContext: `callees`,
    # `role`), None when the file is linted without a project.
    project: Any = None

    def report(self, rule: Rule, node: cst.CSTNode, fields: Mapping[str, Any] | None = None, *,
               statement: cst.CSTNode | None = None, trace: tuple[Step, ...] = (),
               fix: NodeFix | None = None, confidence: Confidence | None = None) -> None:
        message = render_message(rule, fields)
        stmt = statement if statement is not None else self.state.statement
        self.pending.append(PendingFinding(rule, node, message, stmt, trace, fix, confidence))

    def defer(self, rule: Rule, fn: Callable[[], None]) -> None:
        """Run `fn` after the walk, when every function's bindings and summaries exist."""
        self.deferred.append((rule, fn))
