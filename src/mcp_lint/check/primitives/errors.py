"""Primitives about how tool handlers report failure."""

from __future__ import annotations

import re

import libcst as cst

from mcp_lint.analysis import sdk
from mcp_lint.analysis.cst_utils import assign_targets, code, dotted, is_literal, keyword, leading_text, statements, string_value, target_names
from mcp_lint.analysis.fields import child_nodes
from mcp_lint.analysis.mcp_model import Form, HandlerInfo
from mcp_lint.analysis.state import ASSIGN, AUG, OPAQUE, PARAM
from mcp_lint.check.context import FileContext
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


class GenericRaise(Primitive):
    """`generic-raise`: a tool handler raises a bare built-in exception instead of a coded
    error. Re-raises, and exceptions caught by an enclosing `try` in the same handler, are
    exempt. Reported at the `raise`."""

    NAME = "generic-raise"
    PARAMS = Map({
        "exceptions": Key(List(Str(), min_items=1), required=True),
        "kinds": Key(List(Str(choices=ALL_HANDLER_KINDS)), default=("tool", "tool-dispatcher")),
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
        return _caught_locally(ctx, name)


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
        if handler is None or handler.kind not in self.kinds or node.value is None:
            return
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
            r"expected|on purpose|deliberate\w*|intentional\w*)\b")),
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
        if self._cleanup_block(try_node) or self._next_attempt(ctx, try_node):
            return
        if not in_tool and (self._fallback(try_node, body, function) or self._keeps_default(ctx, try_node, body)):
            return
        shown = "; ".join(d for d in done if d)
        # statement = the clause itself: a suppression comment on the `except` line applies
        ctx.report(self.rule, node, {"clause": _clause_text(node), "body": shown,
                                     "function": function.name.value if function is not None else "<module>"},
                   statement=node, fix=swallowed_fix(ctx, self.rule, node, function))

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
        """A comment just above the `try` or the `except`, or on the `except` line, that says
        the failure is expected or ignored on purpose, or that silences the same check in another linter
        (ruff/flake8 `BLE001`, `S110`, `S112`, `E722`; bandit `nosec`)."""
        texts = [line.comment.value for line in (*try_node.leading_lines, *clause.leading_lines)
                 if line.comment is not None]
        header = clause.body.header.comment if isinstance(clause.body, cst.IndentedBlock) else \
            clause.body.trailing_whitespace.comment
        if header is not None:
            if self.equivalent.search(header.value):
                return True
            texts.append(header.value)
        return any(self.intent.search(t) for t in texts)

    def _next_attempt(self, ctx: FileContext, try_node: cst.Try | cst.TryStar) -> bool:
        """A `try` in a loop that leaves the loop on success (`return`/`break` in its body or
        `else`): the failure is handled by the next attempt or alternative."""
        if ctx.state.loop() is None:
            return False
        return _leaves_loop(try_node.body) or (try_node.orelse is not None and _leaves_loop(try_node.orelse))

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

    def _cleanup_block(self, try_node: cst.Try | cst.TryStar) -> bool:
        stmts = statements(try_node.body)
        if not stmts or not (self._cleanup(stmts[-1]) or isinstance(stmts[-1], cst.Del)):
            return False
        return all(isinstance(s, (cst.Expr, cst.Import, cst.ImportFrom, cst.If, cst.Try, cst.Pass, cst.Del))
                   for s in stmts)

    def _fallback(self, try_node: cst.Try | cst.TryStar, handler_body, function: cst.FunctionDef | None) -> bool:
        stmts = statements(try_node.body)
        last = stmts[-1] if stmts else None
        if all(isinstance(s, cst.Return) for s in handler_body):
            if all(isinstance(s.value, cst.Name) and s.value.value in ("True", "False") for s in handler_body):
                return True  # a predicate: the failure is its answer (`is_iterable`, `is_safe_path`)
            if len(stmts) == 1 and isinstance(last, cst.Return) and last.value is not None and \
                    _simple_conversion(last.value):
                return True
            doc = function.get_docstring() if function is not None else None
            return bool(doc and self.documented.search(doc))
        # `try: return parse(a)` / `except Exception: pass` / then the alternative
        return all(isinstance(s, cst.Pass) for s in handler_body) and any(
            isinstance(n, cst.Return) for n in _shallow(try_node.body, stop_at_loops=False))

    def _cleanup(self, stmt: cst.CSTNode) -> bool:
        value = stmt.value if isinstance(stmt, cst.Expr) else None
        if isinstance(value, cst.Await):
            value = value.expression
        if not isinstance(value, cst.Call):
            return False
        name = (dotted(value.func) or "").rsplit(".", 1)[-1]
        return name in self.cleanup


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
                             "errno", "returncode", "error_code", "http_status", "reason_code", "reason_phrase"})
