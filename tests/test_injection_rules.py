"""The taint-based security rules end to end: messages, per-finding confidence, traces,
and how their scores and CWE tags reach SARIF."""

from __future__ import annotations

import json

from conftest import run_cli, write

SHELL_RUNNER = '''\
import subprocess
from mcp.server.fastmcp import FastMCP

mcp = FastMCP("shell")

@mcp.tool()
def run(command: str) -> str:
    """Run a shell command."""
    return subprocess.run(command, shell=True, capture_output=True, text=True).stdout

@mcp.tool()
def run_limited(command: str) -> str:
    """Run an allowed shell command in the sandbox directory."""
    if command.split()[0] not in {"ls", "cat", "grep"}:
        raise ValueError("command not allowed")
    return subprocess.run(command, shell=True, capture_output=True, text=True, timeout=30, cwd="/srv/sandbox").stdout

@mcp.tool()
def run_anywhere(command: str, directory: str) -> str:
    """Run a command in a directory of the model's choice."""
    return subprocess.run(command, shell=True, capture_output=True, text=True, cwd=directory).stdout
'''

HELPER_FLOW = '''\
import os
from fastmcp import FastMCP

mcp = FastMCP("media")

def convert(src):
    os.system("ffmpeg -i " + src + " out.mp3")

@mcp.tool
def to_mp3(video: str) -> str:
    """Convert a video."""
    convert(video)
    return "out.mp3"
'''


def _json(tmp_path, name: str, code: str, *args: str) -> list[dict]:
    write(tmp_path, name, code)
    result = run_cli("--output-format", "json", "--exit-zero", *args, name, cwd=tmp_path)
    return json.loads(result.stdout)["findings"]


def test_a_command_runner_says_what_restricts_it_and_lowers_confidence(tmp_path):
    found = {f["start"]["line"]: f for f in _json(tmp_path, "shell.py", SHELL_RUNNER, "--select", "MCP102")}
    assert sorted(found) == [9, 16, 21]
    bare, limited, anywhere = found[9], found[16], found[21]
    assert bare["confidence"] == "high"
    assert "no allow-list check, timeout or working-directory restriction" in bare["message"]
    assert limited["confidence"] == "medium"
    assert "an allow-list check, a timeout and a working directory" in limited["message"]
    # a working directory the model picks restricts nothing
    assert anywhere["confidence"] == "high"
    assert "no allow-list check" in anywhere["message"]


def test_taint_findings_carry_the_flow_through_a_helper(tmp_path):
    (finding,) = _json(tmp_path, "media.py", HELPER_FLOW, "--select", "MCP102")
    assert finding["start"]["line"] == 7
    steps = [(s["start"]["line"], s["message"]) for s in finding["trace"]]
    assert steps[0] == (10, "tool parameter `video`")
    assert any(line == 12 and "passed to `convert()`" in text for line, text in steps)
    assert steps[-1][0] == 7


def test_non_tool_data_is_reported_with_medium_confidence_and_no_trace(tmp_path):
    code = '''\
import pickle
from mcp.server.fastmcp import FastMCP

mcp = FastMCP("cache")

@mcp.tool()
def cached(key: str) -> str:
    """A cached value."""
    with open("/var/cache/app.pkl", "rb") as fh:
        return str(pickle.load(fh).get(key))
'''
    (finding,) = _json(tmp_path, "cache.py", code, "--select", "MCP108")
    assert finding["confidence"] == "medium"
    assert not finding.get("trace")


