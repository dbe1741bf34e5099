"""`stdout-write`: writing to stdout in a module that runs a stdio MCP server.

Stdout carries the JSON-RPC stream of a stdio server; a stray line corrupts it. Candidates
(`print` without a file or to sys.stdout, `sys.stdout.write`, logging configured to stdout,
`pprint`) are collected during the walk and decided at the end of the file, once the server
model knows whether the file starts a stdio server. Only output on the server's path is
reported: `analysis/run_paths.py` decides, per call, whether it is in a branch that runs an
HTTP transport, in a branch or subcommand that never starts the server, after the server
stopped, on a command-line path that exits first, or in a function nothing on the path calls.

Fix (safe): `print(...)` gets `file=sys.stderr` (adding `import sys` if needed); an explicit
`sys.stdout` becomes `sys.stderr`.
"""

from __future__ import annotations

import libcst as cst

from mcp_lint.analysis.cst_utils import dotted, keyword
from mcp_lint.analysis.run_paths import RunPaths
from mcp_lint.check.context import FileContext, NodeEdit, NodeFix
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
            return
        function = ctx.state.function
        ctx.scratch.setdefault(self.rule.id, []).append(
            (node, target, shown, ctx.state.statement, list(ctx.state.ancestors), function))

    def finish(self, ctx: FileContext) -> None:
        candidates = ctx.scratch.get(self.rule.id)
        if not candidates:
            return
        stdio = ctx.model.stdio
        entries = ctx.model.stdio_entries  # reached from the handlers of a stdio server elsewhere
        if stdio is None and not entries:
            return
        paths = RunPaths(ctx.module, ctx.index, ctx.model, entries, serves=stdio is not None)
        via = stdio.via if stdio is not None else \
            f"its handlers call this code; it runs in {min(entries.values())}"
        for node, target, shown, statement, ancestors, function in candidates:
            if paths.why_not(node) is not None:
                continue
            ctx.report(self.rule, node, {"call": shown, "transport": via}, statement=statement,
                       fix=self._fix(ctx, node, target))

    # -- fix ----------------------------------------------------------------------------------------
    def _fix(self, ctx: FileContext, node: cst.Call, target: cst.BaseExpression | None) -> NodeFix:
        edits = []
        if target is not None:
            stderr = "sys.__stderr__" if ctx.resolve(target) == "sys.__stdout__" else "sys.stderr"
            edits.append(NodeEdit(target, stderr))
        else:
            args = list(node.args)
            if args and isinstance(args[-1].comma, cst.MaybeSentinel):
                args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
            args.append(cst.Arg(keyword=cst.Name("file"), value=cst.parse_expression("sys.stderr"),
                                equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                                      whitespace_after=cst.SimpleWhitespace(""))))
            edits.append(NodeEdit(node, ctx.module.code_for_node(node.with_changes(args=args))))
        if ctx.imports.aliases.get("sys") != "sys":
            anchor = _import_anchor(ctx.module)
            if anchor is not None:
                edits.append(NodeEdit(anchor, "import sys\n", mode="insert-before"))
        return NodeFix("Write to sys.stderr instead of stdout", tuple(edits))


def _is_none(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "None"


def _import_anchor(module: cst.Module) -> cst.CSTNode | None:
    """The first statement after the docstring and `from __future__` imports."""
    for i, stmt in enumerate(module.body):
        if i == 0 and isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and \
                isinstance(stmt.body[0], cst.Expr) and isinstance(stmt.body[0].value, (cst.SimpleString,
                                                                                       cst.ConcatenatedString)):
            continue
        if isinstance(stmt, cst.SimpleStatementLine) and any(
                isinstance(s, cst.ImportFrom) and dotted(s.module) == "__future__" for s in stmt.body
                if isinstance(s, cst.ImportFrom) and s.module is not None):
            continue
        return stmt
    return None
