"""`call-check`: calls to listed callables, with conditions on their arguments and context.

Each entry of `calls` names callables (qualified names, typed-receiver methods, globs) and
optionally conditions, all of which must hold:
- `missing: {keyword: timeout, position: 1}`: fires when the argument is not passed;
- `value-is: {keyword: timeout, value: null}`: fires when it is passed as that literal (`values:`
  for any of several; `key:` looks inside a dict literal or `dict(...)` passed there, or a name
  bound to one);
- `contains: {keyword: algorithms, values: [none]}`: the argument is a literal collection (or a
  single string) holding one of the values;
- `mentions: {position: 0, pattern: "(?i)passw"}`: a name, attribute or string key read in the
  argument matches the regular expression;
- none: the call itself fires.
The finding is at the call, or with `report-at: argument` at the argument (keyword and value)
that the first condition looked at. Besides calls, `attributes` entries fire on an attribute
assigned a literal (`ctx.check_hostname = False`) and `references` on any use of a qualified
name (`ssl.CERT_NONE`).
Rule-wide options restrict where calls count (`context: async` for `async def` bodies,
`handler` for tool handlers, `tool-call` for tool handlers and the same-file helpers they
call), exempt calls wrapped by a timeout (`asyncio.wait_for(...)`,
`async with asyncio.timeout(...)`), exempt handlers registered with a keyword such as
fastmcp's `@mcp.tool(timeout=...)`, and (`unless-stored`) exempt calls whose result is kept
beyond the call: assigned to an attribute, a subscript or a `global`, or returned from a
cached function (`functools.cache`/`lru_cache`). A call with `**kwargs` may pass anything: it is skipped
when the condition is about a missing argument. An entry's `except:` names calls its patterns match
that it leaves alone (`boto3.Client.*` but not `boto3.Client.get_paginator`).
Calls meant to wait can be exempted (call_scope.py): inside a `try` that catches KeyboardInterrupt
(`unless-interrupt-handled`), a process reaped after `kill()` (`unless-reaped`), a foreground launch
of a listed program (`unless-launches`), a local command known to finish (`unless-argv`); and `skip-roles` leaves out modules by their role in the
project (`test`, `script`, `off-path`: not reached from the server, project/reach.py).
`unless-followed-by` exempts a call whose argument
(a variable) is passed again later in the same function to a call that does it properly: one of
`calls` for which no entry holds, or a call whose name matches `names` (`jwt.decode(token)` to read
the claim that picks the key, then `jwt.decode(token, key, algorithms=[...])`). `low-confidence-in`
lowers the confidence in functions whose name says the call is meant so (`decode_unverified`).
An insecure setting assigned to an object (`ctx.check_hostname = False`,
`ctx.verify_mode = ssl.CERT_NONE`) is reported once per object in a function. An entry's `fix:` says how such a call is
fixed (a keyword added or set, the argument removed, `await`/`asyncio.to_thread`/`wait_for`,
see `call_fixes.py`); the rule's `fix: safe|unsafe` says how safe that is.
"""

from __future__ import annotations

import bisect

import re

import libcst as cst

from mcp_lint.analysis.cst_utils import argument, assign_targets, code, dotted, has_star_args, has_star_kwargs, iter_names, keyword, string_value
from mcp_lint.model.findings import Confidence
from mcp_lint.analysis.fields import child_nodes
from mcp_lint.check.context import FileContext
from mcp_lint.model.regex import pack_regex
from mcp_lint.model.schema import Any_, Bool, Int, Key, List, Map, Regex, Str
from mcp_lint.check.primitives.base import Primitive
from mcp_lint.check.primitives.call_scope import finite_command, interrupt_handled, launches, reaped, role_skipped, within
from mcp_lint.check.primitives.call_fixes import CALL_FIX, call_fix
from mcp_lint.check.primitives.common import PATTERNS, CallPatterns, PatternTable

# `missing:` also takes other keywords that do the same (`also`), and text that passes it inside
# a connection string (`in-text`: `timeoutMS=` in a MongoDB URI; a URI that is not constant text
# may carry it, so it counts as passed)
_MISSING = Map({"keyword": Key(Str()), "position": Key(Int(minimum=0)), "also": Key(List(Str()), default=()),
                "in-text": Key(List(Str()), default=())})
