"""Servers created in one module and used in another: the project pass connects them."""

from __future__ import annotations

from conftest import findings, run_cli, write

APP = '''
from mcp.server.fastmcp import FastMCP

mcp = FastMCP("notes")
'''
TOOLS = '''
import sqlite3

from notes.app import mcp


@mcp.tool()
def search(query, limit: int = 10) -> list:
    """Search notes."""
    conn = sqlite3.connect("notes.db")
    return conn.execute(f"SELECT * FROM notes WHERE body LIKE '%{query}%'").fetchall()
'''
SUBCLASS = '''
from fastmcp import FastMCP


class NotesServer(FastMCP):
    """A server with defaults of our own."""
'''
USES_SUBCLASS = '''
from .base import NotesServer

server = NotesServer("notes")


@server.tool
def rename(note_id: int, title) -> str:
    """Rename a note."""
    return title
'''


def _package(tmp_path):
    write(tmp_path, "notes/__init__.py", "")
    write(tmp_path, "notes/app.py", APP)
    write(tmp_path, "notes/tools.py", TOOLS)
    write(tmp_path, "notes/base.py", SUBCLASS)
    write(tmp_path, "notes/more.py", USES_SUBCLASS)


def test_tools_decorated_with_a_server_from_another_module(tmp_path):
    _package(tmp_path)
    result = run_cli(tmp_path, "--output-format", "json", cwd=tmp_path)
    got = {(f["path"], f["id"], f["start"]["line"]) for f in findings(result)}
    assert ("notes/tools.py", "MCP201", 8) in got  # `query` has no annotation
    assert ("notes/tools.py", "MCP101", 11) in got
    messages = [f["message"] for f in findings(result, "MCP101")]
    assert any("tool parameter `query`" in m for m in messages), messages


def test_a_server_subclass_from_another_module(tmp_path):
    _package(tmp_path)
    result = run_cli(tmp_path / "notes" / "more.py", "--output-format", "json", cwd=tmp_path)
    assert [(f["id"], f["start"]["line"]) for f in findings(result)] == [("MCP201", 8)]


def test_one_file_passed_alone_still_sees_its_package(tmp_path):
    """pre-commit passes changed files one by one; the server module may not be among them."""
    _package(tmp_path)
    result = run_cli(tmp_path / "notes" / "tools.py", "--output-format", "json", cwd=tmp_path)
    assert {f["id"] for f in findings(result)} == {"MCP101", "MCP201"}


def test_inspect_names_where_the_server_comes_from(tmp_path):
    _package(tmp_path)
    doc = run_cli("inspect", "--json", tmp_path / "notes" / "tools.py", cwd=tmp_path).json()
    assert [h["function"] for h in doc["handlers"]] == ["search"]
