"""The project scan in worker processes: a project large enough to be scanned by several
processes gets the facts, the parser-guard verdicts and the findings it gets when scanned here,
including modules that do not parse or are not text; what the facts cache knows is not scanned."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import findings, run_cli, write
from mcp_lint.project import index as project_index


def _project(root: Path, modules: int) -> list[Path]:
    write(root, "pkg/__init__.py", "")
    tools = modules
    imports = "\n".join(f"from pkg import tools_{i}" for i in range(tools))
    calls = "\n".join(f"tools_{i}.register(mcp)" for i in range(tools))
    write(root, "pkg/server.py", f"from mcp.server.fastmcp import FastMCP\n\nmcp = FastMCP('big')\n{imports}\n{calls}\n")
    for i in range(tools):
        write(root, f"pkg/tools_{i}.py", f'''import sqlite3
from pkg.helpers import lookup


def register(mcp):
    @mcp.tool()
    def find_{i}(name: str) -> list:
        """Find rows."""
        return lookup(name)
''')
    write(root, "pkg/helpers.py", '''import sqlite3


def lookup(name):
    return sqlite3.connect("a.db").execute(f"SELECT * FROM t WHERE name = '{name}'").fetchall()
''')
    write(root, "pkg/broken.py", "def f(:\n    pass\n")
    (root / "pkg" / "latin1.py").write_bytes(b"# caf\xe9\nx = 1\n")
    return sorted(root.rglob("*.py"))


def _plain(index) -> dict:
    return {str(path): facts.to_plain() for path, facts in index.facts.items()}


def test_workers_scan_what_this_process_scans(tmp_path):
    files = _project(tmp_path, project_index.PARALLEL_SCAN_FILES + 16)
    here = project_index.build(files, jobs=1)
    there = project_index.build(files, jobs=2)
    assert len(files) >= project_index.PARALLEL_SCAN_FILES
    assert _plain(there) == _plain(here)
    assert there.checks == here.checks and len(here.checks) >= len(files) - 2
    assert any(check.syntax_error for check in here.checks.values())  # broken.py's verdict travels too
    for path in files:
        assert there.context_digest(path) == here.context_digest(path)


def test_what_the_facts_cache_knows_is_not_scanned_again(tmp_path):
    files = _project(tmp_path, project_index.PARALLEL_SCAN_FILES + 16)
    cache: dict = {}
    first = project_index.build(files, cache, jobs=2)
    stored = dict(cache)
    assert len(stored) >= len(files) - 2
    again = project_index.build(files, cache, jobs=2)
    assert _plain(again) == _plain(first)
    assert again.checks == {}  # every module answered from the cache: no verdict was reached
    assert cache == stored


def test_the_same_findings_with_one_process_or_several(tmp_path):
    _project(tmp_path, project_index.PARALLEL_SCAN_FILES + 16)
    one = run_cli("--output-format", "json", "--no-cache", "-j", "1", ".", cwd=tmp_path)
    two = run_cli("--output-format", "json", "--no-cache", "-j", "2", ".", cwd=tmp_path)
    assert one.exit_code == two.exit_code == 1
    assert findings(one) == findings(two)
    assert any(f["id"] == "MCP101" and f["path"].endswith("helpers.py") for f in findings(two))  # across modules
    assert json.loads(one.stdout)["files_examined"] == json.loads(two.stdout)["files_examined"]
