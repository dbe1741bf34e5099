"""`unauthenticated-http`: an MCP server served over HTTP to other hosts with no auth.

Works on the server model (`mcp_model`): each server's transports, host and auth. A server
is reported when it runs on an HTTP transport (or one chosen at run time, which may be
HTTP), binds a host that is not loopback, and has no real auth (`ServerInfo.auth`: a
verifier or provider; `DebugTokenVerifier`/`StaticTokenVerifier` do not count). The host is
the `host=` of the run call (or of `uvicorn.run`), else the server's own
(`FastMCP(host=...)`, `mcp.settings.host = ...`), else the SDK's default, which is loopback
for every SDK run method and for uvicorn. A host expression is followed through names bound
once, `os.getenv("HOST", default)`, argparse/click/typer `--host` defaults and
settings-class fields; a host that stays unknown (read from a settings object of another module, say) is
not reported: most such hosts default to loopback. An ASGI app
(`sse_app()`, `http_app()`) counts where a runner of the same module serves it; an app
served elsewhere is not reported (its bind address is not in the file). Auth the file wires
itself (FastAPI/Starlette security and authentication middleware, a middleware class named
for auth) counts as auth. Servers that come from a parameter or another module are skipped:
their auth is set where they are built. Standalone fastmcp 2.x also reads auth from
`FASTMCP_SERVER_AUTH`: its findings say so and carry lower confidence. Fix (with `fix:` in the
rule): the all-interfaces host literal becomes `"127.0.0.1"`.
"""

from __future__ import annotations

import re

import libcst as cst

from mcp_lint.analysis import sdk
from mcp_lint.analysis.cst_utils import argument, code, dotted, keyword, string_value
from mcp_lint.analysis.mcp_model import ServerInfo, Transport
from mcp_lint.check.context import FileContext, NodeEdit, NodeFix
from mcp_lint.check.fixkit import fix_builder
from mcp_lint.model.findings import Applicability, Confidence
from mcp_lint.model.schema import Key, List, Map, Str
from mcp_lint.check.primitives.base import Primitive
from mcp_lint.check.primitives.calls import bound_value

_RUNNERS = frozenset({"run", "run_async", "run_sse_async", "run_streamable_http_async", "run_http_async",
                      "serve"})
_LOOPBACK = re.compile(r"(?i)(127\.\d+\.\d+\.\d+|localhost|ip6-localhost|::1|\[::1\])")
_FRAMEWORKS = frozenset({"starlette", "fastapi", "mcp", "fastmcp", "builtins"})
_AUTH_NAME = re.compile(r"(?i)auth|api_?key|bearer|token")
_ALL_INTERFACES = frozenset({"0.0.0.0", "::", "[::]", "", "*"})
_LOWER = {Confidence.HIGH: Confidence.MEDIUM, Confidence.MEDIUM: Confidence.LOW, Confidence.LOW: Confidence.LOW}


