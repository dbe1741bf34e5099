"""Hostile configurations: values out of range, wrong shapes, deep nesting, a BOM, patterns
built to make a glob matcher backtrack, baselines and manifests that are not what they claim.

Each one exits 2 with one line naming the file (and the line when there is one), or is
reported and the run goes on; none of them may raise, hang or be silently ignored.
"""

from __future__ import annotations

import json

import pytest

from conftest import SERVER, findings, run_cli, run_process, write

V1_SERVER = SERVER


def _no_traceback(result) -> None:
    assert "Traceback" not in result.stderr and "Error:" not in result.stderr.replace("error:", ""), result.stderr


def _config_error(result, line: int | None, *words: str) -> str:
    """The one-line `error: FILE:LINE: ...` of a configuration problem."""
    assert result.exit_code == 2, (result.stdout, result.stderr)
    _no_traceback(result)
    errors = [x for x in result.stderr.splitlines() if x.startswith("error:")]
    assert len(errors) == 1, result.stderr
    message = errors[0]
    where = f"pyproject.toml:{line}:" if line else "pyproject.toml:"
    assert where in message, message
    for word in words:
        assert word in message, message
    assert result.stdout.strip() == ""
    return message


# -- row 4: numbers out of range -----------------------------------------------------------------

@pytest.mark.parametrize("value", [
    "9223372036854775807", "100000000000", '"' + "9" * 400 + ' GiB"', '"' + "9" * 5000 + ' GiB"', '"2 GiB"',
    "1073741825",
])
def test_max_file_size_out_of_range_names_file_line_and_range(tmp_path, value):
    write(tmp_path, "server.py", SERVER)
    write(tmp_path, "pyproject.toml", f"[tool.mcp-lint]\nselect = [\"MCP1\"]\nmax-file-size = {value}\n")
    _config_error(run_cli(".", cwd=tmp_path), 3, "max-file-size", "1 byte", "1 GiB")


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "1e300", "86401", "0", "-1"])
def test_file_timeout_out_of_range_names_file_line_and_range(tmp_path, value):
    write(tmp_path, "server.py", SERVER)
    write(tmp_path, "pyproject.toml", f"[tool.mcp-lint]\nfile-timeout = {value}\n")
    _config_error(run_cli(".", cwd=tmp_path), 2, "file-timeout", "86400")


@pytest.mark.parametrize("value, expected", [("1073741824", 1), ('"1 GiB"', 1), ('"1.5 KiB"', 1), ("86400", 1)])
def test_values_at_the_limits_are_accepted(tmp_path, value, expected):
    write(tmp_path, "server.py", SERVER)
    key = "file-timeout" if value == "86400" else "max-file-size"
    write(tmp_path, "pyproject.toml", f"[tool.mcp-lint]\n{key} = {value}\n")
    result = run_cli("--output-format", "json", ".", cwd=tmp_path)
    assert result.exit_code == expected, result.stderr
    assert [f["id"] for f in findings(result, "MCP101")] == ["MCP101"]


def test_an_integer_too_long_to_read_is_a_configuration_error(tmp_path):
    write(tmp_path, "server.py", SERVER)
    write(tmp_path, "pyproject.toml", "[tool.mcp-lint]\nmax-file-size = " + "9" * 5000 + "\n")
    _config_error(run_cli(".", cwd=tmp_path), 2, "number too long")


# -- row 5: wrong shapes and deep nesting ----------------------------------------------------------

@pytest.mark.parametrize("body, line, words", [
    ('[[tool.mcp-lint]]\nselect = ["MCP1"]\n', 1, ("must be a table", "array of tables")),
    ('[project]\nname = "x"\n[tool]\nmcp-lint = 1\n', 4, ("must be a table",)),
    ('tool.mcp-lint = "all"\n', 1, ("must be a table",)),
    ("[tool.mcp-lint]\nselect = " + "[" * 5000 + "]" * 5000 + "\n", 2, ("nested",)),
    ("[tool.mcp-lint]\nseverity = " + "{a=" * 3000 + "1" + "}" * 3000 + "\n", 2, ("nested",)),
    ('[tool.mcp-lint]\nselect = [["MCP1"]]\n', 2, ("select", "expected a string")),
    ('[tool.mcp-lint]\nseverity = {a = {a = "error"}}\n', 2, ("severity", "expected a string")),
    ('[tool.mcp-lint.per-file-ignores]\n"x" = [[["MCP1"]]]\n', 2, ("per-file-ignores",)),
])
def test_wrong_shapes_exit_2_naming_file_and_line(tmp_path, body, line, words):
    write(tmp_path, "server.py", SERVER)
    write(tmp_path, "pyproject.toml", body)
    _config_error(run_cli(".", cwd=tmp_path), line, *words)


