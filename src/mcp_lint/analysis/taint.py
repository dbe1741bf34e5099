"""Where tool input flows: a lazy, flow-sensitive value-origin analysis.

During the engine's one walk, `FlowRecorder` records bindings (assignments, loop targets,
`with ... as`, walrus, guards) into the current frame, each stamped with a `Point`. Nothing
is evaluated then. When a primitive asks about an expression (usually at the end of the
file, once every helper has been walked), `Flows.of(expr, point)` computes its *origins*:

- `TOOL`: a model-controlled handler parameter or a read of a low-level arguments mapping;
- `PARAM`: a parameter of an ordinary function (resolved through the file's call sites by
  `Flows.resolve`, which credits the calling tool);
- `OPAQUE`: any other non-constant value (an attribute of `self`, a call result, a global).

No origins means the value is *known-safe*. Each origin carries the sanitizers applied to
it on the way and the steps it took, which become the finding's trace.

Every answer is memoised (per binding, per helper's returns, per helper parameter), so a
file costs time in proportion to its size whatever its shape. A question that needs more
than `MAX_DEPTH` nested evaluations (a chain of assignments or helpers that long) answers
the deepest value first, as a question of its own, then asks again: chains of any length
are followed. What the analysis does not follow it says so: past `MAX_RESTARTS` such
restarts, or past `MAX_REACHING` definitions of one name reaching one use, the value gets
a *cut* origin: tool input as far as rules are concerned, marked `cut`, so that a sink
reports it at low confidence, saying the flow was not followed to its source. A bound is
never silence.

Reaching definitions are approximated from block paths: walking a name's earlier bindings
backwards, a binding in an enclosing block (or in a branch whose siblings all terminate)
dominates and ends the search; bindings in other branches of the same `if`/`match` cannot
reach the use at all.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, replace

import libcst as cst

from mcp_lint.analysis.fields import descendants
from mcp_lint.analysis.cst_utils import (code, dotted, is_constant_collection, is_literal, iter_names, statements,
                                        string_value, target_names, terminates)
from mcp_lint.model.knowledge import restricted_kinds
from mcp_lint.model.regex import only_class, whole_match
from mcp_lint.analysis.state import (ASSIGN, AUG, CALL_GUARD, COMP, CUT, FOR, MATCH, MUTATE, NARROW, OPAQUE, PARAM,
                                     STORING_METHODS, WITH, Binding, Frame, Point)

TOOL = "tool"
PARAM_ORIGIN = "param"
OPAQUE_ORIGIN = "opaque"

ALL = "all"  # sanitizer kind: the value is one of a fixed set (cast, allow-list, Literal)

# Library calls (safe calls, propagators, sanitizers, validators, calls answering with a remote
# server's response, thread dispatch) are knowledge, not code: `ctx.knowledge`
# (model/knowledge.py, read from rules/knowledge/*.yaml). What stays here is Python itself.
# What plain text guarantees and a structure decoded from it does not (sanitizer kinds).
_TEXT_ONLY = frozenset({"query"})
# `Path(x).name` / `.stem`: one path component (like os.path.basename).
_FILE_NAME_ATTRS = frozenset({"name", "stem"})
# Methods of a path that return a path (`_is_path` follows them), and those that make it absolute.
_PATH_RETURNING = frozenset({"resolve", "absolute", "expanduser", "joinpath", "with_name", "with_suffix",
                             "with_stem", "relative_to"})
# `Path.resolve()` / `Path.absolute()`: an absolute path, never an option.
_ABSOLUTE_METHODS = frozenset({"resolve", "absolute"})
_PATH_CHECK_METHODS = frozenset({"is_relative_to", "relative_to"})
_PATTERN_METHODS = frozenset({"isidentifier", "isalnum", "isdigit", "isdecimal", "isnumeric", "isalpha"})
_HOST_ATTRS = frozenset({"hostname", "netloc", "host"})
# Nested evaluations followed at once (assignments, helpers' returns, callers): each costs a
# few interpreter frames, and the lint thread allows 20,000 (see source.guard). A deeper
# value is first answered as a question of its own, then the question that reached it is
# asked again (so chains of any length are followed, in linear time), up to MAX_RESTARTS
# times per question.
MAX_DEPTH = 200
MAX_RESTARTS = 100
# Definitions of one name that may reach one use (sequential `if c: x = ...` blocks).
MAX_REACHING = 200


@dataclass(frozen=True, eq=False)
class Step:
    node: cst.CSTNode
    text: str


@dataclass(frozen=True, eq=False)
class Origin:
    kind: str  # TOOL / PARAM_ORIGIN / OPAQUE_ORIGIN
    label: str  # shown in messages: "tool parameter `q`", "`self.table`"
    node: cst.CSTNode  # where the value comes from
    function: cst.CSTNode | None = None  # PARAM/TOOL: the function whose parameter it is
    param: str = ""  # PARAM/TOOL: the parameter name
    sanitizers: frozenset[str] = frozenset()
    steps: tuple[Step, ...] = ()
    cut: bool = False  # not followed to its source (a bound of the analysis): treated as tool input
    # Calls into other modules of the project the value went through, unsanitized as far as this
    # file can tell: ("path::qualname", argument position or keyword, "return" | "guard"). The
    # project join (project/flows.py) drops a finding whose every origin went through a call the
    # other module's summary shows to sanitize (its return) or validate (it raises) that argument.
    through: tuple[tuple[str, int | str, str], ...] = ()

    @property
    def key(self) -> tuple:
        return (self.kind, self.label, id(self.function), self.sanitizers, self.through)

    def step(self, node: cst.CSTNode, text: str, force: bool = False) -> Origin:
        if not force and self.steps and self.steps[-1].node is node:
            return self
        return replace(self, steps=join_steps(self.steps, (Step(node, text),)))

    def sanitized(self, kind: str) -> Origin:
        return replace(self, sanitizers=self.sanitizers | {kind})

    def sanitized_by(self, kinds: frozenset[str]) -> Origin:
        return replace(self, sanitizers=self.sanitizers | kinds)

    def honours(self, accepted: frozenset[str]) -> bool:
        """Is this origin neutralised by one of the sanitizer kinds a rule accepts?"""
        return bool(self.sanitizers & accepted)


Flow = tuple[Origin, ...]
EMPTY: Flow = ()

# A trace keeps its first and its last steps: a flow through thousands of assignments is
# followed whole, but shown with the middle left out (so each step costs constant time).
MAX_STEPS = 48
_HEAD = MAX_STEPS // 2
ELIDED = "..."


def join_steps(a: tuple[Step, ...], b: tuple[Step, ...]) -> tuple[Step, ...]:
    steps = a + b
    if len(steps) <= MAX_STEPS:
        return steps
    marker = steps[_HEAD] if steps[_HEAD].text == ELIDED else Step(steps[_HEAD].node, ELIDED)
    return steps[:_HEAD] + (marker,) + steps[len(steps) - (MAX_STEPS - _HEAD - 1):]


# Origins that only their label or function tells apart (tool input of 300 different tools
# reaching one helper) are all the same to a rule: a flow keeps MAX_ALIKE of each kind and
# set of sanitizers, so flows stay small however many callers a function has. Helper
# parameters are all kept: each resolves to its own callers.
MAX_ALIKE = 8


def union(*flows: Flow) -> Flow:
    if len(flows) == 1:
        return flows[0]
    seen: dict[tuple, Origin] = {}
    for flow in flows:
        for origin in flow:
            seen.setdefault(origin.key, origin)
    if len(seen) <= MAX_ALIKE:
        return tuple(seen.values())
    counts: dict[tuple, int] = {}
    out = []
    for origin in seen.values():
        if origin.kind != PARAM_ORIGIN:
            alike = (origin.kind, origin.sanitizers, origin.cut)
            n = counts.get(alike, 0)
            if n >= MAX_ALIKE:
                continue
            counts[alike] = n + 1
        out.append(origin)
    return tuple(out)


def tool_origins(flow: Flow, accepted: frozenset[str] = frozenset()) -> list[Origin]:
    return [o for o in flow if o.kind == TOOL and not o.honours(accepted)]


def unsafe_origins(flow: Flow, accepted: frozenset[str] = frozenset()) -> list[Origin]:
    return [o for o in flow if not o.honours(accepted)]


def describe(expr: cst.BaseExpression) -> str:
    """How a string was built, for messages: "an f-string", "`%` formatting", ..."""
    if isinstance(expr, cst.FormattedString):
        return "an f-string"
    if isinstance(expr, cst.ConcatenatedString):
        return "an f-string" if any(isinstance(p, cst.FormattedString) for p in (expr.left, expr.right)) \
            else "string concatenation"
    if isinstance(expr, cst.BinaryOperation):
        if isinstance(expr.operator, cst.Modulo):
            return "`%` formatting"
        if isinstance(expr.operator, cst.Add):
            return "`+` concatenation"
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute):
        if expr.func.attr.value == "format":
            return "`.format()`"
        if expr.func.attr.value == "join":
            return "`.join()`"
    if isinstance(expr, cst.Call):
        return f"`{code(expr.func, 40)}()`"
    return f"`{code(expr, 40)}`"


# ---------------------------------------------------------------------------------------------
# Recording (during the walk)
# ---------------------------------------------------------------------------------------------

class FlowRecorder:
    """Called by the engine's walker at binding sites; records, never evaluates.

    `ctx` is the file's `FileAnalysis` (analysis/file.py), which owns this recorder."""

    def __init__(self, ctx) -> None:
        self.ctx = ctx
        names = {info.name for info in ctx.index.functions}
        self.local_function_names = frozenset(names)
        # `request.state.user = ...` (a middleware keeping something for the request's handlers):
        # attribute -> the values stored, with where
        self.state_stores: dict[str, list[tuple[cst.BaseExpression, Point]]] = {}

    def _bind(self, frame: Frame, binding: Binding) -> None:
        frame.bind(binding, self.ctx.state.statement)

    def bind_params(self, frame: Frame) -> None:
        node = frame.node
        params = node.params  # type: ignore[union-attr]
        handler = frame.handler
        infos = {p.name: p for p in handler.params} if handler else {}
        point = frame.point()
        for p in list(params.posonly_params) + list(params.params) + list(params.kwonly_params) + [
                params.star_arg, params.star_kwarg]:
            if not isinstance(p, cst.Param):
                continue
            name = p.name.value
            self._bind(frame, Binding(name, PARAM, p, point, param=infos.get(name)))

    def bind_target(self, target: cst.BaseExpression, kind: str, value: cst.CSTNode | None,
                    index: tuple[int, ...] = (), scope: cst.CSTNode | None = None) -> None:
        frame = self.ctx.state.frame
        if isinstance(target, cst.Name):
            self._bind(frame, Binding(target.value, kind, value, frame.point(), index=index, scope=scope))
        elif isinstance(target, (cst.Tuple, cst.List)):
            for i, el in enumerate(target.elements):
                inner = el.value
                if isinstance(inner, cst.StarredElement):
                    for name in target_names(inner.value):
                        self._bind(frame, Binding(name.value, kind, value, frame.point(), index=index, scope=scope))
                else:
                    self.bind_target(inner, kind, value, index + (i,), scope)
        elif isinstance(target, cst.StarredElement):
            self.bind_target(target.value, kind, value, index, scope)

    def bind_opaque(self, name: str, node: cst.CSTNode) -> None:
        frame = self.ctx.state.frame
        self._bind(frame, Binding(name, OPAQUE, node, frame.point()))

    def assign(self, node: cst.Assign) -> None:
        for t in node.targets:
            self.bind_target(t.target, ASSIGN, node.value)

    def ann_assign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self.bind_target(node.target, ASSIGN, node.value)

    def aug_assign(self, node: cst.AugAssign) -> None:
        if isinstance(node.target, cst.Name):
            frame = self.ctx.state.frame
            self._bind(frame, Binding(node.target.value, AUG, node, frame.point()))

    def named_expr(self, node: cst.NamedExpr) -> None:
        self.bind_target(node.target, ASSIGN, node.value)

    def for_target(self, node: cst.For) -> None:
        self.bind_target(node.target, FOR, node.iter)

    def with_item(self, item: cst.WithItem) -> None:
        if item.asname is not None:
            self.bind_target(item.asname.name, WITH, item.item)  # type: ignore[arg-type]

    def comp_for(self, comp: cst.CompFor, scope: cst.CSTNode) -> None:
        self.bind_target(comp.target, COMP, comp.iter, scope=scope)

    def match_case(self, case: cst.MatchCase, subject: cst.BaseExpression) -> None:
        for node in _pattern_names(case.pattern):
            frame = self.ctx.state.frame
            self._bind(frame, Binding(node, MATCH, subject, frame.point()))

    def mutation(self, call: cst.Call) -> None:
        """`xs.append(v)` / `xs.extend(v)` / `d.update(v)` as a statement: xs now holds v."""
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in STORING_METHODS and isinstance(func.value, cst.Name) \
                and call.args:
            frame = self.ctx.state.frame
            self._bind(frame, Binding(func.value.value, MUTATE, call, frame.point()))

    def subscript_store(self, node: cst.Assign) -> None:
        """`d[k] = v`: d now holds v. (And `request.state.x = v`: what a middleware keeps for the
        request's handlers, read back as `<request>.state.x`.)"""
        for t in node.targets:
            target = t.target
            if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Attribute) and \
                    target.value.attr.value == "state":
                frame = self.ctx.state.frame
                self.state_stores.setdefault(target.attr.value, []).append((node.value, frame.point()))
            if isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name):
                frame = self.ctx.state.frame
                self._bind(frame, Binding(target.value.value, MUTATE, node.value, frame.point()))

    def returned(self, node: cst.Return) -> None:
        if node.value is not None:
            frame = self.ctx.state.frame
            frame.returns.append((node.value, frame.point()))

    def call(self, node: cst.Call) -> None:
        func = node.func
        dispatched = _dispatched(node, self.ctx.imports.resolve, self.ctx.knowledge.thread_dispatch)
        if dispatched is not None:
            func = dispatched[0]  # `asyncio.to_thread(helper, x)` calls helper(x)
        project = getattr(self.ctx, "project", None)
        if project is not None and (self._imported_project(func) or (
                isinstance(func, cst.Attribute) and func.attr.value in project.method_names)):
            frame = self.ctx.state.frame
            frame.project_calls.append((node, frame.point()))  # resolved later (project_target)
        if isinstance(func, cst.Name):
            if func.value not in self.local_function_names:
                return
        elif not (isinstance(func, cst.Attribute) and func.attr.value in self.local_function_names and (
                isinstance(func.value, cst.Name) or isinstance(func.value, cst.Attribute)
                and isinstance(func.value.value, cst.Name) and func.value.value.value == "self")):
            return  # a same-file function, or a method on self, cls or an instance of a same-file class
        frame = self.ctx.state.frame
        frame.local_calls.append((node, frame.point()))

    # -- guards ------------------------------------------------------------------------------
    def if_body(self, node: cst.If) -> None:
        """`if x in ALLOWED:` narrows x inside the body."""
        test = node.test
        if isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and \
                isinstance(test.comparisons[0].operator, cst.In):
            names = [test.left] if isinstance(test.left, cst.Name) else [
                e.value for e in test.left.elements] if isinstance(test.left, cst.Tuple) else []
            for name in names:
                if isinstance(name, cst.Name):
                    self._narrow(name.value, ALL, test.comparisons[0].comparator, node)
            for name in self._host_checked(test.left):
                self._narrow(name, "host", None, node)
        found = _contained(test)  # `if p.is_relative_to(base):`, `if any(str(p).startswith(d) for d in dirs):`
        if found:
            self._narrow(found[0], self._containment(found[1]), None, node)

    def if_done(self, node: cst.If) -> None:
        """`if <x is bad>: raise/return` narrows x after the if."""
        if not terminates(node.body, self.ctx.imports.resolve):
            return
        for name, kind, collection in self._guarded(node.test):
            self._narrow(name, kind, collection, node)

    def for_done(self, node: cst.For) -> None:
        """`for n in ast.walk(tree): if not isinstance(n, ALLOWED): raise` checks every node of
        `tree` (and of the text it was parsed from): sanitizer kind "ast"."""
        if not isinstance(node.target, cst.Name):
            return
        archive = self._members_of(node.iter)
        if archive is not None and self._checks_each(node):
            self._narrow(archive, "path", None, node)  # every member's path checked before extraction
            return
        tree = self._walked_tree(node.iter)
        if tree is None:
            return
        for stmt in node.body.body:
            if isinstance(stmt, cst.If) and terminates(stmt.body, self.ctx.imports.resolve) and \
                    _isinstance_of(stmt.test, node.target.value, negated=True):
                self._narrow_tree(tree, node)
                return

    def _members_of(self, expr: cst.BaseExpression) -> str | None:
        """`for m in tar.getmembers()` (or `.getnames()`, a zip's `.infolist()` / `.namelist()`):
        the archive whose members the loop visits."""
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and not expr.args and \
                expr.func.attr.value in _MEMBER_LISTS and isinstance(expr.func.value, cst.Name):
            return expr.func.value.value
        return None

    def _checks_each(self, loop: cst.For) -> bool:
        """Does the loop's body reject a bad member (`if ...: raise`, or a check helper given
        the member or what it computed from it)?"""
        member = loop.target.value  # type: ignore[attr-defined]
        derived = {member}
        resolve = self.ctx.imports.resolve
        for stmt in loop.body.body:
            if isinstance(stmt, cst.If) and terminates(stmt.body, resolve) and \
                    not isinstance((statements(stmt.body) or [None])[-1], (cst.Continue, cst.Break)):
                return True  # `continue` skips a bad member in this loop, not in a later extractall()
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.Assign) and any(n.value in derived for n in iter_names(small.value)):
                        derived |= {n.value for t in small.targets for n in target_names(t.target)}
                    elif isinstance(small, cst.Expr) and isinstance(small.value, cst.Call) and \
                            any(n.value in derived for a in small.value.args for n in iter_names(a.value)):
                        return True
        return False

    def _walked_tree(self, expr: cst.BaseExpression) -> str | None:
        if isinstance(expr, cst.Call) and len(expr.args) == 1 and self.ctx.imports.resolve(expr.func) == "ast.walk":
            return _root(expr.args[0].value)
        return None

    def _narrow_tree(self, tree: str, node: cst.CSTNode) -> None:
        bindings = self.ctx.state.frame.bindings.get(tree)
        value = bindings[-1].node if bindings and bindings[-1].kind == ASSIGN else None
        self._narrow(tree, "ast", None, node)
        if isinstance(value, cst.Call) and value.args and self.ctx.imports.resolve(value.func) == "ast.parse":
            source = _root(value.args[0].value)
            if source and source != tree:
                self._narrow(source, "ast", None, node)

    def statement_guard(self, expr: cst.BaseExpression) -> None:
        """`p.relative_to(base)` raises unless p is inside base; `validate(x)` may narrow x."""
        if isinstance(expr, cst.Await):
            expr = expr.expression
        if not isinstance(expr, cst.Call):
            return
        self.mutation(expr)
        func = expr.func
        if isinstance(func, cst.Attribute) and func.attr.value == "relative_to":
            name = _root(func.value)
            if name:
                self._narrow(name, self._containment(expr), None, expr)
            return
        if (isinstance(func, cst.Name) and func.value in self.local_function_names) or self._imported_project(func):
            frame = self.ctx.state.frame
            for arg in expr.args:
                if isinstance(arg.value, cst.Name):
                    self._bind(frame, Binding(arg.value.value, CALL_GUARD, expr, frame.point()))

    def _imported_project(self, func: cst.BaseExpression) -> bool:
        """`validate_name(x)` with `validate_name` imported from another module of the project."""
        project = getattr(self.ctx, "project", None)
        if project is None:
            return False
        qual = self.ctx.imports.resolve(func)
        return qual is not None and project.callable_key(qual, self.ctx.path) is not None

    def validation(self, expr: cst.BaseExpression | None) -> None:
        """`Model(**args)`, `Model.model_validate(args)`, `jsonschema.validate(args, schema)`:
        after the statement, `args` has passed schema validation (sanitizer kind "model")."""
        if isinstance(expr, cst.Await):
            expr = expr.expression
        if not isinstance(expr, cst.Call):
            return
        func = expr.func
        validated: cst.BaseExpression | None = None
        qual = self.ctx.imports.resolve(func) or ""
        known = self.ctx.knowledge
        if qual in known.validators or (isinstance(func, cst.Attribute) and func.attr.value in known.validate_methods):
            kw = next((a for a in expr.args if a.keyword is not None and a.keyword.value == "instance"), None)
            positional = [a for a in expr.args if a.keyword is None and not a.star]
            validated = kw.value if kw is not None else positional[0].value if positional else None
        elif isinstance(func, cst.Name) and func.value[:1].isupper() and qual == "":
            validated = next((a.value for a in expr.args if a.star == "**"), None)
        while isinstance(validated, cst.BooleanOperation):  # `params.arguments or {}`
            validated = validated.left
        name = _root(validated) if validated is not None else None
        if name:
            self._narrow(name, "model", None, expr)

    def _host_checked(self, left: cst.BaseExpression) -> list[str]:
        """`urlparse(url).hostname in ALLOWED` (or `parsed.netloc` after `parsed = urlparse(url)`):
        the names whose host an allow-list test checks (sanitizer kind "host")."""
        if not (isinstance(left, cst.Attribute) and left.attr.value in _HOST_ATTRS):
            return []
        name = _root(left.value)
        if not name:
            return []
        out = [name]
        bindings = self.ctx.state.frame.bindings.get(name)
        if bindings and bindings[-1].kind == ASSIGN and isinstance(bindings[-1].node, cst.Call) and \
                bindings[-1].node.args:
            source = _root(bindings[-1].node.args[0].value)
            if source and source != name:
                out.append(source)
        return out

    def _containment(self, check: cst.Call) -> str:
        """What `p.startswith(base)`, `p.is_relative_to(base)` or `p.relative_to(base)` proves.
        These compare text (or path parts) as written: `/srv/data/../../etc` starts with
        `/srv/data`, and `/srv/database` starts with `/srv/data`. Only when `p` was normalised
        first (`realpath`, `abspath`, `normpath`, `Path.resolve()`) and, for a string prefix, the
        prefix ends with a separator (`base + os.sep`) is `p` inside base: sanitizer kind "path".
        Otherwise the test only proves that `p` starts with the prefix: "prefix" (enough for a URL's
        host or for an argument that must not start with a dash, not for containment)."""
        func = check.func
        if not isinstance(func, cst.Attribute) or not self._normalised(func.value, 0):
            return "prefix"
        if func.attr.value == "startswith" and not (check.args and self._ends_with_separator(check.args[0].value, 0)):
            return "prefix"
        return "path"

    def _last_binding(self, name: str) -> Binding | cst.BaseExpression | None:
        """The binding `name` last got in the function walked so far (or its only module-level value)."""
        for b in reversed(self.ctx.state.frame.bindings.get(name, ())):
            if b.kind not in (NARROW, CALL_GUARD):
                return b
        values = self.ctx.index.module_bindings.get(name) or ()
        return values[0] if len(values) == 1 else None

    def _last_value(self, name: str) -> cst.BaseExpression | None:
        b = self._last_binding(name)
        if isinstance(b, Binding):
            return b.node if b.kind == ASSIGN and not b.index and isinstance(b.node, cst.BaseExpression) else None
        return b

    def _normalised(self, expr: cst.BaseExpression, depth: int) -> bool:
        resolve = self.ctx.imports.resolve
        while depth < 8:
            depth += 1
            if isinstance(expr, cst.Await):
                expr = expr.expression
            elif isinstance(expr, cst.Call):
                qual = resolve(expr.func) or ""
                if qual in self.ctx.knowledge.path_normalisers or isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "resolve":
                    return True
                if qual in self.ctx.knowledge.path_wrappers and expr.args:
                    expr = expr.args[0].value
                elif isinstance(expr.func, cst.Attribute) and expr.func.attr.value in ("lower", "casefold", "as_posix"):
                    expr = expr.func.value
                else:
                    return False
            elif isinstance(expr, cst.Name):
                b = self._last_binding(expr.value)
                if isinstance(b, Binding) and b.kind == PARAM:
                    # a helper's parameter: whether its callers normalise it is theirs to say
                    return self.ctx.state.frame.handler is None
                value = self._last_value(expr.value)
                if value is None:
                    return False
                expr = value
            else:
                return False
        return False

    def _ends_with_separator(self, expr: cst.BaseExpression, depth: int) -> bool:
        """`base + os.sep`, `f"{base}/"`, `os.path.join(base, "")`, `"/srv/data/"` (more than a
        separator: `startswith("/")` is a test for an absolute path), or a tuple of such."""
        if depth > 6:
            return False
        text = string_value(expr)
        if text is not None:
            return text.endswith(("/", "\\")) and bool(text.rstrip("/\\"))
        if isinstance(expr, (cst.Tuple, cst.List)):
            return bool(expr.elements) and all(self._ends_with_separator(e.value, depth + 1) for e in expr.elements)
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
            return self._is_separator(expr.right) or self._ends_with_separator(expr.right, depth + 1)
        if isinstance(expr, cst.FormattedString) and len(expr.parts) > 1:
            last = expr.parts[-1]
            return isinstance(last, cst.FormattedStringText) and last.value.endswith(("/", "\\")) or \
                isinstance(last, cst.FormattedStringExpression) and self._is_separator(last.expression)
        if isinstance(expr, cst.ConcatenatedString):
            return self._ends_with_separator(expr.right, depth + 1)
        if isinstance(expr, cst.Call) and (self.ctx.imports.resolve(expr.func) or "").endswith("path.join") and \
                len(expr.args) >= 2:
            return string_value(expr.args[-1].value) == ""
        if isinstance(expr, cst.Name):
            value = self._last_value(expr.value)
            return value is not None and self._ends_with_separator(value, depth + 1)
        return False

    def _is_separator(self, expr: cst.BaseExpression) -> bool:
        return string_value(expr) in ("/", "\\") or self.ctx.imports.resolve(expr) in ("os.sep", "os.path.sep",
                                                                                      "os.altsep")

    def _narrow(self, name: str, kind: str, collection: cst.CSTNode | None, node: cst.CSTNode) -> None:
        frame = self.ctx.state.frame
        self._bind(frame, Binding(name, NARROW, collection if collection is not None else node, frame.point(),
                           sanitizer=kind))
        if kind == "path":
            # `resolved = Path(p).resolve()` checked inside a base: the file `p` names is inside too
            source = self._normalised_from(name)
            if source is not None and source != name:
                self._bind(frame, Binding(source, NARROW, node, frame.point(), sanitizer=kind))

    def _normalised_from(self, name: str) -> str | None:
        """The name whose normal form `name` was last assigned (`real = os.path.realpath(p)`,
        `resolved = Path(p).resolve()`): p; None otherwise."""
        expr = self._last_value(name)
        resolve = self.ctx.imports.resolve
        normalised = False
        for _ in range(8):
            if isinstance(expr, cst.Await):
                expr = expr.expression
            elif isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and \
                    expr.func.attr.value == "resolve" and not expr.args:
                normalised, expr = True, expr.func.value
            elif isinstance(expr, cst.Call) and len(expr.args) == 1 and expr.args[0].keyword is None and \
                    not expr.args[0].star:
                qual = resolve(expr.func) or ""
                if qual in self.ctx.knowledge.path_normalisers:
                    normalised, expr = True, expr.args[0].value
                elif qual in self.ctx.knowledge.path_wrappers:
                    expr = expr.args[0].value
                else:
                    return None
            elif isinstance(expr, cst.Name):
                return expr.value if normalised else None
            else:
                return None
        return None

    def _predicate_guard(self, call: cst.Call) -> list[tuple[str, str, cst.CSTNode | None]]:
        """`if not is_valid_name(name): return`: a function of this file whose body returns a
        check of its only argument (`return name.isidentifier()`, `return bool(ID.fullmatch(v))`,
        `return re.fullmatch(P, v) is not None`) rules out what that check rules out."""
        if not isinstance(call.func, cst.Name) or len(call.args) != 1 or call.args[0].keyword is not None or \
                call.args[0].star:
            return []
        fn = self.ctx.index.module_functions.get(call.func.value)
        argument = _root(call.args[0].value)
        if fn is None or not argument or fn.asynchronous is not None:
            return []
        params = fn.params.params
        if len(params) != 1 or isinstance(fn.params.star_arg, (cst.Param, cst.ParamStar)) or fn.params.kwonly_params:
            return []
        body = [s for s in statements(fn.body) if not (isinstance(s, cst.Expr) and string_value(s.value) is not None)]
        if len(body) != 1 or not isinstance(body[0], cst.Return) or body[0].value is None:
            return []
        check = body[0].value
        if isinstance(check, cst.Call) and (dotted(check.func) or "") == "bool" and len(check.args) == 1:
            check = check.args[0].value
        if isinstance(check, cst.Comparison) and len(check.comparisons) == 1 and \
                isinstance(check.comparisons[0].operator, cst.IsNot) and _is_none(check.comparisons[0].comparator):
            check = check.left
        if not isinstance(check, cst.Call) or isinstance(check.func, cst.Name) and \
                check.func.value in self.ctx.index.module_functions:
            return []  # one level: a predicate of predicates (maybe of itself) is not followed
        param = params[0].name.value
        found = self._guarded(cst.UnaryOperation(operator=cst.Not(), expression=check))
        return [(argument, kind, collection) for name, kind, collection in found if name == param]

    def _regex_guard(self, call: cst.Call, negated: bool) -> list[tuple[str, str, cst.CSTNode | None]] | None:
        """`not re.fullmatch(P, x)` / `not PAT.match(x)` (x is one of the values P matches
        whole), or `re.search(r"[^A-Za-z0-9_]", x)` / `PAT.search(x)` (x holds nothing outside the
        class), as the test of a terminating `if`: the sanitizer kinds the pattern earns x (a
        pattern that is not written in the code earns "pattern", as a pattern field does).
        None: not a regular-expression test."""
        found = _regex_call(call, self.ctx.imports.resolve, self._compiled)
        if found is None:
            return None
        mode, pattern, flags, subject = found
        name = _root(subject)
        if not name:
            return []
        if pattern is None:
            return [(name, "pattern", None)] if negated and mode != "search" else []
        if negated:
            whole = whole_match(pattern, flags, mode, need_end=False)
        elif mode == "search":
            whole = only_class(pattern, flags)
        else:
            return []
        if whole is None:
            return []
        return [(name, kind, None) for kind in restricted_kinds(whole.allows, whole.starts, whole.matches)]

    def _compiled(self, name: str) -> tuple[str | None, int | None] | None:
        """The pattern and flags of `PAT` bound to `re.compile(P, flags)` (at module level, or the
        one binding reaching here)."""
        frame = self.ctx.state.frame
        bindings = frame.bindings.get(name) or []
        values = [b.node for b in bindings if b.kind == ASSIGN and not b.index]
        if not values:
            values = list(self.ctx.index.module_bindings.get(name) or ())
        if len(values) != 1 or not isinstance(values[0], cst.Call):
            return None
        call = values[0]
        if self.ctx.imports.resolve(call.func) != "re.compile" or not call.args:
            return None
        return _pattern_of(call.args[0].value, self.ctx), (
            _regex_flags(call.args[1].value, self.ctx.imports.resolve) if len(call.args) > 1 else 0)

    def _address_sources(self, expr: cst.BaseExpression, depth: int) -> list[str]:
        """The names an address was computed from: `ip` in `ip = ip_address(gethostbyname(host))`,
        then `host`, then `url` in `host = urlparse(url).hostname`."""
        if depth > 16:
            return []
        if isinstance(expr, cst.Name):
            out = [expr.value]
            bindings = self.ctx.state.frame.bindings.get(expr.value) or []
            if bindings and bindings[-1].kind == ASSIGN and not bindings[-1].index and \
                    isinstance(bindings[-1].node, cst.BaseExpression):
                out += [n for n in self._address_sources(bindings[-1].node, depth + 1) if n not in out]
            return out
        if isinstance(expr, cst.Attribute):
            return self._address_sources(expr.value, depth + 1)
        if isinstance(expr, cst.BooleanOperation):  # `urlparse(url).hostname or ""`
            return self._address_sources(expr.left, depth + 1)
        if isinstance(expr, cst.Subscript):
            return self._address_sources(expr.value, depth + 1)
        if isinstance(expr, cst.Call):
            if self.ctx.imports.resolve(expr.func) is not None or isinstance(expr.func, cst.Name):
                return self._address_sources(expr.args[0].value, depth + 1) if expr.args else []
            if isinstance(expr.func, cst.Attribute):
                return self._address_sources(expr.func.value, depth + 1)
        return []

    def _lookup_guard(self, expr: cst.BaseExpression) -> tuple[str, str, cst.CSTNode | None] | None:
        """`table.get(x)` where a missing key ends the function: x is one of the table's keys."""
        if not (isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "get"
                and len(expr.args) == 1 and isinstance(expr.args[0].value, cst.Name)):
            return None
        return expr.args[0].value.value, ALL, expr.func.value

    def _guarded(self, test: cst.BaseExpression) -> list[tuple[str, str, cst.CSTNode | None]]:
        """Names that a terminating `if test:` body rules out bad values of."""
        out: list[tuple[str, str, cst.CSTNode | None]] = []
        if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.Or):
            return self._guarded(test.left) + self._guarded(test.right)
        negated = isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not)
        inner = test.expression if negated else test  # type: ignore[union-attr]
        if isinstance(inner, cst.Call):
            checked = self._regex_guard(inner, negated)
            if checked is not None:
                return checked
        if isinstance(inner, cst.Attribute) and (inner.attr.value in _NON_PUBLIC_ADDRESS and not negated or
                                                 inner.attr.value == "is_global" and negated):
            # `if ip.is_private: raise` / `if not ipaddress.ip_address(host).is_global: raise`: the
            # address (and the host and URL it was resolved from) is a public one
            return [(name, "host", None) for name in self._address_sources(inner.value, 0)]
        if isinstance(inner, cst.Comparison) and len(inner.comparisons) == 1 and \
                isinstance(inner.comparisons[0].operator, (cst.Is, cst.Equal)) and \
                _is_none(inner.comparisons[0].comparator) and not negated:
            found = self._lookup_guard(inner.left)  # `if HANDLERS.get(name) is None: raise`
            if found is not None:
                return [found]
        if isinstance(inner, cst.Call) and negated:
            found = self._lookup_guard(inner)  # `if not self.configs.get(name): raise`
            if found is not None:
                return [found]
            predicate = self._predicate_guard(inner)
            if predicate:
                return predicate
        if isinstance(inner, cst.Comparison) and len(inner.comparisons) == 1:
            op = inner.comparisons[0].operator
            right = inner.comparisons[0].comparator
            if (isinstance(op, cst.NotIn) and not negated) or (isinstance(op, cst.In) and negated):
                if isinstance(right, cst.Attribute) and right.attr.value == "parents":
                    name = _root(right.value)  # `base not in p.parents`: p is inside base
                    if name:
                        out.append((name, "path", None))
                elif isinstance(inner.left, cst.Subscript) and isinstance(inner.left.value, cst.Name) and \
                        _first_index(inner.left):  # `argv[0] not in ALLOWED`: the program is one of a set
                    out.append((inner.left.value.value, "program", right))
                elif self._host_checked(inner.left):
                    out.extend((name, "host", None) for name in self._host_checked(inner.left))
                elif isinstance(inner.left, cst.Name):
                    out.append((inner.left.value, ALL, right))
                elif isinstance(inner.left, cst.Tuple):  # `(schema, table) not in VALID`
                    for el in inner.left.elements:
                        if isinstance(el.value, cst.Name):
                            out.append((el.value.value, ALL, right))
            elif isinstance(op, cst.NotEqual) and isinstance(inner.left, cst.Call) and \
                    (dotted(inner.left.func) or "").endswith("commonpath"):
                for name in _names_in_args(inner.left):
                    out.append((name, "path", None))
            return out
        if not isinstance(inner, cst.Call) or not isinstance(inner.func, cst.Attribute):
            if negated and isinstance(inner, cst.Call) and isinstance(inner.func, cst.Name) and \
                    inner.func.value in ("any", "all"):
                found = _contained(inner)
                if found:
                    out.append((found[0], self._containment(found[1]), None))
                gen = inner.args[0].value if len(inner.args) == 1 else None
                if inner.func.value == "all" and isinstance(gen, cst.GeneratorExp) and gen.for_in.inner_for_in is None \
                        and isinstance(gen.for_in.target, cst.Name) and \
                        _isinstance_of(gen.elt, gen.for_in.target.value, negated=False):
                    tree = self._walked_tree(gen.for_in.iter)  # `all(isinstance(n, OK) for n in ast.walk(t))`
                    if tree:
                        self._narrow_tree(tree, test)
            return out
        method = inner.func.attr.value
        if negated and method in _PATH_CHECK_METHODS or negated and method == "startswith" and \
                _root(inner.func.value) and not _starts_with_dash(inner):
            name = _root(inner.func.value)
            if name:
                out.append((name, self._containment(inner), None))
        elif negated and method in _PATTERN_METHODS:
            name = _root(inner.func.value)
            if name:
                if method == "isidentifier":  # letters, digits and `_`, not starting with a digit
                    out.extend((name, kind, None) for kind in _IDENTIFIER_KINDS)
                else:
                    out.append((name, ALL, None))
        elif not negated and method == "startswith" and _starts_with_dash(inner):
            name = _root(inner.func.value)
            if name:
                out.append((name, "option", None))
        elif not negated and method == "startswith" and _starts_with_underscore(inner):
            name = _root(inner.func.value)  # `if name.startswith("_"): raise`: no private or dunder name
            if name:
                out.append((name, "attribute", None))
        return out


