"""CI integrations run for real: the pre-commit hook through `pre-commit try-repo`, and the
shell steps of the composite GitHub Action (action.yml) in a scratch repository."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, SERVER, write

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"})


def _scratch_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    _git(path, "init", "-q")
    return path


# -- pre-commit --------------------------------------------------------------------------------

@pytest.mark.slow
@needs_git
def test_pre_commit_hook_fails_a_commit_with_a_finding(tmp_path):
    try:
        import pre_commit  # noqa: F401
    except ImportError:
        pytest.fail("pre-commit is part of the test extras: pip install -e '.[test]'")
    if not (ROOT / ".git").exists():
        pytest.skip("the project is not a git checkout (pre-commit try-repo needs one)")
    repo = _scratch_repo(tmp_path / "repo")
    write(repo, "server.py", SERVER)
    write(repo, "clean.py", "x = 1\n")
    # excluded by the configuration: pre-commit passes it explicitly, --force-exclude skips it
    write(repo, "generated/server.py", SERVER)
    write(repo, "pyproject.toml", '[tool.mcp-lint]\nextend-exclude = ["generated/"]\n')
    _git(repo, "add", "server.py", "clean.py", "generated/server.py", "pyproject.toml")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "NO_COLOR": "1"}
    env.pop("PRE_COMMIT", None)
    proc = subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "mcp-lint", "--color", "never"],
                          cwd=repo, capture_output=True, text=True, timeout=600, env=env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out  # staged files with a finding: the commit is refused
    assert "mcp-lint" in out and "Failed" in out
    assert "server.py:11:5: MCP101 [sql-string-formatting]" in out
    assert "generated/" not in out.split("hook id: mcp-lint", 1)[1]


# -- the GitHub Action ---------------------------------------------------------------------------

ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))


def _step(name: str) -> dict:
    (step,) = [s for s in ACTION["runs"]["steps"] if s.get("name") == name]
    return step


def _run_step(name: str, cwd: Path, env: dict[str, str], path_prefix: Path | None = None) -> tuple[int, dict, str]:
    """Run one `run:` step of action.yml with bash, its `env:` inputs given literally, as the
    runner would; returns its exit code, what it wrote to $GITHUB_OUTPUT, and its output."""
    step = _step(name)
    assert step["shell"] == "bash"
    output = cwd / f".github-output-{name.replace(' ', '-')}"
    output.write_text("", encoding="utf-8")
    full = {**os.environ, **env, "GITHUB_OUTPUT": str(output)}
    bindir = str(Path(sys.executable).parent)  # mcp-lint and python of the test environment
    full["PATH"] = os.pathsep.join(p for p in (str(path_prefix) if path_prefix else "", bindir, full["PATH"]) if p)
    # `shell: bash` on a runner is `bash --noprofile --norc -eo pipefail {0}`
    proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], cwd=cwd, env=full, capture_output=True, text=True,
                          timeout=300)
    outputs = dict(line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines() if "=" in line)
    return proc.returncode, outputs, proc.stdout + proc.stderr


def _inputs(**overrides: str) -> dict[str, str]:
    defaults = {k: str(v.get("default", "")) for k, v in ACTION["inputs"].items()}
    defaults.update({k.replace("_", "-"): v for k, v in overrides.items()})
    return defaults


def _lint_env(inputs: dict[str, str]) -> dict[str, str]:
    return {"INPUT_PATHS": inputs["paths"], "INPUT_ARGS": inputs["args"], "INPUT_CATEGORY": inputs["category"],
            "SARIF_FILE": inputs["sarif-file"]}


def _check_env(outputs: dict, inputs: dict[str, str]) -> dict[str, str]:
    return {"EXIT_CODE": outputs.get("exit-code", ""), "FINDINGS": outputs.get("findings", ""),
            "FAIL_ON_FINDINGS": inputs["fail-on-findings"]}


def test_action_shape():
    assert ACTION["runs"]["using"] == "composite"
    assert {"paths", "args", "category", "python-version"} <= set(ACTION["inputs"])
    uses = [s.get("uses", "") for s in ACTION["runs"]["steps"]]
    assert any(u.startswith("actions/setup-python@") for u in uses)
    upload = next(s for s in ACTION["runs"]["steps"] if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert upload["if"].startswith("always()")  # findings never stop the upload
    assert upload["with"]["category"] == "${{ inputs.category }}"
    for step in ACTION["runs"]["steps"]:  # inputs go through env, never into the script text
        assert "${{" not in step.get("run", ""), step.get("name")


@needs_git
def test_action_steps_report_findings_write_sarif_and_fail_after_the_upload(tmp_path):
    repo = _scratch_repo(tmp_path / "repo")
    write(repo, "services/api/server.py", SERVER)
    write(repo, "services/api/clean.py", "x = 1\n")
    inputs = _inputs(paths="services", args="--select MCP1", category="mcp-lint/api")
    code, outputs, log = _run_step("Run mcp-lint", repo, _lint_env(inputs))
    assert code == 0, log  # the analyzer's exit code does not stop the job before the upload
    assert outputs == {"exit-code": "1", "findings": "1", "sarif-written": "true"}, log
    doc = json.loads((repo / "mcp-lint.sarif").read_text(encoding="utf-8"))
    run = doc["runs"][0]
    assert run["automationDetails"]["id"] == "mcp-lint/api/"
    assert [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]] == \
        ["services/api/server.py"]
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} >= {"MCP101"}

    code, _, log = _run_step("Check the result", repo, _check_env(outputs, inputs))
    assert code == 1 and "1 finding(s)" in log
    code, _, log = _run_step("Check the result", repo, _check_env(outputs, {**inputs, "fail-on-findings": "false"}))
    assert code == 0, log


@needs_git
def test_action_steps_pass_on_a_clean_tree_and_fail_on_a_usage_error(tmp_path):
    repo = _scratch_repo(tmp_path / "repo")
    write(repo, "clean.py", "x = 1\n")
    inputs = _inputs()
    code, outputs, log = _run_step("Run mcp-lint", repo, _lint_env(inputs))
    assert (code, outputs) == (0, {"exit-code": "0", "findings": "0", "sarif-written": "true"}), log
    assert json.loads((repo / "mcp-lint.sarif").read_text(encoding="utf-8"))["runs"][0]["results"] == []
    assert _run_step("Check the result", repo, _check_env(outputs, inputs))[0] == 0

    bad = _inputs(args="--select NOPE123")
    code, outputs, log = _run_step("Run mcp-lint", repo, _lint_env(bad))
    assert code == 0, log
    assert outputs == {"exit-code": "2", "findings": "0", "sarif-written": "false"}, log
    assert not (repo / "mcp-lint.sarif").exists()  # no stale report gets uploaded
    code, _, log = _run_step("Check the result", repo, _check_env(outputs, {**bad, "fail-on-findings": "false"}))
    assert code == 2 and "exit code 2" in log


def test_action_install_step_installs_the_pinned_version_or_the_actions_own_source(tmp_path):
    shim = tmp_path / "bin"
    shim.mkdir()
    log = tmp_path / "pip.log"
    (shim / "python").write_text(f'#!/bin/sh\necho "$@" >> "{log}"\n', encoding="utf-8")
    (shim / "python").chmod(0o755)
    code, _, out = _run_step("Install mcp-lint", tmp_path, {"MCP_LINT_VERSION": "", "MCP_LINT_SOURCE": str(ROOT)},
                             path_prefix=shim)
    assert code == 0, out
    code, _, out = _run_step("Install mcp-lint", tmp_path, {"MCP_LINT_VERSION": "0.1.0", "MCP_LINT_SOURCE": str(ROOT)},
                             path_prefix=shim)
    assert code == 0, out
    calls = log.read_text(encoding="utf-8").splitlines()
    assert calls == [f"-m pip install --disable-pip-version-check {ROOT}",
                     "-m pip install --disable-pip-version-check mcp-lint==0.1.0"]


def test_readme_workflow_example_uses_the_action_as_declared():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("# .github/workflows/mcp-lint.yml\n", 1)[1].split("```", 1)[0]
    workflow = yaml.safe_load(block)
    job = workflow["jobs"]["mcp-lint"]
    assert job["permissions"]["security-events"] == "write"
    (step,) = [s for s in job["steps"] if s.get("uses", "").startswith("mcp-lint/mcp-lint@")]
    assert set(step["with"]) <= set(ACTION["inputs"])
