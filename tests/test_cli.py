"""The `mcp-lint` command end to end: default command, exit codes, robustness on bad input,
output options, rule documentation, internal errors in rules, parallel runs, entry points."""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import libcst as cst
import pytest

import mcp_lint
from conftest import SERVER, findings, run_cli, run_process, write
from mcp_lint.run import scheduler as runner, workers
from mcp_lint.check.primitives import PRIMITIVES
from mcp_lint.check.primitives.base import Primitive

CLEAN = '''\
import sqlite3
from mcp.server.fastmcp import FastMCP

mcp = FastMCP("orders")

@mcp.tool()
def find_orders(customer: str) -> list:
    """Orders of one customer."""
    conn = sqlite3.connect("shop.db")
    cur = conn.cursor()
    cur.execute("SELECT * FROM orders WHERE customer = ?", (customer,))
    return cur.fetchall()
'''

SYNTAX_ERROR = '''\
from mcp.server.fastmcp import FastMCP

mcp = FastMCP("demo")

@mcp.tool()
def add(a: int, b: int) -> int
    return a + b
'''


def _no_traceback(*texts: str) -> None:
    for text in texts:
        assert "Traceback" not in text, text


def _located(result, rule: str | None = None) -> list[tuple[str, int, int]]:
    return [(f["path"], f["start"]["line"], f["start"]["column"]) for f in findings(result, rule)]


# -- default command and exit codes ----------------------------------------------------------------

def test_clean_file_exits_0(tmp_path):
    path = write(tmp_path, "server.py", CLEAN)
    result = run_cli(path)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "All checks passed (1 file examined)" in result.stdout


def test_fstring_sql_in_tool_exits_1_with_mcp101(tmp_path):
    write(tmp_path, "server.py", SERVER)
    result = run_cli("--output-format", "json", "server.py", cwd=tmp_path)
    assert result.exit_code == 1
    hits = findings(result, "MCP101")
    assert [(f["path"], f["start"]["line"], f["start"]["column"]) for f in hits] == [("server.py", 11, 5)]
    assert "customer" in hits[0]["message"]
    assert hits[0]["name"] == "sql-string-formatting"
    assert hits[0]["severity"] == "error"


def test_bare_path_is_the_check_command(tmp_path):
    write(tmp_path, "server.py", SERVER)
    implicit = run_cli("--output-format", "concise", "server.py", cwd=tmp_path)
    explicit = run_cli("check", "--output-format", "concise", "server.py", cwd=tmp_path)
    assert implicit.exit_code == explicit.exit_code == 1
    assert implicit.stdout == explicit.stdout
    assert "server.py:11:5: MCP101" in implicit.stdout


def test_options_before_path_also_mean_check(tmp_path):
    write(tmp_path, "server.py", SERVER)
    result = run_cli("--select", "MCP101", "--output-format", "concise", ".", cwd=tmp_path)
    assert result.exit_code == 1
    assert "server.py:11:5: MCP101" in result.stdout


def test_no_arguments_lints_the_current_directory(tmp_path):
    write(tmp_path, "pkg/server.py", SERVER)
    write(tmp_path, "pkg/other.py", CLEAN)
    result = run_cli(cwd=tmp_path)
    assert result.exit_code == 1
    assert "pkg/server.py:11:5: MCP101" in result.stdout
    assert "2 files examined" in result.stdout


def test_missing_path_exits_2(tmp_path):
    write(tmp_path, "server.py", CLEAN)
    result = run_cli("server.py", "does-not-exist.py", cwd=tmp_path)
    assert result.exit_code == 2
    assert "does-not-exist.py" in result.stderr
    assert "no such file" in result.stderr


def test_unknown_option_exits_2(tmp_path):
    result = run_cli("--no-such-option", str(tmp_path))
    assert result.exit_code == 2


def test_bad_output_format_exits_2(tmp_path):
    write(tmp_path, "server.py", CLEAN)
    result = run_cli("--output-format", "xml", str(tmp_path))
    assert result.exit_code == 2


# -- never crash on input ------------------------------------------------------------------------

