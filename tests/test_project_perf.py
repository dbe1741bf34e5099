"""The performance rules across modules: what an awaited callee in another module does (holds a
lock shared between calls, paces itself, never suspends, only reads local files, only puts work on
a queue) decides whether a loop over it is worth running concurrently (MCP402), and where a module
sits in the project (on the server path, off it, a test, a script) decides whether its waits are
reported (MCP401, MCP402, MCP403). Each project under tests/fixtures/projects/perf marks its
findings with `# expect:`; unmarked look-alikes must stay silent."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURES, findings, run_cli, write
from mcp_lint.project.scan import scan
from test_rule_fixtures import markers

PROJECTS = sorted(p for p in (FIXTURES / "projects" / "perf").iterdir() if p.is_dir())
RULES = "MCP401,MCP402,MCP403,MCP404"


def _expected(project: Path) -> set[tuple[str, int, str]]:
    return {(path.relative_to(project).as_posix(), line, rule)
            for path in sorted(project.rglob("*.py")) for line, rule in markers(path)}


def _reported(result) -> set[tuple[str, int, str]]:
    return {(f["path"], f["start"]["line"], f["id"]) for f in findings(result)}


@pytest.mark.parametrize("project", PROJECTS, ids=[p.name for p in PROJECTS])
def test_perf_findings_across_modules_match_markers(project: Path):
    result = run_cli("--output-format", "json", "--no-cache", "--select", RULES, ".", cwd=project)
    assert result.exit_code in (0, 1), result.stderr
    assert _reported(result) == _expected(project)


@pytest.mark.parametrize("project", PROJECTS, ids=[p.name for p in PROJECTS])
def test_each_file_passed_alone_gets_the_same_verdicts(project: Path):
    """pre-commit passes files one by one: the rest of the package is scanned for its facts."""
    expected = _expected(project)
    for path in sorted(project.rglob("*.py")):
        rel = path.relative_to(project).as_posix()
        result = run_cli("--output-format", "json", "--no-cache", "--select", RULES, rel, cwd=project)
        assert _reported(result) == {e for e in expected if e[0] == rel}, rel


STORE_UNLOCKED = '''
import httpx


class Store:
    def __init__(self) -> None:
        self.client = httpx.AsyncClient(base_url="https://store.example.com")

    async def save(self, name: str) -> None:
        await self.client.post("/names", json={"name": name})
'''
STORE_LOCKED = '''
import asyncio

import httpx


class Store:
    def __init__(self) -> None:
        self.client = httpx.AsyncClient(base_url="https://store.example.com")
        self._lock = asyncio.Lock()

    async def save(self, name: str) -> None:
        async with self._lock:
            await self.client.post("/names", json={"name": name})
'''
SERVER = '''
from fastmcp import FastMCP

from store import Store

mcp = FastMCP("names")
store = Store()


@mcp.tool
async def save_all(names: list[str]) -> int:
    """Save names."""
    for name in names:
        await store.save(name)
    return len(names)
'''


def test_a_lock_added_in_the_callee_relints_the_caller(tmp_path):
    """The cached findings of a module are keyed by what its callees do (ModuleContext.digest)."""
    write(tmp_path, "server.py", SERVER)
    write(tmp_path, "store.py", STORE_UNLOCKED)
    first = run_cli("--output-format", "json", "--select", "MCP402", ".", cwd=tmp_path)
    assert _reported(first) == {("server.py", 14, "MCP402")}
    write(tmp_path, "store.py", STORE_LOCKED)
    second = run_cli("--output-format", "json", "--select", "MCP402", ".", cwd=tmp_path)
    assert _reported(second) == set()
    write(tmp_path, "store.py", STORE_UNLOCKED)
    third = run_cli("--output-format", "json", "--select", "MCP402", ".", cwd=tmp_path)
    assert _reported(third) == {("server.py", 14, "MCP402")}


def test_a_project_without_a_server_has_no_server_path(tmp_path):
    """A library (or one file linted alone) shows no server: nothing is off the path."""
    write(tmp_path, "lib/__init__.py", "")
    write(tmp_path, "lib/net.py", "import requests\n\n\ndef get(url):\n    return requests.get(url).text\n")
    result = run_cli("--output-format", "json", "--no-cache", "--select", RULES, ".", cwd=tmp_path)
    assert _reported(result) == {("lib/net.py", 5, "MCP401")}


def test_a_module_registered_by_an_entry_point_import_is_on_the_server_path(tmp_path):
    """Plugins that register their tools in a registry when imported serve."""
    write(tmp_path, "srv/__init__.py", "")
    write(tmp_path, "srv/core.py", '''
        from mcp.server import Server

        server = Server("ops")
        REGISTRY = {}


        class Registry:
            def register_tools(self, handlers):
                REGISTRY.update(handlers)
        ''')
    write(tmp_path, "srv/ops.py", '''
        import subprocess

        from srv.core import Registry


        def restart(service):
            return subprocess.run(["systemctl", "restart", service]).returncode


        Registry().register_tools({"restart": restart})
        ''')
    write(tmp_path, "srv/__main__.py", "from srv import ops  # noqa: F401\nfrom srv.core import server\n")
    result = run_cli("--output-format", "json", "--no-cache", "--select", "MCP401", ".", cwd=tmp_path)
    assert _reported(result) == {("srv/ops.py", 8, "MCP401")}


def test_a_module_this_python_cannot_parse_still_names_its_imports():
    """The import graph must not end at a module written in newer syntax (or broken)."""
    facts = scan("from .helpers import download, upload\nimport os.path as p\nx = (\n")
    assert facts is not None and facts.serves
    assert {".helpers", ".helpers.download", ".helpers.upload", "os.path"} <= set(facts.imports)
