"""The findings cache lives in the linted repository, so a cloned repository controls it: links,
FIFOs, damaged and forged entries, leftovers of killed runs. Results must equal a `--no-cache`
run, and nothing outside the cache directory may change."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import pytest

from conftest import SERVER, run_cli, write

CACHE = ".mcp_lint_cache"


@pytest.fixture(autouse=True)
def _cache_in_the_project(monkeypatch):
    monkeypatch.delenv("MCP_LINT_CACHE_DIR", raising=False)


def _tree_hash(root: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        h.update(str(path.relative_to(root)).encode())
        if path.is_symlink():
            h.update(os.readlink(path).encode())
        elif path.is_file():
            h.update(path.read_bytes())
    return h.hexdigest()


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    write(project, "server.py", SERVER)
    write(project, "clean.py", "X = 1\n")
    return project


def _lint(project: Path, *args: str):
    return run_cli("--output-format", "json", *args, ".", cwd=project)


def _same_as_no_cache(project: Path) -> None:
    cached = _lint(project)
    fresh = _lint(project, "--no-cache")
    assert cached.exit_code == fresh.exit_code == 1
    assert cached.json()["findings"] == fresh.json()["findings"]


def test_a_cache_directory_that_is_a_link_is_not_used(tmp_path):
    project = _project(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    for i in range(12):
        (outside / f"findings-v3-{i:020x}.json").write_text("{}", encoding="utf-8")
    (project / CACHE).symlink_to(outside)
    before = _tree_hash(outside)
    for _ in range(2):
        result = _lint(project)
        assert result.exit_code == 1
        assert "not used as the findings cache" in result.stderr
        assert result.stderr.count("not used as the findings cache") == 1
    assert _tree_hash(outside) == before


def test_a_dangling_marker_link_is_not_written_through(tmp_path):
    project = _project(tmp_path)
    (project / CACHE).mkdir()
    target = tmp_path / "planted.txt"
    (project / CACHE / "CACHEDIR.TAG").symlink_to(target)
    _same_as_no_cache(project)
    assert not target.exists()


def test_pruning_removes_only_files_the_cache_wrote(tmp_path):
    project = _project(tmp_path)
    cache = project / CACHE
    cache.mkdir()
    keep = [cache / "notes.json", cache / "findings-old.json", cache / "findings-v3-zz.json"]
    for path in keep:
        path.write_text("{}", encoding="utf-8")
    for level in ("info", "warning", "error"):
        for ignore in ("MCP201", "MCP301", "MCP401", "MCP404"):
            write(project, "pyproject.toml", f'[tool.mcp-lint]\nignore = ["{ignore}"]\n'
                                             f'[tool.mcp-lint.severity]\nMCP101 = "{level}"\n')
            _lint(project)
    assert all(path.exists() for path in keep)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_in_place_of_a_cache_file_does_not_hang(tmp_path):
    project = _project(tmp_path)
    _lint(project)
    (cache_file,) = (project / CACHE).glob("findings-*.json")
    cache_file.unlink()
    os.mkfifo(cache_file)
    (project / CACHE / "facts-v3.json").unlink()
    os.mkfifo(project / CACHE / "facts-v3.json")
    start = time.monotonic()
    _same_as_no_cache(project)
    assert time.monotonic() - start < 60


@pytest.mark.parametrize("content", [
    "[" * 100_000,
    '{"key": "x", "files": ' + "[" * 5000 + "]" * 5000 + "}",
])
def test_a_damaged_cache_file_is_ignored(tmp_path, content):
    project = _project(tmp_path)
    _lint(project)
    for cache_file in (project / CACHE).glob("*.json"):
        cache_file.write_text(content, encoding="utf-8")
    _same_as_no_cache(project)


def test_deeply_nested_facts_in_an_entry_are_ignored(tmp_path):
    project = _project(tmp_path)
    _lint(project)
    (cache_file,) = (project / CACHE).glob("findings-*.json")
    doc = json.loads(cache_file.read_text(encoding="utf-8"))
    nested: object = 1
    for _ in range(900):
        nested = {"t": [nested]}
    for variants in doc["files"].values():
        variants[0][2] = {"m": [["MCP601", nested]]}
    cache_file.write_text(json.dumps(doc), encoding="utf-8")
    _same_as_no_cache(project)


@pytest.mark.parametrize("span", [[10 ** 30, 1, 10 ** 30, 2, 0, 5], [-5, 1, 1, 2, 0, 5], [1, 1, 1, 2, 0, 10 ** 9]])
def test_a_forged_span_is_dropped(tmp_path, span):
    project = _project(tmp_path)
    _lint(project)
    (cache_file,) = (project / CACHE).glob("findings-*.json")
    doc = json.loads(cache_file.read_text(encoding="utf-8"))
    doc["files"]["server.py"][0][1][0][4] = span
    cache_file.write_text(json.dumps(doc), encoding="utf-8")
    _same_as_no_cache(project)


def test_an_unknown_rule_in_an_entry_is_dropped(tmp_path):
    project = _project(tmp_path)
    _lint(project)
    (cache_file,) = (project / CACHE).glob("findings-*.json")
    doc = json.loads(cache_file.read_text(encoding="utf-8"))
    doc["files"]["clean.py"][0][1] = [["XYZ999", "made-up", "error", "high", [1, 1, 1, 2, 0, 1], "forged", [],
                                       None, 1, "0" * 16]]
    cache_file.write_text(json.dumps(doc), encoding="utf-8")
    _same_as_no_cache(project)


def test_temporary_files_of_a_killed_run_are_removed(tmp_path):
    project = _project(tmp_path)
    cache = project / CACHE
    cache.mkdir()
    dead = cache / f".mcp-lint-{2 ** 22 + 12345}-{'a' * 16}.tmp"  # no such process
    dead.write_text("{", encoding="utf-8")
    mine_but_other = cache / ".findings-abc.tmp"  # not a name mcp-lint gives: left alone
    mine_but_other.write_text("x", encoding="utf-8")
    write(project, "server.py", SERVER + "\n# changed\n")
    _lint(project)
    assert not dead.exists()
    assert mine_but_other.exists()