def _text_pieces(expr: cst.BaseExpression) -> list:
    """The literal text (str) and values (expressions) an f-string or a `+` chain of text is
    made of, in order."""
    out: list = []
    stack = [expr]
    while stack:
        e = stack.pop()
        if isinstance(e, cst.FormattedString):
            for part in reversed(e.parts):
                stack.append(part)  # type: ignore[arg-type]
        elif isinstance(e, cst.FormattedStringText):
            out.append(e.value)
        elif isinstance(e, cst.FormattedStringExpression):
            out.append(e.expression)
        elif isinstance(e, cst.ConcatenatedString):
            stack.extend((e.right, e.left))
        elif isinstance(e, cst.BinaryOperation) and isinstance(e.operator, cst.Add):
            stack.extend((e.right, e.left))
        else:
            text = string_value(e)
            out.append(text if text is not None else e)
    return out


_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,10}$")


def _in_file_name(pieces: list, i: int, constant: set[int]) -> bool:
    """Is value `i` inside a file name whose text the code fixes on both sides: literal text
    right before it in the same path component (`report-`), and the component ending with a
    literal extension (`.html`, or `.` and a known-safe value: `.{suffix}`)? `base / f"report-{x}.html"` can only leave `base` through a
    directory whose name starts with `report-`: `..` must be a whole component, a leading `/`
    the first character (pathlib and the OS resolve each component in turn). Names made to this
    pattern are the server's files, not directories. A prefix of dots or `~` (which complete
    `..` or a home directory) or a lone letter (a Windows drive, `C` + `:/x`) fixes nothing."""
    before = pieces[i - 1] if i > 0 else None
    if not isinstance(before, str):
        return False
    component = re.split(r"[/\\]", before)[-1]
    if not component.strip(".~") or len(component) == 1 and component.isalpha() and component == before:
        return False
    after = pieces[i + 1:]
    last = len(pieces) - 1
    extension = isinstance(pieces[last], str) and bool(_EXTENSION.search(pieces[last])) or \
        last in constant and last - 1 > i and isinstance(pieces[last - 1], str) and pieces[last - 1].endswith(".")
    if not after or not extension:
        return False
    return not any(isinstance(p, str) and ("/" in p or "\\" in p) for p in after)


