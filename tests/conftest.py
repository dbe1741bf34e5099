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

from mcp_lint import cli

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


@pytest.fixture
def cli_run():
    return run_cli


_sarif_validator = None


def sarif_errors(doc: dict) -> list[str]:
    """Where `doc` breaks the OASIS SARIF 2.1.0 schema (empty when valid)."""
    global _sarif_validator
    if _sarif_validator is None:
        import jsonschema
        schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
        jsonschema.Draft4Validator.check_schema(schema)
        _sarif_validator = jsonschema.Draft4Validator(schema)
    errors = sorted(_sarif_validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]
