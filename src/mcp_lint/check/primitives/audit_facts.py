"""`audit-facts`: what `mcp-lint audit` needs to know about one file, gathered during the
ordinary walk of `check` and returned as plain data (it reports nothing).

For a server-side file: its servers (flavour, transports, auth, version, lifespan), its
handlers (parameters and how each is constrained, description, return type, what a tool
changes and whether it reads the caller's identity), logging, metrics and tracing set-up,
health routes, caches, clients and where they are created, lifespans and whether they
close what they open, database queries (and those inside loops), raises of coded errors,
signal handlers, concurrency helpers. For a test file (under `tests/`, `test_*.py`,
`*_test.py`, `conftest.py`): the modules it imports, the names it calls, its identifier-like
string literals and the ways it talks to a server (in-memory clients, `call_tool`).
The project step of the audit joins these facts across files; this primitive never decides
a verdict. Used by `mcp-lint audit` (cli/audit.py), not by rule packs.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

import libcst as cst

from mcp_lint.analysis import sdk
from mcp_lint.analysis.cst_utils import argument, dotted, keyword, string_value
from mcp_lint.analysis.positions import resolve_spans
import mcp_lint.analysis.audit_knowledge as K
from mcp_lint.check.primitives.base import Primitive
from mcp_lint.model.schema import Key, List, Map, Str
from mcp_lint.source.lines import LineTable

_CAP = 12  # evidence kept per category and file
_DEFAULT_CLIENTS = ("httpx.AsyncClient", "httpx.Client", "requests.Session", "aiohttp.ClientSession",
                    "asyncpg.create_pool", "asyncpg.connect", "psycopg.connect", "psycopg2.connect",
                    "pymongo.MongoClient", "redis.Redis", "redis.asyncio.Redis", "boto3.client", "boto3.resource")
_RUN_METHODS = frozenset({"run", "run_async", "run_stdio_async", "run_sse_async", "run_streamable_http_async",
                          "run_http_async", "sse_app", "streamable_http_app", "http_app"})
# Functions whose name says they run once per process or object: set-up, not per call.
_SETUP_NAMES = frozenset({"__init__", "__aenter__", "__enter__", "__post_init__", "main", "run", "serve"})
_SETUP_PREFIXES = ("setup", "set_up", "startup", "on_startup", "connect", "initialize", "init", "start", "open",
                   "create_app", "build_app", "make_app", "lifespan", "bootstrap")


class _State:
    """Per-file working data (kept in `ctx.scratch`, never returned as such)."""

    def __init__(self, ctx) -> None:
        parts = PurePosixPath(ctx.path.replace("\\", "/")).parts
        self.test = K.is_test_path(tuple(parts))
        imports = ctx.imports
        self.db = imports.imports_any(tuple(K.DB_ROOTS)) or imports.imports_any(K.DB_PREFIXES)
        self.evidence: dict[str, list[tuple[str, cst.CSTNode]]] = {}
        self.handlers: dict[cst.FunctionDef, dict[str, list[tuple[str, cst.CSTNode]]]] = {}
        self.io: dict[cst.CSTNode, tuple[str, cst.CSTNode]] = {}  # function (or module) -> first outbound call
        self.json_classes: set[str] = set()
        # (ctor, where, in a with block, the local name it is bound to, its function, node)
        self.clients: list[tuple[str, str, bool, str, Any, cst.CSTNode]] = []
        self.closed: set[tuple[cst.CSTNode | None, str]] = set()  # (function, local name) closed there
        self.queries: list[tuple[str, bool, bool, cst.CSTNode]] = []  # (method, in a loop, in a handler, node)
        self.raises: list[tuple[str, bool, cst.CSTNode]] = []
        self.closes: dict[cst.FunctionDef, list[tuple[str, cst.CSTNode]]] = {}
        # a low-level server's `Tool(name=..., inputSchema=...)`: (name, [(parameter, constraint)] or None, node)
        self.declared_tools: list[tuple[str, list | None, cst.CSTNode]] = []
        # transports started on something the server model could not tie to a server
        # (`create_server().run_stdio_async()`, `app.run(transport=args.transport)`)
        self.loose_transports: list[tuple[str, str, cst.CSTNode]] = []
        self.model_transports = {id(t.node) for t in ctx.model.transports} | {
            id(t.node) for s in ctx.model.servers for t in s.transports}
        # tests
        self.called: set[str] = set()
        self.strings: set[str] = set()
        self.test_clients: list[tuple[str, cst.CSTNode]] = []
        self.lifespans = _lifespan_functions(ctx) if not self.test else {}
        self.cached = _decorated(ctx, K.CACHE_DECORATORS, K.CACHE_ROOTS) if not self.test else {}

    def add(self, category: str, detail: str, node: cst.CSTNode) -> None:
        found = self.evidence.setdefault(category, [])
        if len(found) < _CAP:
            found.append((detail, node))

    def note(self, handler_fn: cst.FunctionDef, kind: str, why: str, node: cst.CSTNode) -> None:
        notes = self.handlers.setdefault(handler_fn, {}).setdefault(kind, [])
        if len(notes) < 4 and all(w != why for w, _ in notes):
            notes.append((why, node))


def _resolved(ctx, expr: cst.BaseExpression) -> str:
    return ctx.resolve(expr) or dotted(expr) or ""


def _decorator_names(ctx, fn: cst.FunctionDef) -> list[str]:
    out = []
    for dec in fn.decorators:
        expr = dec.decorator
        target = expr.func if isinstance(expr, cst.Call) else expr
        out.append(_resolved(ctx, target))
    return out


def _decorated(ctx, names: frozenset[str], roots: frozenset[str]) -> dict[cst.FunctionDef, str]:
    out = {}
    for info in ctx.index.functions:
        for qual in _decorator_names(ctx, info.node):
            if qual in names or qual.split(".", 1)[0] in roots or qual.rsplit(".", 1)[-1] in ("lru_cache", "alru_cache"):
                out[info.node] = qual
                break
    return out


def _lifespan_functions(ctx) -> dict[cst.FunctionDef, str]:
    """Functions that are a server's or an app's lifespan: passed as `lifespan=` in this
    file, or async context managers whose name says lifespan (passed from another module)."""
    passed = set()
    for site in ctx.index.calls:
        for arg in site.call.args:
            if arg.keyword is not None and arg.keyword.value == "lifespan":
                name = dotted(arg.value)
                if name:
                    passed.add(name.rsplit(".", 1)[-1])
    out = {}
    for info in ctx.index.functions:
        decorators = _decorator_names(ctx, info.node)
        managed = any(d in K.LIFESPAN_DECORATORS or d.rsplit(".", 1)[-1] in ("asynccontextmanager", "lifespan")
                      for d in decorators)
        if info.name in passed or (managed and "lifespan" in info.name.lower()):
            out[info.node] = info.qualname
    return out


def _frame_function(ctx) -> cst.FunctionDef | None:
    return ctx.state.function


def _in_with(ctx) -> bool:
    ancestors = ctx.state.ancestors
    for anc in reversed(ancestors[-4:-1]):
        if isinstance(anc, cst.WithItem):
            return True
        if not isinstance(anc, (cst.Await, cst.Call, cst.Arg)):
            return False
    return False


def _assignment(ctx, node: cst.Call) -> cst.Assign | cst.AnnAssign | None:
    """The assignment whose value is this call (or an await of it)."""
    stmt = ctx.state.statement
    if not isinstance(stmt, cst.SimpleStatementLine):
        return None
    for small in stmt.body:
        if isinstance(small, (cst.Assign, cst.AnnAssign)):
            value = small.value.expression if isinstance(small.value, cst.Await) else small.value
            if value is node:
                return small
    return None


def _bound_name(ctx, node: cst.Call) -> str | None:
    """The local name a client is assigned to (`conn = connect()`), if it is one."""
    assign = _assignment(ctx, node)
    if assign is None:
        return None
    targets = [t.target for t in assign.targets] if isinstance(assign, cst.Assign) else [assign.target]
    names = [t.value for t in targets if isinstance(t, cst.Name)]
    return names[0] if names and len(names) == len(targets) else None


def _in_loop(ctx) -> bool:
    """Inside a loop (or comprehension) of the current function whose iterable is not a constant."""
    frame = ctx.state.frame
    loop = ctx.state.loop()
    if loop is not None and not (isinstance(loop.node, cst.For) and _constant_iterable(loop.node.iter)):
        return True
    for anc in reversed(ctx.state.ancestors):
        if anc is frame.node:
            break
        if isinstance(anc, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
            if not _constant_iterable(anc.for_in.iter):
                return True
    return False


def _constant_iterable(expr: cst.BaseExpression) -> bool:
    """A literal collection or an UPPER_CASE constant: statements run once each (a schema)."""
    if isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
        return True
    name = dotted(expr)
    return bool(name) and name.rsplit(".", 1)[-1].isupper()


def _strings_in(node: cst.CSTNode, limit: int = 200) -> list[str]:
    """String constants inside a small subtree (a logging configuration's arguments)."""
    out: list[str] = []
    stack = [node]
    seen = 0
    while stack and seen < limit:
        current = stack.pop()
        seen += 1
        if isinstance(current, cst.SimpleString):
            value = string_value(current)
            if value is not None:
                out.append(value)
            continue
        stack.extend(current.children)
    return out


class AuditFacts(Primitive):
    """Gathers, per file, the facts `mcp-lint audit` judges the production checklist from:
    servers, transports, auth, handlers and their parameters, logging/metrics/tracing set-up,
    health routes, caches, clients and lifespans, database queries in loops, coded errors, and
    for test files the imports, calls and in-memory clients. Reports nothing; its facts travel
    on `FileResult.facts` and are cached like any rule's. `clients` lists the constructors of
    network clients and connection pools (by default MCP404's list)."""

    NAME = "audit-facts"
    PARAMS = Map({"clients": Key(List(Str()), default=_DEFAULT_CLIENTS)})

    def setup(self) -> None:
        self.clients = frozenset(self.params.get("clients") or _DEFAULT_CLIENTS) | K.EXTRA_CLIENTS

    def enter(self):
        return {cst.Call: self.on_call, cst.Raise: self.on_raise, cst.Attribute: self.on_attribute,
                cst.SimpleString: self.on_string}

    def _state(self, ctx) -> _State:
        st = ctx.scratch.get(self.rule.id)
        if st is None:
            st = ctx.scratch[self.rule.id] = _State(ctx)
        return st

    # -- hooks ------------------------------------------------------------------------------------
    def on_string(self, node: cst.SimpleString, ctx) -> None:
        st = self._state(ctx)
        if not st.test or len(st.strings) > 5000:
            return
        value = string_value(node)
        if value is not None and K.IDENTIFIER.match(value):
            st.strings.add(value)

    def on_attribute(self, node: cst.Attribute, ctx) -> None:
        handler = ctx.state.handler
        if handler is None or not handler.is_tool:
            return
        attr = node.attr.value
        if attr in K.IDENTITY_ATTRS or (attr in K.TOKEN_ATTRS and "token" in (dotted(node.value) or "").lower()):
            why = f"reads `.{attr}`"
        elif attr in K.IDENTITY_REQUEST_ATTRS and "request" in (dotted(node.value) or "").lower():
            why = f"reads the request's `.{attr}`"
        elif attr == "request" and (dotted(node.value) or "").endswith("request_context"):
            why = "reads the HTTP request (`request_context.request`)"
        else:
            return
        self._state(ctx).note(handler.function, "identity", why, node)

    def on_raise(self, node: cst.Raise, ctx) -> None:
        if node.exc is None:
            return
        st = self._state(ctx)
        if st.test or len(st.raises) > 400:
            return
        exc = node.exc
        target = exc.func if isinstance(exc, cst.Call) else exc
        name = dotted(target)
        if not name:
            return
        last = name.rsplit(".", 1)[-1]
        if not isinstance(exc, cst.Call) and not last[:1].isupper():
            return  # `raise err`: re-raising what was caught
        st.raises.append((last, ctx.state.handler is not None, node))

    def on_call(self, node: cst.Call, ctx) -> None:
        st = self._state(ctx)
        func = node.func
        tf = type(func)
        if tf is cst.Attribute:
            last = func.attr.value
        elif tf is cst.Name:
            last = func.value
        else:
            return
        if st.test:
            name = dotted(func)
            if name and len(st.called) < 5000:
                st.called.add(name)
            kind = K.TEST_CLIENTS.get(last)
            if kind is not None and len(st.test_clients) < 50:
                st.test_clients.append((kind, node))
            return
        qual = ctx.resolve(func)
        if qual is not None:
            self._library(st, ctx, node, qual, last)
        if tf is cst.Attribute:
            self._method(st, ctx, node, qual, last)
        handler = ctx.state.handler
        if handler is not None and handler.is_tool:
            self._handler_call(st, ctx, node, qual, last, handler)

    # -- calls ------------------------------------------------------------------------------------
    def _library(self, st: _State, ctx, node: cst.Call, qual: str, last: str) -> None:
        root = qual.split(".", 1)[0]
        if qual in self.clients:
            self._client(st, ctx, node, qual)
        if (root in K.IO_ROOTS or qual.startswith(K.IO_PREFIXES)) and qual not in self.clients \
                and not last[:1].isupper():  # building a client is not an outbound call
            self._io(st, ctx, qual, node)
        if root in K.LOG_ROOTS:
            self._logging(st, node, qual)
        elif last == "configure_logging" and root in ("mcp", "fastmcp"):
            st.add("log-config", qual, node)
        elif qual in K.LOG_STRUCTURED:
            st.add("log-structured", qual, node)
        elif qual == "json.dumps":
            for frame in reversed(ctx.state.frames):
                if isinstance(frame.node, cst.ClassDef):
                    st.json_classes.add(frame.node.name.value)
                    break
        if root in K.METRICS_ROOTS or qual.startswith(K.METRICS_PREFIXES):
            st.add("metrics", qual, node)
        if qual in K.TRACKING_INIT or (qual.startswith("opentelemetry.instrumentation") and last == "instrument"):
            st.add("tracking-init", qual, node)
        elif root in K.TRACKING_ROOTS or qual.startswith(K.TRACKING_PREFIXES):
            st.add("tracking", qual, node)
        if qual in K.CACHE_DECORATORS or root in K.CACHE_ROOTS:
            st.add("cache", qual, node)
        if qual in K.SIGNALS:
            st.add("signal", qual, node)
        if qual in K.CONCURRENCY:
            st.add("concurrency", qual, node)
        if qual in K.OFFLOAD:
            st.add("offload", qual, node)
        if qual in K.ASGI_AUTH:
            st.add("asgi-auth", qual, node)
        if qual in K.ROUTE_CALLS:
            self._route(st, node, argument(node, 0, "path"), qual.rsplit(".", 1)[-1])
        if qual in ("setuptools.setup", "distutils.core.setup") and keyword(node, "version") is not None:
            st.add("setup-version", "setup(version=...)", node)
        if last == "InitializationOptions" and keyword(node, "server_version") is not None:
            st.add("server-version", "InitializationOptions(server_version=...)", node)
        if root == "mcp" and last == "Tool":
            name = string_value(argument(node, None, "name"))
            schema = argument(node, None, "inputSchema") or argument(node, None, "input_schema")
            st.declared_tools.append((name or "", _schema_params(schema), node))
        if last in sdk.EXPLICIT_ERROR_RESULTS and root in ("mcp", "fastmcp"):
            flag = keyword(node, "isError") or keyword(node, "is_error")
            if flag is not None and dotted(flag.value) == "True":
                st.add("coded-result", f"{last}(is_error=True)", node)

    def _logging(self, st: _State, node: cst.Call, qual: str) -> None:
        if qual in K.LOG_STRUCTURED:
            st.add("log-structured", qual, node)
        elif qual == f"{K.LOGURU_LOGGER}.add":
            serialize = keyword(node, "serialize")
            if serialize is not None and dotted(serialize.value) == "True":
                st.add("log-structured", "loguru logger.add(serialize=True)", node)
            else:
                st.add("log-config", "loguru logger.add()", node)
        elif qual in K.LOG_CONFIG:
            texts = _strings_in(node)
            fmt = keyword(node, "format")
            fmt_text = string_value(fmt.value) if fmt is not None else None
            if (fmt_text or "").lstrip().startswith("{") or any(
                    "json" in t.lower() or "structlog" in t.lower() for t in texts):
                st.add("log-structured", f"{qual}() with a JSON formatter", node)
            else:
                st.add("log-config", qual, node)
        elif qual.startswith("logfire.metric_"):
            st.add("metrics", qual, node)

    def _method(self, st: _State, ctx, node: cst.Call, qual: str | None, last: str) -> None:
        if last in K.ROUTE_METHODS or (last in K.ROUTE_DECORATOR_METHODS and isinstance(ctx.state.parent, cst.Decorator)):
            self._route(st, node, argument(node, 0, "path"), last)
        if last in _RUN_METHODS and id(node) not in st.model_transports:
            self._loose_transport(st, node, last)
        if last in K.SIGNAL_METHODS:
            st.add("signal", last, node)
        elif last in K.CONCURRENCY_METHODS:
            st.add("concurrency", last, node)
        elif last in K.OFFLOAD_METHODS:
            st.add("offload", last, node)
        elif last in K.METRICS_METHODS:
            st.add("metrics", last, node)
        fn = ctx.state.function
        if last in K.CLOSE_METHODS and isinstance(node.func.value, cst.Name):
            st.closed.add((fn, node.func.value.value))
        if fn is not None and fn in st.lifespans and last in K.CLOSE_METHODS:
            closes = st.closes.setdefault(fn, [])
            if len(closes) < 6:
                closes.append((f"{dotted(node.func) or last}()", node))
        if st.db and last in K.QUERY_METHODS and len(st.queries) < 200:
            st.queries.append((last, _in_loop(ctx), ctx.state.handler is not None, node))
            self._io(st, ctx, last, node)
        elif qual is None and last in K.IO_METHODS:
            target = ctx.types.call_target(node, ctx.point())
            if target and target.split(".", 1)[0] in K.IO_ROOTS:
                self._io(st, ctx, target, node)
                if target in self.clients:
                    self._client(st, ctx, node, target)

    @staticmethod
    def _loose_transport(st: _State, node: cst.Call, method: str) -> None:
        if method in sdk.STDIO_METHODS:
            st.loose_transports.append((sdk.STDIO, f"{method}()", node))
        elif method in sdk.HTTP_METHODS:
            st.loose_transports.append((sdk.HTTP, f"{method}()", node))
        else:  # run(transport=...): only with the keyword, `.run()` alone is anything
            value = keyword(node, "transport")
            if value is None:
                return
            literal = string_value(value.value)
            kind = sdk.TRANSPORT_VALUES.get(literal or "", "unknown")
            shown = f'{method}(transport="{literal}")' if literal else f"{method}(transport=<runtime value>)"
            st.loose_transports.append((kind, shown, node))

    def _io(self, st: _State, ctx, what: str, node: cst.Call) -> None:
        fn = ctx.state.function
        key = fn if fn is not None else ctx.module
        if key not in st.io:
            st.io[key] = (what, node)

    def _client(self, st: _State, ctx, node: cst.Call, ctor: str) -> None:
        if len(st.clients) >= 40:
            return
        fn = ctx.state.function
        if ctx.state.handler is not None:
            where = "handler"
        elif fn is None:
            where = "module"
        elif fn in st.lifespans:
            where = "lifespan"
        elif fn in st.cached:
            where = "cached-factory"
        elif fn.name.value in _SETUP_NAMES or fn.name.value.lstrip("_").startswith(_SETUP_PREFIXES):
            where = "setup"
        else:
            where = "function"
        st.clients.append((ctor, where, _in_with(ctx), _bound_name(ctx, node) or "", fn, node))

    def _route(self, st: _State, node: cst.Call, path_expr, how: str) -> None:
        path = string_value(path_expr) if path_expr is not None else None
        if path and K.HEALTH_PATH.search(path):
            st.add("health-route", f"{how}({path!r})", node)

    def _handler_call(self, st: _State, ctx, node: cst.Call, qual: str | None, last: str, handler) -> None:
        fn = handler.function
        if last in K.IDENTITY_CALLS or K.IDENTITY_NAME.search(last):
            st.note(fn, "identity", f"calls `{last}()`", node)
        why = None
        if qual is not None:
            for prefix, reason in K.MUTATING_CALLS.items():
                if qual == prefix or qual.startswith(prefix + ".") or (prefix.endswith(("exec", "spawn")) and
                                                                       qual.startswith(prefix)):
                    why = f"{reason} (`{qual}`)"
                    break
            if why is None and qual == "builtins.open":
                mode = string_value(argument(node, 1, "mode"))
                if mode and any(c in mode for c in "wax+"):
                    why = f"writes a file (`open(..., {mode!r})`)"
        if why is None and isinstance(node.func, cst.Attribute):
            if last in K.MUTATING_PATH_METHODS:
                why = f"changes files (`.{last}()`)"
            elif last in ("execute", "executemany", "executescript", "sql", "query"):
                arg = argument(node, 0, None)
                text = string_value(arg) if arg is not None else None
                controlled = {p.name for p in handler.params if p.controlled}
                if text is not None and K.MUTATING_SQL.match(text):
                    why = f"writes to the database (`{text.split()[0].upper()}`)"
                elif isinstance(arg, cst.Name) and arg.value in controlled:
                    why = f"runs SQL the model writes (`{last}({arg.value})`)"
            elif last in K.MUTATING_HTTP_METHODS:
                target = qual or ctx.types.call_target(node, ctx.point()) or ""
                if target.split(".", 1)[0] in K.HTTP_ROOTS:
                    why = f"sends an HTTP {last.upper()}"
        if why is not None:
            st.note(fn, "mutating", why, node)

    # -- after the walk ---------------------------------------------------------------------------
    def facts(self, ctx) -> dict[str, Any]:
        st = self._state(ctx)
        nodes: list[cst.CSTNode] = []

        def at(node: cst.CSTNode | None) -> cst.CSTNode | None:
            if node is not None:
                nodes.append(node)
            return node

        out = self._test_facts(st, ctx, at) if st.test else self._source_facts(st, ctx, at)
        spans = resolve_spans(ctx.module, nodes, LineTable(ctx.source)) if nodes else {}
        return _with_lines(out, spans)

    def _test_facts(self, st: _State, ctx, at) -> dict[str, Any]:
        index = ctx.index
        tests = [f for f in index.functions if f.name.startswith("test")
                 and (f.class_name is None or f.class_name.startswith("Test"))]
        return {
            "kind": "test",
            "imports": sorted(set(index.imports.modules) | set(index.imports.aliases.values()))[:1000],
            "called": sorted(st.called),
            "strings": sorted(st.strings),
            "clients": [(kind, at(node)) for kind, node in st.test_clients],
            "tests": len(tests),
            "benchmark": any(p.name.value == "benchmark" for f in tests for p in f.node.params.params),
            "first_test": at(tests[0].node.name) if tests else None,
        }

    def _source_facts(self, st: _State, ctx, at) -> dict[str, Any]:
        index, model = ctx.index, ctx.model
        servers = []
        for s in model.servers:
            servers.append({
                "flavour": s.flavour, "constructor": s.constructor, "binding": s.binding or "",
                "defined": not s.from_parameter, "line": at(s.node),
                "transports": [(t.kind, t.via, at(t.node), _text(t.host)) for t in s.transports],
                "auth": list(s.auth), "scopes": _has_scopes(s), "host": _text(s.host),
                "version": _server_version(s), "lifespan": dotted(s.kwargs.get("lifespan")) or "",
                "mask_errors": dotted(s.kwargs.get("mask_error_details")) == "True",
                "kwargs": sorted(s.kwargs),
            })
        handlers = []
        for h in model.handlers:
            notes = st.handlers.get(h.function, {})
            identity = [(why, at(node)) for why, node in notes.get("identity", [])]
            for p in h.params:
                ann = dotted(p.annotation) if p.annotation is not None else ""
                if (ann or "").endswith(K.ACCESS_TOKEN_TYPES) or any(d in p.why_not for d in K.ACCESS_TOKEN_DEFAULTS):
                    identity.append((f"takes the access token (`{p.name}`)", at(p.node)))
            if "auth" in h.kwargs:
                identity.append(("`auth=` on its registration", at(h.kwargs["auth"])))
            handlers.append({
                "kind": h.kind, "form": h.form, "name": h.name, "function": h.function.name.value,
                "line": at(h.function.name), "async": h.function.asynchronous is not None,
                "params": [(p.name, p.constraint, p.controlled) for p in h.params],
                "doc": h.function.get_docstring() is not None or "description" in h.kwargs,
                "returns": h.function.returns is not None, "confidence": h.confidence,
                "mutating": [(why, at(node)) for why, node in notes.get("mutating", [])],
                "identity": identity, "validate_input": h.validate_input,
            })
        lifespans = []
        for fn, qualname in st.lifespans.items():
            protected, plain = _yields(fn.body)
            lifespans.append({
                "name": fn.name.value, "qualname": qualname, "line": at(fn.name),
                "yields": protected + plain, "protected": plain == 0 and protected > 0,
                "closes": [(what, at(node)) for what, node in st.closes.get(fn, [])],
            })
        cached = []
        for fn, qual in st.cached.items():
            io = st.io.get(fn)
            cached.append((fn.name.value, qual, at(fn.name), io[0] if io else ""))
        classes = []
        for cls in index.classes.values():
            bases = [b.rsplit(".", 1)[-1] for b in cls.bases]
            if any(b in K.FORMATTER_BASES for b in cls.bases) and (
                    cls.name in st.json_classes or any("json" in b.lower() for b in cls.bases)):
                st.add("log-structured", f"class {cls.name}(logging.Formatter) writing JSON", cls.node.name)
            elif any("json" in b.lower() and "formatter" in b.lower() for b in bases):
                st.add("log-structured", f"class {cls.name}({', '.join(bases)})", cls.node.name)
            if cls.name.endswith(("Error", "Exception", "Fault")) or any(
                    b.endswith(("Error", "Exception")) for b in bases):
                init = cls.methods.get("__init__")
                init_params = {p.name.value for p in init.params.params} if init is not None else set()
                code = bool((set(cls.constants) | set(cls.self_attrs) | init_params) & K.CODE_ATTRIBUTES)
                classes.append((cls.name, bases, code, at(cls.node.name)))
        return {
            "kind": "source",
            "imports": sorted(index.imports.modules)[:1000],
            "servers": servers,
            "module_transports": [(t.kind, t.via, at(t.node), _text(t.host)) for t in model.module_transports] + [
                (kind, via, at(node), _text(argument(node, None, "host"))) for kind, via, node in st.loose_transports],
            "handlers": handlers,
            "unresolved": [(u.kind, u.expression, at(u.node), _registered_name(u.node)) for u in model.unresolved][:40],
            "declared_tools": [(name, params, at(node)) for name, params, node in st.declared_tools],
            "evidence": {cat: [(detail, at(node)) for detail, node in found] for cat, found in st.evidence.items()},
            # (ctor, where, closed by a with block or in the function that made it, line)
            "clients": [(ctor, where, with_ or bool(local and (fn, local) in st.closed), at(node))
                        for ctor, where, with_, local, fn, node in st.clients],
            "queries": [(method, loop, in_handler, at(node)) for method, loop, in_handler, node in st.queries],
            "raises": [(name, in_handler, at(node)) for name, in_handler, node in st.raises],
            "error_classes": classes,
            "lifespans": lifespans,
            "cached": cached,
            "io": [(what, at(node)) for what, node in list(st.io.values())[:_CAP]],
            "io_count": len(st.io),
            "async_functions": sum(1 for f in index.functions if f.is_async),
            "functions": len(index.functions),
            "module_version": any(v is not None for v in index.module_bindings.get("__version__", ())),
        }


_SCHEMA_LIMITS = frozenset({"enum", "const", "pattern", "maxLength", "minimum", "maximum", "exclusiveMinimum",
                            "exclusiveMaximum", "format", "maxItems", "multipleOf", "minLength"})


def _dict_value(d: cst.Dict, key: str) -> cst.BaseExpression | None:
    for el in d.elements:
        if isinstance(el, cst.DictElement) and string_value(el.key) == key:
            return el.value
    return None


def _schema_params(schema: cst.BaseExpression | None) -> list[tuple[str, str]] | None:
    """How each property of a hand-written JSON Schema constrains its value, in the server
    model's terms (None: the schema is not a literal the file shows)."""
    if isinstance(schema, cst.Call) and isinstance(schema.func, cst.Attribute) and \
            schema.func.attr.value in ("model_json_schema", "schema", "json_schema"):
        return [("(pydantic model)", "model")]
    if not isinstance(schema, cst.Dict):
        return None
    props = _dict_value(schema, "properties")
    if props is None:
        return []
    if not isinstance(props, cst.Dict):
        return None
    out = []
    for el in props.elements:
        if not isinstance(el, cst.DictElement):
            continue
        key = string_value(el.key) or "(dynamic)"
        value = el.value
        if not isinstance(value, cst.Dict):
            out.append((key, "plain"))  # built elsewhere: typed, limits unknown
            continue
        keys = {string_value(e.key) for e in value.elements if isinstance(e, cst.DictElement)}
        kind = string_value(_dict_value(value, "type"))
        if keys & {"enum", "const"}:
            constraint = "literal"
        elif kind in ("integer", "number", "boolean"):
            constraint = "scalar"
        elif keys & _SCHEMA_LIMITS:
            constraint = "field"
        elif kind == "string":
            constraint = "plain"
        elif kind in ("object", "array"):
            constraint = "typed-container" if keys & {"properties", "items", "additionalProperties"} else "container"
        elif kind is None and not keys & {"anyOf", "oneOf", "allOf", "$ref"}:
            constraint = "any"
        else:
            constraint = "plain"
        out.append((key, constraint))
    return out


def _registered_name(node: cst.CSTNode) -> str:
    """The tool name a registration the analysis could not resolve gives (`name="x"`,
    `@mcp.tool("x")`, `add_tool(Tool.from_function(fn, name="x"))`), or ""."""
    if not isinstance(node, cst.Call):
        return ""
    name = string_value(argument(node, None, "name"))
    if name:
        return name
    first = argument(node, 0, None)
    if isinstance(first, cst.Call):
        return _registered_name(first)
    if isinstance(node.func, cst.Attribute) and node.func.attr.value == "tool":
        return string_value(first) or ""
    return ""


def _text(expr: cst.BaseExpression | None) -> str:
    if expr is None:
        return ""
    value = string_value(expr)
    return value if value is not None else f"<{dotted(expr) or 'expression'}>"


def _has_scopes(server) -> bool:
    for value in server.auth_values.values():
        if isinstance(value, cst.Call) and keyword(value, "required_scopes") is not None:
            return True
    return False


def _server_version(server) -> bool:
    if "version" in server.kwargs:
        return True
    node = server.node
    if server.lowlevel and isinstance(node, cst.Call):
        return argument(node, 1, "version") is not None
    return False


def _yields(body: cst.BaseSuite) -> tuple[int, int]:
    """(yields inside a try/finally or a with block, other yields) of a function body."""
    protected = plain = 0
    stack: list[tuple[cst.CSTNode, bool]] = [(body, False)]
    while stack:
        node, guarded = stack.pop()
        if isinstance(node, (cst.IndentedBlock, cst.SimpleStatementSuite)):
            stack.extend((s, guarded) for s in node.body)
        elif isinstance(node, cst.SimpleStatementLine):
            stack.extend((s, guarded) for s in node.body)
        elif isinstance(node, (cst.Expr, cst.Assign, cst.AnnAssign)):
            value = node.value
            if isinstance(value, cst.Await):
                value = value.expression
            if isinstance(value, cst.Yield):
                if guarded:
                    protected += 1
                else:
                    plain += 1
        elif isinstance(node, cst.With):
            stack.append((node.body, True))
        elif isinstance(node, (cst.Try, cst.TryStar)):
            inner = guarded or node.finalbody is not None
            stack.append((node.body, inner))
            stack.extend((h.body, guarded) for h in node.handlers)
            if node.orelse is not None:
                stack.append((node.orelse.body, inner))
            if node.finalbody is not None:
                stack.append((node.finalbody.body, guarded))
        elif isinstance(node, (cst.If, cst.For, cst.While)):
            stack.append((node.body, guarded))
            orelse = node.orelse
            if orelse is not None:
                stack.append((orelse if isinstance(orelse, cst.If) else orelse.body, guarded))
        elif isinstance(node, cst.Match):
            stack.extend((case.body, guarded) for case in node.cases)
    return protected, plain


def _with_lines(value: Any, spans: dict) -> Any:
    """Replace every CST node in the facts by its line (0 when it has no position)."""
    if isinstance(value, cst.CSTNode):
        span = spans.get(value)
        return span.start_line if span is not None else 0
    if isinstance(value, dict):
        return {k: _with_lines(v, spans) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_with_lines(v, spans) for v in value]
    return value
