"""Adopting mcp-lint on an existing code base: baselines (`--write-baseline`, `--baseline`) and
`--add-noqa`."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess

import pytest

from conftest import SERVER, run_cli, write

# Two findings in one tool (an f-string and a concatenation), on lines 11 and 12.
LEGACY = '''\
import sqlite3
from mcp.server.fastmcp import FastMCP

mcp = FastMCP("orders")

@mcp.tool()
def find_orders(customer: str, status: str) -> list:
    """Orders of one customer."""
    conn = sqlite3.connect("shop.db")
    cur = conn.cursor()
    cur.execute(f"SELECT * FROM orders WHERE customer = '{customer}'")
    cur.execute("SELECT * FROM orders WHERE status = '" + status + "'")
    return cur.fetchall()
'''

NEW_SINK = '''\

@mcp.tool()
def delete_order(order: str) -> None:
    """Delete one order."""
    sqlite3.connect("shop.db").execute(f"DELETE FROM orders WHERE id = {order}")
'''


def _lines(result) -> list[tuple[str, int]]:
    return [(f["path"], f["start"]["line"]) for f in result.json()["findings"]]


# -- baselines ---------------------------------------------------------------------------------------

def test_baseline_hides_old_findings_after_lines_shift_and_reports_new_ones(tmp_path):
    write(tmp_path, "server.py", LEGACY)
    written = run_cli("--write-baseline", "mcp-lint-baseline.json", ".", cwd=tmp_path)
    assert written.exit_code == 0, written.stderr
    assert "Wrote 2 findings to mcp-lint-baseline.json" in written.stderr
    doc = json.loads((tmp_path / "mcp-lint-baseline.json").read_text(encoding="utf-8"))
    assert doc["format"] == "mcp-lint-baseline" and doc["version"] == 1
    assert [(e["rule"], e["path"], e["line"]) for e in doc["findings"]] == [("MCP101", "server.py", 11),
                                                                           ("MCP101", "server.py", 12)]

    assert run_cli("--baseline", "mcp-lint-baseline.json", ".", cwd=tmp_path).exit_code == 0

    # Lines move (a docstring and an import above, a statement between the two), and a new
    # tool brings a new finding: only that one is reported and counted.
    shifted = LEGACY.replace("import sqlite3\n", '"""Orders."""\nimport os\nimport sqlite3\n\n')
    shifted = shifted.replace("    cur = conn.cursor()\n", "    cur = conn.cursor()\n    os.getcwd()\n")
    write(tmp_path, "server.py", shifted + NEW_SINK)
    plain = run_cli("--output-format", "json", ".", cwd=tmp_path)
    assert [line for _, line in _lines(plain)] == [15, 16, 22]
    result = run_cli("--baseline", "mcp-lint-baseline.json", "--output-format", "json", ".", cwd=tmp_path)
    assert result.exit_code == 1
    assert _lines(result) == [("server.py", 22)]
    assert result.json()["summary"]["findings"] == 1
    assert "2 findings in the baseline not shown" in result.stderr


def test_baseline_brings_a_finding_back_when_the_flagged_code_changes(tmp_path):
    write(tmp_path, "server.py", LEGACY)
    run_cli("--write-baseline", "base.json", ".", cwd=tmp_path)
    write(tmp_path, "server.py", LEGACY.replace("WHERE customer = ", "WHERE name = "))
    result = run_cli("--baseline", "base.json", "--output-format", "json", ".", cwd=tmp_path)
    assert _lines(result) == [("server.py", 11)]


def test_baseline_counts_identical_findings(tmp_path):
    write(tmp_path, "server.py", LEGACY)
    run_cli("--write-baseline", "base.json", ".", cwd=tmp_path)
    line = "    cur.execute(f\"SELECT * FROM orders WHERE customer = '{customer}'\")\n"
    write(tmp_path, "server.py", LEGACY.replace(line, line + line))
    result = run_cli("--baseline", "base.json", "--output-format", "json", ".", cwd=tmp_path)
    assert _lines(result) == [("server.py", 12)]  # the second copy is new


def test_baseline_paths_are_relative_to_the_repository_root(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    write(tmp_path, "services/api/server.py", LEGACY)
    run_cli("--write-baseline", "base.json", ".", cwd=tmp_path)
    doc = json.loads((tmp_path / "base.json").read_text(encoding="utf-8"))
    assert {e["path"] for e in doc["findings"]} == {"services/api/server.py"}
    # the same baseline applies from a subdirectory
    result = run_cli("--baseline", tmp_path / "base.json", "server.py", cwd=tmp_path / "services" / "api")
    assert result.exit_code == 0, result.stdout


@pytest.mark.parametrize("content, message", [
    ("{", "not valid JSON"),
    ("[]", "not an mcp-lint baseline"),
    ('{"format": "mcp-lint-baseline", "version": 99, "findings": []}', "unsupported baseline version 99"),
    ('{"format": "mcp-lint-baseline", "version": 1, "findings": {}}', '"findings" must be a list'),
    ('{"format": "mcp-lint-baseline", "version": 1, "findings": [{"rule": "MCP101"}]}', "findings[0] needs"),
])
def test_malformed_baseline_exits_2_with_a_clear_message(tmp_path, content, message):
    write(tmp_path, "server.py", SERVER)
    (tmp_path / "base.json").write_text(content, encoding="utf-8")
    result = run_cli("--baseline", "base.json", ".", cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: base.json")
    assert message in result.stderr
    assert result.stdout == ""


def test_missing_baseline_and_conflicting_options_exit_2(tmp_path):
    write(tmp_path, "server.py", SERVER)
    result = run_cli("--baseline", "nope.json", ".", cwd=tmp_path)
    assert result.exit_code == 2 and "no such file" in result.stderr
    result = run_cli("--baseline", "a.json", "--write-baseline", "b.json", ".", cwd=tmp_path)
    assert result.exit_code == 2 and "cannot be used together" in result.stderr


# -- --add-noqa ----------------------------------------------------------------------------------------

AWKWARD = '''\
import sqlite3
from mcp.server.fastmcp import FastMCP

mcp = FastMCP("orders")

@mcp.tool()
def find_orders(customer: str) -> list:
    """Orders of one customer."""
    cur = sqlite3.connect("shop.db").cursor()
    cur.execute(f"SELECT * FROM orders WHERE customer = '{customer}'")  # noqa: E501
    cur.execute(f"""SELECT * FROM orders
        WHERE customer = '{customer}'""")
    cur.execute("SELECT * FROM orders WHERE customer = '" + \\
        customer + "'")
    text = f"""
    {cur.execute(f"SELECT {customer}")}
    """
    return cur.fetchall()
'''


def test_add_noqa_silences_every_finding_without_breaking_the_file(tmp_path):
    path = write(tmp_path, "server.py", AWKWARD)
    before = run_cli("--output-format", "json", "server.py", cwd=tmp_path)
    assert len(before.json()["findings"]) == 4
    result = run_cli("--add-noqa", "server.py", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert "Added 4 noqa directives." in result.stderr
    text = path.read_text(encoding="utf-8")
    assert ast.dump(ast.parse(text)) == ast.dump(ast.parse(AWKWARD))  # only comments were added
    lines = text.splitlines()
    # merged into the existing comment; own lines above statements whose first line ends in a
    # string or a continuation
    assert lines[9].endswith("  # noqa: E501, MCP101")
    assert lines[10] == "    # noqa: MCP101" and lines[11].startswith('    cur.execute(f"""')
    assert lines[13] == "    # noqa: MCP101" and lines[14].endswith("\\")
    assert lines[16] == "    # noqa: MCP101" and lines[17] == '    text = f"""'
    assert run_cli("server.py", "--extend-select", "MCP900", cwd=tmp_path).exit_code == 0
    again = run_cli("--add-noqa", "server.py", cwd=tmp_path)
    assert "Added 0 noqa directives." in again.stderr
    assert path.read_text(encoding="utf-8") == text


