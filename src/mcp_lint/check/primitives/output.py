"""`stdout-write`: writing to stdout in a module that runs a stdio MCP server.

Stdout carries the JSON-RPC stream of a stdio server; a stray line corrupts it. Candidates
(`print` without a file or to sys.stdout, `sys.stdout.write`, logging configured to stdout,
`pprint`) are collected during the walk and decided at the end of the file, once the server
model knows whether the file starts a stdio server. Only output on the server's path is
reported: `analysis/run_paths.py` decides, per call, whether it is in a branch that runs an
HTTP transport, in a branch or subcommand that never starts the server, after the server
stopped, on a command-line path that exits first, or in a function nothing on the path calls.

Fix (safe): `print(...)` gets `file=sys.stderr` (`stream=` for pprint) through the module's
own import of `sys` (an alias included), adding `import sys` when the name is free; an explicit
`sys.stdout` becomes `sys.stderr`. No fix where `sys` is something else at the call.
"""

from __future__ import annotations

import libcst as cst

from mcp_lint.analysis.cst_utils import dotted, keyword
from mcp_lint.analysis.run_paths import RunPaths
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
                       fix=self._fix(ctx, node, target, ancestors))

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


def _is_none(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "None"