def test_sarif_carries_the_rule_score_and_cwe(tmp_path):
    write(tmp_path, "shell.py", SHELL_RUNNER)
    result = run_cli("--output-format", "sarif", "--exit-zero", "--select", "MCP102,MCP103,MCP112", "shell.py",
                     cwd=tmp_path)
    rules = {r["id"]: r for r in json.loads(result.stdout)["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["MCP102"]["properties"]["security-severity"] == "9.8"
    assert "external/cwe/cwe-078" in rules["MCP102"]["properties"]["tags"]
    assert rules["MCP103"]["properties"]["security-severity"] == "7.5"
    assert "external/cwe/cwe-088" in rules["MCP112"]["properties"]["tags"]


def test_security_severity_must_be_a_score(tmp_path):
    pack = tmp_path / "pack.yaml"
    pack.write_text('''\
pack: scored
description: A rule with an out-of-range score.
rules:
  - id: SCR001
    name: scored-rule
    message: "{source} reaches `{sink}`"
    severity: error
    confidence: high
    security-severity: 12
    tags: [security]
    docs: {what: Finds things., why: Because.}
    check:
      primitive: tainted-call
      sinks: [{call: probe.sink}]
    examples:
      invalid: [{code: "x = 1\\n", lines: [1]}]
      valid: [{code: "x = 1\\n"}]
''', encoding="utf-8")
    result = run_cli("validate-pack", pack)
    assert result.exit_code == 2
    assert "pack.yaml:9" in result.stdout + result.stderr
    assert "at most 10.0" in result.stdout + result.stderr


def test_a_shell_further_in_the_argv_runs_its_script(tmp_path):
    code = '''\
import subprocess
from fastmcp import FastMCP

mcp = FastMCP("docker")

@mcp.tool
def exec_in(container: str, command: str) -> str:
    """Run a command in a container."""
    return subprocess.run(["docker", "exec", "--", container, "bash", "-lc", command], timeout=30).stdout

@mcp.tool
def exec_fixed(container: str) -> str:
    """Run a fixed command in a container."""
    return subprocess.run(["docker", "exec", "--", container, "sh", "-c", "uptime"], timeout=30).stdout

@mcp.tool
def script_named(name: str) -> str:
    """`-c` after a script file is that script's argument, not a shell flag."""
    return subprocess.run(["bash", "tools/run.sh", "-c", name], timeout=30).stdout
'''
    found = _json(tmp_path, "docker.py", code, "--select", "MCP102,MCP112")
    assert [(f["id"], f["start"]["line"]) for f in found] == [("MCP102", 9)]
    assert "the script of `bash -lc`" in found[0]["message"]


def test_gitpython_commands_are_argv_sinks(tmp_path):
    code = '''\
import git
from mcp.server.fastmcp import FastMCP

mcp = FastMCP("git")

@mcp.tool()
def diff(repo_path: str, target: str) -> str:
    """Diff against a target."""
    repo = git.Repo(repo_path)
    return repo.git.diff("--unified=3", target)

@mcp.tool()
def checkout(repo_path: str, branch: str) -> str:
    """Switch branches."""
    if branch.startswith("-"):
        raise ValueError("invalid branch name")
    repo = git.Repo(repo_path)
    return repo.git.checkout(branch)

@mcp.tool()
def add(repo_path: str, files: list[str]) -> str:
    """Stage files."""
    return git.Repo(repo_path).git.add("--", *files)
'''
    found = _json(tmp_path, "gitserver.py", code, "--select", "MCP102,MCP112")
    assert [(f["id"], f["start"]["line"]) for f in found] == [("MCP112", 10)]
    assert "tool parameter `target`" in found[0]["message"]


def test_ssrf_reads_request_objects_and_urljoin(tmp_path):
    code = '''\
import urllib.request
from urllib.parse import urljoin
import requests
from mcp.server.fastmcp import FastMCP

mcp = FastMCP("x")
BASE = "https://api.example.com"

@mcp.tool()
def fetch(url: str, path: str, item: str) -> str:
    """Fetch."""
    req = urllib.request.Request(url, headers={"User-Agent": "x"})
    urllib.request.urlopen(urllib.request.Request(BASE + "/" + item), timeout=5)
    requests.get(urljoin(BASE, "/items/" + item), timeout=5)
    requests.get(urljoin(BASE, path), timeout=5)
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.read().decode()
'''
    found = _json(tmp_path, "fetcher.py", code, "--select", "MCP105")
    assert [f["start"]["line"] for f in found] == [15, 16]
    assert "`path`" in found[0]["message"] and "`url`" in found[1]["message"]


def test_a_blocklist_is_not_an_allow_list(tmp_path):
    code = '''\
import subprocess
from mcp.server.fastmcp import FastMCP

mcp = FastMCP("shell")
BLOCKED = {"rm", "sudo"}
ALLOWED = {"ls", "cat"}

@mcp.tool()
def blocked(command: str) -> str:
    """Run anything but a few commands."""
    if command.split()[0] in BLOCKED:
        raise ValueError("blocked")
    return subprocess.run(command, shell=True, capture_output=True, text=True).stdout

@mcp.tool()
def gated(command: str) -> str:
    """Run listed commands only."""
    if command.split()[0] in ALLOWED:
        return subprocess.run(command, shell=True, capture_output=True, text=True).stdout
    return "not allowed"

@mcp.tool()
def prefixed(command: str, strict: bool) -> str:
    """Run commands with an allowed prefix, when strict."""
    if strict and not command.startswith(("git ", "ls ")):
        raise ValueError("not allowed")
    return subprocess.run(command, shell=True, capture_output=True, text=True).stdout
'''
    found = {f["start"]["line"]: f for f in _json(tmp_path, "lists.py", code, "--select", "MCP102")}
    assert sorted(found) == [13, 19, 27]
    assert "no allow-list check" in found[13]["message"] and found[13]["confidence"] == "high"
    assert "restricted by an allow-list check" in found[19]["message"]
    assert "restricted by an allow-list check" in found[27]["message"]


def test_code_checked_node_by_node_is_not_code_execution(tmp_path):
    code = '''\
import ast
from mcp.server.fastmcp import FastMCP

mcp = FastMCP("calc")
SAFE = (ast.Expression, ast.BinOp, ast.Constant, ast.operator)

@mcp.tool()
def checked_with_all(expression: str) -> str:
    """The source text is evaluated after its tree passed the check."""
    tree = ast.parse(expression, mode="eval")
    if not all(isinstance(node, SAFE) for node in ast.walk(tree)):
        raise ValueError("not arithmetic")
    return str(eval(expression))

@mcp.tool()
def checked_other_tree(expression: str, other: str) -> str:
    """Checking one tree says nothing about another text."""
    tree = ast.parse(other, mode="eval")
    for node in ast.walk(tree):
        if not isinstance(node, SAFE):
            raise ValueError("not arithmetic")
    return str(eval(expression))
'''
    found = _json(tmp_path, "calc.py", code, "--select", "MCP104")
    assert [f["start"]["line"] for f in found] == [22]


def test_an_allow_listed_program_leaves_argument_injection(tmp_path):
    code = '''\
import shlex
import subprocess
from mcp.server.fastmcp import FastMCP

mcp = FastMCP("shell")
ALLOWED = {"ls", "cat", "git"}

@mcp.tool()
def run(command_line: str) -> str:
    """Run an allowed program."""
    argv = shlex.split(command_line)
    if not argv or argv[0] not in ALLOWED:
        raise ValueError("program not allowed")
    return subprocess.run(argv, capture_output=True, text=True, timeout=30).stdout

@mcp.tool()
def run_any(command_line: str) -> str:
    """Run any program."""
    argv = shlex.split(command_line)
    return subprocess.run(argv, capture_output=True, text=True, timeout=30).stdout
'''
    found = _json(tmp_path, "allowed.py", code, "--select", "MCP102,MCP112")
    assert [(f["id"], f["start"]["line"]) for f in found] == [("MCP112", 14), ("MCP102", 20)]
    assert "allow-listed program" in found[0]["message"]
