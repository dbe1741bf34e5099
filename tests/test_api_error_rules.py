"""Behaviour of the registration, error-handling and client rules that the YAML examples
do not pin down: the MCP204 fix, where findings land, and shapes that must stay quiet."""

from __future__ import annotations

import ast
import textwrap

import pytest

from conftest import run_cli
from mcp_lint.check.engine import Engine
from mcp_lint.packs.registry import default_registry


def lint(code: str, *ids: str) -> list:
    registry = default_registry()
    rules = [r for r in registry.rules if r.id in ids]
    result = Engine(rules, known_codes=registry.all_codes()).lint_text(textwrap.dedent(code), "server.py")
    assert not result.errors, result.errors
    return result.findings


BARE = '''\
from mcp.server.fastmcp import FastMCP

mcp = FastMCP("math")

@mcp.tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b
'''


def test_decorator_fix_needs_unsafe_fixes(tmp_path):
    path = tmp_path / "server.py"
    path.write_text(BARE, encoding="utf-8")
    run_cli("--select", "MCP204", "--fix", "server.py", cwd=tmp_path)
    assert path.read_text(encoding="utf-8") == BARE
    result = run_cli("--select", "MCP204", "--fix", "--unsafe-fixes", "server.py", cwd=tmp_path)
    text = path.read_text(encoding="utf-8")
    assert "@mcp.tool()\n" in text, result.stdout + result.stderr
    ast.parse(text)
    assert lint(text, "MCP204") == []


def test_missing_description_reports_on_the_def_line():
    found = lint('''\
        from mcp.server.fastmcp import FastMCP

        mcp = FastMCP("x")

        @mcp.tool(
            name="ping",
        )
        async def ping() -> str:
            return "pong"
        ''', "MCP202")
    assert [(f.span.start_line, f.span.start_col) for f in found] == [(8, 11)]
    assert "`ping`" in found[0].message


@pytest.mark.parametrize("registration", [
    'mcp.add_tool(ping, name="ping", **options)',
    'mcp.add_tool(Tool.from_function(ping, description="Reply pong."))',
])
def test_missing_description_accepts_other_ways_to_describe(registration):
    found = lint(f'''\
        from mcp.server.fastmcp import FastMCP
        from mcp.server.fastmcp.tools import Tool

        mcp = FastMCP("x")
        options = {{"description": "Reply pong."}}

        def ping() -> str:
            return "pong"

        {registration}
        ''', "MCP202")
    assert found == []


def test_swallowed_exception_suppression_on_the_except_line():
    code = '''\
        def f():
            try:
                with open("x") as fh:
                    fh.write("y")
            except Exception:  # noqa: MCP302
                return None
        '''
    assert lint(code, "MCP302") == []
    assert len(lint(code.replace("  # noqa: MCP302", ""), "MCP302")) == 1


@pytest.mark.parametrize("body", [
    "pass",
    "continue",
    "...",
])
def test_swallowed_exception_in_a_loop(body):
    found = lint(f'''\
        import requests

        def ping_all(urls):
            for url in urls:
                try:
                    requests.head(url, timeout=5)
                except BaseException:
                    {body}
        ''', "MCP302")
    assert [f.span.start_line for f in found] == [7]
    assert "`ping_all`" in found[0].message


def test_exception_leak_follows_an_alias_after_the_except_block():
    found = lint('''\
        from fastmcp import FastMCP

        mcp = FastMCP("x")

        @mcp.tool
        def run(cmd: str) -> dict:
            """Run a command."""
            error = None
            try:
                return {"out": cmd.upper()}
            except OSError as exc:
                error = exc.strerror
                reason = exc
            return {"error": error, "reason": str(reason)}
        ''', "MCP303")
    assert [f.span.start_line for f in found] == [14]
    assert "exc.strerror" in found[0].message


def test_exception_leak_only_in_tools():
    found = lint('''\
        from fastmcp import FastMCP

        mcp = FastMCP("x")

        @mcp.resource("data://{name}")
        def data(name: str) -> str:
            try:
                return open(name).read()
            except OSError as exc:
                return str(exc)
        ''', "MCP303")
    assert found == []


