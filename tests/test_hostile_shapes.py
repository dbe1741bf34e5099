"""Code shaped to defeat the analysis: long flows, huge literals, adversarial strings, names
Python reads differently from how they are spelled. Each is linted through the real CLI and
must give the finding a reader would expect, or say where the analysis stopped; never
silence, never a crash. (How the cost grows with size is measured in bench/scaling.py.)"""

from __future__ import annotations

import re
import textwrap
import time
from pathlib import Path

import pytest

from conftest import findings, run_cli, write
from mcp_lint.analysis import taint
from mcp_lint.check.primitives import pieces, secrets, strings
from mcp_lint.packs.registry import default_registry
from mcp_lint.source import guard

HEAD = '''\
import importlib
import os
import subprocess

from mcp.server.fastmcp import FastMCP

mcp = FastMCP("x")


@mcp.tool()
def run(q: str) -> str:
    """Run."""
'''


def _lint(tmp_path: Path, code: str, *args: str, name: str = "server.py") -> list[dict]:
    path = tmp_path / name
    path.write_text(code, encoding="utf-8")
    result = run_cli(str(path), "--no-cache", "--output-format", "json", *args)
    assert result.exit_code in (0, 1), result.stderr
    return findings(result)


def _line_of(code: str, text: str) -> int:
    return next(i for i, line in enumerate(code.splitlines(), 1) if text in line)


# -- row 3: long flows are followed, and a bound is reported, never silence ----------------------------

@pytest.mark.parametrize("length", [100, 1000])
def test_a_long_chain_of_assignments_is_followed_to_the_tool_parameter(tmp_path, length):
    body = '    a1 = q + "x"\n' + "".join(f'    a{i} = a{i - 1} + "x"\n' for i in range(2, length + 1))
    code = HEAD + body + f"    os.system(a{length})\n    return q\n"
    found = [f for f in _lint(tmp_path, code) if f["id"] == "MCP102"]
    assert [f["start"]["line"] for f in found] == [_line_of(code, f"os.system(a{length})")]
    assert found[0]["confidence"] == "high"
    assert found[0]["message"].startswith("tool parameter `q` reaches `os.system()`")
    # the trace starts at the parameter and ends at the sink, the middle of a long one left out
    trace = found[0]["trace"]
    assert trace[0]["message"] == "tool parameter `q`" and trace[-1]["message"] == "`os.system()`"
    assert len(trace) <= taint.MAX_STEPS + 2


