"""`dns-rebinding`: an MCP server served over HTTP on a loopback address with Host/Origin
validation off, judged against what the SDK it is built on does by default.

A web page the user visits can rebind its own name to 127.0.0.1 and then send requests to a
local server: the browser treats them as same-origin, so only a check of the `Host` (and
`Origin`) header tells them apart. Per SDK (notes in docs/rules, sources in the rule's docs):

- mcp 1.x `FastMCP`: the constructor's `transport_security=` decides; with none, protection is
  switched on for a loopback `host=` (the default) from mcp 1.23.0, and absent before. Reported:
  `TransportSecuritySettings(enable_dns_rebinding_protection=False)`, or no settings where the
  project's declared requirement keeps mcp below 1.23 (an undeclared or open requirement installs
  a protected release);
- mcp 2.x `MCPServer`: the same, on `run(...)` / `sse_app(...)` / `streamable_http_app(...)`,
  protected in every release: only the explicit switch-off is reported;
- standalone fastmcp: no protection before 3.4.3, on by default only in 3.4.3, opt-in again from
  3.4.4 (`host_origin_protection=True` or `"auto"` on `run()` / `http_app()`): an HTTP run without
  it is reported (medium confidence: `FASTMCP_HTTP_HOST_ORIGIN_PROTECTION` may set it);
- the low-level transports (`SseServerTransport`, `StreamableHTTPSessionManager`) without
  `security_settings=`.

Servers on a public host are MCP110's concern (anyone can reach them anyway), and a server with
authentication is not reported: a rebound page cannot present the user's credentials. Nor is a
file that installs Starlette's `TrustedHostMiddleware` (it refuses a request whose `Host` header
is not listed: a rebound name is not) or lists an authentication middleware class in a
`middleware` list (`http_app_kwargs = {"middleware": [BearerAuthMiddleware]}`).
"""

from __future__ import annotations

import libcst as cst

from mcp_lint.analysis import sdk
from mcp_lint.analysis.cst_utils import argument, keyword
from mcp_lint.analysis.mcp_model import ServerInfo, Transport
from mcp_lint.check.context import FileContext
from mcp_lint.check.primitives.calls import bound_value
from mcp_lint.check.primitives.http_auth import _AUTH_NAME, _RUNNERS, UnauthenticatedHttp, _last
from mcp_lint.model.findings import Confidence
from mcp_lint.model.schema import Key, Map, Str

_SETTINGS = "mcp.server.transport_security.TransportSecuritySettings"
_LOWLEVEL = frozenset({"mcp.server.sse.SseServerTransport",
                       "mcp.server.streamable_http_manager.StreamableHTTPSessionManager"})
_APPS = frozenset({"sse_app", "streamable_http_app", "http_app"})
_TRUSTED_HOST = frozenset({"starlette.middleware.trustedhost.TrustedHostMiddleware",
                           "fastapi.middleware.trustedhost.TrustedHostMiddleware"})