def test_syntax_error_is_mcp001_and_other_files_are_still_linted(tmp_path):
    write(tmp_path, "a_broken.py", SYNTAX_ERROR)
    write(tmp_path, "b_server.py", SERVER)
    write(tmp_path, "c_clean.py", CLEAN)
    result = run_cli("--output-format", "json", ".", cwd=tmp_path)
    _no_traceback(result.stdout, result.stderr)
    assert result.exit_code == 1
    doc = result.json()
    assert doc["files_examined"] == 3
    parse = findings(result, "MCP001")
    assert [(f["path"], f["start"]["line"]) for f in parse] == [("a_broken.py", 6)]
    assert "syntax error" in parse[0]["message"]
    assert _located(result, "MCP101") == [("b_server.py", 11, 5)]
    assert not [f for f in doc["findings"] if f["path"] == "c_clean.py"]


def test_syntax_error_full_output_has_no_traceback(tmp_path):
    write(tmp_path, "broken.py", "def f(:\n    pass\n")
    result = run_cli("broken.py", cwd=tmp_path)
    _no_traceback(result.stdout, result.stderr)
    assert result.exit_code == 1
    assert "broken.py:1:7: MCP001 [parse-error] syntax error" in result.stdout


def test_non_utf8_file_is_mcp001(tmp_path):
    (tmp_path / "latin.py").write_bytes(b"x = 1\nname = '\xff\xfe caf\xe9'\n")
    write(tmp_path, "server.py", SERVER)
    result = run_cli("--output-format", "json", ".", cwd=tmp_path)
    _no_traceback(result.stdout, result.stderr)
    assert result.exit_code == 1
    parse = findings(result, "MCP001")
    assert [f["path"] for f in parse] == ["latin.py"]
    assert "utf-8" in parse[0]["message"].lower()
    assert "line 2" in parse[0]["message"]
    assert _located(result, "MCP101") == [("server.py", 11, 5)]


def test_declared_latin1_encoding_is_read_correctly(tmp_path):
    (tmp_path / "latin.py").write_bytes(b"# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n")
    result = run_cli("--output-format", "json", "latin.py", cwd=tmp_path)
    assert result.exit_code == 0, result.stdout
    assert findings(result) == []


def test_unknown_encoding_declaration_is_mcp001(tmp_path):
    (tmp_path / "weird.py").write_bytes(b"# -*- coding: no-such-codec -*-\nx = 1\n")
    result = run_cli("--output-format", "json", "weird.py", cwd=tmp_path)
    _no_traceback(result.stdout, result.stderr)
    assert result.exit_code == 1
    assert [f["path"] for f in findings(result, "MCP001")] == ["weird.py"]


def test_utf8_bom_is_accepted(tmp_path):
    (tmp_path / "bom.py").write_bytes("\ufeffx = 'é'\n".encode("utf-8"))
    result = run_cli("--output-format", "json", "bom.py", cwd=tmp_path)
    assert result.exit_code == 0, result.stdout
    assert findings(result) == []


def test_nul_bytes_are_mcp001(tmp_path):
    (tmp_path / "binary.py").write_bytes(b"x = 1\ny = 2\x00\x01\n")
    write(tmp_path, "server.py", SERVER)
    result = run_cli("--output-format", "json", ".", cwd=tmp_path)
    _no_traceback(result.stdout, result.stderr)
    assert result.exit_code == 1
    parse = findings(result, "MCP001")
    assert [f["path"] for f in parse] == ["binary.py"]
    assert "NUL" in parse[0]["message"]
    assert _located(result, "MCP101") == [("server.py", 11, 5)]


@pytest.mark.parametrize("data", [b"x = 1\nname = '\xff\xfe caf\xe9'\n", b"x = 1\ny = 2\x00\x01\n"],
                         ids=["non-utf8", "nul-byte"])
def test_undecodable_file_finding_points_at_the_offending_line(tmp_path, data):
    (tmp_path / "bad.py").write_bytes(data)
    result = run_cli("--output-format", "json", "bad.py", cwd=tmp_path)
    assert result.exit_code == 1
    parse = findings(result, "MCP001")
    assert len(parse) == 1
    assert parse[0]["start"]["line"] == 2, parse[0]


def test_broken_symlink_in_tree_is_reported_and_run_goes_on(tmp_path):
    write(tmp_path, "server.py", SERVER)
    os.symlink(tmp_path / "gone.py", tmp_path / "dangling.py")
    result = run_cli("--output-format", "json", ".", cwd=tmp_path)
    _no_traceback(result.stdout, result.stderr)
    assert result.exit_code == 1
    assert "dangling.py" in result.stderr
    assert "symbolic link" in result.stderr
    assert _located(result, "MCP101") == [("server.py", 11, 5)]


