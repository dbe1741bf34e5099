"""`await-in-loop`: a `for` loop that awaits, one item at a time, work whose iterations do
not depend on each other, so they could run concurrently (`asyncio.gather`, a TaskGroup).

The decision is made when the loop is left, from the facts the engine collected while
walking its body: which names were assigned (and in what order), which were augmented,
whether the body can `break`/`return` (a sequential search), whether it awaits a sleep
(deliberate pacing). An await counts when its call is parameterised by the loop variable
(directly or through names computed from it earlier in the same iteration) and reads no
loop-carried name (augmented, or assigned later in the body: a value from the previous
iteration). `while` loops, awaits that are not calls, and listed sequential-by-nature
calls (logging and progress, sends and writes, one connection's queries) are exempt.
Reported at the first qualifying `await` of the loop.
"""

from __future__ import annotations

import libcst as cst

from ..analysis.cst_utils import call_name, iter_names
from ..analysis.state import LoopInfo
from ..context import FileContext
from ..schema import Key, List, Map, Str
from .base import Primitive
from .common import CallPatterns


class AwaitInLoop(Primitive):
    NAME = "await-in-loop"
    PARAMS = Map({
        "exempt-calls": Key(List(Str()), default=()),
        "exempt-methods": Key(List(Str()), default=()),
    })
    PLACEHOLDERS = frozenset({"call", "loop_var"})

    def setup(self) -> None:
        self.exempt_calls = CallPatterns(self.params["exempt-calls"])
        self.exempt_methods = frozenset(self.params["exempt-methods"])

    def leave(self):
        return {cst.For: self.on_loop}

    def on_loop(self, node: cst.For, ctx: FileContext) -> None:
        loop = ctx.state.finished_loops.get(node)
        if loop is None or not loop.awaits or loop.exits or loop.sleeps:
            return
        targets = loop.targets
        if not targets:
            return
        derived = self._derived_names(node, loop)
        for await_node, seq, statement in loop.awaits:
            call = await_node.expression
            if not isinstance(call, cst.Call) or self._exempt(call, ctx):
                continue
            reads = {n.value for n in iter_names(call)}
            if not reads & (targets | derived.get(seq, frozenset())):
                continue  # not per-item work
            if self._carried(reads, seq, loop):
                continue
            self.report_at(ctx, await_node, statement, call, targets)
            return

    def report_at(self, ctx: FileContext, node: cst.Await, statement, call: cst.Call, targets) -> None:
        ctx.report(self.rule, node, {"call": f"{call_name(call)}()", "loop_var": ", ".join(sorted(targets))},
                   statement=statement)

    def _exempt(self, call: cst.Call, ctx: FileContext) -> bool:
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in self.exempt_methods:
            return True
        return self.exempt_calls.match(call, ctx, ctx.point()) is not None

    def _carried(self, reads: set[str], seq: int, loop: LoopInfo) -> bool:
        """Does the awaited call read a value carried over from the previous iteration?"""
        for name in reads:
            if name in loop.targets:
                continue
            if name in loop.augmented or loop.last_assigned(name) > seq:
                return True  # assigned after this await: the next iteration reads it
        return False

    def _derived_names(self, node: cst.For, loop: LoopInfo) -> dict[int, frozenset[str]]:
        """For each await, the names computed from the loop variable before it in the body."""
        derived: set[str] = set()
        out: dict[int, frozenset[str]] = {}
        events = sorted(loop.assignments, key=lambda e: e[0])
        i = 0
        for seq in sorted(seq for _, seq, _ in loop.awaits):
            while i < len(events) and events[i][0] < seq:
                _, name, value = events[i]
                if {n.value for n in iter_names(value)} & (loop.targets | derived):
                    derived.add(name)
                i += 1
            out[seq] = frozenset(derived)
        return out
