"""The contract CI relies on: exit codes and reports that never say "fine" after a failure, one
line for every user-facing failure, settings that govern the files they sit above, and the
options CI and editors use (--fail-on, --show-settings, --show-files, stdin)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import SERVER, run_cli, write

# A stdio server with a print (MCP501, error, safe fix) and an untyped parameter (MCP201, warning).
STDIO_SERVER = '''\
from mcp.server.fastmcp import FastMCP

mcp = FastMCP("demo")


@mcp.tool()
def echo(value) -> str:
    """Echo the value."""
    print("called")
    return str(value)


if __name__ == "__main__":
    mcp.run()
'''


def _one_line_error(result, *fragments: str) -> None:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], result.stderr
    assert "All checks passed" not in result.stdout


# -- output files ------------------------------------------------------------------------------

def test_an_output_file_that_is_a_directory_is_one_line_and_exit_2(tmp_path):
    write(tmp_path, "s.py", SERVER)
    (tmp_path / "out").mkdir()
    _one_line_error(run_cli("-o", "out", "s.py", cwd=tmp_path), "out")
    _one_line_error(run_cli("--write-baseline", "out", "s.py", cwd=tmp_path), "out")


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_an_output_file_that_cannot_be_written_is_one_line_and_exit_2(tmp_path):
    write(tmp_path, "s.py", SERVER)
    _one_line_error(run_cli("-o", "/dev/full", "s.py", cwd=tmp_path), "/dev/full")


def test_a_failed_report_write_leaves_the_old_report_intact(tmp_path):
    write(tmp_path, "s.py", SERVER)
    out = tmp_path / "reports"
    out.mkdir()
    (out / "r.json").write_text("previous", encoding="utf-8")
    out.chmod(0o500)
    try:
        if os.access(out, os.W_OK):
            pytest.skip("running with privileges that ignore file modes")
        result = run_cli("--output-format", "json", "-o", "reports/r.json", "s.py", cwd=tmp_path)
        _one_line_error(result, "reports/r.json")
        assert (out / "r.json").read_text(encoding="utf-8") == "previous"
    finally:
        out.chmod(0o700)


# -- paths and commands ------------------------------------------------------------------------

def test_a_missing_path_fails_the_run_and_never_passes(tmp_path):
    write(tmp_path, "s.py", "X = 1\n")
    result = run_cli("s.py", "nope.py", cwd=tmp_path)
    assert result.exit_code == 2
    assert "nope.py: no such file or directory" in result.stderr
    assert "All checks passed" not in result.stdout


def test_a_mistyped_command_gets_a_suggestion(tmp_path):
    result = run_cli("chekc", ".", cwd=tmp_path)
    assert result.exit_code == 2
    assert "did you mean the command `mcp-lint check`" in result.stderr


def test_an_empty_folder_says_nothing_was_linted(tmp_path):
    result = run_cli(".", cwd=tmp_path)
    assert result.exit_code == 0
    assert "no Python files to lint" in result.stderr


@pytest.mark.parametrize("args, config", [
    (["--select", ""], None),
    ([], "[tool.mcp-lint]\nselect = []\n"),
])
def test_no_enabled_rules_says_nothing_was_checked(tmp_path, args, config):
    write(tmp_path, "s.py", SERVER)
    if config:
        write(tmp_path, "pyproject.toml", config)
    result = run_cli(*args, "s.py", cwd=tmp_path)
    assert "no rules are enabled" in result.stderr


# -- quiet and statistics ----------------------------------------------------------------------

def test_quiet_means_findings_only(tmp_path):
    write(tmp_path, "s.py", SERVER)
    result = run_cli("-q", "s.py", cwd=tmp_path)
    assert result.exit_code == 1
    assert "s.py:11:5: MCP101" in result.stdout
    assert "Found" not in result.stdout and "fixable" not in result.stdout
    stats = run_cli("-q", "--statistics", "s.py", cwd=tmp_path)
    assert "MCP101" in stats.stdout and "Found" not in stats.stdout


def test_statistics_honour_the_json_format(tmp_path):
    write(tmp_path, "s.py", SERVER)
    result = run_cli("--statistics", "--output-format", "json", "s.py", cwd=tmp_path)
    rows = json.loads(result.stdout)
    assert [(r["code"], r["count"]) for r in rows] == [("MCP101", 1)]
    refused = run_cli("--statistics", "--output-format", "sarif", "s.py", cwd=tmp_path)
    _one_line_error(refused, "--statistics")


# -- fixes -------------------------------------------------------------------------------------

def test_unsafe_fixes_without_fix_is_a_warning(tmp_path):
    write(tmp_path, "s.py", SERVER)
    result = run_cli("--unsafe-fixes", "s.py", cwd=tmp_path)
    assert "--unsafe-fixes has no effect without --fix" in result.stderr


def test_the_summary_names_hidden_unsafe_fixes(tmp_path):
    write(tmp_path, "s.py", '''\
        from mcp.server.fastmcp import FastMCP

        mcp = FastMCP("demo")


        @mcp.tool
        def echo(value: str) -> str:
            """Echo."""
            return value
        ''')
    result = run_cli("s.py", cwd=tmp_path)
    assert "MCP204" in result.stdout
    assert "1 hidden fix can be enabled with the `--unsafe-fixes` option" in result.stdout


def test_the_report_after_fix_is_a_check_of_the_fixed_tree(tmp_path):
    """Fixes run with the run's filters: a finding per-file-ignores hides is neither fixed nor shown."""
    write(tmp_path, "pyproject.toml", '[tool.mcp-lint.per-file-ignores]\n"ignored.py" = ["MCP501"]\n')
    write(tmp_path, "fixed.py", STDIO_SERVER)
    write(tmp_path, "ignored.py", STDIO_SERVER)
    result = run_cli("--fix", "--output-format", "json", ".", cwd=tmp_path)
    after = {(f["path"], f["id"]) for f in result.json()["findings"]}
    check = run_cli("--output-format", "json", ".", cwd=tmp_path)
    assert after == {(f["path"], f["id"]) for f in check.json()["findings"]}
    assert ("fixed.py", "MCP501") not in after and ("ignored.py", "MCP501") not in after
    assert "file=sys.stderr" in (tmp_path / "fixed.py").read_text(encoding="utf-8")
    assert "file=sys.stderr" not in (tmp_path / "ignored.py").read_text(encoding="utf-8")