def test_broken_symlink_passed_explicitly_is_reported(tmp_path):
    write(tmp_path, "clean.py", CLEAN)
    os.symlink(tmp_path / "gone.py", tmp_path / "dangling.py")
    result = run_cli("dangling.py", "clean.py", cwd=tmp_path)
    _no_traceback(result.stdout, result.stderr)
    assert "dangling.py" in result.stderr
    assert "symbolic link" in result.stderr
    assert "All checks passed (1 file examined)" in result.stdout  # clean.py was still linted


def test_unreadable_file_is_reported_and_run_goes_on(tmp_path):
    secret = write(tmp_path, "secret.py", "x = 1\n")
    write(tmp_path, "server.py", SERVER)
    secret.chmod(0)
    try:
        try:
            secret.read_bytes()
        except PermissionError:
            pass
        else:
            pytest.skip("running with privileges that ignore file modes")
        result = run_cli("--output-format", "json", ".", cwd=tmp_path)
    finally:
        secret.chmod(0o644)
    _no_traceback(result.stdout, result.stderr)
    assert result.exit_code == 1
    parse = findings(result, "MCP001")
    reported = [f["path"] for f in parse] + [e["path"] for e in result.json()["errors"]]
    assert "secret.py" in reported or "secret.py" in result.stderr
    assert _located(result, "MCP101") == [("server.py", 11, 5)]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this platform")
def test_named_pipe_with_py_suffix_does_not_hang_the_run(tmp_path):
    """A special file (here a FIFO nobody writes to) is not readable source: it is reported or
    skipped, and the run finishes."""
    import subprocess

    os.mkfifo(tmp_path / "pipe.py")
    write(tmp_path, "server.py", SERVER)
    try:
        proc = run_process("--output-format", "concise", ".", cwd=tmp_path, timeout=20)
    except subprocess.TimeoutExpired:
        pytest.fail("mcp-lint blocked reading a named pipe")
    _no_traceback(proc.stdout, proc.stderr)
    assert "server.py:11:5: MCP101" in proc.stdout
    assert "pipe.py" in proc.stdout + proc.stderr


def test_empty_file_is_clean(tmp_path):
    (tmp_path / "empty.py").write_bytes(b"")
    (tmp_path / "__init__.py").write_bytes(b"")
    result = run_cli("--output-format", "json", ".", cwd=tmp_path)
    assert result.exit_code == 0, result.stdout + result.stderr
    doc = result.json()
    assert doc["files_examined"] == 2
    assert doc["findings"] == []


def test_deeply_nested_expression_does_not_crash(tmp_path):
    (tmp_path / "deep.py").write_text("x = " + "(" * 300 + "1" + ")" * 300 + "\n", encoding="utf-8")
    write(tmp_path, "server.py", SERVER)
    result = run_cli("--output-format", "json", ".", cwd=tmp_path)
    _no_traceback(result.stdout, result.stderr)
    assert result.exit_code == 1
    assert _located(result, "MCP101") == [("server.py", 11, 5)]


# -- output options ------------------------------------------------------------------------------

def test_statistics_counts_per_rule(tmp_path):
    write(tmp_path, "a.py", SERVER)
    write(tmp_path, "b.py", SERVER)
    write(tmp_path, "c.py", SYNTAX_ERROR)
    result = run_cli("--statistics", "--select", "MCP101", ".", cwd=tmp_path)
    assert result.exit_code == 1
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert re.match(r"^\s*2\s+MCP101\s.*sql-string-formatting", lines[0]), lines
    assert any(re.match(r"^\s*1\s+MCP001\s.*parse-error", line) for line in lines), lines
    assert "a.py:11:5" not in result.stdout  # counts, not the findings themselves


def test_output_file_receives_the_report(tmp_path):
    write(tmp_path, "server.py", SERVER)
    out = tmp_path / "reports" / "out.json"
    result = run_cli("--output-format", "json", "-o", out, "server.py", cwd=tmp_path)
    assert result.exit_code == 1
    assert "MCP101" not in result.stdout
    import json
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert [f["id"] for f in doc["findings"] if f["id"] == "MCP101"] == ["MCP101"]


def test_output_file_long_option_with_full_format(tmp_path):
    write(tmp_path, "server.py", SERVER)
    out = tmp_path / "out.txt"
    result = run_cli("--output-file", out, "server.py", cwd=tmp_path)
    assert result.exit_code == 1
    text = out.read_text(encoding="utf-8")
    assert "server.py:11:5: MCP101" in text
    assert "\x1b[" not in text  # no colour codes in a file


