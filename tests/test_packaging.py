"""What ships: the wheel carries the rule packs and the JSON report and audit schemas; the pre-commit
hook definition is what pre-commit needs."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from conftest import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """Build the wheel once (offline: the build backend from the current environment)."""
    pytest.importorskip("hatchling", reason="the build backend is not installed")
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet", "-w", str(out),
         str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    wheels = sorted(out.glob("mcp_lint-*.whl"))
    assert len(wheels) == 1, list(out.iterdir())
    return wheels[0]


def test_wheel_contains_the_rule_packs(wheel):
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        packaged = sorted(n for n in names if n.startswith("mcp_lint/rules/") and n.endswith(".yaml"))
        expected = sorted(f"mcp_lint/rules/{p.relative_to(ROOT / 'rules').as_posix()}"
                          for p in (ROOT / "rules").rglob("*.yaml"))
        assert expected, "no built-in packs in the source tree"
        assert any(n.startswith("mcp_lint/rules/knowledge/") for n in expected), "no built-in knowledge files"
        assert packaged == expected
        for name in packaged:
            source = (ROOT / "rules" / name.removeprefix("mcp_lint/rules/")).read_bytes()
            assert zf.read(name) == source


def test_wheel_contains_the_report_schema(wheel):
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        assert "mcp_lint/output/reporters/report.schema.json" in names
        schema = json.loads(zf.read("mcp_lint/output/reporters/report.schema.json"))
        assert schema["title"] == "mcp-lint JSON report"


def test_wheel_contains_the_audit_package_and_its_schema(wheel):
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        assert {"mcp_lint/check/primitives/audit_facts.py", "mcp_lint/cli/audit.py"} <= names
        schema = json.loads(zf.read("mcp_lint/output/audit/audit.schema.json"))
        assert schema["title"] == "mcp-lint audit scorecard"


def test_wheel_has_the_console_script_and_package(wheel):
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        assert "mcp_lint/__init__.py" in names
        assert "mcp_lint/__main__.py" in names
        assert "mcp_lint/cli/app.py" in names
        entry_points = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        assert len(entry_points) == 1
        text = zf.read(entry_points[0]).decode()
        assert "mcp-lint = mcp_lint.cli:main" in text
        assert not [n for n in names if n.startswith("tests/")]


def test_pre_commit_hook_definition():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert isinstance(hooks, list)
    by_id = {h["id"]: h for h in hooks}
    hook = by_id["mcp-lint"]
    assert hook["language"] == "python"
    assert hook["types"] == ["python"]
    assert hook["pass_filenames"] is True
    assert hook["require_serial"] is True
    assert hook.get("name")
    # pre-commit passes changed files explicitly; excludes must still apply to them, whatever
    # `args` a user sets (args replace the hook's, the entry stays)
    assert hook["entry"] == "mcp-lint check --force-exclude"
    assert hook["args"] == []
