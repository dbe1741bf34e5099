"""Shared test plumbing: run the real CLI (in-process through typer's runner, or as a real
subprocess where the entry point itself is under test) on real files."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mcp_lint.cli import app as cli

# The fixture projects hold test suites of their own (what `mcp-lint audit` looks for): they are
# data, not tests of mcp-lint.
collect_ignore_glob = ["fixtures/*"]

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
SARIF_SCHEMA = ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"


# A tool whose f-string SQL reaches the cursor: one MCP101 finding, on line 11, column 5.
SERVER = '''\
import sqlite3
from mcp.server.fastmcp import FastMCP

mcp = FastMCP("orders")

@mcp.tool()
def find_orders(customer: str) -> list:
    """Orders of one customer."""
    conn = sqlite3.connect("shop.db")
    cur = conn.cursor()
    cur.execute(f"SELECT * FROM orders WHERE customer = '{customer}'")
    return cur.fetchall()
'''

# A tool passing its input to `probe.sink`, the sink of the test packs' probe rules.
PROBE_SOURCE = '''\
from probe import sink
from mcp.server.fastmcp import FastMCP

mcp = FastMCP("probe")

@mcp.tool()
def run(name: str) -> str:
    """Passes the input through."""
    return sink(name)
'''


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    def json(self):
        return json.loads(self.stdout)


def run_cli(*args: str, cwd: Path | None = None) -> CliResult:
    """Run `mcp-lint ARGS...` in-process (same argument handling as the console script)."""
    runner = CliRunner()
    argv = cli.normalise_args([str(a) for a in args])
    if cwd is not None:
        import os
        old = os.getcwd()
        os.chdir(cwd)
        try:
            result = runner.invoke(cli.app, argv, catch_exceptions=False)
        finally:
            os.chdir(old)
    else:
        result = runner.invoke(cli.app, argv, catch_exceptions=False)
    return CliResult(result.exit_code, result.stdout, result.stderr)


def run_process(*args: str, cwd: Path | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    """Run `python -m mcp_lint ARGS...` as a real process."""
    return subprocess.run([sys.executable, "-m", "mcp_lint", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


def write(directory: Path, name: str, code: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(code), encoding="utf-8")
    return path


def findings(result: CliResult, rule: str | None = None) -> list[dict]:
    doc = result.json()
    return [f for f in doc["findings"] if rule is None or f["id"] == rule]


@pytest.fixture(autouse=True, scope="session")
def _private_user_cache(tmp_path_factory):
    """Compiled rule packs go to a cache of the test session, not the user's."""
    import os
    old = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("user-cache"))
    yield
    if old is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = old


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Each test gets its own findings cache, so no test sees results another one left."""
    monkeypatch.setenv("MCP_LINT_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def cli_run():
    return run_cli


# -- every SARIF document the suite produces must validate ------------------------------------------

_SARIF_VALIDATOR = []


def sarif_schema_errors(doc) -> list[str]:
    """Violations of the OASIS SARIF 2.1.0 schema (errata copy) in `doc`."""
    if not _SARIF_VALIDATOR:
        import jsonschema
        schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
        jsonschema.Draft4Validator.check_schema(schema)
        _SARIF_VALIDATOR.append(jsonschema.Draft4Validator(schema))
    errors = sorted(_SARIF_VALIDATOR[0].iter_errors(doc), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]


@pytest.fixture(autouse=True)
def sarif_documents(request, monkeypatch):
    """Collects every SARIF document built in-process during a test (and every *.sarif file
    the test leaves in its tmp_path, e.g. from a subprocess) and fails the test if one does
    not validate against the OASIS schema."""
    from mcp_lint.output.reporters import sarif

    built: list = []
    original = sarif.build_sarif

    def recording(report):
        doc = original(report)
        built.append(doc)
        return doc

    monkeypatch.setattr(sarif, "build_sarif", recording)
    yield built
    docs = [("built in-process", doc) for doc in built]
    tmp = request.node.funcargs.get("tmp_path") if hasattr(request.node, "funcargs") else None
    if tmp is not None:
        for path in sorted(Path(tmp).rglob("*.sarif")):
            try:
                docs.append((str(path), json.loads(path.read_text(encoding="utf-8"))))
            except (OSError, ValueError) as exc:
                pytest.fail(f"{path}: unreadable SARIF: {exc}")
    for where, doc in docs:
        errors = sarif_schema_errors(doc)
        if errors:
            pytest.fail(f"SARIF ({where}) does not validate against the OASIS schema:\n" + "\n".join(errors[:20]))