_VALUE = Map({"keyword": Key(Str(), required=True), "position": Key(Int(minimum=0)), "value": Key(Any_()),
              "values": Key(List(Any_(), min_items=1)), "key": Key(Str()),
              # also a name or attribute whose default is the value: a parameter's default
              # (`verify_ssl: bool = False`), a settings field's, a constant's (medium confidence)
              "through-defaults": Key(Bool(), default=False),
              # the value is text that matches this pattern (`TrustServerCertificate=yes` in a
              # connection string), literal or built from literals
              "text-matches": Key(Regex())})
_CONTAINS = Map({"keyword": Key(Str()), "position": Key(Int(minimum=0)),
                 "values": Key(List(Any_(), min_items=1), required=True)})
_MENTIONS = Map({"keyword": Key(Str()), "position": Key(Int(minimum=0)), "pattern": Key(Regex(), required=True)})
_CALL = Map({
    "call": Key(PATTERNS, required=True),
    "except": Key(PATTERNS),  # calls the patterns above match that this entry leaves alone
    "missing": Key(_MISSING),
    "value-is": Key(_VALUE),
    "contains": Key(_CONTAINS),
    "mentions": Key(_MENTIONS),
    "reason": Key(Str(), default=""),
    "fix": Key(CALL_FIX),  # how to fix such a call (see call_fixes.py); the rule's `fix:` says how safe
})
_ATTRIBUTE = Map({"attribute": Key(Str(), required=True), "value": Key(Any_()), "reason": Key(Str(), default="")})
_REFERENCE = Map({"name": Key(Str(), required=True), "reason": Key(Str(), default="")})
_FOLLOWED = Map({
    "position": Key(Int(minimum=0), default=0),  # the variable passed here to the reported call...
    "calls": Key(PATTERNS, default=()),  # ...passed later to one of these, for which no entry holds,
    "names": Key(Regex()),  # ...or to a call whose own name matches this
})


def _in_text(call: cst.Call, needles) -> bool:
    """Does a connection string passed to the call carry one of `needles`, or may it (a first
    argument that is not constant text)?"""
    first = next((a.value for a in call.args if a.keyword is None and not a.star), None)
    if first is not None and string_value(first) is None:
        return True
    texts = [string_value(a.value) for a in call.args]
    return any(t is not None and any(n in t for n in needles) for t in texts)


_BY_DEFAULT = " (by default)"


def _default_of(expr: cst.BaseExpression, ctx: FileContext) -> cst.BaseExpression | None:
    """The value a name or attribute has unless someone changes it: the enclosing function's
    parameter default (`def connect(verify_ssl: bool = False)`), a name bound once, a settings
    field (`verify_ssl: bool = False` / `= Field(default=False)` in a class of the file), or an
    `__init__` parameter's default stored as `self.verify_ssl`."""
    if isinstance(expr, cst.Name):
        fn = ctx.state.frame.node
        if isinstance(fn, cst.FunctionDef):
            found = _param_default(fn, expr.value)
            if found is not None:
                return found
        return bound_value(ctx, expr.value, ctx.state.frame.info)
    if not isinstance(expr, cst.Attribute):
        return None
    attr = expr.attr.value
    fields = [cls.constants[attr] for cls in ctx.index.classes.values() if attr in cls.constants]
    if len(fields) == 1:
        value = fields[0]
        if isinstance(value, cst.Call) and (dotted(value.func) or "").rsplit(".", 1)[-1] == "Field":
            return argument(value, 0, "default")
        return value
    if isinstance(expr.value, cst.Name) and expr.value.value == "self":
        info = ctx.state.frame.info
        while info is not None and info.class_name is None:
            info = info.parent
        cls = ctx.index.classes.get(info.class_name) if info is not None else None
        init = ctx.index.method(info.class_name, "__init__") if cls is not None else None
        stored = cls.self_attrs.get(attr, ()) if cls is not None else ()
        if init is not None and len(stored) == 1 and isinstance(stored[0], cst.Name):
            return _param_default(init, stored[0].value)
    return None


def _param_default(fn: cst.FunctionDef, name: str) -> cst.BaseExpression | None:
    for p in (*fn.params.posonly_params, *fn.params.params, *fn.params.kwonly_params):
        if p.name.value == name:
            return p.default
    return None


