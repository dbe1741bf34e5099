"""Suppression comments (`# noqa`, `# mcp-lint: ignore[...]`, `# mcp-lint: file-ignore[...]`)
and MCP900, which reports the ones that silence nothing and removes them with --fix."""

from __future__ import annotations

import ast

import pytest

from conftest import findings, run_cli, write

# {line11} is the end of the flagged line (line 11); {above} is an own-line comment slot
# directly above the statement (it shifts the flagged line to 12 when used).
TEMPLATE = '''\
import sqlite3
from mcp.server.fastmcp import FastMCP

mcp = FastMCP("orders")

@mcp.tool()
def find_orders(customer: str) -> list:
    """Orders of one customer."""
    conn = sqlite3.connect("shop.db")
    cur = conn.cursor()
{above}    cur.execute(f"SELECT * FROM orders WHERE customer = '{{customer}}'"){line11}
    return cur.fetchall()
'''


def server(line11: str = "", above: str = "", file_comment: str = "") -> str:
    code = TEMPLATE.format(line11=line11, above=f"    {above}\n" if above else "")
    return code + (file_comment + "\n" if file_comment else "")


# A finding on line 11 whose statement starts on line 10.
MULTILINE = '''\
import asyncpg
from fastmcp import FastMCP

mcp = FastMCP("tables")

@mcp.tool
async def row_count(table: str) -> int:
    """Count the rows of a table."""
    conn = await asyncpg.connect("postgresql://localhost/app")
{above}    query = ({stmt}
        "SELECT count(*) FROM %s" % table{line}
    )
    return await conn.fetchval(query)
'''


def multiline(stmt: str = "", line: str = "", above: str = "") -> str:
    return MULTILINE.format(stmt=stmt, line=line, above=f"    {above}\n" if above else "")


def _mcp101(tmp_path, code: str, *args: str) -> list[int]:
    write(tmp_path, "server.py", code)
    result = run_cli("--output-format", "json", "--select", "MCP101", *args, "server.py", cwd=tmp_path)
    assert result.exit_code in (0, 1), result.stderr
    return [f["start"]["line"] for f in findings(result, "MCP101")]


def test_unsuppressed_baseline(tmp_path):
    assert _mcp101(tmp_path, server()) == [11]
    assert _mcp101(tmp_path, multiline()) == [11]


# -- noqa ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("comment", [
    "  # noqa: MCP101",
    "  # noqa:MCP101",
    "  # NOQA: MCP101",
    "  # noqa: MCP101, MCP4",
    "  # noqa: MCP4,MCP101",
    "  # noqa: MCP4 MCP101",
    "  # noqa: sql-string-formatting",
    "  # noqa",
    "  # explained here  # noqa: MCP101",
])
def test_noqa_on_the_flagged_line(tmp_path, comment):
    assert _mcp101(tmp_path, server(line11=comment)) == []


@pytest.mark.parametrize("comment", [
    "  # noqa: MCP102",
    "  # noqa: MCP4",
    "  # noqa: E501",
    "  # noqa: parse-error",
    "  # type: ignore",
    # As in ruff, `# noqa:` takes whole rule ids: a prefix is an unknown code (MCP900 says so).
    "  # noqa: MCP1",
    "  # noqa: MCP10",
])
def test_noqa_for_other_codes_does_not_suppress(tmp_path, comment):
    assert _mcp101(tmp_path, server(line11=comment)) == [11]


def test_noqa_on_own_line_above_the_statement(tmp_path):
    assert _mcp101(tmp_path, server(above="# noqa: MCP101")) == []


def test_comment_two_lines_above_does_not_suppress(tmp_path):
    code = server(above="# noqa: MCP101\n")  # a blank line between comment and statement
    assert _mcp101(tmp_path, code) == [13]


def test_trailing_comment_on_the_previous_statement_does_not_suppress(tmp_path):
    code = server().replace('cur = conn.cursor()', 'cur = conn.cursor()  # noqa: MCP101')
    assert _mcp101(tmp_path, code) == [11]


def test_noqa_inside_a_string_does_not_suppress(tmp_path):
    code = server().replace("customer = '{customer}'", "customer = '{customer}' -- # noqa: MCP101")
    assert "# noqa: MCP101\")" in code
    assert _mcp101(tmp_path, code) == [11]