class UnauthenticatedHttp(Primitive):
    NAME = "unauthenticated-http"
    FIXABLE = True
    PARAMS = Map({
        # modules whose use in the file means the HTTP app authenticates requests itself
        "auth-modules": Key(List(Str()), default=("fastapi.security", "starlette.authentication",
                                                  "starlette.middleware.authentication",
                                                  "mcp.server.auth.middleware")),
    })
    PLACEHOLDERS = frozenset({"server", "transport", "via", "host", "auth"})

    def setup(self) -> None:
        self.auth_modules = tuple(self.params["auth-modules"])

    def finish(self, ctx: FileContext) -> None:
        model = ctx.model
        if not model.servers and not model.module_transports:
            return
        if self._custom_auth(ctx):
            return
        sites = {s.call: s for s in ctx.index.calls}
        for server in model.servers:
            if server.from_parameter:
                continue
            configured, how = server.auth
            if configured:
                continue
            self._check(ctx, sites, f"`{server.binding}`" if server.binding else "the server", server,
                        server.transports, how)
        served = any(t.kind != sdk.STDIO for s in model.servers for t in s.transports)
        if model.module_transports and model.imports_sdk and not served:  # an app this file serves
            self._check(ctx, sites, "the HTTP app", None, model.module_transports, "no auth in this file")

    def _check(self, ctx: FileContext, sites, shown: str, server: ServerInfo | None,
               transports: list[Transport], how: str) -> None:
        http = [t for t in transports if t.kind in (sdk.HTTP, "unknown")]
        runners = [t for t in http if _last(t.node) in _RUNNERS]
        apps = [t for t in http if t not in runners]
        server_host = server.host if server is not None else None
        for t in runners or apps:
            host = t.host if t.host is not None else server_host
            if host is None and t in apps:
                # The app is served by a runner of this module (`uvicorn.run(app, host=...)`), or
                # elsewhere, and then the bind address is not in this file.
                runner = next((r for r in ctx.model.module_transports if r.host is not None), None) or \
                    _uvicorn_config(ctx)
                if runner is None:
                    continue
                t, host = runner, runner.host
            state, where = self._host(ctx, sites, host, t)
            if state != "public":
                continue  # loopback, the SDK's loopback default, or decided by configuration elsewhere
            confidence = Confidence.HIGH
            auth = how
            if server is not None and server.flavour == sdk.FASTMCP and "auth" not in server.auth_values:
                auth = "no auth= (fastmcp 2.x may configure it through the FASTMCP_SERVER_AUTH environment variable)"
                confidence = _LOWER[confidence]
            if server is None:
                confidence = _LOWER[confidence]
            via, transport, served = t.via, "over HTTP", shown
            if isinstance(t.node, cst.Call) and ctx.resolve(t.node.func) in (*sdk.HTTP_FUNCTIONS, "uvicorn.Config"):
                via = f"{dotted(t.node.func)}()"
                factory = self._app_factory(ctx, sites, t.node)
                if factory is not None:  # `uvicorn.run(create_app(...))`: its auth is not in this file
                    served = f"the app from `{factory}()`"
                    auth = f"none visible here ({how})"
                    confidence = _LOWER[confidence]
            if t.kind == "unknown":
                transport = "over a transport chosen at run time (HTTP possibly)"
                confidence = _LOWER[confidence]
            ctx.report(self.rule, t.node, {"server": served, "transport": transport, "via": via, "host": where,
                                           "auth": auth}, statement=None, confidence=confidence,
                       fix=self._fix(ctx, sites, host, t))

    def _app_factory(self, ctx: FileContext, sites, call: cst.Call) -> str | None:
        """The imported project function that builds the app a runner serves, if any:
        `app = create_app(config); uvicorn.run(app, ...)`."""
        app = argument(call, 0, "app")
        if isinstance(app, cst.Name):
            site = sites.get(call)
            app = bound_value(ctx, app.value, site.function if site is not None else None)
        if not isinstance(app, cst.Call):
            return None
        qual = ctx.resolve(app.func)
        if qual is None or qual.split(".")[0] in _FRAMEWORKS:
            return None
        return dotted(app.func)

    # -- host -------------------------------------------------------------------------------------
    def _host(self, ctx: FileContext, sites, host: cst.BaseExpression | None, t: Transport) -> tuple[str, str]:
        """("loopback" | "public" | "runtime" | "default", how to show it)."""
        if host is None:
            return "default", "the default loopback host"
        site = sites.get(t.node) if isinstance(t.node, cst.Call) else None
        scope = site.function if site is not None else None
        shown = code(host, 40)
        value = self._resolve(ctx, host, scope, 0)
        if value is None:
            return "runtime", f"`{shown}` (set at run time)"
        if _LOOPBACK.fullmatch(value.strip()):
            return "loopback", value
        if shown.startswith(("'", '"')):
            return "public", f'"{value}"'
        return "public", f'`{shown}` (default "{value}")'

    def _resolve(self, ctx: FileContext, expr: cst.BaseExpression, scope, depth: int) -> str | None:
        """The literal host an expression most likely holds (see `_source`)."""
        source = self._source(ctx, expr, scope, depth)
        return string_value(source) if source is not None else None

    def _source(self, ctx: FileContext, expr: cst.BaseExpression | None, scope, depth: int) -> cst.BaseExpression | None:
        """The string literal an expression most likely takes its text from: a literal, a name
        bound once (or a parameter's default), the default of `os.getenv(NAME, default)` or of
        `typer.Option`/`Field`, `args.host` with an argparse/click default, a settings field."""
        if depth > 5 or expr is None:
            return None
        if string_value(expr) is not None:
            return expr
        if isinstance(expr, cst.BooleanOperation) and isinstance(expr.operator, cst.Or):
            return self._source(ctx, expr.right, scope, depth + 1)  # `args.host or "0.0.0.0"`
        if isinstance(expr, cst.Name):
            bound = bound_value(ctx, expr.value, scope)
            if bound is None and scope is not None:
                bound = _param_default(scope.node, expr.value)
            return self._source(ctx, bound, scope, depth + 1)
        if isinstance(expr, cst.Call):
            name = ctx.resolve(expr.func) or dotted(expr.func) or ""
            default = None
            if name in ("os.getenv", "os.environ.get") or name.endswith((".getenv", "environ.get")) or \
                    isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "get":
                default = argument(expr, 1, "default")
            elif name.rsplit(".", 1)[-1] in ("Option", "Field"):  # typer.Option("0.0.0.0"), Field(default=...)
                default = argument(expr, 0, "default")
            return self._source(ctx, default, scope, depth + 1)
        if isinstance(expr, cst.Attribute):
            # `args.host` (argparse / click option), `settings.host` (a settings class field)
            found = _option_default(ctx, expr.attr.value) or _class_field(ctx, expr.attr.value)
            return self._source(ctx, found, scope, depth + 1)
        return None

    # -- fix --------------------------------------------------------------------------------------
    @fix_builder
    def _fix(self, ctx: FileContext, sites, host: cst.BaseExpression, t: Transport) -> NodeFix | None:
        """Bind to loopback: the string literal the all-interfaces host comes from (the `host=`
        argument, a constant, the default of `os.getenv` or of a `--host` option) becomes
        `"127.0.0.1"`, in the literal's own quotes. A specific address or name is left alone."""
        if self.rule.fix is None:
            return None
        site = sites.get(t.node) if isinstance(t.node, cst.Call) else None
        literal = self._literal(ctx, host, site.function if site is not None else None, 0)
        if literal is None or string_value(literal) not in _ALL_INTERFACES:
            return None
        new = f"{literal.prefix}{literal.quote}127.0.0.1{literal.quote}"
        return NodeFix("Bind to 127.0.0.1 (loopback only)", (NodeEdit.replace(literal, new),),
                       Applicability(self.rule.fix.value))

    def _literal(self, ctx: FileContext, expr: cst.BaseExpression, scope, depth: int) -> cst.SimpleString | None:
        """The string literal `_resolve` takes the host from, when it is one plain literal."""
        source = self._source(ctx, expr, scope, depth)
        return source if isinstance(source, cst.SimpleString) else None

    def _custom_auth(self, ctx: FileContext) -> bool:
        """The file authenticates HTTP requests itself (FastAPI security dependencies, Starlette
        authentication, the SDK's auth middleware, a middleware class named for auth)."""
        if ctx.imports.imports_any(self.auth_modules):
            return True
        for site in ctx.index.calls:
            if _last(site.call) == "add_middleware" and site.call.args:
                if _AUTH_NAME.search(dotted(site.call.args[0].value) or ""):
                    return True
            if _last(site.call) == "Middleware" and site.call.args:
                if _AUTH_NAME.search(dotted(site.call.args[0].value) or ""):
                    return True
        return False


