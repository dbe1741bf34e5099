"""The editor integration is optional: without its extras the commands say how to install them,
and `mcp-lint check` never loads the language server or the file watcher."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import SERVER, write


def test_without_the_extra_the_server_command_says_how_to_install_it(tmp_path):
    probe = "import sys; sys.modules['pygls'] = None\nfrom mcp_lint import cli\ncli.main(['server'])"
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "error: `mcp-lint server` needs the lsp extra (pygls is missing): pip install 'mcp-lint[lsp]'"]


def test_without_the_extra_watch_says_how_to_install_it(tmp_path):
    write(tmp_path, "server.py", SERVER)
    probe = "import sys; sys.modules['watchfiles'] = None\nfrom mcp_lint import cli\ncli.main(['check', '--watch', '.'])"
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "error: --watch needs the watch extra (watchfiles is missing): pip install 'mcp-lint[watch]'"]


def test_check_imports_neither_the_language_server_nor_the_watcher(tmp_path):
    write(tmp_path, "server.py", SERVER)
    probe = ("import json, sys\nfrom mcp_lint import cli\ntry:\n    cli.main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
             "print(json.dumps([n for n in ('pygls', 'lsprotocol', 'watchfiles') if n in sys.modules]), file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", probe, "check", "--no-cache", "server.py"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert json.loads(out.stderr.strip().splitlines()[-1]) == []


def test_the_readme_editor_configurations_start_the_server_and_name_what_it_offers():
    """The copy-paste configurations of "In the editor" parse, and run `mcp-lint server`; the
    command and the fix-all kind they name are the server's."""
    import re

    from conftest import ROOT

    pytest.importorskip("pygls")
    from mcp_lint.cli.lsp import FIX_ALL_KIND, LINT_WORKSPACE

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## In the editor\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(\w+)\n(.*?)```", section, re.DOTALL)
    jsons = [json.loads(code) for lang, code in blocks if lang == "json"]
    vscode = next(doc for doc in jsons if "glspc.server.command" in doc)
    assert [vscode["glspc.server.command"], *vscode["glspc.server.commandArguments"]] == ["mcp-lint", "server"]
    assert FIX_ALL_KIND in vscode["editor.codeActionsOnSave"]
    zed = next(doc for doc in jsons if "languages" in doc)
    assert FIX_ALL_KIND in zed["languages"]["Python"]["code_actions_on_format"]
    helix = next(tomllib.loads(code) for lang, code in blocks if lang == "toml" and "language-server" in code)
    assert helix["language-server"]["mcp-lint"] == {"command": "mcp-lint", "args": ["server"]}
    assert "mcp-lint" in helix["language"][0]["language-servers"]
    lua = [code for lang, code in blocks if lang == "lua"]
    assert len(lua) == 2 and all('{ "mcp-lint", "server" }' in code for code in lua)
    assert LINT_WORKSPACE in section
    rust = next(code for lang, code in blocks if lang == "rust")
    assert 'args: vec!["server".into()]' in rust
