"""`formatted-string-sink`: text built by formatting, interpolating a value that is not
known-safe, reaching a sink that interprets it (SQL for MCP101).

The primitive starts at the sink and walks back to the expression that built the text:
the sink's own argument (one statement), or the assignments that reach it (the two-statement
form, `+=` accumulation, aliases). Each interpolated part is checked with the flow analysis;
known-safe parts (literals, constants, casts, allow-listed values, placeholder lists) pass.
For a receiver whose type is unknown, the text must also start with one of the configured
keywords, so `logger.execute(f"...")` on some unrelated object is not taken for SQL. Fix (with
`fix:` in the rule): a parameterized query in the driver's paramstyle (`sql_fixes.py`).
"""

from __future__ import annotations

import re

import libcst as cst

from mcp_lint.analysis.cst_utils import code, leading_text, string_value
from mcp_lint.analysis.fields import descendants
from mcp_lint.analysis.state import ASSIGN, AUG, PARAM, Point
from mcp_lint.analysis.taint import PARAM_ORIGIN, TOOL, Step, describe, unsafe_origins
from mcp_lint.check.context import FileContext
from mcp_lint.model.findings import Confidence
from mcp_lint.model.schema import Key, List, Map, Str
from mcp_lint.check.primitives.base import Primitive
from mcp_lint.check.primitives.common import (SANITIZER_KINDS, SINK_KINDS, SINKS, CallPatterns, PatternTable,
                                              helper_returns, shown_call, sink_argument, sinks_or_kinds, trace)
from mcp_lint.check.primitives.sql_fixes import sql_fix

_WRAPPERS = frozenset({"strip", "lstrip", "rstrip", "lower", "upper", "replace", "format_map", "encode"})
_GATE_WORDS = re.compile(r"valid|check|safe|allow|permit|guard|read_?only", re.IGNORECASE)
_COMMENT = re.compile(r"^(\s+|--[^\n]*\n?|/\*.*?\*/|\()+", re.DOTALL)


