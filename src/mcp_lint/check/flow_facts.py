"""What a file tells the project about flows that cross modules, as plain facts (kept in the
findings cache with the file's results), joined by project/flows.py:

- `summaries`: for each function or method other modules import, per parameter, whether its
  return value carries the parameter and which sanitizers it applies on the way
  (`returns`: a list of sanitizer kinds, "all" when it does not return the parameter at all), and
  which parameters it validates before returning normally (`validates`: raise/return guards);
- `calls`: calls into another module's functions whose arguments carry tool input (or a parameter
  of a function other modules import, for chains of modules), with the flow so far;
- `sinks`: sinks that a parameter of an imported function reaches (a finding for each caller
  that passes tool input);
- `conditions`: findings of this file that stand on values which went through calls into other
  modules (dropped when those modules sanitize them);
- `called`: every function of another module this file calls (whether its callers all pass
  safe values is decided over the whole project).
Spans are resolved here, while the tree is at hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import libcst as cst

from mcp_lint.analysis.positions import resolve_spans
from mcp_lint.analysis.taint import ALL, PARAM_ORIGIN, TOOL, Origin, _param_names
from mcp_lint.check.context import FileContext
from mcp_lint.model.codec import encode_span
from mcp_lint.model.findings import Span
from mcp_lint.source.lines import LineTable

KEY = "flows"  # the key of these facts in FileResult.facts (rule ids cannot take this form)
MAX_CALLS = 2000
MAX_SINKS = 2000


@dataclass
class Gathered:
    """A file's flow facts before their spans are known, and the nodes they need placed."""

    summaries: dict[str, Any]
    calls: list
    sinks: list
    called: set[str]
    nodes: set[cst.CSTNode]


def gather(ctx: FileContext) -> Gathered:
    summaries = _summaries(ctx)
    called: set[str] = set()
    calls = _calls(ctx, called)
    sinks = list(ctx.conditional_sinks[:MAX_SINKS])
    nodes: set[cst.CSTNode] = set()
    for call, _, _, origins in calls:
        nodes.add(call)
        for o in origins:
            nodes.add(o.node)
            nodes.update(step.node for step in o.steps)
    for sink in sinks:
        nodes.add(sink.node)
        if sink.statement is not None:
            nodes.add(sink.statement)
        nodes.update(step.node for step in sink.trace)
    return Gathered(summaries, calls, sinks, called, nodes)


def collect(ctx: FileContext, lines: LineTable, conditions: dict[str, list],
            gathered: Gathered | None = None, spans: dict[cst.CSTNode, Span] | None = None) -> dict[str, Any] | None:
    """The file's flow facts; `gathered` and `spans` when the caller placed its nodes already."""
    if gathered is None:
        gathered = gather(ctx)
    summaries, calls, sinks, called = gathered.summaries, gathered.calls, gathered.sinks, gathered.called
    if not (summaries or calls or sinks or conditions or called):
        return None
    if spans is None:
        spans = resolve_spans(ctx.module, gathered.nodes, lines) if gathered.nodes else {}

    def steps(items) -> list:
        return [[encode_span(spans[s.node]), s.text] for s in items if s.node in spans]

    out: dict[str, Any] = {}
    if summaries:
        out["summaries"] = summaries
    if calls:
        out["calls"] = [{
            "target": target, "where": where, "span": encode_span(spans[call]),
            "origins": [_origin(ctx, o, steps) for o in origins],
        } for call, target, where, origins in calls if call in spans]
    if sinks:
        out["sinks"] = [{
            "rule": s.rule.id, "function": _qualname(ctx, s.function), "param": s.param,
            "span": encode_span(spans[s.node]), "anchor": lines.source[spans[s.node].start_offset:
                                                                       spans[s.node].end_offset],
            "statement_line": spans[s.statement].start_line if s.statement in spans else spans[s.node].start_line,
            "fields": {k: str(v) for k, v in s.fields.items()}, "steps": steps(s.trace),
        } for s in sinks if s.node in spans]
    if conditions:
        out["conditions"] = conditions
    if called:
        out["called"] = sorted(called)
    return out


def _qualname(ctx: FileContext, fn: cst.CSTNode | None) -> str:
    info = ctx.index.function_of.get(fn) if fn is not None else None
    return info.qualname if info is not None else ""


def _origin(ctx: FileContext, o: Origin, steps) -> dict[str, Any]:
    return {"kind": "tool" if o.kind == TOOL else "param", "label": o.label, "sanitizers": sorted(o.sanitizers),
            "through": [list(t) for t in o.through], "function": _qualname(ctx, o.function), "param": o.param,
            "steps": steps((_Step(o.node, o.label),) + o.steps), "cut": o.cut}


class _Step:
    __slots__ = ("node", "text")

    def __init__(self, node: cst.CSTNode, text: str) -> None:
        self.node = node
        self.text = text


def _summaries(ctx: FileContext) -> dict[str, Any]:
    if not ctx.context or not ctx.context.exported:
        return {}
    out: dict[str, Any] = {}
    for info in ctx.index.functions:
        if info.qualname not in ctx.context.exported:
            continue
        fn = info.node
        params = _param_names(fn)
        if not params:  # nothing of the caller's can flow through it
            out[info.qualname] = {"params": [], "returns": {}, "validates": {}, "bound": info.class_name is not None}
            continue
        returned = ctx.flows.returns_of(fn)
        returns: dict[str, list[str]] = {}
        for name in params:
            carried = [o for o in returned if o.kind == PARAM_ORIGIN and o.function is fn and o.param == name]
            if not carried:
                returns[name] = [ALL]
            else:
                kinds = set.intersection(*(set(o.sanitizers) for o in carried))
                returns[name] = sorted(kinds)
        validates = {name: sorted(kinds) for name, kinds in ctx.flows._narrowed_params(fn).items() if name in params}
        out[info.qualname] = {"params": params, "returns": returns, "validates": validates,
                              "bound": info.class_name is not None}
    return out


def _calls(ctx: FileContext, called: set[str]) -> list:
    """(call, target, where, origins) for each argument of a call into another module that carries
    tool input or a parameter of an exported function."""
    out: list = []
    for frame in list(ctx.flows.frames.values()):
        for call, point in frame.project_calls:
            target = ctx.flows.project_target(call, point)
            if target is None:
                continue
            called.add(target)
            position = 0
            for arg in call.args:
                if arg.star:
                    continue
                where: int | str = arg.keyword.value if arg.keyword is not None else position
                if arg.keyword is None:
                    position += 1
                origins = [o for o in ctx.flows.resolved(arg.value, point)
                           if o.kind == TOOL or (o.kind == PARAM_ORIGIN and ctx.exported(o.function))]
                if origins:
                    out.append((call, target, where, origins))
                if len(out) >= MAX_CALLS:
                    return out
    return out
