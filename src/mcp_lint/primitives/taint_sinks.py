"""`tainted-call`: tool input reaching an argument of a sink call, unless a sanitizer the
rule accepts was applied on the way. The finding carries the flow as its trace; a flow
through a same-file helper is credited to the calling tool and reported at the sink.
"""

from __future__ import annotations

import libcst as cst

from ..analysis.cst_utils import code
from ..analysis.state import Point
from ..analysis.taint import tool_origins
from ..context import FileContext
from ..schema import Key, List, Map, Str
from .base import Primitive
from .common import SINKS, CallPatterns, shown_call, sink_argument, trace


class TaintedCall(Primitive):
    NAME = "tainted-call"
    PARAMS = Map({
        "sinks": Key(SINKS, required=True),
        "sanitizers": Key(List(Str()), default=()),
    })
    PLACEHOLDERS = frozenset({"source", "sink", "argument"})

    def setup(self) -> None:
        self.sinks = [(CallPatterns(s["call"]), s) for s in self.params["sinks"]]
        self.accepted = frozenset(self.params["sanitizers"]) | {"all"}

    def enter(self):
        return {cst.Call: self.on_call}

    def on_call(self, node: cst.Call, ctx: FileContext) -> None:
        point = ctx.point()
        for patterns, spec in self.sinks:
            if patterns.match(node, ctx, point):
                arg = sink_argument(node, spec)
                if arg is not None:
                    statement = ctx.state.statement
                    ctx.defer(self.rule, lambda a=arg, s=statement: self.check(ctx, node, a, point, s))
                return

    def check(self, ctx: FileContext, sink: cst.Call, arg: cst.BaseExpression, point: Point,
              statement: cst.CSTNode | None) -> None:
        origins = tool_origins(ctx.flows.resolved(arg, point), self.accepted)
        if not origins:
            return
        origin = origins[0]
        name = shown_call(sink)
        ctx.report(self.rule, sink, {"source": origin.label, "sink": name, "argument": code(arg, 40)},
                   statement=statement, trace=trace(origin, sink, f"`{name}`"))
