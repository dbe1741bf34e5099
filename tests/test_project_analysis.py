"""The whole server, across modules: tools defined in one module and registered in another (by
reference, by keyword, as tool objects, through a project decorator, on a server handed to a
`register(mcp)` function or method, or called by a low-level dispatcher) get every tool rule at
their definition. Each project under tests/fixtures/projects/multimodule marks its findings with
`# expect:` comments; unmarked look-alikes must stay silent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli
from test_rule_fixtures import markers

PROJECTS = sorted(p for p in (FIXTURES / "projects" / "multimodule").iterdir() if p.is_dir())


def _expected(project: Path) -> set[tuple[str, int, str]]:
    return {(path.relative_to(project).as_posix(), line, rule)
            for path in sorted(project.rglob("*.py")) for line, rule in markers(path)}


def _reported(doc: dict) -> set[tuple[str, int, str]]:
    return {(f["path"], f["start"]["line"], f["id"]) for f in doc["findings"]}


@pytest.mark.parametrize("project", PROJECTS, ids=[p.name for p in PROJECTS])
def test_findings_across_modules_match_markers(project: Path):
    result = run_cli("--output-format", "json", "--no-cache", ".", cwd=project)
    assert result.exit_code in (0, 1), result.stderr
    assert _reported(result.json()) == _expected(project)


REGISTRATIONS = [p for p in PROJECTS if p.name != "helpers_across"]


@pytest.mark.parametrize("project", REGISTRATIONS, ids=[p.name for p in REGISTRATIONS])
def test_one_file_passed_alone_still_sees_its_registrations(project: Path):
    """pre-commit passes only the staged files: the rest of the project is scanned for facts."""
    for path, line, rule in sorted(_expected(project)):
        result = run_cli("--output-format", "json", "--no-cache", path, cwd=project)
        assert (path, line, rule) in _reported(result.json()), (path, line, rule, result.stdout)


def test_a_registration_added_in_another_module_relints_the_tool_module(tmp_path):
    """The cache keys a file's results by what other modules say about it."""
    (tmp_path / "server.py").write_text("from fastmcp import FastMCP\n\nmcp = FastMCP('x')\n", encoding="utf-8")
    (tmp_path / "ops.py").write_text("import os\n\n\ndef wipe(area: str) -> None:\n"
                                     "    \"\"\"Wipe an area.\"\"\"\n    os.system(f'rm -rf /tmp/{area}')\n",
                                     encoding="utf-8")
    first = run_cli("--output-format", "json", ".", cwd=tmp_path)
    assert first.json()["findings"] == []
    (tmp_path / "server.py").write_text("from fastmcp import FastMCP\n\nfrom ops import wipe\n\n"
                                        "mcp = FastMCP('x')\nmcp.add_tool(wipe)\n", encoding="utf-8")
    second = run_cli("--output-format", "json", ".", cwd=tmp_path)
    assert ("ops.py", 6, "MCP102") in _reported(second.json())
    (tmp_path / "server.py").write_text("from fastmcp import FastMCP\n\nmcp = FastMCP('x')\n", encoding="utf-8")
    third = run_cli("--output-format", "json", ".", cwd=tmp_path)
    assert third.json()["findings"] == []


def test_inspect_names_where_a_handler_is_registered(tmp_path):
    project = FIXTURES / "projects" / "multimodule" / "imported_add_tool"
    result = run_cli("inspect", "--json", "app/shell.py", "app/server.py", cwd=project)
    docs = json.loads(result.stdout)
    shell = next(d for d in docs if d["path"].endswith("shell.py"))
    names = {h["function"]: h for h in shell["handlers"]}
    assert names["run_command"]["registered_in"] == "app/server.py"
    assert "helper_not_registered" not in names


HELPERS = FIXTURES / "projects" / "multimodule" / "helpers_across"


def test_a_flow_across_modules_is_shown_step_by_step_in_every_format(tmp_path):
    text = run_cli("--no-cache", "app/shell.py", "app/server.py", cwd=HELPERS)
    assert "tool parameter `name` (app/server.py:27) -> passed to `tar()` as `folder` (app/server.py:29)" in text.stdout
    doc = run_cli("--no-cache", "--output-format", "json", ".", cwd=HELPERS).json()
    [shell] = [f for f in doc["findings"] if f["path"] == "app/shell.py"]
    assert [s.get("path") for s in shell["trace"]][:2] == ["app/server.py", "app/server.py"]
    assert shell["confidence"] == "low"  # joined from summaries across modules
    assert run_cli("--no-cache", "--min-confidence", "medium", "--output-format", "json", ".",
                   cwd=HELPERS).json()["findings"] == [f for f in doc["findings"] if f["confidence"] != "low"]
    sarif = json.loads(run_cli("--no-cache", "--output-format", "sarif", ".", cwd=HELPERS).stdout)
    [result] = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "MCP102"]
    uris = [loc["location"]["physicalLocation"]["artifactLocation"]["uri"]
            for loc in result["codeFlows"][0]["threadFlows"][0]["locations"]]
    assert uris[0].endswith("app/server.py") and uris[-1].endswith("app/shell.py")


def test_editing_a_sanitizer_in_another_module_changes_the_next_cached_run(tmp_path):
    import shutil

    project = tmp_path / "p"
    shutil.copytree(HELPERS, project)
    first = {(f["path"], f["start"]["line"]) for f in run_cli("--output-format", "json", ".", cwd=project).json()["findings"]}
    assert ("app/db.py", 16) not in first  # count() receives a quoted identifier
    quoting = project / "app" / "quoting.py"
    quoting.write_text(quoting.read_text(encoding="utf-8").replace("return sql.Identifier(name)", "return name"),
                       encoding="utf-8")
    second = {(f["path"], f["start"]["line"]) for f in run_cli("--output-format", "json", ".", cwd=project).json()["findings"]}
    assert ("app/db.py", 16) in second
    quoting.write_text(quoting.read_text(encoding="utf-8").replace("return name\n\n\ndef checked", "return sql.Identifier(name)\n\n\ndef checked"),
                       encoding="utf-8")
    third = {(f["path"], f["start"]["line"]) for f in run_cli("--output-format", "json", ".", cwd=project).json()["findings"]}
    assert third == first


def test_one_file_passed_alone_sees_flows_from_the_cached_project(tmp_path):
    """A pre-commit run of the sink's module alone: the callers' facts come from the findings cache."""
    import shutil

    project = tmp_path / "p"
    shutil.copytree(HELPERS, project)
    run_cli("--output-format", "json", ".", cwd=project)  # the whole project, once
    alone = run_cli("--output-format", "json", "app/shell.py", cwd=project).json()["findings"]
    assert [(f["path"], f["start"]["line"], f["id"]) for f in alone] == [("app/shell.py", 8, "MCP102")]