def test_exit_zero_keeps_findings_but_exits_0(tmp_path):
    write(tmp_path, "server.py", SERVER)
    result = run_cli("--exit-zero", "server.py", cwd=tmp_path)
    assert result.exit_code == 0
    assert "server.py:11:5: MCP101" in result.stdout


def test_exit_zero_still_exits_2_on_usage_error(tmp_path):
    result = run_cli("--exit-zero", "--select", "NOPE", str(tmp_path))
    assert result.exit_code == 2


def test_quiet_prints_findings_only(tmp_path):
    write(tmp_path, "server.py", SERVER)
    result = run_cli("--quiet", "server.py", cwd=tmp_path)
    assert result.exit_code == 1
    assert "server.py:11:5: MCP101" in result.stdout
    assert "files examined" not in result.stdout
    assert "All checks passed" not in result.stdout


def test_quiet_prints_nothing_when_clean(tmp_path):
    write(tmp_path, "server.py", CLEAN)
    result = run_cli("-q", "server.py", cwd=tmp_path)
    assert result.exit_code == 0
    assert result.stdout.strip() == ""


def test_version(tmp_path):
    result = run_cli("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"mcp-lint {mcp_lint.__version__}"


def test_help_lists_subcommands():
    result = run_cli("--help")
    assert result.exit_code == 0
    for command in ("check", "rule", "rules", "test-rules", "validate-pack", "inspect"):
        assert command in result.stdout


# -- rule documentation ---------------------------------------------------------------------------

@pytest.mark.parametrize("code", ["MCP101", "sql-string-formatting", "mcp101"])
def test_rule_explains_sections(code):
    result = run_cli("rule", code)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "MCP101" in out and "sql-string-formatting" in out
    positions = [out.find(h) for h in ("What it does", "Why is this bad", "Example", "Use instead", "References")]
    assert all(p >= 0 for p in positions), positions
    assert positions == sorted(positions)
    assert "cur.execute(f\"SELECT" in out  # the first INVALID example
    assert "https://cwe.mitre.org/data/definitions/89.html" in out


def test_rule_unknown_exits_2():
    result = run_cli("rule", "MCP999")
    assert result.exit_code == 2
    assert "MCP999" in result.stderr


def _rules_json() -> list[dict]:
    result = run_cli("rules", "--output-format", "json")
    assert result.exit_code == 0
    return result.json()


def test_rules_json_lists_every_rule_with_enabled_flag():
    rows = _rules_json()
    by_id = {r["id"]: r for r in rows}
    assert {"MCP001", "MCP101", "MCP900"} <= set(by_id)
    for row in rows:
        assert set(row) >= {"id", "name", "pack", "severity", "fixable", "enabled"}
        assert isinstance(row["enabled"], bool)
    assert by_id["MCP101"]["enabled"] is True
    assert by_id["MCP101"]["name"] == "sql-string-formatting"
    assert by_id["MCP001"]["enabled"] is True
    assert by_id["MCP900"]["enabled"] is False
    assert by_id["MCP900"]["fixable"] == "safe"
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)


def _rules_table() -> dict[str, list[str]]:
    result = run_cli("rules")
    assert result.exit_code == 0
    table = {}
    for line in result.stdout.splitlines():
        parts = line.split()
        if parts and re.fullmatch(r"[A-Z][A-Z0-9]*[0-9]{3}", parts[0]):
            table[parts[0]] = parts
    return table


def test_rules_table_has_a_row_per_rule_with_yes_no():
    rows = _rules_json()
    table = _rules_table()
    assert set(table) == {r["id"] for r in rows}
    for row in rows:
        parts = table[row["id"]]
        assert parts[-1] == ("yes" if row["enabled"] else "no"), parts


def test_rules_table_shows_full_rule_names_when_piped():
    """Output that is not a terminal (a pipe, a CI log) must not be cut to 80 columns."""
    table = _rules_table()
    for row in _rules_json():
        assert row["name"] in table[row["id"]], table[row["id"]]


