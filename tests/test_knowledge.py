"""Library knowledge as data (docs/knowledge.md): the built-in knowledge files, a user's files
(`knowledge-files`) and a pack's `knowledge:` section change what the analysis sees; bad files
are refused with file:line; the findings cache and workers see the same knowledge."""

from __future__ import annotations

import ast
import json
import re

from conftest import ROOT, run_cli, run_process, write

TOOL = '''\
from mcp.server.fastmcp import FastMCP
import ourlib
import ourdb

mcp = FastMCP("files")

@mcp.tool()
def read_note(name: str) -> str:
    """Read a note."""
    path = ourlib.safe_join("/srv/notes", name)
    with open(path) as fh:
        return fh.read()

@mcp.tool()
def count(table: str) -> int:
    """Count rows."""
    return ourdb.run_sql(f"SELECT count(*) FROM {table}")
'''

OURLIB = '''\
knowledge: our-libraries
description: Our helpers.
libraries:
  - library: ourlib
    sanitizers:
      - call: [ourlib.safe_join]
        protects: [path]
  - library: ourdb
    sinks:
      - kind: sql
        call: [ourdb.run_sql]
        argument: 0
        keyword: query
'''


def _ids(result) -> list[tuple[str, int]]:
    return sorted((f["id"], f["start"]["line"]) for f in result.json()["findings"])


def _lint(tmp_path, *extra):
    return run_cli("--output-format", "json", "--no-cache", "--select", "MCP101,MCP103", *extra, "server.py",
                   cwd=tmp_path)


def test_without_knowledge_the_helpers_are_unknown(tmp_path):
    write(tmp_path, "server.py", TOOL)
    assert _ids(_lint(tmp_path)) == [("MCP103", 11)]


def test_knowledge_files_declare_a_sanitizer_and_a_sink(tmp_path):
    write(tmp_path, "server.py", TOOL)
    write(tmp_path, "lint/ours.yaml", OURLIB)
    write(tmp_path, "pyproject.toml", '[tool.mcp-lint]\nknowledge-files = ["lint/ours.yaml"]\n')
    assert _ids(_lint(tmp_path)) == [("MCP101", 17)]


def test_a_pack_knowledge_section_extends_the_analysis(tmp_path):
    write(tmp_path, "server.py", TOOL)
    body = OURLIB.split("libraries:\n", 1)[1]
    write(tmp_path, "ours.yaml", "pack: ours\ndescription: Our helpers.\nknowledge:\n" + body)
    result = _lint(tmp_path, "--rule-pack", "ours.yaml")
    assert _ids(result) == [("MCP101", 17)]


def test_a_bad_knowledge_file_is_refused_with_every_problem_located(tmp_path):
    write(tmp_path, "server.py", TOOL)
    text = OURLIB.replace("protects: [path]", "protects: [paths]").replace("kind: sql", "kind: sequel") \
        .replace("argument: 0", "argument: 0\n        colour: red")
    write(tmp_path, "lint/ours.yaml", text)
    write(tmp_path, "pyproject.toml", '[tool.mcp-lint]\nknowledge-files = ["lint/ours.yaml"]\n')
    result = _lint(tmp_path)
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    lines = text.splitlines()
    assert f"ours.yaml:{lines.index('        protects: [paths]') + 1}:" in result.stderr
    out = run_cli("validate-pack", "lint/ours.yaml", cwd=tmp_path)
    assert out.exit_code == 2
    for needle in ("paths", "sequel", "colour"):
        assert needle in out.stderr
    assert "shell-command" in out.stderr and "url-component" in out.stderr  # the allowed values are listed
    for needle in ("        protects: [paths]", "      - kind: sequel", "        colour: red"):
        assert f"ours.yaml:{lines.index(needle) + 1}:" in out.stderr


def test_validate_pack_accepts_a_knowledge_file(tmp_path):
    write(tmp_path, "ours.yaml", OURLIB)
    out = run_cli("validate-pack", "ours.yaml", cwd=tmp_path)
    assert out.exit_code == 0, out.stderr
    assert "knowledge" in out.stdout


def test_the_builtin_knowledge_files_are_valid():
    for path in sorted((ROOT / "rules" / "knowledge").glob("*.yaml")):
        out = run_cli("validate-pack", str(path))
        assert out.exit_code == 0, (path, out.stderr)


def test_editing_a_knowledge_file_relints_cached_files(tmp_path):
    write(tmp_path, "server.py", TOOL)
    write(tmp_path, "lint/ours.yaml", OURLIB)
    write(tmp_path, "pyproject.toml", '[tool.mcp-lint]\nknowledge-files = ["lint/ours.yaml"]\n')
    args = ("--output-format", "json", "--select", "MCP101,MCP103", "server.py")
    assert _ids(run_cli(*args, cwd=tmp_path)) == [("MCP101", 17)]
    write(tmp_path, "lint/ours.yaml", OURLIB.replace("call: [ourlib.safe_join]", "call: [ourlib.other]"))
    assert _ids(run_cli(*args, cwd=tmp_path)) == [("MCP101", 17), ("MCP103", 11)]


def test_workers_receive_the_knowledge(tmp_path):
    for i in range(30):
        write(tmp_path, f"pkg/server_{i}.py", TOOL + "\n" + "x = 1\n" * 2000)
    write(tmp_path, "lint/ours.yaml", OURLIB)
    write(tmp_path, "pyproject.toml", '[tool.mcp-lint]\nknowledge-files = ["lint/ours.yaml"]\n')
    out = run_process("check", "--output-format", "json", "--no-cache", "-j", "2", "--select", "MCP101,MCP103",
                      "--exit-zero", "pkg", cwd=tmp_path, timeout=600)
    findings = json.loads(out.stdout)["findings"]
    assert {(f["id"], f["start"]["line"]) for f in findings} == {("MCP101", 17)}
    assert len(findings) == 30


_QUALIFIED = re.compile(r"^[a-z_][a-z0-9_]*\.[A-Za-z_][\w.]*$")


def test_the_flow_analysis_holds_no_library_tables():
    """Which library call is a sink, a sanitizer, a propagator or returns what is knowledge: no
    table of qualified library names is written in the flow or type analysis (a recogniser may
    still name the Python construct it recognises, such as `re.fullmatch`)."""
    for name in ("taint.py", "library_types.py"):
        tree = ast.parse((ROOT / "src" / "mcp_lint" / "analysis" / name).read_text(encoding="utf-8"))
        tables = []
        for node in tree.body:
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                # the regular-expression recogniser names the `re` functions and flags it reads
                names = [n.value for n in ast.walk(node.value) if isinstance(n, ast.Constant)
                         and isinstance(n.value, str) and _QUALIFIED.match(n.value) and not n.value.startswith("re.")]
                if len(names) > 1:
                    tables.append(names)
        assert not tables, (name, tables)
