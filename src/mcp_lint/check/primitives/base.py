"""The check-primitive interface.

A primitive is the *how* behind YAML rules: one instance per rule (built once per process
from the rule's validated `check:` parameters), keyed by node type into the engine's
dispatch tables. It keeps no traversal state of its own: nesting, frames, the server model
and flows all come from the `FileContext`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, ClassVar

import libcst as cst

from mcp_lint.check.context import FileContext
from mcp_lint.model.knowledge import EMPTY, Knowledge
from mcp_lint.model.rules import Rule
from mcp_lint.model.schema import Key, List, Map, Str

if TYPE_CHECKING:
    from mcp_lint.check.project_api import Project, ProjectIssue

Hook = Callable[[cst.CSTNode, FileContext], None]


class Primitive:
    NAME: ClassVar[str]
    PARAMS: ClassVar[Map] = Map({})
    PLACEHOLDERS: ClassVar[frozenset[str]] = frozenset()
    FIXABLE: ClassVar[bool] = False

    def __init__(self, rule: Rule, knowledge: Knowledge | None = None) -> None:
        self.rule = rule
        self.params = rule.params
        self.knowledge = knowledge if knowledge is not None else EMPTY  # library facts (model/knowledge.py)
        self.setup()

    def setup(self) -> None:
        """Precompute lookup tables from `self.params` (once per process)."""

    def enter(self) -> dict[type[cst.CSTNode], Hook]:
        """Node type -> hook called when the walk enters such a node."""
        return {}

    def leave(self) -> dict[type[cst.CSTNode], Hook]:
        """Node type -> hook called when the walk leaves such a node."""
        return {}

    def finish(self, ctx: FileContext) -> None:
        """Called once per file after the walk (and after deferred checks)."""

    def facts(self, ctx: FileContext) -> object | None:
        """Data gathered from this file for a project-level check (after `finish`); it travels
        back from a worker on `FileResult.facts` and is kept in the findings cache, so it must be
        plain: None, bool, int, float, str and lists, tuples, sets and dicts of them (no class
        instances; a NamedTuple comes back as a plain tuple). None: nothing."""
        return None

    def report(self, ctx: FileContext, node: cst.CSTNode, **fields) -> None:
        ctx.report(self.rule, node, fields)


class ProjectPrimitive(Primitive):
    """A rule about a project as a whole, reported in a file other than Python source.

    It works in two halves. Per file, in the worker, it walks like any primitive and returns
    what it saw from `facts()` as plain data (no CST nodes). Once per project, after every
    file is linted, the project stage (`project_stage.py`) hands `check_project` the
    project's manifests and the facts of each file they govern; the primitive returns
    `ProjectIssue`s, each located in a manifest, and the stage turns them into ordinary
    `Finding`s (suppressions, fingerprints, per-file-ignores, every reporter).
    """

    def check_project(self, project: Project) -> Iterable[ProjectIssue]:
        return ()


class HandlerPrimitive(Primitive):
    """A check on each handler (tool, resource or prompt function) of the kinds a rule names
    in `kinds:`. Subclasses implement `on_handler`; their PARAMS include `HANDLER_KINDS`."""

    def setup(self) -> None:
        self.kinds = frozenset(self.params["kinds"])

    def enter(self):
        return {cst.FunctionDef: self._on_function}

    def _on_function(self, node: cst.FunctionDef, ctx: FileContext) -> None:
        handler = ctx.model.handler(node)
        if handler is not None and handler.kind in self.kinds:
            self.on_handler(node, handler, ctx)

    def on_handler(self, node: cst.FunctionDef, handler, ctx: FileContext) -> None:
        raise NotImplementedError


HANDLER_KINDS = Key(List(Str(choices=("tool", "resource", "prompt")), min_items=1), default=("tool",))
# Every kind of handler the server model knows (analysis/mcp_model.py, HandlerInfo.kind).
ALL_HANDLER_KINDS = ("tool", "resource", "prompt", "tool-dispatcher", "resource-dispatcher", "prompt-dispatcher")
