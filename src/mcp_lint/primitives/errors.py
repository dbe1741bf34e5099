"""Primitives about how tool handlers report failure."""

from __future__ import annotations

import re

import libcst as cst

from ..analysis import sdk
from ..analysis.cst_utils import code, dotted, keyword, leading_text, string_value
from ..analysis.mcp_model import HandlerInfo
from ..context import FileContext
from ..schema import Key, List, Map, Str
from .base import Primitive


def _suggestion(handler: HandlerInfo) -> str:
    """The coded error each SDK flavour offers its tools."""
    if handler.flavour == sdk.LOWLEVEL2 or handler.form == "T10":
        return "`MCPError(INVALID_PARAMS, ...)` or return `CallToolResult(is_error=True)`"
    if handler.dispatcher or handler.flavour == sdk.LOWLEVEL1:
        return "`McpError(ErrorData(code=INVALID_PARAMS, ...))` or return `CallToolResult(isError=True)`"
    if handler.flavour == sdk.MCP2:
        return "`ToolError` (or `MCPError(code, message)` to reject the request)"
    return "`ToolError`"


class GenericRaise(Primitive):
    """`generic-raise`: a tool handler raises a bare built-in exception instead of a coded
    error. Re-raises, and exceptions caught by an enclosing `try` in the same handler, are
    exempt. Reported at the `raise`."""

    NAME = "generic-raise"
    PARAMS = Map({
        "exceptions": Key(List(Str(), min_items=1), required=True),
        "kinds": Key(List(Str()), default=("tool", "tool-dispatcher")),
    })
    PLACEHOLDERS = frozenset({"exception", "handler", "suggestion"})

    def setup(self) -> None:
        self.generic = frozenset(self.params["exceptions"])
        self.kinds = frozenset(self.params["kinds"])

    def enter(self):
        return {cst.Raise: self.on_raise}

    def on_raise(self, node: cst.Raise, ctx: FileContext) -> None:
        handler = ctx.state.handler
        if handler is None or handler.kind not in self.kinds or node.exc is None:
            return
        exc = node.exc
        target = exc.func if isinstance(exc, cst.Call) else exc
        if not isinstance(exc, cst.Call) and isinstance(exc, cst.Name) and exc.value not in self.generic:
            return  # `raise err`: re-raising a bound exception
        qual = ctx.resolve(target)
        if qual is None or not qual.startswith("builtins."):
            return
        name = qual[len("builtins."):]
        if name not in self.generic or self._caught_locally(ctx, name):
            return
        self.report(ctx, node, exception=name, handler=handler.name, suggestion=_suggestion(handler))

    def _caught_locally(self, ctx: FileContext, name: str) -> bool:
        frame = ctx.state.frame
        for try_node, part in reversed(ctx.state.trys):
            if part != "body":
                continue
            if not _inside_frame(ctx, try_node, frame):
                break
            for h in try_node.handlers:
                if h.type is None:
                    return True
                caught = h.type.elements if isinstance(h.type, cst.Tuple) else [h.type]
                for c in caught:
                    cname = (dotted(c.value if isinstance(c, cst.Element) else c) or "").rsplit(".", 1)[-1]
                    if cname in (name, "Exception", "BaseException") or (
                            name in ("KeyError",) and cname == "LookupError"):
                        return True
        return False


def _inside_frame(ctx: FileContext, node: cst.CSTNode, frame) -> bool:
    """Is `node` (an ancestor) within the current frame's function body?"""
    for anc in reversed(ctx.state.ancestors):
        if anc is node:
            return True
        if anc is frame.node:
            return False
    return False


_ERROR_KEYS = frozenset({"error", "errors", "error_message", "err", "exception", "failure"})