def test_tool_that_is_not_a_table_in_a_config_file(tmp_path):
    write(tmp_path, "server.py", SERVER)
    write(tmp_path, "lint.toml", "tool = 1\n")
    result = run_cli("--config", "lint.toml", ".", cwd=tmp_path)
    assert result.exit_code == 2
    _no_traceback(result)
    assert "lint.toml:1:" in result.stderr and "`tool` must be a table" in result.stderr


def test_deep_nesting_as_a_real_process_has_no_traceback(tmp_path):
    write(tmp_path, "server.py", SERVER)
    write(tmp_path, "pyproject.toml", "[tool.mcp-lint]\nselect = " + "[" * 100_000 + "]" * 100_000 + "\n")
    proc = run_process(".", cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert "pyproject.toml:2:" in proc.stderr


# -- row 6: a byte order mark ----------------------------------------------------------------------

def test_a_pyproject_with_a_bom_is_read(tmp_path):
    write(tmp_path, "server.py", SERVER)
    (tmp_path / "pyproject.toml").write_bytes(b'\xef\xbb\xbf[tool.mcp-lint]\nselect = ["MCP4"]\n')
    result = run_cli("--output-format", "json", ".", cwd=tmp_path)
    assert findings(result, "MCP101") == []  # the configuration applies: only MCP4 rules
    (tmp_path / "pyproject.toml").write_bytes(b'\xef\xbb\xbf[tool.mcp-lint]\nslect = ["MCP4"]\n')
    _config_error(run_cli(".", cwd=tmp_path), 2, "slect")


def test_configuration_in_any_toml_spelling_is_found(tmp_path):
    """Dotted keys and `[tool]` tables define [tool.mcp-lint] too: never silently ignored."""
    write(tmp_path, "server.py", SERVER)
    for body in ('tool.mcp-lint.select = ["MCP4"]\n', '[tool]\nmcp-lint = {select = ["MCP4"]}\n',
                 '[tool."mcp-lint"]\nselect = ["MCP4"]\n'):
        write(tmp_path, "pyproject.toml", body)
        result = run_cli("--output-format", "json", ".", cwd=tmp_path)
        assert result.exit_code in (0, 1) and findings(result, "MCP101") == [], body


# -- row 3: globs that would backtrack -------------------------------------------------------------

LONG = [f"module_with_a_rather_long_name_{i}.py" for i in (1, 2, 3)]
# Each of these takes longer than the age of the universe with a backtracking translation.
BACKTRACKING = ["*" * 200 + "x", "*a" * 40 + "b", "**/a/" * 30 + "b", "*e*e*e*e*e*e*e*e*e*e*e*e*e*e*e*e*e*e*q"]


def _long_names(tmp_path):
    for name in LONG:
        write(tmp_path, name, SERVER)
    write(tmp_path, "a" * 200 + ".py", SERVER)
    (tmp_path / ".git").mkdir()


@pytest.mark.parametrize("where", ["gitignore", "exclude", "extend-exclude", "cli"])
def test_backtracking_globs_in_excludes_and_gitignore_finish(tmp_path, where):
    _long_names(tmp_path)
    patterns = BACKTRACKING + ["*_2.py"]
    args = []
    if where == "gitignore":
        write(tmp_path, ".gitignore", "\n".join(patterns) + "\n")
    elif where == "cli":
        for p in patterns:
            args += ["--extend-exclude", p]
    else:
        write(tmp_path, "pyproject.toml", f"[tool.mcp-lint]\n{where} = {json.dumps(patterns)}\n")
    proc = run_process("--no-cache", "--output-format", "json", *args, ".", cwd=tmp_path, timeout=60)
    assert proc.returncode == 1, proc.stderr
    linted = {f["path"] for f in json.loads(proc.stdout)["findings"]}
    assert linted == {LONG[0], LONG[2], "a" * 200 + ".py"}  # only `*_2.py` matched


def test_backtracking_globs_in_per_file_ignores_finish(tmp_path):
    _long_names(tmp_path)
    table = "".join(f"{json.dumps(p)} = [\"MCP101\"]\n" for p in BACKTRACKING + ["*****_2.py"])
    write(tmp_path, "pyproject.toml", "[tool.mcp-lint.per-file-ignores]\n" + table)
    proc = run_process("--no-cache", "--output-format", "json", "--select", "MCP101", ".", cwd=tmp_path, timeout=60)
    assert proc.returncode == 1, proc.stderr
    flagged = {f["path"] for f in json.loads(proc.stdout)["findings"]}
    assert flagged == {LONG[0], LONG[2], "a" * 200 + ".py"}


def test_invalid_gitignore_lines_are_skipped_as_git_skips_them(tmp_path):
    write(tmp_path, "server.py", SERVER)
    write(tmp_path, "ignored.py", SERVER)
    (tmp_path / ".git").mkdir()
    write(tmp_path, ".gitignore", "foo\\\n[z-a]\n[unclosed\n!\nignored.py\n[[:nosuch:]]\n")
    result = run_cli("--output-format", "json", ".", cwd=tmp_path)
    assert result.exit_code == 1, result.stderr
    assert {f["path"] for f in findings(result)} == {"server.py"}


@pytest.mark.parametrize("key, body", [
    ("exclude", 'exclude = ["build", "foo\\\\"]'),
    ("extend-exclude", 'extend-exclude = ["[unclosed"]'),
    ("per-file-ignores", '[tool.mcp-lint.per-file-ignores]\n"tests/\\\\" = ["MCP1"]'),
])
def test_invalid_patterns_in_the_configuration_exit_2(tmp_path, key, body):
    write(tmp_path, "server.py", SERVER)
    text = body if body.startswith("[") else "[tool.mcp-lint]\n" + body
    write(tmp_path, "pyproject.toml", text + "\n")
    _config_error(run_cli(".", cwd=tmp_path), 2, key, "not a valid pattern")


def test_an_invalid_extend_exclude_on_the_command_line_exits_2(tmp_path):
    write(tmp_path, "server.py", SERVER)
    result = run_cli("--extend-exclude", "a[", ".", cwd=tmp_path)
    assert result.exit_code == 2 and "--extend-exclude" in result.stderr and "not a valid pattern" in result.stderr


# -- row 8: a linted project's manifest ------------------------------------------------------------

@pytest.mark.parametrize("hostile, line", [
    ("deep = " + "[" * 60_000 + "]" * 60_000, 4),
    ("big = " + "9" * 5000, 4),
    ("table = " + "{a=" * 3000 + "1" + "}" * 3000, 4),
])
def test_a_hostile_project_manifest_is_reported_and_the_run_goes_on(tmp_path, hostile, line):
    write(tmp_path, "pyproject.toml", '[project]\nname = "demo"\ndependencies = ["mcp>=1.2"]\n' + hostile + "\n")
    write(tmp_path, "server.py", V1_SERVER)
    proc = run_process("--no-cache", "--output-format", "json", ".", cwd=tmp_path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    doc = json.loads(proc.stdout)
    assert [f["id"] for f in doc["findings"] if f["id"] == "MCP101"] == ["MCP101"]  # the run went on
    (error,) = doc["errors"]
    assert error["path"] == "pyproject.toml" and error["line"] == line and error["rule"] is None
    assert "pyproject.toml: not read for project rules" in proc.stderr


# -- row 12b: a baseline that is not one ---------------------------------------------------------

@pytest.mark.parametrize("content", ["[" * 100_000, "{\"a\":" * 100_000])
def test_a_deeply_nested_baseline_is_not_a_baseline_file(tmp_path, content):
    write(tmp_path, "server.py", SERVER)
    (tmp_path / "baseline.json").write_text(content, encoding="utf-8")
    proc = run_process("--no-cache", "--baseline", "baseline.json", ".", cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert "baseline.json" in proc.stderr and "not a baseline file" in proc.stderr


# -- row 13-10: nothing to lint ----------------------------------------------------------------------

def test_an_empty_folder_warns_that_nothing_was_linted(tmp_path):
    (tmp_path / "empty").mkdir()
    result = run_cli("empty", cwd=tmp_path)
    assert result.exit_code == 0
    assert "warning: no Python files to lint" in result.stderr
    assert run_cli("-q", "empty", cwd=tmp_path).stderr == ""


@pytest.mark.parametrize("how", ["cli", "config"])
def test_an_empty_selection_warns_that_no_rules_ran(tmp_path, how):
    write(tmp_path, "server.py", SERVER)
    args = ["--select", ""] if how == "cli" else []
    if how == "config":
        write(tmp_path, "pyproject.toml", "[tool.mcp-lint]\nselect = []\n")
    result = run_cli(*args, ".", cwd=tmp_path)
    assert result.exit_code == 0
    assert "warning: no rules are enabled" in result.stderr


def test_a_normal_run_has_no_nothing_linted_warning(tmp_path):
    write(tmp_path, "server.py", SERVER)
    result = run_cli(".", cwd=tmp_path)
    assert result.exit_code == 1 and "warning" not in result.stderr
