"""The command line: the typer application and its commands."""

from mcp_lint.cli.app import main

__all__ = ["main"]
