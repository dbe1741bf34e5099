"""The README and the generated docs must stay true: they are tested like code."""

from __future__ import annotations

import re
import subprocess
import sys

from conftest import ROOT, run_cli

from mcp_lint.packs.registry import default_registry

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _block_after(heading: str, lang: str) -> str:
    section = README.split(heading, 1)[1]
    match = re.search(rf"```{lang}\n(.*?)```", section, re.DOTALL)
    assert match, f"no ```{lang} block after {heading!r}"
    return match.group(1)


def test_quick_start_is_two_commands_and_ci_runs_the_second():
    commands = [line for line in _block_after("## Quick start", "bash").splitlines() if line.strip()]
    assert len(commands) == 2, commands
    install, tests = commands
    assert "pip install" in install and re.search(r"mcp-lint (--exit-zero )?examples/", install)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert tests in [line.strip() for line in ci], f".ci/run must run the README's test command {tests!r}"


def test_quick_start_example_server_has_findings():
    example = re.search(r"mcp-lint (?:--exit-zero )?(examples/\S+)", _block_after("## Quick start", "bash")).group(1)
    result = run_cli(ROOT / example, "--output-format", "json")
    assert result.exit_code == 1
    found = result.json()["findings"]
    assert {"MCP101", "MCP401", "MCP501"} <= {f["id"] for f in found}
    assert f"The example server has {len(found)} findings" in README


def test_quick_start_survives_set_e(tmp_path):
    """The first command, pasted into `set -e`, must not stop the shell although the example has findings."""
    install = _block_after("## Quick start", "bash").splitlines()[0]
    lint = install[install.index("mcp-lint"):]
    assert "--exit-zero" in lint
    args = lint.split()[1:]
    result = run_cli(*[str(ROOT / a) if a.startswith("examples/") else a for a in args])
    assert result.exit_code == 0


def test_readme_lists_every_rule():
    for rule in default_registry().rules:
        assert f"| [{rule.id}](docs/rules/{rule.id}.md) | {rule.name} |" in README, rule.id


def test_readme_rule_pack_example_validates_and_passes_its_examples(tmp_path):
    pack = tmp_path / "our-rules.yaml"
    pack.write_text(_block_after("## Writing a rule pack", "yaml"), encoding="utf-8")
    assert run_cli("validate-pack", pack).exit_code == 0
    result = run_cli("test-rules", pack)
    assert result.exit_code == 0, result.stdout
    assert "2 passed, 0 failed" in result.stdout


def test_generated_rule_docs_are_current():
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "document_rules.py"), "--check"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
