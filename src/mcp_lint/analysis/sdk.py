"""What the Python MCP SDKs call things: qualified names the server model recognises.

Covers mcp 1.x (`FastMCP`), mcp 2.x (`MCPServer`), the low-level `Server` of both, and the
standalone `fastmcp` 2/3/4 package. Kept as data so the recognisers read as logic only.
"""

from __future__ import annotations

from mcp_lint.model.labels import Label


class Flavour(Label):
    """Which SDK (and API generation) a server belongs to, as `mcp-lint inspect` shows it and
    version-aware rules read it (see MCP-SERVERS.md for each one's registration forms)."""

    MCP1 = "mcp1"  # mcp 1.x `FastMCP` (mcp.server.fastmcp)
    MCP2 = "mcp2"  # mcp 2.x `MCPServer` (mcp.server.mcpserver)
    FASTMCP = "fastmcp"  # the standalone fastmcp package, 2.x to 4.x
    LOWLEVEL = "lowlevel"  # the low-level `Server`, before its API generation is known
    LOWLEVEL1 = "lowlevel-v1"  # low-level, decorator API: `@server.call_tool()` (mcp 1.x)
    LOWLEVEL2 = "lowlevel-v2"  # low-level, constructor API: `Server(on_call_tool=...)` (mcp 2.x)
    UNKNOWN = "unknown"  # a server whose constructor the file and the project do not show


class HandlerKind(Label):
    """What a registered function handles. A dispatcher is the low-level API's one function for
    every tool (or resource, or prompt): it receives the name and the raw arguments."""

    TOOL = "tool"
    RESOURCE = "resource"
    PROMPT = "prompt"
    TOOL_DISPATCHER = "tool-dispatcher"  # `@server.call_tool()`, `Server(on_call_tool=...)`
    RESOURCE_DISPATCHER = "resource-dispatcher"  # `@server.read_resource()`, `on_read_resource=`
    PROMPT_DISPATCHER = "prompt-dispatcher"  # `@server.get_prompt()`, `on_get_prompt=`


MCP1 = Flavour.MCP1
MCP2 = Flavour.MCP2
FASTMCP = Flavour.FASTMCP
LOWLEVEL = Flavour.LOWLEVEL
LOWLEVEL1 = Flavour.LOWLEVEL1
LOWLEVEL2 = Flavour.LOWLEVEL2
UNKNOWN = Flavour.UNKNOWN

SERVER_CONSTRUCTORS: dict[str, str] = {
    "mcp.server.fastmcp.FastMCP": MCP1,
    "mcp.server.fastmcp.server.FastMCP": MCP1,
    "mcp.server.FastMCP": MCP1,
    "mcp.server.mcpserver.MCPServer": MCP2,
    "mcp.server.mcpserver.server.MCPServer": MCP2,
    "mcp.server.MCPServer": MCP2,
    "fastmcp.FastMCP": FASTMCP,
    "fastmcp.server.FastMCP": FASTMCP,
    "fastmcp.server.server.FastMCP": FASTMCP,
    "fastmcp.server.create_proxy": FASTMCP,
    "fastmcp.server.server.create_proxy": FASTMCP,
    "fastmcp.FastMCP.from_openapi": FASTMCP,
    "fastmcp.FastMCP.from_fastapi": FASTMCP,
    "fastmcp.FastMCP.as_proxy": FASTMCP,
    "fastmcp.server.server.FastMCP.from_openapi": FASTMCP,
    "fastmcp.server.server.FastMCP.from_fastapi": FASTMCP,
    "fastmcp.server.server.FastMCP.as_proxy": FASTMCP,
    "fastmcp.server.proxy.FastMCPProxy": FASTMCP,
    "fastmcp.server.providers.proxy.FastMCPProxy": FASTMCP,
    # Tool-bearing providers: their .tool/.resource/.prompt decorators register handlers too.
    "fastmcp.FastMCPApp": FASTMCP,
    "fastmcp.apps.app.FastMCPApp": FASTMCP,
    "fastmcp.server.providers.LocalProvider": FASTMCP,
    "mcp.server.Server": LOWLEVEL,
    "mcp.server.lowlevel.Server": LOWLEVEL,
    "mcp.server.lowlevel.server.Server": LOWLEVEL,
}

# Server classes usable as annotations (`def register(mcp: FastMCP)`).
SERVER_CLASSES: dict[str, str] = {
    k: v for k, v in SERVER_CONSTRUCTORS.items()
    if not k.endswith(("from_openapi", "from_fastapi", "as_proxy", "create_proxy"))
}

CONTEXT_CLASSES = frozenset({
    "mcp.server.fastmcp.Context",
    "mcp.server.fastmcp.server.Context",
    "mcp.server.mcpserver.Context",
    "mcp.server.mcpserver.context.Context",
    "mcp.server.mcpserver.server.Context",
    "fastmcp.Context",
    "fastmcp.server.context.Context",
    "fastmcp.server.Context",
    "mcp.server.ServerRequestContext",
    "mcp.server.lowlevel.server.ServerRequestContext",
    "mcp.shared.context.RequestContext",
})