_SCRIPT_FLAG = re.compile(r"(?:^|\s)(?:-[A-Za-z]*c|/[cCkK]|-Command|-command)\s+$")
_SHELL_WORD = re.compile(r"(?:^|[\s;&|(/])(?:sh|bash|zsh|dash|ksh|fish|ash|csh|tcsh|cmd|cmd\.exe|powershell|"
                         r"powershell\.exe|pwsh|python|python3)\s+\S*\s*$")


def _shell_script(pieces: list, i: int) -> bool:
    """Is value `i` of a command line the script of a shell (`bash -c {x}`, `{shell} -lc {x}`)?
    Quoting it for the outer shell makes it one word, which the inner shell then runs."""
    before = pieces[i - 1] if i > 0 else None
    if not isinstance(before, str) or not _SCRIPT_FLAG.search(before):
        return False
    flag_at = _SCRIPT_FLAG.search(before).start()  # type: ignore[union-attr]
    words = before[:flag_at]
    if words.strip():
        return bool(_SHELL_WORD.search(before))
    program = pieces[i - 2] if i > 1 else None  # `f"{shell} -c {x}"`: a value named for a shell
    name = program.attr.value if isinstance(program, cst.Attribute) else \
        program.value if isinstance(program, cst.Name) else ""
    return "shell" in name.lower()


