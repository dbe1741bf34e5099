"""A tree holding every hostile input a repository may contain (built by `hostile.build`) lints
as a real process in under a minute, exit 0 or 1, no traceback: MCP001 for each broken file,
a message for each skipped one, and every finding of the good files, at the right position,
serial and parallel alike (byte-identical JSON and SARIF)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import sarif_schema_errors
from hostile import build, restore


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    expected = build(root)
    yield root, expected
    restore(root)


def _lint(root: Path, *args: str) -> tuple[subprocess.CompletedProcess, float]:
    start = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "mcp_lint", *args, "."], cwd=root, capture_output=True, text=True,
                         timeout=120)
    return out, time.monotonic() - start


@pytest.fixture(scope="module")
def runs(tree):
    root, _ = tree
    return {jobs: _lint(root, "-j", jobs, "--output-format", fmt) for jobs in ("1", "2") for fmt in ("json",)} | {
        f"sarif{jobs}": _lint(root, "-j", jobs, "--output-format", "sarif") for jobs in ("1", "2")}


def test_the_tree_is_large_enough_for_the_worker_pool(tree):
    from mcp_lint.run import scheduler as runner
    root, _ = tree
    files = [p for p in root.rglob("*.py") if p.is_file() and not p.is_symlink()]
    assert len(files) >= runner.SERIAL_FILES
    assert sum(p.stat().st_size for p in files if p.stat().st_size < 1024 * 1024) >= runner.SERIAL_BYTES


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_hostile_tree_lints_fast_without_a_traceback(runs, jobs):
    out, seconds = runs[jobs]
    assert out.returncode in (0, 1), out.stderr[-3000:]
    assert "Traceback" not in out.stderr and "Traceback" not in out.stdout
    assert "internal error" not in out.stderr
    assert seconds < 60


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_every_broken_file_is_an_mcp001_on_its_line(tree, runs, jobs):
    _, expected = tree
    doc = json.loads(runs[jobs][0].stdout)
    parse = {}
    for f in doc["findings"]:
        if f["id"] == "MCP001":
            assert f["path"] not in parse, f"two MCP001 for {f['path']}"
            parse[f["path"]] = f
    assert set(parse) == set(expected.parse_errors)
    for path, (fragment, line) in expected.parse_errors.items():
        assert fragment.lower() in parse[path]["message"].lower(), (path, parse[path]["message"])
        if line is not None:
            assert parse[path]["start"]["line"] == line, (path, parse[path])


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_good_files_keep_their_findings_at_the_right_positions(tree, runs, jobs):
    _, expected = tree
    doc = json.loads(runs[jobs][0].stdout)
    by_path: dict[str, list] = {}
    for f in doc["findings"]:
        by_path.setdefault(f["path"], []).append(f)
    for path, (line, column) in expected.good.items():
        found = [(f["id"], f["start"]["line"], f["start"]["column"]) for f in by_path.get(path, [])]
        assert ("MCP101", line, column) in found, (path, found)
        assert not [f for f in found if f[0] == "MCP001"], (path, found)
    for path in expected.clean:
        assert path not in by_path, by_path[path]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_skipped_paths_are_named_on_stderr(tree, runs, jobs):
    _, expected = tree
    stderr = runs[jobs][0].stderr
    for path, fragment in expected.messages.items():
        assert any(path in line and fragment in line for line in stderr.splitlines()), (path, stderr)


def test_serial_and_parallel_output_is_byte_identical(runs):
    assert runs["1"][0].stdout == runs["2"][0].stdout
    assert runs["sarif1"][0].stdout == runs["sarif2"][0].stdout


def test_sarif_of_the_hostile_tree_is_valid(runs):
    doc = json.loads(runs["sarif2"][0].stdout)
    assert sarif_schema_errors(doc) == []
    assert doc["runs"][0]["results"]


def test_reporters_show_the_lines_python_counts(tmp_path):
    from conftest import run_cli
    from hostile import SERVER_FINDING, _server
    lead = "# page one\x0c page two\nNOTE = 'a\u2028b\x1cc'\n"
    (tmp_path / "ff.py").write_bytes(b"\xef\xbb\xbf" + lead.encode() + _server("\r"))
    full = run_cli("--output-format", "full", "ff.py", cwd=tmp_path).stdout
    line = SERVER_FINDING[0] + 2
    frame = [row for row in full.splitlines() if row.strip().startswith(f"{line} |")]
    assert frame and "cur.execute" in frame[0], full
    sarif = json.loads(run_cli("--output-format", "sarif", "ff.py", cwd=tmp_path).stdout)
    region = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (line, SERVER_FINDING[1])


def test_linted_code_is_never_imported_or_run(tmp_path):
    marker = tmp_path / "ran"
    payload = f"open({str(marker)!r}, 'w').write('x')\nraise SystemExit(3)\n"
    for name in ("setup.py", "conftest.py", "pkg/__init__.py", "pkg/__main__.py", "server.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(payload, encoding="utf-8")
    (tmp_path / "pack.yaml").write_text("pack: !!python/object/apply:os.system ['touch ran']\n", encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "mcp_lint", "--exit-zero", "."], cwd=tmp_path, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    bad = subprocess.run([sys.executable, "-m", "mcp_lint", "--rule-pack", "pack.yaml", "."], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "pack.yaml:1:" in bad.stderr
    assert not marker.exists()


def test_the_linter_has_no_way_to_run_what_it_reads():
    """No exec/eval/import of dynamic names, no unsafe YAML or pickle loads anywhere in the
    package (ast.literal_eval is the one evaluator, and it only builds literals)."""
    import ast

    from conftest import ROOT
    forbidden = {"exec", "eval", "compile_command", "__import__", "import_module", "run_path", "run_module",
                 "unsafe_load", "full_load", "load_all"}
    offenders = []
    for path in sorted((ROOT / "src" / "mcp_lint").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
                if name in forbidden or (name == "load" and isinstance(func, ast.Attribute)
                                         and getattr(func.value, "id", "") in ("yaml", "pickle", "marshal")):
                    offenders.append(f"{path.name}:{node.lineno}: {name}")
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            if modules:
                names = [m.split(".")[0] for m in modules]
                if any(n in ("runpy", "pickle", "marshal", "code") for n in names):
                    offenders.append(f"{path.name}:{node.lineno}: import {names}")
    assert not offenders, offenders

