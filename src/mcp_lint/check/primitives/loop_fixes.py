"""The MCP402 fix: one loop shape turned into `asyncio.gather`.

    for x in xs:                          out.extend(await asyncio.gather(*(f(x) for x in xs)))
        out.append(await f(x))

Only that shape: a plain `for` (no `else`, not `async for`) whose body is that one statement,
`out` a local list (`out = []` or `list(...)` in the same function) that neither the call nor
the iterable reads, and loop variables not used anywhere else in the function (the loop would
have left them bound). The loop holds no comment (it would be lost). The results keep their
order; what changes is that the calls run concurrently and that one failure leaves `out`
without any of the results, hence an unsafe fix.
"""

from __future__ import annotations

import libcst as cst

from mcp_lint.analysis.cst_utils import iter_names, target_names
from mcp_lint.analysis.fields import descendants
from mcp_lint.check.context import FileContext, NodeFix
from mcp_lint.check.fixkit import Fixer, fix_builder
from mcp_lint.model.findings import Applicability, Edit
from mcp_lint.model.rules import Rule


@fix_builder
def gather_fix(ctx: FileContext, rule: Rule, loop: cst.For) -> NodeFix | None:
    if rule.fix is None or loop.asynchronous is not None or loop.orelse is not None:
        return None
    body = loop.body
    if not isinstance(body, cst.IndentedBlock) or len(body.body) != 1:
        return None
    line = body.body[0]
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1 or not isinstance(line.body[0], cst.Expr):
        return None
    append = line.body[0].value
    if not (isinstance(append, cst.Call) and isinstance(append.func, cst.Attribute) and
            append.func.attr.value == "append" and isinstance(append.func.value, cst.Name) and
            len(append.args) == 1 and append.args[0].keyword is None and not append.args[0].star):
        return None
    awaited = append.args[0].value
    if not isinstance(awaited, cst.Await) or not isinstance(awaited.expression, cst.Call):
        return None
    call = awaited.expression
    out = append.func.value.value
    targets = {n.value for n in target_names(loop.target)}
    if not targets or out in targets:
        return None
    if out in {n.value for n in iter_names(call)} | {n.value for n in iter_names(loop.iter)}:
        return None
    function = ctx.state.function
    if function is None or function.asynchronous is None or not _local_list(ctx, function, out):
        return None
    if _used_elsewhere(function, loop, targets):
        return None
    fixer = Fixer(ctx)
    gather = fixer.attribute("asyncio", "gather")
    if gather is None:
        return None
    fixer.edits.append(_Gather(loop, call, out, gather))
    return fixer.fix(f"Run the calls concurrently with `{gather}`", Applicability(rule.fix.value))


def _local_list(ctx: FileContext, function: cst.FunctionDef, name: str) -> bool:
    info = ctx.index.function_of.get(function)
    value = ctx.index.local_values.get((info, name)) if info is not None else None
    if isinstance(value, cst.List):
        return True
    return isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value == "list"


def _used_elsewhere(function: cst.FunctionDef, loop: cst.For, names: set[str]) -> bool:
    inside = {id(n) for n in descendants(loop)}
    return any(isinstance(n, cst.Name) and n.value in names and id(n) not in inside
               for n in descendants(function.body))


class _Gather:
    def __init__(self, loop: cst.For, call: cst.Call, out: str, gather: str) -> None:
        self.loop, self.call, self.out, self.gather = loop, call, out, gather

    def nodes(self):
        return (self.loop, self.call, self.loop.target, self.loop.iter)

    def resolve(self, view):
        start, end = view.start(self.loop), view.end(self.loop)
        text = view.text[start:end]
        if "#" in text.replace(view.text[view.start(self.call):view.end(self.call)], ""):
            return None  # a comment in the loop would be lost
        if not view.only_space_before(start):
            return None
        iter_text = view.text[view.start(self.loop.iter):view.end(self.loop.iter)]
        if isinstance(self.loop.iter, cst.Tuple) and not self.loop.iter.lpar:
            iter_text = f"({iter_text})"
        target_text = view.text[view.start(self.loop.target):view.end(self.loop.target)]
        call_text = view.text[view.start(self.call):view.end(self.call)]
        new = f"{self.out}.extend(await {self.gather}(*({call_text} for {target_text} in {iter_text})))"
        # the loop's text ends where its body's last line does, line break included
        tail = len(text) - len(text.rstrip("\r\n"))
        return [Edit(view.lines.span(start, end - tail), new)]
