"""`await-in-loop`: a `for` loop (or a comprehension) that awaits, one item at a time, work whose
iterations do not depend on each other, so they could run concurrently (`asyncio.gather`, a
TaskGroup).

The decision is made when the loop is left, from the facts the engine collected while
walking its body: which names were assigned (and in what order), which were augmented or
changed in place, whether the body can `break`/`return`/`raise` (a sequential search, or a
fail-fast run that reports how far it got), whether it awaits a sleep (deliberate pacing). An
await counts when its call is parameterised by the loop variable (directly or through names
computed from it earlier in the same iteration) and reads no loop-carried name: one augmented or
assigned later in the body (a value from the previous iteration), a container changed in place
(also through an alias, `seen = state["seen"]`), a name computed from those, or an argument the
body folds the result into (`r = await step(prev=acc)`, then `acc.add(r)`).

Not reported: `while` loops; `async for` loops (a stream is consumed one message at a time: a
receive loop, a paginated reader); awaits that are not calls; listed sequential-by-nature calls
(logging and progress, sends and writes, one connection's queries, event hooks, queue puts,
exit-stack contexts, UI actions on one page); progress callbacks; loops in shutdown and clean-up
functions; loops over a model's tool calls (they run in the order the model gave); calls that pass
one database connection or session from outside the loop (its operations cannot overlap); and,
from the project's facts (project/functions.py), callees that hold a lock shared between calls
(directly or through what they await), pace themselves, or never suspend. Rules may also skip
modules by their role in the project (tests, scripts). Reported at the first qualifying `await`.
Fix (with `fix:` in the rule): the one shape `for x in xs: out.append(await f(x))` becomes
`out.extend(await asyncio.gather(*(f(x) for x in xs)))` (see `loop_fixes.py`).
"""

from __future__ import annotations

import fnmatch

import libcst as cst

from mcp_lint.analysis.cst_utils import call_name, dotted, iter_names, root_name, string_value, target_names
from mcp_lint.analysis.fields import child_nodes
from mcp_lint.analysis.state import LoopInfo
from mcp_lint.check.context import FileContext
from mcp_lint.model.schema import Key, List, Map, Str
from mcp_lint.check.primitives.base import Primitive
from mcp_lint.check.primitives.common import CallPatterns
from mcp_lint.check.primitives.loop_fixes import gather_fix

_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
# awaits x assignments of one loop body past which carried values are decided once for the loop
_CARRIED_BUDGET = 20_000


