"""Fixes for how handlers deal with errors (MCP302, MCP305).

MCP302, a swallowed exception: the error is logged before the clause's existing body, with
the module's own logger when it has one (`logger = logging.getLogger(...)` at module level,
visible at the clause) and `logging.exception` otherwise. A body that is only `pass` (or `...`)
is replaced by the call; any other body (`continue`, `return None`) is kept after it.

MCP305, an error returned as success: the SDK's way to fail a tool call, for the server's
flavour. FastMCP (mcp 1.x), MCPServer (mcp 2.x) and fastmcp tools raise the package's
`ToolError` with the message (the client receives it as an error result, with `isError`
set); a low-level dispatcher returns `CallToolResult(content=[TextContent(...)], isError=True)`
(`is_error=True` on mcp 2.x), or wraps the content it returned (`return [TextContent(...)]`).
Offered for a message (a string, an f-string, `str(exc)`, the
exception itself) and for a dict whose only key is an error key; other shapes are left alone.
"""

from __future__ import annotations

import libcst as cst

from mcp_lint.analysis import sdk
from mcp_lint.analysis.cst_utils import string_value
from mcp_lint.analysis.mcp_model import HandlerInfo
from mcp_lint.check.context import At, FileContext, NodeEdit, NodeFix
from mcp_lint.check.fixkit import Fixer, fix_builder
from mcp_lint.model.findings import Applicability
from mcp_lint.model.rules import Rule

_LOGGER_NAMES = ("logger", "log", "_logger", "_log", "LOGGER", "LOG")
_TOOL_ERRORS = {
    sdk.MCP1: "mcp.server.fastmcp.exceptions",
    sdk.MCP2: "mcp.server.mcpserver.exceptions",
    sdk.FASTMCP: "fastmcp.exceptions",
}


# -- MCP302 --------------------------------------------------------------------------------------

@fix_builder
def swallowed_fix(ctx: FileContext, rule: Rule, clause: cst.ExceptHandler,
                  function: cst.FunctionDef | None) -> NodeFix | None:
    if rule.fix is None:
        return None
    fixer = Fixer(ctx)
    log = _module_logger(ctx, fixer) if function is not None else None
    if log is None:
        log = fixer.attribute("logging", "exception")
        if log is None:
            return None
    else:
        log = f"{log}.exception"
    where = function.name.value if function is not None else None
    call = f'{log}("Unexpected error in {where}")' if where else f'{log}("Unexpected error")'
    body = clause.body
    smalls = list(body.body) if isinstance(body, cst.SimpleStatementSuite) else None
    if smalls is None:
        lines = list(body.body)
        if len(lines) == 1 and isinstance(lines[0], cst.SimpleStatementLine) and len(lines[0].body) == 1 and \
                _placeholder(lines[0].body[0]):
            fixer.replace(lines[0].body[0], call)
        elif lines:
            fixer.insert_statement(lines[0], call)
        else:
            return None
    elif len(smalls) == 1 and _placeholder(smalls[0]):
        fixer.replace(smalls[0], call)
    elif smalls:
        fixer.insert_before(smalls[0], call + "; ")
    else:
        return None
    return fixer.fix(f"Log the error with `{log}(...)`", Applicability(rule.fix.value))


def _placeholder(stmt: cst.CSTNode) -> bool:
    return isinstance(stmt, cst.Pass) or (isinstance(stmt, cst.Expr) and isinstance(stmt.value, cst.Ellipsis))


def _module_logger(ctx: FileContext, fixer: Fixer) -> str | None:
    """A module-level `NAME = logging.getLogger(...)` the clause sees (the usual names first)."""
    candidates = []
    for name, values in ctx.index.module_bindings.items():
        if len(values) != 1 or not isinstance(values[0], cst.Call):
            continue
        if ctx.resolve(values[0].func) != "logging.getLogger":
            continue
        candidates.append(name)
    candidates.sort(key=lambda n: (_LOGGER_NAMES.index(n) if n in _LOGGER_NAMES else len(_LOGGER_NAMES), n))
    top = fixer.scopes.of(ctx.module)
    for name in candidates:
        if name in top.names and fixer.scopes.lookup(name, fixer.chain) is top.names[name]:
            return name
    return None


# -- MCP305 --------------------------------------------------------------------------------------

