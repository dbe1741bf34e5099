"""MCP900 at the level of ruff's RUF100 (unused, non-enabled, unknown, duplicated and redundant
codes, unused file-level comments; a fix that removes only mcp-lint's codes), and suppression
comments in files with CR-only line endings or a declared encoding."""

from __future__ import annotations

import ast

import pytest

from conftest import SERVER, findings, run_cli, write

# One MCP102 finding on line 9.
SHELL = '''\
import os
from mcp.server.fastmcp import FastMCP

mcp = FastMCP("ops")

@mcp.tool()
def run(cmd: str) -> int:
    """Run a command."""
    return os.system(cmd){line9}
'''


def server(line11: str = "") -> str:
    """conftest's SERVER (one MCP101 finding on line 11, column 5) with `line11` ending that line."""
    lines = SERVER.splitlines(keepends=True)
    lines[10] = lines[10].rstrip("\n") + line11 + "\n"
    return "".join(lines)


def _lint(tmp_path, code: str, *args: str, name: str = "code.py") -> list[dict]:
    write(tmp_path, name, code)
    result = run_cli("--no-cache", "--output-format", "json", "--extend-select", "MCP900", *args, name, cwd=tmp_path)
    assert result.exit_code in (0, 1), result.stderr
    return findings(result)


def _mcp900(tmp_path, code: str, *args: str) -> list[dict]:
    return [f for f in _lint(tmp_path, code, *args) if f["id"] == "MCP900"]


def _fixed(tmp_path, code: str, *args: str) -> str:
    path = write(tmp_path, "code.py", code)
    result = run_cli("--no-cache", "--extend-select", "MCP900", "--fix", *args, "code.py", cwd=tmp_path)
    assert result.exit_code in (0, 1), result.stderr
    return path.read_text(encoding="utf-8")


# -- what MCP900 reports -------------------------------------------------------------------------

def test_unknown_rule_name_in_ignore(tmp_path):
    hits = _mcp900(tmp_path, "x = 1  # mcp-lint: ignore[nonexistent-rule]\n")
    assert len(hits) == 1
    assert "`nonexistent-rule` is unknown" in hits[0]["message"]
    assert "silences nothing" in hits[0]["message"]
    assert _fixed(tmp_path, "x = 1  # mcp-lint: ignore[nonexistent-rule]\n") == "x = 1\n"


def test_noqa_prefix_is_an_unknown_code_as_in_ruff(tmp_path):
    found = _lint(tmp_path, server("  # noqa: MCP1"))
    assert [f["id"] for f in found] == ["MCP101", "MCP900"]  # the prefix silences nothing
    message = found[1]["message"]
    assert "`MCP1` is unknown" in message and "mcp-lint: ignore" in message


def test_prefix_in_mcp_lint_ignore_is_fine(tmp_path):
    assert _lint(tmp_path, server("  # mcp-lint: ignore[MCP1]")) == []


def test_unknown_prefix_in_ignore(tmp_path):
    hits = _mcp900(tmp_path, "x = 1  # mcp-lint: ignore[MCP7]\n")
    assert len(hits) == 1 and "`MCP7` is unknown (no such rule)" in hits[0]["message"]


def test_duplicated_code(tmp_path):
    found = _lint(tmp_path, server("  # noqa: MCP101, MCP101"))
    assert [f["id"] for f in found] == ["MCP900"]
    assert "`MCP101` is duplicated" in found[0]["message"]
    assert "silences nothing" not in found[0]["message"]
    assert _fixed(tmp_path, server("  # noqa: MCP101, MCP101")) == server("  # noqa: MCP101")


def test_readme_example_is_redundant_not_unused(tmp_path):
    """`ignore[MCP101, sql-string-formatting]` names one rule twice: it silences MCP101 and
    MCP900 says the name is redundant, never that the comment silences nothing."""
    found = _lint(tmp_path, server("  # mcp-lint: ignore[MCP101, sql-string-formatting]"))
    assert [f["id"] for f in found] == ["MCP900"]
    message = found[0]["message"]
    assert "silences nothing" not in message
    assert "`sql-string-formatting` is redundant" in message and "`MCP101`" in message
    assert _fixed(tmp_path, server("  # mcp-lint: ignore[MCP101, sql-string-formatting]")) == \
        server("  # mcp-lint: ignore[MCP101]")


def test_code_covered_by_a_prefix_is_redundant(tmp_path):
    found = _lint(tmp_path, server("  # mcp-lint: ignore[MCP1, MCP101]"))
    assert [f["id"] for f in found] == ["MCP900"]
    assert "`MCP101` is redundant" in found[0]["message"]


def test_readme_suppression_examples_are_clean(tmp_path):
    """Each suppression example of the README, on a finding it is meant for, draws no MCP900."""
    for comment in ("  # noqa: MCP101", "  # mcp-lint: ignore[sql-string-formatting]",
                    "  # mcp-lint: ignore[MCP101]"):
        assert _lint(tmp_path, server(comment)) == [], comment


def test_non_enabled_code(tmp_path):
    hits = _mcp900(tmp_path, server("  # noqa: MCP101, MCP401"), "--select", "MCP101")
    assert len(hits) == 1
    assert "`MCP401` is not enabled" in hits[0]["message"]
    assert "silences nothing" not in hits[0]["message"]


def test_unused_file_level_comment(tmp_path):
    code = "# mcp-lint: file-ignore[MCP5]\nx = 1\n"
    hits = _mcp900(tmp_path, code)
    assert len(hits) == 1 and "silences nothing in this file" in hits[0]["message"]
    assert _fixed(tmp_path, code) == "x = 1\n"