def test_add_noqa_keeps_line_endings_and_merges_codes_on_one_line(tmp_path):
    source = SERVER.replace(
        "    cur.execute(f\"SELECT * FROM orders WHERE customer = '{customer}'\")\n",
        "    cur.execute(f\"SELECT * FROM orders WHERE customer = '{customer}'\"); "
        "cur.execute(f\"DELETE FROM t WHERE c = '{customer}'\")\n")
    path = tmp_path / "server.py"
    path.write_bytes(source.replace("\n", "\r\n").encode())
    result = run_cli("--add-noqa", "server.py", cwd=tmp_path)
    assert "Added 1 noqa directive." in result.stderr
    data = path.read_bytes()
    assert data.count(b"\r\n") == source.count("\n") and b"\n" not in data.replace(b"\r\n", b"")
    assert b"\")  # noqa: MCP101\r\n" in data


def test_add_noqa_skips_a_file_that_does_not_parse(tmp_path):
    path = write(tmp_path, "broken.py", "def f(:\n    pass\n")
    result = run_cli("--add-noqa", "broken.py", cwd=tmp_path)
    assert "broken.py:1: no noqa comment added: MCP001" in result.stderr
    assert "Added 0 noqa directives." in result.stderr
    assert path.read_text(encoding="utf-8") == "def f(:\n    pass\n"


def test_write_baseline_with_a_missing_path_exits_2(tmp_path):
    write(tmp_path, "server.py", SERVER)
    result = run_cli("--write-baseline", "base.json", "server.py", "nope.py", cwd=tmp_path)
    assert result.exit_code == 2 and "nope.py: no such file" in result.stderr


def test_add_noqa_with_a_byte_order_mark_tabs_and_no_final_newline(tmp_path):
    source = ('\ufeffimport sqlite3\r\nfrom mcp.server.fastmcp import FastMCP\r\nmcp = FastMCP("x")\r\n'
              '@mcp.tool()\r\ndef f(c: str) -> None:\r\n\t"""Run two queries."""\r\n\tsqlite3.connect("d").execute(f"""SELECT\r\n\t{c}""")\r\n'
              '\tsqlite3.connect("d").execute(f"SELECT {c}")')
    path = tmp_path / "server.py"
    path.write_bytes(source.encode("utf-8"))
    assert "Added 2 noqa directives." in run_cli("--add-noqa", "server.py", cwd=tmp_path).stderr
    text = path.read_bytes().decode("utf-8")
    assert text.startswith("\ufeffimport sqlite3\r\n")
    assert '\t# noqa: MCP101\r\n\tsqlite3.connect("d").execute(f"""SELECT' in text
    assert text.endswith('execute(f"SELECT {c}")  # noqa: MCP101')
    assert run_cli("server.py", cwd=tmp_path).exit_code == 0
