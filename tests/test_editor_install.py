"""The editor integration is optional: without its extras the commands say how to install them,
and `mcp-lint check` never loads the language server or the file watcher."""

from __future__ import annotations

import json
import subprocess
import sys

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
