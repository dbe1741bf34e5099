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


# -- rules' fixes ------------------------------------------------------------------------------------

def _diff_fix(tmp_path, code: str, rule: str, *args: str) -> str:
    path = write(tmp_path, "probe.py", code)
    result = run_cli("--no-cache", "--select", rule, "--fix", "--unsafe-fixes", *args, "probe.py", cwd=tmp_path)
    assert result.exit_code in (0, 1), result.stderr
    return path.read_text(encoding="utf-8")


HTTP_TOOL = '''\
import requests
from mcp.server.fastmcp import FastMCP

mcp = FastMCP("x")

@mcp.tool()
def get(url: str) -> int:
    """Status of a URL."""
    return requests.get(url).status_code
'''


def test_unsafe_fixes_need_the_flag(tmp_path):
    path = write(tmp_path, "probe.py", HTTP_TOOL)
    result = run_cli("--no-cache", "--select", "MCP401", "--fix", "probe.py", cwd=tmp_path)
    assert path.read_text() == HTTP_TOOL
    assert "1 hidden fix can be enabled with the `--unsafe-fixes` option" in result.stderr
    listed = run_cli("--no-cache", "--select", "MCP401", "probe.py", cwd=tmp_path)
    assert "1 hidden fix can be enabled with the `--unsafe-fixes` option" in listed.stdout


def test_mcp401_fix_timeout_setting(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.mcp-lint]\nfix-timeout = 12.5\n")
    assert "requests.get(url, timeout=12.5)" in _diff_fix(tmp_path, HTTP_TOOL, "MCP401")
    (tmp_path / "pyproject.toml").write_text("[tool.mcp-lint]\nfix-timeout = 60\n")
    write(tmp_path, "probe.py", HTTP_TOOL)
    doc = run_cli("--output-format", "json", "--select", "MCP401", "probe.py", cwd=tmp_path).json()
    assert doc["findings"][0]["fix"]["edits"][0]["content"] == ", timeout=60"


def test_mcp401_default_timeout(tmp_path):
    assert "requests.get(url, timeout=30)" in _diff_fix(tmp_path, HTTP_TOOL, "MCP401")


def test_fix_timeout_must_be_positive(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.mcp-lint]\nfix-timeout = 0\n")
    write(tmp_path, "probe.py", HTTP_TOOL)
    result = run_cli("--select", "MCP401", "probe.py", cwd=tmp_path)
    assert result.exit_code == 2 and "fix-timeout" in result.stderr


def test_mcp403_sleep_and_to_thread_with_parentheses(tmp_path):
    code = HTTP_TOOL.replace("def get(", "async def get(").replace(
        "    return requests.get(url).status_code", "    time.sleep(1)\n    return requests.get(url, timeout=5).json()[\"a\"]"
    ).replace("import requests\n", "import time\nimport requests\n")
    fixed = _diff_fix(tmp_path, code, "MCP403")
    assert "    await asyncio.sleep(1)\n" in fixed
    assert 'return (await asyncio.to_thread(requests.get, url, timeout=5)).json()["a"]' in fixed
    assert fixed.startswith("import asyncio\nimport time\n")
    ast.parse(fixed)


def test_mcp403_no_await_inside_a_lambda_or_generator(tmp_path):
    code = HTTP_TOOL.replace("def get(", "async def get(").replace(
        "    return requests.get(url).status_code",
        "    f = lambda: requests.get(url, timeout=5)\n    return sum(requests.get(u, timeout=5).status_code for u in [url])")
    hits = _fixes_offered(tmp_path, code, "MCP403")
    assert hits and all(h["fix"] is None for h in hits)


def test_mcp403_reuses_from_asyncio_import(tmp_path):
    code = HTTP_TOOL.replace("def get(", "async def get(").replace(
        "    return requests.get(url).status_code", "    time.sleep(1)\n    return 1").replace(
        "import requests\n", "import time\nfrom asyncio import sleep\n")
    fixed = _diff_fix(tmp_path, code, "MCP403")
    assert "    await sleep(1)\n" in fixed and "import asyncio" not in fixed