def test_noqa_on_the_first_line_of_a_multiline_statement(tmp_path):
    assert _mcp101(tmp_path, multiline(stmt="  # noqa: MCP101")) == []


def test_noqa_on_the_flagged_line_inside_a_multiline_statement(tmp_path):
    assert _mcp101(tmp_path, multiline(line="  # noqa: MCP101")) == []


def test_noqa_above_a_multiline_statement(tmp_path):
    assert _mcp101(tmp_path, multiline(above="# noqa: MCP101")) == []


# -- mcp-lint: ignore[...] ---------------------------------------------------------------------

@pytest.mark.parametrize("comment", [
    "  # mcp-lint: ignore[MCP101]",
    "  # mcp-lint: ignore[MCP1]",
    "  # mcp-lint: ignore[sql-string-formatting]",
    "  # mcp-lint: ignore[MCP4, MCP101]",
    "  # mcp-lint: ignore[ MCP4 , sql-string-formatting ]",
])
def test_mcp_lint_ignore_on_the_flagged_line(tmp_path, comment):
    assert _mcp101(tmp_path, server(line11=comment)) == []


@pytest.mark.parametrize("comment", [
    "# mcp-lint: ignore[MCP101]",
    "# mcp-lint: ignore[sql-string-formatting]",
    "# mcp-lint: ignore[MCP1]",
])
def test_mcp_lint_ignore_on_own_line_above(tmp_path, comment):
    assert _mcp101(tmp_path, server(above=comment)) == []


@pytest.mark.parametrize("comment", [
    "  # mcp-lint: ignore[MCP4]",
    "  # mcp-lint: ignore[unused-suppression]",
    "  # mcp-lint ignore[MCP101]",  # not the directive syntax
])
def test_mcp_lint_ignore_for_other_codes_does_not_suppress(tmp_path, comment):
    assert _mcp101(tmp_path, server(line11=comment)) == [11]


def test_mcp_lint_ignore_on_a_multiline_statement(tmp_path):
    assert _mcp101(tmp_path, multiline(stmt="  # mcp-lint: ignore[MCP101]")) == []
    assert _mcp101(tmp_path, multiline(above="# mcp-lint: ignore[sql-string-formatting]")) == []


# -- file-ignore ---------------------------------------------------------------------------------

@pytest.mark.parametrize("comment", [
    "# mcp-lint: file-ignore[MCP101]",
    "# mcp-lint: file-ignore[MCP1]",
    "# mcp-lint: file-ignore[sql-string-formatting]",
    "# mcp-lint: file-ignore[MCP5, MCP101]",
])
def test_file_ignore_anywhere_silences_the_whole_file(tmp_path, comment):
    code = server() + server().split("\n", 3)[3].replace("find_orders", "find_more_orders")
    assert _mcp101(tmp_path, code) == [11, 20]
    assert _mcp101(tmp_path, code + comment + "\n") == []
    assert _mcp101(tmp_path, comment + "\n" + code) == []


def test_file_ignore_for_other_codes_does_not_suppress(tmp_path):
    assert _mcp101(tmp_path, server(file_comment="# mcp-lint: file-ignore[MCP5]")) == [11]


def test_file_ignore_covers_a_parse_error(tmp_path):
    write(tmp_path, "broken.py", "# mcp-lint: file-ignore[MCP001]\ndef f(:\n    pass\n")
    result = run_cli("--output-format", "json", "broken.py", cwd=tmp_path)
    assert findings(result, "MCP001") == []
    assert result.exit_code == 0


# -- MCP900 --------------------------------------------------------------------------------------

UNUSED = '''\
import json

data = json.loads("{}")  # noqa: MCP101
# mcp-lint: ignore[MCP999]
value = 1
other = 2  # mcp-lint: ignore[sql-string-formatting]
blanket = 3  # noqa
foreign = 4  # noqa: E501
'''


def _mcp900(tmp_path, code: str, *args: str) -> list[dict]:
    write(tmp_path, "code.py", code)
    result = run_cli("--output-format", "json", "--extend-select", "MCP900", *args, "code.py", cwd=tmp_path)
    assert result.exit_code in (0, 1), result.stderr
    return findings(result, "MCP900")


