"""Start-up: a run imports only what it uses (rich only for text output, sarif-om only for SARIF,
no YAML once packs are compiled, no libcst when every file is answered from the cache), and the
command line keeps validating its values."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import SERVER, run_cli, write

PROBE = """
import json, sys
from mcp_lint import cli
try:
    cli.main(sys.argv[1:])
except SystemExit:
    pass
names = ("pydantic", "rich", "sarif_om", "yaml", "libcst")
print(json.dumps({n: n in sys.modules for n in names}), file=sys.stderr)
"""


def _imports(tmp_path, *args) -> dict:
    out = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=tmp_path, capture_output=True, text=True,
                         timeout=120)
    return json.loads(out.stderr.strip().splitlines()[-1])


def test_a_json_run_imports_neither_rich_nor_sarif_nor_yaml(tmp_path):
    write(tmp_path, "server.py", SERVER)
    _imports(tmp_path, "--output-format", "json", "--no-cache", "server.py")  # compiles the packs once
    first = _imports(tmp_path, "--output-format", "json", "--no-cache", "server.py")
    assert first == {"pydantic": False, "rich": False, "sarif_om": False, "yaml": False, "libcst": True}


def test_a_fully_cached_run_loads_no_parser_and_no_heavy_library(tmp_path):
    """What a pre-commit run on unchanged files pays for: the interpreter, the command line, the
    configuration and the caches (pyproject.toml bounds typer below the release that imports
    pydantic on every run)."""
    write(tmp_path, "server.py", SERVER)
    _imports(tmp_path, "--output-format", "json", "server.py")
    loaded = _imports(tmp_path, "--output-format", "json", "server.py")
    assert loaded == {"pydantic": False, "rich": False, "sarif_om": False, "yaml": False, "libcst": False}


def test_sarif_and_text_import_what_they_render_with(tmp_path):
    write(tmp_path, "server.py", SERVER)
    assert _imports(tmp_path, "--output-format", "sarif", "server.py")["sarif_om"] is True
    assert _imports(tmp_path, "server.py")["rich"] is True


@pytest.mark.parametrize(("args", "option"), [
    (["--output-format", "xml"], "--output-format"),
    (["--jobs", "-1"], "--jobs"),
    (["--jobs", "many"], "--jobs"),
])
def test_bad_values_are_usage_errors(tmp_path, args, option):
    write(tmp_path, "server.py", SERVER)
    result = run_cli(*args, "server.py", cwd=tmp_path)
    assert result.exit_code == 2
    assert option in result.stderr and "Traceback" not in result.stderr


def test_values_reach_the_command(tmp_path):
    write(tmp_path, "a/server.py", SERVER)
    write(tmp_path, "b/server.py", SERVER)
    result = run_cli("--output-format", "json", "-j", "1", "--select", "MCP1,MCP2", "--extend-exclude", "b",
                     "--cache-dir", "c", ".", cwd=tmp_path)
    doc = json.loads(result.stdout)
    assert doc["files_examined"] == 1
    assert {f["id"][:4] for f in doc["findings"]} <= {"MCP1", "MCP2"}
    assert (tmp_path / "c").is_dir()


def test_compiled_packs_are_reused_and_rebuilt_when_damaged(tmp_path, monkeypatch):
    from mcp_lint.packs import cache
    from mcp_lint.model import codec
    from mcp_lint.packs import registry, loader as rulepack

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user"))
    path = registry.builtin_pack_paths()[0]
    first = cache.load_pack_cached(path, rulepack.load_pack)
    (stored,) = (tmp_path / "user" / "mcp-lint" / "packs").glob("*.json")

    def fail(p):
        raise AssertionError("should have been served from the cache")

    again = cache.load_pack_cached(path, fail)
    assert again == first
    stored.write_bytes(b"{not json")
    assert cache.load_pack_cached(path, rulepack.load_pack) == first
    assert cache.load_pack_cached(path, fail) == first


def test_an_edited_pack_is_compiled_again(tmp_path, monkeypatch):
    from test_packs import GOOD_PACK

    from mcp_lint.packs import cache
    from mcp_lint.packs import loader as rulepack

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user"))
    pack = write(tmp_path, "probes.yaml", GOOD_PACK)
    assert cache.load_pack_cached(pack, rulepack.load_pack).rules[0].severity.value == "warning"
    pack.write_text(GOOD_PACK.replace("severity: warning", "severity: error"))
    assert cache.load_pack_cached(pack, rulepack.load_pack).rules[0].severity.value == "error"
    assert len(list((tmp_path / "user" / "mcp-lint" / "packs").glob("*.json"))) == 1


def test_a_cached_run_answers_for_the_project_rules_without_the_parser(tmp_path):
    from test_project_rules import project

    project(tmp_path)
    cold = run_cli("--output-format", "concise", ".", cwd=tmp_path)
    assert "pyproject.toml:6:5: MCP601" in cold.stdout
    assert _imports(tmp_path, "--output-format", "json", ".")["libcst"] is False
    warm = run_cli("--output-format", "concise", ".", cwd=tmp_path)
    assert warm.stdout == cold.stdout
    # A changed manifest is judged again.
    manifest = tmp_path / "pyproject.toml"
    manifest.write_text(manifest.read_text().replace('"mcp>=1.2"', '"mcp>=1.2,<2"'))
    assert "MCP601" not in run_cli("--output-format", "concise", ".", cwd=tmp_path).stdout


def test_the_compiled_pack_cache_is_plain_json_that_rebuilds_each_pack_exactly():
    import json as json_module

    from mcp_lint.packs import cache
    from mcp_lint.model import codec
    from mcp_lint.packs import registry, loader as rulepack

    for path in registry.builtin_pack_paths():
        pack = rulepack.load_pack(path)
        text = json_module.dumps(codec.to_json(pack, objects=True))
        rebuilt = codec.from_json(json_module.loads(text), cache._pack_classes())
        assert rebuilt == pack
        assert [type(r.severity) for r in rebuilt.rules] == [type(r.severity) for r in pack.rules]
        assert [type(r.params) for r in rebuilt.rules] == [type(r.params) for r in pack.rules]
