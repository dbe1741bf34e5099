"""Primitives about how tool handlers report failure."""

from __future__ import annotations

import builtins
import re

import libcst as cst

from mcp_lint.analysis import sdk
from mcp_lint.analysis.cst_utils import assign_targets, code, dotted, is_literal, keyword, leading_text, statements, string_value, target_names
from mcp_lint.analysis.fields import child_nodes
from mcp_lint.analysis.mcp_model import Form, HandlerInfo
from mcp_lint.analysis.state import ASSIGN, AUG, OPAQUE, PARAM
from mcp_lint.check.context import FileContext
from mcp_lint.model.findings import Confidence
from mcp_lint.model.regex import pack_regex
from mcp_lint.model.schema import Key, List, Map, Regex, Str
from mcp_lint.check.primitives.base import ALL_HANDLER_KINDS, Primitive
from mcp_lint.check.primitives.error_fixes import error_result_fix, swallowed_fix


def _suggestion(handler: HandlerInfo) -> str:
    """The coded error each SDK flavour offers its tools."""
    if handler.flavour == sdk.LOWLEVEL2 or handler.form == Form.LOWLEVEL_HANDLER:
        return "`MCPError(INVALID_PARAMS, ...)` or return `CallToolResult(is_error=True)`"
    if handler.dispatcher or handler.flavour == sdk.LOWLEVEL1:
        return "`McpError(ErrorData(code=INVALID_PARAMS, ...))` or return `CallToolResult(isError=True)`"
    if handler.flavour == sdk.MCP2:
        return "`ToolError` (or `MCPError(code, message)` to reject the request)"
    return "`ToolError`"


# -- what a plain exception escaping a tool becomes --------------------------------------------------

# The SDKs' answer to an exception a tool raises (MCP-SERVERS.md 2.2, checked in each SDK's source):
# - mcp 1.x FastMCP wraps every exception, ToolError included, in `ToolError("Error executing tool
#   t: <message>")`: an isError result with the message (mcp/server/fastmcp/tools/base.py, Tool.run);
# - fastmcp 2-4 sends `Error calling tool 't': <message>` for any exception and a ToolError's own
#   message, unless `mask_error_details=True`, where only ToolError (and the other FastMCPError
#   classes) keep their message (fastmcp/tools/tool_manager.py, server.py `_call_tool`);
# - the low-level 1.x `@server.call_tool()` turns every exception, McpError too, into an isError
#   result carrying `str(exc)` (mcp/server/lowlevel/server.py, `_make_error_result(str(e))`);
# - mcp 2.x MCPServer (from 2.1) keeps the message of ToolError and ResourceError and answers any
#   other exception, MCPError aside, with only `Error executing tool t` (UnexpectedToolError,
#   mcp/server/mcpserver/tools/base.py, Tool.run);
# - a low-level 2.x `on_call_tool` handler is not wrapped at all: MCPError becomes its JSON-RPC
#   error, anything else a JSON-RPC error too (code 0 or -32603), never a tool result.
_MASKED_MCP2 = "masked-mcp2"
_MASKED_FASTMCP = "masked-fastmcp"
_PROTOCOL = "protocol"


def _plain_exception_fate(handler: HandlerInfo) -> str | None:
    """What a plain exception (not the SDK's tool error) escaping this handler becomes, when
    that is worse than the SDK's error: masked, or a protocol error instead of a tool result.
    None where the SDK delivers it like its own tool error (mcp 1.x FastMCP, fastmcp by
    default, the low-level 1.x dispatcher) or the SDK is not known."""
    if handler.flavour == sdk.LOWLEVEL2 or handler.form == Form.LOWLEVEL_HANDLER:
        return _PROTOCOL
    if handler.dispatcher:
        return None
    if handler.flavour == sdk.MCP2:
        return _MASKED_MCP2
    if handler.flavour == sdk.FASTMCP and _masks_details(handler):
        return _MASKED_FASTMCP
    return None


def _masks_details(handler: HandlerInfo) -> bool:
    """A fastmcp server built with `mask_error_details=True` (in this file)."""
    mask = handler.server.kwargs.get("mask_error_details") if handler.server is not None else None
    return isinstance(mask, cst.Name) and mask.value == "True"


def _fate_text(fate: str, handler: HandlerInfo) -> tuple[str, str]:
    """(what happens to the exception, what to do instead) for the message."""
    if fate == _PROTOCOL:
        return ("a low-level 2.x handler answers it with a JSON-RPC error, not a tool result the model can read",
                "return `CallToolResult(is_error=True, ...)` with a message for the model, or raise "
                "`MCPError(INVALID_PARAMS, ...)` to reject the request")
    if fate == _MASKED_MCP2:
        return (f'mcp 2.x (`MCPServer`) masks its message, the model reads only "Error executing tool {handler.name}"',
                "raise `ToolError` with a message the model can act on")
    return (f"the server masks its message (`mask_error_details=True`), the model reads only "
            f"\"Error calling tool '{handler.name}'\"", "raise `ToolError` with a message the model can act on")


_BUILTIN_CLIENT = "builtin"
_VALUE_ERRORS = (ValueError, TypeError, LookupError, ArithmeticError)


def _builtin_class(name: str) -> type | None:
    found = getattr(builtins, name, None)
    return found if isinstance(found, type) and issubclass(found, Exception) else None


def _exception_kind(ctx: FileContext, expr: cst.BaseExpression) -> str | None:
    """What an exception class expression names: "client" (an SDK error meant for the client,
    or a project class derived from one), "builtin" (a built-in exception), "own" or "wraps"
    (the project's own class: never, or somewhere, built from a caught exception's text; see
    project/index.py), None (a library's class, or not a class the file shows)."""
    name = dotted(expr)
    if name is None:
        return None
    known = ctx.model.project_exceptions.get(name)
    if known is not None:
        return known
    qual = ctx.resolve(expr) or ""
    last = name.rsplit(".", 1)[-1]
    if qual.startswith("builtins."):
        return _BUILTIN_CLIENT if _builtin_class(last) is not None else None
    if last in sdk.CODED_ERRORS and qual.startswith(("mcp.", "fastmcp.")):
        return "client"
    if name in ctx.index.classes:
        return _local_kind(ctx, name)
    return None


def _local_kind(ctx: FileContext, name: str) -> str | None:
    """A class of this file, when the project index does not know it (one file linted alone)."""
    key = "errors:local-kinds"
    kinds = ctx.scratch.get(key)
    if kinds is None:
        kinds = ctx.scratch[key] = {}
    if name in kinds:
        return kinds[name]
    kinds[name] = None  # a cycle of bases
    cls = ctx.index.classes[name]
    kind = None
    for base in cls.bases:
        last = base.rsplit(".", 1)[-1]
        if last in sdk.CODED_ERRORS:
            kind = "client"
            break
        if base in ctx.index.classes:
            inner = _local_kind(ctx, base)
            if inner is not None:
                kind = inner if kind is None or inner == "client" else kind
        elif base.startswith("builtins.") and _builtin_class(last) is not None or \
                last.endswith(("Error", "Exception")):
            kind = kind or "own"
    if kind == "own" and name in _wrapping_constructors(ctx):
        kind = "wraps"
    kinds[name] = kind
    return kind