def _text_of(expr: cst.BaseExpression, ctx: FileContext, depth: int = 0) -> str | None:
    """The literal text of a value built from literals (f-string pieces, `+`, `.format()`,
    through names bound once); None when none of it is literal."""
    if depth > 4:
        return None
    text = string_value(expr)
    if text is not None:
        return text
    if isinstance(expr, cst.FormattedString):
        return "".join(p.value if isinstance(p, cst.FormattedStringText) else "{}" for p in expr.parts)
    if isinstance(expr, cst.ConcatenatedString):
        parts = [_text_of(expr.left, ctx, depth + 1), _text_of(expr.right, ctx, depth + 1)]
        return None if all(p is None for p in parts) else "".join(p or "" for p in parts)
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, (cst.Add, cst.Modulo)):
        parts = [_text_of(expr.left, ctx, depth + 1), _text_of(expr.right, ctx, depth + 1)]
        return None if all(p is None for p in parts) else "".join(p or "" for p in parts)
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value in (
            "format", "join"):
        return _text_of(expr.func.value, ctx, depth + 1) if expr.func.attr.value == "format" else None
    if isinstance(expr, cst.Name):
        bound = bound_value(ctx, expr.value, ctx.state.frame.info)
        return _text_of(bound, ctx, depth + 1) if bound is not None else None
    return None


def _calls_or_knowledge(params: dict, where) -> None:
    if not params.get("calls") and not params.get("calls-from") and not params.get("attributes") \
            and not params.get("references"):
        raise where.error("missing required key 'calls' (or 'calls-from': entries of the knowledge files)")



