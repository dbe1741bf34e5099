"""Never crash on input: pathological, truncated and oversized sources become an MCP001
finding or a clear message, and the rest of the run goes on."""

from __future__ import annotations

import pytest
from conftest import ROOT, run_cli, run_process

from mcp_lint.source.discovery import MAX_FILE_BYTES

PATHOLOGICAL = {
    "brackets-5000-deep": "x = " + "(" * 5000 + "1" + ")" * 5000 + "\n",
    "attribute-chain-20000": "x = a" + ".b" * 20000 + "\n",
    "call-chain-20000": "x = f" + "()" * 20000 + "\n",
    "operator-chain-100000": "x = " + "+".join(["1"] * 100000) + "\n",
    "not-chain-5000": "x = " + "not " * 5000 + "y\n",
    "conditional-chain-3000": "x = " + "1 if c else " * 3000 + "0\n",
    "indentation-300-deep": "def f(x):\n" + "".join("    " * (i + 1) + "if x:\n" for i in range(300))
                            + "    " * 301 + "pass\n",
    "string-concatenation-20000": "x = " + " ".join(['"a"'] * 20000) + "\n",
}


@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
def test_pathological_source_is_a_finding_not_a_crash(tmp_path, name):
    # A real process: a native crash here would kill the interpreter, not raise.
    bad = tmp_path / f"{name}.py"
    bad.write_text(PATHOLOGICAL[name], encoding="utf-8")
    (tmp_path / "ok.py").write_text("import sqlite3\n", encoding="utf-8")
    out = run_process(tmp_path, "--output-format", "concise", timeout=120)
    assert out.returncode in (0, 1), out.stderr[-2000:]
    assert "Traceback" not in out.stderr
    if out.returncode == 1:
        assert f"{name}.py:" in out.stdout and "MCP001" in out.stdout


def test_oversized_file_is_skipped_with_a_message(tmp_path):
    big = tmp_path / "generated.py"
    line = "VALUE = 1\n"
    big.write_text(line * (MAX_FILE_BYTES // len(line) + 10), encoding="utf-8")
    result = run_cli(big, "--output-format", "json")
    assert result.exit_code == 1
    [finding] = result.json()["findings"]
    assert finding["id"] == "MCP001" and "larger than" in finding["message"]


def test_every_truncation_of_a_real_server_is_handled(tmp_path):
    source = (ROOT / "examples" / "notes_server.py").read_text(encoding="utf-8")
    cuts = range(0, len(source), max(1, len(source) // 60))
    for i, cut in enumerate(cuts):
        (tmp_path / f"cut_{i:03d}.py").write_text(source[:cut], encoding="utf-8")
    result = run_cli(tmp_path, "--output-format", "json", "--exit-zero")
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    assert doc["files_examined"] == len(cuts)
    assert not doc["errors"], doc["errors"][:3]


def test_python_warnings_about_the_linted_code_are_not_printed(tmp_path):
    # Invalid escapes warn from the parser itself (a SyntaxWarning from 3.12; shown on any
    # version with PYTHONWARNINGS=always).
    import os
    import subprocess
    import sys
    (tmp_path / "odd.py").write_text('x = 1()\ny = "\\d"\nassert (x, "always true")\nz = x is 1\n', encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "mcp_lint", "--output-format", "concise", "odd.py"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONWARNINGS": "always"})
    assert out.returncode == 0, out.stdout
    assert "escape" not in out.stderr and "<source>" not in out.stderr and "odd.py" not in out.stderr, out.stderr
