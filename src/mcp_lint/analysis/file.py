"""Everything computed once per file before any rule runs: the parse, the module index, the
MCP server model, the traversal state the walker maintains, and the flow and type analyses
that answer questions about values. Rules see it through `check.context.FileContext`, which
adds the rule API (reporting findings, per-rule state); analyses see only this."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from mcp_lint.analysis.imports import ImportTable
from mcp_lint.analysis.library_types import TypeOracle
from mcp_lint.analysis.mcp_model import ServerModel
from mcp_lint.analysis.module_index import ModuleIndex
from mcp_lint.analysis.state import Point, TraversalState
from mcp_lint.analysis.taint import FlowRecorder, Flows


@dataclass(eq=False)
class FileAnalysis:
    path: str
    source: str
    module: cst.Module
    index: ModuleIndex
    model: ServerModel
    state: TraversalState
    project: Any = None  # the project index (project/index.py), when the run has one
    context: Any = None  # what the project says about this file (project.index.ModuleContext)
    flows: Flows = field(init=False)
    recorder: FlowRecorder = field(init=False)
    types: TypeOracle = field(init=False)

    def __post_init__(self) -> None:
        self.flows = Flows(self)
        self.recorder = FlowRecorder(self)
        self.types = TypeOracle(self)

    @property
    def imports(self) -> ImportTable:
        return self.index.imports

    def resolve(self, expr: cst.BaseExpression) -> str | None:
        return self.index.imports.resolve(expr)

    def point(self) -> Point:
        return self.state.frame.point()
