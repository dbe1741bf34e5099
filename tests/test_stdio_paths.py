"""Output on the stdio server's path across modules (MCP501): the project pass tells a module
which of its functions the handlers of a server run over stdio reach."""

from __future__ import annotations

from conftest import findings, run_cli, write

SERVER = '''
from mcp.server.fastmcp import FastMCP

from notes import store
from notes.format import render

mcp = FastMCP("notes")


@mcp.tool()
def search(text: str) -> str:
    """Search notes."""
    return render(store.find(text))


if __name__ == "__main__":
    mcp.run()
'''
STORE = '''
import sys


def _connect():
    print("opening notes.db")
    return {}


def find(text: str) -> list:
    db = _connect()
    print(f"searching for {text}", file=sys.stderr)
    return [v for v in db.values() if text in v]


def rebuild_index() -> None:
    print("rebuilding the index")


if __name__ == "__main__":
    print(find("x"))
'''
FORMAT = '''
def render(rows: list) -> str:
    print(f"{len(rows)} rows")
    return "\\n".join(rows)


def debug_dump(rows: list) -> None:
    print(rows)
'''


def _lines(result, name: str) -> list[int]:
    return sorted(f["start"]["line"] for f in findings(result, "MCP501") if f["path"].endswith(name))


def test_output_in_helpers_the_tools_of_a_stdio_server_call_is_reported(tmp_path):
    write(tmp_path, "notes/__init__.py", "")
    write(tmp_path, "notes/server.py", SERVER)
    write(tmp_path, "notes/store.py", STORE)
    write(tmp_path, "notes/format.py", FORMAT)
    result = run_cli("check", "--select", "MCP501", "--output-format", "json", "--exit-zero", str(tmp_path))
    # _connect (through find), render; not stderr, not functions no tool reaches, not the
    # module's own __main__ block
    assert _lines(result, "store.py") == [6]
    assert _lines(result, "format.py") == [3]
    message = next(f["message"] for f in findings(result, "MCP501") if f["path"].endswith("format.py"))
    assert "server.py" in message


def test_helpers_of_a_server_run_over_http_only_are_not_reported(tmp_path):
    write(tmp_path, "notes/__init__.py", "")
    write(tmp_path, "notes/server.py", SERVER.replace("mcp.run()", 'mcp.run(transport="streamable-http")'))
    write(tmp_path, "notes/store.py", STORE)
    write(tmp_path, "notes/format.py", FORMAT)
    result = run_cli("check", "--select", "MCP501", "--output-format", "json", "--exit-zero", str(tmp_path))
    assert findings(result, "MCP501") == []


TOOLS_MODULE = '''
from notes.app import mcp
from notes.format import render


@mcp.tool()
def search(text: str) -> str:
    """Search notes."""
    print(f"search {text}")
    return render([text])
'''
APP = '''
from mcp.server.fastmcp import FastMCP

mcp = FastMCP("notes")
'''
CLI = '''
import argparse

from notes.app import mcp
import notes.tools  # registers the tools


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["serve", "version"])
    args = parser.parse_args()
    if args.command == "version":
        print("notes 1.0")
    else:
        mcp.run(transport="stdio")
'''
OTHER_SERVER = '''
from mcp.server.fastmcp import FastMCP

from notes.format import render

web = FastMCP("web")


@web.tool()
def preview(text: str) -> str:
    """Preview a note."""
    print("preview")
    return render([text])
'''


def test_tools_of_a_server_another_module_runs_over_stdio_are_reported(tmp_path):
    write(tmp_path, "notes/__init__.py", "")
    write(tmp_path, "notes/app.py", APP)
    write(tmp_path, "notes/tools.py", TOOLS_MODULE)
    write(tmp_path, "notes/format.py", FORMAT)
    write(tmp_path, "notes/cli.py", CLI)
    write(tmp_path, "notes/web.py", OTHER_SERVER)
    result = run_cli("check", "--select", "MCP501", "--output-format", "json", "--exit-zero", str(tmp_path))
    assert _lines(result, "tools.py") == [9]
    assert _lines(result, "format.py") == [3]
    assert _lines(result, "cli.py") == []  # the version branch never starts the server
    assert _lines(result, "web.py") == []  # another server, never run over stdio


def test_one_server_passed_to_a_registering_function(tmp_path):
    write(tmp_path, "app/__init__.py", "")
    write(tmp_path, "app/tools.py", '''
def register(mcp) -> None:
    @mcp.tool()
    def ping() -> str:
        """Answer pong."""
        print("ping")
        return "pong"
''')
    write(tmp_path, "app/main.py", '''
from mcp.server.fastmcp import FastMCP

from app.tools import register

server = FastMCP("app")
register(server)

if __name__ == "__main__":
    server.run()
''')
    result = run_cli("check", "--select", "MCP501", "--output-format", "json", "--exit-zero", str(tmp_path))
    assert _lines(result, "tools.py") == [6]


def test_methods_of_an_object_another_module_builds(tmp_path):
    write(tmp_path, "api/__init__.py", "")
    write(tmp_path, "api/client.py", '''
class Client:
    def get(self, path: str) -> dict:
        print(f"GET {path}")
        return {}

    def close(self) -> None:
        print("closing")


client = Client()
''')
    write(tmp_path, "api/server.py", '''
from mcp.server.fastmcp import FastMCP

from api.client import client

mcp = FastMCP("api")


@mcp.tool()
def fetch(path: str) -> dict:
    """Fetch a resource."""
    return client.get(path)


if __name__ == "__main__":
    mcp.run()
''')
    result = run_cli("check", "--select", "MCP501", "--output-format", "json", "--exit-zero", str(tmp_path))
    # the project follows the object to its class: any of its methods may be called
    assert _lines(result, "client.py") == [4, 8]
