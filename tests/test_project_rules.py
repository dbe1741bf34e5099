"""Project rules: findings located in the manifest that governs the linted files (MCP601).

The fixture projects under tests/fixtures/projects/ are small realistic servers, one per SDK
flavour, each with its pyproject.toml or requirements files. A manifest line where MCP601
must be reported carries a `# expect: MCP601` comment; every other requirement must stay
silent. Below them: where findings are reported (json, sarif, github, text frames), how
suppressions and per-file-ignores apply in manifests, which manifest governs a file, and
the manifest parsers themselves.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from conftest import FIXTURES, findings, run_cli, write
from mcp_lint.run import scheduler as runner
from mcp_lint.source.manifests import ManifestIndex, admits_from, parse_pyproject, parse_requirements, poetry_specifier

PROJECTS = FIXTURES / "projects"
PROJECT_DIRS = sorted(p for p in PROJECTS.iterdir() if p.is_dir())
MANIFEST_NAMES = re.compile(r"pyproject\.toml|requirements.*\.txt")

V1_SERVER = '''\
from mcp.server.fastmcp import FastMCP

mcp = FastMCP("notes")


@mcp.tool()
def add(text: str) -> str:
    """Store a note."""
    return text
'''
PYPROJECT = '''\
[project]
name = "notes"
version = "1.0.0"
dependencies = [
    "httpx>=0.27",
    "mcp>=1.2",{comment}
]
'''


def expected_markers(project: Path) -> set[tuple[str, int]]:
    out = set()
    for path in project.rglob("*"):
        if path.is_file() and MANIFEST_NAMES.fullmatch(path.name):
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if re.search(r"#\s*expect:\s*MCP601\b", line):
                    out.add((path.relative_to(project).as_posix(), n))
    return out


def project(tmp_path: Path, comment: str = "", server: str = V1_SERVER) -> Path:
    write(tmp_path, "pyproject.toml", PYPROJECT.format(comment=comment))
    write(tmp_path, "notes/server.py", server)
    return tmp_path


# -- fixture projects ---------------------------------------------------------------------------

def test_every_flavour_has_a_fixture_project():
    names = {p.name for p in PROJECT_DIRS}
    assert {"fetch_lowlevel", "notes_fastmcp1", "tickets_mcp2", "gateway_fastmcp"} <= names
    assert sum(len(expected_markers(p)) for p in PROJECT_DIRS) >= 3


@pytest.mark.parametrize("project_dir", PROJECT_DIRS, ids=[p.name for p in PROJECT_DIRS])
def test_fixture_project_findings_match_markers(project_dir: Path):
    result = run_cli("--select", "MCP601", "--output-format", "json", "--exit-zero", ".", cwd=project_dir)
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    assert doc["errors"] == []
    got = {(f["path"], f["start"]["line"]) for f in doc["findings"]}
    assert got == expected_markers(project_dir)


def test_default_run_over_the_fixture_projects_reports_only_in_manifests_for_mcp601():
    result = run_cli("--output-format", "json", "--exit-zero", ".", cwd=PROJECTS)
    doc = result.json()
    mcp601 = [f for f in doc["findings"] if f["id"] == "MCP601"]
    assert len(mcp601) == 3
    assert all(MANIFEST_NAMES.fullmatch(Path(f["path"]).name) for f in mcp601)
    assert doc["files_examined"] == len(list(PROJECTS.rglob("*.py")))


# -- locations in every output format -----------------------------------------------------------

def test_json_location_is_the_requirement_in_the_manifest(tmp_path):
    project(tmp_path)
    result = run_cli("--output-format", "json", ".", cwd=tmp_path)
    assert result.exit_code == 1
    (f,) = findings(result, "MCP601")
    assert f["path"] == "pyproject.toml"
    assert f["start"] == {"line": 6, "column": 5} and f["end"] == {"line": 6, "column": 15}
    assert f["severity"] == "warning" and f["fingerprint"]
    assert "`mcp>=1.2`" in f["message"] and "mcp.server.fastmcp.FastMCP" in f["message"]
    assert "notes/server.py:1" in f["message"] and "`mcp>=1.2,<2`" in f["message"]


def test_sarif_location_is_the_manifest(tmp_path):
    project(tmp_path)
    result = run_cli("--output-format", "sarif", ".", cwd=tmp_path)
    sarif = json.loads(result.stdout)
    results = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "MCP601"]
    assert len(results) == 1
    location = results[0]["locations"][0]["physicalLocation"]
    assert unquote(location["artifactLocation"]["uri"]).endswith("pyproject.toml")
    assert location["region"] == {"startLine": 6, "startColumn": 5, "endLine": 6, "endColumn": 15}
    assert results[0]["partialFingerprints"]["mcp-lint/v1"]
    rules = {r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert "MCP601" in rules


def test_github_and_text_formats_point_into_the_manifest(tmp_path):
    project(tmp_path)
    github = run_cli("--output-format", "github", ".", cwd=tmp_path)
    assert "::warning file=pyproject.toml,line=6,col=5,endLine=6,endColumn=15," in github.stdout
    full = run_cli(".", cwd=tmp_path)
    assert "pyproject.toml:6:5: MCP601" in full.stdout
    assert '6 |     "mcp>=1.2",' in full.stdout  # the code frame is the manifest's line
    assert "^^^^^^^^^^" in full.stdout


def test_linting_one_file_finds_the_manifest_above_it(tmp_path):
    project(tmp_path)
    result = run_cli("--output-format", "json", "notes/server.py", cwd=tmp_path)
    assert [f["path"] for f in findings(result, "MCP601")] == ["pyproject.toml"]


def test_parallel_run_brings_facts_back_from_the_workers(tmp_path, monkeypatch):
    project(tmp_path)
    for i in range(6):
        write(tmp_path, f"notes/extra_{i}.py", "import os\n")
    monkeypatch.setattr(runner, "SERIAL_FILES", 0)
    monkeypatch.setattr(runner, "SERIAL_BYTES", 0)
    result = run_cli("-j", "2", "--output-format", "json", ".", cwd=tmp_path)
    assert [f["path"] for f in findings(result, "MCP601")] == ["pyproject.toml"]


# -- suppressions and ignores in manifests -------------------------------------------------------

@pytest.mark.parametrize("comment", ["  # noqa: MCP601", "  # noqa: unbounded-mcp-dependency",
                                     "  # mcp-lint: ignore[MCP6]", "  # noqa"])
def test_noqa_on_the_dependency_line_suppresses(tmp_path, comment):
    project(tmp_path, comment)
    result = run_cli("--output-format", "json", ".", cwd=tmp_path)
    assert findings(result, "MCP601") == []
    assert result.exit_code == 0


def test_noqa_for_another_rule_does_not_suppress(tmp_path):
    project(tmp_path, "  # noqa: MCP101")
    assert len(findings(run_cli("--output-format", "json", ".", cwd=tmp_path), "MCP601")) == 1


def test_own_line_and_file_level_suppressions_in_a_manifest(tmp_path):
    write(tmp_path, "requirements.txt", "httpx\n# mcp-lint: ignore[MCP601]\nmcp>=1.2\n")
    write(tmp_path, "server.py", V1_SERVER)
    assert findings(run_cli("--output-format", "json", ".", cwd=tmp_path), "MCP601") == []
    write(tmp_path, "requirements.txt", "# mcp-lint: file-ignore[MCP601]\nhttpx\n\nmcp>=1.2\n")
    assert findings(run_cli("--output-format", "json", ".", cwd=tmp_path), "MCP601") == []
    write(tmp_path, "requirements.txt", "httpx\nmcp>=1.2  # noqa: MCP601\n")
    assert findings(run_cli("--output-format", "json", ".", cwd=tmp_path), "MCP601") == []
    write(tmp_path, "requirements.txt", "httpx\nmcp>=1.2  # pinned later\n")
    (f,) = findings(run_cli("--output-format", "json", ".", cwd=tmp_path), "MCP601")
    assert (f["path"], f["start"]["line"], f["start"]["column"], f["end"]["column"]) == ("requirements.txt", 2, 1, 9)


def test_per_file_ignores_apply_to_the_manifest_path(tmp_path):
    project(tmp_path)
    text = (tmp_path / "pyproject.toml").read_text()
    (tmp_path / "pyproject.toml").write_text(text + '\n[tool.mcp-lint.per-file-ignores]\n"pyproject.toml" = ["MCP601"]\n')
    assert findings(run_cli("--output-format", "json", ".", cwd=tmp_path), "MCP601") == []


def test_a_baseline_records_manifest_findings_and_survives_lines_moving(tmp_path):
    project(tmp_path)
    assert run_cli("--write-baseline", "baseline.json", ".", cwd=tmp_path).exit_code == 0
    manifest = tmp_path / "pyproject.toml"
    manifest.write_text("# the project\n\n" + manifest.read_text())  # the requirement moves down
    kept = run_cli("--baseline", "baseline.json", "--output-format", "json", ".", cwd=tmp_path)
    assert kept.exit_code == 0 and findings(kept) == []
    manifest.write_text(manifest.read_text().replace('"mcp>=1.2"', '"mcp>=1.3"'))  # a changed requirement
    assert len(findings(run_cli("--baseline", "baseline.json", "--output-format", "json", ".", cwd=tmp_path),
                        "MCP601")) == 1


def test_severity_override_applies_to_project_rules(tmp_path):
    project(tmp_path)
    text = (tmp_path / "pyproject.toml").read_text()
    (tmp_path / "pyproject.toml").write_text(text + '\n[tool.mcp-lint.severity]\nMCP601 = "error"\n')
    (f,) = findings(run_cli("--output-format", "json", ".", cwd=tmp_path), "MCP601")
    assert f["severity"] == "error"


def test_ignore_and_select_work_for_project_rules(tmp_path):
    project(tmp_path)
    assert findings(run_cli("--ignore", "MCP601", "--output-format", "json", ".", cwd=tmp_path)) == []
    only = run_cli("--select", "MCP601", "--output-format", "json", ".", cwd=tmp_path)
    assert [f["id"] for f in findings(only)] == ["MCP601"]


# -- which manifest governs ------------------------------------------------------------------------

def test_a_settings_only_pyproject_does_not_stop_the_search(tmp_path):
    project(tmp_path)
    write(tmp_path, "notes/pyproject.toml", "[tool.mcp-lint]\nselect = ['ALL']\n")
    index = ManifestIndex()
    (manifest,) = index.governing(tmp_path / "notes" / "server.py")
    assert manifest.path == (tmp_path / "pyproject.toml").resolve()


def test_a_setup_py_project_root_stops_the_search(tmp_path):
    project(tmp_path)
    write(tmp_path, "notes/setup.py", "from setuptools import setup\nsetup(name='notes')\n")
    assert ManifestIndex().governing(tmp_path / "notes" / "server.py") == ()
    assert findings(run_cli("--output-format", "json", ".", cwd=tmp_path), "MCP601") == []


def test_the_search_stops_at_the_repository_root(tmp_path):
    project(tmp_path)
    (tmp_path / "notes" / ".git").mkdir()
    assert ManifestIndex().governing(tmp_path / "notes" / "server.py") == ()


def test_pyproject_and_requirements_in_one_directory_are_judged_each(tmp_path):
    project(tmp_path)
    write(tmp_path, "requirements.txt", "mcp==1.9.4\n")
    write(tmp_path, "requirements-dev.txt", "pytest\nmcp\n")
    got = sorted((f["path"], f["start"]["line"]) for f in findings(
        run_cli("--output-format", "json", ".", cwd=tmp_path), "MCP601"))
    assert got == [("pyproject.toml", 6), ("requirements-dev.txt", 2)]


def test_a_bound_in_the_main_dependencies_covers_the_extras(tmp_path):
    write(tmp_path, "pyproject.toml", '[project]\nname = "n"\nversion = "1"\ndependencies = ["mcp>=1.2,<2"]\n'
                                      '[project.optional-dependencies]\ncli = ["mcp[cli]>=1.2"]\n')
    write(tmp_path, "server.py", V1_SERVER)
    assert findings(run_cli("--output-format", "json", ".", cwd=tmp_path), "MCP601") == []


@pytest.mark.parametrize("requirement", ["mcp>=2", "mcp>=2.1,!=2.2.0", "mcp==2.*", "mcp~=2.0"])
def test_a_requirement_starting_at_the_new_major_is_not_this_rule(tmp_path, requirement):
    write(tmp_path, "requirements.txt", requirement + "\n")
    write(tmp_path, "examples/old_api.py", V1_SERVER)
    assert findings(run_cli("--output-format", "json", ".", cwd=tmp_path), "MCP601") == []


def test_invalid_manifests_are_skipped_with_a_message(tmp_path):
    """A manifest that is not valid TOML governs nothing, and the run says so (MCP601 could
    not judge it): a per-file message, not a finding, and the run goes on."""
    write(tmp_path, "pyproject.toml", '[project]\nname = "n"\ndependencies = ["mcp>=1"\n')  # invalid TOML
    write(tmp_path, "server.py", V1_SERVER)
    result = run_cli("--output-format", "json", "server.py", cwd=tmp_path)
    assert findings(result, "MCP601") == []
    (error,) = result.json()["errors"]
    assert error["path"] == "pyproject.toml" and error["rule"] is None and "invalid TOML" in error["message"]
    assert "pyproject.toml: not read for project rules" in result.stderr


# -- manifest parsing --------------------------------------------------------------------------------

def test_toml_scanner_locates_each_requirement():
    text = '''\
# a comment with "quotes" and [brackets]
[project]
name = "x"  # trailing
dependencies = [
    "httpx>=0.27",   # "mcp>=1" in a comment is not a requirement
    'mcp[cli] >= 1.2 ; python_version >= "3.10"',
    """fastmcp""",
]
[project.optional-dependencies]
extra = ["mcp>=1.0"]
[tool.poetry.dependencies]
python = "^3.10"
"MCP" = {version = "^1.4", extras = ["cli"]}  # pinned by caret
'''
    manifest = parse_pyproject(Path("pyproject.toml"), text)
    located = [(d.name, d.section, d.span.start_line, text[d.span.start_offset:d.span.end_offset])
               for d in manifest.dependencies]
    assert located == [
        ("httpx", "project.dependencies", 5, '"httpx>=0.27"'),
        ("mcp", "project.dependencies", 6, '\'mcp[cli] >= 1.2 ; python_version >= "3.10"\''),
        ("fastmcp", "project.dependencies", 7, '"""fastmcp"""'),
        ("mcp", "project.optional-dependencies", 10, '"mcp>=1.0"'),
        ("mcp", "tool.poetry.dependencies", 13, '"MCP" = {version = "^1.4", extras = ["cli"]}'),
    ]
    assert [c.line for c in manifest.comments] == [1, 3, 5, 13]
    assert not admits_from(manifest.dependencies[-1], 2)


def test_requirements_parser_skips_options_and_keeps_spans():
    text = ("-r base.txt\n--index-url https://pypi.example/simple\n"
            "mcp==1.9.4 \\\n    --hash=sha256:abc\n"
            "git+https://example.com/repo.git#egg=tool\n"
            "  fastmcp>=2  # comment\n")
    manifest = parse_requirements(Path("requirements.txt"), text)
    assert [(d.name, d.span.start_line, d.span.start_col, d.span.end_col) for d in manifest.dependencies] == [
        ("mcp", 3, 1, 11), ("fastmcp", 6, 3, 13)]
    assert [(c.line, c.col) for c in manifest.comments] == [(6, 15)]


@pytest.mark.parametrize("spec, admits", [
    ("mcp", True), ("mcp>=1.1", True), ("mcp<3", True), ("mcp<2.1", True), ("mcp<=2", True),
    ("mcp!=2.0", True), ("mcp>=2", True), ("mcp==2.*", True), ("mcp~=2.0", True),
    ("mcp<2", False), ("mcp<2.0.0", False), ("mcp>=1.1,<2", False), ("mcp~=1.9", False),
    ("mcp~=1.9.2", False), ("mcp==1.9.0", False), ("mcp==1.*", False), ("mcp<=1.99", False),
    ("mcp===1.9.0", False),
])
def test_upper_bounds(spec, admits):
    (dep,) = parse_requirements(Path("requirements.txt"), spec + "\n").dependencies
    assert admits_from(dep, 2) is admits


@pytest.mark.parametrize("constraint, expected", [
    ("^1.2", "<2,>=1.2"), ("^0.3", "<0.4,>=0.3"), ("~1.2", "<1.3,>=1.2"), ("~1", "<2,>=1"),
    (">= 1.2, < 2", "<2,>=1.2"), ("1.2.3", "==1.2.3"), ("*", ""),
])
def test_poetry_constraints(constraint, expected):
    assert str(poetry_specifier(constraint)) == expected


# -- rule examples with extra files -----------------------------------------------------------------

def test_an_example_expecting_the_finding_in_the_wrong_file_fails():
    from dataclasses import replace

    from mcp_lint.packs.registry import default_registry
    from mcp_lint.run.examples import ExampleCase, ExampleRunner

    registry = default_registry()
    rule = registry.get("MCP601")
    runner_ = ExampleRunner(registry)
    example = rule.invalid[0]
    assert example.files and example.lines_in == "pyproject.toml"
    assert runner_.run(ExampleCase(rule, "invalid", 0, example)).ok
    assert not runner_.run(ExampleCase(rule, "invalid", 0, replace(example, lines_in=""))).ok
    assert not runner_.run(ExampleCase(rule, "invalid", 0, replace(example, lines=(4,)))).ok
    assert not runner_.run(ExampleCase(rule, "valid", 0, example)).ok


def test_lines_in_must_name_a_file_of_the_example(tmp_path):
    from mcp_lint.model.errors import PackError
    from mcp_lint.packs.loader import load_pack

    pack = (Path(__file__).resolve().parents[1] / "rules" / "project.yaml").read_text(encoding="utf-8")
    broken = pack.replace("lines-in: requirements.txt", "lines-in: setup.cfg", 1)
    assert broken != pack
    path = tmp_path / "pack.yaml"
    path.write_text(broken.replace("pack: project", "pack: project-copy"), encoding="utf-8")
    with pytest.raises(PackError, match="lines-in: 'setup.cfg'"):
        load_pack(path)
    path.write_text(pack.replace("requirements.txt: |", "../requirements.txt: |", 1), encoding="utf-8")
    with pytest.raises(PackError, match="relative path inside"):
        load_pack(path)


def test_odd_manifest_files_never_break_the_run(tmp_path):
    import os

    write(tmp_path, "a/server.py", V1_SERVER)
    os.mkfifo(tmp_path / "a" / "requirements.txt")  # would block a read
    (tmp_path / "a" / "pyproject.toml").mkdir()  # a directory named like a manifest
    write(tmp_path, "b/server.py", V1_SERVER)
    (tmp_path / "b" / "requirements.txt").write_bytes(b"\xff\xfe\x00mcp>=1\x00\n\x80\x81\n")
    write(tmp_path, "c/server.py", V1_SERVER)
    write(tmp_path, "c/pyproject.toml", '[project]\nname = "c"\ndependencies = "mcp>=1"\n'
                                        '[project.optional-dependencies]\nx = [1, 2]\n')
    (tmp_path / "d").mkdir()
    write(tmp_path, "d/server.py", V1_SERVER)
    (tmp_path / "d" / "requirements.txt").symlink_to(tmp_path / "d" / "requirements.txt")  # a loop
    result = run_cli("--output-format", "json", "--exit-zero", ".", cwd=tmp_path)
    doc = result.json()
    assert result.exit_code == 0 and doc["errors"] == []
    assert [f["path"] for f in findings(result, "MCP601")] == []