class AwaitInLoop(Primitive):
    NAME = "await-in-loop"
    FIXABLE = True
    PARAMS = Map({
        "exempt-calls": Key(List(Str()), default=()),
        # Method names (`fnmatch` globs: `enqueue*`) sequential by nature on their receiver.
        "exempt-methods": Key(List(Str()), default=()),
        # Methods (globs) that make a same-file helper awaiting only them not worth gathering.
        "passive-methods": Key(List(Str()), default=()),
        # Bare-name callees (globs) that report on the work rather than do it: progress callbacks.
        "exempt-callbacks": Key(List(Str()), default=()),
        # Functions (globs on the name) whose loops are not reported: shutdown and clean-up paths.
        "exempt-functions": Key(List(Str()), default=()),
        # Awaiting one of these anywhere in the body means the pacing is deliberate.
        "pacing-calls": Key(List(Str()), default=()),
        "pacing-methods": Key(List(Str()), default=()),
        # Wrappers judged by the call they wrap: `await asyncio.wait_for(p.wait(), 1)`.
        "wrappers": Key(List(Str()), default=()),
        # One connection passed to (or receiving) each call from outside the loop: names (globs)
        # that denote one, types that are one; `session-names` count only with a type from
        # `serial-types` or in a module that imports one of `session-modules` and none of
        # `http-modules` (an HTTP client session is a pool, and concurrency is its point).
        "serial-names": Key(List(Str()), default=()),
        "session-names": Key(List(Str()), default=()),
        "serial-types": Key(List(Str()), default=()),
        "session-modules": Key(List(Str()), default=()),
        "http-modules": Key(List(Str()), default=()),
        # Loops over these (the last attribute of the iterable) run in the order given: a model's
        # tool calls; so do loops whose body compares a block's kind with one of `ordered-kinds`.
        "ordered-iterables": Key(List(Str()), default=()),
        "ordered-kinds": Key(List(Str()), default=()),
        # `await asyncio.to_thread(path.unlink)`: one of `thread-calls` running a local file method.
        "thread-calls": Key(List(Str()), default=()),
        "file-methods": Key(List(Str()), default=()),
        # Module roles (project/index.py: test, script, off-path) where the rule does not report.
        "skip-roles": Key(List(Str()), default=()),
    })
    PLACEHOLDERS = frozenset({"call", "loop_var"})

    def setup(self) -> None:
        self.exempt_calls = CallPatterns(self.params["exempt-calls"])
        self.exempt_methods = _Names(self.params["exempt-methods"])
        self.exempt_callbacks = _Names(self.params["exempt-callbacks"])
        self.passive_methods = _Names(self.params["passive-methods"])
        self.exempt_functions = _Names(self.params["exempt-functions"])
        self.pacing_calls = CallPatterns(self.params["pacing-calls"])
        self.pacing_methods = frozenset(self.params["pacing-methods"])
        self.wrappers = CallPatterns(self.params["wrappers"])
        self.serial_names = _Names(self.params["serial-names"])
        self.session_names = _Names(self.params["session-names"])
        self.serial_types = frozenset(self.params["serial-types"])
        self.session_modules = tuple(self.params["session-modules"])
        self.http_modules = tuple(self.params["http-modules"])
        self.ordered = frozenset(self.params["ordered-iterables"])
        self.ordered_kinds = frozenset(self.params["ordered-kinds"])
        self.skip_roles = frozenset(self.params["skip-roles"])
        self.threads = CallPatterns(self.params["thread-calls"])
        self.file_methods = frozenset(self.params["file-methods"])

    def leave(self):
        hooks = {cst.For: self.on_loop}
        for tp in _COMPREHENSIONS:
            hooks[tp] = self.on_comprehension
        return hooks

    # -- where the rule looks -----------------------------------------------------------------
    def _skipped(self, ctx: FileContext) -> bool:
        project = ctx.context
        if project is not None and getattr(project, "role", "") in self.skip_roles:
            return True
        function = ctx.state.function
        return function is not None and self.exempt_functions.match(function.name.value)

    def on_loop(self, node: cst.For, ctx: FileContext) -> None:
        if node.asynchronous is not None:
            return  # a stream, consumed as it arrives
        loop = ctx.state.finished_loops.get(node)
        if loop is None or not loop.awaits or loop.exits or not loop.targets:
            return
        if self._skipped(ctx) or self._ordered(node) or self._fails_fast(loop):
            return
        calls = [(a, seq, stmt, self._unwrap(a.expression, ctx)) for a, seq, stmt in loop.awaits]
        if any(isinstance(c, cst.Call) and self._pacing(c, ctx) for _, _, _, c in calls):
            return
        # One await reading a value carried over from the previous iteration makes the
        # iterations a chain (a pipeline, a cursor): the whole loop is sequential.
        # Each await's carried names take one sweep of the body's assignments; past a bound (a
        # hostile body) the names carried at the first await stand for every await: linear time.
        per_await = len(calls) * (len(loop.assignments) + 1) <= _CARRIED_BUDGET
        shared: set[str] | None = None
        for await_node, seq, _, c in calls:
            if not isinstance(c, cst.Call):
                continue
            if per_await:
                carried = self._carried_names(seq, loop, ctx)
            else:
                if shared is None:
                    shared = self._carried_names(min(s for _, s, _, _ in calls), loop, ctx)
                carried = shared
            if {n.value for n in iter_names(c)} & carried or \
                    (per_await and self._folded(node, await_node, c, seq, loop)):
                return
        derived = self._derived_names(loop)
        for await_node, seq, statement, call in calls:
            if not isinstance(call, cst.Call) or self._exempt(call, ctx, loop.targets, loop):
                continue
            reads = {n.value for n in iter_names(call)}
            if not reads & (loop.targets | derived.get(seq, frozenset())):
                continue  # not per-item work
            self.report_at(ctx, await_node, statement, call, loop.targets, fix=gather_fix(ctx, self.rule, node))
            return

    def on_comprehension(self, node, ctx: FileContext) -> None:
        """`[await fetch(u) for u in urls]` awaits each element before computing the next."""
        targets: set[str] = set()
        comp = node.for_in
        while comp is not None:
            if comp.asynchronous is not None:
                return
            targets.update(n.value for n in target_names(comp.target))
            comp = comp.inner_for_in
        if not targets or self._skipped(ctx):
            return
        parts = (node.key, node.value) if isinstance(node, cst.DictComp) else (node.elt,)
        awaits = [n for part in parts for n in _own_awaits(part)]
        calls = [(a, self._unwrap(a.expression, ctx)) for a in awaits]
        if any(isinstance(c, cst.Call) and self._pacing(c, ctx) for _, c in calls):
            return
        frozen = frozenset(targets)
        for await_node, call in calls:
            if not isinstance(call, cst.Call) or self._exempt(call, ctx, frozen, None):
                continue
            if {n.value for n in iter_names(call)} & targets:
                self.report_at(ctx, await_node, ctx.state.statement, call, frozen)
                return

    @staticmethod
    def _fails_fast(loop: LoopInfo) -> bool:
        """A raise decided in the body (`if not ok: raise ...`), or one in an `except` that reports
        how far the loop got (`raise Partial(done=len(done))`): the loop stops at the first failure
        and says what happened before it, an order a concurrent run does not have. A plain
        re-raise of the call's own error is not: `gather` propagates that too."""
        carried = loop.augmented | loop.mutated
        return any(not in_handler or {n.value for n in iter_names(r)} & carried for r, in_handler in loop.raises)

    def _ordered(self, node: cst.For) -> bool:
        """A loop over a model's tool calls: `for call in message.tool_calls`, or over content
        blocks the body selects by kind (`if block.type == "tool_use"`)."""
        name = dotted(node.iter)
        if name is not None and name.rsplit(".", 1)[-1] in self.ordered:
            return True
        if not self.ordered_kinds:
            return False
        stack = list(child_nodes(node.body))
        while stack:
            n = stack.pop()
            if isinstance(n, cst.Comparison) and any(string_value(c.comparator) in self.ordered_kinds
                                                      for c in n.comparisons):
                return True
            if not isinstance(n, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                stack.extend(child_nodes(n))
        return False

    def _unwrap(self, expr: cst.BaseExpression, ctx: FileContext) -> cst.BaseExpression:
        while isinstance(expr, cst.Call) and expr.args and self.wrappers.match(expr, ctx, ctx.point()):
            expr = expr.args[0].value
        return expr

    def _pacing(self, call: cst.Call, ctx: FileContext) -> bool:
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in self.pacing_methods:
            return True
        if self.pacing_calls.match(call, ctx, ctx.point()) is not None:
            return True
        return "p" in self._callee_flags(call, ctx)

    def report_at(self, ctx: FileContext, node: cst.Await, statement, call: cst.Call, targets, fix=None) -> None:
        reported = ctx.scratch.setdefault(f"{self.rule.id}:reported", set())
        if node in reported:
            return  # an await in a comprehension inside a loop: reported once
        reported.add(node)
        ctx.report(self.rule, node, {"call": f"{call_name(call)}()", "loop_var": ", ".join(sorted(targets))},
                   statement=statement, fix=fix)

    # -- calls that gain nothing from running together ------------------------------------------
    def _exempt(self, call: cst.Call, ctx: FileContext, targets: frozenset[str], loop: LoopInfo | None) -> bool:
        func = call.func
        if isinstance(func, cst.Attribute) and self.exempt_methods.match(func.attr.value):
            return True
        if isinstance(func, cst.Name) and self.exempt_callbacks.match(func.value):
            return True
        head = root_name(func)
        if head is not None and head.value in targets:
            return True  # `for step in (down, up): await step()`: an ordered list of steps
        if self.exempt_calls.match(call, ctx, ctx.point()) is not None:
            return True
        if self._never_suspends(call, ctx) or self._local_files(call, ctx):
            return True
        flags = self._callee_flags(call, ctx)
        if any(f in flags for f in "lifq"):
            # the callee serialises on a shared lock, never suspends, only does local file I/O, or
            # only hands the work to a queue
            return True
        return self._recursive(call, ctx) or self._one_connection(call, ctx, targets, loop)

    @staticmethod
    def _recursive(call: cst.Call, ctx: FileContext) -> bool:
        """`await self.walk(child, seen)` inside `walk`: a recursive walk shares its state (what
        it has visited, what it collected) from one call to the next."""
        function = ctx.state.function
        if function is None:
            return False
        func = call.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value in ("self", "cls"):
            return func.attr.value == function.name.value
        return isinstance(func, cst.Name) and func.value == function.name.value

    def _callee_flags(self, call: cst.Call, ctx: FileContext) -> str:
        """What the project says the callee does (project/reach.py): "l", "p", "i"."""
        callees = getattr(ctx.context, "callees", None)
        if not callees:
            return ""
        func = call.func
        keys = []
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value in ("self", "cls"):
            cls = _class_of(ctx)
            keys.append(f"s:{cls}:{func.attr.value}" if cls else f"m:{func.attr.value}")
        else:
            name = dotted(func)
            if name is not None:
                keys.append(f"d:{name}")
            if isinstance(func, cst.Attribute):
                keys.append(f"m:{func.attr.value}")
            elif isinstance(func, cst.Name):  # `fn = getattr(store, "save")`, `await fn(x)`
                bound = ctx.index.local_values.get((ctx.state.frame.info, func.value))
                method = _getattr_name(bound) if isinstance(bound, cst.Call) else None
                if method is not None:
                    keys.append(f"m:{method}")
        for key in keys:
            if key in callees:
                return callees[key]
        return ""

    def _one_connection(self, call: cst.Call, ctx: FileContext, targets: frozenset[str],
                        loop: LoopInfo | None) -> bool:
        """Is one database connection or session, bound outside the loop, passed to the call or
        its receiver? Its operations run one at a time whatever the loop does."""
        names = [a.value for a in call.args if isinstance(a.value, cst.Name)]
        if isinstance(call.func, cst.Attribute):
            head = root_name(call.func.value)
            if head is not None and head.value not in ("self", "cls"):
                names.append(head)
        for name in names:
            value = name.value
            if value in targets or (loop is not None and loop.last_assigned(value) >= 0):
                continue  # made per item: each iteration has its own
            serial = self.serial_names.match(value)
            session = self.session_names.match(value)
            if not serial and not session:
                continue
            found = ctx.types.type_of(name, ctx.point())
            if found is not None:
                if found in self.serial_types:
                    return True
                continue  # a known type that is not one connection (an HTTP client pool)
            if serial or (ctx.imports.imports_any(self.session_modules) and
                          not ctx.imports.imports_any(self.http_modules)):
                return True
        return False

    def _local_files(self, call: cst.Call, ctx: FileContext) -> bool:
        """`await asyncio.to_thread(path.unlink)`: local file work handed to a thread."""
        if not call.args or self.threads.match(call, ctx, ctx.point()) is None:
            return False
        target = call.args[0].value
        return isinstance(target, cst.Attribute) and target.attr.value in self.file_methods

    def _never_suspends(self, call: cst.Call, ctx: FileContext, depth: int = 0) -> bool:
        """A same-file `async def` that awaits nothing, or only `passive-methods` (reads on one
        page, puts on a queue, logging) and same-file coroutines that never suspend either, gains
        nothing from concurrency."""
        target = _local_target(call, ctx)
        if target is None or target.asynchronous is None:
            return False
        cache = ctx.scratch.setdefault(f"{self.rule.id}:suspends", {})
        if target not in cache:
            cache[target] = True  # a recursive call suspends as the rest of the body does
            cache[target] = depth > 3 or any(not self._sequential_by_nature(a, ctx, depth)
                                             for a in _suspensions(target.body))
        return not cache[target]

    def _sequential_by_nature(self, node: cst.CSTNode, ctx: FileContext, depth: int) -> bool:
        if not isinstance(node, cst.Await):
            return False  # async for / async with
        value = node.expression
        if not isinstance(value, cst.Call):
            return False
        if isinstance(value.func, cst.Attribute) and self.passive_methods.match(value.func.attr.value):
            return True
        return self._never_suspends(value, ctx, depth + 1)

    # -- values carried from one iteration to the next ----------------------------------------
    def _carried_names(self, seq: int, loop: LoopInfo, ctx: FileContext) -> set[str]:
        """The names an await at `seq` reads that carry a value over from the previous iteration."""
        carried = set(loop.augmented)
        carried.update(name for s, name, _ in loop.assignments if s > seq)  # the next iteration reads it
        built = {name for name in loop.mutated if loop.last_assigned(name) < 0}  # built up across iterations
        carried |= built
        info = loop.frame.info
        for name in built:  # `seen = state["seen"]` before the loop, `seen.add(k)` in it: `state` too
            value = ctx.index.local_values.get((info, name))
            if isinstance(value, (cst.Subscript, cst.Attribute)):
                head = root_name(value)
                if head is not None and head.value not in ("self", "cls"):
                    carried.add(head.value)
        for s, name, value in sorted(loop.assignments, key=lambda e: e[0]):
            if s >= seq:
                break
            if {n.value for n in iter_names(value)} & carried:
                carried.add(name)  # computed from a carried value, earlier in the same iteration
        return carried - loop.targets

    def _folded(self, node: cst.For, await_node: cst.Await, call: cst.Call, seq: int, loop: LoopInfo) -> bool:
        """`r = await step(prev=acc)` and then `acc.add(r)`: each call sees the previous results."""
        args = {a.value.value for a in call.args if isinstance(a.value, cst.Name)}
        if not args:
            return False
        results = {name for s, name, value in loop.assignments if s > seq and _contains(value, await_node)}
        if not results:
            return False
        stack = list(child_nodes(node.body))
        while stack:
            n = stack.pop()
            if isinstance(n, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
                continue
            if isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute):
                head = root_name(n.func.value)
                if head is not None and head.value in args and \
                        any({x.value for x in iter_names(a.value)} & results for a in n.args):
                    return True
            stack.extend(child_nodes(n))
        return False

    def _derived_names(self, loop: LoopInfo) -> dict[int, frozenset[str]]:
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


class _Names:
    """Names and `fnmatch` globs (`enqueue*`)."""

    def __init__(self, patterns) -> None:
        self.exact = frozenset(p for p in patterns if "*" not in p and "?" not in p)
        self.globs = tuple(p for p in patterns if p not in self.exact)

    def match(self, name: str) -> bool:
        return name in self.exact or any(fnmatch.fnmatchcase(name, g) for g in self.globs)


def _local_target(call: cst.Call, ctx: FileContext) -> cst.FunctionDef | None:
    """The same-file def a call names: `f(...)`, `self.m(...)`, `cls.m(...)`."""
    func = call.func
    if isinstance(func, cst.Name):
        return ctx.index.find_function(func.value, None)
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value in ("self", "cls"):
        return ctx.index.unique_method(func.attr.value)
    return None


def _getattr_name(call: cst.Call) -> str | None:
    """`getattr(obj, "name")` / `getattr(obj, "name", None)`: the attribute's name."""
    if isinstance(call.func, cst.Name) and call.func.value == "getattr" and len(call.args) >= 2:
        return string_value(call.args[1].value)
    return None


def _class_of(ctx: FileContext) -> str | None:
    info = ctx.state.frame.info
    while info is not None:
        if info.class_name is not None:
            return info.class_name
        info = info.parent
    return None


def _contains(expr: cst.CSTNode, node: cst.CSTNode) -> bool:
    stack = [expr]
    while stack:
        n = stack.pop()
        if n is node:
            return True
        if not isinstance(n, (cst.Lambda, *_COMPREHENSIONS)):
            stack.extend(child_nodes(n))
    return False


def _own_awaits(expr: cst.CSTNode) -> list[cst.Await]:
    """The awaits of an expression, outside nested lambdas and comprehensions (judged alone)."""
    out = []
    stack = [expr]
    while stack:
        n = stack.pop()
        if isinstance(n, cst.Await):
            out.append(n)
        if isinstance(n, (cst.Lambda, *_COMPREHENSIONS)):
            continue
        stack.extend(child_nodes(n))
    return out


def _suspensions(body: cst.CSTNode) -> list[cst.CSTNode]:
    """Where a function body suspends: its awaits, `async for` and `async with`, outside nested defs."""
    out: list[cst.CSTNode] = []
    stack = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Await) or (isinstance(node, (cst.For, cst.With)) and node.asynchronous is not None):
            out.append(node)
        if isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            continue
        stack.extend(child_nodes(node))
    return out
