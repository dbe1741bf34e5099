"""Hostile file names and text: every path and message mcp-lint prints to a terminal or a log
is escaped, and every report is written whatever bytes a name holds.

A name can hold any byte but `/` and NUL: a newline followed by a GitHub workflow command,
ESC/OSC sequences, bidi controls, bytes that are not UTF-8. mcp-lint runs as a real process
here and its output is read as bytes, so nothing is decoded for it on the way.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SERVER, run_cli, sarif_schema_errors, write

INJECTED = "a\n::error file=x::pwned.py"
OSC = "b\x1b]0;retitled\x07\x1b[31m.py"
BIDI = "c\u202etxt.py"
NOT_UTF8 = b"x\xffy.py"

FORMATS = ("full", "concise", "json", "sarif", "github")


def _lint(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """`python -m mcp_lint ARGS` with bytes out, like a terminal or a CI log receives them."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    args = args if args[0] == "inspect" else ("--no-cache", *args)
    return subprocess.run([sys.executable, "-m", "mcp_lint", *args], cwd=cwd, capture_output=True,
                          timeout=120, env=env)


def _raw_controls(data: bytes, allowed: bytes = b"\n") -> list[str]:
    """Control characters (C0, DEL, C1), bidi controls and bytes that are not UTF-8 in `data`."""
    text = data.decode("utf-8", "surrogateescape")
    return [repr(c) for c in text if (ord(c) < 32 and c.encode() not in allowed) or 0x7f <= ord(c) <= 0x9f
            or c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029"
            or 0xd800 <= ord(c) <= 0xdfff]


def _hostile_tree(root: Path) -> None:
    for name in (INJECTED, OSC, BIDI):
        write(root, name, SERVER)
    (root / os.fsdecode(NOT_UTF8)).write_text(SERVER, encoding="utf-8")
    os.symlink("nowhere", root / "d\n::warning::broken.py")  # a warning on stderr names it