# -- --fail-on ---------------------------------------------------------------------------------

def test_fail_on_gates_the_exit_code_by_severity(tmp_path):
    write(tmp_path, "s.py", STDIO_SERVER.replace('    print("called")\n', ""))  # only MCP201: a warning
    assert run_cli("s.py", cwd=tmp_path).exit_code == 1
    assert run_cli("--fail-on", "error", "s.py", cwd=tmp_path).exit_code == 0
    assert run_cli("--fail-on", "warning", "s.py", cwd=tmp_path).exit_code == 1
    write(tmp_path, "pyproject.toml", '[tool.mcp-lint]\nfail-on = "error"\n')
    assert run_cli("s.py", cwd=tmp_path).exit_code == 0
    _one_line_error(run_cli("--fail-on", "fatal", "s.py", cwd=tmp_path), "--fail-on")


# -- configuration -----------------------------------------------------------------------------

def test_each_file_follows_the_nearest_configuration_in_either_order(tmp_path):
    write(tmp_path, "pyproject.toml", '[tool.mcp-lint]\nignore = ["MCP101"]\n')
    write(tmp_path, "a/s.py", SERVER)
    write(tmp_path, "b/pyproject.toml", '[tool.mcp-lint]\nselect = ["MCP101"]\n')
    write(tmp_path, "b/s.py", SERVER)
    for order in (("a", "b"), ("b", "a")):
        result = run_cli("--output-format", "json", *order, cwd=tmp_path)
        assert sorted((f["path"], f["id"]) for f in result.json()["findings"]) == [("b/s.py", "MCP101")], order


def test_rule_and_rules_read_the_configuration_like_check(tmp_path):
    write(tmp_path, "our.yaml", '''\
        pack: ours
        description: Our rules.
        rules:
          - id: OUR001
            name: our-probe
            message: "Our probe."
            severity: warning
            confidence: high
            tags: [custom]
            docs: {what: A probe., why: Because.}
            check:
              primitive: tainted-call
              sinks: [{call: probe.sink}]
            examples:
              invalid: [{code: "x = 1\\n", lines: [1]}]
              valid: [{code: "x = 1\\n"}]
        ''')
    write(tmp_path, "pyproject.toml", '[tool.mcp-lint]\nrule-packs = ["our.yaml"]\n[tool.mcp-lint.severity]\nMCP201 = "error"\n')
    assert run_cli("rule", "OUR001", cwd=tmp_path).exit_code == 0
    rows = {r["id"]: r for r in json.loads(run_cli("rules", "--output-format", "json", cwd=tmp_path).stdout)}
    assert rows["MCP201"]["severity"] == "error" and "OUR001" in rows


