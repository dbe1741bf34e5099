"""Cache directories built by an attacker: whatever a cloned repository puts in `.mcp_lint_cache`
(damaged or forged documents, entries of the wrong shape, links out of the tree, FIFOs, files the
user cannot read), a run's findings equal a `--no-cache` run's, and nothing outside the cache
directory changes. A small fixed number of examples runs in CI; `MCP_LINT_FUZZ_EXAMPLES` and
`MCP_LINT_FUZZ_SEED` run or replay a campaign."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from conftest import SERVER, run_cli, write
from test_hostile_cache import _tree_hash

CACHE = ".mcp_lint_cache"
EXAMPLES = int(os.environ.get("MCP_LINT_FUZZ_EXAMPLES", "12"))
SEED = int(os.environ.get("MCP_LINT_FUZZ_SEED", "20261206"))

_json_leaf = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(10 ** 30), max_value=10 ** 30),
                       st.floats(allow_nan=False), st.text(max_size=20))
_json = st.recursive(_json_leaf, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                           st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                     max_leaves=20)
_span = st.lists(st.integers(min_value=-5, max_value=10 ** 12), min_size=6, max_size=6)
_finding = st.tuples(st.sampled_from(["MCP101", "MCP102", "XYZ999", ""]), st.text(max_size=10),
                     st.sampled_from(["error", "warning", "bogus"]), st.sampled_from(["high", "low", "maybe"]),
                     _span, st.text(max_size=30), st.just([]), st.none(), st.integers(-3, 10 ** 9),
                     st.text(max_size=16)).map(list)
_entry = st.lists(st.one_of(_json, st.tuples(st.text(max_size=40), st.lists(_finding, max_size=3), _json).map(list)),
                  max_size=2)


@st.composite
def cache_states(draw):
    kind = draw(st.sampled_from(["document", "raw", "link", "fifo", "unreadable", "marker-link"]))
    return kind, draw(st.one_of(_json, st.dictionaries(st.sampled_from(["server.py", "clean.py", "x"]), _entry,
                                                        max_size=3))), draw(st.binary(max_size=200))


def _plant(project: Path, outside: Path, state) -> None:
    kind, files, raw = state
    cache = project / CACHE
    if kind == "link":
        shutil.rmtree(cache, ignore_errors=True)
        cache.symlink_to(outside)
        return
    cache.mkdir(exist_ok=True)
    targets = sorted(cache.glob("*.json")) or [cache / "findings-v3-00000000000000000000.json"]
    for target in targets:
        if kind == "document":
            doc = json.loads(target.read_text(encoding="utf-8")) if target.exists() else {}
            if isinstance(doc, dict) and "files" in doc:
                doc["files"].update(files if isinstance(files, dict) else {})
            target.write_text(json.dumps(doc), encoding="utf-8")
        elif kind == "raw":
            target.write_bytes(raw)
        elif kind == "fifo" and hasattr(os, "mkfifo"):
            target.unlink(missing_ok=True)
            os.mkfifo(target)
        elif kind == "unreadable":
            target.write_bytes(raw)
            target.chmod(0)
    if kind == "marker-link":
        (cache / "CACHEDIR.TAG").unlink(missing_ok=True)
        (cache / "CACHEDIR.TAG").symlink_to(outside / "planted")


@pytest.fixture(autouse=True)
def _cache_in_the_project(monkeypatch):
    monkeypatch.delenv("MCP_LINT_CACHE_DIR", raising=False)


@seed(SEED)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(state=cache_states())
def test_a_hostile_cache_changes_neither_results_nor_anything_outside(tmp_path_factory, state):
    root = tmp_path_factory.mktemp("fuzz")
    project, outside = root / "project", root / "outside"
    write(project, "server.py", SERVER)
    write(project, "clean.py", "X = 1\n")
    write(outside, "sentinel.txt", "keep me\n")
    run_cli("--output-format", "json", ".", cwd=project)  # a real cache to damage
    _plant(project, outside, state)
    before = _tree_hash(outside)
    try:
        cached = run_cli("--output-format", "json", ".", cwd=project)
        fresh = run_cli("--output-format", "json", "--no-cache", ".", cwd=project)
    finally:
        for path in (project / CACHE).glob("*"):
            if not path.is_symlink():
                path.chmod(0o600)
    assert cached.exit_code == fresh.exit_code == 1, cached.stderr
    assert "Traceback" not in cached.stderr
    assert cached.json()["findings"] == fresh.json()["findings"]
    assert _tree_hash(outside) == before