def _last(node: cst.CSTNode) -> str:
    if isinstance(node, cst.Call):
        func = node.func
        if isinstance(func, cst.Attribute):
            return func.attr.value
        if isinstance(func, cst.Name):
            return func.value
    return ""


def _uvicorn_config(ctx: FileContext) -> Transport | None:
    """`uvicorn.Config(app, host=...)` then `uvicorn.Server(config).serve()`."""
    for site in ctx.index.calls:
        host = keyword(site.call, "host")
        if host is not None and ctx.resolve(site.call.func) == "uvicorn.Config":
            return Transport(sdk.HTTP, "uvicorn.Config()", site.call, host=host.value)
    return None


def _param_default(fn: cst.FunctionDef, name: str) -> cst.BaseExpression | None:
    for p in (*fn.params.params, *fn.params.kwonly_params, *fn.params.posonly_params):
        if p.name.value == name:
            return p.default
    return None


def _option_default(ctx: FileContext, attr: str) -> cst.BaseExpression | None:
    """`parser.add_argument("--host", default="0.0.0.0")` / `@click.option("--host", default=...)`."""
    flag = "--" + attr.replace("_", "-")
    for site in ctx.index.calls:
        call = site.call
        if _last(call) not in ("add_argument", "option", "Option"):
            continue
        names = [string_value(a.value) for a in call.args if a.keyword is None]
        dest = keyword(call, "dest")
        if flag in names or (dest is not None and string_value(dest.value) == attr):
            default = keyword(call, "default")
            return default.value if default is not None else None
    return None


def _class_field(ctx: FileContext, attr: str) -> cst.BaseExpression | None:
    """The value of a class-level field of that name, when exactly one class of the file has one."""
    found = [cls.constants[attr] for cls in ctx.index.classes.values() if attr in cls.constants]
    return found[0] if len(found) == 1 else None
