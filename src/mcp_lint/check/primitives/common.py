"""Pieces several primitives share: call patterns from YAML, traces, message names."""

from __future__ import annotations

import fnmatch
import re
from typing import Any

import libcst as cst

from mcp_lint.analysis.cst_utils import call_name, dotted
from mcp_lint.analysis.state import ASSIGN, Point
from mcp_lint.analysis.taint import Origin, Step
from mcp_lint.check.context import FileContext
from mcp_lint.model.knowledge import SANITIZER_KINDS as KNOWN_SANITIZER_KINDS, SINK_KINDS as KNOWN_SINK_KINDS
from mcp_lint.model.schema import Int, Key, List, Map, Str, Where

# A call pattern, as written in packs:
#   requests.get              a qualified name (through the file's imports)
#   sqlite3.Cursor.execute    a method on a receiver of a known type (see library_types)
#   requests.*                any function of a module (fnmatch)
#   *.objects.raw             any call whose dotted callee ends this way
#   *.git.*                   any call whose dotted callee matches (`repo.git.checkout`)
#   .read_text                that method on any receiver (`Path(p).read_text()`)
PATTERNS = List(Str(pattern=r"[\w.*]+"), min_items=1, single_ok=True)

SINK = Map({
    "call": Key(PATTERNS, required=True),
    "argument": Key(Int(minimum=0)),
    "keyword": Key(Str()),
})
SINKS = List(SINK, min_items=1)

# The sanitizer kinds the flow analysis records and a rule's `sanitizers:` may accept, and the
# sink kinds a rule may take its sinks from (`sink-kinds:`): the knowledge model's vocabulary.
SANITIZER_KINDS = tuple(KNOWN_SANITIZER_KINDS)
SINK_KINDS = tuple(KNOWN_SINK_KINDS)


def sinks_or_kinds(params: dict, where: Where) -> None:
    """A sink rule needs its own `sinks:` or `sink-kinds:` naming those the knowledge lists."""
    if not params.get("sinks") and not params.get("sink-kinds"):
        raise where.error("missing required key 'sinks' (or 'sink-kinds': sinks of those kinds from the "
                          "knowledge files)")


class CallPatterns:
    def __init__(self, patterns: tuple[str, ...] | list[str]) -> None:
        self.exact: set[str] = set()
        self.tails: list[str] = []
        self.globs: list[re.Pattern[str]] = []
        self.methods: set[str] = set()
        self.dotted_globs: list[re.Pattern[str]] = []  # `*.git.*`: matched against the dotted callee
        # The last name of every pattern: a call whose own last name is not among them cannot
        # match, which rejects almost every call without resolving anything.
        self.last_names: set[str] | None = set()
        for p in patterns:
            last = p.rsplit(".", 1)[-1]
            if "*" in last:
                self.last_names = None
            elif self.last_names is not None:
                self.last_names.add(last)
            if p.startswith("."):
                self.methods.add(p[1:])
            elif p.startswith("*.") and "*" in p[1:]:
                self.dotted_globs.append(re.compile(fnmatch.translate(p)))
            elif p.startswith("*."):
                self.tails.append(p[1:])
            elif "*" in p:
                self.globs.append(re.compile(fnmatch.translate(p)))
            else:
                self.exact.add(p)

    def match(self, call: cst.Call, ctx: FileContext, point: Point) -> str | None:
        """The pattern-level name of the call if it matches (e.g. `requests.get`)."""
        func = call.func
        tf = type(func)
        if tf is cst.Attribute:
            last = func.attr.value
        elif tf is cst.Name:
            last = func.value
        else:  # `getattr(os, "system")(...)`, `__import__("os").system(...)`: what the imports make of it
            qual = ctx.resolve(func) if tf is cst.Call else None
            last = qual.rsplit(".", 1)[-1] if qual is not None else None
        if self.last_names is not None:
            if last is None or last not in self.last_names and not self._alias_possible(last, ctx) and not (
                    tf is cst.Name and _assigned(call, last, ctx, point)):
                return None
        if self.methods and last in self.methods and (tf is cst.Attribute or tf is cst.Call):
            return last
        target = ctx.types.call_target(call, point)
        if target is not None:
            if target in self.exact:
                return target
            for g in self.globs:
                if g.match(target):
                    return target
        if self.tails or self.dotted_globs:
            name = dotted(call.func)
            if name is not None:
                for tail in self.tails:
                    if name.endswith(tail) and name != tail[1:]:
                        return name
                for g in self.dotted_globs:
                    if g.match(name):
                        return name
        return None


    def _alias_possible(self, last: str, ctx: FileContext) -> bool:
        """`from requests import get as fetch`: the local name differs from the pattern's."""
        qual = ctx.imports.aliases.get(last)
        return qual is not None and qual.rsplit(".", 1)[-1] in self.last_names  # type: ignore[operator]


