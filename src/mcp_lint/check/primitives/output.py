"""`stdout-write`: writing to stdout in a module that runs a stdio MCP server.

Stdout carries the JSON-RPC stream of a stdio server; a stray line corrupts it. Candidates
(`print` without a file or to sys.stdout, `sys.stdout.write`, logging configured to stdout,
`pprint`) are collected during the walk and decided at the end of the file, once the server
model knows whether the file starts a stdio server. Not reported: output on a CLI path that
exits before the server runs (the block ends in `sys.exit`/`raise`, or in `return` inside the
function that starts the server), and output after the server call in the same block (the
server has stopped by then).

Fix (safe): `print(...)` gets `file=sys.stderr` (`stream=` for pprint) through the module's
own import of `sys` (an alias included), adding `import sys` when the name is free; an explicit
`sys.stdout` becomes `sys.stderr`. No fix where `sys` is something else at the call.
"""

from __future__ import annotations

import libcst as cst

from mcp_lint.analysis.cst_utils import dotted, keyword
from mcp_lint.check.context import FileContext, NodeFix
from mcp_lint.check.fixkit import Fixer, fix_builder
from mcp_lint.model.findings import Applicability
from mcp_lint.model.schema import Key, List, Map, Str
from mcp_lint.check.primitives.base import Primitive

_STDOUT = frozenset({"sys.stdout", "sys.__stdout__"})


class StdoutWrite(Primitive):
    NAME = "stdout-write"
    PARAMS = Map({
        "print-functions": Key(List(Str()), default=("builtins.print", "pprint.pprint", "pprint.pp")),
        "stream-functions": Key(List(Str()), default=("logging.basicConfig", "logging.StreamHandler")),
    })
    PLACEHOLDERS = frozenset({"call", "transport"})
    FIXABLE = True

    def setup(self) -> None:
        self.prints = frozenset(self.params["print-functions"])
        self.streams = frozenset(self.params["stream-functions"])

    def enter(self):
        return {cst.Call: self.on_call}

    def on_call(self, node: cst.Call, ctx: FileContext) -> None:
        qual = ctx.resolve(node.func)
        target: cst.BaseExpression | None = None  # the sys.stdout expression, when explicit
        shown = ""
        if qual in self.prints:
            stream = keyword(node, "file") or keyword(node, "stream")
            if stream is not None:
                # `file=None` is the default: print() and pprint() write to sys.stdout
                if ctx.resolve(stream.value) not in _STDOUT and not _is_none(stream.value):
                    return
                target = stream.value
            shown = f"{dotted(node.func) or 'print'}()"
        elif isinstance(node.func, cst.Attribute) and node.func.attr.value in ("write", "writelines") and \
                ctx.resolve(node.func.value) in _STDOUT:
            target = node.func.value
            shown = f"{dotted(node.func)}()"
        elif qual in self.streams:
            stream = keyword(node, "stream") or (node.args[0] if node.args and node.args[0].keyword is None
                                                  and qual.endswith("StreamHandler") else None)
            if stream is None or ctx.resolve(stream.value) not in _STDOUT:
                return
            target = stream.value
            shown = f"{dotted(node.func)}(stream=sys.stdout)" if qual.endswith("basicConfig") else \
                f"{dotted(node.func)}(sys.stdout)"
        else:
            self._server_call(node, ctx)
            return
        function = ctx.state.function
        ctx.scratch.setdefault(self.rule.id, []).append(
            (node, target, shown, ctx.state.statement, list(ctx.state.ancestors), function))

    def _server_call(self, node: cst.Call, ctx: FileContext) -> None:
        """Remember every node that holds a call starting the server (its enclosing nodes
        during the walk), so `finish` asks "does this block start it?" in constant time."""
        key = self.rule.id + ":runs"
        runs = ctx.scratch.get(key)
        if runs is None:
            runs = ctx.scratch[key] = ({id(t.node) for t in ctx.model.transports}, set())
        if id(node) in runs[0]:
            runs[1].update(map(id, ctx.state.ancestors))

    def finish(self, ctx: FileContext) -> None:
        candidates = ctx.scratch.get(self.rule.id)
        if not candidates:
            return
        stdio = ctx.model.stdio
        if stdio is None:
            return
        runs = ctx.scratch.get(self.rule.id + ":runs")
        starting = runs[1] if runs is not None else set()  # ids of the nodes holding a server call
        blocks: dict[int, tuple] = {}  # per block: facts computed once, whatever the candidates
        for node, target, shown, statement, ancestors, function in candidates:
            if self._cli_exit(ctx, ancestors, function, starting, blocks):
                continue
            if self._after_server(statement, ancestors, starting, blocks):
                continue
            ctx.report(self.rule, node, {"call": shown, "transport": stdio.via}, statement=statement,
                       fix=self._fix(ctx, node, target, ancestors))

    # -- exemptions ---------------------------------------------------------------------------
    def _cli_exit(self, ctx, ancestors, function, starting: set[int], blocks: dict) -> bool:
        """The output is on a command-line path that ends the process (or leaves the function
        that starts the server) before the server runs: some enclosing block, up to the
        function, ends in `sys.exit`/`raise SystemExit` (or `return` in that function) and does
        not itself start the server. Output in a handler is never on such a path."""
        if function is not None and ctx.model.handler(function) is not None:
            return False
        starts_server = function is not None and id(function) in starting
        for i in range(len(ancestors) - 1, 0, -1):
            block = ancestors[i]
            if block is function:
                break
            if not isinstance(block, (cst.IndentedBlock, cst.SimpleStatementSuite)) or id(block) in starting:
                continue
            key = ("last", id(block))
            if key not in blocks:
                last = _last_statement(block)
                blocks[key] = (last is not None and _exits(last, ctx), isinstance(last, cst.Return))
            exits, returns = blocks[key]
            if exits or (returns and starts_server):
                return True
        return False

    def _after_server(self, statement, ancestors, starting: set[int], blocks: dict) -> bool:
        """The output follows the (blocking) server call in the same block."""
        block = _enclosing_block(statement, ancestors)
        if not isinstance(block, (cst.IndentedBlock, cst.Module)) or id(block) not in starting:
            return False
        key = ("order", id(block))
        if key not in blocks:
            positions = {id(stmt): i for i, stmt in enumerate(block.body)}
            first = next((i for i, stmt in enumerate(block.body) if id(stmt) in starting), len(block.body))
            blocks[key] = (positions, first)
        positions, first = blocks[key]
        at = positions.get(id(statement))
        return at is not None and at > first

    # -- fix ----------------------------------------------------------------------------------------
    @fix_builder
    def _fix(self, ctx: FileContext, node: cst.Call, target: cst.BaseExpression | None,
             ancestors) -> NodeFix | None:
        """Write to stderr: `sys.stdout` becomes `sys.stderr` (whatever the module is called
        here); a `print` without `file=` gets `file=sys.stderr` (`stream=` for pprint) as its
        last argument, through the module's own import of `sys` or a new one."""
        fixer = Fixer(ctx, ancestors)
        if target is not None:
            if isinstance(target, cst.Attribute) and target.attr.value in ("stdout", "__stdout__"):
                fixer.replace(target.attr, target.attr.value.replace("stdout", "stderr"))
            else:
                stderr = fixer.attribute("sys", "__stderr__" if ctx.resolve(target) == "sys.__stdout__" else "stderr")
                if stderr is None:
                    return None
                fixer.replace(target, stderr)
        else:
            if any(a.star == "**" for a in node.args):
                return None  # the keyword arguments may already name a stream
            stderr = fixer.attribute("sys", "stderr")
            if stderr is None:
                return None
            word = "stream" if (ctx.resolve(node.func) or "").startswith("pprint.") else "file"
            fixer.add_argument(node, f"{word}={stderr}")
        return fixer.fix("Write to sys.stderr instead of stdout", Applicability.SAFE)


