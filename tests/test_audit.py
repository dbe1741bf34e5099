"""`mcp-lint audit`: the production checklist as a scorecard.

The real CLI runs on the fixture projects under tests/fixtures/projects/audit/ (a
production-grade server that passes every item, a toy that fails nearly all of them, and
look-alikes for the heuristics), then on small projects written for one item each: every
status an item can claim is produced by at least one case below. Then the output formats
(the JSON validates against the shipped schema), `--fail-under`, `--explain`, one parse per
file, the findings cache, and the GitHub Action step that writes the Markdown summary.
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, run_cli, write

AUDIT = FIXTURES / "projects" / "audit"
SCHEMA = ROOT / "src" / "mcp_lint" / "output" / "audit" / "audit.schema.json"
ITEM_IDS = ["type-driven-design", "error-handling", "tests", "async-usage", "idiomatic-code", "validate-inputs",
            "parameterized-queries", "authentication", "authorization", "audit-dependencies", "connection-pooling",
            "caching", "optimized-queries", "concurrent-operations", "profile-and-benchmark", "structured-logging",
            "metrics", "health-checks", "graceful-shutdown", "documented-deployment", "versioned-api",
            "documentation", "examples", "ci-cd", "monitoring"]

_VALIDATOR = []


def schema_errors(doc) -> list[str]:
    if not _VALIDATOR:
        import jsonschema
        schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
        jsonschema.Draft7Validator.check_schema(schema)
        _VALIDATOR.append(jsonschema.Draft7Validator(schema))
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in _VALIDATOR[0].iter_errors(doc)]


def audit(path: Path, *args: str) -> dict:
    result = run_cli("audit", str(path), "--output-format", "json", "--no-cache", *args)
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    assert schema_errors(doc) == []
    return doc


def items(doc: dict) -> dict[str, dict]:
    return {i["id"]: i for i in doc["items"]}


def statuses(doc: dict) -> dict[str, str]:
    return {i["id"]: i["status"] for i in doc["items"]}


def project(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    for name, text in files.items():
        write(root, name, text)
    return root


# -- the fixture projects ---------------------------------------------------------------------------

def test_every_item_is_judged_in_checklist_order():
    doc = audit(AUDIT / "production")
    assert [i["id"] for i in doc["items"]] == ITEM_IDS
    assert [i["area"] for i in doc["items"]] == ["Development"] * 5 + ["Security"] * 5 + ["Performance"] * 5 + \
        ["Operations"] * 5 + ["Maintenance"] * 5


def test_production_project_passes_every_item():
    doc = audit(AUDIT / "production")
    assert statuses(doc) == {i: "pass" for i in ITEM_IDS}
    assert doc["score"]["value"] == 100
    assert doc["project"] == {"root": str(AUDIT / "production"), "files_examined": 6, "servers": 1, "tools": 6,
                              "transports": ["http"]}
    found = items(doc)
    # evidence points at the lines that earn the status
    assert {"path": "src/notes_service/server.py", "line": 61, "note": "custom_route('/health')"} in \
        found["health-checks"]["evidence"]
    assert found["tests"]["verdict"].startswith("6/6 tools exercised by 3 tests (fastmcp Client in tests/test_server.py)")
    assert any(e["path"] == "tests/test_server.py" and e["note"] == "fastmcp Client" for e in found["tests"]["evidence"])
    assert found["authorization"]["verdict"] == "2/2 state-changing tools check the caller's identity or scopes"
    assert {"path": "src/notes_service/server.py", "line": 42, "note": "asyncpg.create_pool created in lifespan"} in \
        found["connection-pooling"]["evidence"]
    assert any(e["note"] == "lifespan `lifespan` cleans up in finally/async with" for e in
               found["graceful-shutdown"]["evidence"])
    assert {e["path"] for e in found["audit-dependencies"]["evidence"]} >= {"uv.lock", ".github/dependabot.yml",
                                                                              ".github/workflows/ci.yml"}


TOY = {
    "type-driven-design": "fail", "error-handling": "fail", "tests": "fail", "async-usage": "fail",
    "idiomatic-code": "fail", "validate-inputs": "fail", "parameterized-queries": "fail", "authentication": "fail",
    "authorization": "fail", "audit-dependencies": "fail", "connection-pooling": "fail", "caching": "fail",
    "optimized-queries": "fail", "concurrent-operations": "fail", "profile-and-benchmark": "fail",
    "structured-logging": "fail", "metrics": "fail", "health-checks": "fail", "graceful-shutdown": "not-applicable",
    "documented-deployment": "fail", "versioned-api": "fail", "documentation": "fail", "examples": "fail",
    "ci-cd": "fail", "monitoring": "fail",
}


def test_toy_project_fails_nearly_every_item():
    doc = audit(AUDIT / "toy")
    assert statuses(doc) == TOY
    assert doc["score"]["value"] == 0
    found = items(doc)
    assert "MCP101" in found["validate-inputs"]["verdict"] and "MCP105" in found["validate-inputs"]["verdict"]
    assert found["idiomatic-code"]["verdict"] == "SDK misuse or unparsable code: MCP204 x1"
    assert found["graceful-shutdown"]["reason"].startswith("no long-lived client, connection or pool is opened")
    assert {"path": "server.py", "line": 30, "note": ".execute() inside a loop in a tool"} in \
        found["optimized-queries"]["evidence"]


def test_a_health_string_in_a_comment_docstring_or_test_is_not_a_health_route():
    doc = audit(AUDIT / "lookalikes" / "health_comment")
    found = items(doc)
    assert found["health-checks"]["status"] == "fail"
    assert found["authentication"]["status"] == "pass"  # the server is HTTP, with auth: the item applies
    # a commented-out HEALTHCHECK is not a probe, a commented-out pytest is not a test step
    assert found["ci-cd"]["status"] == "partial"
    assert found["ci-cd"]["verdict"] == "1 CI file, none runs the tests"


def test_a_tests_folder_that_never_imports_the_server_does_not_test_it():
    doc = audit(AUDIT / "lookalikes" / "tests_without_import")
    found = items(doc)["tests"]
    assert found["status"] == "fail"
    assert found["verdict"] == "2 tests in 1 file, none imports or launches the server's code"


def test_a_metrics_library_declared_but_never_imported_is_partial_at_most():
    doc = audit(AUDIT / "lookalikes" / "metrics_declared")
    found = items(doc)["metrics"]
    assert found["status"] == "partial"
    assert found["verdict"] == "a metrics library is declared as a dependency but never imported"
    assert found["evidence"] == [{"path": "requirements.txt", "line": 2, "note": "declares prometheus-client"}]


# -- one item at a time -----------------------------------------------------------------------------

STDIO = '''\
from fastmcp import FastMCP

mcp = FastMCP("t")


@mcp.tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


if __name__ == "__main__":
    mcp.run()
'''


def server(body: str, run: str = "mcp.run()", header: str = "", ctor: str = 'FastMCP("t")') -> str:
    """A fastmcp server module: imports, the server, `body` (tools), and how it runs."""
    return (f"from fastmcp import FastMCP\n{textwrap.dedent(header)}\nmcp = {ctor}\n\n{textwrap.dedent(body)}\n\n"
            f"if __name__ == \"__main__\":\n    {run}\n")


HTTP_AUTH_HEADER = "from fastmcp.server.auth.providers.jwt import JWTVerifier\n"
HTTP_AUTH_CTOR = 'FastMCP("t", auth=JWTVerifier(jwks_uri="https://auth.example.com/jwks"))'
HTTP_RUN = 'mcp.run(transport="http", host="0.0.0.0", port=8000)'

CASES: list[tuple[str, dict[str, str], dict[str, str]]] = [
    # -- type-driven design
    ("constrained parameters", {"server.py": server('''
        from typing import Literal
        @mcp.tool
        def convert(value: float, unit: Literal["c", "f"]) -> float:
            """Convert."""
            return value
        ''')}, {"type-driven-design": "pass"}),
    ("plain str parameters", {"server.py": server('''
        @mcp.tool
        def greet(name: str) -> str:
            """Greet."""
            return name
        ''')}, {"type-driven-design": "partial"}),
    ("untyped parameters", {"server.py": server('''
        @mcp.tool
        def greet(name, title) -> str:
            """Greet."""
            return f"{title} {name}"
        ''')}, {"type-driven-design": "fail", "validate-inputs": "partial"}),
    ("no parameters", {"server.py": server('''
        @mcp.tool
        def ping() -> str:
            """Ping."""
            return "pong"
        ''')}, {"type-driven-design": "not-applicable"}),
    ("low-level schema", {"server.py": '''\
        import mcp.types as types
        from mcp.server import Server
        from mcp.server.stdio import stdio_server

        server = Server("t")


        @server.list_tools()
        async def list_tools():
            return [types.Tool(name="pick", description="Pick one.", inputSchema={
                "type": "object", "properties": {"color": {"type": "string", "enum": ["red", "blue"]},
                                                 "count": {"type": "integer"}}})]


        @server.call_tool()
        async def call_tool(name: str, arguments: dict):
            return [types.TextContent(type="text", text=str(arguments))]


        async def main():
            async with stdio_server() as (r, w):
                await server.run(r, w, server.create_initialization_options())
        '''}, {"type-driven-design": "pass", "authentication": "not-applicable"}),
    ("no server at all", {"lib.py": "def f(x):\n    return x\n"},
     {"type-driven-design": "manual", "error-handling": "manual", "validate-inputs": "manual",
      "authentication": "manual", "health-checks": "manual", "documentation": "manual"}),
    # -- error handling
    ("coded errors", {"server.py": server('''
        from fastmcp.exceptions import ToolError
        @mcp.tool
        def get(key: int) -> str:
            """Get."""
            if key < 0:
                raise ToolError("no such key")
            return "v"
        ''')}, {"error-handling": "pass"}),
    ("coded errors and a swallowed one", {"server.py": server('''
        from fastmcp.exceptions import ToolError
        @mcp.tool
        def get(key: int) -> str:
            """Get."""
            if key < 0:
                raise ToolError("no such key")
            try:
                return str(1 / key)
            except Exception:
                pass
            return ""
        ''')}, {"error-handling": "partial"}),
    ("generic raises in a helper", {"server.py": server('''
        def parse(text: str) -> int:
            if not text.isdigit():
                raise ValueError("not a number: " + text)
            return int(text)
        @mcp.tool
        def double(text: str) -> int:
            """Double."""
            return 2 * parse(text)
        ''')}, {"error-handling": "partial"}),
    ("generic raise only, masked", {"server.py": server('''
        @mcp.tool
        def get(key: int) -> str:
            """Get."""
            if key < 0:
                raise ValueError("bad key")
            return "v"
        ''', ctor='FastMCP("t", mask_error_details=True)')}, {"error-handling": "fail"}),
    # -- tests
    ("tests call one tool of two", {
        "calc/__init__.py": "",
        "calc/server.py": server('''
            @mcp.tool
            def add(a: int, b: int) -> int:
                """Add."""
                return a + b

            @mcp.tool
            def divide(a: float, b: float) -> float:
                """Divide."""
                return a / b
            '''),
        "tests/test_calc.py": "from calc.server import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n",
    }, {"tests": "partial"}),
    ("tests through call_tool", {
        "calc/__init__.py": "",
        "calc/server.py": STDIO,
        "tests/test_calc.py": '''\
            from fastmcp import Client
            from calc.server import mcp


            async def test_add():
                async with Client(mcp) as client:
                    assert (await client.call_tool("add", {"a": 1, "b": 2})).data == 3
            ''',
    }, {"tests": "pass"}),
    ("tests of a stdio process", {
        "server.py": STDIO,
        "tests/test_process.py": '''\
            from mcp import ClientSession, StdioServerParameters
            from mcp.client.stdio import stdio_client


            async def test_add():
                params = StdioServerParameters(command="python", args=["server.py"])
                async with stdio_client(params) as (r, w), ClientSession(r, w) as session:
                    await session.initialize()
                    await session.call_tool("add", {"a": 1, "b": 2})
            ''',
    }, {"tests": "pass"}),
    ("no python code", {"README.md": "# nothing\n"},
     {item: "manual" for item in ("tests", "async-usage", "parameterized-queries", "connection-pooling", "caching",
                                  "optimized-queries", "concurrent-operations", "structured-logging", "metrics",
                                  "graceful-shutdown", "monitoring", "type-driven-design", "validate-inputs")}),
    # -- async
    ("async without findings", {"server.py": server('''
        import asyncio
        @mcp.tool
        async def wait(seconds: int) -> str:
            """Wait."""
            await asyncio.sleep(seconds)
            return "done"
        ''')}, {"async-usage": "pass", "concurrent-operations": "pass"}),
    ("async without a timeout", {"server.py": server('''
        import httpx
        client = httpx.AsyncClient(timeout=None)
        @mcp.tool
        async def fetch(path: str) -> str:
            """Fetch."""
            return (await client.get("https://api.example.com/" + path)).text
        ''')}, {"async-usage": "partial"}),
    ("blocking call in async", {"server.py": server('''
        import time
        @mcp.tool
        async def wait(seconds: int) -> str:
            """Wait."""
            time.sleep(seconds)
            return "done"
        ''')}, {"async-usage": "fail"}),
    ("sync only", {"server.py": STDIO}, {"async-usage": "not-applicable", "concurrent-operations": "not-applicable"}),
    # -- idiomatic code
    ("linted and type-checked", {"server.py": STDIO, "pyproject.toml": "[tool.ruff]\nline-length = 100\n\n[tool.mypy]\n"
                                 "strict = true\n"}, {"idiomatic-code": "pass"}),
    ("linted only", {"server.py": STDIO, ".pre-commit-config.yaml": "repos:\n  - repo: x\n    hooks:\n      - id: ruff\n"},
     {"idiomatic-code": "partial"}),
    ("no linter", {"server.py": STDIO}, {"idiomatic-code": "manual"}),
    # -- inputs, queries
    ("command injection", {"server.py": server('''
        import subprocess
        @mcp.tool
        def run(cmd: str) -> str:
            """Run."""
            return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=5).stdout
        ''')}, {"validate-inputs": "fail"}),
    ("clean inputs", {"server.py": STDIO}, {"validate-inputs": "pass", "parameterized-queries": "not-applicable"}),
    ("parameterised sql", {"server.py": server('''
        import sqlite3
        @mcp.tool
        def find(name: str) -> list:
            """Find."""
            with sqlite3.connect("db.sqlite") as conn:
                return conn.execute("SELECT * FROM t WHERE name = ?", (name,)).fetchall()
        ''')}, {"parameterized-queries": "pass", "connection-pooling": "not-applicable"}),
    ("formatted sql", {"server.py": server('''
        import sqlite3
        @mcp.tool
        def find(name: str) -> list:
            """Find."""
            conn = sqlite3.connect("db.sqlite")
            return conn.execute(f"SELECT * FROM t WHERE name = '{name}'").fetchall()
        ''')}, {"parameterized-queries": "fail"}),
    # -- authentication, authorization
    ("http with auth", {"server.py": server('''
        @mcp.tool
        def read_note(note_id: int) -> str:
            """Read."""
            return "x"
        ''', run=HTTP_RUN, header=HTTP_AUTH_HEADER, ctor=HTTP_AUTH_CTOR)},
     {"authentication": "pass", "authorization": "not-applicable", "health-checks": "fail"}),
    ("http on loopback without auth", {"server.py": server(STDIO.split("mcp = FastMCP(\"t\")")[1].split("if __name__")[0],
                                                          run='mcp.run(transport="http", host="127.0.0.1")')},
     {"authentication": "partial"}),
    ("http on all interfaces without auth", {"server.py": server('''
        @mcp.tool
        def delete_note(note_id: int) -> bool:
            """Delete."""
            return True
        ''', run=HTTP_RUN)}, {"authentication": "fail", "authorization": "fail"}),
    ("a FastAPI security dependency does not guard the MCP app", {"server.py": server('''
        from fastapi.security import APIKeyHeader
        API_KEY = APIKeyHeader(name="X-API-Key")
        @mcp.tool
        def read_note(note_id: int) -> str:
            """Read."""
            return "x"
        ''', run=HTTP_RUN)}, {"authentication": "fail"}),
    ("transport chosen at run time", {"server.py": server('''
        @mcp.tool
        def read_note(note_id: int) -> str:
            """Read."""
            return "x"
        ''', run='mcp.run(transport=os.environ.get("TRANSPORT", "stdio"))', header="import os\n")},
     {"authentication": "partial", "health-checks": "partial"}),
    ("stdio only", {"server.py": STDIO}, {"authentication": "not-applicable", "authorization": "not-applicable",
                                          "health-checks": "not-applicable"}),
    ("a server returned by a factory", {"server.py": '''\
        from fastmcp import FastMCP


        def create_server() -> FastMCP:
            mcp = FastMCP("t")

            @mcp.tool
            def delete_all() -> bool:
                """Delete everything."""
                return True
            return mcp


        async def serve() -> None:
            await create_server().run_stdio_async()
        '''}, {"authentication": "not-applicable", "authorization": "not-applicable"}),
    ("no transport in the code", {"server.py": 'from fastmcp import FastMCP\n\nmcp = FastMCP("t")\n\n\n@mcp.tool\n'
                                               'def add(a: int, b: int) -> int:\n    """Add."""\n    return a + b\n'},
     {"authentication": "manual", "authorization": "manual", "health-checks": "manual"}),
    ("one of two writers checks the caller", {"server.py": server('''
        from fastmcp.server.dependencies import get_access_token
        @mcp.tool
        def delete_note(note_id: int) -> bool:
            """Delete."""
            token = get_access_token()
            return token is not None and "admin" in token.scopes
        @mcp.tool
        def create_note(title: str) -> int:
            """Create."""
            return 1
        ''', run=HTTP_RUN, header=HTTP_AUTH_HEADER, ctor=HTTP_AUTH_CTOR)}, {"authorization": "partial"}),
    ("a writer checks nobody", {"server.py": server('''
        import os
        @mcp.tool
        def cleanup(path: str) -> bool:
            """Remove a scratch file."""
            os.remove("/srv/scratch/" + os.path.basename(path))
            return True
        ''', run=HTTP_RUN, header=HTTP_AUTH_HEADER, ctor=HTTP_AUTH_CTOR)}, {"authorization": "fail"}),
    ("the client's self-declared id is not an identity check", {"server.py": server('''
        from fastmcp import Context
        @mcp.tool
        def delete_note(note_id: int, ctx: Context) -> bool:
            """Delete."""
            return ctx.client_id is not None
        ''', run=HTTP_RUN, header=HTTP_AUTH_HEADER, ctor=HTTP_AUTH_CTOR)}, {"authorization": "fail"}),
    ("identity read on a server without authentication", {"server.py": server('''
        from fastmcp.server.dependencies import get_access_token
        @mcp.tool
        def delete_note(note_id: int) -> bool:
            """Delete."""
            return get_access_token() is not None
        ''', run='mcp.run(transport="http", host="127.0.0.1")')}, {"authentication": "partial", "authorization": "fail"}),
    # -- dependencies
    ("manifest, lock, bot, audit", {"server.py": STDIO, "pyproject.toml": '[project]\nname = "t"\nversion = "1.0"\n'
                                    'dependencies = ["fastmcp>=2,<3"]\n', "uv.lock": "version = 1\n",
                                    ".github/dependabot.yml": "version: 2\n"}, {"audit-dependencies": "pass"}),
    ("manifest and lock", {"server.py": STDIO, "pyproject.toml": '[project]\nname = "t"\nversion = "1.0"\n',
                           "requirements.txt": "fastmcp==2.12.0 --hash=sha256:abc\n"}, {"audit-dependencies": "partial"}),
    ("manifest only", {"server.py": STDIO, "requirements.txt": "fastmcp>=2,<3\n"}, {"audit-dependencies": "fail"}),
    # -- pooling, caching, queries, concurrency
    ("shared client", {"server.py": server('''
        import httpx
        client = httpx.AsyncClient(timeout=10)
        @mcp.tool
        async def fetch(path: str) -> str:
            """Fetch."""
            return (await client.get("https://api.example.com/" + path)).text
        ''')}, {"connection-pooling": "pass", "caching": "fail", "graceful-shutdown": "fail"}),
    ("client in a helper", {"server.py": server('''
        import httpx
        def build():
            return httpx.AsyncClient(timeout=10)
        client = build()
        @mcp.tool
        async def fetch(path: str) -> str:
            """Fetch."""
            return (await client.get("https://api.example.com/" + path)).text
        ''')}, {"connection-pooling": "partial"}),
    ("client per call", {"server.py": server('''
        import httpx
        @mcp.tool
        async def fetch(path: str) -> str:
            """Fetch."""
            async with httpx.AsyncClient(timeout=10) as client:
                return (await client.get("https://api.example.com/" + path)).text
        ''')}, {"connection-pooling": "fail"}),
    ("queries through an unknown connection", {"server.py": server('''
        from sqlalchemy import text
        from .db import engine
        @mcp.tool
        def count() -> int:
            """Count."""
            with engine.connect() as c:
                return c.execute(text("SELECT count(*) FROM t")).scalar()
        ''')}, {"connection-pooling": "manual", "optimized-queries": "pass"}),
    ("cached outbound call", {"server.py": server('''
        from functools import lru_cache
        import requests
        @lru_cache(maxsize=64)
        def rate(currency: str) -> float:
            return requests.get("https://rates.example.com/" + currency, timeout=5).json()["rate"]
        @mcp.tool
        def convert(amount: float, currency: str) -> float:
            """Convert."""
            return amount * rate(currency)
        ''')}, {"caching": "pass"}),
    ("cache on settings only", {"server.py": server('''
        from functools import lru_cache
        import os
        import requests
        @lru_cache
        def settings() -> dict:
            return {"base": os.environ.get("BASE", "https://rates.example.com/")}
        @mcp.tool
        def convert(amount: float, currency: str) -> float:
            """Convert."""
            return amount * requests.get(settings()["base"] + currency, timeout=5).json()["rate"]
        ''')}, {"caching": "partial"}),
    ("a cached client factory is not a cached read", {"server.py": server('''
        from functools import lru_cache
        import requests
        @lru_cache
        def session() -> requests.Session:
            return requests.Session()
        @mcp.tool
        def rate(currency: str) -> float:
            """Rate."""
            return requests.get("https://rates.example.com/" + currency, timeout=5).json()["rate"]
        ''')}, {"caching": "partial", "connection-pooling": "pass"}),
    ("calls on untyped SDK clients", {"server.py": server('''
        import boto3
        iam = boto3.client("iam")
        @mcp.tool
        def users() -> list:
            """Users."""
            return iam.list_users()["Users"]
        ''')}, {"caching": "manual", "connection-pooling": "pass", "graceful-shutdown": "not-applicable"}),
    ("an API client whose calls cannot be typed", {"server.py": server('''
        from functools import lru_cache
        from tavily import TavilyClient
        @lru_cache
        def client() -> TavilyClient:
            return TavilyClient(api_key="")
        @mcp.tool
        def search(query: str) -> dict:
            """Search."""
            return client().search(query)
        ''')}, {"caching": "manual"}),
    ("a connection made once in a connect helper", {"server.py": server('''
        import paramiko
        class Remote:
            def _connect_once(self):
                self.client = paramiko.SSHClient()
        remote = Remote()
        @mcp.tool
        def host() -> str:
            """Host."""
            return "h"
        ''')}, {"connection-pooling": "pass"}),
    ("no outbound call", {"server.py": STDIO}, {"caching": "not-applicable", "optimized-queries": "not-applicable",
                                                "connection-pooling": "not-applicable"}),
    ("query in a loop in a helper", {"server.py": server('''
        import sqlite3
        def load(ids):
            conn = sqlite3.connect("db.sqlite")
            return [conn.execute("SELECT * FROM t WHERE id = ?", (i,)).fetchone() for i in ids]
        @mcp.tool
        def first() -> list:
            """First rows."""
            return load(range(3))
        ''')}, {"optimized-queries": "partial"}),
    ("gather and a sequential loop", {"server.py": server('''
        import asyncio
        async def one(i):
            await asyncio.sleep(0)
            return i
        @mcp.tool
        async def some(ids: list[int]) -> list[int]:
            """Some."""
            return list(await asyncio.gather(*(one(i) for i in ids)))
        @mcp.tool
        async def each(ids: list[int]) -> list[int]:
            """Each."""
            out = []
            for i in ids:
                out.append(await one(i))
            return out
        ''')}, {"concurrent-operations": "partial"}),
    ("a sequential loop only", {"server.py": server('''
        import asyncio
        async def one(i):
            await asyncio.sleep(0)
            return i
        @mcp.tool
        async def each(ids: list[int]) -> list[int]:
            """Each."""
            out = []
            for i in ids:
                out.append(await one(i))
            return out
        ''')}, {"concurrent-operations": "fail"}),
    # -- benchmarks
    ("benchmark folder", {"server.py": STDIO, "benchmarks/bench_add.py": "def test_add(benchmark):\n    pass\n"},
     {"profile-and-benchmark": "pass"}),
    ("benchmark fixture in tests", {"server.py": STDIO, "tests/test_speed.py": "from server import add\n\n\n"
                                    "def test_speed(benchmark):\n    benchmark(add, 1, 2)\n"},
     {"profile-and-benchmark": "pass", "tests": "partial"}),
    ("benchmark tool declared only", {"server.py": STDIO, "pyproject.toml": '[project]\nname = "t"\nversion = "1"\n\n'
                                      '[project.optional-dependencies]\ntest = ["pytest-benchmark"]\n'},
     {"profile-and-benchmark": "partial"}),
    ("no benchmark", {"server.py": STDIO}, {"profile-and-benchmark": "fail"}),
    # -- logging, metrics, monitoring
    ("structlog", {"server.py": server("", header="import structlog\nstructlog.configure(processors=["
                                                 "structlog.processors.JSONRenderer()])\n")},
     {"structured-logging": "pass"}),
    ("json formatter class", {"server.py": server("", header='''
        import json
        import logging
        class JsonFormatter(logging.Formatter):
            def format(self, record):
                return json.dumps({"msg": record.getMessage(), "level": record.levelname})
        ''')}, {"structured-logging": "pass"}),
    ("plain logging", {"server.py": server("", header="import logging\nlogging.basicConfig(level=logging.INFO)\n")},
     {"structured-logging": "partial"}),
    ("the SDK's logging helper", {"server.py": 'from mcp.server.fastmcp import FastMCP\n'
                                  'from mcp.server.fastmcp.utilities.logging import get_logger\n\n'
                                  'log = get_logger(__name__)\nmcp = FastMCP("t")\n\nif __name__ == "__main__":\n'
                                  '    mcp.run()\n'}, {"structured-logging": "partial"}),
    ("stdout in a stdio server", {"server.py": server('''
        @mcp.tool
        def add(a: int, b: int) -> int:
            """Add."""
            print("adding", a, b)
            return a + b
        ''')}, {"structured-logging": "fail"}),
    ("prometheus", {"server.py": server("", header="from prometheus_client import Counter\nCALLS = Counter('calls', "
                                                   "'Tool calls')\n")}, {"metrics": "pass"}),
    ("prometheus imported only", {"server.py": server("", header="import prometheus_client  # noqa: F401\n")},
     {"metrics": "partial"}),
    ("sentry", {"server.py": server("", header="import sentry_sdk\nsentry_sdk.init(dsn='')\n")}, {"monitoring": "pass"}),
    ("opentelemetry launcher", {"server.py": STDIO, "Dockerfile": 'FROM python:3.12\nCMD ["opentelemetry-instrument", '
                                '"python", "server.py"]\n'}, {"monitoring": "pass"}),
    ("sentry imported only", {"server.py": server('''
        import sentry_sdk
        @mcp.tool
        def add(a: int, b: int) -> int:
            """Add."""
            try:
                return a + b
            except Exception as exc:
                sentry_sdk.capture_exception(exc)
                raise
        ''')}, {"monitoring": "partial"}),
    ("nothing to monitor with", {"server.py": STDIO}, {"monitoring": "fail", "metrics": "fail"}),
    # -- health checks
    ("health route", {"server.py": server('''
        from starlette.responses import PlainTextResponse
        @mcp.custom_route("/healthz", methods=["GET"])
        async def health(request):
            return PlainTextResponse("ok")
        ''', run=HTTP_RUN, header=HTTP_AUTH_HEADER, ctor=HTTP_AUTH_CTOR)}, {"health-checks": "pass"}),
    ("probe in the deployment only", {"server.py": server("", run=HTTP_RUN, header=HTTP_AUTH_HEADER,
                                                          ctor=HTTP_AUTH_CTOR),
                                      "Dockerfile": "FROM python:3.12\nHEALTHCHECK CMD curl -f http://localhost:8000/mcp\n"},
     {"health-checks": "partial"}),
    # -- graceful shutdown
    ("lifespan with finally", {"server.py": server('''
        from contextlib import asynccontextmanager
        import httpx
        @asynccontextmanager
        async def lifespan(server):
            client = httpx.AsyncClient(timeout=10)
            try:
                yield {"client": client}
            finally:
                await client.aclose()
        ''', ctor='FastMCP("t", lifespan=lifespan)')}, {"graceful-shutdown": "pass", "connection-pooling": "pass"}),
    ("lifespan closing after yield", {"server.py": server('''
        from contextlib import asynccontextmanager
        import httpx
        @asynccontextmanager
        async def lifespan(server):
            client = httpx.AsyncClient(timeout=10)
            yield {"client": client}
            await client.aclose()
        ''', ctor='FastMCP("t", lifespan=lifespan)')}, {"graceful-shutdown": "partial"}),
    ("a lifespan that opens nothing", {"server.py": server('''
        from contextlib import asynccontextmanager
        @asynccontextmanager
        async def lifespan(server):
            yield {"jobs": {}}
        ''', ctor='FastMCP("t", lifespan=lifespan)')}, {"graceful-shutdown": "not-applicable"}),
    ("lifespan never closing", {"server.py": server('''
        from contextlib import asynccontextmanager
        import httpx
        @asynccontextmanager
        async def lifespan(server):
            yield {"client": httpx.AsyncClient(timeout=10)}
        ''', ctor='FastMCP("t", lifespan=lifespan)')}, {"graceful-shutdown": "fail"}),
    # -- deployment, version, docs, examples, CI
    ("stdio install and client configuration", {"server.py": STDIO, "README.md": '# t\n\n## Installation\n\n```json\n'
                                                '{"mcpServers": {"t": {"command": "uvx", "args": ["t"]}}}\n```\n'},
     {"documented-deployment": "pass", "examples": "partial"}),
    ("stdio install section only", {"server.py": STDIO, "README.md": "# t\n\n## Installation\n\npip install t\n"},
     {"documented-deployment": "partial"}),
    ("http docker and a deployment section", {"server.py": server("", run=HTTP_RUN, header=HTTP_AUTH_HEADER,
                                                                  ctor=HTTP_AUTH_CTOR),
                                              "Dockerfile": "FROM python:3.12\n", "README.md": "# t\n\n## Deployment\n\n"
                                              "docker run t\n"}, {"documented-deployment": "pass"}),
    ("http docker only", {"server.py": server("", run=HTTP_RUN, header=HTTP_AUTH_HEADER, ctor=HTTP_AUTH_CTOR),
                          "Dockerfile": "FROM python:3.12\n"}, {"documented-deployment": "partial"}),
    ("nothing documented", {"server.py": STDIO}, {"documented-deployment": "fail", "examples": "fail", "ci-cd": "fail"}),
    ("package and server versions", {"server.py": server("", ctor='FastMCP("t", version="1.0.0")'),
                                     "pyproject.toml": '[project]\nname = "t"\nversion = "1.0.0"\n'},
     {"versioned-api": "pass"}),
    ("package version, mcp 1.x server", {"server.py": 'from mcp.server.fastmcp import FastMCP\n\nmcp = FastMCP("t")\n'
                                         '\nif __name__ == "__main__":\n    mcp.run()\n',
                                         "setup.cfg": "[metadata]\nname = t\nversion = 1.0\n"}, {"versioned-api": "pass"}),
    ("an imported __version__ is not the package's", {"server.py": "from fastmcp import __version__\n" + STDIO},
     {"versioned-api": "fail"}),
    ("__version__ assigned", {"pkg/__init__.py": '__version__ = "1.0"\n', "pkg/server.py": STDIO},
     {"versioned-api": "partial"}),
    ("package version only", {"server.py": STDIO, "pyproject.toml": '[project]\nname = "t"\nversion = "1.0.0"\n'},
     {"versioned-api": "partial"}),
    ("no version", {"server.py": STDIO}, {"versioned-api": "fail"}),
    ("readme lists the tools", {"server.py": STDIO, "README.md": "# t\n\n- `add`: add two numbers\n"},
     {"documentation": "pass"}),
    ("readme misses the tools", {"server.py": STDIO, "README.md": "# t\n\nA calculator.\n"},
     {"documentation": "partial"}),
    ("no readme, no docstrings", {"server.py": server('''
        @mcp.tool
        def add(a: int, b: int) -> int:
            return a + b
        ''')}, {"documentation": "fail"}),
    ("examples folder", {"server.py": STDIO, "examples/call.py": "print('example')\n"}, {"examples": "pass"}),
    ("ci with tests", {"server.py": STDIO, ".gitlab-ci.yml": "test:\n  script:\n    - pip install .\n    - pytest\n"},
     {"ci-cd": "pass"}),
    ("ci without tests", {"server.py": STDIO, ".github/workflows/release.yml": "on: push\njobs:\n  r:\n    steps:\n"
                                                                               "      - run: python -m build\n"},
     {"ci-cd": "partial"}),
]


@pytest.mark.parametrize(("files", "expected"), [(f, e) for _, f, e in CASES], ids=[c[0] for c in CASES])
def test_item_status(tmp_path, files, expected):
    doc = audit(project(tmp_path, files))
    got = {k: v for k, v in statuses(doc).items() if k in expected}
    assert got == expected, {k: items(doc)[k]["verdict"] for k in expected}


def test_every_status_an_item_claims_is_produced_by_a_case():
    """The catalogue says which statuses each item can give; each must appear in a test above."""
    from mcp_lint.output.audit.items import ITEMS

    produced: dict[str, set[str]] = {}
    for _, _, expected in CASES:
        for item, status in expected.items():
            produced.setdefault(item, set()).add(status)
    for item, status in TOY.items():
        produced.setdefault(item, set()).add(status)
    produced["metrics"].add("partial")  # metrics_declared
    for item in ITEM_IDS:  # the production project passes every item
        produced[item].add("pass")
    for item in ITEMS:
        claimed = {"pass", "partial", "fail"} - {s for s, text in (("partial", item.partial), ("fail", item.fails))
                                                 if text == "never"}
        if item.not_applicable != "never":
            claimed.add("not-applicable")
        if item.manual != "never":
            claimed.add("manual")
        assert claimed <= produced[item.id], (item.id, claimed - produced[item.id])


def test_verdicts_name_untested_tools_and_evidence_is_file_and_line(tmp_path):
    doc = audit(project(tmp_path, dict(CASES[[c[0] for c in CASES].index("tests call one tool of two")][1])))
    found = items(doc)["tests"]
    assert found["verdict"] == "1/2 tools exercised by 1 test; untested: `divide`"
    assert {"path": "calc/server.py", "line": 12, "note": "untested tool `divide`"} in found["evidence"]


def test_findings_of_tests_and_examples_do_not_judge_the_server(tmp_path):
    bad_tool = server('''
        import subprocess
        @mcp.tool
        def run(cmd: str) -> str:
            """Run."""
            return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=5).stdout
        ''')
    doc = audit(project(tmp_path, {"server.py": STDIO, "examples/bad.py": bad_tool, "tests/test_bad.py": bad_tool}))
    assert items(doc)["validate-inputs"]["status"] == "pass"
    assert doc["project"]["tools"] == 1


def test_a_rule_disabled_by_the_configuration_lowers_the_confidence(tmp_path):
    files = {"server.py": server('''
        import time
        @mcp.tool
        async def wait(seconds: int) -> str:
            """Wait."""
            time.sleep(seconds)
            return "done"
        '''), "pyproject.toml": '[tool.mcp-lint]\nignore = ["MCP403"]\n'}
    found = items(audit(project(tmp_path, files)))["async-usage"]
    assert found["status"] == "pass" and found["confidence"] == "low"
    assert found["verdict"].endswith("(MCP403 disabled by the configuration)")


# -- output, exit codes, explain ----------------------------------------------------------------------

def test_json_of_every_fixture_project_validates(tmp_path):
    for path in [AUDIT / "production", AUDIT / "toy", *sorted((AUDIT / "lookalikes").iterdir()), tmp_path]:
        doc = audit(path)  # validates
        assert doc["schema_version"] == "1.0"
        assert sum(doc["summary"].values()) == len(ITEM_IDS)
        for item in doc["items"]:
            if item["status"] in ("not-applicable", "manual"):
                assert item["reason"]
            for e in item["evidence"]:
                assert not Path(e["path"]).is_absolute()


def test_the_schema_rejects_a_wrong_document():
    doc = audit(AUDIT / "toy")
    doc["items"][0]["status"] = "ok"
    del doc["score"]
    errors = schema_errors(doc)
    assert any("score" in e for e in errors) and any("'ok' is not one of" in e for e in errors)


def test_markdown_scorecard():
    result = run_cli("audit", str(AUDIT / "toy"), "--output-format", "markdown", "--no-cache")
    assert result.exit_code == 0
    out = result.stdout
    assert out.startswith(f"## mcp-lint audit: `{AUDIT / 'toy'}`\n\n**Score: 0/100** · 24 fail · 1 not-applicable\n")
    assert "| Area | Item | Status | Confidence | Verdict | Evidence |" in out
    assert "| Security | Parameterized queries | ❌ fail | high | 1 query built by string formatting (MCP101) | " \
           "`server.py:14` MCP101" in out
    assert "| Operations | Graceful shutdown | ➖ not-applicable |" in out
    assert "score = 100 x (passes + 0.5 x partials) / (passes + partials + fails)" in out


def test_table_scorecard_and_output_file(tmp_path):
    result = run_cli("audit", str(AUDIT / "production"), "--no-cache")
    assert result.exit_code == 0
    assert "mcp-lint audit:" in result.stdout and "Health checks" in result.stdout
    assert "score 100/100 (25 pass)" in result.stdout
    target = tmp_path / "out" / "audit.md"
    result = run_cli("audit", str(AUDIT / "production"), "--output-format", "markdown", "-o", str(target), "--no-cache")
    assert result.exit_code == 0 and result.stdout == ""
    assert "**Score: 100/100** · 25 pass" in target.read_text(encoding="utf-8")


@pytest.mark.parametrize(("args", "code"), [
    (["--fail-under", "5"], 1),  # the toy scores 0
    (["--fail-under", "0"], 0),
    ([], 0),
])
def test_fail_under(args, code):
    result = run_cli("audit", str(AUDIT / "toy"), "--output-format", "json", "--no-cache", *args)
    assert result.exit_code == code, result.stderr
    if code == 1:
        assert "score 0 is below --fail-under 5" in result.stderr


def test_fail_under_passes_at_the_threshold():
    assert run_cli("audit", str(AUDIT / "production"), "-q", "--fail-under", "100", "--no-cache").exit_code == 0


@pytest.mark.parametrize(("args", "message"), [
    (["--fail-under", "101"], "--fail-under: expected a score between 0 and 100"),
    (["--fail-under", "-1"], "--fail-under: expected a score between 0 and 100"),
    (["--output-format", "sarif"], "'sarif' is not one of 'table', 'markdown', 'json'"),
])
def test_usage_errors_exit_2(args, message):
    result = run_cli("audit", str(AUDIT / "toy"), *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_a_missing_path_or_a_file_is_a_usage_error(tmp_path):
    result = run_cli("audit", str(tmp_path / "nope"))
    assert result.exit_code == 2 and "no such file or directory" in result.stderr
    result = run_cli("audit", str(AUDIT / "toy" / "server.py"))
    assert result.exit_code == 2 and "takes a project directory" in result.stderr


def test_a_bad_configuration_is_a_usage_error(tmp_path):
    root = project(tmp_path, {"server.py": STDIO, "pyproject.toml": "[tool.mcp-lint]\nselect = [\"NOPE1\"]\n"})
    result = run_cli("audit", str(root))
    assert result.exit_code == 2 and "NOPE1" in result.stderr


def test_audit_defaults_to_the_current_directory():
    result = run_cli("audit", "--output-format", "json", "--no-cache", cwd=AUDIT / "toy")
    assert result.exit_code == 0
    assert result.json()["project"]["root"] == "."
    result = run_cli("audit", "--output-format", "markdown", cwd=AUDIT / "toy")
    assert result.stdout.startswith("## mcp-lint audit: `toy`")


@pytest.mark.parametrize("item", ITEM_IDS)
def test_explain_every_item(item):
    result = run_cli("audit", "--explain", item)
    assert result.exit_code == 0
    assert f"(`{item}`)" in result.stdout
    assert "- **pass**:" in result.stdout and "Confidence:" in result.stdout


def test_explain_by_title_or_prefix_and_unknown_items():
    assert "(`health-checks`)" in run_cli("audit", "--explain", "Health checks").stdout
    assert "(`graceful-shutdown`)" in run_cli("audit", "--explain", "graceful").stdout
    result = run_cli("audit", "--explain", "vibes")
    assert result.exit_code == 2 and "unknown checklist item 'vibes'" in result.stderr and "ci-cd" in result.stderr


def test_docs_page_shows_every_item_as_explain_prints_it():
    from mcp_lint.output.audit.items import ITEMS, explain

    page = (ROOT / "docs" / "audit.md").read_text(encoding="utf-8")
    for item in ITEMS:
        assert explain(item) in page, f"docs/audit.md is out of date for {item.id} (scripts/document_audit.py)"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "mcp-lint audit" in readme and "docs/audit.md" in readme


# -- the pipeline ---------------------------------------------------------------------------------

def test_each_file_is_parsed_once(monkeypatch):
    import libcst

    parsed: list[str] = []
    original = libcst.parse_module

    def counting(source, *args, **kwargs):
        parsed.append(source)
        return original(source, *args, **kwargs)

    monkeypatch.setattr(libcst, "parse_module", counting)
    doc = audit(AUDIT / "production", "-j", "1")
    assert len(parsed) == doc["project"]["files_examined"] == 6


def test_a_warm_audit_is_answered_from_the_findings_cache(tmp_path):
    """The facts are cached with the findings: a second audit neither parses nor loads the parser."""
    import subprocess
    import sys

    probe = ("import json, sys\nfrom mcp_lint import cli\ntry:\n    cli.main(sys.argv[1:])\nexcept SystemExit:\n"
             "    pass\nprint(json.dumps('libcst' in sys.modules), file=sys.stderr)\n")
    env = {**os.environ, "MCP_LINT_CACHE_DIR": str(tmp_path / "cache")}
    args = [sys.executable, "-c", probe, "audit", str(AUDIT / "production"), "--output-format", "json", "-o"]
    first = subprocess.run([*args, str(tmp_path / "a.json")], capture_output=True, text=True, env=env, timeout=120)
    second = subprocess.run([*args, str(tmp_path / "b.json")], capture_output=True, text=True, env=env, timeout=120)
    assert first.stderr.strip().splitlines()[-1] == "true"
    assert second.stderr.strip().splitlines()[-1] == "false"
    assert json.loads((tmp_path / "a.json").read_text()) == json.loads((tmp_path / "b.json").read_text())


def test_check_is_unchanged_by_the_audit_facts():
    """The facts rule runs only under `audit`: `check` reports and lists the same rules as before."""
    result = run_cli("check", str(AUDIT / "production"), "--output-format", "json", "--no-cache")
    assert result.exit_code == 0 and result.json()["findings"] == []
    rules = json.loads(run_cli("rules", "--output-format", "json").stdout)
    assert "MCP000" not in {r["id"] for r in rules}


def test_github_action_writes_the_scorecard_to_the_step_summary(tmp_path):
    from test_ci import ACTION, _run_step

    assert {"audit", "audit-path", "audit-fail-under"} <= set(ACTION["inputs"])
    summary = tmp_path / "summary.md"
    summary.write_text("", encoding="utf-8")
    env = {"INPUT_AUDIT": "true", "INPUT_AUDIT_PATH": str(AUDIT / "toy"), "INPUT_AUDIT_FAIL_UNDER": "",
           "GITHUB_STEP_SUMMARY": str(summary)}
    code, outputs, log = _run_step("Audit", tmp_path, env)
    assert code == 0, log
    assert outputs == {"audit-score": "0"}
    assert summary.read_text(encoding="utf-8").startswith("## mcp-lint audit:")
    code, outputs, log = _run_step("Audit", tmp_path, {**env, "INPUT_AUDIT_FAIL_UNDER": "50"})
    assert code == 1 and "below --fail-under 50" in log
    code, outputs, log = _run_step("Audit", tmp_path, {**env, "INPUT_AUDIT": "false"})
    assert code == 0 and outputs == {}