@fix_builder
def error_result_fix(ctx: FileContext, rule: Rule, ret: cst.Return, handler: HandlerInfo, exc: str | None,
                     keys: frozenset[str]) -> NodeFix | None:
    if rule.fix is None or ret.value is None:
        return None
    fixer = Fixer(ctx)
    applicability = Applicability(rule.fix.value)
    lowlevel2 = handler.flavour == sdk.LOWLEVEL2 or handler.form == "T10"
    lowlevel = lowlevel2 or handler.dispatcher or handler.flavour == sdk.LOWLEVEL1
    flag = "is_error" if lowlevel2 else "isError"
    if lowlevel and isinstance(ret.value, (cst.List, cst.Tuple)):
        # `return [TextContent(...)]`: the same content, as an error result
        result = fixer.symbol("mcp.types", "CallToolResult")
        if result is None:
            return None
        fixer.insert_before(ret.value, f"{result}(content=")
        fixer.insert_after(ret.value, f", {flag}=True)")
        return fixer.fix(f"Return `{result}(..., {flag}=True)`", applicability)
    message, as_text = _message(ret.value, exc, keys)
    if message is None:
        return None
    if lowlevel:
        result = fixer.symbol("mcp.types", "CallToolResult")
        content = fixer.symbol("mcp.types", "TextContent")
        if result is None or content is None:
            return None
        quote = _quote(message)
        text = "str(" if as_text else ""
        fixer.edits.append(NodeEdit(At(ret.value, "start"), At(message, "start"),
                                    f"{result}(content=[{content}(type={quote}text{quote}, text={text}"))
        fixer.edits.append(NodeEdit(At(message, "end"), At(ret.value, "end"),
                                    f"{')' if as_text else ''})], {flag}=True)"))
        return fixer.fix(f"Return `{result}(..., {flag}=True)`", applicability)
    module = _TOOL_ERRORS.get(handler.flavour)
    if module is None:
        return None
    tool_error = fixer.symbol(module, "ToolError")
    if tool_error is None:
        return None
    if message is ret.value and len(getattr(message, "lpar", ())) == 1 and not as_text:
        # `return (\n  f"..."\n)`: the message's own parentheses become the call's
        fixer.edits.append(_RaiseParenthesised(ret, message, tool_error))
        return fixer.fix(f"Raise `{tool_error}` with the message", applicability)
    text = "str(" if as_text else ""
    fixer.edits.append(NodeEdit(At(ret, "start"), At(message, "start"), f"raise {tool_error}({text}"))
    fixer.edits.append(NodeEdit(At(message, "end"), At(ret, "end"), ")" + (")" if as_text else "")))
    return fixer.fix(f"Raise `{tool_error}` with the message", applicability)


class _RaiseParenthesised:
    def __init__(self, ret: cst.Return, message: cst.BaseExpression, tool_error: str) -> None:
        self.ret, self.message, self.tool_error = ret, message, tool_error

    def nodes(self):
        return (self.ret, self.message)

    def resolve(self, view):
        from mcp_lint.model.findings import Edit

        start, end = view.start(self.ret), view.end(self.ret)
        paren = view.text.rfind("(", start, view.start(self.message))
        close = view.text.find(")", view.end(self.message), end)
        if paren < 0 or close < 0:
            return None
        edits = [Edit(view.lines.span(start, paren), f"raise {self.tool_error}")]
        if close + 1 < end:  # `return {"error": (...)}`: the rest of the dict goes
            edits.append(Edit(view.lines.span(close + 1, end), ""))
        return edits


def _message(value: cst.BaseExpression, exc: str | None, keys: frozenset[str]
             ) -> tuple[cst.BaseExpression | None, bool]:
    """The expression holding the error message, and whether it needs `str(...)` (the
    exception object itself)."""
    if isinstance(value, cst.Dict):
        elements = [e for e in value.elements if isinstance(e, cst.DictElement)]
        if len(elements) != 1 or len(value.elements) != 1:
            return None, False
        key = string_value(elements[0].key)
        if key is None or key.lower() not in keys:
            return None, False
        value = elements[0].value
    if isinstance(value, cst.Name):
        return (value, True) if exc is not None and value.value == exc else (None, False)
    if isinstance(value, (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString)):
        return value, False
    if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, (cst.Add, cst.Modulo)):
        return value, False
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value in ("str", "repr"):
        return value, False
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value == "format":
        return value, False
    return None, False


def _quote(message: cst.BaseExpression) -> str:
    node = message
    while isinstance(node, cst.ConcatenatedString):
        node = node.left
    if isinstance(node, (cst.SimpleString, cst.FormattedString)):
        return "'" if node.quote.startswith("'") else '"'
    return '"'