class DnsRebinding(UnauthenticatedHttp):
    NAME = "dns-rebinding"
    PARAMS = Map({
        **UnauthenticatedHttp.PARAMS.keys,
        # the official SDK release that switched protection on for loopback servers
        "mcp-protected-from": Key(Str(pattern=r"\d+(\.\d+)*"), default="1.23.0"),
    })
    PLACEHOLDERS = frozenset({"server", "host", "why"})

    def finish(self, ctx: FileContext) -> None:
        model = ctx.model
        if not model.servers and not model.module_transports:
            return
        if self._custom_auth(ctx) or self._guarded(ctx):
            return
        sites = {s.call: s for s in ctx.index.calls}
        for server in model.servers:
            if server.from_parameter or server.auth[0]:
                continue
            shown = f"`{server.binding}`" if server.binding else "the server"
            for t in server.transports:
                if t.kind != sdk.HTTP:
                    continue
                host = t.host if t.host is not None else server.host
                state, where = self._host(ctx, sites, host, t)
                if state not in ("loopback", "default"):
                    continue
                found = self._unprotected(ctx, sites, server, t)
                if found is not None:
                    why, confidence = found
                    ctx.report(self.rule, t.node, {"server": shown, "host": where, "why": why}, statement=None,
                               confidence=confidence)
        for t in model.module_transports:
            if not isinstance(t.node, cst.Call) or ctx.resolve(t.node.func) not in _LOWLEVEL:
                continue
            if keyword(t.node, "security_settings") is not None:
                continue
            runner = next((r for r in model.module_transports if r.host is not None), None)
            state, where = self._host(ctx, sites, runner.host if runner else None, runner or t)
            if state in ("loopback", "default"):
                ctx.report(self.rule, t.node, {
                    "server": f"`{_last(t.node)}`", "host": where,
                    "why": "built without `security_settings=`, so it checks no Host or Origin header"},
                    statement=None, confidence=Confidence.MEDIUM)

    def _guarded(self, ctx: FileContext) -> bool:
        """The file installs a Host check (`Middleware(TrustedHostMiddleware, allowed_hosts=...)`,
        `app.add_middleware(TrustedHostMiddleware, ...)`) or puts an authentication middleware
        class in a `middleware` list (`{"middleware": [BearerAuthMiddleware]}`, `middleware=[...]`)."""
        for site in ctx.index.calls:
            call = site.call
            if _last(call) in ("add_middleware", "Middleware") and call.args and \
                    ctx.resolve(call.args[0].value) in _TRUSTED_HOST:
                return True
            for arg in call.args:
                if arg.keyword is not None and arg.keyword.value == "middleware" and _auth_list(arg.value):
                    return True
        if '"middleware"' not in ctx.source and "'middleware'" not in ctx.source:
            return False  # no `"middleware"` key to look for: spares a walk of the whole module
        for node in _middleware_dict_values(ctx.module):
            if _auth_list(node):
                return True
        return False

    def _unprotected(self, ctx: FileContext, sites, server: ServerInfo, t: Transport):
        """Why the server's HTTP transport runs unprotected (and how sure that is), or None."""
        flavour = server.flavour
        if flavour == sdk.MCP1:
            settings = server.kwargs.get("transport_security")
            off = self._switched_off(ctx, sites, settings, t)
            if off:
                return off, None
            if settings is not None:
                return None
            ctor_host = server.kwargs.get("host")
            if ctor_host is not None and self._host(ctx, sites, ctor_host, t)[0] not in ("loopback", "default"):
                return ("the constructor's non-loopback `host=` leaves protection off", None)
            version = self.params["mcp-protected-from"]
            if ctx.runs_before("mcp", version):
                return (f"the project requires mcp below {version}, which checks no Host header unless given "
                        f"`transport_security=`", None)
            return None
        if flavour == sdk.MCP2:
            if isinstance(t.node, cst.Call):
                off = self._switched_off(ctx, sites, argument(t.node, None, "transport_security"), t)
                if off:
                    return off, None
            return None
        if flavour == sdk.FASTMCP:
            if not isinstance(t.node, cst.Call):
                return None
            value = keyword(t.node, "host_origin_protection")
            if value is not None:
                if isinstance(value.value, cst.Name) and value.value.value == "False":
                    return "`host_origin_protection=False`", None
                return None
            if _last(t.node) not in _RUNNERS | _APPS:
                return None
            if ctx.requirements is not None and ctx.requirements.get("fastmcp") == ("==3.4.3",):
                return None
            return ("fastmcp checks no Host or Origin header unless `host_origin_protection=True` (or \"auto\") "
                    "is passed", Confidence.MEDIUM)
        return None

    def _switched_off(self, ctx: FileContext, sites, settings: cst.BaseExpression | None, t: Transport) -> str:
        """`TransportSecuritySettings(enable_dns_rebinding_protection=False)` (or a name bound to it)."""
        if isinstance(settings, cst.Name):
            site = sites.get(t.node) if isinstance(t.node, cst.Call) else None
            settings = bound_value(ctx, settings.value, site.function if site is not None else None) or settings
        if not isinstance(settings, cst.Call) or ctx.resolve(settings.func) != _SETTINGS:
            return ""
        flag = keyword(settings, "enable_dns_rebinding_protection")
        if flag is not None and isinstance(flag.value, cst.Name) and flag.value.value == "False":
            return "`enable_dns_rebinding_protection=False`"
        return ""


def _auth_list(value: cst.BaseExpression) -> bool:
    """A literal list naming a middleware class made for authentication (`[BearerAuthMiddleware]`)."""
    if not isinstance(value, (cst.List, cst.Tuple)):
        return False
    for element in value.elements:
        node = element.value
        name = node.value if isinstance(node, cst.Name) else node.attr.value if isinstance(node, cst.Attribute) else ""
        if name.endswith("Middleware") and _AUTH_NAME.search(name):
            return True
    return False


def _middleware_dict_values(module: cst.Module):
    """The values of `"middleware"` keys in dict literals of the module."""
    found: list[cst.BaseExpression] = []

    class _Visitor(cst.CSTVisitor):
        def visit_DictElement(self, node: cst.DictElement) -> None:
            if isinstance(node.key, cst.SimpleString) and node.key.value[1:-1] == "middleware":
                found.append(node.value)

    module.visit(_Visitor())
    return found