def _wrapping_constructors(ctx: FileContext) -> frozenset[str]:
    """Classes this file builds, inside `except ... as e`, from the caught exception's text."""
    key = "errors:wrapping"
    if key not in ctx.scratch:
        found = set()
        for clause in _shallow(ctx.module, stop_at_loops=False, into_functions=True):
            if not isinstance(clause, cst.ExceptHandler) or clause.name is None or \
                    not isinstance(clause.name.name, cst.Name):
                continue
            bound = clause.name.name.value
            for n in _shallow(clause.body, stop_at_loops=False):
                if isinstance(n, cst.Call) and any(_carries_name(a.value, bound) for a in n.args):
                    found.add(dotted(n.func) or "")
        ctx.scratch[key] = frozenset(found)
    return ctx.scratch[key]


def _carries_name(expr: cst.CSTNode, name: str) -> bool:
    """Does `expr` carry the text of the exception bound to `name` (not its class or code)?"""
    if isinstance(expr, cst.Name):
        return expr.value == name
    if isinstance(expr, cst.Attribute):
        return expr.attr.value not in _HARMLESS_ATTRS and _carries_name(expr.value, name)
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value == "type":
        return False
    if isinstance(expr, (cst.Lambda, cst.FunctionDef, cst.ClassDef)):
        return False
    return any(_carries_name(c, name) for c in child_nodes(expr))


def _catches(caught: str, raised: str) -> bool:
    """Does `except caught` catch `raise raised(...)` (names as written, last component)?"""
    if caught in (raised, "Exception", "BaseException"):
        return True
    inner, outer = _builtin_class(raised), _builtin_class(caught)
    return inner is not None and outer is not None and issubclass(inner, outer)


class GenericRaise(Primitive):
    """`generic-raise`: a tool handler raises a plain exception (a built-in one, or the
    project's own class not derived from the SDK's errors) where the SDK does not deliver it
    like its tool error: mcp 2.x `MCPServer` and fastmcp with `mask_error_details=True` mask
    its message, a low-level 2.x handler turns it into a JSON-RPC error. Under mcp 1.x
    FastMCP, fastmcp by default and the low-level 1.x `call_tool`, a plain exception reaches
    the model exactly like `ToolError` would, so nothing is reported there. Re-raises
    (`raise`, `raise exc`, `raise ValueError(str(e))` in `except ValueError as e`) and
    exceptions caught by an enclosing `try` in the same handler are exempt. Reported at the
    `raise`."""

    NAME = "generic-raise"
    PARAMS = Map({
        # built-in classes reported (empty: every built-in exception)
        "exceptions": Key(List(Str()), default=()),
        "kinds": Key(List(Str(choices=ALL_HANDLER_KINDS)), default=("tool", "tool-dispatcher")),
    })
    PLACEHOLDERS = frozenset({"exception", "handler", "suggestion", "effect"})

    def setup(self) -> None:
        self.generic = frozenset(self.params["exceptions"])
        self.kinds = frozenset(self.params["kinds"])

    def enter(self):
        return {cst.Raise: self.on_raise}

    def on_raise(self, node: cst.Raise, ctx: FileContext) -> None:
        handler = ctx.state.handler
        if handler is None or handler.kind not in self.kinds or node.exc is None:
            return
        fate = _plain_exception_fate(handler)
        if fate is None:
            return
        exc = node.exc
        target = exc.func if isinstance(exc, cst.Call) else exc
        kind = _exception_kind(ctx, target)
        if kind not in (_BUILTIN_CLIENT, "own", "wraps"):
            return  # `raise err` (a bound exception), an SDK error, a library's class
        name = dotted(target) or ""
        last = name.rsplit(".", 1)[-1]
        if kind == _BUILTIN_CLIENT and self.generic and last not in self.generic:
            return
        if self._reraise(node, ctx) or _caught_locally(ctx, last):
            return
        effect, suggestion = _fate_text(fate, handler)
        self.report(ctx, node, exception=name, handler=handler.name, effect=effect, suggestion=suggestion)

    def _reraise(self, node: cst.Raise, ctx: FileContext) -> bool:
        """`except ValueError as e: raise ValueError(str(e))`: the caught exception again."""
        clause = ctx.state.except_handler()
        exc = node.exc
        if clause is None or clause.name is None or not isinstance(clause.name.name, cst.Name) or \
                not isinstance(exc, cst.Call) or len(exc.args) != 1:
            return False
        bound = clause.name.name.value
        raised = (dotted(exc.func) or "").rsplit(".", 1)[-1]
        if not any(q.rsplit(".", 1)[-1] == raised for q in _caught_names(clause, ctx)):
            return False
        arg = exc.args[0].value
        if isinstance(arg, cst.Call) and (dotted(arg.func) or "") == "str" and len(arg.args) == 1:
            arg = arg.args[0].value
        if isinstance(arg, cst.FormattedString) and len(arg.parts) == 1 and \
                isinstance(arg.parts[0], cst.FormattedStringExpression):
            arg = arg.parts[0].expression
        return isinstance(arg, cst.Name) and arg.value == bound


def _caught_locally(ctx: FileContext, name: str) -> bool:
    """Is an exception called `name`, raised here, caught by an enclosing `try` of the same
    function?"""
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
                if _catches(cname, name):
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


# Keys of a verdict: a result saying the input is invalid answers the call, it is not a failure.
_VERDICT_KEYS = frozenset({"valid", "is_valid", "isvalid"})
_VALIDATOR_WORDS = frozenset({"validate", "check", "verify", "lint"})
_ERROR_KEYS = frozenset({"error", "errors", "error_message", "err", "exception", "failure"})


