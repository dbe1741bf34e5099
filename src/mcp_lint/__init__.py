"""mcp-lint: a static analyzer for Python MCP servers."""

__version__ = "0.1.0"