_EXITS = frozenset({"sys.exit", "builtins.exit", "builtins.quit", "os._exit", "os.abort"})


def _exits(stmt: cst.CSTNode, ctx: FileContext) -> bool:
    """Ends the process: `sys.exit(...)`, `exit()`, `os._exit(...)`, `raise SystemExit`."""
    if isinstance(stmt, cst.Raise):
        exc = stmt.exc.func if isinstance(stmt.exc, cst.Call) else stmt.exc
        return exc is not None and ctx.resolve(exc) in ("builtins.SystemExit", "builtins.KeyboardInterrupt")
    return isinstance(stmt, cst.Expr) and isinstance(stmt.value, cst.Call) and ctx.resolve(stmt.value.func) in _EXITS


def _enclosing_block(statement, ancestors):
    """The suite (block) that directly holds `statement`."""
    if statement is None:
        return None
    for i in range(len(ancestors) - 1, 0, -1):
        if ancestors[i] is statement:
            parent = ancestors[i - 1]
            if isinstance(parent, (cst.IndentedBlock, cst.SimpleStatementSuite, cst.Module)):
                return parent
            return None
    return None


def _last_statement(block) -> cst.CSTNode | None:
    """The last statement of a suite (of its last line, for `a; b` lines)."""
    body = block.body
    if not body:
        return None
    last = body[-1]
    if isinstance(last, cst.SimpleStatementLine):
        return last.body[-1] if last.body else None
    return last


def _is_none(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "None"
