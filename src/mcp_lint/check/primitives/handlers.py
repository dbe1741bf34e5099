"""Primitives about handler signatures and the raw arguments of low-level dispatchers."""

from __future__ import annotations

import re

import libcst as cst

from mcp_lint.analysis import sdk
from mcp_lint.analysis.cst_utils import code, dotted, string_value
from mcp_lint.analysis.fields import descendants
from mcp_lint.analysis.mcp_model import ANY, CONTAINER, Form, HandlerInfo, NONE
from mcp_lint.analysis.state import ASSIGN, PARAM, Point
from mcp_lint.analysis.taint import TOOL, Origin
from mcp_lint.check.context import FileContext
from mcp_lint.model.findings import Confidence
from mcp_lint.model.schema import Key, List, Map, Str
from mcp_lint.check.primitives.base import HANDLER_KINDS, HandlerPrimitive, Primitive

_PROBLEMS = {
    NONE: "has no type annotation",
    ANY: "is annotated `{annotation}`, which accepts any JSON value",
    CONTAINER: "is annotated `{annotation}`: its contents are unconstrained",
}


class HandlerParameter(HandlerPrimitive):
    """`handler-parameter`: model-controlled handler parameters whose annotation constrains
    too little (no annotation, Any, bare containers). Reported at the parameter."""

    NAME = "handler-parameter"
    PARAMS = Map({
        "kinds": HANDLER_KINDS,
        "constraints": Key(List(Str(choices=(NONE, ANY, CONTAINER)), min_items=1), default=(NONE, ANY, CONTAINER)),
    })
    PLACEHOLDERS = frozenset({"param", "handler", "problem", "annotation"})

    def setup(self) -> None:
        super().setup()
        self.flagged = frozenset(self.params["constraints"])

    def on_handler(self, node: cst.FunctionDef, handler: HandlerInfo, ctx: FileContext) -> None:
        uses = None
        for p in handler.params:
            if not p.controlled or p.constraint not in self.flagged:
                continue
            annotation = code(p.annotation, 40) if p.annotation is not None else ""
            problem = _PROBLEMS[p.constraint].format(annotation=annotation)
            if p.constraint == NONE and handler.flavour in (sdk.MCP1, sdk.MCP2):
                problem += " (the SDK advertises it as a string but accepts any JSON value)"
            confidence = None
            if p.constraint in (ANY, CONTAINER):
                if uses is None:
                    uses = _Uses(node, handler)
                why = uses.free_form(p)
                if why:
                    problem += f" (deliberately free-form: {why})"
                    confidence = Confidence.LOW
            ctx.report(self.rule, p.node, {"param": p.name, "handler": handler.name, "problem": problem,
                                            "annotation": annotation or "none"}, statement=node,
                       confidence=confidence)


# Parameters of a tool that carry a query string: a container passed whole next to one is the
# query's bind parameters (DB-API `execute(operation, parameters)`, `session.run(query, params)`).
_QUERY_PARAMS = frozenset({"query", "sql", "cypher", "statement", "stmt", "sql_query", "cypher_query", "q"})
_FREE_FORM = re.compile(r"free[- ]?form|arbitrary|opaque|schema-?less|\bany (?:json|keys|fields|properties|"
                        r"key[- ]value)", re.I)
_LISTED = (re.compile(r"`([A-Za-z_][\w.]*)`"),  # `field` names in backticks
           re.compile(r"""[{,]\s*["']?([A-Za-z_]\w*)["']?\s*:"""),  # {"key": ...} examples
           re.compile(r"""\b(?:keys|fields|properties)\s*(?:are|:)\s*[`"']?([A-Za-z_]\w*)""", re.I))
_BIND_KEYWORDS = frozenset({"params", "parameters", "bind_params", "bindparams", "args", "values", "variables"})
_ITERATE = frozenset({"items", "keys", "values"})


