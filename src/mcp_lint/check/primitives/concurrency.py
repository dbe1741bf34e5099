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
Reported at the first qualifying `await` of the loop. Fix (with `fix:` in the rule): the one
shape `for x in xs: out.append(await f(x))` becomes `out.extend(await asyncio.gather(*(f(x) for x
in xs)))` (see `loop_fixes.py`).
"""

from __future__ import annotations

import libcst as cst

from mcp_lint.analysis.cst_utils import call_name, iter_names, root_name
from mcp_lint.analysis.fields import child_nodes
from mcp_lint.analysis.state import LoopInfo
from mcp_lint.check.context import FileContext
from mcp_lint.model.schema import Key, List, Map, Str
from mcp_lint.check.primitives.base import Primitive
from mcp_lint.check.primitives.common import CallPatterns
from mcp_lint.check.primitives.loop_fixes import gather_fix


class AwaitInLoop(Primitive):
    NAME = "await-in-loop"
    FIXABLE = True
    PARAMS = Map({
        "exempt-calls": Key(List(Str()), default=()),
        "exempt-methods": Key(List(Str()), default=()),
        # Awaiting one of these anywhere in the body means the pacing is deliberate.
        "pacing-calls": Key(List(Str()), default=()),
        "pacing-methods": Key(List(Str()), default=()),
        # Wrappers judged by the call they wrap: `await asyncio.wait_for(p.wait(), 1)`.
        "wrappers": Key(List(Str()), default=()),
    })
    PLACEHOLDERS = frozenset({"call", "loop_var"})

    def setup(self) -> None:
        self.exempt_calls = CallPatterns(self.params["exempt-calls"])
        self.exempt_methods = frozenset(self.params["exempt-methods"])
        self.pacing_calls = CallPatterns(self.params["pacing-calls"])
        self.pacing_methods = frozenset(self.params["pacing-methods"])
        self.wrappers = CallPatterns(self.params["wrappers"])

    def leave(self):
        return {cst.For: self.on_loop}

    def on_loop(self, node: cst.For, ctx: FileContext) -> None:
        loop = ctx.state.finished_loops.get(node)
        if loop is None or not loop.awaits or loop.exits or not loop.targets:
            return
        calls = [(a, seq, stmt, self._unwrap(a.expression, ctx)) for a, seq, stmt in loop.awaits]
        if any(isinstance(c, cst.Call) and self._pacing(c, ctx) for _, _, _, c in calls):
            return
        # One await reading a value carried over from the previous iteration makes the
        # iterations a chain (a pipeline, a cursor): the whole loop is sequential.
        last: dict[str, int] = {}  # name -> its last assignment in the body
        for seq, name, _ in loop.assignments:
            if seq > last.get(name, -1):
                last[name] = seq
        reads = [{n.value for n in iter_names(c)} if isinstance(c, cst.Call) else set() for _, _, _, c in calls]
        if any(isinstance(c, cst.Call) and self._carried(r, seq, loop, last)
               for (_, seq, _, c), r in zip(calls, reads)):
            return
        # The names computed from the loop variable before each await, in one sweep of the body.
        derived: set[str] = set()
        events = sorted(loop.assignments, key=lambda e: e[0])
        i = 0
        for (await_node, seq, statement, call), read in sorted(zip(calls, reads), key=lambda c: c[0][1]):
            while i < len(events) and events[i][0] < seq:
                _, name, value = events[i]
                if {n.value for n in iter_names(value)} & (loop.targets | derived):
                    derived.add(name)
                i += 1
            if not isinstance(call, cst.Call) or self._exempt(call, ctx, loop):
                continue
            if read.isdisjoint(loop.targets) and read.isdisjoint(derived):
                continue  # not per-item work
            self.report_at(ctx, await_node, statement, call, loop.targets, fix=gather_fix(ctx, self.rule, node))
            return

    def _unwrap(self, expr: cst.BaseExpression, ctx: FileContext) -> cst.BaseExpression:
        while isinstance(expr, cst.Call) and expr.args and self.wrappers.match(expr, ctx, ctx.point()):
            expr = expr.args[0].value
        return expr

    def _pacing(self, call: cst.Call, ctx: FileContext) -> bool:
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in self.pacing_methods:
            return True
        return self.pacing_calls.match(call, ctx, ctx.point()) is not None

    def report_at(self, ctx: FileContext, node: cst.Await, statement, call: cst.Call, targets, fix=None) -> None:
        ctx.report(self.rule, node, {"call": f"{call_name(call)}()", "loop_var": ", ".join(sorted(targets))},
                   statement=statement, fix=fix)

    def _exempt(self, call: cst.Call, ctx: FileContext, loop: LoopInfo) -> bool:
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in self.exempt_methods:
            return True
        head = root_name(func)
        if head is not None and head.value in loop.targets:
            return True  # `for step in (down, up): await step()`: an ordered list of steps
        if self.exempt_calls.match(call, ctx, ctx.point()) is not None:
            return True
        return self._never_suspends(call, ctx)

    def _never_suspends(self, call: cst.Call, ctx: FileContext) -> bool:
        """A same-file `async def` that awaits nothing gains nothing from concurrency."""
        func = call.func
        target = None
        if isinstance(func, cst.Name):
            target = ctx.index.find_function(func.value, None)
        elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value in (
                "self", "cls"):
            target = ctx.index.unique_method(func.attr.value)
        if target is None or target.asynchronous is None:
            return False
        cache = ctx.scratch.setdefault(f"{self.rule.id}:suspends", {})
        if target not in cache:
            cache[target] = _suspends(target.body)
        return not cache[target]

    def _carried(self, reads: set[str], seq: int, loop: LoopInfo, last: dict[str, int]) -> bool:
        """Does the awaited call read a value carried over from the previous iteration?"""
        for name in reads:
            if name in loop.targets:
                continue
            if name in loop.augmented or last.get(name, -1) > seq:
                return True  # assigned after this await: the next iteration reads it
            if name in loop.mutated and name not in last:
                return True  # a collection built up across iterations
        return False


def _suspends(body: cst.CSTNode) -> bool:
    """Does a function body await (or async-iterate, async-with) anything, outside nested defs?"""
    stack = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Await):
            return True
        if isinstance(node, (cst.For, cst.With)) and node.asynchronous is not None:
            return True
        if isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            continue
        stack.extend(child_nodes(node))
    return False