class FormattedStringSink(Primitive):
    NAME = "formatted-string-sink"
    FIXABLE = True
    PARAMS = Map({
        "sinks": Key(SINKS, default=()),
        "sink-kinds": Key(List(Str(choices=SINK_KINDS), min_items=1), default=()),
        "unknown-receiver-methods": Key(List(Str()), default=()),
        "leading-keywords": Key(List(Str()), default=()),
        "sanitizers": Key(List(Str(choices=SANITIZER_KINDS)), default=()),
        # Which origins make a part unsafe: tool input, and parameters (data a caller chose).
        # "opaque" adds everything else that is not known-safe (config, globals, query results).
        "report-origins": Key(List(Str(choices=("tool", "param", "opaque")), min_items=1),
                              default=("tool", "param")),
    }, check=sinks_or_kinds)
    PLACEHOLDERS = frozenset({"source", "sink", "how", "value"})

    def setup(self) -> None:
        specs = list(self.params["sinks"]) + list(self.knowledge.sinks_of(self.params["sink-kinds"]))
        self.sinks = PatternTable([(CallPatterns(s["call"]), s) for s in specs])
        self.methods = frozenset(self.params["unknown-receiver-methods"])
        self.keywords = frozenset(k.upper() for k in self.params["leading-keywords"])
        self.accepted = frozenset(self.params["sanitizers"]) | {"all"}
        self.origins = frozenset(self.params["report-origins"])

    def enter(self):
        return {cst.Call: self.on_call}

    def on_call(self, node: cst.Call, ctx: FileContext) -> None:
        point = ctx.point()
        arg = None
        needs_keyword = False
        for patterns, spec in self.sinks.candidates(node, ctx, point):
            if patterns.match(node, ctx, point):
                arg = sink_argument(node, spec)
                break
        else:
            func = node.func
            if not (isinstance(func, cst.Attribute) and func.attr.value in self.methods):
                return
            if ctx.types.call_target(node, point) is not None:
                return  # a known type that is not a listed sink
            arg = sink_argument(node, {"argument": 0, "keyword": None})
            needs_keyword = True
        if arg is None or string_value(arg) is not None:
            return
        if isinstance(_unwrap(arg), cst.Name):  # a candidate for SQL the caller writes whole
            ctx.scratch.setdefault(self.rule.id + ":whole", []).append((arg, point))
        statement = ctx.state.statement
        ctx.defer(self.rule, lambda: self.check(ctx, node, arg, point, statement, needs_keyword))

    # -- after the walk ----------------------------------------------------------------------
    def check(self, ctx: FileContext, sink: cst.Call, arg: cst.BaseExpression, point: Point,
              statement: cst.CSTNode | None, needs_keyword: bool) -> None:
        if needs_keyword and not self.looks_like_sql(ctx, arg, point, 0):
            return
        reported = ctx.scratch.setdefault(self.rule.id, set())
        for build, build_point, build_stmt, direct in self.builds(ctx, arg, point):
            unsafe = []
            for part in _parts(build):
                flow = ctx.flows.resolved(part, build_point)
                bad = [o for o in unsafe_origins(flow, self.accepted) if o.kind in self.origins]
                if bad:
                    unsafe.append((part, bad))
            if not unsafe:
                continue
            location = sink if direct else build
            if id(location) in reported:
                continue
            reported.add(id(location))
            part, origins = next(((p, o) for p, o in unsafe if any(x.kind == TOOL for x in o)), unsafe[0])
            tool = next((o for o in origins if o.kind == TOOL), None)
            sink_name = shown_call(sink)
            fields = {
                "source": tool.label if tool else f"`{code(part, 40)}`",
                "sink": sink_name,
                "how": describe(build.value if isinstance(build, cst.AugAssign) else build),
                "value": code(part, 40),
            }
            steps = ()
            if tool is not None:
                steps = trace(tool, sink, f"`{sink_name}`")
                if not direct:  # show where the SQL was built, just before the sink
                    steps = steps[:-1] + (Step(build, f"SQL built with {fields['how']}"),) + steps[-1:]
            if tool is not None and self.runs_callers_sql(ctx):
                continue  # the module already runs SQL the model writes: formatting grants nothing more
            if tool is None:  # parameters of functions other modules call: a finding per unsafe caller too
                for o in origins:
                    if o.kind == PARAM_ORIGIN and ctx.exported(o.function):
                        ctx.conditional_sink(self.rule, location, fields, o,
                                             statement=statement if direct else build_stmt,
                                             trace=trace(o, sink, f"`{sink_name}`"))
            ctx.report(self.rule, location, fields, statement=statement if direct else build_stmt, trace=steps,
                       confidence=Confidence.LOW if tool is None or tool.cut or needs_keyword else None,
                       origins=[o for _, bad in unsafe for o in bad],
                       fix=sql_fix(ctx, self.rule, sink, arg, build, direct, point) if self.rule.fix else None)

    def runs_callers_sql(self, ctx: FileContext) -> bool:
        """Does a tool of this module pass a parameter whole, unchecked, as the SQL of a sink?
        Then the server already lets the model run any statement on its database, and a name
        formatted into another statement of the module adds no capability. A parameter that a
        condition of the tool (or of the function with the sink) tests, a `startswith("SELECT")`
        gate or a validator's verdict, is not whole: the gate is what an injection elsewhere
        would bypass, so the module's findings stay."""
        key = self.rule.id + ":runs-callers-sql"
        if key not in ctx.scratch:
            ctx.scratch[key] = any(self._whole_sql(ctx, arg, point)
                                   for arg, point in ctx.scratch.get(self.rule.id + ":whole", ()))
        return ctx.scratch[key]

    def _whole_sql(self, ctx: FileContext, arg: cst.BaseExpression, point: Point) -> bool:
        name = _unwrap(arg)
        assert isinstance(name, cst.Name)
        if not _parameter_itself(ctx, name, point, 0):
            return False
        flow = ctx.flows.resolved(arg, point)
        for origin in unsafe_origins(flow, self.accepted):
            if origin.kind != TOOL or origin.cut or not origin.param:
                continue
            checked = {origin.param, name.value}
            if not any(_tests(fn, checked) for fn in (origin.function, point.frame.node) if fn is not None):
                return True
        return False

    def builds(self, ctx: FileContext, arg: cst.BaseExpression, point: Point):
        """The formatting expressions whose result reaches `arg`: the argument itself, the
        values of the assignments that reach it (through aliases, `+=` steps and same-file
        helpers' returns, however many). A definition or return that an earlier sink of the
        file already followed is not followed again: what it leads to was judged then."""
        followed = ctx.scratch.setdefault(self.rule.id + ":followed", set())
        out = []
        work: list[tuple[cst.BaseExpression, Point, bool]] = [(arg, point, True)]
        while work:
            expr, at, direct = work.pop()
            expr = _unwrap(expr)
            if _is_formatting(expr, ctx, at):
                out.append((expr, at, None, direct))
            elif isinstance(expr, cst.Call):  # `execute(build_sql(x))`: the SQL a same-file helper returns
                for value, returned_at in helper_returns(ctx, expr, at):
                    if id(value) not in followed:
                        followed.add(id(value))
                        work.append((value, returned_at, False))
            elif isinstance(expr, cst.Name):
                for b in ctx.flows.reaching(expr.value, at):
                    if id(b) in followed:
                        continue
                    followed.add(id(b))
                    if b.kind == ASSIGN and isinstance(b.node, cst.BaseExpression) and not b.index:
                        value = _unwrap(b.node)
                        if _is_formatting(value, ctx, b.point):
                            out.append((value, b.point, b.statement, False))
                        elif isinstance(value, cst.Name):
                            work.append((value, b.point, False))
                    elif b.kind == AUG and isinstance(b.node, cst.AugAssign):
                        value = _unwrap(b.node.value)
                        if not (isinstance(value, cst.SimpleString) or string_value(value) is not None):
                            out.append((b.node, b.point, b.statement, False))
                        work.append((cst.Name(b.name), b.point, False))
        return out

    def looks_like_sql(self, ctx: FileContext, arg: cst.BaseExpression, point: Point, depth: int) -> bool:
        if not self.keywords or depth > 6:
            return not self.keywords
        arg = _unwrap(arg)
        if isinstance(arg, cst.Name):
            for b in ctx.flows.reaching(arg.value, point):
                if b.kind == ASSIGN and isinstance(b.node, cst.BaseExpression):
                    if self.looks_like_sql(ctx, b.node, b.point, depth + 1):
                        return True
                elif b.kind == AUG:
                    if self.looks_like_sql(ctx, cst.Name(b.name), b.point, depth + 1):
                        return True
            return False
        if isinstance(arg, cst.BinaryOperation) and isinstance(arg.left, cst.Name):
            return self.looks_like_sql(ctx, arg.left, point, depth + 1)
        if isinstance(arg, cst.Call) and not leading_text(arg):
            return any(self.looks_like_sql(ctx, value, at, depth + 1) for value, at in helper_returns(ctx, arg, point))
        text = _COMMENT.sub("", leading_text(arg))
        word = re.match(r"[A-Za-z]+", text)
        return bool(word) and word.group(0).upper() in self.keywords