class _Uses:
    """How a handler uses its parameters, and what its docstring says of them: enough to tell a
    value passed on whole on purpose (bind parameters, a property bag, a documented free-form
    payload) from one whose structure the tool knows but does not declare."""

    def __init__(self, node: cst.FunctionDef, handler: HandlerInfo) -> None:
        self.doc = node.get_docstring() or ""
        self.queries = {p.name for p in handler.params if p.name in _QUERY_PARAMS and p.constraint != CONTAINER}
        self.query_params = sorted(self.queries)
        self.bound: set[str] = set()  # passed whole in one call with a query parameter
        self.generic: set[str] = set()  # spread, merged or iterated as a mapping
        self.descriptions: dict[str, str] = {}
        for p in handler.params:
            text = _field_description(p.node)
            if text:
                self.descriptions[p.name] = text
        nodes = list(descendants(node.body))
        if self.queries:  # names bound to a value built from the query: `q = Query(query, ...)`
            for n in nodes:
                if isinstance(n, cst.Assign) and len(n.targets) == 1 and \
                        isinstance(n.targets[0].target, cst.Name) and _names(n.value) & self.queries:
                    self.queries = self.queries | {n.targets[0].target.value}
        for n in nodes:
            if isinstance(n, cst.Call):
                self._call(n)
            elif isinstance(n, (cst.For, cst.CompFor)) and isinstance(n.iter, cst.Name):
                self.generic.add(n.iter.value)  # `for key in params`, `[k for k in params]`

    def _call(self, call: cst.Call) -> None:
        func = call.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and \
                func.attr.value in _ITERATE and not call.args:
            self.generic.add(func.value.value)
        callee = (dotted(func) or "").rsplit(".", 1)[-1]
        for arg in call.args:
            # `**params` into a function (not `Model(**params)`, which gives it a structure)
            if arg.star == "**" and isinstance(arg.value, cst.Name) and callee and not callee[:1].isupper():
                self.generic.add(arg.value.value)
        if self.queries:
            # execute(query, params) / execute(text(sql), params) / run(query, parameters=params)
            mentioned = [_names(a.value) for a in call.args]
            positional = [m for a, m in zip(call.args, mentioned) if a.keyword is None and not a.star]
            if not any(m & self.queries for m in mentioned):
                return
            for before, after in zip(positional, positional[1:]):
                if before & self.queries:
                    self.bound.update(after - self.queries)
            for a, m in zip(call.args, mentioned):
                if a.keyword is not None and a.keyword.value.rstrip("_") in _BIND_KEYWORDS:
                    self.bound.update(m - self.queries)

    def free_form(self, p) -> str:
        """Why the parameter is free-form by design ("" if nothing says so, or if its
        description lists the fields it takes)."""
        text = self._about(p.name)
        if _lists_fields(text, p.name):
            return ""
        if p.name in self.bound:
            return f"passed whole with `{self.query_params[0]}` as the query's bind parameters"
        if _FREE_FORM.search(text):
            return "its description says so"
        if p.name in self.generic:
            return "its keys are spread into a call or iterated, not read one by one"
        return ""

    def _about(self, name: str) -> str:
        """What the docstring and the parameter's own description say about it: its `Args:`
        entry (with continuation lines) and every sentence that names it."""
        parts = [self.descriptions.get(name, "")]
        word = re.compile(r"(?<![\w.])`?" + re.escape(name) + r"`?(?![\w])")
        parts.extend(sentence for sentence in re.split(r"(?<=[.!?])\s+|\n\s*\n", " ".join(self.doc.split()))
                     if word.search(sentence))
        lines = self.doc.splitlines()
        for i, line in enumerate(lines):
            if not word.search(line):
                continue
            indent = len(line) - len(line.lstrip())
            entry = [line]
            for more in lines[i + 1:]:
                if more.strip() and len(more) - len(more.lstrip()) <= indent:
                    break
                entry.append(more)
            parts.append(" ".join(x.strip() for x in entry))
        return " ".join(parts)


def _names(expr: cst.CSTNode) -> set[str]:
    return {n.value for n in descendants(expr) if isinstance(n, cst.Name)}


def _field_description(param: cst.Param) -> str:
    """The `description=` of a `Field(...)` default or `Annotated[..., Field(...)]` metadata."""
    found = []
    candidates = [param.default]
    ann = param.annotation.annotation if param.annotation is not None else None
    if isinstance(ann, cst.Subscript):
        candidates.extend(el.slice.value for el in ann.slice if isinstance(el.slice, cst.Index))
    for c in candidates:
        if isinstance(c, cst.Call):
            for a in c.args:
                if a.keyword is not None and a.keyword.value == "description":
                    text = string_value(a.value)
                    if text:
                        found.append(text)
    return " ".join(found)


def _lists_fields(text: str, name: str) -> bool:
    """The description names the fields it takes: `field` in backticks (not the parameter
    itself), `{"key": ...}` examples, "keys: a, b"."""
    for pattern in _LISTED:
        for m in pattern.finditer(text):
            if m.group(1) != name:
                return True
    return False


_VALIDATORS = ("model_validate", "model_validate_json", "parse_obj", "validate_python", "validate")