def test_rules_enabled_follows_config(tmp_path):
    cfg = write(tmp_path, "pyproject.toml", '[tool.mcp-lint]\nignore = ["MCP101"]\nextend-select = ["MCP900"]\n')
    result = run_cli("rules", "--output-format", "json", "--config", cfg)
    assert result.exit_code == 0
    by_id = {r["id"]: r for r in result.json()}
    assert by_id["MCP101"]["enabled"] is False
    assert by_id["MCP900"]["enabled"] is True


# -- an internal error in a rule ----------------------------------------------------------------

class _ExplodingPrimitive(Primitive):
    """Raises on a call to `explode()`; reports every call to `flag_me()`."""

    NAME = "test-exploding"

    def enter(self):
        return {cst.Call: self.on_call}

    def on_call(self, node: cst.Call, ctx) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "explode":
            raise RuntimeError("kaboom from the test primitive")
        if isinstance(node.func, cst.Name) and node.func.value == "flag_me":
            self.report(ctx, node)


EXPLODING_PACK = """\
pack: exploding
description: A rule whose implementation raises.
rules:
  - id: TST901
    name: test-exploding
    message: "flagged call"
    severity: warning
    confidence: high
    tags: [test]
    docs:
      what: Raises on explode().
      why: To check that one failing rule does not stop the run.
    check:
      primitive: test-exploding
    examples:
      invalid:
        - code: |
            flag_me()
          lines: [1]
      valid:
        - code: |
            x = 1
"""

BOOM_SOURCE = SERVER + '''
def helper():
    explode()
'''


@pytest.fixture
def exploding_primitive(monkeypatch):
    monkeypatch.setitem(PRIMITIVES, _ExplodingPrimitive.NAME, _ExplodingPrimitive)
    yield
    # monkeypatch restores the registry


def test_internal_error_in_rule_exits_2_naming_rule_file_and_line(tmp_path, exploding_primitive):
    pack = write(tmp_path, "packs/exploding.yaml", EXPLODING_PACK)
    write(tmp_path, "src/boom.py", BOOM_SOURCE)  # explode() on line 15
    write(tmp_path, "src/other.py", SERVER + "\nflag_me()\n")  # flag_me() on line 14
    result = run_cli("--rule-pack", pack, "--output-format", "json", "src", cwd=tmp_path)
    _no_traceback(result.stdout, result.stderr)
    assert result.exit_code == 2
    assert "TST901" in result.stderr
    assert "src/boom.py" in result.stderr
    assert "line 15" in result.stderr
    # the other rules and files go on
    assert _located(result, "MCP101") == [("src/boom.py", 11, 5), ("src/other.py", 11, 5)]
    assert _located(result, "TST901") == [("src/other.py", 14, 1)]
    errors = result.json()["errors"]
    assert [(e["path"], e["rule"], e["line"]) for e in errors] == [("src/boom.py", "TST901", 15)]
    assert PRIMITIVES[_ExplodingPrimitive.NAME] is _ExplodingPrimitive


def test_internal_error_full_output_still_prints_findings(tmp_path, exploding_primitive):
    pack = write(tmp_path, "exploding.yaml", EXPLODING_PACK)
    write(tmp_path, "boom.py", BOOM_SOURCE)
    result = run_cli("--rule-pack", pack, "boom.py", cwd=tmp_path)
    _no_traceback(result.stdout, result.stderr)
    assert result.exit_code == 2
    assert "boom.py:11:5: MCP101" in result.stdout
    assert re.search(r"boom\.py.*TST901.*line 15|boom\.py.*line 15.*TST901", result.stderr), result.stderr
    assert "kaboom" in result.stderr


def test_exit_zero_does_not_hide_internal_errors(tmp_path, exploding_primitive):
    pack = write(tmp_path, "exploding.yaml", EXPLODING_PACK)
    write(tmp_path, "boom.py", BOOM_SOURCE)
    result = run_cli("--exit-zero", "--rule-pack", pack, "boom.py", cwd=tmp_path)
    assert result.exit_code == 2


def test_primitive_registry_is_restored():
    assert _ExplodingPrimitive.NAME not in PRIMITIVES


# -- determinism and parallel runs ----------------------------------------------------------------

def _big_tree(root: Path) -> int:
    """A tree above the runner's serial thresholds (files and bytes); returns the file count."""
    count = runner.SERIAL_FILES + 8
    pad_lines = runner.SERIAL_BYTES // count // 60 + 20
    padding = '"""' + "\n".join("Padding text to make the file large enough for the pool." for _ in range(pad_lines)) \
        + '\n"""\n'
    for i in range(count):
        sub = f"pkg{i % 4}"
        if i % 3 == 0:
            code = padding + SERVER
        elif i % 7 == 0:
            code = padding + SYNTAX_ERROR
        else:
            code = padding + CLEAN
        write(root, f"{sub}/mod_{count - i:03d}.py", code)
    total = sum(p.stat().st_size for p in root.rglob("*.py"))
    assert total > runner.SERIAL_BYTES
    return count


