"""Fixes: the edits `--fix` makes keep the file's formatting and meaning, reuse its imports,
refuse when a name is not what the fix needs, apply to a fixpoint and never break the file."""

from __future__ import annotations

import ast
import os
import textwrap

import pytest

from conftest import findings, run_cli, write

STDIO_TOOL = '''\
{imports}from mcp.server.fastmcp import FastMCP

mcp = FastMCP("w")

@mcp.tool()
def t({params}) -> str:
    """Doc."""
{body}    return q

if __name__ == "__main__":
    mcp.run()
'''


def _tool(imports: str = "", params: str = "q: str", body: str = '    print("hello", q)\n') -> str:
    return STDIO_TOOL.format(imports=imports, params=params, body=body)


def _fix(tmp_path, name: str, data: bytes | str, *args: str) -> tuple[bytes, object]:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    result = run_cli("--no-cache", "--fix", *args, name, cwd=tmp_path)
    return path.read_bytes(), result


def _fixes_offered(tmp_path, code: str, rule: str, *args: str) -> list[dict]:
    write(tmp_path, "probe.py", code)
    result = run_cli("--no-cache", "--output-format", "json", "--select", rule, *args, "probe.py", cwd=tmp_path)
    return findings(result, rule)


# -- MCP501: the safe fix --------------------------------------------------------------------------

def test_mcp501_fix_adds_file_and_import(tmp_path):
    data, result = _fix(tmp_path, "s.py", _tool(), "--select", "MCP501")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert data.decode() == _tool(imports="import sys\n", body='    print("hello", q, file=sys.stderr)\n')


def test_mcp501_no_fix_when_sys_is_a_local(tmp_path):
    code = _tool(body='    sys = 3\n    print("hello", q)\n')
    hits = _fixes_offered(tmp_path, code, "MCP501")
    assert len(hits) == 1 and hits[0]["fix"] is None
    data, _ = _fix(tmp_path, "s.py", code, "--select", "MCP501")
    assert data.decode() == code


def test_mcp501_no_fix_when_sys_is_a_parameter(tmp_path):
    code = _tool(params="q, sys=None")
    hits = _fixes_offered(tmp_path, code, "MCP501")
    assert len(hits) == 1 and hits[0]["fix"] is None


def test_mcp501_no_fix_when_sys_is_a_module_global_of_another_kind(tmp_path):
    code = _tool(imports="sys = object()\n")
    assert _fixes_offered(tmp_path, code, "MCP501")[0]["fix"] is None


def test_mcp501_fix_reuses_an_alias(tmp_path):
    data, _ = _fix(tmp_path, "s.py", _tool(imports="import sys as _sys\n"), "--select", "MCP501")
    assert data.decode() == _tool(imports="import sys as _sys\n", body='    print("hello", q, file=_sys.stderr)\n')


def test_mcp501_fix_reuses_from_import_of_stderr(tmp_path):
    data, _ = _fix(tmp_path, "s.py", _tool(imports="from sys import stderr\n"), "--select", "MCP501")
    assert data.decode() == _tool(imports="from sys import stderr\n", body='    print("hello", q, file=stderr)\n')


def test_mcp501_fix_keeps_crlf(tmp_path):
    code = _tool().replace("\n", "\r\n").encode()
    data, _ = _fix(tmp_path, "s.py", code, "--select", "MCP501")
    assert data == _tool(imports="import sys\n", body='    print("hello", q, file=sys.stderr)\n').replace(
        "\n", "\r\n").encode()


def test_mcp501_fix_keeps_cr_only_line_endings(tmp_path):
    code = _tool().replace("\n", "\r").encode()
    data, _ = _fix(tmp_path, "s.py", code, "--select", "MCP501")
    assert data == _tool(imports="import sys\n", body='    print("hello", q, file=sys.stderr)\n').replace(
        "\n", "\r").encode()


def test_mcp501_fix_keeps_tabs(tmp_path):
    code = _tool(body='\tprint("hello",\n\t      q)\n').replace("    ", "\t")
    data, _ = _fix(tmp_path, "s.py", code, "--select", "MCP501")
    assert data.decode() == _tool(imports="import sys\n", body='\tprint("hello",\n\t      q, file=sys.stderr)\n'
                                  ).replace("    ", "\t")


def test_mcp501_fix_after_bom_docstring_and_future(tmp_path):
    code = '"""A server."""\nfrom __future__ import annotations\n\n' + _tool()
    data, _ = _fix(tmp_path, "s.py", b"\xef\xbb\xbf" + code.encode(), "--select", "MCP501")
    expected = '"""A server."""\nfrom __future__ import annotations\n\n' + _tool(
        imports="import sys\n", body='    print("hello", q, file=sys.stderr)\n')
    assert data == b"\xef\xbb\xbf" + expected.encode()


def test_mcp501_fix_in_a_multiline_print(tmp_path):
    body = '    print(\n        "hello",\n        q,\n    )\n'
    data, _ = _fix(tmp_path, "s.py", _tool(body=body), "--select", "MCP501")
    assert data.decode() == _tool(imports="import sys\n",
                                  body='    print(\n        "hello",\n        q,\n        file=sys.stderr,\n    )\n')


def test_mcp501_fix_multiline_print_without_trailing_comma(tmp_path):
    body = '    print("hello",\n          q)\n'
    data, _ = _fix(tmp_path, "s.py", _tool(body=body), "--select", "MCP501")
    assert data.decode() == _tool(imports="import sys\n", body='    print("hello",\n          q, file=sys.stderr)\n')


def test_mcp501_fix_pprint_uses_stream(tmp_path):
    code = _tool(imports="import pprint\n", body="    pprint.pprint(q)\n")
    data, _ = _fix(tmp_path, "s.py", code, "--select", "MCP501")
    assert "pprint.pprint(q, stream=sys.stderr)" in data.decode()


def test_mcp501_explicit_stdout_becomes_stderr_through_the_alias(tmp_path):
    code = _tool(imports="import sys as system\n", body="    system.stdout.write(q)\n")
    data, _ = _fix(tmp_path, "s.py", code, "--select", "MCP501")
    assert data.decode() == code.replace("system.stdout.write", "system.stderr.write")


def test_mcp501_two_prints_add_one_import(tmp_path):
    code = _tool(body='    print("a")\n    print("b")\n')
    data, _ = _fix(tmp_path, "s.py", code, "--select", "MCP501")
    text = data.decode()
    assert text.count("import sys") == 1
    assert 'print("a", file=sys.stderr)' in text and 'print("b", file=sys.stderr)' in text


def test_mcp501_fix_is_idempotent(tmp_path):
    data, _ = _fix(tmp_path, "s.py", _tool(), "--select", "MCP501")
    again, result = _fix(tmp_path, "s.py", data, "--select", "MCP501")
    assert again == data and result.exit_code == 0


def test_fix_keeps_a_latin1_file_in_its_encoding(tmp_path):
    code = "# -*- coding: latin-1 -*-\n" + _tool(body='    print("caf\xe9", q)\n')
    data, result = _fix(tmp_path, "s.py", code.encode("latin-1"), "--select", "MCP501")
    assert result.exit_code == 0, result.stderr
    assert "cannot fix" not in result.stderr
    assert data == ("# -*- coding: latin-1 -*-\n" + _tool(
        imports="import sys\n", body='    print("caf\xe9", q, file=sys.stderr)\n')).encode("latin-1")