def test_show_settings_names_the_file_and_the_rules(tmp_path):
    write(tmp_path, "pyproject.toml", '[tool.mcp-lint]\nselect = ["MCP101"]\n')
    write(tmp_path, "s.py", SERVER)
    result = run_cli("--show-settings", "s.py", cwd=tmp_path)
    assert result.exit_code == 0
    assert "pyproject.toml" in result.stdout and "enabled rules" in result.stdout and "MCP101" in result.stdout


def test_show_files_lists_what_would_be_linted(tmp_path):
    write(tmp_path, "s.py", SERVER)
    write(tmp_path, "build/gen.py", SERVER)
    result = run_cli("--show-files", ".", cwd=tmp_path)
    assert result.exit_code == 0
    assert result.stdout.splitlines() == ["s.py"]


# -- stdin -------------------------------------------------------------------------------------

def _stdin(tmp_path, source: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mcp_lint", "check", "-", *args], input=source, text=True,
                          capture_output=True, cwd=tmp_path, timeout=120)


def test_stdin_is_linted_as_the_named_file(tmp_path):
    write(tmp_path, "pyproject.toml", '[tool.mcp-lint.per-file-ignores]\n"skip/*" = ["MCP101"]\n')
    out = _stdin(tmp_path, SERVER, "--stdin-filename", "app/server.py", "--output-format", "concise")
    assert out.returncode == 1, out.stderr
    assert "app/server.py:11:5: MCP101" in out.stdout
    ignored = _stdin(tmp_path, SERVER, "--stdin-filename", "skip/server.py")
    assert ignored.returncode == 0, ignored.stdout


def test_stdin_with_fix_prints_the_fixed_source(tmp_path):
    out = _stdin(tmp_path, STDIO_SERVER, "--stdin-filename", "s.py", "--fix", "--select", "MCP501")
    assert 'print("called", file=sys.stderr)' in out.stdout
    assert out.returncode == 0, out.stderr


# -- the error boundary ------------------------------------------------------------------------

def test_a_bug_prints_its_traceback_asks_for_a_report_and_exits_2(capsys):
    from mcp_lint.cli.outcome import guarded

    def broken() -> int:
        raise RuntimeError("an invariant broke")

    assert guarded(broken) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and "RuntimeError: an invariant broke" in err and "please report" in err


def test_the_sarif_category_default_is_documented_once(tmp_path):
    write(tmp_path, "s.py", SERVER)
    doc = json.loads(run_cli("--output-format", "sarif", "s.py", cwd=tmp_path).stdout)
    assert doc["runs"][0]["automationDetails"]["id"] == "mcp-lint/"
    named = json.loads(run_cli("--output-format", "sarif", "--sarif-category", "mcp/api", "s.py",
                               cwd=tmp_path).stdout)
    assert named["runs"][0]["automationDetails"]["id"] == "mcp/api/"


def test_min_confidence_filters_findings_by_how_they_were_reached(tmp_path):
    write(tmp_path, "s.py", SERVER + '''

@mcp.tool()
def notify(channel: str) -> str:
    """Notify a channel."""
    try:
        send(channel)
    except Exception:
        pass
    return "sent"
''')
    every = {f["id"] for f in run_cli("--output-format", "json", "s.py", cwd=tmp_path).json()["findings"]}
    assert {"MCP101", "MCP302"} <= every
    medium = run_cli("--output-format", "json", "--min-confidence", "medium", "s.py", cwd=tmp_path).json()["findings"]
    assert {f["confidence"] for f in medium} <= {"high", "medium"} and "MCP101" in {f["id"] for f in medium}
    high = run_cli("--output-format", "json", "--min-confidence", "high", "s.py", cwd=tmp_path).json()["findings"]
    assert {f["confidence"] for f in high} <= {"high"} and "MCP101" not in {f["id"] for f in high}  # medium by default
    write(tmp_path, "pyproject.toml", '[tool.mcp-lint]\nmin-confidence = "high"\n')
    configured = run_cli("--output-format", "json", "s.py", cwd=tmp_path).json()["findings"]
    assert {f["id"] for f in configured} == {f["id"] for f in high}
    _one_line_error(run_cli("--min-confidence", "certain", "s.py", cwd=tmp_path), "--min-confidence")