class CallCheck(Primitive):
    NAME = "call-check"
    FIXABLE = True
    PARAMS = Map({
        "calls": Key(List(_CALL, min_items=1), default=()),
        # entries from the knowledge files: `blocking` (calls that block an event loop),
        # `timeouts` (calls that wait forever unless given a timeout)
        "calls-from": Key(List(Str(choices=("blocking", "timeouts")), min_items=1), default=()),
        "context": Key(Str(choices=("any", "async", "handler", "tool-call")), default="any"),
        "unless-wrapped-by": Key(List(Str()), default=()),
        "unless-handler-keyword": Key(Str()),
        "unless-stored": Key(Bool(), default=False),
        "report-at": Key(Str(choices=("call", "argument")), default="call"),
        "attributes": Key(List(_ATTRIBUTE), default=()),
        "references": Key(List(_REFERENCE), default=()),
        # Module roles (project/index.py: test, script, off-path) where the rule does not report.
        "skip-roles": Key(List(Str()), default=()),
        # Calls inside a `try` that catches KeyboardInterrupt wait for the user on purpose.
        "unless-interrupt-handled": Key(Bool(), default=False),
        # `p.communicate()` after `p.kill()` (one of these methods) in the same block only reaps.
        "unless-reaped": Key(List(Str()), default=()),
        # A foreground launch (output not captured) of one of these programs runs until stopped.
        "unless-launches": Key(List(Str()), default=()),
        # Local commands known to finish promptly, by the first words of argv ("git add", "* --version").
        "unless-argv": Key(List(Str()), default=()),
        "unless-followed-by": Key(_FOLLOWED),
        "low-confidence-in": Key(Regex()),  # the enclosing function's name says the call is meant so
    }, check=_calls_or_knowledge)
    PLACEHOLDERS = frozenset({"call", "reason", "function", "argument", "tool", "via"})

    def setup(self) -> None:
        calls = list(self.params["calls"])
        for source in self.params["calls-from"]:
            calls += getattr(self.knowledge, source)
        self.entries = PatternTable([(CallPatterns(c["call"]), c) for c in calls])
        self.excepted = {id(c): CallPatterns(c["except"]) for c in calls if c.get("except")}
        self.skip_roles = frozenset(self.params["skip-roles"])
        self.interrupt = self.params["unless-interrupt-handled"]
        self.reaping = frozenset(self.params["unless-reaped"])
        self.launchers = frozenset(self.params["unless-launches"])
        self.finite = tuple(tuple(p.split()) for p in self.params["unless-argv"])
        self.patterns = {c["mentions"]["pattern"]: pack_regex(c["mentions"]["pattern"])
                         for c in calls if c.get("mentions") is not None}
        self.patterns.update({c["value-is"]["text-matches"]: pack_regex(c["value-is"]["text-matches"])
                              for c in calls if c.get("value-is") is not None
                              and c["value-is"].get("text-matches") is not None})
        self.at_argument = self.params["report-at"] == "argument"
        self.attributes = {a["attribute"]: a for a in self.params["attributes"]}
        self.references = {r["name"]: r for r in self.params["references"]}
        self.reference_last = {n.rsplit(".", 1)[-1] for n in self.references}
        self.context = self.params["context"]
        self.wrappers = CallPatterns(self.params["unless-wrapped-by"]) if self.params["unless-wrapped-by"] else None
        self.handler_keyword = self.params["unless-handler-keyword"]
        self.stored = self.params["unless-stored"]
        followed = self.params["unless-followed-by"]
        self.followed = followed
        self.followed_calls = CallPatterns(followed["calls"]) if followed and followed["calls"] else None
        self.followed_names = pack_regex(followed["names"]) if followed and followed["names"] else None
        low = self.params["low-confidence-in"]
        self.low_in = pack_regex(low) if low else None

    def enter(self):
        hooks = {cst.Call: self.on_call}
        if self.attributes:
            hooks[cst.Assign] = self.on_assign
        if self.references:
            hooks[cst.Attribute] = self.on_reference
            hooks[cst.Name] = self.on_reference
        return hooks

    def on_assign(self, node: cst.Assign, ctx: FileContext) -> None:
        for target in node.targets:
            t = target.target
            if not isinstance(t, cst.Attribute) or dotted(t.value) in ("self", "cls"):
                continue  # a class setting its own attribute is not configuring a context
            entry = self.attributes.get(t.attr.value)
            if entry is not None and _literal_equals(node.value, entry["value"]):
                if self._configured_before(ctx, t):
                    continue
                ctx.report(self.rule, node, {"call": f"{dotted(t) or t.attr.value} = {code(node.value, 20)}",
                                             "reason": entry["reason"],
                                             "argument": t.attr.value, "function": self._function(ctx)})

    def on_reference(self, node: cst.Attribute | cst.Name, ctx: FileContext) -> None:
        last = node.attr.value if isinstance(node, cst.Attribute) else node.value
        if last not in self.reference_last:
            return
        parent = ctx.state.ancestors[-2] if len(ctx.state.ancestors) > 1 else None
        if isinstance(parent, cst.Attribute) and parent.value is node:
            return  # only the whole chain: `ssl.CERT_NONE`, not its `ssl` part
        # Only where the value is put to use: called, assigned, passed, stored in a dict.
        # Comparisons (`if mode == ssl.CERT_NONE`) and lookup-table keys only mention it.
        if isinstance(parent, cst.Call) and parent.func is node:
            at: cst.CSTNode = parent
        elif isinstance(parent, cst.Assign) and all(
                isinstance(t.target, cst.Attribute) and dotted(t.target.value) in ("self", "cls")
                for t in parent.targets):
            return  # a class's own default (`self.verify_mode = ssl.CERT_NONE`), as for attributes
        elif isinstance(parent, cst.Assign) and parent.value is node and len(parent.targets) == 1 and \
                isinstance(parent.targets[0].target, cst.Attribute) and ctx.resolve(node) in self.references and \
                self._configured_before(ctx, parent.targets[0].target):  # type: ignore[arg-type]
            return
        elif isinstance(parent, (cst.Assign, cst.AnnAssign)) and parent.value is node or \
                isinstance(parent, cst.Arg) and parent.value is node or \
                isinstance(parent, cst.DictElement) and parent.value is node:
            at = node
        else:
            return
        name = ctx.resolve(node)
        entry = self.references.get(name or "")
        if entry is not None:
            ctx.report(self.rule, at, {"call": name, "reason": entry["reason"], "argument": name,
                                       "function": self._function(ctx)})

    def _configured_before(self, ctx: FileContext, target: cst.Attribute) -> bool:
        """One finding per object an insecure setting is assigned on (`ctx.check_hostname = False`
        then `ctx.verify_mode = ssl.CERT_NONE` configure one SSL context): has this object (the
        same receiver in the same function) been reported already? Records it if not."""
        receiver = dotted(target.value)
        if receiver is None:
            return False
        seen = ctx.scratch.setdefault(f"{self.rule.id}:objects", set())
        key = (id(ctx.state.frame.node), receiver)
        if key in seen:
            return True
        seen.add(key)
        return False

    @staticmethod
    def _function(ctx: FileContext) -> str:
        function = ctx.state.function
        return function.name.value if function is not None else "<module>"

    def on_call(self, node: cst.Call, ctx: FileContext) -> None:
        state = ctx.state
        if self.wrappers is not None:
            self._note_helper_call(node, ctx)
        if role_skipped(ctx, self.skip_roles):
            return
        if self.context == "async" and not state.in_async:
            return
        if self.context == "handler" and state.handler is None:
            return
        if self.context == "tool-call" and (state.function is None or (
                state.handler is not None and not state.handler.is_tool)):
            return
        point = ctx.point()
        for patterns, entry in self.entries.candidates(node, ctx, point):
            name = patterns.match(node, ctx, point)
            if name is None:
                continue
            excepted = self.excepted.get(id(entry))
            if excepted is not None and excepted.match(node, ctx, point) is not None:
                continue
            fired, shown_arg, at = self._condition(node, entry, ctx)
            by_default = shown_arg.endswith(_BY_DEFAULT)
            if not fired or not _version_applies(entry, ctx):
                continue  # another entry may hold for the same call
            if self._exempt(node, ctx) or (self.stored and _stored(node, ctx)) or self._meant_to_wait(node, ctx) or \
                    self.followed is not None and self._followed(node, ctx):
                return
            function = state.function
            fields = {"call": f"{name}()", "reason": entry["reason"], "argument": shown_arg,
                      "function": function.name.value if function is not None else "<module>",
                      "tool": state.handler.name if state.handler is not None else "", "via": ""}
            fix = call_fix(ctx, self.rule, entry["fix"], node, state.ancestors, at) if entry["fix"] else None
            if self.at_argument and at is not None:
                node = at
            if self.context == "tool-call" and state.handler is None:
                # In a helper: reported if a tool handler calls it (decided after the walk).
                ctx.scratch.setdefault(f"{self.rule.id}:helpers", []).append(
                    (node, fields, state.statement, state.frame.node, fix))
                return
            if self.wrappers is not None and function is not None and ctx.model.handler(function) is None:
                # Inside a helper: bounded if every call of the helper in this file is.
                ctx.scratch.setdefault(f"{self.rule.id}:pending", []).append(
                    (node, fields, state.statement, function, fix))
                return
            low = self.low_in is not None and function is not None and self.low_in.search(function.name.value)
            confidence = Confidence.LOW if low else Confidence.MEDIUM if by_default else None
            ctx.report(self.rule, node, fields, confidence=confidence, fix=fix)
            return

    def _meant_to_wait(self, node: cst.Call, ctx: FileContext) -> bool:
        """A wait the code wants: until the user interrupts, for a killed process, for a server
        or UI launched in the foreground (call_scope.py)."""
        return (self.interrupt and interrupt_handled(ctx)) or reaped(node, ctx, self.reaping) or \
            launches(node, ctx, self.launchers) or finite_command(node, ctx, self.finite)

    def _followed(self, call: cst.Call, ctx: FileContext) -> bool:
        """Is the variable passed to `call` passed again, later in the same function, to a call
        that does it properly (`jwt.decode(token)` to peek at a claim that picks the key, then
        `jwt.decode(token, key, algorithms=[...])` or `verify_token(token, key)`)?"""
        value = argument(call, self.followed["position"], None)
        function = ctx.state.function
        if not isinstance(value, cst.Name) or function is None:
            return False
        order, passing = _calls_passing(function, ctx)
        start = order.get(id(call))
        if start is None:
            return False
        point = ctx.point()
        proper = ctx.scratch.setdefault(f"{self.rule.id}:follows", {})  # id(call) -> does it properly
        ranks, later = passing.get(value.value, ((), ()))
        for node in later[bisect.bisect_right(ranks, start):]:
            answer = proper.get(id(node))
            if answer is None:
                answer = proper[id(node)] = self._does_it_properly(node, ctx, point)
            if answer:
                return True
        return False

    def _does_it_properly(self, node: cst.Call, ctx: FileContext, point) -> bool:
        callee = node.func.attr.value if isinstance(node.func, cst.Attribute) else \
            node.func.value if isinstance(node.func, cst.Name) else ""
        if self.followed_names is not None and self.followed_names.search(callee):
            return True
        return bool(self.followed_calls is not None and self.followed_calls.match(node, ctx, point) and
                    not any(p.match(node, ctx, point) and self._condition(node, e, ctx)[0]
                            for p, e in self.entries.candidates(node, ctx, point)))

    def _note_helper_call(self, node: cst.Call, ctx: FileContext) -> None:
        func = node.func
        target = None
        if isinstance(func, cst.Name):
            target = ctx.index.find_function(func.value, ctx.state.frame.info)
        elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value in (
                "self", "cls"):
            target = ctx.index.unique_method(func.attr.value)
        if target is not None:
            ctx.scratch.setdefault(f"{self.rule.id}:calls", {}).setdefault(target, []).append(
                self._exempt(node, ctx))

    def finish(self, ctx: FileContext) -> None:
        for node, fields, statement, function, fix in ctx.scratch.get(f"{self.rule.id}:helpers", []):
            tool = _calling_tool(ctx, function)
            if tool is not None:
                ctx.report(self.rule, node, {**fields, "tool": tool, "via": f" (in `{fields['function']}`)"},
                           statement=statement, fix=fix)
        calls = ctx.scratch.get(f"{self.rule.id}:calls", {})
        for node, fields, statement, function, fix in ctx.scratch.get(f"{self.rule.id}:pending", []):
            wrapped = calls.get(function)
            if wrapped and all(wrapped):
                continue
            ctx.report(self.rule, node, fields, statement=statement, fix=fix)

    def _condition(self, node: cst.Call, entry: dict, ctx: FileContext) -> tuple[bool, str, cst.CSTNode | None]:
        """(all conditions hold, the argument to name in the message, the node to report at)."""
        shown, at = "", None

        def first(name: str, where: cst.CSTNode | None) -> None:
            nonlocal shown, at
            if at is None:
                shown, at = name, where
        missing = entry["missing"]
        if missing is not None:
            kw, pos = missing["keyword"], missing["position"]
            if argument(node, pos, kw) is not None:
                return False, "", None
            if any(keyword(node, other) is not None for other in missing.get("also") or ()):
                return False, "", None
            if missing.get("in-text") and _in_text(node, missing["in-text"]):
                return False, "", None
            if has_star_kwargs(node) or (pos is not None and has_star_args(node)):
                return False, "", None  # **kwargs / *args may well carry it
            first(kw or f"argument {pos}", node)
        value_is = entry["value-is"]
        if value_is is not None:
            value = argument(node, value_is["position"], value_is["keyword"])
            if value is not None and value_is["key"] is not None:
                value = _dict_entry(_bound_value(value, ctx), value_is["key"])
            shown_kw = value_is["keyword"]
            if value_is.get("text-matches") is not None:
                text = _text_of(value, ctx) if value is not None else None
                if text is None or not self.patterns[value_is["text-matches"]].search(text):
                    return False, "", None
            else:
                wanted = value_is["values"] if value_is["values"] is not None else (value_is["value"],)
                if value is None:
                    return False, "", None
                if not any(_literal_equals(value, w) for w in wanted):
                    default = _default_of(value, ctx) if value_is.get("through-defaults") else None
                    if default is None or not any(_literal_equals(default, w) for w in wanted):
                        return False, "", None
                    shown_kw = f"{shown_kw}={code(value, 30)}{_BY_DEFAULT}"
            first(shown_kw, _arg_node(node, value_is["position"], value_is["keyword"]))
        contains = entry["contains"]
        if contains is not None:
            value = argument(node, contains["position"], contains["keyword"])
            if value is None or not _holds(_bound_value(value, ctx), contains["values"]):
                return False, "", None
            first(contains["keyword"] or f"argument {contains['position']}",
                  _arg_node(node, contains["position"], contains["keyword"]))
        mentions = entry["mentions"]
        if mentions is not None:
            value = argument(node, mentions["position"], mentions["keyword"])
            found = _mentioned(value, self.patterns[mentions["pattern"]]) if value is not None else None
            if found is None:
                return False, "", None
            first(found, _arg_node(node, mentions["position"], mentions["keyword"]))
        return True, shown, at

    def _exempt(self, node: cst.Call, ctx: FileContext) -> bool:
        state = ctx.state
        if self.handler_keyword is not None:
            handler = state.handler
            if handler is not None and handler.kwargs.get(self.handler_keyword) is not None:
                return True
        if self.wrappers is None:
            return False
        point = ctx.point()
        # asyncio.wait_for(<this call>, ...): an enclosing call within the same statement
        for anc in reversed(state.ancestors[:-1]):
            if isinstance(anc, (cst.SimpleStatementLine, cst.BaseCompoundStatement, cst.Lambda)):
                break
            if isinstance(anc, cst.Call) and self.wrappers.match(anc, ctx, point):
                return True
        # async with asyncio.timeout(...): / with anyio.fail_after(...):
        frame_node = state.frame.node
        for with_node in reversed(state.withs):
            if not within(state.ancestors, with_node, frame_node):
                break
            for item in with_node.items:
                if isinstance(item.item, cst.Call) and self.wrappers.match(item.item, ctx, point):
                    return True
        return False


