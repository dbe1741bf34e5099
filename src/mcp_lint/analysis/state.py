"""Traversal state owned by the engine: where in the file the walk is right now.

Primitives read it (`ctx.state`) and never keep nesting state of their own. Besides the
usual stacks (ancestors, functions, loops, with/try/except, statements) each function frame
keeps the bindings the flow analysis needs, each stamped with a `Point`: the order in which
it was made and the block path (which branch of which if/try/for/match it sits in).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from mcp_lint.analysis.mcp_model import HandlerInfo, ParamInfo
from mcp_lint.analysis.module_index import FunctionInfo

# Binding kinds.
PARAM = "param"
ASSIGN = "assign"
AUG = "aug"
FOR = "for"
WITH = "with"
OPAQUE = "opaque"  # except-as, import, def, class, global: never tool input, never known-safe
NARROW = "narrow"  # a guard made the name safe (or safe for one kind of sink) from here on
CALL_GUARD = "call-guard"  # `validate(x)` where a same-module helper may narrow x
COMP = "comp"  # comprehension variable
MATCH = "match"  # match-case capture
MUTATE = "mutate"  # `xs.append(v)`, `d[k] = v`: the container now also holds v
CUT = "cut"  # stands for the definitions of a name the flow analysis did not look at (a bound)

# Methods of the built-in containers (list, set, dict, deque) by what they do to the container:
# STORING_METHODS put their argument in it (so a value flows in); MUTATING_METHODS change it in
# any way (a loop that calls one on a name carries state from one iteration to the next).
STORING_METHODS = frozenset({"append", "extend", "insert", "add", "update", "appendleft", "extendleft", "setdefault"})
MUTATING_METHODS = STORING_METHODS | {"pop", "remove", "discard", "clear"}


@dataclass(frozen=True, eq=False)
class Point:
    """A program point: the frame, how many bindings preceded it, and its block path."""

    frame: Frame
    order: int
    path: tuple[tuple[cst.CSTNode, int], ...]


@dataclass(eq=False)
class Binding:
    name: str
    kind: str
    node: cst.CSTNode | None  # value expression (assign/for/with), or the param / guard node
    point: Point
    index: tuple[int, ...] = ()  # tuple-unpacking position: `a, b = v` binds b to v[1]
    sanitizer: str = ""  # NARROW: the sanitizer kind applied
    param: ParamInfo | None = None
    scope: cst.CSTNode | None = None  # COMP: visible only inside this comprehension
    statement: cst.CSTNode | None = None  # the statement that made the binding


@dataclass(eq=False)
class Frame:
    node: cst.CSTNode  # FunctionDef, Lambda or Module
    parent: Frame | None
    info: FunctionInfo | None = None
    handler: HandlerInfo | None = None
    is_async: bool = False
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    counter: int = 0
    path: list[tuple[cst.CSTNode, int]] = field(default_factory=list)
    returns: list[tuple[cst.BaseExpression, Point]] = field(default_factory=list)
    # Calls to functions of this file (by simple name or self/cls method), for summaries.
    local_calls: list[tuple[cst.Call, Point]] = field(default_factory=list)
    project_calls: list[tuple[cst.Call, Point]] = field(default_factory=list)  # may call another module
    defined_at: Point | None = None  # where a nested def/lambda was defined in its parent
    # The last point made: every rule hook on a node asks for the same one.
    _last: Point | None = field(default=None, repr=False)

    def point(self) -> Point:
        path = self.path
        last = self._last
        # The innermost block (its node and branch) fixes the whole path: a block lies in one
        # branch of each enclosing compound statement.
        if last is not None and last.order == self.counter and len(last.path) == len(path) and (
                not path or (last.path[-1][0] is path[-1][0] and last.path[-1][1] == path[-1][1])):
            return last
        self._last = last = Point(self, self.counter, tuple(path))
        return last

    def bind(self, binding: Binding, statement: cst.CSTNode | None = None) -> None:
        binding.statement = statement
        self.bindings.setdefault(binding.name, []).append(binding)
        self.counter += 1

    @property
    def name(self) -> str:
        if isinstance(self.node, cst.FunctionDef):
            return self.node.name.value
        return "<lambda>" if isinstance(self.node, cst.Lambda) else "<module>"


@dataclass(eq=False)
class LoopInfo:
    node: cst.For | cst.While
    frame: Frame
    targets: frozenset[str]  # names the loop header binds each iteration
    # (sequence number, name, value) of each assignment in the body, in walk order
    assignments: list[tuple[int, str, cst.BaseExpression]] = field(default_factory=list)
    augmented: set[str] = field(default_factory=set)
    # `xs.append(v)`, `d[k] = v`, `state["seen"].add(k)` in the body (the root name; not self/cls),
    # nested loops of the same function included
    mutated: set[str] = field(default_factory=set)
    mutations: list[tuple[int, str]] = field(default_factory=list)  # (sequence number, root name)
    exits: bool = False  # a break/return in the body (not in a nested loop/function)
    # raises in the body not inside a `try` of the body: (raise, in an `except` handler of the body)
    raises: list[tuple[cst.Raise, bool]] = field(default_factory=list)
    try_depth: int = 0  # how many `try` blocks enclose the loop itself
    awaits: list[tuple[cst.Await, int, Any]] = field(default_factory=list)  # (await, seq, statement)
    seq: int = 0

    def last_assigned(self, name: str) -> int:
        """The sequence number of the last assignment of `name` in the body (-1: none); one sweep
        of the assignments, redone only when the body has grown since."""
        cache = self.__dict__.get("_last")
        if cache is None or cache[0] != len(self.assignments):
            last: dict[str, int] = {}
            for seq, n, _ in self.assignments:
                if seq > last.get(n, -1):
                    last[n] = seq
            cache = self.__dict__["_last"] = (len(self.assignments), last)
        return cache[1].get(name, -1)

    @property
    def is_while(self) -> bool:
        return isinstance(self.node, cst.While)


class TraversalState:
    """The stacks. Pushed and popped by the engine's walker only."""

    __slots__ = ("ancestors", "frames", "loops", "withs", "trys", "excepts", "statements", "module_frame",
                 "finished_loops")

    def __init__(self, module: cst.Module) -> None:
        self.ancestors: list[cst.CSTNode] = []
        self.module_frame = Frame(node=module, parent=None)
        self.frames: list[Frame] = [self.module_frame]
        self.loops: list[LoopInfo] = []
        self.withs: list[cst.With] = []
        self.trys: list[tuple[cst.Try | cst.TryStar, str]] = []  # (try, "body"|"handler"|"else"|"finally")
        self.excepts: list[tuple[cst.ExceptHandler, Frame]] = []
        self.statements: list[cst.CSTNode] = []
        # Loop facts stay readable after the loop is left (leave hooks decide on whole loops).
        self.finished_loops: dict[cst.CSTNode, LoopInfo] = {}

    @property
    def frame(self) -> Frame:
        return self.frames[-1]

    @property
    def function(self) -> cst.FunctionDef | None:
        """The innermost enclosing def (lambdas are skipped)."""
        for frame in reversed(self.frames):
            if isinstance(frame.node, cst.FunctionDef):
                return frame.node
        return None

    @property
    def handler(self) -> HandlerInfo | None:
        """The handler whose own body (not a nested def) is being walked."""
        return self.frames[-1].handler

    @property
    def in_async(self) -> bool:
        return self.frames[-1].is_async

    @property
    def statement(self) -> cst.CSTNode | None:
        return self.statements[-1] if self.statements else None

    @property
    def parent(self) -> cst.CSTNode | None:
        return self.ancestors[-2] if len(self.ancestors) > 1 else None

    def except_handler(self) -> cst.ExceptHandler | None:
        """The `except` clause being walked, if it belongs to the current function."""
        if self.excepts and self.excepts[-1][1] is self.frames[-1]:
            return self.excepts[-1][0]
        return None

    def loop(self) -> LoopInfo | None:
        """The innermost loop of the current frame."""
        if self.loops and self.loops[-1].frame is self.frames[-1]:
            return self.loops[-1]
        return None