@pytest.mark.parametrize("call,after", [
    ('requests.get(url, verify=False, timeout=5)', 'requests.get(url, timeout=5)'),
    ('requests.get(url, timeout=5, verify=False)', 'requests.get(url, timeout=5)'),
    ('requests.get(\n        url,\n        verify=False,\n        timeout=5,\n    )',
     'requests.get(\n        url,\n        timeout=5,\n    )'),
    ('requests.get(\n        url,\n        timeout=5,\n        verify=False,\n    )',
     'requests.get(\n        url,\n        timeout=5,\n    )'),
])
def test_mcp109_removes_the_argument_in_any_layout(tmp_path, call, after):
    code = HTTP_TOOL.replace("requests.get(url)", call)
    assert _diff_fix(tmp_path, code, "MCP109") == HTTP_TOOL.replace("requests.get(url)", after)


YAML_TOOL = '''\
import yaml
from mcp.server.fastmcp import FastMCP

mcp = FastMCP("x")

@mcp.tool()
def parse(doc: str) -> str:
    """Parse."""
    return str(CALL)
'''


@pytest.mark.parametrize("call,after", [
    ("yaml.load(doc, Loader=yaml.FullLoader)", "yaml.safe_load(doc)"),
    ("yaml.load(doc, yaml.UnsafeLoader)", "yaml.safe_load(doc)"),
    ("yaml.unsafe_load(doc)", "yaml.safe_load(doc)"),
    ("list(yaml.load_all(doc, Loader=yaml.Loader))", "list(yaml.safe_load_all(doc))"),
])
def test_mcp108_safe_load(tmp_path, call, after):
    assert _diff_fix(tmp_path, YAML_TOOL.replace("CALL", call), "MCP108") == YAML_TOOL.replace("CALL", after)


def test_mcp108_no_fix_for_pickle(tmp_path):
    code = YAML_TOOL.replace("import yaml", "import pickle").replace("CALL", "pickle.loads(doc.encode())")
    assert all(h["fix"] is None for h in _fixes_offered(tmp_path, code, "MCP108"))


SQL_TOOL = '''\
import sqlite3
from mcp.server.fastmcp import FastMCP

mcp = FastMCP("x")

@mcp.tool()
def q(name: str, table: str, limit: int, raw: str) -> list:
    """Query."""
    conn = sqlite3.connect("app.db")
    return conn.execute(SQL).fetchall()
'''


@pytest.mark.parametrize("sql,after", [
    ("f\"SELECT * FROM t WHERE a = '{name}'\"", '"SELECT * FROM t WHERE a = ?", (name,)'),
    ("f\"SELECT * FROM t WHERE a = '{name}' LIMIT {limit}\"", '"SELECT * FROM t WHERE a = ? LIMIT ?", (name, limit)'),
    ("f\"SELECT * FROM t WHERE a LIKE '%{name}%'\"", '"SELECT * FROM t WHERE a LIKE ?", (f"%{name}%",)'),
    ("\"SELECT * FROM t WHERE a = '%s' AND b = '%s'\" % (name, raw)",
     '"SELECT * FROM t WHERE a = ? AND b = ?", (name, raw)'),
    ("\"SELECT * FROM t WHERE a = '{}'\".format(name)", '"SELECT * FROM t WHERE a = ?", (name,)'),
    ("\"SELECT * FROM t WHERE a = '\" + name + \"'\"", '"SELECT * FROM t WHERE a = ?", (name,)'),
    ("f\"SELECT * FROM t WHERE a = '{name}' AND b = 'it''s'\"", "\"SELECT * FROM t WHERE a = ? AND b = 'it''s'\", (name,)"),
])
def test_mcp101_parameterizes_values(tmp_path, sql, after):
    fixed = _diff_fix(tmp_path, SQL_TOOL.replace("SQL", sql), "MCP101")
    assert fixed == SQL_TOOL.replace("SQL", after)


@pytest.mark.parametrize("sql", [
    'f"SELECT * FROM {table}"',  # an identifier
    "f\"SELECT * FROM t ORDER BY a {raw}\"",  # a keyword
    "f\"SELECT * FROM t WHERE {raw}\"",  # a fragment
    "f\"SELECT * FROM t WHERE a = {raw}\"",  # unquoted text: a column or an expression
    "f\"SELECT * FROM t WHERE a = '{name!r}'\"",  # a conversion
    "f\"SELECT * FROM t WHERE a = '{name}' AND b = '{table}' -- {raw}\"",  # in a comment
    "f'SELECT * FROM t WHERE \"{table}\" = 1'",  # a quoted identifier
    "f\"SELECT * FROM t WHERE a = '{name}' AND n IN ({raw})\"",  # a list
])
def test_mcp101_never_rewrites_identifiers_keywords_or_fragments(tmp_path, sql):
    code = SQL_TOOL.replace("SQL", sql)
    hits = _fixes_offered(tmp_path, code, "MCP101")
    assert hits and all(h["fix"] is None for h in hits)


