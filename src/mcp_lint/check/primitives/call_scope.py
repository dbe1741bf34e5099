"""Where a call sits, for `call-check` options that tell a real hang from a call meant to wait:

- `role_skipped`: the module's role in the project (project/index.py `ModuleContext.role`: a test,
  a script, a module off the server path) is one the rule does not report in;
- `interrupt_handled`: the call is inside a `try` of the same function that catches
  `KeyboardInterrupt`: it waits until the user stops it, on purpose;
- `reaped`: `proc.communicate()`/`proc.wait()` after `proc.kill()` earlier in the same block only
  collects a process that was just killed;
- `launches`: the call starts one of the listed programs (`streamlit`, `uvicorn`) in the foreground
  (argv as a list literal, or a name bound to one in the function), its output not captured: a
  server or UI the user runs until they stop it;
- `finite_command`: the call runs a local command known to finish promptly (`git add`, `sysctl`,
  `open -g`), by the first words of its argv.
"""

from __future__ import annotations

import libcst as cst

from mcp_lint.analysis.cst_utils import argument, dotted, keyword, string_value
from mcp_lint.check.context import FileContext


def role_skipped(ctx: FileContext, roles: frozenset[str]) -> bool:
    return bool(roles) and ctx.context is not None and getattr(ctx.context, "role", "") in roles


def interrupt_handled(ctx: FileContext) -> bool:
    state = ctx.state
    frame_node = state.frame.node
    for try_node, part in reversed(state.trys):
        if not within(state.ancestors, try_node, frame_node):
            break
        if part != "body":
            continue
        for handler in try_node.handlers:
            if handler.type is not None and "KeyboardInterrupt" in _names(handler.type):
                return True
    return False


def reaped(call: cst.Call, ctx: FileContext, methods: frozenset[str]) -> bool:
    func = call.func
    if not methods or not isinstance(func, cst.Attribute):
        return False
    receiver = dotted(func.value)
    if receiver is None:
        return False
    state = ctx.state
    statement = state.statement
    block = None
    for i in range(len(state.ancestors) - 1, 0, -1):
        if state.ancestors[i] is statement:
            block = state.ancestors[i - 1]
            break
    body = getattr(block, "body", None)
    if not isinstance(body, (list, tuple)):
        return False
    ranks, first = _reaps(block, body, methods, ctx)
    rank = ranks.get(id(statement))
    reaped_at = first.get(receiver)
    return rank is not None and reaped_at is not None and reaped_at < rank


def _reaps(block: cst.CSTNode, body, methods: frozenset[str], ctx: FileContext) -> tuple[dict[int, int], dict[str, int]]:
    """For one block, built once: each statement's rank, and for each receiver the rank of the
    first statement that calls one of `methods` on it (`proc.kill()`, `await proc.terminate()`)."""
    known = ctx.scratch.setdefault("reaps", {})
    key = (id(block), methods)
    found = known.get(key)
    if found is None:
        ranks: dict[int, int] = {}
        first: dict[str, int] = {}
        for rank, stmt in enumerate(body):
            ranks[id(stmt)] = rank
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    value = small.value if isinstance(small, cst.Expr) else None
                    if isinstance(value, cst.Await):
                        value = value.expression
                    if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and \
                            value.func.attr.value in methods:
                        name = dotted(value.func.value)
                        if name is not None:
                            first.setdefault(name, rank)
        found = known[key] = (ranks, first)
    return found


_CAPTURE = ("stdout", "stderr", "capture_output")


def launches(call: cst.Call, ctx: FileContext, programs: frozenset[str]) -> bool:
    if not programs or any(keyword(call, k) is not None for k in _CAPTURE):
        return False
    argv = argument(call, 0, "args")
    if isinstance(argv, cst.Name):  # `cmd = [...]` earlier in the function
        argv = ctx.index.local_values.get((ctx.state.frame.info, argv.value))
    if not isinstance(argv, (cst.List, cst.Tuple)):
        return False
    words = {string_value(el.value) for el in argv.elements if isinstance(el, cst.Element)}
    return bool(words & programs)


def finite_command(call: cst.Call, ctx: FileContext, patterns: tuple[tuple[str, ...], ...]) -> bool:
    """The call runs a local command known to finish (`["git", "add", "."]`, `["sysctl", "-n",
    key]`): argv is a list literal (or a name bound to one in the function) whose first words are
    one of `patterns` (`*` matches any word; git's `-C <dir>` is skipped)."""
    if not patterns:
        return False
    argv = argument(call, 0, "args")
    if isinstance(argv, cst.Name):
        argv = ctx.index.local_values.get((ctx.state.frame.info, argv.value))
    if not isinstance(argv, (cst.List, cst.Tuple)) or not argv.elements:
        return False
    words = [string_value(el.value) if isinstance(el, cst.Element) else None for el in argv.elements]
    if words[0] == "git" and len(words) > 2 and words[1] == "-C":
        words = [words[0], *words[3:]]
    for pattern in patterns:
        if len(words) >= len(pattern) and all(p == "*" or p == w for p, w in zip(pattern, words)):
            return True
    return False


def _names(expr: cst.BaseExpression) -> set[str]:
    if isinstance(expr, cst.Tuple):
        return {n for el in expr.elements for n in _names(el.value)}
    name = dotted(expr)
    return {name.rsplit(".", 1)[-1]} if name else set()


def within(ancestors: list[cst.CSTNode], node: cst.CSTNode, frame_node: cst.CSTNode) -> bool:
    """Is `node` among the ancestors, inside the enclosing frame's node?"""
    for anc in reversed(ancestors):
        if anc is node:
            return True
        if anc is frame_node:
            return False
    return False
