"""Primitives about handler signatures and the raw arguments of low-level dispatchers."""

from __future__ import annotations

import libcst as cst

from mcp_lint.analysis import sdk
from mcp_lint.analysis.cst_utils import code
from mcp_lint.analysis.mcp_model import ANY, CONTAINER, Form, HandlerInfo, NONE
from mcp_lint.analysis.state import ASSIGN, PARAM, Point
from mcp_lint.analysis.taint import TOOL, Origin
from mcp_lint.check.context import FileContext
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
        for p in handler.params:
            if not p.controlled or p.constraint not in self.flagged:
                continue
            annotation = code(p.annotation, 40) if p.annotation is not None else ""
            problem = _PROBLEMS[p.constraint].format(annotation=annotation)
            if p.constraint == NONE and handler.flavour in (sdk.MCP1, sdk.MCP2):
                problem += " (the SDK advertises it as a string but accepts any JSON value)"
            ctx.report(self.rule, p.node, {"param": p.name, "handler": handler.name, "problem": problem,
                                            "annotation": annotation or "none"}, statement=node)


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