class PatternTable:
    """Many (CallPatterns, payload) entries, matched against a call in their order. Entries are
    indexed by the last names of their patterns, so a call is tried only against the entries
    that could match it: the same answers as trying every entry, without the per-entry cost."""

    def __init__(self, entries: list[tuple[CallPatterns, Any]]) -> None:
        self.entries = entries
        anywhere = [i for i, (patterns, _) in enumerate(entries) if patterns.last_names is None]
        positions: dict[str, list[int]] = {}
        for i, (patterns, _) in enumerate(entries):
            for last in patterns.last_names or ():
                positions.setdefault(last, []).append(i)
        self._positions = {last: sorted(set(found) | set(anywhere)) for last, found in positions.items()}
        self._anywhere = [entries[i] for i in anywhere]  # a wildcard last name: tried on every call
        self._by_last = {last: [entries[i] for i in found] for last, found in self._positions.items()}
        self._merged: dict[tuple[str, str], list] = {}

    def __iter__(self):
        return iter(self.entries)

    def __bool__(self) -> bool:
        return bool(self.entries)

    def matches(self, call: cst.Call, ctx: FileContext, point: Point) -> list[tuple[str, Any]]:
        """(matched name, payload) of every entry that matches `call`, in the entries' order."""
        return [(name, payload) for patterns, payload in self.candidates(call, ctx, point)
                if (name := patterns.match(call, ctx, point)) is not None]

    def candidates(self, call: cst.Call, ctx: FileContext, point: Point) -> list[tuple[CallPatterns, Any]]:
        func = call.func
        tf = type(func)
        if tf is cst.Attribute:
            last = func.attr.value  # type: ignore[union-attr]
        elif tf is cst.Name:
            last = func.value  # type: ignore[union-attr]
        else:
            return self.entries  # a computed callee: each entry decides (CallPatterns.match)
        picked = self._by_last.get(last, self._anywhere)
        if tf is cst.Name and len(picked) < len(self.entries) and _assigned(call, last, ctx, point):
            return self.entries  # a variable (`run = subprocess.run`): the type oracle decides per entry
        alias = ctx.imports.aliases.get(last)
        if alias is not None:  # `from requests import get as fetch`: the entries of `get` too
            other = alias.rsplit(".", 1)[-1]
            if other != last and other in self._by_last:
                key = (last, other)
                merged = self._merged.get(key)
                if merged is None:
                    found = set(self._positions.get(last, ())) | set(self._positions[other])
                    merged = self._merged[key] = [self.entries[i] for i in sorted(found)]
                return merged
        return picked


def _assigned(call: cst.Call, name: str, ctx: FileContext, point: Point) -> bool:
    """Is the callee `name` a variable (`run = subprocess.run`), whose value the type oracle
    may name? (Asked once per call, whichever patterns ask.)"""
    known = ctx.scratch.setdefault("callee-is-variable", {})
    answer = known.get(id(call))
    if answer is None:
        bindings = ctx.flows.reaching(name, point)
        if bindings:
            answer = any(b.kind == ASSIGN for b in bindings)
        else:
            answer = any(v is not None for v in ctx.index.module_bindings.get(name, ()))
        known[id(call)] = answer
    return answer


def sink_argument(call: cst.Call, spec: dict) -> cst.BaseExpression | None:
    from mcp_lint.analysis.cst_utils import argument
    index = spec.get("argument")
    kw = spec.get("keyword")
    if index is None and kw is None:
        index = 0
    return argument(call, index, kw)


def shown_call(call: cst.Call) -> str:
    """`cursor.execute()` for messages."""
    return f"{call_name(call)}()"


def trace(origin: Origin, sink: cst.CSTNode, sink_text: str) -> tuple[Step, ...]:
    """Source -> propagation steps -> sink, for text output and SARIF codeFlows."""
    steps = (Step(origin.node, origin.label),) + origin.steps
    if not steps or steps[-1].node is not sink:
        steps += (Step(sink, sink_text),)
    return steps


def helper_returns(ctx: FileContext, call: cst.Call, point: Point) -> list[tuple[cst.BaseExpression, Point]]:
    """What a same-file function (or `self.method`) returns, with where it returns it."""
    func = call.func
    target = None
    if isinstance(func, cst.Name):
        target = ctx.index.find_function(func.value, point.frame.info)
    elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value in ("self", "cls"):
        target = ctx.index.unique_method(func.attr.value)
    frame = ctx.flows.frames.get(target) if target is not None else None
    return list(frame.returns) if frame is not None else []