def _memberships(test: cst.BaseExpression) -> list[tuple[str, cst.BaseExpression]]:
    """`k in ALLOWED` (also as a conjunct of `and`): (name, collection) pairs."""
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        return _memberships(test.left) + _memberships(test.right)
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and \
            isinstance(test.comparisons[0].operator, cst.In) and isinstance(test.left, cst.Name):
        return [(test.left.value, test.comparisons[0].comparator)]
    return []


def _first_index(sub: cst.Subscript) -> bool:
    return len(sub.slice) == 1 and isinstance(sub.slice[0].slice, cst.Index) and \
        isinstance(sub.slice[0].slice.value, cst.Integer) and sub.slice[0].slice.value.value == "0"


def _isinstance_of(test: cst.BaseExpression, name: str, negated: bool) -> bool:
    """`isinstance(name, ...)` (or `not isinstance(name, ...)` when negated)."""
    if negated:
        if not (isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not)):
            return False
        test = test.expression
    return isinstance(test, cst.Call) and isinstance(test.func, cst.Name) and test.func.value == "isinstance" and \
        len(test.args) == 2 and isinstance(test.args[0].value, cst.Name) and test.args[0].value.value == name


def _contained(test: cst.BaseExpression) -> tuple[str, cst.Call] | None:
    """The path a containment test is about, and the test: `p` in `p.is_relative_to(base)`,
    `str(p).startswith(base)`, `any(p.is_relative_to(d) for d in allowed)`."""
    if not isinstance(test, cst.Call):
        return None
    func = test.func
    if isinstance(func, cst.Name) and func.value in ("any", "all") and len(test.args) == 1 and \
            isinstance(test.args[0].value, (cst.GeneratorExp, cst.ListComp)):
        return _contained(test.args[0].value.elt)
    if isinstance(func, cst.Attribute) and (func.attr.value in _PATH_CHECK_METHODS or
                                            func.attr.value == "startswith" and not _starts_with_dash(test)):
        name = _root(func.value)
        return (name, test) if name else None
    return None


def _starts_with_dash(call: cst.Call) -> bool:
    if not call.args:
        return False
    value = call.args[0].value
    if isinstance(value, cst.Tuple):
        return any(string_value(e.value) == "-" for e in value.elements)
    return string_value(value) == "-"


_REGEX_FUNCTIONS = {"re.fullmatch": "fullmatch", "re.match": "match", "re.search": "search"}
_REGEX_FLAGS = {"re.I": re.I, "re.IGNORECASE": re.I, "re.A": re.A, "re.ASCII": re.A, "re.M": re.M,
                "re.MULTILINE": re.M, "re.S": re.S, "re.DOTALL": re.S, "re.X": re.X, "re.VERBOSE": re.X,
                "re.U": re.U, "re.UNICODE": re.U}
# What `str.isidentifier()` leaves: letters, digits and `_`, not a digit first (so not `-` first).
_IDENTIFIER_KINDS = frozenset({"pattern", "sql", "shell", "path", "html", "option"})


def _regex_call(call: cst.Call, resolve, compiled) -> tuple[str, str | None, int, cst.BaseExpression] | None:
    """(mode, pattern text or None when not written here, flags, subject) of `re.<mode>(P, x)`
    or `PAT.<mode>(x)` for a `PAT = re.compile(P)`; None for any other call."""
    func = call.func
    qual = resolve(func)
    mode = _REGEX_FUNCTIONS.get(qual or "")
    if mode is not None:
        if len(call.args) < 2:
            return None
        flags = _regex_flags(call.args[2].value, resolve) if len(call.args) > 2 else 0
        pattern = string_value(call.args[0].value)
        if flags is None:
            pattern = None
        return mode, pattern, flags or 0, call.args[1].value
    if isinstance(func, cst.Attribute) and func.attr.value in ("fullmatch", "match", "search") and \
            isinstance(func.value, cst.Name) and call.args and qual is None:
        found = compiled(func.value.value)
        if found is None:
            return None
        pattern, flags = found
        return func.attr.value, pattern if flags is not None else None, flags or 0, call.args[0].value
    return None


def _pattern_of(expr: cst.BaseExpression, ctx) -> str | None:
    text = string_value(expr)
    if text is None and isinstance(expr, cst.Name):
        values = ctx.index.module_bindings.get(expr.value) or ()
        if len(values) == 1 and values[0] is not None:
            text = string_value(values[0])
    return text


def _regex_flags(expr: cst.BaseExpression, resolve) -> int | None:
    """`re.I | re.M` -> the flags; None when not written as flags."""
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.BitOr):
        left, right = _regex_flags(expr.left, resolve), _regex_flags(expr.right, resolve)
        return None if left is None or right is None else left | right
    if isinstance(expr, cst.Integer):
        return int(expr.value, 0)
    return _REGEX_FLAGS.get(resolve(expr) or "")


# Methods listing an archive's members (tarfile, zipfile).
_MEMBER_LISTS = frozenset({"getmembers", "getnames", "infolist", "namelist"})
# `ipaddress` properties that mark an address a server must not be sent to (the SSRF guard).
_NON_PUBLIC_ADDRESS = frozenset({"is_private", "is_loopback", "is_link_local", "is_reserved", "is_multicast",
                                 "is_unspecified", "is_site_local"})
# SQL identifier quoting: the quote that opens, the one that closes (and is doubled inside).
_IDENTIFIER_QUOTES = {'"': '"', "`": "`", "[": "]"}


def _doubles_quote(expr: cst.BaseExpression) -> str | None:
    """`x.replace('"', '""')`: the quote character a value is escaped for (None: not such a call)."""
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "replace" \
            and len(expr.args) == 2:
        old, new = string_value(expr.args[0].value), string_value(expr.args[1].value)
        if old is not None and len(old) == 1 and new == old * 2 and old in _IDENTIFIER_QUOTES.values():
            return old
    return None


def _quoted_identifier(expr: cst.BaseExpression, before: str | None, after: str | None) -> bool:
    """Is `expr` an identifier escaped for its quotes and written between them?"""
    close = _doubles_quote(expr)
    if close is None or before is None or after is None:
        return False
    return any(before.endswith(o) and after.startswith(c) and c == close for o, c in _IDENTIFIER_QUOTES.items())