def test_mcp101_paramstyles(tmp_path):
    code = textwrap.dedent('''\
        import psycopg
        from fastmcp import FastMCP

        mcp = FastMCP("x")

        @mcp.tool
        def q(name: str) -> list:
            """Query."""
            with psycopg.connect("dbname=app") as conn:
                return conn.execute(f"SELECT * FROM t WHERE a = '{name}' AND b LIKE 'x%'").fetchall()
        ''')
    fixed = _diff_fix(tmp_path, code, "MCP101")
    assert "conn.execute(\"SELECT * FROM t WHERE a = %s AND b LIKE 'x%%'\", (name,))" in fixed


def test_mcp101_two_statement_form_used_once(tmp_path):
    code = SQL_TOOL.replace("    return conn.execute(SQL).fetchall()",
                            "    query = f\"DELETE FROM t WHERE a = '{name}'\"\n    return conn.execute(query).fetchall()")
    fixed = _diff_fix(tmp_path, code, "MCP101")
    assert '    query = "DELETE FROM t WHERE a = ?"\n    return conn.execute(query, (name,)).fetchall()' in fixed
    used_twice = code.replace("    return conn.execute(query)", "    print(query)\n    return conn.execute(query)")
    assert all(h["fix"] is None for h in _fixes_offered(tmp_path, used_twice, "MCP101"))


def test_mcp101_no_fix_when_params_are_already_passed(tmp_path):
    code = SQL_TOOL.replace("conn.execute(SQL)", "conn.execute(f\"SELECT * FROM t WHERE a = '{name}' AND b = ?\", (raw,))")
    assert all(h["fix"] is None for h in _fixes_offered(tmp_path, code, "MCP101"))


SWALLOW = '''\
import logging

log = logging.getLogger(__name__)

def save(path: str) -> None:
    try:
        open(path, "w").write("x")
    except Exception:
        pass
'''


def test_mcp302_uses_the_module_logger(tmp_path):
    assert _diff_fix(tmp_path, SWALLOW, "MCP302") == SWALLOW.replace(
        "        pass\n", '        log.exception("Unexpected error in save")\n')


def test_mcp302_no_module_logger_when_shadowed(tmp_path):
    code = SWALLOW.replace("def save(path: str)", "def save(path: str, log=None)")
    fixed = _diff_fix(tmp_path, code, "MCP302")
    assert 'logging.exception("Unexpected error in save")' in fixed


def test_mcp302_one_line_clause(tmp_path):
    code = SWALLOW.replace("    except Exception:\n        pass\n", "    except Exception: pass\n")
    assert _diff_fix(tmp_path, code, "MCP302").endswith('    except Exception: log.exception("Unexpected error in save")\n')


def test_mcp302_keeps_tabs(tmp_path):
    code = ("import logging\n\nlog = logging.getLogger(__name__)\n\ndef save(paths: list) -> None:\n"
            "\tfor path in paths:\n\t\ttry:\n\t\t\topen(path, 'w').write('x')\n\t\texcept Exception:\n"
            "\t\t\tcontinue\n")
    fixed = _diff_fix(tmp_path, code, "MCP302")
    assert fixed == code.replace("\t\texcept Exception:\n", '\t\texcept Exception:\n\t\t\tlog.exception('
                                 '"Unexpected error in save")\n')


@pytest.mark.parametrize("flavour,module", [
    ("from mcp.server.fastmcp import FastMCP", "from mcp.server.fastmcp.exceptions import ToolError"),
    ("from mcp.server.mcpserver import MCPServer as FastMCP", "from mcp.server.mcpserver.exceptions import ToolError"),
    ("from fastmcp import FastMCP", "from fastmcp.exceptions import ToolError"),
])
def test_mcp305_raises_the_flavours_tool_error(tmp_path, flavour, module):
    code = textwrap.dedent(f'''\
        {flavour}

        mcp = FastMCP("x")

        @mcp.tool()
        def read(path: str) -> str:
            """Read a file."""
            try:
                return open(path).read()
            except OSError as e:
                return f"Error: {{e}}"
        ''')
    fixed = _diff_fix(tmp_path, code, "MCP305")
    assert module in fixed and '        raise ToolError(f"Error: {e}")\n' in fixed
    ast.parse(fixed)