def _version_applies(entry, ctx: FileContext) -> bool:
    """A knowledge entry about a default that changed in a version (`before: {package,
    version}`) holds where the project's declared requirement keeps the package below it: a
    project that declares nothing, or admits the newer releases, installs the newest one."""
    before = entry.get("before")
    if before is None:
        return True
    return ctx.runs_before(before["package"], before["version"])


_CACHES = frozenset({"cache", "lru_cache", "cached", "cached_property", "alru_cache", "asynccontextmanager",
                     "contextmanager"})


def _cached(fn: cst.CSTNode) -> bool:
    """A function whose result is kept (functools caches) or that is a context manager
    factory (a lifespan or a `with` helper owns the resource's lifetime)."""
    if not isinstance(fn, cst.FunctionDef):
        return False
    for dec in fn.decorators:
        target = dec.decorator.func if isinstance(dec.decorator, cst.Call) else dec.decorator
        if (dotted(target) or "").rsplit(".", 1)[-1] in _CACHES:
            return True
    return False


def _stored(node: cst.Call, ctx: FileContext) -> bool:
    """Is the call's result kept beyond this call of the function? Assigned to an attribute
    (`self.client = ...`), a subscript (`cache[key] = ...`) or a `global`; or produced in a
    cached function."""
    state = ctx.state
    if _cached(state.frame.node):
        return True
    stmt = state.statement
    if isinstance(stmt, cst.SimpleStatementLine):
        for small in stmt.body:
            if isinstance(small, (cst.Assign, cst.AnnAssign)):
                if small.value is None or not _contains(small.value, node):
                    continue
                for t in assign_targets(small):
                    if isinstance(t, (cst.Attribute, cst.Subscript)):
                        return True
                    if isinstance(t, cst.Name) and t.value in _globals(state.frame.node):
                        return True
    return False