@pytest.mark.parametrize("fmt", ["full", "concise", "github"])
def test_names_printed_for_people_are_escaped_never_obeyed(tmp_path, fmt):
    _hostile_tree(tmp_path)
    result = _lint("--output-format", fmt, ".", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    for stream in (result.stdout, result.stderr):
        assert _raw_controls(stream) == [], stream
        for line in stream.splitlines():
            assert not line.startswith((b"::error file=x::pwned", b"::warning::broken")), line
    out = result.stdout.decode("utf-8")
    assert "\\x1b]0;retitled\\x07\\x1b[31m.py" in out  # shown, escaped
    assert "c\\u202etxt.py" in out
    assert "x\\xffy.py" in out
    assert "::error file=x::pwned.py" in out.replace("%3A", ":")  # on the line of its finding, after `a\n`
    assert "a\\n" in out
    assert b"d\\n::warning::broken.py: broken symbolic link" in result.stderr


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_report_is_written_for_a_name_that_is_not_utf8(tmp_path, fmt):
    (tmp_path / os.fsdecode(NOT_UTF8)).write_text(SERVER, encoding="utf-8")
    out = tmp_path / f"report.{fmt}"
    result = _lint("--output-format", fmt, "-o", str(out), ".", cwd=tmp_path)
    assert result.returncode == 1, result.stderr  # the finding, not a crash
    data = out.read_bytes()
    assert data and _raw_controls(data) == []
    data.decode("utf-8")  # the report itself is UTF-8
    if fmt == "json":
        (finding,) = json.loads(data)["findings"]
        assert os.fsencode(finding["path"]) == NOT_UTF8  # the exact name, recoverable
    elif fmt == "sarif":
        doc = json.loads(data)
        (res,) = doc["runs"][0]["results"]
        assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "x%FFy.py"
        assert sarif_schema_errors(doc) == []
    else:
        assert b"x\\xffy.py" in data


def test_json_and_sarif_keep_names_exact_and_printable(tmp_path):
    _hostile_tree(tmp_path)
    result = _lint("--output-format", "json", ".", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert _raw_controls(result.stdout) == []
    doc = json.loads(result.stdout)
    paths = {f["path"] for f in doc["findings"]}
    assert {INJECTED, OSC, BIDI, os.fsdecode(NOT_UTF8)} <= paths  # JSON escapes parse back to the names
    assert any("broken symbolic link" in e["message"] for e in doc.get("errors", [])) or b"broken" in result.stderr

    sarif = _lint("--output-format", "sarif", ".", cwd=tmp_path)
    assert _raw_controls(sarif.stdout) == []
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in json.loads(sarif.stdout)["runs"][0]["results"]}
    assert {"a%0A%3A%3Aerror%20file%3Dx%3A%3Apwned.py", "x%FFy.py", "c%E2%80%AEtxt.py"} <= uris


def test_quoted_source_lines_are_escaped_in_code_frames(tmp_path):
    """A raw ESC inside a string literal of the linted file reaches the terminal only escaped."""
    write(tmp_path, "server.py", 'from mcp.server.fastmcp import FastMCP\n\nmcp = FastMCP("x")\n\n\n'
                                 '@mcp.tool()\ndef shout(text: str) -> str:\n    """Prints."""\n'
                                 '    print("\x1b]0;owned\x07\x1b[2J", text)\n    return text\n\n\nmcp.run()\n')
    result = _lint("--select", "MCP501", ".", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert _raw_controls(result.stdout) == []
    out = result.stdout.decode("utf-8")
    assert 'print("\\x1b]0;owned\\x07\\x1b[2J", text)' in out
    frame = [line for line in out.splitlines() if line.startswith("  |") and "^" in line]
    assert frame == ["  |     " + "^" * len('print("\\x1b]0;owned\\x07\\x1b[2J", text)')], out


def test_baseline_round_trips_a_name_that_is_not_utf8(tmp_path):
    (tmp_path / os.fsdecode(NOT_UTF8)).write_text(SERVER, encoding="utf-8")
    baseline = tmp_path / "baseline.json"
    wrote = _lint("--write-baseline", str(baseline), ".", cwd=tmp_path)
    assert wrote.returncode == 0, wrote.stderr
    assert _raw_controls(baseline.read_bytes()) == []
    again = _lint("--baseline", str(baseline), ".", cwd=tmp_path)
    assert again.returncode == 0, again.stderr  # the recorded finding is recognised


def test_errors_naming_a_hostile_path_are_escaped(tmp_path):
    result = run_cli("--config", "no\x1b[2Jsuch.toml", ".", cwd=tmp_path)
    assert result.exit_code == 2
    assert "\x1b" not in result.stderr and "no\\x1b[2Jsuch.toml" in result.stderr
    missing = run_cli("gone\n::error::x.py", cwd=tmp_path)
    assert missing.exit_code == 2
    assert "gone\\n::error::x.py: no such file or directory" in missing.stderr


def test_inspect_shows_a_hostile_path_escaped(tmp_path):
    path = tmp_path / "ins\x1b]0;t\x07pect.py"
    path.write_text(SERVER, encoding="utf-8")
    result = _lint("inspect", str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert _raw_controls(result.stdout) == [] and b"ins\\x1b]0;t\\x07pect.py" in result.stdout


def test_a_link_to_a_file_outside_the_linted_tree_is_skipped_and_said(tmp_path):
    from conftest import SERVER, run_cli, write

    secret = tmp_path / "outside" / "secret.py"
    write(secret.parent, "secret.py", "ROOT_PASSWORD_LINE = 'root:x:0:0'\n" + SERVER)
    project = tmp_path / "project"
    write(project, "server.py", SERVER)
    (project / "leak.py").symlink_to(secret)
    result = run_cli("--output-format", "concise", ".", cwd=project)
    assert "root:x:0:0" not in result.stdout
    assert "leak.py" not in result.stdout
    assert "leak.py: skipped: a symbolic link to a file outside the linted paths" in result.stderr
    explicit = run_cli("--output-format", "concise", "leak.py", cwd=project)
    assert "leak.py" not in explicit.stdout and "outside the linted paths" in explicit.stderr


def test_fixes_never_write_through_a_link(tmp_path):
    from conftest import run_cli, write

    project = tmp_path / "project"
    stdio = ('from mcp.server.fastmcp import FastMCP\n\nmcp = FastMCP("x")\n\n\n@mcp.tool()\n'
             'def echo(value: str) -> str:\n    """Echo."""\n    print("called")\n    return value\n\n\nmcp.run()\n')
    write(project, "real/server.py", stdio)
    (project / "alias.py").symlink_to(project / "real" / "server.py")
    before = (project / "real" / "server.py").read_text(encoding="utf-8")
    result = run_cli("--fix", "--select", "MCP501", "alias.py", cwd=project)
    assert "a symbolic link is not edited" in result.stderr
    assert (project / "real" / "server.py").read_text(encoding="utf-8") == before
    assert (project / "alias.py").is_symlink()