def _added(expr: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The operands of `a + b + c`, left to right."""
    out: list[cst.BaseExpression] = []
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
            stack.append(node.right)
            stack.append(node.left)
        else:
            out.append(node)
    return out


def _is_none(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "None"


def _starts_with_underscore(call: cst.Call) -> bool:
    if not call.args:
        return False
    value = call.args[0].value
    values = [e.value for e in value.elements] if isinstance(value, cst.Tuple) else [value]
    return any(string_value(v) == "_" for v in values)


def _root(expr: cst.BaseExpression) -> str | None:
    """The variable a checked expression is about: `p` in `str(p.resolve())`."""
    while True:
        if isinstance(expr, cst.Name):
            return expr.value
        if isinstance(expr, cst.Attribute):
            expr = expr.value
        elif isinstance(expr, cst.Call):
            if isinstance(expr.func, cst.Attribute):
                expr = expr.func.value
            elif expr.args:
                expr = expr.args[0].value
            else:
                return None
        elif isinstance(expr, cst.Subscript):
            expr = expr.value
        else:
            return None


def _names_in_args(call: cst.Call) -> list[str]:
    out = []
    for arg in call.args:
        value = arg.value
        elements = value.elements if isinstance(value, (cst.List, cst.Tuple)) else [arg]
        for el in elements:
            name = _root(el.value)
            if name:
                out.append(name)
    return out


def _pattern_names(pattern: cst.MatchPattern) -> list[str]:
    out: list[str] = []
    stack: list[cst.CSTNode] = [pattern]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.MatchAs) and node.name is not None:
            out.append(node.name.value)
        elif isinstance(node, cst.MatchStar) and node.name is not None:
            out.append(node.name.value)
        elif isinstance(node, cst.MatchMapping) and node.rest is not None:
            out.append(node.rest.value)
        stack.extend(c for c in node.children if isinstance(c, cst.CSTNode))
    return out


# ---------------------------------------------------------------------------------------------
# Evaluation (lazy)
# ---------------------------------------------------------------------------------------------

_DOMINATES, _REACHES, _EXCLUSIVE = 0, 1, 2


class Flows:
    """Answers "where does this value come from?" for primitives.

    `ctx` is the file's `FileAnalysis` (analysis/file.py), which owns these flows."""

    def __init__(self, ctx) -> None:
        self.ctx = ctx
        self.index = ctx.index
        self.imports = ctx.imports
        self.known = ctx.knowledge  # library facts (model/knowledge.py)
        self._state_flows: dict[tuple[str, str], Flow] = {}
        self.frames: dict[cst.CSTNode, Frame] = {}
        self._memo: dict[int, Flow] = {}
        self._branch: dict[tuple[int, int], bool] = {}
        self._returns: dict[cst.CSTNode, Flow] = {}
        self._narrows: dict[cst.CSTNode, dict[str, frozenset[str]]] = {}
        self._project_targets: dict[int, str | None] = {}
        self._callers: dict[cst.CSTNode, list[tuple[cst.Call, Point]]] | None = None
        self._in_progress: set[int] = set()
        self._depth = 0
        self._entry: frozenset[cst.CSTNode] | None = None
        # helper parameter -> what the file's callers pass for it (None: no caller)
        self._params: dict[tuple[cst.CSTNode, str], Flow | None] = {}
        self._resolving: set[tuple[cst.CSTNode, str]] = set()
        self._handed_over: dict[cst.CSTNode, bool] = {}
        self._keys_memo: dict[int, Flow | None] = {}
        # (frame, name) -> the binding that stands for definitions past MAX_REACHING (kept
        # alive here: memo tables are keyed by the binding's id)
        self._cuts: dict[tuple[int, str], Binding] = {}
        # Answers that met the depth bound hold only for the question being asked: they live in
        # `_partial` until it is answered. `_deep` lists what was left unanswered, `_cut_count`
        # tells a computation whether anything it used met the bound.
        self._asking = False
        self._partial: dict[object, Flow | None] = {}
        self._deep: list[tuple[str, object]] = []
        self._cut_count = 0

    # -- public API ---------------------------------------------------------------------------
    def of(self, expr: cst.BaseExpression, point: Point) -> Flow:
        """The origins of `expr` evaluated at `point` (parameters of helpers unresolved)."""
        return self._ask(lambda: self._expr(expr, point, None))

    def resolved(self, expr: cst.BaseExpression, point: Point) -> Flow:
        """Origins with helper parameters replaced by what the file's callers pass."""
        return self._ask(lambda: self._resolve(self._expr(expr, point, None)))

    def _ask(self, compute) -> Flow:
        """Answer one question. Values deeper than MAX_DEPTH are answered first, deepest first,
        each as a question of its own (then memoised), and the question is asked again."""
        if self._asking:
            return compute()
        self._asking = True
        try:
            pending: list[tuple[str, object] | None] = [None]
            restarts = 0
            while True:
                self._deep = []
                self._partial.clear()
                top = pending[-1]
                flow = compute() if top is None else self._answer(top)
                if not self._deep or restarts >= MAX_RESTARTS:
                    if top is None:
                        return flow  # cut origins, if any, say where the analysis stopped
                    pending.pop()
                    continue
                restarts += 1
                pending.append(self._deep[-1])
        finally:
            self._asking = False
            self._deep = []
            self._partial.clear()

    def _answer(self, item: tuple[str, object]) -> Flow:
        kind, what = item
        if kind == "binding":
            return self._binding(what)  # type: ignore[arg-type]
        if kind == "returns":
            return self.returns_of(what)  # type: ignore[arg-type]
        fn, param = what  # type: ignore[misc]
        return self._passed(fn, param) or EMPTY

    def _too_deep(self, item: tuple[str, object], what: str, node: cst.CSTNode | None) -> Flow:
        self._deep.append(item)
        self._cut_count += 1
        return self._cut(what, node, "depth")

    def is_known_safe(self, expr: cst.BaseExpression, point: Point,
                      accepted: frozenset[str] = frozenset()) -> bool:
        return not unsafe_origins(self.resolved(expr, point), accepted)

    def resolve(self, flow: Flow) -> Flow:
        """`flow` with helper parameters replaced by what the file's callers pass."""
        return self._ask(lambda: self._resolve(flow))

    def _resolve(self, flow: Flow) -> Flow:
        if not any(o.kind == PARAM_ORIGIN for o in flow):
            return flow
        out: list[Flow] = []
        for origin in flow:
            if origin.kind != PARAM_ORIGIN:
                out.append((origin,))
                continue
            passed = self._passed(origin.function, origin.param)
            if passed is None:  # no caller in this file (or a recursive call being resolved)
                if origin.function in self.entry_functions and not self.callers(origin.function):
                    # the function that starts the server takes configuration, not requests
                    out.append((Origin(OPAQUE_ORIGIN, origin.label, origin.node),))
                else:
                    out.append((origin,))
                continue
            if not origin.sanitizers and not origin.steps:
                out.append(passed)
            else:
                out.append(tuple(replace(a, sanitizers=a.sanitizers | origin.sanitizers,
                                         steps=join_steps(a.steps, origin.steps)) for a in passed))
        return union(*out) if out else EMPTY

    def _passed(self, fn: cst.CSTNode | None, param: str) -> Flow | None:
        """What the file's callers pass for parameter `param` of `fn`, resolved in turn (once
        per parameter); None when nothing calls `fn` or the question is already being asked."""
        key = (fn, param)
        if key in self._params:
            return self._params[key]
        if key in self._partial:
            self._cut_count += 1
            return self._partial[key]
        if key in self._resolving:
            return None
        sites = self.callers(fn)
        default = self._callback_default(fn, param) if not sites else None
        if not sites and default is None:
            self._params[key] = None
            return None
        if self._depth > MAX_DEPTH:
            return self._too_deep(("param", key), f"`{param}`", fn)
        name = _function_name(fn)
        self._resolving.add(key)
        self._depth += 1
        cuts = self._cut_count
        try:
            out: list[Flow] = []
            passed: list[tuple[cst.BaseExpression | None, Point, cst.CSTNode, str]] = [
                (self._argument_for(fn, call, param), point, call, f"passed to `{name}()` as `{param}`")
                for call, point in sites]
            if default is not None:  # a callback: it runs with the values its definition captured
                passed.append((default[0], default[1], default[0], f"the default of `{param}` of `{name}()`"))
            for arg, point, node, text in passed:
                if arg is None:
                    continue
                out.append(self._resolve(tuple(a.step(node, text, force=True)
                                               for a in self._expr(arg, point, None))))
            flow = union(*out) if out else EMPTY
        finally:
            self._depth -= 1
            self._resolving.discard(key)
        (self._params if cuts == self._cut_count else self._partial)[key] = flow
        return flow

    def passed_for(self, fn: cst.CSTNode, param: str) -> list[tuple[cst.BaseExpression, Point]]:
        """What each call of `fn` in this file passes for its parameter `param`, and where."""
        out = []
        for call, point in self.callers(fn):
            arg = self._argument_for(fn, call, param)
            if arg is not None:
                out.append((arg, point))
        return out

    def _callback_default(self, fn: cst.CSTNode | None, param: str) -> tuple[cst.BaseExpression, Point] | None:
        """A nested function that its enclosing function only hands over as a callback
        (`run(fetch)`, `Thread(target=fetch)`: the function is the call's only positional
        argument) and never calls: `def fetch(ph=ph)` is the late-binding idiom, the parameter
        keeps the value its default captured where the function was defined. A function also
        given other positional arguments (`map(f, xs)`, `pool.submit(f, x)`) may receive them."""
        frame = self.frames.get(fn) if isinstance(fn, cst.FunctionDef) else None
        if frame is None or frame.defined_at is None or frame.parent is None or \
                not isinstance(frame.parent.node, cst.FunctionDef):
            return None
        p = fn.params  # type: ignore[union-attr]
        default = next((x.default for x in list(p.posonly_params) + list(p.params) + list(p.kwonly_params)
                        if x.name.value == param and x.default is not None), None)
        if default is None or not self._only_handed_over(fn, frame.parent.node):  # type: ignore[arg-type]
            return None
        return default, frame.defined_at

    def _only_handed_over(self, fn: cst.FunctionDef, parent: cst.FunctionDef) -> bool:
        cached = self._handed_over.get(fn)
        if cached is not None:
            return cached
        name = fn.name.value
        uses = handed = 0
        for node in descendants(parent.body):
            if isinstance(node, cst.Name) and node.value == name and node is not fn.name:
                uses += 1
            elif isinstance(node, cst.Call):
                positional = [a for a in node.args if a.keyword is None]
                for a in node.args:
                    if isinstance(a.value, cst.Name) and a.value.value == name and not a.star and (
                            a.keyword is None and len(positional) == 1 or
                            a.keyword is not None and a.keyword.value not in ("args", "kwargs")):
                        handed += 1
        result = self._handed_over[fn] = uses > 0 and uses == handed
        return result

    def _cut(self, what: str, node: cst.CSTNode | None, why: str) -> Flow:
        """A value the analysis stopped following: reported as possible tool input."""
        reason = {"depth": f"a flow of more than {MAX_DEPTH * MAX_RESTARTS} steps",
                  "reaching": f"more than {MAX_REACHING} definitions reach it"}[why]
        return (Origin(TOOL, f"{what} (not followed to its source: {reason})", node or self.ctx.module,
                       cut=True),)

    @property
    def entry_functions(self) -> frozenset[cst.CSTNode]:
        """Functions that start a server (run it on a transport): their parameters are the
        process's configuration."""
        if self._entry is None:
            transport_calls = {id(t.node) for t in self.ctx.model.transports}
            self._entry = frozenset(site.function.node for site in self.index.calls
                                    if id(site.call) in transport_calls and site.function is not None)
        return self._entry

    # -- names and bindings ---------------------------------------------------------------------
    def _relation(self, bpath: tuple, upath: tuple) -> int:
        n = min(len(bpath), len(upath))
        c = 0
        while c < n and bpath[c][0] is upath[c][0] and bpath[c][1] == upath[c][1]:
            c += 1
        if c == len(bpath):
            return _DOMINATES
        node, branch = bpath[c]
        if c < len(upath) and upath[c][0] is node and isinstance(node, (cst.If, cst.Match)):
            return _EXCLUSIVE
        for node, branch in bpath[c:]:
            if not self._branch_dominates(node, branch):
                return _REACHES
        return _DOMINATES

    def _branch_dominates(self, node: cst.CSTNode, branch: int) -> bool:
        key = (id(node), branch)
        cached = self._branch.get(key)
        if cached is not None:
            return cached
        resolve = self.imports.resolve
        result = False
        if isinstance(node, cst.If):
            if branch == 0:
                result = node.orelse is not None and _orelse_terminates(node.orelse, resolve)
            else:
                result = terminates(node.body, resolve)
        elif isinstance(node, (cst.Try, cst.TryStar)):
            result = branch == 0 and all(terminates(h.body, resolve) for h in node.handlers)
        self._branch[key] = result
        return result

    def reaching(self, name: str, point: Point) -> list[Binding]:
        frame = point.frame
        while True:
            found = self._reaching_in(frame, name, point)
            if found:
                return found
            if frame.parent is None or frame.parent is self.ctx.state.module_frame:
                return []
            point = frame.defined_at or frame.parent.point()
            frame = frame.parent

    def _reaching_in(self, frame: Frame, name: str, point: Point) -> list[Binding]:
        bindings = frame.bindings.get(name)
        if not bindings:
            return []
        out: list[Binding] = []
        upath = point.path
        same = frame is point.frame
        k = len(bindings)
        if same:
            # A frame's bindings are in walk order: those made after the point reach it only
            # through a loop both are in, and they come first, right after it.
            k = bisect_left(bindings, point.order, key=_order)
            if k < len(bindings) and _in_loop(upath):
                later = []
                for b in bindings[k:]:
                    if not _same_loop(b.point.path, upath):
                        break
                    if b.kind not in (NARROW, CALL_GUARD):
                        later.append(b)  # assigned later in the loop body: reaches the next iteration
                out.extend(reversed(later))
        k -= 1
        while k >= 0:
            b = bindings[k]
            if b.scope is not None and not any(n is b.scope for n, _ in upath):
                k -= 1
                continue
            relation = self._relation(b.point.path, upath) if same else _DOMINATES
            if relation == _EXCLUSIVE:
                k = _before_block(bindings, k, upath) - 1  # the rest of that if/match is exclusive too
                continue
            out.append(b)
            if relation == _DOMINATES:
                break
            if len(out) >= MAX_REACHING and k > 0:
                out.append(self._cut_binding(frame, name, b))
                break
            k -= 1
        return out

    def _cut_binding(self, frame: Frame, name: str, last: Binding) -> Binding:
        key = (id(frame), name)
        cut = self._cuts.get(key)
        if cut is None:
            cut = self._cuts[key] = Binding(name, CUT, last.node, last.point)
        return cut

    def _name(self, name: str, node: cst.CSTNode, point: Point) -> Flow:
        if name in ("None", "True", "False", "__name__", "__file__"):
            return EMPTY
        bindings = self.reaching(name, point)
        if bindings:
            return union(*(self._binding(b) for b in bindings))
        if point.frame is self.ctx.state.module_frame:
            return self._opaque(f"`{name}`", node)
        return self._global(name, node)

    def _global(self, name: str, node: cst.CSTNode) -> Flow:
        values = self.index.module_bindings.get(name)
        if values:
            if all(v is not None and self._module_constant(v) for v in values):
                return EMPTY
            return self._opaque(f"`{name}`", node)
        # An imported UPPER_CASE name is a constant by convention.
        if name.isupper() and name in self.imports.aliases:
            return EMPTY
        return self._opaque(f"`{name}`", node)

    def _module_constant(self, value: cst.BaseExpression) -> bool:
        point = self.ctx.state.module_frame.point()
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                return False
            return not self._expr(value, point, None)
        finally:
            self._depth -= 1

    def _binding(self, b: Binding) -> Flow:
        key = id(b)
        cached = self._memo.get(key)
        if cached is not None:
            return cached
        cached = self._partial.get(key)
        if cached is not None:
            self._cut_count += 1
            return cached
        if key in self._in_progress:
            return EMPTY  # a cycle adds nothing new
        if self._depth > MAX_DEPTH:
            return self._too_deep(("binding", b), f"`{b.name}`", b.node)
        self._in_progress.add(key)
        self._depth += 1
        cuts = self._cut_count
        try:
            flow = self._compute_binding(b)
        finally:
            self._depth -= 1
            self._in_progress.discard(key)
        (self._memo if cuts == self._cut_count else self._partial)[key] = flow
        return flow

    def _compute_binding(self, b: Binding) -> Flow:
        kind = b.kind
        if kind == PARAM:
            return self._param(b)
        if kind == CUT:
            return self._cut(f"`{b.name}`", b.node, "reaching")
        if kind == OPAQUE:
            return self._opaque(f"`{b.name}`", b.node)
        if kind in (ASSIGN, FOR, WITH, COMP, MATCH):
            value = b.node
            keys = self._iterated_keys(value, b.index, b.point, None) if kind in (FOR, COMP) else None  # type: ignore
            if keys is not None:  # `for k in d`: the dict's keys, not its values
                return tuple(o.step(value, f"`{b.name}` iterates over the keys of {describe(value)}")  # type: ignore
                             for o in keys)
            if kind in (FOR, COMP) and b.index and isinstance(value, cst.Call):
                picked = self._iterated_position(value, b.index[0])
                if picked is None:
                    return EMPTY  # enumerate()'s counter
                value = picked
            if kind == ASSIGN and b.index and isinstance(value, (cst.Tuple, cst.List)):
                for i in b.index:
                    if isinstance(value, (cst.Tuple, cst.List)) and i < len(value.elements):
                        value = value.elements[i].value
                    else:
                        break
            flow = self._expr(value, b.point, None)  # type: ignore[arg-type]
            if not flow:
                return EMPTY
            verb = {ASSIGN: "=", FOR: "iterates over", WITH: "= with", COMP: "iterates over",
                    MATCH: "matched from"}[kind]
            text = f"`{b.name}` {verb} {describe(value)}"  # type: ignore[arg-type]
            return tuple(o.step(value, text) for o in flow)  # type: ignore[arg-type]
        if kind == AUG:
            node: cst.AugAssign = b.node  # type: ignore[assignment]
            before = self._name(b.name, node.target, b.point)
            added = self._expr(node.value, b.point, None)
            flow = union(before, added)
            return tuple(o.step(node, f"`{b.name}` extended with {describe(node.value)}") for o in flow)
        if kind == MUTATE:
            before = self._name(b.name, b.node, b.point)  # type: ignore[arg-type]
            node = b.node
            added = union(*(self._expr(a.value, b.point, None) for a in node.args)) if isinstance(
                node, cst.Call) else self._expr(node, b.point, None)  # type: ignore[arg-type]
            if not added:
                return before
            text = f"`{b.name}` extended with {describe(node.args[-1].value if isinstance(node, cst.Call) else node)}"
            return union(before, tuple(o.step(node, text) for o in added))
        if kind == NARROW:
            before = self._name(b.name, b.node, b.point)  # type: ignore[arg-type]
            if b.sanitizer == ALL:
                collection = b.node
                if isinstance(collection, cst.BaseExpression) and not isinstance(collection, cst.If) and \
                        tool_origins(self._expr(collection, b.point, None)):
                    return before  # membership in a model-supplied collection proves nothing
                return EMPTY
            return tuple(o.sanitized(b.sanitizer) for o in before)
        if kind == CALL_GUARD:
            before = self._name(b.name, b.node, b.point)  # type: ignore[arg-type]
            call: cst.Call = b.node  # type: ignore[assignment]
            target = self.index.find_function(call.func.value, None) if isinstance(call.func, cst.Name) else None
            if target is None and before:
                remote = self.project_target(call, b.point)
                if remote is not None:  # a validator of another module: the project join decides
                    pos = next((i for i, a in enumerate(call.args) if isinstance(a.value, cst.Name)
                                and a.value.value == b.name and a.keyword is None), None)
                    if pos is not None:
                        return tuple(replace(o, through=o.through + ((remote, pos, "guard"),)) for o in before)
            if target is None or not before:
                return before
            pos = next((i for i, a in enumerate(call.args) if isinstance(a.value, cst.Name)
                        and a.value.value == b.name), None)
            params = _param_names(target)
            if pos is None or pos >= len(params):
                return before
            kinds = self._narrowed_params(target).get(params[pos], frozenset())
            if ALL in kinds:
                return EMPTY
            out = before
            for k in kinds:
                out = tuple(o.sanitized(k) for o in out)
            return out
        return self._opaque(f"`{b.name}`", b.node)

    def _iterated_position(self, call: cst.Call, position: int) -> cst.BaseExpression | None:
        """What position `i` of `for a, b in <call>` iterates over (None: a counter)."""
        qual = self.imports.resolve(call.func)
        if qual == "builtins.enumerate" and call.args:
            return None if position == 0 else call.args[0].value
        if qual == "builtins.zip" and position < len(call.args):
            return call.args[position].value
        return call

    def _param(self, b: Binding) -> Flow:
        frame = b.point.frame
        info = b.param
        node = b.node
        if frame.handler is not None:
            if info is None or not info.controlled or info.arguments_attr:
                return self._opaque(f"`{b.name}`", node)
            if ALL in info.sanitizers:
                return EMPTY
            label = f"tool argument `{b.name}`" if info.raw_arguments else (
                f"{_kind_word(frame.handler.kind)} parameter `{b.name}`")
            return (Origin(TOOL, label, node, frame.node, b.name, info.sanitizers),)
        if b.name in ("self", "cls") or isinstance(frame.node, cst.Lambda):
            return self._opaque(f"`{b.name}`", node)
        return (Origin(PARAM_ORIGIN, f"`{b.name}`", node, frame.node, b.name),)

    def _opaque(self, label: str, node: cst.CSTNode | None) -> Flow:
        return (Origin(OPAQUE_ORIGIN, label, node or self.ctx.module),)

    # -- expressions ----------------------------------------------------------------------------
    def _expr(self, expr: cst.BaseExpression, point: Point, overlay: dict[str, Flow] | None) -> Flow:
        t = type(expr)
        if t is cst.Name:
            if overlay is not None and expr.value in overlay:  # type: ignore[attr-defined]
                return overlay[expr.value]  # type: ignore[attr-defined]
            return self._name(expr.value, expr, point)  # type: ignore[attr-defined]
        if t in (cst.SimpleString, cst.Integer, cst.Float, cst.Imaginary, cst.Ellipsis):
            return EMPTY
        if t is cst.FormattedString:
            return self._pieces(_text_pieces(expr), point, overlay)
        if t is cst.ConcatenatedString:
            return union(self._expr(expr.left, point, overlay), self._expr(expr.right, point, overlay))  # type: ignore
        if t is cst.BinaryOperation:
            return self._binary(expr, point, overlay)  # type: ignore[arg-type]
        if t is cst.Call:
            return self._call(expr, point, overlay)  # type: ignore[arg-type]
        if t is cst.Attribute:
            return self._attribute(expr, point, overlay)  # type: ignore[arg-type]
        if t is cst.Subscript:
            return self._subscript(expr, point, overlay)  # type: ignore[arg-type]
        if t in (cst.Comparison,):
            return EMPTY
        if t is cst.UnaryOperation:
            if isinstance(expr.operator, cst.Not):  # type: ignore[attr-defined]
                return EMPTY
            return self._expr(expr.expression, point, overlay)  # type: ignore[attr-defined]
        if t is cst.BooleanOperation:
            return union(self._expr(expr.left, point, overlay), self._expr(expr.right, point, overlay))  # type: ignore
        if t is cst.IfExp:
            return union(self._expr(expr.body, point, overlay), self._expr(expr.orelse, point, overlay))  # type: ignore
        if t in (cst.List, cst.Tuple, cst.Set):
            return union(*(self._expr(e.value, point, overlay) for e in expr.elements))  # type: ignore[attr-defined]
        if t is cst.Dict:
            flows = []
            for e in expr.elements:  # type: ignore[attr-defined]
                if isinstance(e, cst.DictElement):
                    flows.append(self._expr(e.key, point, overlay))
                flows.append(self._expr(e.value, point, overlay))
            return union(*flows) if flows else EMPTY
        if t in (cst.Await, cst.StarredElement):
            inner = expr.expression if t is cst.Await else expr.value  # type: ignore[attr-defined]
            return self._expr(inner, point, overlay)
        if t is cst.NamedExpr:
            return self._expr(expr.value, point, overlay)  # type: ignore[attr-defined]
        if t in (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp):
            return self._comprehension(expr, point, overlay)
        if t is cst.Lambda:
            return self._opaque("a lambda", expr)
        return self._opaque(f"`{code(expr, 40)}`", expr)

    def _binary(self, expr: cst.BinaryOperation, point: Point, overlay) -> Flow:
        if isinstance(expr.operator, cst.Add):
            operands = _added(expr)
            if any(_doubles_quote(o) is not None for o in operands):
                # '"' + name.replace('"', '""') + '"': an identifier quoted for SQL
                flows = []
                for i, operand in enumerate(operands):
                    flow = self._expr(operand, point, overlay)
                    before = string_value(operands[i - 1]) if i > 0 else None
                    after = string_value(operands[i + 1]) if i + 1 < len(operands) else None
                    if flow and _quoted_identifier(operand, before, after):
                        flow = tuple(o.sanitized("sql") for o in flow)
                    flows.append(flow)
                return union(*flows)
        if isinstance(expr.operator, cst.Multiply):
            # "?" * n, ["%s"] * len(xs): repetition of a constant is constant text.
            if is_literal(expr.left) or is_literal(expr.right):
                const = expr.left if is_literal(expr.left) else expr.right
                if isinstance(const, (cst.SimpleString, cst.List, cst.Tuple, cst.ConcatenatedString)):
                    return EMPTY
        if isinstance(expr.operator, cst.Add):
            pieces = _text_pieces(expr)
            if any(isinstance(p, str) for p in pieces):  # text put together: `"log-" + x + ".txt"`
                return self._pieces(pieces, point, overlay)
        left = self._expr(expr.left, point, overlay)
        right = self._expr(expr.right, point, overlay)
        if not isinstance(expr.operator, (cst.Add, cst.Modulo, cst.MatrixMultiply)) and (
                isinstance(expr.left, (cst.Integer, cst.Float)) or isinstance(expr.right, (cst.Integer, cst.Float))):
            # `x - 1`, `n // 2`: arithmetic with a number yields a number (or raises); no text survives.
            # `/`, `|`, `-` and `&` on other operands may be path joins, dict merges or set algebra.
            return tuple(o for o in union(left, right) if o.kind != TOOL)
        return union(left, right)

    def _pieces(self, pieces: list, point: Point, overlay) -> Flow:
        """Text put together from literal text and values (an f-string, `+`): the values'
        origins, each marked "component" when it sits inside a file name (see `_in_file_name`)."""
        values = {i: self._expr(piece, point, overlay) for i, piece in enumerate(pieces) if not isinstance(piece, str)}
        constant = {i for i, flow in values.items() if not flow}
        flows = []
        for i, flow in values.items():
            before = pieces[i - 1] if i > 0 and isinstance(pieces[i - 1], str) else None
            after = pieces[i + 1] if i + 1 < len(pieces) and isinstance(pieces[i + 1], str) else None
            if flow and _quoted_identifier(pieces[i], before, after):
                flow = tuple(o.sanitized("sql") for o in flow)  # f'"{x.replace(chr(34), 2 * chr(34))}"'
            if flow and _in_file_name(pieces, i, constant):
                flow = tuple(o.sanitized("component") for o in flow)
            if flow and _shell_script(pieces, i):  # `sh -c {shlex.quote(x)}`: quoted, then run as a script
                flow = tuple(replace(o, sanitizers=o.sanitizers - {"shell"}) for o in flow)
            flows.append(flow)
        return union(*flows) if flows else EMPTY

    def _attribute(self, expr: cst.Attribute, point: Point, overlay) -> Flow:
        base = expr.value
        attr = expr.attr.value
        if attr in self.known.request_attributes and self._is_request(base, point):
            return (Origin(TOOL, f"HTTP request data `{code(expr, 40)}`", expr),)
        if isinstance(base, cst.Attribute) and base.attr.value == "state" and attr in self.ctx.recorder.state_stores:
            stored = self._state_stored(attr)
            if stored:
                return stored
        if isinstance(base, cst.Name) and (overlay is None or base.value not in overlay):
            bname = base.value
            if attr == "arguments":
                for b in self.reaching(bname, point):
                    if b.kind == PARAM and b.param is not None and b.param.arguments_attr:
                        return (Origin(TOOL, f"tool argument `{bname}.arguments`", expr, b.point.frame.node,
                                       bname),)
            if bname in ("self", "cls"):
                return self._class_attr(attr, expr, point)
            if not self.reaching(bname, point):
                if bname in self.index.classes:
                    cls = self.index.classes[bname]
                    value = cls.constants.get(attr)
                    if value is not None and self._module_constant(value):
                        return EMPTY
                    if any(b.rsplit(".", 1)[-1].endswith("Enum") for b in cls.bases):
                        return EMPTY
                if attr.isupper() and (bname[:1].isupper() or bname in self.imports.aliases):
                    return EMPTY  # Status.ACTIVE, config.TABLE: constants by convention
                if bname in self.imports.aliases and bname not in self.index.module_bindings:
                    return self._opaque(f"`{bname}.{attr}`", expr)
        if isinstance(base, cst.Attribute) and attr in ("value", "name") and \
                isinstance(base.value, cst.Name) and base.attr.value.isupper():
            return self._attribute(base, point, overlay)  # Status.ACTIVE.value
        if attr in _FILE_NAME_ATTRS and self._is_path(base, point, overlay, 0):
            # `Path(x).name` / `.stem`: the last component, with no separator (as `os.path.basename`)
            return tuple(o.sanitized("path") for o in self._expr(base, point, overlay))
        flow = self._expr(base, point, overlay)
        # `db.config["name"]` on a helper's `db` parameter is the object's state (a client, a
        # config), not data the caller chose; attributes of tool input stay tool input.
        return tuple(o if o.kind != PARAM_ORIGIN else Origin(OPAQUE_ORIGIN, f"`{code(expr, 40)}`", expr)
                     for o in flow)

    def _is_request(self, expr: cst.BaseExpression, point: Point) -> bool:
        """Is `expr` an HTTP request the server received (`request: Request` in a route,
        `get_http_request()` in a tool)?"""
        types = self.known.request_types
        return bool(types) and self.ctx.types.type_of(expr, point) in types

    def _state_stored(self, attr: str) -> Flow:
        """What a middleware stored as `request.state.<attr>` from request data, as read back by
        a handler (in this file)."""
        key = ("state", attr)
        cached = self._state_flows.get(key)
        if cached is not None:
            return cached
        self._state_flows[key] = EMPTY
        out = []
        for value, at in self.ctx.recorder.state_stores.get(attr, ()):
            for origin in self._expr(value, at, None):
                if origin.kind == TOOL:
                    out.append(replace(origin, label=f"`request.state.{attr}` (stored from {origin.label})"))
        flow = union(*((o,) for o in out)) if out else EMPTY
        self._state_flows[key] = flow
        return flow

    def _is_path(self, expr: cst.BaseExpression, point: Point, overlay, depth: int) -> bool:
        """A `pathlib` path: `Path(...)`, `p / x` or `p.parent`-like derivations of one, or a
        name every reaching definition of which is one."""
        if depth > 6:
            return False
        if isinstance(expr, cst.Call):
            if self.imports.resolve(expr.func) in self.known.path_types:
                return True
            func = expr.func
            return isinstance(func, cst.Attribute) and func.attr.value in _PATH_RETURNING and \
                self._is_path(func.value, point, overlay, depth + 1)
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Divide):
            return self._is_path(expr.left, point, overlay, depth + 1)
        if isinstance(expr, cst.Attribute) and expr.attr.value == "parent":
            return self._is_path(expr.value, point, overlay, depth + 1)
        if isinstance(expr, cst.Name) and not (overlay and expr.value in overlay):
            bindings = [b for b in self.reaching(expr.value, point) if b.kind not in (NARROW, CALL_GUARD)]
            return bool(bindings) and all(
                b.kind == ASSIGN and not b.index and isinstance(b.node, cst.BaseExpression) and
                self._is_path(b.node, b.point, None, depth + 1) for b in bindings)
        return False

    def _class_attr(self, attr: str, node: cst.CSTNode, point: Point) -> Flow:
        fn = point.frame.info
        while fn is not None and fn.class_name is None:
            fn = fn.parent
        cls = self.index.classes.get(fn.class_name) if fn is not None else None
        if cls is not None and attr not in cls.self_attrs:
            value = cls.constants.get(attr)
            if value is not None and self._module_constant(value):
                return EMPTY
        return self._opaque(f"`self.{attr}`", node)

    def _subscript(self, expr: cst.Subscript, point: Point, overlay) -> Flow:
        base = expr.value
        if is_constant_collection(base):
            return EMPTY
        if isinstance(base, cst.Name) and (overlay is None or base.value not in overlay):
            if not self.reaching(base.value, point):
                values = self.index.module_bindings.get(base.value)
                if values and all(v is not None and is_constant_collection(v) for v in values):
                    return EMPTY  # lookup in a constant mapping: one of its values
        flow = self._expr(base, point, overlay)
        key = code(expr.slice[0].slice.value, 30) if expr.slice and isinstance(expr.slice[0].slice, cst.Index) else ""
        return tuple(_read_from_arguments(o, f"[{key}]") for o in flow)

    def _comprehension(self, expr, point: Point, overlay, keys_only: bool = False) -> Flow:
        scope = dict(overlay) if overlay else {}
        comp = expr.for_in
        while comp is not None:
            iter_flow = self._expr(comp.iter, point, scope)
            names = target_names(comp.target)
            for i, name in enumerate(names):
                index = (i,) if isinstance(comp.target, (cst.Tuple, cst.List)) else ()
                keys = self._iterated_keys(comp.iter, index, point, scope) if len(names) <= 2 else None
                scope[name.value] = keys if keys is not None else iter_flow
            for cond in comp.ifs:  # `... for k in d if k in ALLOWED`: only allow-listed values get through
                for name, collection in _memberships(cond.test):
                    if name in scope and not tool_origins(self._expr(collection, point, scope)):
                        scope[name] = EMPTY
            comp = comp.inner_for_in
        if isinstance(expr, cst.DictComp):
            if keys_only:
                return self._expr(expr.key, point, scope)
            return union(self._expr(expr.key, point, scope), self._expr(expr.value, point, scope))
        return self._expr(expr.elt, point, scope)

    # -- the keys of a dict -----------------------------------------------------------------------
    def _iterated_keys(self, it: cst.BaseExpression, index: tuple[int, ...], point: Point,
                       overlay) -> Flow | None:
        """What `for k in d`, `for k in d.keys()` and the `k` of `for k, v in d.items()` take:
        the keys of `d`, when every definition of `d` that reaches here makes a dict whose keys
        can be followed (None otherwise: the value is judged as a whole)."""
        while isinstance(it, cst.Call) and not index and len(it.args) == 1 and not it.args[0].keyword and \
                not it.args[0].star and self.imports.resolve(it.func) in self.known.ordering_calls:
            it = it.args[0].value  # `sorted(d)`, `list(d)`: the same keys
        if isinstance(it, cst.Call) and isinstance(it.func, cst.Attribute) and not it.args and (
                it.func.attr.value == "keys" and not index or it.func.attr.value == "items" and index == (0,)):
            it = it.func.value
        elif index:
            return None
        if not isinstance(it, cst.Name) or overlay and it.value in overlay:
            return None
        return self._dict_keys(it.value, point, 0)

    def _dict_keys(self, name: str, point: Point, depth: int) -> Flow | None:
        bindings = self.reaching(name, point)
        if not bindings or depth > MAX_DEPTH // 2:
            return None
        flows = []
        for b in bindings:
            key = id(b)
            if key in self._keys_memo:
                flow = self._keys_memo[key]
            else:
                cuts = self._cut_count
                flow = self._binding_keys(b, depth)
                if cuts == self._cut_count:
                    self._keys_memo[key] = flow
            if flow is None:
                return None
            flows.append(flow)
        return union(*flows)

    def _binding_keys(self, b: Binding, depth: int) -> Flow | None:
        value = b.node
        if b.kind == ASSIGN and not b.index:
            if isinstance(value, cst.Dict):
                flows = []
                for e in value.elements:
                    if not isinstance(e, cst.DictElement):
                        return None  # `{**other}`
                    flows.append(self._expr(e.key, b.point, None))
                return union(*flows) if flows else EMPTY
            if isinstance(value, cst.DictComp):
                return self._comprehension(value, b.point, None, keys_only=True)
            if isinstance(value, cst.Call) and self.imports.resolve(value.func) == "builtins.dict":
                if any(a.keyword is None for a in value.args):
                    return None
                return EMPTY  # `dict(a=1)`: keyword names
            return None
        if b.kind in (NARROW, CALL_GUARD):
            return self._dict_keys(b.name, b.point, depth + 1)
        if b.kind == MUTATE:
            added = self._stored_keys(b)
            if added is None:
                return None
            before = self._dict_keys(b.name, b.point, depth + 1)
            return None if before is None else union(before, *(self._expr(k, b.point, None) for k in added))
        return None

    def _stored_keys(self, b: Binding) -> list[cst.BaseExpression] | None:
        """The keys a mutation of dict `b.name` stores: `d[k] = v`, `d.setdefault(k, v)`,
        `d.update({k: v}, name=v)` (None: not known)."""
        node = b.node
        func = node.func if isinstance(node, cst.Call) else None
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == b.name and \
                func.attr.value in STORING_METHODS:  # a method call, not the value of `d[k] = f(...)`
            args = node.args  # type: ignore[union-attr]
            if func.attr.value == "setdefault" and args and args[0].keyword is None:
                return [args[0].value]
            if func.attr.value == "update" and all(a.keyword is not None or isinstance(a.value, cst.Dict) and
                                                   not a.star for a in args):
                keys = [e.key for a in args if isinstance(a.value, cst.Dict) for e in a.value.elements]
                return None if any(not isinstance(e, cst.DictElement) for a in args if isinstance(a.value, cst.Dict)
                                   for e in a.value.elements) else keys
            return None
        stmt = b.statement
        for small in stmt.body if isinstance(stmt, cst.SimpleStatementLine) else ():
            if isinstance(small, cst.Assign) and small.value is node:
                for t in small.targets:
                    target = t.target
                    if isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name) and \
                            target.value.value == b.name and len(target.slice) == 1 and \
                            isinstance(target.slice[0].slice, cst.Index):
                        return [target.slice[0].slice.value]
        return None

    def _call(self, call: cst.Call, point: Point, overlay) -> Flow:
        func = call.func
        qual = self.imports.resolve(func)
        args = call.args

        def arg_flows() -> list[Flow]:
            return [self._expr(a.value, point, overlay) for a in args]

        known = self.known
        dispatched = _dispatched(call, self.imports.resolve, known.thread_dispatch) \
            if qual is not None or isinstance(func, cst.Attribute) \
            else None
        if dispatched is not None and overlay is None:
            target = self._call_target(call, point.frame, point)
            if target is not None:
                return self._through_helper(target, call, point)
        if self._is_response(call, qual, point):
            # What a remote server answered: not known-safe, but not the text the model wrote either.
            return self._opaque(f"the response of `{code(func, 40)}()`", call)
        substituted = self._substitution(call, qual, point, overlay)
        if substituted is not None:
            return substituted
        if qual is not None:
            if qual in known.safe_calls:
                return EMPTY
            if qual in known.propagators:
                return union(*arg_flows()) if args else EMPTY
            if qual in known.decoders:  # `json.loads(text)`: a structure, which text was not
                return tuple(replace(o, sanitizers=o.sanitizers - _TEXT_ONLY) for o in union(*arg_flows()))
            kinds = known.sanitizers.get(qual)
            if kinds is not None:
                return tuple(o.sanitized_by(kinds) for o in union(*arg_flows()))
        if isinstance(func, cst.Name) and qual is None and func.value.lstrip("_") in known.sanitizer_methods:
            return tuple(o.sanitized_by(known.sanitizer_methods[func.value.lstrip("_")]) for o in union(*arg_flows()))
        # a function of another module of the project: what its body does decides, not its name
        project_target = self.project_target(call, point) if overlay is None else None
        if project_target is not None:
            return self._through_project(project_target, call, point)
        if qual is not None:  # a helper imported from elsewhere, named for what it does (`_escape_identifier`)
            kinds = known.sanitizer_methods.get(qual.rsplit(".", 1)[-1].lstrip("_"))
            if kinds is not None:
                return tuple(o.sanitized_by(kinds) for o in union(*arg_flows()))
        if isinstance(func, cst.Name):
            target = self.index.find_function(func.value, point.frame.info) if \
                (overlay is None or func.value not in overlay) and not self.reaching(func.value, point) else None
            if target is not None:
                return self._through_helper(target, call, point)
            cls = self.index.classes.get(func.value)
            if cls is not None and _is_model_class(cls):
                return tuple(o.sanitized("model") for o in union(*arg_flows()))
            if qual is None and func.value[:1].isupper() and any(a.star == "**" for a in args):
                return tuple(o.sanitized("model") for o in union(*arg_flows()))
            return union(self._opaque(f"`{func.value}()`", call), *arg_flows())
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            recv = func.value
            if isinstance(recv, cst.Name) and recv.value in ("self", "cls"):
                target = self.index.method(_class_of(point.frame), method)
                if target is not None:
                    return self._through_helper(target, call, point, bound=True)
            elif overlay is None and method in self.ctx.recorder.local_function_names:
                target = self.index.method(self._instance_class(recv, point), method)
                if target is not None:
                    return self._through_helper(target, call, point, bound=True)
            if method in known.request_methods and self._is_request(recv, point):
                return (Origin(TOOL, f"HTTP request data `{code(call, 40)}`", call),)  # `await request.json()`
            if method in known.safe_methods:
                return EMPTY  # `hashlib.sha256(x).hexdigest()`: hex digits, whatever x was
            if method in _ABSOLUTE_METHODS and not any(a.keyword is None for a in args):
                return tuple(o.sanitized("option") for o in self._expr(recv, point, overlay))
            if method == "replace" and _doubles_quote(call) is not None:
                # `x.replace('"', '""')`: the quote doubled, as SQL quotes an identifier
                return tuple(o.sanitized("sql") for o in self._expr(recv, point, overlay))
            if method in known.validate_methods:
                return tuple(o.sanitized("model") for o in union(*arg_flows()))
            if method.lstrip("_") in known.sanitizer_methods:
                return tuple(o.sanitized_by(known.sanitizer_methods[method.lstrip("_")]) for o in union(*arg_flows()))
            if method == "get" and (is_constant_collection(recv) or self._constant_mapping(recv, point)):
                return EMPTY if len(args) < 2 else self._expr(args[1].value, point, overlay)
            if method == "get" and args:  # `arguments.get("url")` names the argument read
                recv_flow = tuple(_read_from_arguments(o, f".get({code(args[0].value, 30)})")
                                  for o in self._expr(recv, point, overlay))
                return union(recv_flow, *arg_flows()[1:])
            if method in ("format", "join") and isinstance(recv, cst.Call):
                kinds = known.composers.get(self.imports.resolve(recv.func) or "")
                if kinds is not None:  # `sql.SQL("... {}").format(x)`: x is composed safely
                    return union(self._expr(recv, point, overlay),
                                 *(tuple(o.sanitized_by(kinds) for o in f) for f in arg_flows()))
            recv_flow = self._expr(recv, point, overlay)
            return union(recv_flow, *arg_flows())
        return union(self._expr(func, point, overlay), *arg_flows())

    def _substitution(self, call: cst.Call, qual: str | None, point: Point, overlay) -> Flow | None:
        """`re.sub(r"[^A-Za-z0-9_]", "_", x)` (or `PAT.sub("_", x)`): what is left of x is the
        class's characters and the replacement's; the kinds that earns (None: not such a call)."""
        args = call.args
        if qual == "re.sub" and len(args) >= 3 and all(a.keyword is None for a in args[:3]):
            pattern, replacement, subject = args[0].value, args[1].value, args[2].value
            flags = _regex_flags(args[4].value, self.imports.resolve) if len(args) > 4 else 0
            text = _pattern_of(pattern, self.ctx) if flags is not None else None
        elif qual is None and isinstance(call.func, cst.Attribute) and call.func.attr.value == "sub" and \
                isinstance(call.func.value, cst.Name) and len(args) >= 2 and args[0].keyword is None:
            found = self._compiled_at(call.func.value.value, point)
            if found is None:
                return None
            text, flags = found
            replacement, subject = args[0].value, args[1].value
        else:
            return None
        kept = only_class(text, flags or 0) if text is not None else None
        inserted = string_value(replacement)
        flow = self._expr(subject, point, overlay)
        if kept is None or inserted is None:
            return flow
        kinds = restricted_kinds(kept.plus(inserted).allows, kept.plus(inserted).starts, kept.plus(inserted).matches)
        return tuple(o.sanitized_by(kinds) for o in flow) if kinds else flow

    def _compiled_at(self, name: str, point: Point) -> tuple[str | None, int | None] | None:
        bindings = self.reaching(name, point)
        values = [b.node for b in bindings if b.kind == ASSIGN and not b.index]
        if not bindings:
            values = list(self.index.module_bindings.get(name) or ())
        if len(values) != 1 or not isinstance(values[0], cst.Call):
            return None
        found = values[0]
        if self.imports.resolve(found.func) != "re.compile" or not found.args:
            return None
        flags = _regex_flags(found.args[1].value, self.imports.resolve) if len(found.args) > 1 else 0
        return (_pattern_of(found.args[0].value, self.ctx) if flags is not None else None), flags

    # -- calls into other modules of the project ---------------------------------------------------
    def project_target(self, call: cst.Call, point: Point) -> str | None:
        """`path::qualname` of the function or method of another module of the project that `call`
        calls (an imported function, `module.function`, a method of an instance of an imported
        project class), or None."""
        project = getattr(self.ctx, "project", None)
        if project is None:
            return None
        key = id(call)
        if key in self._project_targets:
            return self._project_targets[key]
        found = None
        func = call.func
        qual = self.imports.resolve(func)
        if qual is not None and not (isinstance(func, cst.Name) and self.reaching(func.value, point)):
            found = project.callable_key(qual, self.ctx.path)
        if found is None and isinstance(func, cst.Attribute):
            cls = self.ctx.types.type_of(func.value, point)
            if cls is not None:
                found = project.callable_key(f"{cls}.{func.attr.value}", self.ctx.path)
        self._project_targets[key] = found
        return found

    def _through_project(self, target: str, call: cst.Call, point: Point) -> Flow:
        """What a call into another module returns: its arguments' origins, each marked with the
        call it went through, so the project join can tell when that module sanitizes them."""
        name = target.rpartition("::")[2]
        out: list[Flow] = [self._opaque(f"`{name}()`", call)]
        position = 0
        for arg in call.args:
            if arg.star:
                out.append(self._expr(arg.value, point, None))
                continue
            where: int | str = arg.keyword.value if arg.keyword is not None else position
            if arg.keyword is None:
                position += 1
            out.append(tuple(replace(o, through=o.through + ((target, where, "return"),))
                             for o in self._expr(arg.value, point, None)))
        return union(*out)

    def _is_response(self, call: cst.Call, qual: str | None, point: Point) -> bool:
        func = call.func
        method = func.attr.value if isinstance(func, cst.Attribute) else \
            func.value if isinstance(func, cst.Name) else ""
        known = self.known
        if method not in known.response_methods:
            return False
        if qual is not None:
            return qual in known.responses
        target = self.ctx.types.call_target(call, point) if isinstance(func, cst.Attribute) else None
        return target is not None and target in known.responses

    def _constant_mapping(self, expr: cst.BaseExpression, point: Point) -> bool:
        if isinstance(expr, cst.Name) and not self.reaching(expr.value, point):
            values = self.index.module_bindings.get(expr.value)
            return bool(values) and all(v is not None and is_constant_collection(v) for v in values)
        return False

    # -- helpers across functions -----------------------------------------------------------------
    def _through_helper(self, target: cst.FunctionDef, call: cst.Call, point: Point, bound: bool = False) -> Flow:
        returned = self.returns_of(target)
        if not returned:
            return EMPTY if target in self.frames else self._opaque(f"`{_function_name(target)}()`", call)
        name = _function_name(target)
        out: list[Flow] = []
        for origin in returned:
            if origin.kind == PARAM_ORIGIN and origin.function is target:
                arg = self._argument_for(target, call, origin.param, bound)
                if arg is None:
                    continue
                flow = self._expr(arg, point, None)
                out.append(tuple(replace(a, sanitizers=a.sanitizers | origin.sanitizers,
                                         steps=join_steps(a.steps, (Step(call, f"passed through `{name}()`"),)))
                                 for a in flow))
            else:
                out.append((origin,))
        return union(*out) if out else EMPTY

    def returns_of(self, fn: cst.CSTNode) -> Flow:
        cached = self._returns.get(fn)
        if cached is not None:
            return cached
        cached = self._partial.get(fn)
        if cached is not None:
            self._cut_count += 1
            return cached
        frame = self.frames.get(fn)
        if frame is None or id(fn) in self._in_progress:
            return EMPTY
        if self._depth > MAX_DEPTH:
            return self._too_deep(("returns", fn), f"`{_function_name(fn)}()`", fn)
        self._in_progress.add(id(fn))
        self._returns[fn] = EMPTY
        self._depth += 1
        cuts = self._cut_count
        try:
            flow = union(*(self._expr(v, p, None) for v, p in frame.returns)) if frame.returns else EMPTY
        finally:
            self._depth -= 1
            self._in_progress.discard(id(fn))
            del self._returns[fn]
        (self._returns if cuts == self._cut_count else self._partial)[fn] = flow
        return flow

    def _narrowed_params(self, fn: cst.FunctionDef) -> dict[str, frozenset[str]]:
        """Parameters a helper rejects bad values of before returning normally."""
        cached = self._narrows.get(fn)
        if cached is not None:
            return cached
        out: dict[str, frozenset[str]] = {}
        frame = self.frames.get(fn)
        cuts = self._cut_count
        if frame is not None:
            params = set(_param_names(fn))
            for name, bindings in frame.bindings.items():
                for b in bindings:
                    if b.kind == NARROW and not b.point.path:
                        if name in params:
                            out[name] = out.get(name, frozenset()) | {b.sanitizer}
            # a narrowed derived value that the helper checks: p = Path(x).resolve(); check p
            for name, bindings in frame.bindings.items():
                if name in params:
                    continue
                for b in bindings:
                    if b.kind == NARROW and not b.point.path:
                        for src in self._sources_of(frame, name):
                            out[src] = out.get(src, frozenset()) | {b.sanitizer}
        if cuts == self._cut_count:
            self._narrows[fn] = out
        return out

    def _sources_of(self, frame: Frame, name: str) -> set[str]:
        """Which parameters a local variable was computed from (one level)."""
        out: set[str] = set()
        for b in frame.bindings.get(name, []):
            if b.kind == ASSIGN and isinstance(b.node, cst.BaseExpression):
                for o in self.of(b.node, b.point):
                    if o.kind == PARAM_ORIGIN and o.function is frame.node:
                        out.add(o.param)
        return out

    def callers(self, fn: cst.CSTNode | None) -> list[tuple[cst.Call, Point]]:
        if fn is None:
            return []
        if self._callers is None:
            self._callers = {}
            for frame in self.frames.values():
                for call, point in frame.local_calls:
                    target = self._call_target(call, frame, point)
                    if target is not None:
                        self._callers.setdefault(target, []).append((call, point))
            for call, point in self.ctx.state.module_frame.local_calls:
                target = self._call_target(call, self.ctx.state.module_frame, point)
                if target is not None:
                    self._callers.setdefault(target, []).append((call, point))
        return self._callers.get(fn, [])

    def _call_target(self, call: cst.Call, frame: Frame, point: Point | None = None) -> cst.FunctionDef | None:
        func = call.func
        dispatched = _dispatched(call, self.imports.resolve, self.known.thread_dispatch)
        if dispatched is not None:
            func = dispatched[0]
        if isinstance(func, cst.Name):
            return self.index.find_function(func.value, frame.info)
        if isinstance(func, cst.Attribute):
            if isinstance(func.value, cst.Name) and func.value.value in ("self", "cls"):
                return self.index.method(_class_of(frame), func.attr.value)
            if point is not None:
                return self.index.method(self._instance_class(func.value, point), func.attr.value)
        return None

    def _instance_class(self, recv: cst.BaseExpression, point: Point) -> str | None:
        """`executor` in `executor.run(x)` after `executor = Executor(...)` (a same-file class),
        locally, in an enclosing function, at module level or as `self.executor`."""
        values: list = []
        if isinstance(recv, cst.Name):
            bindings = self.reaching(recv.value, point)
            values = [b.node for b in bindings if b.kind == ASSIGN and not b.index] if bindings else list(
                self.index.module_bindings.get(recv.value) or ())
        elif isinstance(recv, cst.Attribute) and isinstance(recv.value, cst.Name) and recv.value.value == "self":
            cls = self.index.classes.get(_class_of(point.frame) or "")
            values = list(cls.self_attrs.get(recv.attr.value, ())) if cls is not None else []
        for value in values:
            if isinstance(value, cst.Await):
                value = value.expression
            if isinstance(value, cst.Call) and isinstance(value.func, cst.Name):
                if value.func.value in self.index.classes:
                    return value.func.value
                factory = self.index.find_function(value.func.value, point.frame.info)
                returns = factory.returns.annotation if factory is not None and factory.returns else None
                if isinstance(returns, cst.Name) and returns.value in self.index.classes:
                    return returns.value  # `pm = manager_for(client)` with `-> ProcessManager`
        return None

    def _argument_for(self, fn: cst.CSTNode | None, call: cst.Call, param: str,
                      bound: bool | None = None) -> cst.BaseExpression | None:
        if not isinstance(fn, cst.FunctionDef):
            return None
        names = _param_names(fn)
        args: Sequence[cst.Arg] = call.args
        dispatched = _dispatched(call, self.imports.resolve, self.known.thread_dispatch)
        if dispatched is not None:
            args, bound = dispatched[1], isinstance(dispatched[0], cst.Attribute)
        if bound is None:
            bound = isinstance(call.func, cst.Attribute)
        if bound and names and names[0] in ("self", "cls"):
            names = names[1:]
        for arg in args:
            if arg.keyword is not None and arg.keyword.value == param:
                return arg.value
        positional = [a for a in args if a.keyword is None and not a.star]
        if param in names:
            i = names.index(param)
            if i < len(positional):
                return positional[i].value
        for p in list(fn.params.params) + list(fn.params.kwonly_params):
            if p.name.value == param and p.default is not None:
                return p.default
        if any(a.star for a in args):
            return next(a.value for a in args if a.star)
        return None