def test_mcp900_is_off_by_default(tmp_path):
    write(tmp_path, "code.py", UNUSED)
    result = run_cli("--output-format", "json", "code.py", cwd=tmp_path)
    assert findings(result, "MCP900") == []
    assert result.exit_code == 0


def test_mcp900_reports_unused_and_unknown_codes(tmp_path):
    hits = _mcp900(tmp_path, UNUSED)
    assert [(f["start"]["line"], f["start"]["column"]) for f in hits] == [(3, 26), (4, 1), (6, 12)]
    assert "MCP101" in hits[0]["message"]
    assert "MCP999" in hits[1]["message"] and "unknown" in hits[1]["message"]
    assert "sql-string-formatting" in hits[2]["message"]
    assert all(f["severity"] == "warning" for f in hits)
    assert all(f["fix"] is not None and f["fix"]["applicability"] == "safe" for f in hits)


def test_mcp900_ignores_blanket_and_foreign_noqa(tmp_path):
    code = "a = 1  # noqa\nb = 2  # noqa: E501, W291\nc = 3  # NOQA\n"
    assert _mcp900(tmp_path, code) == []


def test_mcp900_does_not_flag_used_suppressions(tmp_path):
    for code in (server(line11="  # noqa: MCP101"), server(above="# mcp-lint: ignore[MCP1]"),
                 server(file_comment="# mcp-lint: file-ignore[sql-string-formatting]")):
        assert _mcp900(tmp_path, code) == []


def test_mcp900_reports_only_the_unused_code_of_a_list(tmp_path):
    hits = _mcp900(tmp_path, server(line11="  # noqa: MCP101, MCP999"))
    assert len(hits) == 1
    assert hits[0]["start"]["line"] == 11
    assert "MCP999" in hits[0]["message"]
    assert "MCP101," not in hits[0]["message"].split("(", 1)[-1]


def test_mcp900_unknown_code_in_file_ignore(tmp_path):
    hits = _mcp900(tmp_path, "# mcp-lint: file-ignore[MCP998]\nx = 1\n")
    assert [f["start"]["line"] for f in hits] == [1]
    assert "MCP998" in hits[0]["message"]


def test_mcp900_itself_can_be_suppressed_by_file_ignore(tmp_path):
    code = "# mcp-lint: file-ignore[MCP900]\nx = 1  # noqa: MCP999\n"
    write(tmp_path, "code.py", code)
    result = run_cli("--output-format", "json", "--extend-select", "MCP900", "code.py", cwd=tmp_path)
    assert [f["start"]["line"] for f in findings(result, "MCP900")] == []


FIXED = '''\
import json

data = json.loads("{}")
value = 1
other = 2
blanket = 3  # noqa
foreign = 4  # noqa: E501
'''


def test_fix_removes_unused_suppressions(tmp_path):
    path = write(tmp_path, "code.py", UNUSED)
    result = run_cli("--extend-select", "MCP900", "--fix", "code.py", cwd=tmp_path)
    assert result.exit_code == 0, result.stdout + result.stderr
    text = path.read_text(encoding="utf-8")
    assert text == FIXED
    ast.parse(text)
    again = run_cli("--output-format", "json", "--extend-select", "MCP900", "code.py", cwd=tmp_path)
    assert again.exit_code == 0
    assert findings(again) == []


def test_fix_keeps_the_used_codes(tmp_path):
    path = write(tmp_path, "server.py", server(line11="  # noqa: MCP101, MCP999"))
    result = run_cli("--extend-select", "MCP900", "--fix", "server.py", cwd=tmp_path)
    assert result.exit_code == 0, result.stdout + result.stderr
    text = path.read_text(encoding="utf-8")
    assert text == server(line11="  # noqa: MCP101")
    ast.parse(text)
    again = run_cli("--output-format", "json", "--extend-select", "MCP900", "server.py", cwd=tmp_path)
    assert findings(again, "MCP101") == [] and findings(again, "MCP900") == []