def test_output_is_sorted_and_identical_across_runs(tmp_path):
    for name in ("zeta.py", "alpha.py", "mid/beta.py", "Mid/gamma.py"):
        write(tmp_path, name, SERVER)
    first = run_cli("--output-format", "concise", "--select", "MCP101", ".", cwd=tmp_path)
    second = run_cli("--output-format", "concise", "--select", "MCP101", ".", cwd=tmp_path)
    assert first.exit_code == second.exit_code == 1
    assert first.stdout == second.stdout
    paths = [line.split(":")[0] for line in first.stdout.splitlines() if ": MCP101" in line]
    assert paths == sorted(paths)
    assert len(paths) == 4


def test_parallel_and_serial_runs_agree(tmp_path, monkeypatch):
    count = _big_tree(tmp_path)
    pools = []
    real = workers.Workers

    class CountingPool(real):  # type: ignore[misc,valid-type]
        def map(self, jobs):
            pools.append(self.count)
            return super().map(jobs)

    monkeypatch.setattr(workers, "Workers", CountingPool)
    serial = run_cli("-j", "1", "--no-cache", "--output-format", "json", ".", cwd=tmp_path)
    assert pools == []
    parallel = run_cli("-j", "2", "--no-cache", "--output-format", "json", ".", cwd=tmp_path)
    assert pools == [2], "the tree should be big enough for the process pool"
    assert serial.exit_code == parallel.exit_code == 1
    assert serial.stdout == parallel.stdout
    sarif = [run_cli(j, "--no-cache", "--output-format", "sarif", ".", cwd=tmp_path).stdout
             for j in ("-j1", "-j2", "-j2")]
    assert sarif[0] == sarif[1] == sarif[2]
    assert pools == [2, 2, 2]
    doc = serial.json()
    assert doc["files_examined"] == count
    keys = [(f["path"], f["start"]["line"], f["start"]["column"], f["id"]) for f in doc["findings"]]
    assert keys == sorted(keys)
    assert len(findings(serial, "MCP101")) == len([i for i in range(count) if i % 3 == 0])
    assert findings(serial, "MCP001")


def test_parallel_run_is_deterministic_in_text_output(tmp_path):
    _big_tree(tmp_path)
    first = run_cli("-j", "2", "--output-format", "concise", ".", cwd=tmp_path)
    second = run_cli("-j", "3", "--output-format", "concise", ".", cwd=tmp_path)
    assert first.stdout == second.stdout
    assert first.exit_code == second.exit_code == 1


# -- entry points as real processes --------------------------------------------------------------

def test_python_dash_m_runs_the_cli(tmp_path):
    write(tmp_path, "server.py", SERVER)
    write(tmp_path, "broken.py", SYNTAX_ERROR)
    proc = run_process("--output-format", "concise", ".", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "server.py:11:5: MCP101" in proc.stdout
    assert "broken.py:6:" in proc.stdout
    _no_traceback(proc.stdout, proc.stderr)


def test_python_dash_m_version_and_usage_error(tmp_path):
    proc = run_process("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"mcp-lint {mcp_lint.__version__}"
    proc = run_process("--select", "NOT-A-RULE", str(tmp_path))
    assert proc.returncode == 2
    assert "NOT-A-RULE" in proc.stderr
    _no_traceback(proc.stderr)


def _console_script() -> str | None:
    candidate = Path(sys.executable).parent / "mcp-lint"
    if candidate.exists():
        return str(candidate)
    return shutil.which("mcp-lint")


def test_console_script(tmp_path):
    import subprocess

    script = _console_script()
    if script is None:
        pytest.skip("the mcp-lint console script is not installed next to this interpreter")
    write(tmp_path, "server.py", SERVER)
    proc = subprocess.run([script, "server.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert "server.py:11:5: MCP101" in proc.stdout
    proc = subprocess.run([script], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "server.py:11:5: MCP101" in proc.stdout
    write(tmp_path, "server.py", CLEAN)
    proc = subprocess.run([script, "check", "."], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