def _dispatched(call: cst.Call, resolve, dispatch: frozenset[str]) -> tuple[cst.BaseExpression, Sequence[cst.Arg]] | None:
    """`asyncio.to_thread(fn, *args)`, `anyio.to_thread.run_sync(fn, *args)`,
    `loop.run_in_executor(None, fn, *args)`: the function run and the arguments it gets."""
    func = call.func
    last = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
    skip = 1
    if last == "run_in_executor":  # the event loop's method, on any loop
        skip = 2
    elif not last or not any(d.endswith("." + last) for d in dispatch) or resolve(func) not in dispatch:
        return None
    positional = [a for a in call.args if a.keyword is None and not a.star]
    if len(positional) < skip:
        return None
    rest = [a for a in call.args if a not in positional[:skip]]
    if last == "run_sync":  # anyio's own keywords (cancellable, limiter) are not the function's
        rest = [a for a in rest if a.keyword is None]
    return positional[skip - 1].value, rest


def _order(b: Binding) -> int:
    return b.point.order


def _in_loop(path: tuple) -> bool:
    return any(branch == 0 and isinstance(node, (cst.For, cst.While)) for node, branch in path)


def _before_block(bindings: list[Binding], k: int, upath: tuple) -> int:
    """The index of the first binding inside the if/match that makes `bindings[k]` exclusive
    with a use at `upath` (the bindings inside one block are consecutive)."""
    bpath = bindings[k].point.path
    c = 0
    while bpath[c][0] is upath[c][0] and bpath[c][1] == upath[c][1]:
        c += 1
    block = bpath[c][0]

    def inside(b: Binding) -> bool:
        path = b.point.path
        return len(path) > c and path[c][0] is block

    lo, hi = 0, k
    while lo < hi:
        mid = (lo + hi) // 2
        if inside(bindings[mid]):
            hi = mid
        else:
            lo = mid + 1
    return lo