def _contains(expr: cst.CSTNode, node: cst.CSTNode) -> bool:
    """`node` is `expr` itself, or `expr` wraps it in an `await` / `or` / conditional."""
    while True:
        if expr is node:
            return True
        if isinstance(expr, cst.Await):
            expr = expr.expression
        elif isinstance(expr, cst.BooleanOperation):
            return _contains(expr.left, node) or _contains(expr.right, node)
        elif isinstance(expr, cst.IfExp):
            return _contains(expr.body, node) or _contains(expr.orelse, node)
        else:
            return False


def _globals(fn: cst.CSTNode) -> set[str]:
    """Names a function declares `global` / `nonlocal` (top-level statements of its body)."""
    out: set[str] = set()
    if not isinstance(fn, cst.FunctionDef):
        return out
    stack = list(fn.body.body) if isinstance(fn.body, cst.IndentedBlock) else []
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, (cst.Global, cst.Nonlocal)):
                    out.update(n.name.value for n in small.names)
        elif isinstance(stmt, (cst.If, cst.With, cst.Try)):
            stack.extend(stmt.body.body if isinstance(stmt.body, cst.IndentedBlock) else [])
    return out


def _calling_tool(ctx: FileContext, function: cst.CSTNode, depth: int = 0,
                  seen: set | None = None) -> str | None:
    """The name of a tool handler that calls `function` (directly or through same-file
    helpers, up to three levels), unless a caller on the way keeps the result."""
    seen = seen if seen is not None else set()
    if depth > 3 or function in seen or _cached(function):
        return None
    seen.add(function)
    for call, point in ctx.flows.callers(function):
        caller = point.frame.node
        if _kept(caller, call):
            continue
        handler = point.frame.handler
        if handler is not None and handler.is_tool:
            return handler.name
        if isinstance(caller, cst.FunctionDef) and ctx.model.handler(caller) is None:
            found = _calling_tool(ctx, caller, depth + 1, seen)
            if found is not None:
                return found
    return None