def test_mcp402_only_the_simple_shape(tmp_path):
    code = textwrap.dedent('''\
        import asyncio

        from fastmcp import FastMCP

        mcp = FastMCP("x")

        async def load(u: str) -> dict:
            await asyncio.sleep(0)
            return {}

        @mcp.tool
        async def many(urls: list[str]) -> list:
            """Many."""
            out = []
            for url in urls:
                out.append(await load(url))
            return out
        ''')
    fixed = _diff_fix(tmp_path, code, "MCP402")
    assert "    out.extend(await asyncio.gather(*(load(url) for url in urls)))\n    return out\n" in fixed
    uses_var = code.replace("    return out\n", "    return out + [url]\n")
    assert all(h["fix"] is None for h in _fixes_offered(tmp_path, uses_var, "MCP402"))


def test_mcp110_binds_loopback_in_the_literal_quotes(tmp_path):
    code = "import os\nfrom mcp.server.mcpserver import MCPServer\n\nmcp = MCPServer('x')\n\n" \
           "if __name__ == '__main__':\n    mcp.run('streamable-http', host=os.getenv('HOST', '0.0.0.0'))\n"
    assert _diff_fix(tmp_path, code, "MCP110") == code.replace("'0.0.0.0'", "'127.0.0.1'")
    specific = code.replace("'0.0.0.0'", "'10.1.2.3'")
    assert all(h["fix"] is None for h in _fixes_offered(tmp_path, specific, "MCP110"))


# -- applying fixes --------------------------------------------------------------------------------

def test_fix_all_rules_is_idempotent_and_valid(tmp_path):
    code = textwrap.dedent('''\
        import sqlite3
        import time
        import requests
        import yaml
        from mcp.server.fastmcp import FastMCP

        mcp = FastMCP("x", host="0.0.0.0")

        @mcp.tool()
        async def t(name: str) -> str:
            """T."""
            time.sleep(1)
            print("hi")
            try:
                data = yaml.load(name, Loader=yaml.Loader)
                r = requests.get(name, verify=False)
                conn = sqlite3.connect("a.db")
                conn.execute(f"SELECT * FROM t WHERE a = '{name}'")
            except Exception as e:
                return f"Error: {e}"
            return str(data) + r.text

        if __name__ == "__main__":
            mcp.run(transport="sse")
        ''')
    path = write(tmp_path, "s.py", code)
    run_cli("--no-cache", "--select", "ALL", "--fix", "--unsafe-fixes", "s.py", cwd=tmp_path)
    once = path.read_text()
    compile(once, "s.py", "exec")
    assert once != code
    run_cli("--no-cache", "--select", "ALL", "--fix", "--unsafe-fixes", "s.py", cwd=tmp_path)
    assert path.read_text() == once


def test_a_fix_that_would_break_the_code_is_dropped_with_a_warning(tmp_path):
    """`async def` is needed for `await`: a blocking call in an async def's nested sync def is
    not MCP403's, but a fix that leaves invalid code must never be written. Simulated with a
    duplicate keyword, which CPython refuses at compile time."""
    from mcp_lint.check.fixkit import fix_until_stable
    from mcp_lint.model.findings import Applicability, Edit, FileResult, Finding, Fix, Severity, Confidence, Span

    text = "x = f(a)\ny = 1\n"
    good = Finding("R001", "r", Severity.WARNING, Confidence.HIGH, "p.py", Span(2, 1, 2, 2, 9, 10), "m",
                   fix=Fix("d", (Edit(Span(2, 1, 2, 2, 9, 10), "z"),), Applicability.SAFE))
    bad = Finding("R002", "r", Severity.WARNING, Confidence.HIGH, "p.py", Span(1, 5, 1, 9, 4, 8), "m",
                  fix=Fix("d", (Edit(Span(1, 7, 1, 7, 6, 6), ", a=1, a=2"),), Applicability.SAFE))
    calls = []

    def lint(t):
        calls.append(t)
        found = [f for f in (good, bad) if len(calls) == 1]
        return FileResult("p.py", findings=found)

    run = fix_until_stable(text, lint, unsafe=False, path="p.py")
    assert run.text == "x = f(a)\nz = 1\n"
    assert [(d.rule_id, d.line) for d in run.dropped] == [("R002", 1)]


# -- atomic writes ---------------------------------------------------------------------------------

import contextlib
import shutil
import subprocess


