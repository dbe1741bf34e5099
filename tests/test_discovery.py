"""Which files are linted: *.py under the given paths, default excludes, exclude /
extend-exclude, .gitignore (root and nested), explicit files and --force-exclude, order."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import findings, run_cli, write

# One parse error per file: every linted file shows up as exactly one MCP001 finding.
BROKEN = "def f(:\n    pass\n"

DEFAULT_EXCLUDED_DIRS = [".git", ".venv", "venv", "build", "dist", "node_modules", "__pycache__", ".tox", ".nox"]


def _linted(result) -> list[str]:
    """Paths of the files that were linted (each holds one syntax error)."""
    assert result.exit_code in (0, 1), result.stderr
    return [f["path"] for f in findings(result, "MCP001")]


def _lint(root: Path, *args: str):
    return run_cli("--output-format", "json", *args, cwd=root)


def _git_init(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    if shutil.which("git") is not None:
        subprocess.run(["git", "init", "-q", str(root)], check=True)
    else:  # discovery only needs the marker
        (root / ".git").mkdir()


# -- what is a Python file -------------------------------------------------------------------

def test_only_python_files_are_linted(tmp_path):
    write(tmp_path, "app/server.py", BROKEN)
    write(tmp_path, "app/notes.txt", BROKEN)
    write(tmp_path, "app/script", BROKEN)
    write(tmp_path, "app/config.yaml", "a: 1\n")
    write(tmp_path, "app/module.pyc.txt", BROKEN)
    result = _lint(tmp_path, ".")
    assert _linted(result) == ["app/server.py"]
    assert result.json()["files_examined"] == 1


def test_explicit_file_is_linted_whatever_its_location(tmp_path):
    write(tmp_path, "deep/a/b/c/server.py", BROKEN)
    result = _lint(tmp_path, "deep/a/b/c/server.py")
    assert _linted(result) == ["deep/a/b/c/server.py"]


def test_same_file_given_twice_is_linted_once(tmp_path):
    write(tmp_path, "server.py", BROKEN)
    result = _lint(tmp_path, "server.py", ".", "./server.py")
    assert _linted(result) == ["server.py"]
    assert result.json()["files_examined"] == 1


def test_several_paths(tmp_path):
    write(tmp_path, "a/one.py", BROKEN)
    write(tmp_path, "b/two.py", BROKEN)
    write(tmp_path, "c/three.py", BROKEN)
    result = _lint(tmp_path, "c", "a")
    assert _linted(result) == ["a/one.py", "c/three.py"]


# -- default excludes ------------------------------------------------------------------------

def test_default_excludes(tmp_path):
    write(tmp_path, "src/app.py", BROKEN)
    for name in DEFAULT_EXCLUDED_DIRS:
        write(tmp_path, f"{name}/bad.py", BROKEN)
        write(tmp_path, f"src/{name}/nested_bad.py", BROKEN)
    result = _lint(tmp_path, ".")
    assert _linted(result) == ["src/app.py"]
    assert result.json()["files_examined"] == 1


@pytest.mark.parametrize("name", DEFAULT_EXCLUDED_DIRS)
def test_file_in_default_excluded_directory_passed_explicitly_is_linted(tmp_path, name):
    """A file inside an excluded directory, named on the command line, is linted."""
    write(tmp_path, f"{name}/tool.py", BROKEN)
    result = _lint(tmp_path, f"{name}/tool.py")
    assert _linted(result) == [f"{name}/tool.py"]


def test_excluded_names_match_directories_not_substrings(tmp_path):
    write(tmp_path, "builder/app.py", BROKEN)
    write(tmp_path, "distribution/app.py", BROKEN)
    write(tmp_path, "my_venv_tools/app.py", BROKEN)
    result = _lint(tmp_path, ".")
    assert _linted(result) == ["builder/app.py", "distribution/app.py", "my_venv_tools/app.py"]


# -- exclude / extend-exclude ------------------------------------------------------------------

def test_config_exclude_replaces_the_defaults(tmp_path):
    write(tmp_path, "pyproject.toml", '[tool.mcp-lint]\nexclude = ["generated/"]\n')
    write(tmp_path, "generated/out.py", BROKEN)
    write(tmp_path, "venv/lib.py", BROKEN)
    write(tmp_path, "src/app.py", BROKEN)
    result = _lint(tmp_path, ".")
    assert _linted(result) == ["src/app.py", "venv/lib.py"]


def test_config_extend_exclude_keeps_the_defaults(tmp_path):
    write(tmp_path, "pyproject.toml", '[tool.mcp-lint]\nextend-exclude = ["legacy/*.py", "*_pb2.py"]\n')
    write(tmp_path, "legacy/old.py", BROKEN)
    write(tmp_path, "legacy/keep/inner.py", BROKEN)  # an anchored pattern: only legacy/*.py
    write(tmp_path, "src/api_pb2.py", BROKEN)
    write(tmp_path, "venv/lib.py", BROKEN)
    write(tmp_path, "src/app.py", BROKEN)
    result = _lint(tmp_path, ".")
    assert _linted(result) == ["legacy/keep/inner.py", "src/app.py"]


def test_config_excludes_are_relative_to_the_config_directory(tmp_path):
    project = tmp_path / "project"
    write(project, "pyproject.toml", '[tool.mcp-lint]\nextend-exclude = ["/generated"]\n')
    write(project, "generated/out.py", BROKEN)
    write(project, "src/generated/real.py", BROKEN)  # anchored: not this one
    write(project, "src/app.py", BROKEN)
    result = _lint(tmp_path, "project")
    assert _linted(result) == ["project/src/app.py", "project/src/generated/real.py"]
    inside = _lint(project / "src", ".")
    assert _linted(inside) == ["app.py", "generated/real.py"]


def test_cli_extend_exclude(tmp_path):
    write(tmp_path, "migrations/0001.py", BROKEN)
    write(tmp_path, "src/app.py", BROKEN)
    result = _lint(tmp_path, "--extend-exclude", "migrations", ".")
    assert _linted(result) == ["src/app.py"]


# -- .gitignore --------------------------------------------------------------------------------

def test_root_gitignore_is_honoured(tmp_path):
    _git_init(tmp_path)
    write(tmp_path, ".gitignore", "generated/\n*_gen.py\n/top_only.py\n")
    write(tmp_path, "generated/a.py", BROKEN)
    write(tmp_path, "src/models_gen.py", BROKEN)
    write(tmp_path, "top_only.py", BROKEN)
    write(tmp_path, "src/top_only.py", BROKEN)
    write(tmp_path, "src/app.py", BROKEN)
    result = _lint(tmp_path, ".")
    assert _linted(result) == ["src/app.py", "src/top_only.py"]


def test_nested_gitignore_is_honoured(tmp_path):
    _git_init(tmp_path)
    write(tmp_path, ".gitignore", "*.tmp.py\n")
    write(tmp_path, "pkg/.gitignore", "scratch.py\n/local/\n")
    write(tmp_path, "pkg/scratch.py", BROKEN)
    write(tmp_path, "pkg/sub/scratch.py", BROKEN)  # unanchored: any depth below pkg/
    write(tmp_path, "pkg/local/x.py", BROKEN)
    write(tmp_path, "pkg/sub/local/y.py", BROKEN)  # anchored to pkg/: kept
    write(tmp_path, "pkg/a.tmp.py", BROKEN)
    write(tmp_path, "other/scratch.py", BROKEN)  # pkg's .gitignore does not apply here
    write(tmp_path, "pkg/app.py", BROKEN)
    result = _lint(tmp_path, ".")
    assert _linted(result) == ["other/scratch.py", "pkg/app.py", "pkg/sub/local/y.py"]


def test_gitignore_negation(tmp_path):
    _git_init(tmp_path)
    write(tmp_path, ".gitignore", "gen_*.py\n!gen_keep.py\n")
    write(tmp_path, "gen_a.py", BROKEN)
    write(tmp_path, "gen_keep.py", BROKEN)
    result = _lint(tmp_path, ".")
    assert _linted(result) == ["gen_keep.py"]


def test_gitignore_applies_when_linting_a_subdirectory(tmp_path):
    _git_init(tmp_path)
    write(tmp_path, ".gitignore", "ignored/\n")
    write(tmp_path, "src/ignored/a.py", BROKEN)
    write(tmp_path, "src/app.py", BROKEN)
    result = _lint(tmp_path / "src", ".")
    assert _linted(result) == ["app.py"]


def test_respect_gitignore_false(tmp_path):
    _git_init(tmp_path)
    write(tmp_path, ".gitignore", "generated/\n")
    write(tmp_path, "pyproject.toml", "[tool.mcp-lint]\nrespect-gitignore = false\n")
    write(tmp_path, "generated/a.py", BROKEN)
    write(tmp_path, "src/app.py", BROKEN)
    result = _lint(tmp_path, ".")
    assert _linted(result) == ["generated/a.py", "src/app.py"]


# -- explicit files and --force-exclude ---------------------------------------------------------

def test_explicit_excluded_file_is_linted_without_force_exclude(tmp_path):
    write(tmp_path, "pyproject.toml", '[tool.mcp-lint]\nextend-exclude = ["generated/"]\n')
    write(tmp_path, "generated/out.py", BROKEN)
    result = _lint(tmp_path, "generated/out.py")
    assert _linted(result) == ["generated/out.py"]


def test_force_exclude_applies_excludes_to_explicit_files(tmp_path):
    write(tmp_path, "pyproject.toml", '[tool.mcp-lint]\nextend-exclude = ["generated/"]\n')
    write(tmp_path, "generated/out.py", BROKEN)
    write(tmp_path, "src/app.py", BROKEN)
    result = _lint(tmp_path, "--force-exclude", "generated/out.py", "src/app.py")
    assert _linted(result) == ["src/app.py"]


def test_force_exclude_with_only_excluded_files_exits_0(tmp_path):
    """pre-commit passes only changed files; if all are excluded, nothing is linted."""
    write(tmp_path, "generated/out.py", BROKEN)
    write(tmp_path, "pyproject.toml", '[tool.mcp-lint]\nextend-exclude = ["generated/"]\n')
    result = run_cli("--force-exclude", "generated/out.py", cwd=tmp_path)
    assert result.exit_code == 0, result.stdout + result.stderr


def test_force_exclude_with_default_excludes_and_gitignore(tmp_path):
    _git_init(tmp_path)
    write(tmp_path, ".gitignore", "scratch.py\n")
    write(tmp_path, "venv/lib.py", BROKEN)
    write(tmp_path, "scratch.py", BROKEN)
    write(tmp_path, "app.py", BROKEN)
    result = _lint(tmp_path, "--force-exclude", "venv/lib.py", "scratch.py", "app.py")
    assert _linted(result) == ["app.py"]
    without = _lint(tmp_path, "venv/lib.py", "scratch.py", "app.py")
    assert _linted(without) == ["app.py", "scratch.py", "venv/lib.py"]


def test_force_exclude_with_explicit_excluded_directory(tmp_path):
    write(tmp_path, "pyproject.toml", '[tool.mcp-lint]\nextend-exclude = ["generated/"]\n')
    write(tmp_path, "generated/out.py", BROKEN)
    assert _linted(_lint(tmp_path, "--force-exclude", "generated")) == []


# -- order ---------------------------------------------------------------------------------------

def test_files_are_reported_in_sorted_order(tmp_path):
    names = ["zz.py", "a/b.py", "a.py", "B/c.py", "a/a/z.py", "m.py", "a_b.py"]
    for name in names:
        write(tmp_path, name, BROKEN)
    result = _lint(tmp_path, ".")
    linted = _linted(result)
    assert sorted(linted) == sorted(names)
    assert linted == sorted(linted)
    again = _lint(tmp_path, ".")
    assert again.stdout == result.stdout