TOOL_CLASSES = frozenset({
    "mcp.server.fastmcp.tools.Tool",
    "mcp.server.fastmcp.tools.base.Tool",
    "mcp.server.mcpserver.tools.Tool",
    "mcp.server.mcpserver.tools.base.Tool",
    "fastmcp.tools.Tool",
    "fastmcp.tools.FunctionTool",
    "fastmcp.tools.tool.Tool",
    "fastmcp.tools.tool.FunctionTool",
    "fastmcp.tools.function_tool.FunctionTool",
})
RESOURCE_CLASSES = frozenset({
    "mcp.server.fastmcp.resources.FunctionResource",
    "mcp.server.fastmcp.resources.ResourceTemplate",
    "mcp.server.mcpserver.resources.FunctionResource",
    "mcp.server.mcpserver.resources.ResourceTemplate",
    "fastmcp.resources.ResourceTemplate",
    "fastmcp.resources.FunctionResource",
    "fastmcp.resources.template.ResourceTemplate",
})
PROMPT_CLASSES = frozenset({
    "mcp.server.fastmcp.prompts.Prompt",
    "mcp.server.fastmcp.prompts.base.Prompt",
    "mcp.server.mcpserver.prompts.Prompt",
    "mcp.server.mcpserver.prompts.base.Prompt",
    "fastmcp.prompts.Prompt",
    "fastmcp.prompts.prompt.Prompt",
})

STANDALONE_DECORATORS: dict[str, str] = {
    "fastmcp.tools.tool": "tool",
    "fastmcp.tools.function_tool.tool": "tool",
    "fastmcp.resources.resource": "resource",
    "fastmcp.prompts.prompt": "prompt",
    "fastmcp.contrib.mcp_mixin.mcp_tool": "tool",
    "fastmcp.contrib.mcp_mixin.mcp_resource": "resource",
    "fastmcp.contrib.mcp_mixin.mcp_prompt": "prompt",
    "fastmcp.contrib.mcp_mixin.mcp_mixin.mcp_tool": "tool",
    "fastmcp.contrib.mcp_mixin.mcp_mixin.mcp_resource": "resource",
    "fastmcp.contrib.mcp_mixin.mcp_mixin.mcp_prompt": "prompt",
}
MIXIN_DECORATORS = frozenset(k for k in STANDALONE_DECORATORS if ".contrib.mcp_mixin" in k)

# High-level decorator/method names on a server object -> handler kind.
DECORATOR_KINDS = {"tool": "tool", "resource": "resource", "prompt": "prompt"}
ADD_METHODS = {"add_tool": "tool", "add_resource": "resource", "add_template": "resource",
               "add_prompt": "prompt"}
# Low-level v1 decorators that register request handlers with untrusted input.
LOWLEVEL_DECORATORS = {"call_tool": "tool-dispatcher", "read_resource": "resource-dispatcher",
                       "get_prompt": "prompt-dispatcher"}
LOWLEVEL_V1_ONLY = frozenset({"call_tool", "list_tools", "read_resource", "list_resources",
                              "list_resource_templates", "list_prompts", "get_prompt", "completion",
                              "set_logging_level", "subscribe_resource", "unsubscribe_resource",
                              "progress_notification"})
# Low-level v2 constructor keywords and request methods.
LOWLEVEL_KWARGS = {"on_call_tool": "tool-dispatcher", "on_read_resource": "resource-dispatcher",
                   "on_get_prompt": "prompt-dispatcher"}
REQUEST_METHODS = {"tools/call": "tool-dispatcher", "resources/read": "resource-dispatcher",
                   "prompts/get": "prompt-dispatcher"}

# Parameters whose default marks them as injected by fastmcp (fastmcp.dependencies).
INJECTED_DEFAULTS = frozenset({"Depends", "CurrentContext", "CurrentFastMCP", "CurrentAccessToken",
                               "CurrentHeaders", "CurrentRequest", "TokenClaim", "Progress",
                               "CurrentServer", "Dependency"})
# mcp 2.x markers inside Annotated[...] that make a parameter injected.
INJECTED_MARKERS = frozenset({"Resolve", "Elicit", "Sample", "ListRoots"})

# Transports.
STDIO = "stdio"
HTTP = "http"
TRANSPORT_VALUES = {"stdio": STDIO, "sse": HTTP, "streamable-http": HTTP, "http": HTTP,
                    "streamable_http": HTTP}
RUN_METHODS = frozenset({"run", "run_async"})
STDIO_METHODS = frozenset({"run_stdio_async"})
HTTP_METHODS = frozenset({"run_sse_async", "run_streamable_http_async", "run_http_async",
                          "sse_app", "streamable_http_app", "http_app"})
STDIO_FUNCTIONS = frozenset({"mcp.server.stdio.stdio_server", "mcp.server.stdio"})
HTTP_FUNCTIONS = frozenset({"uvicorn.run", "mcp.server.sse.SseServerTransport",
                            "mcp.server.streamable_http_manager.StreamableHTTPSessionManager",
                            "hypercorn.asyncio.serve"})

# Auth.
NO_AUTH_VERIFIERS = frozenset({"DebugTokenVerifier", "StaticTokenVerifier"})
AUTH_KWARGS = ("auth", "token_verifier", "auth_server_provider")

# Error classes that carry a code or are the SDK's "anticipated error" for tools.
CODED_ERRORS = frozenset({
    "McpError", "MCPError", "ToolError", "ResourceError", "PromptError", "ResourceNotFoundError",
    "UrlElicitationRequiredError", "NotFoundError", "AuthorizationError", "FastMCPError",
    "InsufficientScopeError", "DisabledError",
})
EXPLICIT_ERROR_RESULTS = frozenset({"CallToolResult", "ToolResult"})