_TRACEBACK_CALLS = frozenset({"traceback.format_exc", "traceback.format_exception", "traceback.format_tb",
                              "traceback.format_exception_only", "traceback.format_stack", "sys.exc_info"})
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
        "kinds": Key(List(Str(choices=ALL_HANDLER_KINDS)), default=("tool", "tool-dispatcher")),
    })
    PLACEHOLDERS = frozenset({"handler", "leak", "how"})

    def setup(self) -> None:
        self.client_errors = frozenset(self.params["client-errors"])
        self.client_facing = frozenset(self.params["client-facing"])
        self.kinds = frozenset(self.params["kinds"])

    def enter(self):
        return {cst.Return: self.on_return, cst.Raise: self.on_raise}

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

    def on_raise(self, node: cst.Raise, ctx: FileContext) -> None:
        handler = self._handler(ctx)
        if handler is None or not isinstance(node.exc, cst.Call):
            return
        name = (dotted(node.exc.func) or "").rsplit(".", 1)[-1]
        if name in self.client_errors:
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
        """Any other exception leaving a tool becomes an error result carrying `str(exc)`
        (mcp 1.x/2.x, low-level 1.x, fastmcp unless `mask_error_details=True`)."""
        qual = ctx.resolve(exc.func) or ""
        if not (qual.startswith("builtins.") and name.endswith(("Error", "Exception"))) and \
                name not in ctx.index.classes:
            return False
        server = handler.server
        mask = server.kwargs.get("mask_error_details") if server is not None else None
        if isinstance(mask, cst.Name) and mask.value == "True":
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
                caught = [q.rsplit(".", 1)[-1] for q in _caught_names(b.node, ctx)]
                if caught and all(c in self.client_facing for c in caught):
                    return None
                if self._own_message(b.node, b.point.frame.node, ctx):
                    return None
                return b.node
        return None

    def _own_message(self, clause: cst.ExceptHandler, function: cst.CSTNode, ctx: FileContext) -> bool:
        """A specific exception from a `try` that only calls this file's own functions (and
        builtins): `try: path = inside_workspace(p)` / `except ValueError as e: raise
        ToolError(str(e))`. Its text was written by the server for the client."""
        if _is_broad(clause, ctx) or clause.type is None:
            return False
        try_node = next((n for n in _shallow(function, stop_at_loops=False)
                         if isinstance(n, (cst.Try, cst.TryStar)) and clause in n.handlers), None)
        if try_node is None:
            return False
        calls = [n for n in _shallow(try_node.body, stop_at_loops=False) if isinstance(n, cst.Call)]
        if not calls or not all(self._own_call(c, ctx) for c in calls):
            return False
        raised = self._raised_here(ctx)
        return all(q.rsplit(".", 1)[-1] in raised for q in _caught_names(clause, ctx))

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
            for clause in node.handlers:
                if self._goes_round(clause) and self._transient(clause, ctx):
                    return node, clause
        return None

    def _transient(self, clause: cst.ExceptHandler, ctx: FileContext) -> bool:
        """Could the caught failure clear by itself? Parse and lookup errors do not: a loop
        retrying them re-prompts or tries other input, which no wait would help."""
        caught = {q.rsplit(".", 1)[-1] for q in _caught_names(clause, ctx)}
        return not caught <= _DETERMINISTIC

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