def _parameter_itself(ctx: FileContext, name: cst.Name, point: Point, depth: int) -> bool:
    """Is `name` a parameter of its function, as passed (through plain aliases)?"""
    bindings = ctx.flows.reaching(name.value, point)
    if not bindings or depth > 6:
        return False
    for b in bindings:
        if b.kind == PARAM:
            continue
        value = _unwrap(b.node) if b.kind == ASSIGN and isinstance(b.node, cst.BaseExpression) and not b.index \
            else None
        if not (isinstance(value, cst.Name) and _parameter_itself(ctx, value, b.point, depth + 1)):
            return False
    return True


def _tests(function: cst.CSTNode, names: set[str]) -> bool:
    """Does a condition in `function` (if, while, assert, a conditional expression) read one of `names`?"""
    for node in descendants(function):
        test = node.test if isinstance(node, (cst.If, cst.While, cst.Assert, cst.IfExp)) else None
        if test is None and isinstance(node, cst.Call) and _GATE_WORDS.search(code(node.func, 80)):
            test = node  # `validate_query(sql)`, `self._check_read_only(sql)`: a gate that raises or answers
        if test is not None and any(isinstance(n, cst.Name) and n.value in names for n in descendants(test)):
            return True
    return False




def _unwrap(expr: cst.BaseExpression) -> cst.BaseExpression:
    """`f"...".strip()` and `textwrap.dedent(f"...")` are still the f-string."""
    while True:
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and \
                expr.func.attr.value in _WRAPPERS:
            expr = expr.func.value
        elif isinstance(expr, cst.Call) and isinstance(expr.func, (cst.Name, cst.Attribute)) and \
                (expr.func.attr.value if isinstance(expr.func, cst.Attribute) else expr.func.value) in (
                    "dedent", "cleandoc") and expr.args:
            expr = expr.args[0].value
        else:
            return expr


