"""The findings cache: a rerun answers from it with identical output; editing a file, a pack, an
option or another module's server invalidates exactly what it must; per-file-ignores stay
outside it; a damaged or unwritable cache never fails a run."""

from __future__ import annotations

import json
import os
import stat

import pytest

from conftest import PROBE_SOURCE, SERVER, findings, run_cli, write
from test_packs import GOOD_PACK
from mcp_lint.model import codec
from mcp_lint.run import cache as cache_module

CACHE = ".mcp_lint_cache"


@pytest.fixture(autouse=True)
def _default_location(monkeypatch):
    monkeypatch.delenv(cache_module.ENV_DIR, raising=False)


def _lint(tmp_path, *args):
    return run_cli("--output-format", "json", *args, ".", cwd=tmp_path)


def _spy(monkeypatch) -> list[str]:
    """The files the engine actually lints."""
    from mcp_lint.check import engine

    seen: list[str] = []
    original = engine.Engine.prepare

    def prepare(self, path, shown=None):
        seen.append(shown or path)
        return original(self, path, shown)

    monkeypatch.setattr(engine.Engine, "prepare", prepare)
    return seen


def test_rerun_is_answered_from_the_cache_with_identical_output(tmp_path, monkeypatch):
    write(tmp_path, "server.py", SERVER)
    write(tmp_path, "clean.py", "x = 1\n")
    first = _lint(tmp_path)
    assert first.exit_code == 1
    cache_dir = tmp_path / CACHE
    assert (cache_dir / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert (cache_dir / ".gitignore").read_text().splitlines()[-1] == "*"
    seen = _spy(monkeypatch)
    second = _lint(tmp_path)
    assert seen == []
    assert second.stdout == first.stdout
    assert second.exit_code == first.exit_code
    for fmt in ("full", "sarif"):
        monkeypatch.undo()
        cold = run_cli("--output-format", fmt, "--no-cache", ".", cwd=tmp_path)
        warm = run_cli("--output-format", fmt, ".", cwd=tmp_path)
        assert warm.stdout == cold.stdout


def test_editing_a_file_relints_only_that_file(tmp_path, monkeypatch):
    write(tmp_path, "server.py", SERVER)
    write(tmp_path, "other.py", SERVER)
    _lint(tmp_path)
    write(tmp_path, "other.py", SERVER.replace("find_orders", "find"))
    seen = _spy(monkeypatch)
    result = _lint(tmp_path)
    assert seen == ["other.py"]
    assert [f["path"] for f in findings(result, "MCP101")] == ["other.py", "server.py"]


@pytest.mark.parametrize("args", [["--select", "MCP1"], ["--ignore", "MCP101"], ["--extend-select", "ALL"]])
def test_changing_the_selection_relints(tmp_path, monkeypatch, args):
    write(tmp_path, "server.py", SERVER)
    _lint(tmp_path)
    seen = _spy(monkeypatch)
    fresh = run_cli("--output-format", "json", "--no-cache", *args, ".", cwd=tmp_path)
    result = _lint(tmp_path, *args)
    assert seen == ["server.py", "server.py"]
    assert result.stdout == fresh.stdout


def test_changing_a_severity_override_relints(tmp_path, monkeypatch):
    write(tmp_path, "server.py", SERVER)
    _lint(tmp_path)
    write(tmp_path, "pyproject.toml", '[tool.mcp-lint.severity]\nMCP101 = "info"\n')
    result = _lint(tmp_path)
    assert [f["severity"] for f in findings(result, "MCP101")] == ["info"]


def test_editing_a_pack_relints(tmp_path, monkeypatch):
    write(tmp_path, "server.py", PROBE_SOURCE)
    pack = write(tmp_path, "probes.yaml", GOOD_PACK)
    first = _lint(tmp_path, "--rule-pack", "probes.yaml")
    assert [f["id"] for f in findings(first)] == ["TST201"]
    pack.write_text(pack.read_text().replace('message: "{source} reaches `{sink}`"', 'message: "changed {sink}"'))
    second = _lint(tmp_path, "--rule-pack", "probes.yaml")
    assert [f["message"].split()[0] for f in findings(second)] == ["changed"]


def test_a_server_defined_in_another_module_invalidates(tmp_path, monkeypatch):
    """A tool module's findings depend on which objects other modules make servers: a change to
    what a file imports relints that file; an edit that leaves it alone relints only the edited file."""
    write(tmp_path, "pkg/__init__.py", "")
    write(tmp_path, "pkg/app.py", "from mcp.server.fastmcp import FastMCP\n\nmcp = FastMCP('x')\n")
    write(tmp_path, "pkg/tools.py", "from .app import mcp\n\n\n@mcp.tool()\ndef hello(name: str) -> str:\n"
                                    "    \"\"\"Hi.\"\"\"\n    return name\n")
    _lint(tmp_path)
    seen = _spy(monkeypatch)
    write(tmp_path, "pkg/app.py", "from mcp.server.fastmcp import FastMCP\n\n# the server\nmcp = FastMCP('x')\n")
    _lint(tmp_path)
    assert seen == ["pkg/app.py"]
    seen.clear()
    write(tmp_path, "pkg/app.py", "from mcp.server.fastmcp import FastMCP\n\n# the server\nmcp = FastMCP('x')\n"
                                  "admin = FastMCP('admin')\n")
    _lint(tmp_path)
    assert sorted(seen) == ["pkg/app.py"]  # tools.py does not import `admin`
    seen.clear()
    write(tmp_path, "pkg/app.py", "from fastmcp import FastMCP\n\nmcp = FastMCP('x')\n")
    _lint(tmp_path)
    assert sorted(seen) == ["pkg/app.py", "pkg/tools.py"]  # the server tools.py imports changed


def test_per_file_ignores_apply_to_cached_results(tmp_path, monkeypatch):
    write(tmp_path, "tests/test_server.py", SERVER)
    assert [f["path"] for f in findings(_lint(tmp_path), "MCP101")] == ["tests/test_server.py"]
    write(tmp_path, "pyproject.toml", '[tool.mcp-lint.per-file-ignores]\n"tests/*" = ["MCP101"]\n')
    seen = _spy(monkeypatch)
    assert findings(_lint(tmp_path), "MCP101") == []
    # ... and the ignore was not written into the cache: dropping it brings the finding back.
    write(tmp_path, "pyproject.toml", '[tool.mcp-lint]\n')
    assert [f["path"] for f in findings(_lint(tmp_path), "MCP101")] == ["tests/test_server.py"]
    assert seen == []


def test_no_cache_neither_reads_nor_writes(tmp_path, monkeypatch):
    write(tmp_path, "server.py", SERVER)
    _lint(tmp_path, "--no-cache")
    assert not (tmp_path / CACHE).exists()
    _lint(tmp_path)
    seen = _spy(monkeypatch)
    _lint(tmp_path, "--no-cache")
    assert seen == ["server.py"]


def test_cache_dir_option_and_setting(tmp_path):
    write(tmp_path, "server.py", SERVER)
    _lint(tmp_path, "--cache-dir", "elsewhere")
    assert (tmp_path / "elsewhere" / "CACHEDIR.TAG").is_file()
    assert not (tmp_path / CACHE).exists()
    write(tmp_path, "pyproject.toml", '[tool.mcp-lint]\ncache-dir = "build/lint-cache"\n')
    _lint(tmp_path)
    assert (tmp_path / "build" / "lint-cache" / "CACHEDIR.TAG").is_file()


def test_cache_sits_beside_the_configuration(tmp_path):
    write(tmp_path, "pyproject.toml", '[tool.mcp-lint]\n')
    write(tmp_path, "src/server.py", SERVER)
    run_cli("--output-format", "json", "server.py", cwd=tmp_path / "src")
    assert (tmp_path / CACHE).is_dir()
    assert not (tmp_path / "src" / CACHE).exists()


@pytest.mark.parametrize("damage", ["", "{not json", "[]", '{"key": 1, "files": []}', "garbage"])
def test_a_corrupt_cache_is_ignored(tmp_path, damage):
    write(tmp_path, "server.py", SERVER)
    first = _lint(tmp_path)
    (cache_file,) = (tmp_path / CACHE).glob("findings-*.json")
    cache_file.write_text(damage)
    again = _lint(tmp_path)
    assert again.stdout == first.stdout
    assert json.loads(cache_file.read_text())["files"]


def test_a_damaged_entry_is_relinted(tmp_path):
    write(tmp_path, "server.py", SERVER)
    first = _lint(tmp_path)
    (cache_file,) = (tmp_path / CACHE).glob("findings-*.json")
    doc = json.loads(cache_file.read_text())
    doc["files"]["server.py"][0][1] = [["MCP101", "x"]]
    cache_file.write_text(json.dumps(doc))
    assert _lint(tmp_path).stdout == first.stdout


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into read-only directories")
def test_a_read_only_cache_dir_does_not_fail_the_run(tmp_path):
    write(tmp_path, "server.py", SERVER)
    (tmp_path / CACHE).mkdir()
    (tmp_path / CACHE).chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        result = _lint(tmp_path)
    finally:
        (tmp_path / CACHE).chmod(stat.S_IRWXU)
    assert result.exit_code == 1
    assert [f["path"] for f in findings(result, "MCP101")] == ["server.py"]


def test_an_unwritable_cache_location_does_not_fail_the_run(tmp_path):
    """A cache directory that cannot be created (here a file stands in its way)."""
    write(tmp_path, "server.py", SERVER)
    write(tmp_path, "blocker", "")
    result = _lint(tmp_path, "--cache-dir", "blocker/cache")
    assert result.exit_code == 1
    assert result.stderr == ""


def test_fix_rewrites_files_and_the_next_run_sees_the_new_text(tmp_path):
    source = ("from mcp.server.fastmcp import FastMCP\n\nmcp = FastMCP('x')\n\n\n@mcp.tool()\n"
              "def hello(name: str) -> str:\n    \"\"\"Hi.\"\"\"\n    print(name)\n    return name\n\n\n"
              "if __name__ == '__main__':\n    mcp.run()\n")
    write(tmp_path, "server.py", source)
    assert [f["id"] for f in findings(_lint(tmp_path))] == ["MCP501"]
    fixed = run_cli("--fix", ".", cwd=tmp_path)  # the finding comes from the cache, its fix applies
    assert fixed.exit_code == 0
    assert "print(name, file=sys.stderr)" in (tmp_path / "server.py").read_text()
    after = _lint(tmp_path)
    assert findings(after) == []
    assert after.stdout == run_cli("--output-format", "json", "--no-cache", ".", cwd=tmp_path).stdout


def test_a_cache_write_refused_by_the_system_does_not_fail_the_run(tmp_path, monkeypatch):
    """The temporary file cannot be created (its name is taken by a directory): no cache, no error."""
    import os

    from mcp_lint.run import cache_dir

    monkeypatch.setattr(cache_dir.secrets, "token_hex", lambda n: "0" * 16)
    (tmp_path / CACHE).mkdir()
    (tmp_path / CACHE / f".mcp-lint-{os.getpid()}-{'0' * 16}.tmp").mkdir()
    write(tmp_path, "server.py", SERVER)
    result = _lint(tmp_path)
    assert result.exit_code == 1
    assert result.stderr == ""
    assert not list((tmp_path / CACHE).glob("findings-*"))


def test_runs_with_different_inputs_keep_their_own_entries(tmp_path, monkeypatch):
    """The whole tree, then one file as pre-commit passes it: neither evicts the other."""
    write(tmp_path, "pyproject.toml", "[tool.mcp-lint]\n")
    write(tmp_path, "pkg/__init__.py", "")
    write(tmp_path, "pkg/server.py", SERVER)
    write(tmp_path, "other/app.py", "from mcp.server.fastmcp import FastMCP\n\nmcp = FastMCP('x')\n")
    _lint(tmp_path)
    run_cli("--output-format", "json", "pkg/server.py", cwd=tmp_path)
    seen = _spy(monkeypatch)
    _lint(tmp_path)
    run_cli("--output-format", "json", "pkg/server.py", cwd=tmp_path)
    assert seen == []


def test_runs_that_change_nothing_write_nothing(tmp_path):
    """Once the whole tree and a pre-commit run on one of its files are cached, neither rewrites
    the cache files again (each keeps its project-stage result and reads the other's facts)."""
    write(tmp_path, "pyproject.toml", "[tool.mcp-lint]\n")
    write(tmp_path, "pkg/__init__.py", "")
    write(tmp_path, "pkg/server.py", SERVER)
    write(tmp_path, "pkg/tools.py", "def helper(x):\n    return x\n")
    write(tmp_path, "other/app.py", "from mcp.server.fastmcp import FastMCP\n\nmcp = FastMCP('x')\n")
    _lint(tmp_path)
    run_cli("--output-format", "json", "pkg/server.py", cwd=tmp_path)
    stored = sorted((tmp_path / CACHE).glob("*.json"))
    assert len(stored) >= 2  # the findings and the facts
    before = {p.name: p.stat().st_mtime_ns for p in stored}
    for _ in range(2):
        first = _lint(tmp_path)
        run_cli("--output-format", "json", "pkg/server.py", cwd=tmp_path)
    assert {p.name: p.stat().st_mtime_ns for p in sorted((tmp_path / CACHE).glob("*.json"))} == before
    assert first.exit_code == 1 and findings(first)


def test_old_fingerprints_are_pruned(tmp_path):
    write(tmp_path, "server.py", SERVER)
    runs = 0
    for level in ("info", "warning", "error"):
        write(tmp_path, "pyproject.toml", f'[tool.mcp-lint.severity]\nMCP101 = "{level}"\n')
        for ignore in ("MCP999", "MCP201", "MCP301", "MCP401"):
            result = _lint(tmp_path, "--ignore", ignore) if ignore != "MCP999" else _lint(tmp_path)
            assert result.exit_code == 1
            runs += 1
    assert runs > cache_module.KEEP
    assert len(list((tmp_path / CACHE).glob("findings-*.json"))) == cache_module.KEEP


@pytest.mark.parametrize("value", [
    {}, {"MCP601": {"sdk": ("mcp", 1), "uses": {"FastMCP", "tool"}, "frozen": frozenset({1, 2})}},
    {"x": [1, 2.5, None, True, "s", (1, (2,)), {3: "int key", (4, 5): []}]},
])
def test_plain_data_round_trips(value):
    encoded = json.loads(json.dumps(codec.to_json(value)))
    assert codec.from_json(encoded) == value
    assert type(codec.from_json(encoded)) is type(value)


def test_data_without_a_plain_form_is_not_cached():
    with pytest.raises(TypeError):
        codec.to_json({"x": object()})