def test_a_chain_longer_than_the_nesting_bound_is_answered_in_steps(tmp_path):
    # deeper than MAX_DEPTH nested evaluations: answered from the bottom up, still exact
    length = taint.MAX_DEPTH * 3
    body = '    a1 = q\n' + "".join(f"    a{i} = a{i - 1}\n" for i in range(2, length + 1))
    code = HEAD + body + "".join(f"    os.system(a{i})\n" for i in (length, length // 2, 7)) + "    return q\n"
    found = [f for f in _lint(tmp_path, code) if f["id"] == "MCP102"]
    assert len(found) == 3 and {f["confidence"] for f in found} == {"high"}


def test_a_chain_through_many_helpers_is_followed(tmp_path):
    n = taint.MAX_DEPTH + 50
    helpers = "".join(f"def h{i}(x):\n    return h{i + 1}(x)\n\n\n" for i in range(n))
    code = HEAD + "    return h0(q)\n\n\n" + helpers + f"def h{n}(x):\n    return os.system(x)\n"
    found = [f for f in _lint(tmp_path, code) if f["id"] == "MCP102"]
    assert len(found) == 1 and found[0]["confidence"] == "high"
    assert found[0]["message"].startswith("tool parameter `q` reaches")


def test_more_definitions_than_the_analysis_follows_is_reported_as_a_cut_flow(tmp_path):
    # each `if` may or may not rebind v: past MAX_REACHING reaching definitions the rest are not
    # looked at, and the finding says so, at low confidence, instead of staying silent
    n = taint.MAX_REACHING + 20
    body = '    v = q\n' + "".join(f'    if len(q) == {i}:\n        v = "constant {i}"\n' for i in range(n))
    code = HEAD + body + "    os.system(v)\n    return q\n"
    found = [f for f in _lint(tmp_path, code) if f["id"] == "MCP102"]
    assert len(found) == 1
    assert found[0]["confidence"] == "low"
    assert "not followed to its source" in found[0]["message"]
    assert f"more than {taint.MAX_REACHING} definitions" in found[0]["message"]


def test_a_cut_flow_into_sql_is_reported_at_low_confidence(tmp_path):
    n = taint.MAX_REACHING + 5
    body = '    v = q\n' + "".join(f'    if len(q) == {i}:\n        v = "c{i}"\n' for i in range(n))
    code = HEAD.replace("import importlib\n", "import importlib\nimport sqlite3\n") + body + \
        '    sqlite3.connect("x.db").execute(f"SELECT * FROM t WHERE c = {v}")\n    return q\n'
    found = [f for f in _lint(tmp_path, code) if f["id"] == "MCP101"]
    assert len(found) == 1 and found[0]["confidence"] == "low"
    assert "not followed to its source" in found[0]["message"]


def test_fewer_definitions_than_the_bound_are_all_followed(tmp_path):
    body = '    v = "safe"\n' + "".join(f'    if len(q) == {i}:\n        v = "constant {i}"\n' for i in range(50))
    code = HEAD + body + "    os.system(v)\n    return q\n"
    assert [f for f in _lint(tmp_path, code) if f["id"] == "MCP102"] == []


def test_sql_built_in_many_steps_is_followed_to_its_first_step(tmp_path):
    steps = "".join(f'    sql += " AND c{i} = 1"\n' for i in range(40))
    code = HEAD.replace("import importlib\n", "import importlib\nimport sqlite3\n") + (
        '    conn = sqlite3.connect("x.db")\n    sql = "SELECT * FROM t WHERE 1 = 1"\n'
        "    sql += f\" AND a = '{q}'\"\n" + steps + "    conn.execute(sql)\n    conn.execute(sql)\n    return q\n")
    found = [f for f in _lint(tmp_path, code) if f["id"] == "MCP101"]
    assert [f["start"]["line"] for f in found] == [_line_of(code, "AND a = ")]


def test_an_argv_assigned_in_more_branches_than_are_split_is_judged_whole(tmp_path):
    # the tool input is the program in the first of twelve branches: too many item lists to
    # split, so the argv is judged by its flow as a whole rather than dropped
    branches = "    if len(q) == 0:\n        cmd = [q, \"--help\"]\n" + "".join(
        f'    elif len(q) == {i}:\n        cmd = ["tool{i}", "--x"]\n' for i in range(1, 12))
    code = HEAD + '    cmd = ["true"]\n' + branches + "    subprocess.run(cmd, timeout=5)\n    return q\n"
    found = [f for f in _lint(tmp_path, code) if f["id"] == "MCP102"]
    assert [f["start"]["line"] for f in found] == [_line_of(code, "subprocess.run(cmd")]


# -- row 1: one function indexed once, restrictions unchanged -----------------------------------------

def test_restrictions_are_told_per_sink_in_a_function_with_many_sinks(tmp_path):
    # checks on values derived from `q` restrict q's sinks (a check whose branch holds the sink,
    # or one that rejects unlisted values), not r's
    lines = []
    for i in range(90):
        if i % 3 == 0:
            lines += [f'    v{i} = q + "{i}"', f"    if v{i}.split()[0] in ALLOWED:", f"        os.system(v{i})"]
        elif i % 3 == 1:
            lines += [f'    w{i} = r + "{i}"', f"    os.system(w{i})"]
        else:
            lines += [f'    u{i} = q + "{i}"', f"    if u{i}.split()[0] not in ALLOWED:", '        raise ValueError("no")']
    code = HEAD.replace('mcp = FastMCP("x")', 'mcp = FastMCP("x")\nALLOWED = {"ls", "pwd"}').replace(
        "def run(q: str)", "def run(q: str, r: str)") + "\n".join(lines) + "\n    return q\n"
    found = {f["start"]["line"]: f["message"] for f in _lint(tmp_path, code) if f["id"] == "MCP102"}
    assert len(found) == 60
    source = code.splitlines()
    for line, message in found.items():
        if source[line - 1].strip().startswith("os.system(w"):
            assert "tool parameter `r`" in message and "no allow-list check" in message
        else:
            assert "tool parameter `q`" in message and "restricted by an allow-list check" in message


def test_an_allow_list_on_a_name_derived_through_a_cycle_of_assignments_counts(tmp_path):
    code = HEAD.replace('mcp = FastMCP("x")', 'mcp = FastMCP("x")\nALLOWED = {"ls"}') + textwrap.indent(textwrap.dedent('''\
        a = q
        for _ in range(2):
            b = a
            a = b
        if b not in ALLOWED:
            raise ValueError("no")
        os.system(q)
        return q
    '''), "    ")
    found = [f for f in _lint(tmp_path, code) if f["id"] == "MCP102"]
    assert len(found) == 1 and "restricted by an allow-list check" in found[0]["message"]


# -- row 5 and 7: stdout in a stdio server --------------------------------------------------------------

STDIO = '''\
import sys

from mcp.server.fastmcp import FastMCP

mcp = FastMCP("x")


@mcp.tool()
def run(q: str) -> str:
    """Run."""
{body}    return q


if __name__ == "__main__":
    mcp.run()
'''


def test_print_with_file_none_writes_to_stdout(tmp_path):
    code = STDIO.format(body="    print(q, file=None)\n    pprint_stream = None\n    print(q, file=sys.stderr)\n")
    found = [f for f in _lint(tmp_path, code) if f["id"] == "MCP501"]
    assert [f["start"]["line"] for f in found] == [_line_of(code, "file=None")]
    path = tmp_path / "server.py"
    assert run_cli(str(path), "--no-cache", "--fix").exit_code == 0
    assert "print(q, file=sys.stderr)\n    pprint_stream" in path.read_text(encoding="utf-8")


def test_every_print_of_a_long_stdio_module_is_reported_once(tmp_path):
    body = "".join(f'    print("line {i}")\n' for i in range(2000))
    code = STDIO.format(body=body)
    found = [f for f in _lint(tmp_path, code) if f["id"] == "MCP501"]
    assert len(found) == 2000 and len({f["start"]["line"] for f in found}) == 2000


# -- row 6: spellings Python treats as the same ----------------------------------------------------------

EVASIONS = [
    ("ｅｖａｌ(q)", "MCP104", "`eval()`"),
    ("ｏｓ.system(q)", "MCP102", "`os.system()`"),
    ("os.ｓｙｓｔｅｍ(q)", "MCP102", "`os.system()`"),
    ('__import__("os").system(q)', "MCP102", '`__import__("os").system()`'),
    ('__import__("os.path").system(q)', "MCP102", "system()`"),  # `__import__` returns the package
    ('getattr(os, "system")(q)', "MCP102", '`getattr(os, "system")()`'),
    ('getattr(__import__("subprocess"), "getoutput")(q)', "MCP102", '`getattr(__import__("subprocess")'),
    ('importlib.import_module("subprocess").run(q, shell=True)', "MCP102", '`importlib.import_module("subprocess")'),
    ("subprocess.run(q, ｓｈｅｌｌ=True)", "MCP102", "`subprocess.run()`"),
]


@pytest.mark.parametrize("call,rule,shown", EVASIONS, ids=[e[0] for e in EVASIONS])
def test_a_sink_spelled_another_way_is_the_same_sink(tmp_path, call, rule, shown):
    code = HEAD + f"    {call}\n    return q\n"
    found = [f for f in _lint(tmp_path, code) if f["id"] == rule]
    assert [(f["start"]["line"], f["start"]["column"]) for f in found] == [(_line_of(code, call), 5)]
    assert shown in found[0]["message"]


def test_sinks_reached_through_a_bound_name_are_the_same_sink(tmp_path):
    code = HEAD + textwrap.indent(textwrap.dedent('''\
        sp = importlib.import_module("subprocess")
        sp.run(q, shell=True)
        system = getattr(os, "system")
        system(q)
        run_it = subprocess.getoutput
        run_it(q)
        return q
    '''), "    ")
    found = sorted(f["start"]["line"] for f in _lint(tmp_path, code) if f["id"] == "MCP102")
    assert found == [_line_of(code, "sp.run("), _line_of(code, "system(q)"), _line_of(code, "run_it(q)")]


def test_a_parameter_spelled_in_another_form_is_the_same_variable(tmp_path):
    code = HEAD.replace("def run(q: str)", "def run(ｑ: str)") + "    os.system(q)\n    return q\n"
    found = [f for f in _lint(tmp_path, code) if f["id"] == "MCP102"]
    assert len(found) == 1 and found[0]["message"].startswith("tool parameter `q`")


def test_positions_stay_exact_when_a_normalised_name_changes_length(tmp_path):
    # "ﬁ" (one character) is "fi" (two) to Python: columns are those of the source as written
    code = HEAD + "    ﬁle_name = q; ｏｓ.system(ﬁle_name); os.system(q)\n    return q\n"
    found = sorted((f["start"]["column"], f["end"]["column"]) for f in _lint(tmp_path, code) if f["id"] == "MCP102")
    line = code.splitlines()[_line_of(code, "ﬁle_name = q") - 1]
    first = line.index("ｏｓ.system(") + 1
    second = line.index(" os.system(q)") + 2
    assert found == [(first, first + len("ｏｓ.system(ﬁle_name)")), (second, second + len("os.system(q)"))]


def test_dynamic_imports_that_cannot_be_known_stay_unknown(tmp_path):
    code = HEAD + textwrap.indent(textwrap.dedent('''\
        importlib.import_module(q).system(q)
        importlib.import_module(".os", "pkg").system(q)
        getattr(os, q)(q)
        getattr(os, "system", None)
        return q
    '''), "    ")
    assert [f for f in _lint(tmp_path, code) if f["id"] == "MCP102"] == []


def test_non_ascii_text_that_python_does_not_normalise_changes_nothing(tmp_path):
    code = HEAD + '    message = "日本語のテキスト ｆｕｌｌｗｉｄｔｈ"  # ｃｏｍｍｅｎｔ\n    os.system(q)\n    return message\n'
    found = [f for f in _lint(tmp_path, code) if f["id"] == "MCP102"]
    assert [(f["start"]["line"], f["start"]["column"]) for f in found] == [(_line_of(code, "os.system(q)"), 5)]


# -- row 2: a tree too large for memory is refused before libcst parses it ---------------------------------

def test_a_literal_with_more_nodes_than_the_bound_is_refused_before_parsing(tmp_path):
    code = "TABLE = [" + "1, " * (guard.MAX_NODES + 10) + "]\n"  # a node per element
    found = _lint(tmp_path, code, name="data.py")
    assert [(f["id"], f["start"]["line"]) for f in found] == [("MCP001", 1)]
    assert "too large to analyse" in found[0]["message"] and "MB of memory" in found[0]["message"]


def test_a_large_tree_under_the_bound_is_linted_in_isolation():
    code = "TABLE = {\n" + "".join(f'    "k{i}": {i},\n' for i in range(guard.RISKY_NODES // 2 + 100)) + "}\n"
    check = guard.precheck(code)
    assert check.refused is None and check.risk is not None and "syntax nodes" in check.risk


def test_small_files_are_not_counted():
    check = guard.precheck("x = 1\n" * 100)
    assert check.refused is None and check.risk is None


# -- row 4: every built-in pattern is linear on adversarial text -------------------------------------------

_SEEDS = ("sk-", "sk-proj-", "sk-ant-api03-", "ghp_", "github_pat_", "xoxb-", "AKIA", "AIza", "sk_live_",
          "-----BEGIN ", "-----BEGIN A ", "-----BEGIN PRIVATE KEY-----", "<", "{", "{{", "${", "%(", "%0",
          "%", "a1-", "A_", "Aa", "Bearer ", "/*", "--", "(")
_SIZE = 50_000


def _adversarial() -> list[str]:
    out = []
    for seed in _SEEDS:
        out.append((seed * (_SIZE // len(seed) + 1))[:_SIZE])  # the seed over and over
        out.append((seed * (_SIZE // len(seed) + 1))[:_SIZE] + "é")  # ... then a word character no class has
        out.append(seed + "a" * _SIZE)  # one seed and a long run of what may follow it
        out.append(seed + "a" * _SIZE + "é")  # ... ending on a word character outside the class
        out.append((seed + "0" * 40 + "!") * (_SIZE // (len(seed) + 41)))
    return out


def _patterns() -> list[tuple[str, re.Pattern, str]]:
    registry = default_registry()
    out = []
    for rule in registry.rules:
        for fmt in rule.params.get("formats", ()):
            out.append((f"{rule.id} {fmt['name']}", re.compile(fmt["pattern"]), "search"))
    for module in (secrets, pieces, strings):
        for name, value in vars(module).items():
            if isinstance(value, re.Pattern):
                out.append((f"{module.__name__}.{name}", value, "fullmatch" if name in ("_ENUM_LIKE", "_ENV_NAME", "_QUALIFIED")
                            else "match" if name == "_AUTH_SCHEME" else "search"))
    return out


def test_the_built_in_patterns_include_the_key_formats():
    names = [name for name, _, _ in _patterns()]
    assert any("OpenAI" in n for n in names) and any("GitHub" in n for n in names)
    assert any(n.endswith("_PERCENT_FIELD") for n in names) and any(n.endswith("_PLACEHOLDER") for n in names)


@pytest.mark.parametrize("name,pattern,how", _patterns(), ids=lambda x: x if isinstance(x, str) else "")
def test_a_built_in_pattern_is_linear_on_adversarial_text(name, pattern, how):
    # A quadratic pattern spends seconds to minutes on one of these 50 KB inputs; a linear one
    # a few milliseconds. The bound is loose (a loaded machine), the gap is three orders.
    slowest = 0.0
    for text in _adversarial():
        start = time.perf_counter()
        if how == "search":
            for _ in pattern.finditer(text):
                pass
        else:
            getattr(pattern, how)(text)
        slowest = max(slowest, time.perf_counter() - start)
    assert slowest < 1.0, f"{name}: {slowest:.2f} s on a {_SIZE // 1000} KB input"


@pytest.mark.parametrize("literal", ['"sk-" * 70000', '"<" * 200000', '"{" * 200000', '"github_pat_" * 20000 + "é"'])
def test_a_200_kb_adversarial_literal_is_linted(tmp_path, literal):
    value = eval(literal)  # noqa: S307 - a constant expression of this test
    code = f"TOKEN_NOTE = {value!r}\napi_key = {value!r}\n"
    start = time.perf_counter()
    found = _lint(tmp_path, code, name="notes.py")
    assert time.perf_counter() - start < 30  # minutes before
    assert all(f["id"] == "MCP106" for f in found)