def _same_loop(a: tuple, b: tuple) -> bool:
    """Do two block paths share an enclosing loop body?"""
    for (node_a, branch_a), (node_b, branch_b) in zip(a, b):
        if node_a is not node_b or branch_a != branch_b:
            return False
        if isinstance(node_a, (cst.For, cst.While)) and branch_a == 0:
            return True
    return False


def _orelse_terminates(orelse, resolve) -> bool:
    if isinstance(orelse, cst.If):
        return terminates(orelse.body, resolve) and orelse.orelse is not None and \
            _orelse_terminates(orelse.orelse, resolve)
    return terminates(orelse.body, resolve)


def _param_names(fn: cst.FunctionDef) -> list[str]:
    p = fn.params
    return [x.name.value for x in list(p.posonly_params) + list(p.params) + list(p.kwonly_params)]


def _function_name(fn: cst.CSTNode | None) -> str:
    return fn.name.value if isinstance(fn, cst.FunctionDef) else "<lambda>"


def _class_of(frame: Frame) -> str | None:
    info = frame.info
    while info is not None:
        if info.class_name is not None:
            return info.class_name
        info = info.parent
    return None


def _is_model_class(cls) -> bool:
    return any(b.rsplit(".", 1)[-1] in ("BaseModel", "RootModel", "BaseSettings") for b in cls.bases)


def _kind_word(kind: str) -> str:
    return {"tool": "tool", "resource": "resource", "prompt": "prompt"}.get(kind, "tool")


def _read_from_arguments(origin: Origin, accessor: str) -> Origin:
    """`arguments["url"]`: name the argument read from a raw arguments mapping."""
    if origin.kind != TOOL or not origin.label.startswith("tool argument `") or origin.label.endswith(("]`", ")`")):
        return origin
    return replace(origin, label=f"{origin.label[:-1]}{accessor}`")