@contextlib.contextmanager
def _unwritable(directory):
    """A directory in which no new file can be created: its mode, or, for a user the mode
    does not stop (root), the immutable attribute."""
    os.chmod(directory, 0o555)
    probe = directory / ".probe"
    try:
        probe.write_text("x")
    except OSError:
        try:
            yield
        finally:
            os.chmod(directory, 0o755)
        return
    probe.unlink()
    os.chmod(directory, 0o755)
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(directory)],
                                                        capture_output=True).returncode != 0:
        pytest.skip("cannot make a directory unwritable here")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(directory)], capture_output=True)


def test_fix_into_an_unwritable_directory_keeps_the_original(tmp_path):
    folder = tmp_path / "src"
    folder.mkdir()
    path = folder / "s.py"
    path.write_text(_tool())
    with _unwritable(folder):
        result = run_cli("--no-cache", "--select", "MCP501", "--fix", "src/s.py", cwd=tmp_path)
    assert result.exit_code == 2
    assert "src/s.py" in result.stderr and "cannot write" in result.stderr
    assert "Traceback" not in result.stderr
    assert path.read_text() == _tool()
    assert [p.name for p in folder.iterdir()] == ["s.py"]


def test_add_noqa_into_an_unwritable_directory(tmp_path):
    folder = tmp_path / "src"
    folder.mkdir()
    path = folder / "s.py"
    path.write_text(_tool())
    with _unwritable(folder):
        result = run_cli("--no-cache", "--add-noqa", "src/s.py", cwd=tmp_path)
    assert result.exit_code == 2 and "src/s.py" in result.stderr
    assert path.read_text() == _tool()


@pytest.mark.parametrize("option", ["--write-baseline", "-o"])
def test_baseline_and_report_into_an_unwritable_directory(tmp_path, option):
    write(tmp_path, "s.py", _tool())
    out = tmp_path / "out"
    out.mkdir()
    (out / "kept.json").write_text("old")
    with _unwritable(out):
        result = run_cli("--no-cache", option, "out/kept.json", "s.py", cwd=tmp_path)
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "out/kept.json" in result.stderr and "cannot write" in result.stderr
    assert (out / "kept.json").read_text() == "old"


def test_a_full_disk_leaves_the_original_intact(tmp_path):
    """ENOSPC on a real, small file system (a tmpfs mounted for the test, where allowed)."""
    mount = tmp_path / "small"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small file system here")
    try:
        path = mount / "s.py"
        path.write_text(_tool())
        with contextlib.suppress(OSError), open(mount / "filler", "wb") as fh:
            while True:
                fh.write(b"\0" * 1024)
                fh.flush()
        result = run_cli("--no-cache", "--select", "MCP501", "--fix", str(path), cwd=tmp_path)
        assert result.exit_code == 2, result.stdout + result.stderr
        assert "s.py" in result.stderr and "No space left" in result.stderr
        assert path.read_text() == _tool()
        assert sorted(p.name for p in mount.iterdir()) == ["filler", "s.py"]
    finally:
        subprocess.run(["umount", str(mount)], capture_output=True)


def test_fix_keeps_the_file_mode_and_never_writes_through_a_link(tmp_path):
    real = tmp_path / "real.py"
    real.write_text(_tool())
    os.chmod(real, 0o640)
    link = tmp_path / "link.py"
    link.symlink_to(real)
    through_link = run_cli("--no-cache", "--select", "MCP501", "--fix", "link.py", cwd=tmp_path)
    assert link.is_symlink()
    assert "file=sys.stderr" not in real.read_text()
    assert "a symbolic link is not edited" in through_link.stderr
    run_cli("--no-cache", "--select", "MCP501", "--fix", "real.py", cwd=tmp_path)
    assert "file=sys.stderr" in real.read_text()
    assert (real.stat().st_mode & 0o777) == 0o640


# -- the fix in reports ------------------------------------------------------------------------------