def _is_stringy(expr: cst.BaseExpression, ctx: FileContext, point: Point, depth: int = 0) -> bool:
    if isinstance(expr, (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString)):
        return True
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, (cst.Add, cst.Modulo)):
        return _is_stringy(expr.left, ctx, point, depth + 1) or _is_stringy(expr.right, ctx, point, depth + 1)
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value in (
            "format", "join"):
        return True
    if isinstance(expr, cst.Name) and depth < 3:
        for b in ctx.flows.reaching(expr.value, point):
            if b.kind in (ASSIGN, AUG) and isinstance(b.node, cst.BaseExpression) and not b.index:
                value = b.node.value if isinstance(b.node, cst.AugAssign) else b.node
                if _is_stringy(value, ctx, b.point, depth + 1):
                    return True
        values = ctx.index.module_bindings.get(expr.value) or []
        return any(v is not None and _is_stringy(v, ctx, point, depth + 1) for v in values)
    return False


def _is_formatting(expr: cst.BaseExpression, ctx: FileContext, point: Point) -> bool:
    if isinstance(expr, cst.FormattedString):
        return any(isinstance(p, cst.FormattedStringExpression) for p in expr.parts)
    if isinstance(expr, cst.ConcatenatedString):
        return _is_formatting(expr.left, ctx, point) or _is_formatting(expr.right, ctx, point)
    if isinstance(expr, cst.BinaryOperation):
        if isinstance(expr.operator, cst.Modulo):
            return _is_stringy(expr.left, ctx, point)
        if isinstance(expr.operator, cst.Add):
            return _is_stringy(expr, ctx, point) and not (string_value(expr.left) is not None and
                                                         string_value(expr.right) is not None)
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute):
        attr = expr.func.attr.value
        if attr == "format":
            return string_value(expr.func.value) is not None or _is_stringy(expr.func.value, ctx, point)
        if attr == "join":
            return string_value(expr.func.value) is not None
    return False


def _parts(build: cst.CSTNode) -> list[cst.BaseExpression]:
    """The interpolated (non-literal) pieces of a formatting expression."""
    if isinstance(build, cst.AugAssign):
        value = _unwrap(build.value)
        return _parts(value) if isinstance(value, (cst.FormattedString, cst.BinaryOperation, cst.Call,
                                                   cst.ConcatenatedString)) else [value]
    if isinstance(build, cst.FormattedString):
        return [p.expression for p in build.parts if isinstance(p, cst.FormattedStringExpression)]
    if isinstance(build, cst.ConcatenatedString):
        return _parts(build.left) + _parts(build.right)
    if isinstance(build, cst.BinaryOperation):
        if isinstance(build.operator, cst.Modulo):
            return [build.right] + ([] if string_value(build.left) is not None else _parts_or_self(build.left))
        return _parts_or_self(build.left) + _parts_or_self(build.right)
    if isinstance(build, cst.Call) and isinstance(build.func, cst.Attribute):
        out = [a.value for a in build.args]
        if string_value(build.func.value) is None:
            out.append(build.func.value)
        return out
    return [build]  # type: ignore[list-item]


def _parts_or_self(expr: cst.BaseExpression) -> list[cst.BaseExpression]:
    if string_value(expr) is not None:
        return []
    if isinstance(expr, (cst.FormattedString, cst.ConcatenatedString)) or (
            isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, (cst.Add, cst.Modulo))):
        return _parts(expr)
    return [expr]