class ErrorResult(Primitive):
    """`error-result`: inside an `except` of a tool handler, returning an error message as a
    normal result (`{"error": ...}`, `"Error: ..."`, `str(exc)`). Reported at the `return`.
    Fix (with `fix:` in the rule): raise the SDK's tool error with the message, or return an
    error result from a low-level dispatcher (see `error_fixes.py`)."""

    NAME = "error-result"
    FIXABLE = True
    PARAMS = Map({
        "prefixes": Key(List(Str(), min_items=1), required=True),
        "keys": Key(List(Str()), default=tuple(sorted(_ERROR_KEYS))),
        "explicit-error-results": Key(List(Str()), default=tuple(sorted(sdk.EXPLICIT_ERROR_RESULTS))),
        "kinds": Key(List(Str(choices=ALL_HANDLER_KINDS)), default=("tool", "tool-dispatcher")),
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
        if handler is None or handler.kind not in self.kinds or node.value is None or handler.result_checked:
            return  # (a dispatcher that raises on its handlers' error payloads delivers them as errors)
        clause = ctx.state.except_handler()
        if clause is None:
            return
        exc_name = clause.name.name.value if clause.name is not None and isinstance(clause.name.name, cst.Name) \
            else None
        if self._is_error(node.value, exc_name, 0, ctx):
            ctx.report(self.rule, node, {"handler": handler.name, "returned": code(node.value, 50),
                                         "suggestion": _suggestion(handler)},
                       fix=error_result_fix(ctx, self.rule, node, handler, exc_name, self.keys))

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
                # `text_result(f"Failed to ...")`: a same-file helper wrapping an error message,
                # unless the helper builds an explicit error result (`CallToolResult(isError=True)`)
                if self._explicit_helper(ctx.index.module_functions[value.func.value], ctx):
                    return False
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
            if ctx.state.handler is not None and _words(ctx.state.handler.name) & _VALIDATOR_WORDS and any(
                    isinstance(el, cst.DictElement) and (string_value(el.key) or "").lower() in _VERDICT_KEYS
                    for el in value.elements):
                return False  # a validator's `{"valid": False, "error": ...}`: its verdict, not a failed call
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

    def _explicit_helper(self, helper: cst.FunctionDef, ctx: FileContext) -> bool:
        """Does every `return` of a same-file helper give an explicit error result?"""
        cache = ctx.scratch.setdefault(f"{self.rule.id}:explicit-helpers", {})
        if helper not in cache:
            returns = [n for n in _shallow(helper.body, stop_at_loops=False) if isinstance(n, cst.Return)]
            cache[helper] = bool(returns) and all(
                r.value is not None and self._explicit_result(r.value, helper, ctx) for r in returns)
        return cache[helper]

    def _explicit_result(self, value: cst.BaseExpression, helper: cst.FunctionDef, ctx: FileContext) -> bool:
        if isinstance(value, cst.Name):  # `result = CallToolResult(...); return result`
            bound = [v for (scope, name), v in ctx.index.local_values.items()
                     if name == value.value and scope is not None and scope.node is helper]
            return len(bound) == 1 and self._explicit_result(bound[0], helper, ctx)
        if not isinstance(value, cst.Call) or (dotted(value.func) or "").rsplit(".", 1)[-1] not in self.explicit:
            return False
        flag = keyword(value, "isError") or keyword(value, "is_error")
        return flag is not None and not (isinstance(flag.value, cst.Name) and flag.value.value == "False")

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


# -- swallowed exceptions -------------------------------------------------------------------------

def _caught_names(clause: cst.ExceptHandler, ctx: FileContext) -> list[str]:
    """Qualified names of the classes an `except` clause catches ("builtins.Exception"); a
    bare `except:` catches "builtins.BaseException"."""
    if clause.type is None:
        return ["builtins.BaseException"]
    caught = clause.type.elements if isinstance(clause.type, cst.Tuple) else [clause.type]
    out = []
    for c in caught:
        expr = c.value if isinstance(c, cst.Element) else c
        out.append(ctx.resolve(expr) or dotted(expr) or code(expr, 40))
    return out


def _is_broad(clause: cst.ExceptHandler, ctx: FileContext) -> bool:
    return any(q in ("builtins.Exception", "builtins.BaseException") for q in _caught_names(clause, ctx))


def _clause_text(clause: cst.ExceptHandler) -> str:
    if clause.type is None:
        return "except:"
    return f"except {code(clause.type, 40)}:"


def _silent(stmt: cst.CSTNode) -> str | None:
    """What a do-nothing statement of an except body does, or None if it does something."""
    if isinstance(stmt, cst.Pass):
        return "pass"
    if isinstance(stmt, cst.Continue):
        return "continue"
    if isinstance(stmt, cst.Expr) and isinstance(stmt.value, (cst.Ellipsis, cst.SimpleString)):
        return "..." if isinstance(stmt.value, cst.Ellipsis) else None
    if isinstance(stmt, cst.Return):
        if stmt.value is None:
            return "return"
        if is_literal(stmt.value):
            return f"return {code(stmt.value, 20)}"
    return None


class SwallowedException(Primitive):
    """`swallowed-exception`: a broad `except` (bare, `Exception`, `BaseException`) whose
    body does nothing with the error: only `pass`, `...`, `continue` or a `return` of a
    constant. Reported at the `except` clause.

    Left alone, because the silence is deliberate and says so:
    - a comment in the clause's body, or one above the `try`/`except` or on the `except`
      line matching `intent-words` ("ignore", "may not be available", "best-effort"), or a
      suppression of the same check for another linter (`equivalent-codes`, `nosec`);
    - a secondary failure on an error path (the `try` sits in an `except` or `finally` of
      the same function, which is already handling the primary error);
    - best-effort clean-up (the `try` body only makes calls or `del`s and ends with closing,
      killing, removing or cancelling something);
    - a `try` in a loop that leaves the loop on success: the next attempt handles it;
    - outside tool handlers, a fallback: a predicate returning True/False; a `try` whose body
      is a single `return` of one expression with a clause returning a constant; a clause
      that passes on to the function's alternative (the `try` returns on success) or keeps a
      default the `try` would have replaced; a constant return in a function whose docstring
      documents it (`fallback-words`: "returns None if ... fails", "best-effort").
    Fix (with `fix:` in the rule): log the error before the body (`error_fixes.py`)."""

    NAME = "swallowed-exception"
    FIXABLE = True
    PARAMS = Map({
        "cleanup-methods": Key(List(Str()), default=(
            "close", "aclose", "kill", "terminate", "unlink", "remove", "rmtree", "rmdir", "cancel",
            "shutdown", "disconnect", "stop", "release", "cleanup", "wait", "join", "flush", "detach",
            "unregister", "removeHandler", "dispose", "quit", "logout", "rollback", "send_signal",
            "killpg", "__exit__", "__aexit__")),
        "fallback-words": Key(Regex(re.IGNORECASE), default=r"\b(fail(s|ed|ure)?|fall ?back|best[- ]effort|ignor(e|es|ed|ing)|silently)\b"),
        "intent-words": Key(Regex(re.IGNORECASE), default=(
            r"\b(ignor\w*|suppress\w*|silent\w*|swallow\w*|fail\w*|best[- ]effort|fall ?back|in case|"
            r"may not|might not|not (be )?(available|supported|installed)|unsupported|optional\w*|harmless|"
            r"expected|on purpose|deliberate\w*|intentional\w*|(if|when|where) (possible|available)|"
            r"accept\w*|tolerat\w*|else skip)\b")),
        "equivalent-codes": Key(List(Str()), default=("BLE001", "BLE", "S110", "S112", "E722")),
    })
    PLACEHOLDERS = frozenset({"clause", "body", "function"})

    def setup(self) -> None:
        self.cleanup = frozenset(self.params["cleanup-methods"])
        self.documented = pack_regex(self.params["fallback-words"], re.IGNORECASE)
        self.intent = pack_regex(self.params["intent-words"], re.IGNORECASE)
        self.equivalent = re.compile(r"\bnosec\b|\bnoqa\b[^#]*\b(" + "|".join(
            re.escape(c) for c in self.params["equivalent-codes"]) + r")\b", re.IGNORECASE)

    def enter(self):
        return {cst.ExceptHandler: self.on_except}

    def on_except(self, node: cst.ExceptHandler, ctx: FileContext) -> None:
        if not _is_broad(node, ctx):
            return
        body = statements(node.body)
        done = [_silent(s) for s in body]
        if not done or any(d is None for d in done) or _commented(node):
            return
        state = ctx.state
        try_node = next((t for t, part in reversed(state.trys) if part == "handler"), None)
        if try_node is None or self._on_error_path(ctx, try_node) or self._explained(try_node, node):
            return
        function = state.function
        handler = state.handler
        in_tool = handler is not None and handler.is_tool
        if self._cleanup_block(try_node, in_tool) or self._next_attempt(ctx, try_node) or \
                (not in_tool and _releases(function)) or self._cannot_raise(ctx, try_node):
            return
        if not in_tool and (self._fallback(try_node, body, function) or self._keeps_default(ctx, try_node, body)
                            or _visible_sentinel(body)):
            return
        shown = "; ".join(d for d in done if d)
        # A `try` that only adds to a result, or reads one item of a walk over many, loses a
        # detail rather than the answer: reported, at low confidence.
        confidence = Confidence.LOW if _enrichment(try_node) or (
            ctx.state.loop() is not None and _tolerant_read(try_node)) else None
        # statement = the clause itself: a suppression comment on the `except` line applies
        ctx.report(self.rule, node, {"clause": _clause_text(node), "body": shown,
                                     "function": function.name.value if function is not None else "<module>"},
                   statement=node, confidence=confidence, fix=swallowed_fix(ctx, self.rule, node, function))

    def _on_error_path(self, ctx: FileContext, try_node: cst.CSTNode) -> bool:
        """Is this `try` inside an `except` or `finally` of the same function?"""
        frame = ctx.state.frame
        for outer, part in ctx.state.trys:
            if outer is try_node:
                break
            if part in ("handler", "finally") and _inside_frame(ctx, outer, frame):
                return True
        return False

    def _explained(self, try_node: cst.Try | cst.TryStar, clause: cst.ExceptHandler) -> bool:
        """A comment just above the `try` or the `except`, on the `except` line or in the `try`
        body, that says the failure is expected or ignored on purpose, or that silences the same
        check in another linter (ruff/flake8 `BLE001`, `S110`, `S112`, `E722`; bandit `nosec`).
        A `try` that imports a module and only calls something of it is an optional dependency's
        set-up: its failure is the expected one."""
        body = statements(try_node.body)
        if body and isinstance(body[0], (cst.Import, cst.ImportFrom)) and all(
                isinstance(s, (cst.Import, cst.ImportFrom, cst.Expr)) for s in body):
            return True  # `import truststore; truststore.inject_into_ssl()`: an optional set-up
        texts = [line.comment.value for line in (*try_node.leading_lines, *clause.leading_lines)
                 if line.comment is not None]
        texts += _block_comments(try_node.body)
        header = clause.body.header.comment if isinstance(clause.body, cst.IndentedBlock) else \
            clause.body.trailing_whitespace.comment
        if header is not None:
            if self.equivalent.search(header.value):
                return True
            texts.append(header.value)
        return any(self.intent.search(t) for t in texts)

    def _next_attempt(self, ctx: FileContext, try_node: cst.Try | cst.TryStar) -> bool:
        """A `try` in a loop that leaves the loop on success (`return`/`break` in its body or
        `else`), or yields what worked (a generator of the alternatives that succeed): the
        failure is handled by the next attempt or alternative."""
        if ctx.state.loop() is None:
            return False
        return _leaves_loop(try_node.body) or (try_node.orelse is not None and _leaves_loop(try_node.orelse)) or \
            any(isinstance(n, cst.Yield) for n in _shallow(try_node.body))

    def _cannot_raise(self, ctx: FileContext, try_node: cst.Try | cst.TryStar) -> bool:
        """A `try` whose body cannot raise: it reads with defaults (`os.environ.get(...)`,
        `d.get(k)`, `getattr(o, n, None)`), sets names and attributes, and calls only functions
        of this file that already catch every exception themselves (their whole body is a
        `try` with a broad `except` that does not raise)."""
        calls = 0
        for n in _shallow(try_node.body, stop_at_loops=False):
            if isinstance(n, (cst.Await, cst.Raise, cst.Assert, cst.Subscript, cst.Del, cst.With, cst.For,
                              cst.While, cst.Import, cst.ImportFrom, cst.Yield)):
                return False
            if isinstance(n, cst.Call):
                calls += 1
                if not (_default_read(n, ctx) or self._guarded_call(n, ctx)):
                    return False
        return calls > 0

    def _guarded_call(self, call: cst.Call, ctx: FileContext) -> bool:
        func = call.func
        target = None
        if isinstance(func, cst.Name):
            target = ctx.index.module_functions.get(func.value)
        elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and \
                func.value.value in ("self", "cls"):
            target = ctx.index.unique_method(func.attr.value)
        if target is None:
            return False
        key = "errors:guarded"
        cache = ctx.scratch.setdefault(key, {})
        if target not in cache:
            body = statements(target.body)
            if body and isinstance(body[0], cst.Expr) and isinstance(body[0].value, (cst.SimpleString,
                                                                                    cst.ConcatenatedString)):
                body = body[1:]
            cache[target] = len(body) == 1 and isinstance(body[0], cst.Try) and body[0].finalbody is None and \
                any((h.type is None or _is_broad(h, ctx)) and
                    not any(isinstance(n, cst.Raise) for n in _shallow(h.body, stop_at_loops=False))
                    for h in body[0].handlers)
        return cache[target]

    def _keeps_default(self, ctx: FileContext, try_node: cst.Try | cst.TryStar, handler_body) -> bool:
        """`width = None` / `try: width = terminal_width()` / `except Exception: pass`: the
        `try` only assigns, and a name it assigns already had a value, which stays."""
        if not all(isinstance(s, cst.Pass) for s in handler_body):
            return False
        inside = set(map(id, _shallow(try_node.body, stop_at_loops=False)))
        if any(isinstance(n, (cst.Expr, cst.Return, cst.Raise, cst.AugAssign, cst.Del))
               for n in _shallow(try_node.body, stop_at_loops=False)):
            return False
        names = _assigned_names(try_node.body)
        point = ctx.point()
        for name in names:
            for b in ctx.flows.reaching(name, point):
                if b.kind == PARAM or (b.kind != OPAQUE and b.statement is not None and
                                       id(b.statement) not in inside and b.statement is not try_node):
                    return True
        return False

    def _cleanup_block(self, try_node: cst.Try | cst.TryStar, in_tool: bool) -> bool:
        """The `try` body makes calls and ends by releasing something (log calls after it aside):
        a method named in `cleanup-methods`, or, outside tool handlers, any call whose name has a
        release word (`server_close`, `wait_closed`, `clear_handshake`, `deleter`)."""
        stmts = statements(try_node.body)
        while stmts and _log_call(stmts[-1]):
            stmts = stmts[:-1]
        if not stmts or not (self._cleanup(stmts[-1], in_tool) or isinstance(stmts[-1], cst.Del)):
            return False
        return all(isinstance(s, (cst.Expr, cst.Import, cst.ImportFrom, cst.If, cst.Try, cst.Pass, cst.Del))
                   for s in stmts)

    def _fallback(self, try_node: cst.Try | cst.TryStar, handler_body, function: cst.FunctionDef | None) -> bool:
        stmts = statements(try_node.body)
        last = stmts[-1] if stmts else None
        if all(isinstance(s, cst.Return) for s in handler_body):
            if all(_bool_answer(s.value) for s in handler_body):
                return True  # a predicate: the failure is its answer (`is_iterable`, `is_safe_path`)
            if len(stmts) == 1 and isinstance(last, cst.Return) and last.value is not None and \
                    _simple_conversion(last.value):
                return True
            doc = function.get_docstring() if function is not None else None
            return bool(doc and self.documented.search(doc))
        # `try: return parse(a)` / `except Exception: pass` / then the alternative
        return all(isinstance(s, cst.Pass) for s in handler_body) and any(
            isinstance(n, cst.Return) for n in _shallow(try_node.body, stop_at_loops=False))

    def _cleanup(self, stmt: cst.CSTNode, in_tool: bool) -> bool:
        value = stmt.value if isinstance(stmt, cst.Expr) else None
        if isinstance(value, cst.Await):
            value = value.expression
        if isinstance(value, cst.Call) and (dotted(value.func) or "").rsplit(".", 1)[-1] in _WAIT_WRAPPERS \
                and value.args and isinstance(value.args[0].value, (cst.Call, cst.Await)):
            value = value.args[0].value  # asyncio.wait_for(writer.wait_closed(), 1.0)
            if isinstance(value, cst.Await):
                value = value.expression
        if not isinstance(value, cst.Call):
            return False
        name = (dotted(value.func) or "").rsplit(".", 1)[-1]
        return name in self.cleanup or (not in_tool and bool(_words(name) & _RELEASE_WORDS))


# Words of a name that say it releases something (`server_close`, `_delete_lt_tree`, `stop`).
_RELEASE_WORDS = frozenset({"close", "closed", "aclose", "delete", "deleter", "remove", "clear", "cleanup",
                            "cancel", "kill", "terminate", "shutdown", "disconnect", "dispose", "destroy",
                            "release", "unlink", "stop", "teardown", "finalize", "finalise", "unregister",
                            "detach", "unsubscribe", "exit", "del"})
# Functions whose purpose is releasing resources: every silent clause in them is clean-up.
_RELEASE_FUNCTIONS = frozenset({"close", "aclose", "stop", "shutdown", "cleanup", "teardown", "finalize",
                                "finalise", "dispose", "destroy", "disconnect", "terminate", "exit", "del"})
_WAIT_WRAPPERS = frozenset({"wait_for", "shield", "timeout"})
_LOGGER_NAMES = frozenset({"logger", "log", "logging", "_logger", "_log", "LOGGER", "LOG", "console"})


# Calls that change something outside the function: a loop skipping their failures loses work.
_WRITE_WORDS = frozenset({"execute", "executemany", "insert", "write", "send", "post", "put", "patch", "delete",
                          "commit", "save", "upload", "update", "create", "remove", "unlink", "store", "publish",
                          "sendall", "run", "call", "submit", "add", "set", "push", "copy", "move", "rename"})


def _visible_sentinel(handler_body) -> bool:
    """`return "unknown"`: a fallback whose value says the failure (a non-empty text)."""
    values = [s.value for s in handler_body if isinstance(s, cst.Return)]
    return bool(values) and len(values) == len(handler_body) and all(
        (string_value(v) or "").strip() for v in values)


def _enrichment(try_node: cst.Try | cst.TryStar) -> bool:
    """The `try` only sets fields of a result (`info["size"] = ...`, `page.title = ...`) or adds
    to a collection (`parts.append(...)`): what fails is an optional detail."""
    stmts = statements(try_node.body)
    if not stmts:
        return False
    for stmt in stmts:
        if isinstance(stmt, (cst.Assign, cst.AnnAssign)):
            targets = assign_targets(stmt)
            if not targets or not all(isinstance(t, (cst.Subscript, cst.Attribute)) for t in targets):
                return False
        elif isinstance(stmt, cst.Expr) and isinstance(stmt.value, cst.Call) and \
                isinstance(stmt.value.func, cst.Attribute) and \
                stmt.value.func.attr.value in ("append", "extend", "update", "add", "setdefault"):
            continue
        else:
            return False
    return not any(isinstance(n, cst.Await) for n in _shallow(try_node.body, stop_at_loops=False))


def _tolerant_read(try_node: cst.Try | cst.TryStar) -> bool:
    """A `try` in a loop that only reads (no call named like a write, no await): one item of
    a walk over many is skipped."""
    for n in _shallow(try_node.body, stop_at_loops=False):
        if isinstance(n, (cst.Await, cst.Return, cst.Yield, cst.Raise)):
            return False
        if isinstance(n, cst.Call):
            name = (dotted(n.func) or "").rsplit(".", 1)[-1]
            if _words(name) & _WRITE_WORDS:
                return False
    return True


def _words(name: str) -> set[str]:
    """`server_close` -> {"server", "close"}; `waitClosed` -> {"wait", "closed"}."""
    return {w.lower() for w in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+", name)}


def _releases(function: cst.FunctionDef | None) -> bool:
    """A function named for releasing resources: `close`, `stop`, `_cleanup_probe_flow`,
    `_finalize_bridge_stopped`, `__exit__`, `__del__`."""
    if function is None:
        return False
    words = _words(function.name.value)
    return bool(words & _RELEASE_FUNCTIONS) or {"clean", "up"} <= words or {"tear", "down"} <= words


def _log_call(stmt: cst.CSTNode) -> bool:
    """`logger.info(...)`, `print(...)`: a statement that only reports."""
    value = stmt.value if isinstance(stmt, cst.Expr) else None
    if not isinstance(value, cst.Call):
        return False
    name = dotted(value.func) or ""
    parts = name.split(".")
    return name == "print" or (len(parts) >= 2 and parts[-2] in _LOGGER_NAMES)


def _default_read(call: cst.Call, ctx: FileContext) -> bool:
    """A read that cannot fail: `os.environ.get(k)`, `os.getenv(k)`, `d.get(k)`, `getattr(o, n, d)`,
    `items.append(x)`."""
    func = call.func
    if isinstance(func, cst.Attribute) and func.attr.value in ("get", "append", "setdefault"):
        return True
    qual = ctx.resolve(func) or ""
    return qual == "os.getenv" or (qual == "builtins.getattr" and len(call.args) == 3)


def _bool_answer(value: cst.BaseExpression | None) -> bool:
    """`return False` or `return False, None`: a predicate's (or a probe's) answer."""
    if isinstance(value, cst.Tuple) and value.elements:
        value = value.elements[0].value
    return isinstance(value, cst.Name) and value.value in ("True", "False")


def _block_comments(block: cst.BaseSuite) -> list[str]:
    """The comments of a block's own statements (above them and at their ends)."""
    out = []
    if isinstance(block, cst.IndentedBlock):
        if block.header.comment is not None:
            out.append(block.header.comment.value)
        for stmt in block.body:
            out += [line.comment.value for line in stmt.leading_lines if line.comment is not None]
            trailing = getattr(stmt, "trailing_whitespace", None)
            if trailing is not None and trailing.comment is not None:
                out.append(trailing.comment.value)
    return out


def _commented(clause: cst.ExceptHandler) -> bool:
    """A comment in the clause's body: the author explains the silence. (A comment on the
    `except` line itself is as often another tool's directive, `# noqa: BLE001`.)"""
    body = clause.body
    if isinstance(body, cst.IndentedBlock):
        for stmt in body.body:
            if any(line.comment is not None for line in stmt.leading_lines):
                return True
            trailing = getattr(stmt, "trailing_whitespace", None)
            if trailing is not None and trailing.comment is not None:
                return True
        return any(line.comment is not None for line in body.footer)
    return False


def _simple_conversion(value: cst.BaseExpression) -> bool:
    """`int(text)`, `json.loads(raw)["key"]`, `Path(p).stat().st_size`: one expression
    without awaits, the shape of a parse with a fallback."""
    return isinstance(value, (cst.Call, cst.Subscript, cst.Attribute)) and not any(
        isinstance(n, cst.Await) for n in _shallow(value))


# -- exception text sent to the client ------------------------------------------------------------

# Attributes of an exception that say what kind of failure it was, not what went on inside.
_HARMLESS_ATTRS = frozenset({"__class__", "__name__", "__qualname__", "code", "status_code", "status",
                             "errno", "returncode", "error_code", "http_status", "reason_code", "reason_phrase",
                             "reason"})
_TRACEBACK_CALLS = frozenset({"traceback.format_exc", "traceback.format_exception", "traceback.format_tb",
                              "traceback.format_exception_only", "traceback.format_stack", "sys.exc_info"})
# Context methods whose text the SDKs send to the client (log and progress notifications).
_CONTEXT_MESSAGES = frozenset({"debug", "info", "warning", "error", "log", "report_progress"})
# Calls that carry their arguments' text into the value they return.
_TEXT_CALLS = frozenset({"str", "repr", "format", "dumps", "dict", "join", "format_map"})


class ExceptionLeak(Primitive):
    """`exception-leak`: a tool handler returns exception text or a traceback to the client,
    or puts it in the message of a client-visible error. Values derived from the caught
    exception are followed through local assignments. Exceptions that are meant for the
    client already (the SDK's own error classes, pydantic's `ValidationError`) are exempt.
    Reported at the `return` or `raise`."""

    NAME = "exception-leak"
    PARAMS = Map({
        "client-errors": Key(List(Str()), default=tuple(sorted(sdk.CODED_ERRORS))),
        "client-facing": Key(List(Str()), default=tuple(sorted(sdk.CODED_ERRORS | {"ValidationError"}))),
        # exceptions about a bad value (built-ins count with their subclasses)
        "value-errors": Key(List(Str()), default=("ValueError", "TypeError", "LookupError", "ArithmeticError",
                                                  "JSONDecodeError", "JsonSchemaException")),
        "kinds": Key(List(Str(choices=ALL_HANDLER_KINDS)), default=("tool", "tool-dispatcher")),
    })
    PLACEHOLDERS = frozenset({"handler", "leak", "how"})

    def setup(self) -> None:
        self.value_errors = frozenset(self.params["value-errors"])
        self.value_builtins = tuple(c for c in map(_builtin_class, self.value_errors) if c is not None)
        self.client_errors = frozenset(self.params["client-errors"])
        self.client_facing = frozenset(self.params["client-facing"])
        self.kinds = frozenset(self.params["kinds"])

    def enter(self):
        return {cst.Return: self.on_return, cst.Raise: self.on_raise, cst.Call: self.on_call}

    def _handler(self, ctx: FileContext) -> HandlerInfo | None:
        handler = ctx.state.handler
        return handler if handler is not None and handler.kind in self.kinds else None

    def on_return(self, node: cst.Return, ctx: FileContext) -> None:
        handler = self._handler(ctx)
        if handler is None or node.value is None:
            return
        leak = self._leak(node.value, ctx.point(), ctx, 0)
        if leak is not None:
            self.report(ctx, node, handler=handler.name, leak=leak, how="returns")

    def on_call(self, node: cst.Call, ctx: FileContext) -> None:
        """`await ctx.error(f"query failed: {e}")`: the SDK's Context sends log messages (and
        progress messages) to the client as notifications."""
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value in _CONTEXT_MESSAGES and
                isinstance(func.value, cst.Name)):
            return
        handler = self._handler(ctx)
        if handler is None:
            return
        if not any(p.name == func.value.value and p.why_not.startswith("Context") for p in handler.params):
            return
        point = ctx.point()
        for arg in node.args:
            leak = self._leak(arg.value, point, ctx, 0)
            if leak is not None:
                self.report(ctx, node, handler=handler.name, leak=leak,
                            how=f"sends the client, in a `{func.value.value}.{func.attr.value}()` notification,")
                return

    def on_raise(self, node: cst.Raise, ctx: FileContext) -> None:
        handler = self._handler(ctx)
        if handler is None or not isinstance(node.exc, cst.Call):
            return
        name = (dotted(node.exc.func) or "").rsplit(".", 1)[-1]
        if name in self.client_errors or _exception_kind(ctx, node.exc.func) == "client":
            how = f"raises `{name}` with"
        elif self._escapes_to_client(node.exc, name, handler, ctx):
            how = f"raises `{name}` (the SDK sends its message to the client) with"
        else:
            return
        point = ctx.point()
        for arg in node.exc.args:
            leak = self._leak(arg.value, point, ctx, 0)
            if leak is not None:
                self.report(ctx, node, handler=handler.name, leak=leak, how=how)
                return

    def _escapes_to_client(self, exc: cst.Call, name: str, handler: HandlerInfo, ctx: FileContext) -> bool:
        """A built-in exception or one of the project's own classes leaving the tool uncaught
        reaches the client with its message (mcp 1.x, fastmcp, the low-level servers), unless
        the SDK masks it (mcp 2.x `MCPServer`, fastmcp `mask_error_details=True`)."""
        if _exception_kind(ctx, exc.func) not in (_BUILTIN_CLIENT, "own", "wraps"):
            return False
        if _plain_exception_fate(handler) in (_MASKED_MCP2, _MASKED_FASTMCP):
            return False
        return not _caught_locally(ctx, name)

    def _leak(self, expr: cst.BaseExpression, point, ctx: FileContext, depth: int) -> str | None:
        """How `expr` carries exception text (e.g. "`str(e)`"), or None."""
        if depth > 6:
            return None
        if isinstance(expr, cst.Name):
            return self._name_leak(expr, point, ctx, depth)
        if isinstance(expr, cst.Attribute):
            if expr.attr.value in _HARMLESS_ATTRS:
                return None
            base = expr.value
            while isinstance(base, (cst.Attribute, cst.Subscript)):
                base = base.value
            if isinstance(base, cst.Name) and self._exception(base, point, ctx) is not None:
                return f"`{code(expr, 40)}`"
            return None
        if isinstance(expr, cst.Subscript):
            return self._leak(expr.value, point, ctx, depth + 1) if isinstance(expr.value, cst.Attribute) else None
        if isinstance(expr, cst.Call):
            qual = ctx.resolve(expr.func) or ""
            if qual in _TRACEBACK_CALLS:
                return f"`{code(expr, 40)}`"
            func = expr.func
            name = (dotted(func) or "").rsplit(".", 1)[-1]
            if name == "type" or qual == "builtins.type":
                return None  # the class name only
            if name in _TEXT_CALLS or name[:1].isupper() or (
                    isinstance(func, cst.Attribute) and func.attr.value == "format"):
                parts: list[cst.BaseExpression] = [a.value for a in expr.args]
                if isinstance(func, cst.Attribute) and func.attr.value in ("format", "join", "format_map"):
                    parts.append(func.value)
                for part in parts:
                    found = self._leak(part, point, ctx, depth + 1)
                    if found is not None:
                        return found if not name or name not in ("str", "repr") else f"`{code(expr, 40)}`"
            return None
        if isinstance(expr, cst.FormattedString):
            for part in expr.parts:
                if isinstance(part, cst.FormattedStringExpression):
                    found = self._leak(part.expression, point, ctx, depth + 1)
                    if found is not None:
                        return f"`{code(expr, 40)}`" if isinstance(part.expression, cst.Name) else found
            return None
        if isinstance(expr, cst.BinaryOperation):
            return self._leak(expr.left, point, ctx, depth + 1) or self._leak(expr.right, point, ctx, depth + 1)
        if isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
            for el in expr.elements:
                found = self._leak(el.value, point, ctx, depth + 1)
                if found is not None:
                    return found
            return None
        if isinstance(expr, cst.Dict):
            for el in expr.elements:
                found = self._leak(el.value, point, ctx, depth + 1) if isinstance(el, cst.DictElement) else None
                if found is not None:
                    return found
            return None
        if isinstance(expr, cst.IfExp):
            return self._leak(expr.body, point, ctx, depth + 1) or self._leak(expr.orelse, point, ctx, depth + 1)
        if isinstance(expr, cst.ConcatenatedString):
            return self._leak(expr.left, point, ctx, depth + 1) or self._leak(expr.right, point, ctx, depth + 1)
        return None

    def _name_leak(self, name: cst.Name, point, ctx: FileContext, depth: int) -> str | None:
        if self._exception(name, point, ctx) is not None:
            return f"`{name.value}`"
        for b in ctx.flows.reaching(name.value, point):
            if b.kind in (ASSIGN, AUG) and isinstance(b.node, cst.BaseExpression) and not b.index:
                found = self._leak(b.node, b.point, ctx, depth + 1)
                if found is not None:
                    return found
        return None

    def _exception(self, name: cst.Name, point, ctx: FileContext) -> cst.ExceptHandler | None:
        """The `except ... as name` clause binding this name, unless it catches only errors
        meant for the client."""
        for b in ctx.flows.reaching(name.value, point):
            if b.kind == OPAQUE and isinstance(b.node, cst.ExceptHandler):
                if self._meant_for_client(b.node, ctx) or self._validates_arguments(b.node, b.point.frame.node, ctx):
                    return None
                if self._own_message(b.node, b.point.frame.node, ctx):
                    return None
                return b.node
        return None

    def _meant_for_client(self, clause: cst.ExceptHandler, ctx: FileContext) -> bool:
        """Does the clause catch only exceptions whose text is fit for the client: the SDK's
        errors and pydantic's `ValidationError` (`client-facing`), the project's own classes
        never built from a caught exception's text, and value errors (`value-errors`:
        `ValueError`, `TypeError`, `KeyError`, `json.JSONDecodeError` and their subclasses),
        whose message describes a value the code was handed, by Python's convention?"""
        if clause.type is None:
            return False
        caught = clause.type.elements if isinstance(clause.type, cst.Tuple) else [clause.type]
        for c in caught:
            expr = c.value if isinstance(c, cst.Element) else c
            last = (dotted(expr) or "").rsplit(".", 1)[-1]
            if not last or last in self.client_facing or last in self.value_errors:
                continue
            qual = ctx.resolve(expr) or ""
            cls = _builtin_class(last) if qual.startswith("builtins.") else None
            if cls is not None and any(issubclass(cls, v) for v in self.value_builtins):
                continue
            if _exception_kind(ctx, expr) in ("client", "own"):
                continue
            return False
        return bool(caught)

    def _validates_arguments(self, clause: cst.ExceptHandler, function: cst.CSTNode, ctx: FileContext) -> bool:
        """A `try` that only builds a model from the tool's arguments (`args = Args(**arguments)`,
        `Args.model_validate(params)`): whatever it raises is about the caller's input."""
        handler = ctx.state.handler
        try_node = _try_of(clause, function, ctx)
        if handler is None or try_node is None:
            return False
        params = {p.name for p in handler.params if p.controlled}
        body = statements(try_node.body)
        for stmt in body:
            value = stmt.value if isinstance(stmt, (cst.Assign, cst.Expr)) else None
            if not isinstance(value, cst.Call):
                return False
            name = (dotted(value.func) or "").rsplit(".", 1)[-1]
            args = [a for a in value.args]
            if name in ("model_validate", "parse_obj", "model_validate_json", "parse_raw"):
                ok = len(args) == 1 and isinstance(args[0].value, cst.Name) and args[0].value.value in params
            else:
                ok = name[:1].isupper() and len(args) == 1 and args[0].star == "**" and \
                    isinstance(args[0].value, cst.Name) and args[0].value.value in params
            if not ok:
                return False
        return bool(body)

    def _own_message(self, clause: cst.ExceptHandler, function: cst.CSTNode, ctx: FileContext) -> bool:
        """A specific exception from a `try` that only calls this file's own functions (and
        builtins): `try: path = inside_workspace(p)` / `except ValueError as e: raise
        ToolError(str(e))`. Its text was written by the server for the client, unless the file
        also builds that exception from a caught one's text."""
        if _is_broad(clause, ctx) or clause.type is None:
            return False
        try_node = _try_of(clause, function, ctx)
        if try_node is None:
            return False
        calls = [n for n in _shallow(try_node.body, stop_at_loops=False) if isinstance(n, cst.Call)]
        if not calls or not all(self._own_call(c, ctx) for c in calls):
            return False
        raised = self._raised_here(ctx)
        wrapping = {n.rsplit(".", 1)[-1] for n in _wrapping_constructors(ctx)}
        return all(q.rsplit(".", 1)[-1] in raised and q.rsplit(".", 1)[-1] not in wrapping
                   for q in _caught_names(clause, ctx))

    def _raised_here(self, ctx: FileContext) -> frozenset[str]:
        """Exception classes this file raises itself (`raise ValueError("...")`)."""
        key = f"{self.rule.id}:raised"
        if key not in ctx.scratch:
            names = set()
            for n in _shallow(ctx.module, stop_at_loops=False, into_functions=True):
                if isinstance(n, cst.Raise) and isinstance(n.exc, cst.Call):
                    names.add((dotted(n.exc.func) or "").rsplit(".", 1)[-1])
            ctx.scratch[key] = frozenset(names)
        return ctx.scratch[key]

    def _own_call(self, call: cst.Call, ctx: FileContext) -> bool:
        func = call.func
        if isinstance(func, cst.Name):
            if func.value in ctx.index.module_functions or ctx.index.classes.get(func.value) is not None:
                return True
            return (ctx.resolve(func) or "").startswith("builtins.")
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value in ("self", "cls"):
            return ctx.index.unique_method(func.attr.value) is not None
        return False


# -- retry loops ----------------------------------------------------------------------------------

def _try_of(clause: cst.ExceptHandler, function: cst.CSTNode, ctx: FileContext) -> cst.Try | cst.TryStar | None:
    """The `try` statement an `except` clause of `function` belongs to (nested functions left
    out), from a map of the function's clauses built once."""
    known = ctx.scratch.setdefault("try-of-clause", {})
    clauses = known.get(id(function))
    if clauses is None:
        clauses = known[id(function)] = {id(h): n for n in _shallow(function, stop_at_loops=False)
                                         if isinstance(n, (cst.Try, cst.TryStar)) for h in n.handlers}
    return clauses.get(id(clause))


def _shallow(node: cst.CSTNode, stop_at_loops: bool = True, into_functions: bool = False):
    """The nodes under `node`, not descending into nested functions, classes or lambdas (nor,
    by default, nested loops)."""
    stack = list(child_nodes(node))
    while stack:
        n = stack.pop()
        yield n
        if not into_functions and isinstance(n, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        if stop_at_loops and isinstance(n, (cst.For, cst.While)):
            continue
        stack.extend(child_nodes(n))


def _assigned_names(block: cst.CSTNode, augmented: bool = False) -> set[str]:
    """Names assigned in a block (not in nested functions); `+=` too when `augmented`."""
    kinds = (cst.Assign, cst.AnnAssign, cst.AugAssign) if augmented else (cst.Assign, cst.AnnAssign)
    return {x.value for n in _shallow(block, stop_at_loops=False) if isinstance(n, kinds)
            for t in assign_targets(n) for x in target_names(t)}


def _leaves_loop(block: cst.CSTNode) -> bool:
    """Does a return/break/raise in this block (not in a nested loop) end the loop?"""
    return any(isinstance(n, (cst.Return, cst.Break)) for n in _shallow(block))


_DETERMINISTIC = frozenset({"ValueError", "TypeError", "KeyError", "IndexError", "AttributeError", "LookupError",
                            "JSONDecodeError", "UnicodeDecodeError", "UnicodeError", "StopIteration",
                            "StopAsyncIteration", "ValidationError", "AssertionError", "NotImplementedError",
                            "ZeroDivisionError", "ArithmeticError", "OverflowError"})


# Exceptions that end a wait or an interaction rather than report a failure.
_NOT_FAILURES = frozenset({"KeyboardInterrupt", "EOFError", "GeneratorExit", "SystemExit", "Empty",
                           "CancelledError"})
# Calls that wait for a person: a loop around them is interactive, not a retry.
_PROMPTS = frozenset({"builtins.input", "getpass.getpass", "click.prompt", "typer.prompt",
                      "prompt_toolkit.prompt", "rich.prompt.Prompt.ask", "questionary.text"})


class RetryWithoutBackoff(Primitive):
    """`retry-without-backoff`: a loop that retries after catching an exception and does not
    wait between attempts. A retry loop is a `while` loop, or a `for` over `range(...)` /
    `itertools.count()`, with a `try` whose body leaves the loop on success (`return`/`break`)
    and reads nothing the loop changes between attempts, and an `except` catching a failure
    that may be transient which lets the loop go round again. Any call named like a wait (`sleep`, `backoff`, `wait`, `delay`) in the loop
    counts as backoff, and so do retry decorators (tenacity, backoff) on the function.
    Reported at the loop."""

    NAME = "retry-without-backoff"
    PARAMS = Map({
        "waits": Key(List(Str(), min_items=1), default=("sleep", "backoff", "wait", "delay", "pause",
                                                         "throttle")),
        "retry-decorators": Key(List(Str()), default=("retry", "on_exception", "on_predicate", "retry_async")),
    })
    PLACEHOLDERS = frozenset({"loop", "function", "attempt", "clause"})

    def setup(self) -> None:
        self.waits = tuple(w.lower() for w in self.params["waits"])
        self.decorators = frozenset(self.params["retry-decorators"])

    def leave(self):
        return {cst.For: self.on_loop, cst.While: self.on_loop}

    def on_loop(self, node: cst.For | cst.While, ctx: FileContext) -> None:
        if isinstance(node, cst.For) and not self._counting(node, ctx):
            return
        function = ctx.state.function
        if function is not None and self._decorated(function):
            return
        found = self._retry(node, ctx)
        if found is None:
            return
        try_node, clause = found
        if self._waits(node):
            return
        attempt = next((code(s, 50) for s in statements(try_node.body)), "the attempt")
        header = f"for {code(node.target, 20)} in {code(node.iter, 30)}" if isinstance(node, cst.For) \
            else f"while {code(node.test, 30)}"
        ctx.report(self.rule, node, {"loop": header, "attempt": attempt, "clause": _clause_text(clause),
                                     "function": function.name.value if function is not None else "<module>"},
                   statement=node)

    def _counting(self, node: cst.For, ctx: FileContext) -> bool:
        """`for attempt in range(n)`: a counter, not a walk over things to try. `range(2)` is
        one retry, typically after reconnecting, where waiting buys nothing."""
        if not isinstance(node.iter, cst.Call):
            return False
        qual = ctx.resolve(node.iter.func) or ""
        if qual == "builtins.range":
            args = node.iter.args
            return not (len(args) == 1 and isinstance(args[0].value, cst.Integer) and
                        int(args[0].value.value, 0) <= 2)
        return qual == "itertools.count"

    def _decorated(self, function: cst.FunctionDef) -> bool:
        for dec in function.decorators:
            target = dec.decorator.func if isinstance(dec.decorator, cst.Call) else dec.decorator
            if (dotted(target) or "").rsplit(".", 1)[-1] in self.decorators:
                return True
        return False

    def _retry(self, loop: cst.For | cst.While, ctx: FileContext):
        """The `try` (and the `except` clause) that makes this loop a retry loop, if any."""
        changing = {n.value for n in target_names(loop.target)} if isinstance(loop, cst.For) else set()
        changing |= _assigned_names(loop.body, augmented=True)
        for node in _shallow(loop.body):
            if not isinstance(node, (cst.Try, cst.TryStar)):
                continue
            if not (_leaves_loop(node.body) or (node.orelse is not None and _leaves_loop(node.orelse))):
                continue
            read = {n.value for n in _shallow(node.body) if isinstance(n, cst.Name)}
            if (changing - _assigned_names(node.body)) & read:
                continue  # each attempt tries something different (the next port, candidate, page)
            if any(isinstance(n, cst.Call) and (ctx.resolve(n.func) or "") in _PROMPTS
                   for n in _shallow(node.body, stop_at_loops=False)):
                continue  # an interactive loop: each round reads new input, the person is the wait
            for clause in node.handlers:
                if self._goes_round(clause) and self._transient(clause, ctx):
                    return node, clause
        return None

    def _transient(self, clause: cst.ExceptHandler, ctx: FileContext) -> bool:
        """Could the caught failure clear by itself? Parse and lookup errors do not: a loop
        retrying them re-prompts or tries other input, which no wait would help. Nor are
        interruptions failures (Ctrl-C, end of input, cancellation), nor a poll's timeout
        (`queue.Empty`: the blocking `get(timeout=...)` was the wait)."""
        caught = {q.rsplit(".", 1)[-1] for q in _caught_names(clause, ctx)}
        return not caught <= _DETERMINISTIC | _NOT_FAILURES

    def _goes_round(self, clause: cst.ExceptHandler) -> bool:
        """The clause lets the loop run again: a `continue` in it, or it does not end with
        raise/return/break."""
        stmts = statements(clause.body)
        if not stmts or any(isinstance(n, cst.Continue) for n in _shallow(clause.body)):
            return True
        return not isinstance(stmts[-1], (cst.Raise, cst.Return, cst.Break))

    def _waits(self, loop: cst.For | cst.While) -> bool:
        for n in _shallow(loop, stop_at_loops=False):
            if isinstance(n, cst.Call):
                name = (dotted(n.func) or "").rsplit(".", 1)[-1].lower()
                if any(w in name for w in self.waits):
                    return True
        return False