def test_json_and_sarif_carry_the_fixes(tmp_path):
    import json

    import jsonschema
    from importlib import resources

    from mcp_lint.output.reporters.sarif import build_sarif  # noqa: F401 - the module the CLI uses
    from conftest import SARIF_SCHEMA

    code = _tool(imports="import requests\n", body="    print(requests.get(q).text)\n")
    write(tmp_path, "s.py", code)
    doc = run_cli("--no-cache", "--output-format", "json", "--select", "MCP401,MCP501", "s.py", cwd=tmp_path).json()
    schema = json.loads(resources.files("mcp_lint").joinpath("output/reporters/report.schema.json").read_text())
    jsonschema.validate(doc, schema)
    fixes = {f["id"]: f["fix"] for f in doc["findings"]}
    assert fixes["MCP401"]["applicability"] == "unsafe"
    assert fixes["MCP501"]["applicability"] == "safe"
    insert = next(e for e in fixes["MCP501"]["edits"] if e["content"] == "import sys\n")
    assert insert["start"] == insert["end"] == {"line": 2, "column": 1}  # after `import requests`

    out = tmp_path / "r.sarif"
    run_cli("--no-cache", "--output-format", "sarif", "-o", out, "--select", "MCP401,MCP501", "s.py", cwd=tmp_path)
    sarif = json.loads(out.read_text())
    jsonschema.validate(sarif, json.loads(SARIF_SCHEMA.read_text()))
    results = {r["ruleId"]: r for r in sarif["runs"][0]["results"]}
    change = results["MCP501"]["fixes"][0]["artifactChanges"][0]
    assert change["artifactLocation"]["uri"] == "s.py"
    regions = [r["deletedRegion"] for r in change["replacements"]]
    assert regions[0] == {"startLine": 2, "startColumn": 1, "endLine": 2, "endColumn": 1}  # an insertion
    assert [r["insertedContent"]["text"] for r in change["replacements"]] == ["import sys\n", ", file=sys.stderr"]
    assert "unsafe" in results["MCP401"]["fixes"][0]["description"]["text"]


def test_two_fixes_on_one_call_apply_over_two_passes_without_warnings(tmp_path):
    code = HTTP_TOOL.replace("requests.get(url)", "requests.get(verify=False)")
    path = write(tmp_path, "probe.py", code)
    result = run_cli("--no-cache", "--select", "MCP109,MCP401", "--fix", "--unsafe-fixes", "probe.py", cwd=tmp_path)
    assert "warning" not in result.stderr, result.stderr
    assert path.read_text() == HTTP_TOOL.replace("requests.get(url)", "requests.get(timeout=30)")


# -- every rule's fix keeps the file's layout ----------------------------------------------------------

def _fixed_examples():
    from mcp_lint.packs.registry import default_registry
    out = []
    for rule in default_registry().rules:
        for i, ex in enumerate(rule.invalid):
            if ex.fixed is not None and not ex.files and textwrap.dedent(ex.fixed) != textwrap.dedent(ex.code):
                out.append(pytest.param(rule.id, i, id=f"{rule.id}-invalid-{i}"))
    return out


def _tabs(text: str) -> str:
    lines = []
    for line in text.split("\n"):
        stripped = line.lstrip(" ")
        lead = len(line) - len(stripped)
        lines.append("\t" * (lead // 4) + " " * (lead % 4) + stripped)
    return "\n".join(lines)


@pytest.mark.parametrize("layout", ["crlf", "cr", "tabs", "bom"])
@pytest.mark.parametrize("rule_id,index", _fixed_examples())
def test_every_fix_keeps_line_endings_and_indentation(tmp_path, rule_id, index, layout):
    from mcp_lint.packs.registry import default_registry
    rule = next(r for r in default_registry().rules if r.id == rule_id)
    ex = rule.invalid[index]
    code, fixed = textwrap.dedent(ex.code), textwrap.dedent(ex.fixed)
    transform = {"crlf": lambda t: t.replace("\n", "\r\n").encode(), "cr": lambda t: t.replace("\n", "\r").encode(),
                 "tabs": lambda t: _tabs(t).encode(), "bom": lambda t: b"\xef\xbb\xbf" + t.encode()}[layout]
    path = tmp_path / ex.filename
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(transform(code))
    result = run_cli("--no-cache", "--select", rule_id, "--fix", "--unsafe-fixes", ex.filename, cwd=tmp_path)
    assert "warning" not in result.stderr, result.stderr
    assert path.read_bytes() == transform(fixed)


def test_mcp501_no_fix_with_a_later_or_type_checking_import(tmp_path):
    early = 'from mcp.server.fastmcp import FastMCP\nprint("starting")\nimport sys\nmcp = FastMCP("x")\nmcp.run()\n'
    assert [h["fix"] for h in _fixes_offered(tmp_path, early, "MCP501")] == [None]
    typing_only = _tool(imports="from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import sys\n")
    assert [h["fix"] for h in _fixes_offered(tmp_path, typing_only, "MCP501")] == [None]