def test_retry_counter_used_by_the_attempt_is_not_a_retry():
    found = lint('''\
        import socket

        def first_free_port(base: int) -> int:
            for offset in range(100):
                try:
                    socket.create_server(("127.0.0.1", base + offset), reuse_port=False).close()
                    return base + offset
                except OSError:
                    continue
            raise RuntimeError("no free port")
        ''', "MCP304")
    assert found == []


def test_client_per_call_through_two_helpers_and_a_class_cache():
    found = lint('''\
        import httpx
        from mcp.server.fastmcp import FastMCP

        mcp = FastMCP("x")
        _clients = {}

        def make() -> httpx.Client:
            return httpx.Client()

        def session() -> httpx.Client:
            return make()

        def shared(key: str) -> httpx.Client:
            if key not in _clients:
                _clients[key] = make()
            return _clients[key]

        @mcp.tool()
        def a(url: str) -> int:
            """Status of a URL."""
            return session().get(url).status_code

        @mcp.tool()
        def b(url: str) -> int:
            """Status of a URL, shared client."""
            return shared("b").get(url).status_code
        ''', "MCP404")
    assert [f.span.start_line for f in found] == [8]
    assert "tool `a`" in found[0].message


MASKED = '''\
from fastmcp import FastMCP

mcp = FastMCP("x"{mask})

@mcp.tool
def read(path: str) -> str:
    """Read a file."""
    try:
        return open(path).read()
    except OSError as exc:
        raise RuntimeError(f"cannot read: {{exc}}") from exc
'''


def test_exception_leak_through_an_uncaught_generic_exception():
    found = lint(MASKED.format(mask=""), "MCP303")
    assert [f.span.start_line for f in found] == [11]
    assert "`RuntimeError`" in found[0].message
    assert lint(MASKED.format(mask=", mask_error_details=True"), "MCP303") == []


@pytest.mark.parametrize("code", [
    # the next port each time round
    """
    import socket

    def bind(port: int) -> socket.socket:
        sock = socket.socket()
        while True:
            try:
                sock.bind(("127.0.0.1", port))
                return sock
            except OSError:
                port += 1
    """,
    # re-prompting after a parse error
    """
    def ask() -> int:
        while True:
            try:
                return int(input("port: "))
            except ValueError:
                print("a number, please")
    """,
])
def test_loops_that_change_what_they_try_are_not_retries(code):
    assert lint(code, "MCP304") == []


@pytest.mark.parametrize("code", [
    # a predicate: the failure is the answer
    """
    def is_iterable(obj) -> bool:
        try:
            iter(obj)
            return True
        except Exception:
            return False
    """,
    # the comment above says why
    """
    import shutil

    def width() -> int:
        cols = 80
        # the terminal size may not be available (pipes, CI): keep the default
        try:
            cols = shutil.get_terminal_size().columns
            cols -= 2
        except Exception:
            pass
        return cols
    """,
    # the same check silenced for ruff
    """
    def load(path: str) -> str:
        try:
            with open(path) as fh:
                return fh.read()
        except Exception:  # noqa: BLE001
            return ""
    """,
    # the default stays
    """
    import shutil

    def width(cols: int = 80) -> int:
        try:
            cols = shutil.get_terminal_size().columns
        except Exception:
            pass
        return cols
    """,
    # the next mirror is the handling
    """
    import urllib.request

    def fetch(urls: list[str]) -> bytes:
        for url in urls:
            try:
                return urllib.request.urlopen(url, timeout=5).read()
            except Exception:
                continue
        raise OSError("no mirror answered")
    """,
])
def test_swallowed_exception_leaves_stated_intent_alone(code):
    assert lint(code, "MCP302") == []


def test_swallowed_exception_fallbacks_still_count_in_tools():
    found = lint('''\
        import json
        from mcp.server.fastmcp import FastMCP

        mcp = FastMCP("x")

        @mcp.tool()
        def exists(path: str) -> bool:
            """Does the JSON document parse?"""
            try:
                json.loads(open(path).read())
                return True
            except Exception:
                return False
        ''', "MCP302")
    assert [f.span.start_line for f in found] == [12]
