"""Primitives about how handlers are registered with a server: descriptions, `add_tool`
arguments, decorators used without a call."""

from __future__ import annotations

import libcst as cst

from mcp_lint.analysis import sdk
from mcp_lint.analysis.cst_utils import code, string_value
from mcp_lint.analysis.mcp_model import HandlerInfo
from mcp_lint.check.context import FileContext, NodeEdit, NodeFix
from mcp_lint.model.findings import Applicability
from mcp_lint.model.schema import Key, List, Map, Str
from mcp_lint.check.primitives.base import HANDLER_KINDS, HandlerPrimitive, Primitive


def _has_text(value: cst.BaseExpression | None) -> bool:
    """A registration keyword that gives a description (anything but a literal None or "")."""
    if value is None:
        return False
    if isinstance(value, cst.Name) and value.value == "None":
        return False
    text = string_value(value)
    return text is None or bool(text.strip())


class MissingDescription(HandlerPrimitive):
    """`missing-description`: a handler with neither a docstring nor a `description=` (or the
    positional description of `add_tool(fn, name, title, description)`) in its registration.
    Reported at the handler's name on its `def` line."""

    NAME = "missing-description"
    PARAMS = Map({
        "kinds": HANDLER_KINDS,
    })
    PLACEHOLDERS = frozenset({"handler", "kind", "registration"})

    def on_handler(self, node: cst.FunctionDef, handler: HandlerInfo, ctx: FileContext) -> None:
        doc = node.get_docstring()
        if doc is not None and doc.strip():
            return
        if self._described(handler):
            return
        self.report(ctx, node.name, handler=handler.name, kind=handler.kind,
                    registration=code(handler.registration, 40))

    def _described(self, handler: HandlerInfo) -> bool:
        if handler.via:
            return True  # registered in another module (or by list_tools): its description is not visible here
        if _has_text(handler.kwargs.get("description")):
            return True
        if "description" in handler.kwargs:
            return False
        reg = handler.registration
        if isinstance(reg, cst.Call):
            if any(a.star == "**" for a in reg.args):
                return True  # **options may carry it
            if isinstance(reg.func, cst.Attribute) and reg.func.attr.value in sdk.ADD_METHODS:
                positional = [a.value for a in reg.args if a.keyword is None and not a.star]
                # add_tool(fn, name, title, description): any string after the name is meant
                # as a description, whichever field it lands in (that is MCP203's concern)
                return any(_has_text(v) for v in positional[2:])
        return False


# The official SDK's add_tool order (mcp 1.10+ and 2.x): fn, name, title, description, ...
_ADD_TOOL_FIELDS = ("fn", "name", "title", "description", "annotations")


class AddToolPositional(Primitive):
    """`add-tool-positional`: `server.add_tool(fn, a, b, ...)` with more than one positional
    argument on a high-level server. Reported at the call."""

    NAME = "add-tool-positional"
    PARAMS = Map({
        "methods": Key(List(Str(), min_items=1), default=("add_tool",)),
    })
    PLACEHOLDERS = frozenset({"method", "function", "count", "value", "field"})

    def setup(self) -> None:
        self.methods = frozenset(self.params["methods"])

    def enter(self):
        return {cst.Call: self.on_call}

    def on_call(self, node: cst.Call, ctx: FileContext) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in self.methods:
            return
        positional = [a for a in node.args if a.keyword is None]
        if len(positional) < 2 or any(a.star for a in positional):
            return
        if not self._registers(node, ctx):
            return
        # The last positional is the one furthest from where its author meant it.
        index = min(len(positional), len(_ADD_TOOL_FIELDS)) - 1
        field = _ADD_TOOL_FIELDS[index] if len(positional) <= len(_ADD_TOOL_FIELDS) else "a later field"
        self.report(ctx, node, method=func.attr.value, function=code(positional[0].value, 30),
                    count=str(len(positional)), value=code(positional[index].value, 40), field=field)

    def _registers(self, node: cst.Call, ctx: FileContext) -> bool:
        """The call registers on an MCP server the model knows (not some other `add_tool`)."""
        for h in ctx.model.handlers:
            if h.registration is node:
                return h.server is not None and not h.server.lowlevel
        for u in ctx.model.unresolved:
            if u.node is node:
                return True
        return False


_OFFICIAL = frozenset({sdk.MCP1, sdk.MCP2})


class DecoratorNotCalled(Primitive):
    """`decorator-not-called`: `@server.tool` / `@server.resource` / `@server.prompt` without
    parentheses on an official-SDK server, whose decorators must be called. Reported at the
    decorator, with a fix that adds `()`."""

    NAME = "decorator-not-called"
    FIXABLE = True
    PARAMS = Map({
        "methods": Key(List(Str(), min_items=1), default=("tool", "resource", "prompt")),
    })
    PLACEHOLDERS = frozenset({"decorator", "handler", "server", "constructor"})

    def setup(self) -> None:
        self.methods = frozenset(self.params["methods"])

    def enter(self):
        return {cst.FunctionDef: self.on_function}

    def on_function(self, node: cst.FunctionDef, ctx: FileContext) -> None:
        handler = ctx.model.handler(node)
        for dec in node.decorators:
            expr = dec.decorator
            if not isinstance(expr, cst.Attribute) or expr.attr.value not in self.methods:
                continue
            server = self._server(expr, handler, ctx)
            if server is None or server.flavour not in _OFFICIAL:
                continue
            shown = code(expr, 40)
            fix = NodeFix(f"call the decorator: `@{shown}()`", (NodeEdit.after(expr, "()"),),
                          Applicability.UNSAFE)
            ctx.report(self.rule, dec, {"decorator": shown, "handler": node.name.value,
                                        "server": code(expr.value, 30),
                                        "constructor": server.constructor.rsplit(".", 1)[-1]},
                       statement=dec, fix=fix)

    def _server(self, expr: cst.Attribute, handler: HandlerInfo | None, ctx: FileContext):
        if handler is not None and handler.registration is expr:
            return handler.server
        receiver = code(expr.value, 200)
        for s in ctx.model.servers:
            if s.binding == receiver:
                return s
        return None