class UnvalidatedArguments(Primitive):
    """`unvalidated-arguments`: a low-level dispatcher that the SDK does not schema-validate
    reads its raw arguments before validating them. Reported at the first read (in the
    dispatcher, or in a same-file helper it hands the arguments to).

    In the dispatcher's own body the flow analysis decides: a validation call (`Model(**args)`,
    `Model.model_validate(args)`, `jsonschema.validate(args, ...)`) narrows the arguments for
    what it dominates, not for sibling branches. Reads in helpers are credited to a dispatcher
    that validates at all before handing the arguments on. Only reads of the mapping itself
    count (`args["x"]`, `args.get("x")`, aliases such as `args = params.arguments or {}`), not
    of values computed from it."""

    NAME = "unvalidated-arguments"
    PARAMS = Map({
        "kinds": Key(List(Str(choices=("tool-dispatcher", "resource-dispatcher", "prompt-dispatcher")),
                          min_items=1), default=("tool-dispatcher",)),
        "validators": Key(List(Str()), default=("jsonschema.validate", "jsonschema.validators.validate")),
    })
    PLACEHOLDERS = frozenset({"handler", "read", "why"})

    def setup(self) -> None:
        self.kinds = frozenset(self.params["kinds"])
        self.validators = frozenset(self.params["validators"])

    def enter(self):
        return {cst.Subscript: self.on_read, cst.Call: self.on_call}

    def _relevant(self, ctx: FileContext) -> bool:
        """Only files with an unvalidated dispatcher need looking at."""
        key = f"{self.rule.id}:relevant"
        if key not in ctx.scratch:
            ctx.scratch[key] = any(self._unvalidated(h) for h in ctx.model.handlers)
        return ctx.scratch[key]

    def _unvalidated(self, handler: HandlerInfo) -> bool:
        return handler.kind in self.kinds and handler.validate_input is False

    def _validating_frames(self, ctx: FileContext) -> set:
        return ctx.scratch.setdefault(f"{self.rule.id}:validating", set())

    def on_call(self, node: cst.Call, ctx: FileContext) -> None:
        if not self._relevant(ctx):
            return
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "get" and node.args:
            self.on_read(node, ctx, base=func.value)
            return
        qual = ctx.resolve(func) or ""
        if (qual in self.validators or (isinstance(func, cst.Attribute) and func.attr.value in _VALIDATORS)
                or (isinstance(func, cst.Name) and func.value[:1].isupper()
                    and any(a.star == "**" for a in node.args))):
            self._validating_frames(ctx).add(id(ctx.state.frame))

    def on_read(self, node: cst.CSTNode, ctx: FileContext, base: cst.BaseExpression | None = None) -> None:
        if not self._relevant(ctx):
            return
        if base is None:
            if not isinstance(node, cst.Subscript):
                return
            base = node.value
        point = ctx.point()
        if not self._is_arguments_mapping(ctx, base, point, 0):
            return
        reads = ctx.scratch.setdefault(f"{self.rule.id}:reads", [])
        reads.append((node, base, point, ctx.state.statement, ctx.state.frame))

    def _is_arguments_mapping(self, ctx: FileContext, base: cst.BaseExpression, point: Point, depth: int) -> bool:
        if depth > 4:
            return False
        while isinstance(base, cst.BooleanOperation):
            base = base.left
        if isinstance(base, cst.Attribute):
            return base.attr.value == "arguments"
        if not isinstance(base, cst.Name):
            return False
        for b in ctx.flows.reaching(base.value, point):
            if b.kind == PARAM:
                return True
            if b.kind == ASSIGN and isinstance(b.node, cst.BaseExpression) and not b.index and \
                    self._is_arguments_mapping(ctx, b.node, b.point, depth + 1):
                return True
        return False

    def finish(self, ctx: FileContext) -> None:
        reads = ctx.scratch.get(f"{self.rule.id}:reads", [])
        validating = self._validating_frames(ctx)
        first: dict[cst.CSTNode, tuple] = {}
        for order, (node, base, point, statement, frame) in enumerate(reads):
            for origin in self._raw_argument_origins(ctx, base, point):
                dispatcher = ctx.model.handler(origin.function)
                if dispatcher is None or not self._unvalidated(dispatcher):
                    continue
                own = frame.node is dispatcher.function
                dispatcher_frame = ctx.flows.frames.get(dispatcher.function)
                if not own and dispatcher_frame is not None and id(dispatcher_frame) in validating:
                    continue  # the dispatcher validates before handing the arguments on
                rank = (0 if own else 1, order)
                best = first.get(dispatcher.function)
                if best is None or rank < best[0]:
                    first[dispatcher.function] = (rank, node, statement, dispatcher)
        for _, node, statement, dispatcher in first.values():
            why = ("mcp 2.x low-level servers do not validate tool arguments" if dispatcher.flavour == sdk.LOWLEVEL2
                   or dispatcher.form == Form.LOWLEVEL_HANDLER else "`validate_input=False` turns off the SDK's schema check")
            ctx.report(self.rule, node, {"handler": dispatcher.function.name.value, "read": code(node, 50),
                                         "why": why}, statement=statement)

    def _raw_argument_origins(self, ctx: FileContext, base: cst.BaseExpression, point: Point) -> list[Origin]:
        flow = ctx.flows.resolved(base, point)
        return [o for o in flow if o.kind == TOOL and "model" not in o.sanitizers and
                o.label.startswith("tool argument") and isinstance(o.function, cst.FunctionDef)]