def _kept(fn: cst.CSTNode, call: cst.Call) -> bool:
    """Does `fn` store the result of `call` in an attribute, a subscript or a global?"""
    if not isinstance(fn, cst.FunctionDef):
        return False
    names = None
    stack = list(child_nodes(fn.body))
    while stack:
        n = stack.pop()
        if isinstance(n, (cst.Assign, cst.AnnAssign)) and n.value is not None and _contains(n.value, call):
            if names is None:
                names = _globals(fn)
            return any(isinstance(t, (cst.Attribute, cst.Subscript)) or
                       (isinstance(t, cst.Name) and t.value in names) for t in assign_targets(n))
        if not isinstance(n, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            stack.extend(child_nodes(n))
    return False


def _calls_passing(function: cst.CSTNode, ctx: FileContext) -> tuple[dict[int, int], dict[str, tuple[list, list]]]:
    """For one function (nested functions left out), built once: each call's rank in source order,
    and for each variable name the calls that pass it as an argument, in that order (their ranks,
    the calls)."""
    known = ctx.scratch.setdefault("calls-passing", {})
    found = known.get(id(function))
    if found is None:
        order: dict[int, int] = {}
        passing: dict[str, tuple[list, list]] = {}
        for rank, node in enumerate(_in_order(function.body)):
            if type(node) is cst.Call:
                order[id(node)] = rank
                for name in dict.fromkeys(a.value.value for a in node.args if type(a.value) is cst.Name):
                    ranks, calls = passing.setdefault(name, ([], []))
                    ranks.append(rank)
                    calls.append(node)
        found = known[id(function)] = (order, passing)
    return found


def _in_order(node: cst.CSTNode):
    """The nodes of a subtree in source order (pre-order), nested functions left out."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if current is not node and isinstance(current, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        stack.extend(reversed(list(child_nodes(current))))




def _arg_node(call: cst.Call, position: int | None, name: str | None) -> cst.CSTNode | None:
    """The `cst.Arg` (keyword and value) that passes a parameter."""
    if name is not None:
        kw = keyword(call, name)
        if kw is not None:
            return kw
    value = argument(call, position, None)
    return next((a for a in call.args if a.value is value), None) if value is not None else None


def _bound_value(expr: cst.BaseExpression, ctx: FileContext) -> cst.BaseExpression:
    """A name bound once to a literal (in the function, or at module level) -> that literal."""
    if not isinstance(expr, cst.Name):
        return expr
    bound = bound_value(ctx, expr.value, ctx.state.frame.info)
    return bound if bound is not None else expr


def bound_value(ctx: FileContext, name: str, scope) -> cst.BaseExpression | None:
    """What `name` is bound to in `scope` (first local assignment), else its only module-level
    binding."""
    bound = ctx.index.local_values.get((scope, name))
    if bound is None:
        values = ctx.index.module_bindings.get(name) or ()
        bound = values[0] if len(values) == 1 else None
    return bound


def _dict_entry(expr: cst.BaseExpression, key: str) -> cst.BaseExpression | None:
    """The value for `key` in `{"key": v}` or `dict(key=v)`."""
    if isinstance(expr, cst.Dict):
        for el in expr.elements:
            if isinstance(el, cst.DictElement) and string_value(el.key) == key:
                return el.value
    elif isinstance(expr, cst.Call) and dotted(expr.func) == "dict":
        kw = keyword(expr, key)
        return kw.value if kw is not None else None
    return None


def _holds(expr: cst.BaseExpression, values) -> bool:
    if isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
        return any(isinstance(e, cst.Element) and any(_literal_equals(e.value, v) for v in values)
                   for e in expr.elements)
    return any(_literal_equals(expr, v) for v in values)


def _mentioned(expr: cst.BaseExpression, pattern: re.Pattern[str]) -> str | None:
    """The first name, attribute or string subscript key in `expr` that matches."""
    for node in iter_names(expr):
        if pattern.search(node.value):
            return node.value
    stack: list[cst.CSTNode] = [expr]
    while stack:
        n = stack.pop()
        if isinstance(n, cst.Attribute):
            if pattern.search(n.attr.value):
                return n.attr.value
        elif isinstance(n, cst.Subscript):
            for el in n.slice:
                key = string_value(el.slice.value) if isinstance(el.slice, cst.Index) else None
                if key and pattern.search(key):
                    return key
        elif isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute) and n.func.attr.value == "get" and n.args:
            key = string_value(n.args[0].value)
            if key and pattern.search(key):
                return key
        stack.extend(n.children)
    return None


def _literal_equals(expr: cst.BaseExpression, value) -> bool:
    if value is None:
        return isinstance(expr, cst.Name) and expr.value == "None"
    if isinstance(value, bool):
        return isinstance(expr, cst.Name) and expr.value == str(value)
    if isinstance(value, (int, float)):
        return isinstance(expr, (cst.Integer, cst.Float)) and float(expr.value) == float(value)
    return string_value(expr) == value