class ErrorResult(Primitive):
    """`error-result`: inside an `except` of a tool handler, returning an error message as a
    normal result (`{"error": ...}`, `"Error: ..."`, `str(exc)`). Reported at the `return`."""

    NAME = "error-result"
    PARAMS = Map({
        "prefixes": Key(List(Str(), min_items=1), required=True),
        "keys": Key(List(Str()), default=tuple(sorted(_ERROR_KEYS))),
        "explicit-error-results": Key(List(Str()), default=tuple(sorted(sdk.EXPLICIT_ERROR_RESULTS))),
        "kinds": Key(List(Str()), default=("tool", "tool-dispatcher")),
    })
    PLACEHOLDERS = frozenset({"handler", "returned", "suggestion"})

    def setup(self) -> None:
        words = "|".join(re.escape(p) for p in sorted(self.params["prefixes"], key=len, reverse=True))
        # "Error: ...", "Failed to ...", and "Database error: ..." (the word within the first three)
        self.prefix = re.compile(rf"^\W*({words})\b|^\W*(\w+\W+){{1,2}}(error|failed|failure)\b",
                                 re.IGNORECASE)
        self.keys = frozenset(self.params["keys"])
        self.explicit = frozenset(self.params["explicit-error-results"])
        self.kinds = frozenset(self.params["kinds"])

    def enter(self):
        return {cst.Return: self.on_return}

    def on_return(self, node: cst.Return, ctx: FileContext) -> None:
        handler = ctx.state.handler
        if handler is None or handler.kind not in self.kinds or node.value is None:
            return
        clause = ctx.state.except_handler()
        if clause is None:
            return
        exc_name = clause.name.name.value if clause.name is not None and isinstance(clause.name.name, cst.Name) \
            else None
        if self._is_error(node.value, exc_name, 0, ctx):
            self.report(ctx, node, handler=handler.name, returned=code(node.value, 50),
                        suggestion=_suggestion(handler))

    def _is_error(self, value: cst.BaseExpression, exc: str | None, depth: int, ctx: FileContext) -> bool:
        if depth > 4:
            return False
        if isinstance(value, cst.Call):
            name = (dotted(value.func) or "").rsplit(".", 1)[-1]
            if name in self.explicit:
                flag = keyword(value, "isError") or keyword(value, "is_error")
                if flag is not None and not (isinstance(flag.value, cst.Name) and flag.value.value == "False"):
                    return False  # an explicit error result
                content = keyword(value, "content") or (value.args[0] if value.args and value.args[0].keyword is None
                                                        else None)
                return content is not None and self._is_error(content.value, exc, depth + 1, ctx)
            if isinstance(value.func, cst.Name) and value.func.value in ctx.index.module_functions:
                # `text_result(f"Failed to ...")`: a same-file helper wrapping an error message
                return any(self._is_message(a.value, exc) for a in value.args if a.keyword is None)
            if name in ("str", "repr", "format") and value.args:
                return self._mentions(value.args[0].value, exc)
            if name in ("dumps", "JSONResponse", "dict") and value.args:
                return any(self._is_error(a.value, exc, depth + 1, ctx) for a in value.args)
            if name == "TextContent":
                text = keyword(value, "text")
                return text is not None and self._is_error(text.value, exc, depth + 1, ctx)
            return False
        if isinstance(value, (cst.List, cst.Tuple)):
            return any(self._is_error(e.value, exc, depth + 1, ctx) for e in value.elements)
        if isinstance(value, cst.Dict):
            for el in value.elements:
                if not isinstance(el, cst.DictElement):
                    continue
                key = string_value(el.key)
                if key is None:
                    continue
                if key.lower() in self.keys and not _empty(el.value):
                    return True
                if key.lower() in ("status", "result", "state") and (string_value(el.value) or "").lower() in (
                        "error", "failed", "failure", "fail"):
                    return True
                if key.lower() in ("success", "ok") and isinstance(el.value, cst.Name) and el.value.value == "False":
                    return True
            return False
        return self._is_message(value, exc)

    def _is_message(self, value: cst.BaseExpression, exc: str | None) -> bool:
        """An error message: text starting like one, or the caught exception's text."""
        if isinstance(value, (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString, cst.BinaryOperation)):
            if self.prefix.match(leading_text(value)):
                return True
            return self._is_exception_text(value, exc)
        if isinstance(value, cst.Call) and (dotted(value.func) or "") in ("str", "repr") and value.args:
            return self._mentions(value.args[0].value, exc)
        if isinstance(value, cst.Name):
            return exc is not None and value.value == exc
        return False

    def _is_exception_text(self, value: cst.BaseExpression, exc: str | None) -> bool:
        """An f-string or concatenation that is only the caught exception: f"{e}"."""
        if exc is None:
            return False
        if isinstance(value, cst.FormattedString):
            parts = [p for p in value.parts if not (isinstance(p, cst.FormattedStringText) and not p.value.strip())]
            return len(parts) == 1 and isinstance(parts[0], cst.FormattedStringExpression) and \
                self._mentions(parts[0].expression, exc)
        return False

    def _mentions(self, expr: cst.BaseExpression, exc: str | None) -> bool:
        return exc is not None and isinstance(expr, cst.Name) and expr.value == exc


def _empty(value: cst.BaseExpression) -> bool:
    if isinstance(value, cst.Name) and value.value in ("None", "False"):
        return True
    text = string_value(value)
    return text is not None and not text.strip()