def test_file_level_comment_with_used_and_unknown_codes(tmp_path):
    code = "# mcp-lint: file-ignore[MCP1, MCP999]\n" + server()
    hits = _mcp900(tmp_path, code)
    assert len(hits) == 1 and "`MCP999` is unknown" in hits[0]["message"]
    assert "silences nothing" not in hits[0]["message"]
    assert _fixed(tmp_path, code) == "# mcp-lint: file-ignore[MCP1]\n" + server()


def test_bare_file_ignore_silences_mcp900_too(tmp_path):
    """Like ruff's `# ruff: noqa`, a bare file-level directive exempts the file from every rule,
    MCP900 included."""
    assert _mcp900(tmp_path, "# mcp-lint: file-ignore\nx = 1\n") == []


def test_used_file_level_comment_is_fine(tmp_path):
    assert _lint(tmp_path, "# mcp-lint: file-ignore[MCP1]\n" + server()) == []


def test_a_directive_naming_mcp900_is_left_alone(tmp_path):
    assert _mcp900(tmp_path, "x = 1  # noqa: MCP900, MCP999\n") == []


# -- the fix removes only mcp-lint's codes ---------------------------------------------------------

@pytest.mark.parametrize("before,after", [
    ("x = 1  # noqa: MCP101, E501\n", "x = 1  # noqa: E501\n"),
    ("x = 1  # noqa: E501, MCP101, W291\n", "x = 1  # noqa: E501, W291\n"),
    ("x = 1  # type: ignore  # noqa: MCP101\n", "x = 1  # type: ignore\n"),
    ("x = 1  # noqa: MCP101  # keep this note\n", "x = 1  # keep this note\n"),
    ("x = 1  # noqa: MCP101 because of the old parser\n", "x = 1  # because of the old parser\n"),
    ("x = 1  # pragma: no cover  # noqa: MCP101\n", "x = 1  # pragma: no cover\n"),
    ("x = 1  # noqa: MCP101\n", "x = 1\n"),
    ("# noqa: MCP101\nx = 1\n", "x = 1\n"),
])
def test_fix_keeps_other_tools_codes_and_comments(tmp_path, before, after):
    fixed = _fixed(tmp_path, before)
    assert fixed == after
    assert ast.dump(ast.parse(fixed)) == ast.dump(ast.parse(before))


def test_fix_keeps_used_codes_and_drops_unknown_ones(tmp_path):
    assert _fixed(tmp_path, server("  # noqa: MCP101, MCP999, E501")) == server("  # noqa: MCP101, E501")


# -- line endings and encodings ------------------------------------------------------------------------

def test_cr_only_file_noqa_applies(tmp_path):
    (tmp_path / "s.py").write_bytes(SHELL.format(line9="  # noqa: MCP102").replace("\n", "\r").encode())
    result = run_cli("--no-cache", "--output-format", "json", "--extend-select", "MCP900", "s.py", cwd=tmp_path)
    assert result.exit_code == 0, result.stdout
    assert findings(result) == []


def test_cr_only_file_without_noqa_reports_on_the_right_line(tmp_path):
    (tmp_path / "s.py").write_bytes(SHELL.format(line9="").replace("\n", "\r").encode())
    result = run_cli("--no-cache", "--output-format", "json", "s.py", cwd=tmp_path)
    assert [(f["id"], f["start"]["line"]) for f in findings(result)] == [("MCP102", 9)]


def test_add_noqa_on_a_cr_only_file_applies(tmp_path):
    path = tmp_path / "s.py"
    path.write_bytes(SHELL.format(line9="").replace("\n", "\r").encode())
    result = run_cli("--no-cache", "--add-noqa", "s.py", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert path.read_bytes() == SHELL.format(line9="  # noqa: MCP102").replace("\n", "\r").encode()
    again = run_cli("--no-cache", "--output-format", "json", "--extend-select", "MCP900", "s.py", cwd=tmp_path)
    assert again.exit_code == 0 and findings(again) == []


def test_add_noqa_in_a_declared_encoding(tmp_path):
    path = tmp_path / "s.py"
    code = "# -*- coding: latin-1 -*-\n" + SHELL.format(line9="").replace('"""Run a command."""',
                                                                          '"""Lance une commande: caf\xe9."""')
    path.write_bytes(code.encode("latin-1"))
    result = run_cli("--no-cache", "--add-noqa", "s.py", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert "cannot add" not in result.stderr
    expected = "# -*- coding: latin-1 -*-\n" + SHELL.format(line9="  # noqa: MCP102").replace(
        '"""Run a command."""', '"""Lance une commande: caf\xe9."""')
    assert path.read_bytes() == expected.encode("latin-1")


def test_add_noqa_after_another_tools_codes_and_comment_text(tmp_path):
    path = write(tmp_path, "s.py", SHELL.format(line9="  # noqa: E501 long line"))
    run_cli("--no-cache", "--add-noqa", "s.py", cwd=tmp_path)
    assert path.read_text() == SHELL.format(line9="  # noqa: E501, MCP102 long line")
    again = run_cli("--no-cache", "--output-format", "json", "s.py", cwd=tmp_path)
    assert findings(again) == []


def test_fix_of_mcp900_in_a_cr_only_file(tmp_path):
    path = tmp_path / "c.py"
    path.write_bytes(b"x = 1  # noqa: MCP101, E501\ry = 2\r")
    run_cli("--no-cache", "--extend-select", "MCP900", "--fix", "c.py", cwd=tmp_path)
    assert path.read_bytes() == b"x = 1  # noqa: E501\ry = 2\r"
