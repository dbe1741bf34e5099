"""The check-primitive interface.

A primitive is the *how* behind YAML rules: one instance per rule (built once per process
from the rule's validated `check:` parameters), keyed by node type into the engine's
dispatch tables. It keeps no traversal state of its own: nesting, frames, the server model
and flows all come from the `FileContext`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import libcst as cst

from ..context import FileContext
from ..rulepack import Rule
from ..schema import Map

Hook = Callable[[cst.CSTNode, FileContext], None]


class Primitive:
    NAME: ClassVar[str]
    PARAMS: ClassVar[Map] = Map({})
    PLACEHOLDERS: ClassVar[frozenset[str]] = frozenset()
    FIXABLE: ClassVar[bool] = False

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.params = rule.params
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

    def report(self, ctx: FileContext, node: cst.CSTNode, **fields) -> None:
        ctx.report(self.rule, node, fields)