def test_fix_rewrites_mcp_lint_ignore_lists(tmp_path):
    path = write(tmp_path, "server.py", server(above="# mcp-lint: ignore[MCP998, MCP101]"))
    result = run_cli("--extend-select", "MCP900", "--fix", "server.py", cwd=tmp_path)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert path.read_text(encoding="utf-8") == server(above="# mcp-lint: ignore[MCP101]")


def test_fix_in_indented_block_leaves_a_parseable_file(tmp_path):
    code = "def f():\n    # mcp-lint: ignore[MCP999]\n    return 1  # noqa: MCP998\n\n\nclass C:\n    x = 1  # noqa: MCP997\n"
    path = write(tmp_path, "code.py", code)
    result = run_cli("--extend-select", "MCP900", "--fix", "code.py", cwd=tmp_path)
    assert result.exit_code == 0, result.stdout + result.stderr
    text = path.read_text(encoding="utf-8")
    ast.parse(text)
    assert text == "def f():\n    return 1\n\n\nclass C:\n    x = 1\n"


def test_fix_keeps_crlf_line_endings(tmp_path):
    path = tmp_path / "code.py"
    path.write_bytes(b"import json\r\n\r\ndata = json.loads('{}')  # noqa: MCP101\r\nvalue = 1\r\n")
    result = run_cli("--extend-select", "MCP900", "--fix", "code.py", cwd=tmp_path)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert path.read_bytes() == b"import json\r\n\r\ndata = json.loads('{}')\r\nvalue = 1\r\n"


def test_diff_prints_a_diff_and_writes_nothing(tmp_path):
    path = write(tmp_path, "code.py", UNUSED)
    result = run_cli("--extend-select", "MCP900", "--diff", "code.py", cwd=tmp_path)
    assert path.read_text(encoding="utf-8") == UNUSED
    assert result.exit_code == 1
    out = result.stdout
    assert "--- a/code.py" in out and "+++ b/code.py" in out
    assert '-data = json.loads("{}")  # noqa: MCP101' in out
    assert '+data = json.loads("{}")' in out
    assert "-# mcp-lint: ignore[MCP999]" in out
    assert "+blanket" not in out


def test_diff_with_nothing_to_fix_exits_0(tmp_path):
    path = write(tmp_path, "code.py", "x = 1\n")
    result = run_cli("--extend-select", "MCP900", "--diff", "code.py", cwd=tmp_path)
    assert result.exit_code == 0
    assert result.stdout.strip() == ""
    assert path.read_text(encoding="utf-8") == "x = 1\n"


def test_fix_without_mcp900_selected_changes_nothing(tmp_path):
    path = write(tmp_path, "code.py", UNUSED)
    result = run_cli("--fix", "code.py", cwd=tmp_path)
    assert result.exit_code == 0
    assert path.read_text(encoding="utf-8") == UNUSED


def test_fix_leaves_other_findings_reported(tmp_path):
    path = write(tmp_path, "server.py", server() + "x = 1  # noqa: MCP999\n")
    result = run_cli("--output-format", "json", "--extend-select", "MCP900", "--fix", "server.py", cwd=tmp_path)
    assert result.exit_code == 1
    assert [f["start"]["line"] for f in findings(result, "MCP101")] == [11]
    assert findings(result, "MCP900") == []
    assert path.read_text(encoding="utf-8").endswith("x = 1\n")


@pytest.mark.parametrize("line", [
    "value = compute(1)  # noqa: MCP999 (legacy)",
    "value = compute(1)  # mcp-lint: ignore[MCP998] (kept for the old parser)",
    "value = compute(1)  # noqa: MCP999; see the issue tracker",
    "    # mcp-lint: ignore[MCP997] - stale",
])
def test_fix_never_turns_comment_text_into_code(tmp_path, line):
    """Text after a removed directive is part of the comment: the code itself must not change."""
    code = "def compute(x):\n    return x\n\n\ndef f():\n" + (line if line.startswith(" ") else "    " + line) \
        + "\n    return 1\n"
    path = write(tmp_path, "code.py", code)
    run_cli("--extend-select", "MCP900", "--fix", "code.py", cwd=tmp_path)
    fixed = path.read_text(encoding="utf-8")
    assert ast.dump(ast.parse(fixed)) == ast.dump(ast.parse(code)), fixed
