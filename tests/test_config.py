"""`[tool.mcp-lint]` settings and rule selection: validation errors, select / ignore /
extend-select precedence (ids, prefixes, names, ALL, CLI over config), per-file-ignores,
severity overrides, rule packs named in the config, and which pyproject.toml is used."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import PROBE_SOURCE, SERVER, findings, run_cli, write

SYNTAX_ERROR = "def f(:\n    pass\n"
UNKNOWN_NOQA = "value = 1  # noqa: MCP999\n"  # MCP900 (unknown rule) when MCP900 is on

WATCHED = {"MCP001", "MCP101", "MCP900"}


def _tree(root: Path) -> Path:
    write(root, "server.py", SERVER)
    write(root, "broken.py", SYNTAX_ERROR)
    write(root, "unused.py", UNKNOWN_NOQA)
    return root


def _ids(result) -> set[str]:
    assert result.exit_code in (0, 1), result.stderr
    return {f["id"] for f in findings(result)} & WATCHED


def _config(root: Path, body: str, name: str = "pyproject.toml") -> Path:
    return write(root, name, body)


# -- validation ----------------------------------------------------------------------------------

def test_unknown_key_exits_2_naming_key_file_and_line(tmp_path):
    _tree(tmp_path)
    cfg = _config(tmp_path, '[project]\nname = "demo"\n\n[tool.mcp-lint]\nselect = ["MCP1"]\nslect = ["MCP4"]\n')
    result = run_cli("--output-format", "json", ".", cwd=tmp_path)
    assert result.exit_code == 2
    assert "slect" in result.stderr
    assert f"{cfg}:6" in result.stderr or "pyproject.toml:6" in result.stderr
    assert "select" in result.stderr  # the hint
    assert result.stdout.strip() == ""  # nothing was linted


@pytest.mark.parametrize("body, key, line", [
    ('[tool.mcp-lint]\nselect = "MCP101"\n', "select", 2),
    ('[tool.mcp-lint]\nignore = [1]\n', "ignore", 2),
    ('[tool.mcp-lint]\n\nrespect-gitignore = "yes"\n', "respect-gitignore", 3),
    ('[tool.mcp-lint]\nexclude = "build"\n', "exclude", 2),
    ('[tool.mcp-lint]\nrule-packs = "a.yaml"\n', "rule-packs", 2),
    ('[tool.mcp-lint.severity]\nMCP101 = "fatal"\n', "MCP101", 2),
    ('[tool.mcp-lint.per-file-ignores]\n"tests/*" = "MCP101"\n', "tests/*", 2),
    ('[tool.mcp-lint]\nselect = ["MCP1"]\n[tool.mcp-lint.per-file-ignores]\n"tests/*.py" = [3]\n', "tests/*.py", 4),
    ('[tool.mcp-lint]\nmax-file-size = "big"\n', "max-file-size", 2),
    ('[tool.mcp-lint]\nmax-file-size = 0\n', "max-file-size", 2),
    ('[tool.mcp-lint]\n\nfile-timeout = "1m"\n', "file-timeout", 3),
    ('[tool.mcp-lint]\nfile-timeout = -1\n', "file-timeout", 2),
], ids=["select-str", "ignore-int", "respect-gitignore-str", "exclude-str", "rule-packs-str", "severity-choice",
        "per-file-ignores-str", "per-file-ignores-dotted-glob", "max-file-size-word", "max-file-size-zero",
        "file-timeout-str", "file-timeout-negative"])
def test_wrong_type_exits_2_naming_key_file_and_line(tmp_path, body, key, line):
    _tree(tmp_path)
    _config(tmp_path, body)
    result = run_cli(".", cwd=tmp_path)
    assert result.exit_code == 2
    assert key in result.stderr
    assert f"pyproject.toml:{line}:" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_toml_exits_2_with_line(tmp_path):
    _tree(tmp_path)
    _config(tmp_path, '[tool.mcp-lint]\nselect = ["MCP1"\nignore = []\n')
    result = run_cli(".", cwd=tmp_path)
    assert result.exit_code == 2
    assert re.search(r"pyproject\.toml:\d+: invalid TOML", result.stderr), result.stderr


def test_config_that_is_not_utf8_exits_2_with_line(tmp_path):
    _tree(tmp_path)
    (tmp_path / "pyproject.toml").write_bytes(b'[tool.mcp-lint]\n# caf\xe9\nselect = ["MCP1"]\n')
    result = run_cli(".", cwd=tmp_path)
    assert result.exit_code == 2
    assert "pyproject.toml:2:" in result.stderr and "UTF-8" in result.stderr, result.stderr


@pytest.mark.parametrize("value, size", [("1000", 1000), ('"512 KiB"', 512 * 1024), ('"2MB"', 2_000_000),
                                         ('"1.5 MiB"', 1536 * 1024)])
def test_max_file_size_takes_bytes_or_units(tmp_path, value, size):
    from mcp_lint.source.config import load_settings
    cfg = _config(tmp_path, f"[tool.mcp-lint]\nmax-file-size = {value}\nfile-timeout = 2.5\n")
    settings = load_settings(cfg, tmp_path)
    assert settings.max_file_size == size and settings.file_timeout == 2.5


def test_max_file_size_skips_larger_files_visibly(tmp_path):
    """A file that is not analysed is a finding (MCP001), so CI cannot pass over it."""
    _config(tmp_path, '[tool.mcp-lint]\nmax-file-size = "1 KiB"\n')
    write(tmp_path, "big.py", "X = 1\n" * 200)
    result = run_cli("--output-format", "concise", ".", cwd=tmp_path)
    assert result.exit_code == 1
    assert "big.py:1:1: MCP001" in result.stdout and "larger than 1 KiB (max-file-size)" in result.stdout


def test_lowering_max_file_size_after_a_cached_run_changes_the_result(tmp_path):
    """Every setting that changes results is part of the cache key."""
    write(tmp_path, "big.py", "X = 1\n" * 200)
    write(tmp_path, "server.py", SERVER)
    assert run_cli("--output-format", "concise", ".", cwd=tmp_path).exit_code == 1  # MCP101 in server.py
    _config(tmp_path, '[tool.mcp-lint]\nmax-file-size = "1 KiB"\n')
    cached = run_cli("--output-format", "concise", ".", cwd=tmp_path)
    fresh = run_cli("--output-format", "concise", "--no-cache", ".", cwd=tmp_path)
    assert cached.stdout == fresh.stdout
    assert "big.py:1:1: MCP001" in cached.stdout


def test_severity_for_unknown_rule_exits_2(tmp_path):
    _tree(tmp_path)
    _config(tmp_path, '[tool.mcp-lint.severity]\nMCP777 = "error"\n')
    result = run_cli(".", cwd=tmp_path)
    assert result.exit_code == 2
    assert "MCP777" in result.stderr and "pyproject.toml" in result.stderr


def test_unknown_selector_in_config_exits_2_naming_file(tmp_path):
    _tree(tmp_path)
    _config(tmp_path, '[tool.mcp-lint]\nextend-select = ["MCP101", "MCP777"]\n')
    result = run_cli(".", cwd=tmp_path)
    assert result.exit_code == 2
    assert "MCP777" in result.stderr and "extend-select" in result.stderr and "pyproject.toml" in result.stderr


@pytest.mark.parametrize("body, line", [
    ('[project]\nname = "x"\n\n[tool.mcp-lint]\nextend-select = ["MCP101", "MCP777"]\n', 5),
    ('[tool.mcp-lint]\nselect = ["MCP1"]\n\n[tool.mcp-lint.severity]\nMCP777 = "error"\n', 5),
], ids=["unknown-selector", "severity-unknown-rule"])
def test_bad_rule_code_in_config_names_the_line(tmp_path, body, line):
    _tree(tmp_path)
    _config(tmp_path, body)
    result = run_cli(".", cwd=tmp_path)
    assert result.exit_code == 2
    assert f"pyproject.toml:{line}:" in result.stderr, result.stderr


def test_missing_config_file_exits_2(tmp_path):
    _tree(tmp_path)
    result = run_cli("--config", tmp_path / "nope.toml", ".", cwd=tmp_path)
    assert result.exit_code == 2
    assert "nope.toml" in result.stderr


def test_standalone_config_file_holds_keys_at_top_level(tmp_path):
    _tree(tmp_path)
    cfg = _config(tmp_path, 'ignore = ["MCP101"]\nextend-select = ["MCP900"]\n', name="mcp-lint.toml")
    result = run_cli("--config", cfg, "--output-format", "json", ".", cwd=tmp_path)
    assert _ids(result) == {"MCP001", "MCP900"}


def test_config_file_option_with_a_pyproject(tmp_path):
    _tree(tmp_path / "project")
    cfg = _config(tmp_path / "elsewhere", '[tool.mcp-lint]\nignore = ["MCP101"]\n')
    result = run_cli("--config", cfg, "--output-format", "json", "project", cwd=tmp_path)
    assert _ids(result) == {"MCP001"}


# -- selection from the command line -------------------------------------------------------------

@pytest.mark.parametrize("args, expected", [
    ((), {"MCP001", "MCP101"}),
    (("--select", "MCP101"), {"MCP001", "MCP101"}),  # MCP001 stays on
    (("--select", "MCP900"), {"MCP001", "MCP900"}),
    (("--select", "MCP9"), {"MCP001", "MCP900"}),
    (("--extend-select", "MCP900"), {"MCP001", "MCP101", "MCP900"}),
    (("--select", "ALL"), {"MCP001", "MCP101", "MCP900"}),
    (("--select", "ALL", "--ignore", "MCP9"), {"MCP001", "MCP101"}),
    (("--select", "MCP1", "--ignore", "MCP101"), {"MCP001"}),  # more specific ignore wins
    (("--select", "MCP101", "--ignore", "MCP1"), {"MCP001", "MCP101"}),  # more specific select wins
    (("--select", "MCP101", "--ignore", "MCP101"), {"MCP001"}),  # a tie goes to ignore
    (("--select", "sql-string-formatting", "--ignore", "MCP1"), {"MCP001", "MCP101"}),
    (("--ignore", "sql-string-formatting"), {"MCP001"}),
    (("--ignore", "MCP101"), {"MCP001"}),
    (("--ignore", "MCP1"), {"MCP001"}),
    (("--ignore", "MCP001"), {"MCP101"}),  # MCP001 off only when ignored explicitly
    (("--ignore", "parse-error"), {"MCP101"}),
    (("--select", "MCP101,MCP900"), {"MCP001", "MCP101", "MCP900"}),
    (("--select", "MCP101", "--select", "MCP900"), {"MCP001", "MCP101", "MCP900"}),
    (("--select", " MCP101 , unused-suppression "), {"MCP001", "MCP101", "MCP900"}),
    (("--extend-select", "MCP900", "--ignore", "MCP101,MCP001"), {"MCP900"}),
    (("--select", "security"), {"MCP001", "MCP101"}),  # a pack name
])
def test_cli_selection(tmp_path, args, expected):
    _tree(tmp_path)
    result = run_cli("--output-format", "json", *args, ".", cwd=tmp_path)
    assert _ids(result) == expected


@pytest.mark.parametrize("option", ["--select", "--ignore", "--extend-select"])
def test_unknown_selector_exits_2(tmp_path, option):
    _tree(tmp_path)
    result = run_cli(option, "MCP777", ".", cwd=tmp_path)
    assert result.exit_code == 2
    assert "MCP777" in result.stderr


# -- selection from the config, and the command line over it ----------------------------------------

@pytest.mark.parametrize("config, args, expected", [
    ('select = ["MCP9"]', (), {"MCP001", "MCP900"}),
    ('ignore = ["MCP101"]', (), {"MCP001"}),
    ('extend-select = ["MCP900"]', (), {"MCP001", "MCP101", "MCP900"}),
    ('select = ["ALL"]\nignore = ["MCP9"]', (), {"MCP001", "MCP101"}),
    ('select = ["MCP1"]\nignore = ["sql-string-formatting"]', (), {"MCP001"}),
    ('select = ["MCP9"]', ("--select", "MCP101"), {"MCP001", "MCP101"}),  # CLI select replaces config select
    ('select = ["MCP101"]', ("--ignore", "MCP101"), {"MCP001"}),
    ('select = ["MCP101"]', ("--extend-select", "MCP900"), {"MCP001", "MCP101", "MCP900"}),
    ('extend-select = ["MCP900"]', ("--ignore", "MCP900"), {"MCP001", "MCP101"}),
])
def test_config_selection_and_cli_overrides(tmp_path, config, args, expected):
    _tree(tmp_path)
    _config(tmp_path, f"[tool.mcp-lint]\n{config}\n")
    result = run_cli("--output-format", "json", *args, ".", cwd=tmp_path)
    assert _ids(result) == expected


@pytest.mark.parametrize("config, args, expected", [
    ('ignore = ["MCP101"]', ("--select", "MCP101"), {"MCP001", "MCP101"}),
    ('ignore = ["MCP101"]', ("--extend-select", "MCP101"), {"MCP001", "MCP101"}),
    ('extend-select = ["MCP900"]', ("--ignore", "MCP9"), {"MCP001", "MCP101"}),
], ids=["select-over-config-ignore", "extend-select-over-config-ignore", "ignore-prefix-over-config-select"])
def test_cli_selection_is_applied_over_the_config(tmp_path, config, args, expected):
    """Command-line selectors are applied over the configuration's, as in ruff: a rule the
    configuration ignores can be turned back on from the command line, and a rule the
    configuration selects can be turned off by a command-line prefix."""
    _tree(tmp_path)
    _config(tmp_path, f"[tool.mcp-lint]\n{config}\n")
    result = run_cli("--output-format", "json", *args, ".", cwd=tmp_path)
    assert _ids(result) == expected


# -- per-file-ignores ----------------------------------------------------------------------------

@pytest.mark.parametrize("codes", ['["MCP101"]', '["MCP1"]', '["sql-string-formatting"]', '["ALL"]'])
def test_per_file_ignores(tmp_path, codes):
    write(tmp_path, "src/server.py", SERVER)
    write(tmp_path, "tests/test_server.py", SERVER)
    _config(tmp_path, f'[tool.mcp-lint.per-file-ignores]\n"tests/*" = {codes}\n')
    result = run_cli("--output-format", "json", ".", cwd=tmp_path)
    assert result.exit_code == 1
    assert [f["path"] for f in findings(result, "MCP101")] == ["src/server.py"]


def test_per_file_ignores_only_the_named_codes(tmp_path):
    write(tmp_path, "tests/test_server.py", SERVER)
    write(tmp_path, "tests/broken.py", SYNTAX_ERROR)
    _config(tmp_path, '[tool.mcp-lint.per-file-ignores]\n"tests/*" = ["MCP101"]\n')
    result = run_cli("--output-format", "json", ".", cwd=tmp_path)
    assert [f["path"] for f in findings(result, "MCP101")] == []
    assert [f["path"] for f in findings(result, "MCP001")] == ["tests/broken.py"]


def test_per_file_ignores_are_relative_to_the_config_directory(tmp_path):
    project = tmp_path / "project"
    write(project, "legacy/old_server.py", SERVER)
    write(project, "app/server.py", SERVER)
    _config(project, '[tool.mcp-lint.per-file-ignores]\n"legacy/*.py" = ["MCP101"]\n')
    # run from outside the project, and from inside a subdirectory
    outside = run_cli("--output-format", "json", "project", cwd=tmp_path)
    assert [f["path"] for f in findings(outside, "MCP101")] == ["project/app/server.py"]
    inside = run_cli("--output-format", "json", ".", cwd=project / "legacy")
    assert findings(inside, "MCP101") == []
    assert inside.exit_code == 0


# -- severity --------------------------------------------------------------------------------

def test_severity_override_shows_in_json_sarif_and_github(tmp_path):
    write(tmp_path, "server.py", SERVER)
    _config(tmp_path, '[tool.mcp-lint.severity]\nMCP101 = "warning"\n')
    as_json = run_cli("--output-format", "json", "--select", "MCP101", ".", cwd=tmp_path)
    assert as_json.exit_code == 1
    assert [f["severity"] for f in findings(as_json, "MCP101")] == ["warning"]

    sarif = json.loads(run_cli("--output-format", "sarif", "--select", "MCP101", ".", cwd=tmp_path).stdout)
    run = sarif["runs"][0]
    (result,) = [r for r in run["results"] if r["ruleId"] == "MCP101"]
    assert result["level"] == "warning"
    rule = run["tool"]["driver"]["rules"][result["ruleIndex"]]
    assert rule["id"] == "MCP101"
    assert rule["defaultConfiguration"]["level"] == "warning"
    assert float(rule["properties"]["security-severity"]) < 7.0  # no longer "high"

    github = run_cli("--output-format", "github", "--select", "MCP101", ".", cwd=tmp_path)
    assert github.stdout.startswith("::warning file=server.py,line=11,col=5,")


def test_severity_override_can_raise_a_warning_to_error(tmp_path):
    write(tmp_path, "unused.py", UNKNOWN_NOQA)
    _config(tmp_path, '[tool.mcp-lint]\nextend-select = ["MCP900"]\n[tool.mcp-lint.severity]\nMCP900 = "error"\n')
    result = run_cli("--output-format", "json", ".", cwd=tmp_path)
    assert [f["severity"] for f in findings(result, "MCP900")] == ["error"]


def test_severity_override_to_info_is_a_notice_and_a_sarif_note(tmp_path):
    write(tmp_path, "server.py", SERVER)
    _config(tmp_path, '[tool.mcp-lint.severity]\nMCP101 = "info"\n')
    github = run_cli("--output-format", "github", "--select", "MCP101", ".", cwd=tmp_path)
    assert github.stdout.startswith("::notice file=server.py,line=11,")
    sarif = json.loads(run_cli("--output-format", "sarif", "--select", "MCP101", ".", cwd=tmp_path).stdout)
    assert [r["level"] for r in sarif["runs"][0]["results"]] == ["note"]


# -- rule packs named in the config ---------------------------------------------------------------

PROBE_PACK = """\
pack: probes
description: A custom rule from the project.
rules:
  - id: TST201
    name: probe-sink
    message: "{source} reaches `{sink}`"
    severity: warning
    confidence: high
    tags: [test]
    docs:
      what: Reports tool input reaching probe.sink.
      why: A custom project rule.
    check:
      primitive: tainted-call
      sinks:
        - call: probe.sink
    examples:
      invalid:
        - code: |
            from probe import sink
            from mcp.server.fastmcp import FastMCP

            mcp = FastMCP("probe")

            @mcp.tool()
            def run(name: str) -> str:
                \"\"\"Passes the input through.\"\"\"
                return sink(name)
          lines: [9]
      valid:
        - code: |
            x = 1
"""

def test_rule_packs_in_config_are_relative_to_it(tmp_path):
    project = tmp_path / "project"
    write(project, "lint/probes.yaml", PROBE_PACK)
    write(project, "src/tool.py", PROBE_SOURCE)
    _config(project, '[tool.mcp-lint]\nrule-packs = ["lint/probes.yaml"]\n')
    result = run_cli("--output-format", "json", "project", cwd=tmp_path)
    assert result.exit_code == 1, result.stderr
    assert [(f["path"], f["start"]["line"]) for f in findings(result, "TST201")] == [("project/src/tool.py", 9)]
    rules = run_cli("rules", "--output-format", "json", "--config", project / "pyproject.toml")
    assert "TST201" in {r["id"] for r in rules.json()}


def test_missing_rule_pack_in_config_exits_2(tmp_path):
    write(tmp_path, "src/tool.py", PROBE_SOURCE)
    _config(tmp_path, '[tool.mcp-lint]\nrule-packs = ["lint/missing.yaml"]\n')
    result = run_cli(".", cwd=tmp_path)
    assert result.exit_code == 2
    assert "missing.yaml" in result.stderr


# -- which configuration file ----------------------------------------------------------------------

def test_nearest_pyproject_with_a_mcp_lint_table_is_used(tmp_path):
    _config(tmp_path, '[tool.mcp-lint]\nignore = ["MCP101"]\n')
    _tree(tmp_path / "pkg")
    _config(tmp_path / "pkg", '[project]\nname = "pkg"\n')  # no [tool.mcp-lint]: skipped
    result = run_cli("--output-format", "json", "pkg", cwd=tmp_path)
    assert _ids(result) == {"MCP001"}
    result = run_cli("--output-format", "json", ".", cwd=tmp_path / "pkg")
    assert _ids(result) == {"MCP001"}


def test_nested_config_takes_precedence_over_parent(tmp_path):
    _config(tmp_path, '[tool.mcp-lint]\nignore = ["MCP101"]\n')
    _tree(tmp_path / "pkg")
    _config(tmp_path / "pkg", '[tool.mcp-lint]\nextend-select = ["MCP900"]\n')
    result = run_cli("--output-format", "json", ".", cwd=tmp_path / "pkg")
    assert _ids(result) == {"MCP001", "MCP101", "MCP900"}


def test_config_options_do_not_leak_between_runs(tmp_path):
    a = tmp_path / "a"
    b = tmp_path / "b"
    _tree(a)
    _tree(b)
    _config(a, '[tool.mcp-lint]\nignore = ["MCP101"]\n')
    assert _ids(run_cli("--output-format", "json", ".", cwd=a)) == {"MCP001"}
    assert _ids(run_cli("--output-format", "json", ".", cwd=b)) == {"MCP001", "MCP101"}


def test_severity_override_sets_the_sarif_default_level_of_a_rule_that_did_not_fire(tmp_path):
    write(tmp_path, "ok.py", "x = 1\n")
    _config(tmp_path, '[tool.mcp-lint.severity]\nMCP201 = "error"\n')
    sarif = json.loads(run_cli("--output-format", "sarif", ".", cwd=tmp_path).stdout)
    (rule,) = [r for r in sarif["runs"][0]["tool"]["driver"]["rules"] if r["id"] == "MCP201"]
    assert rule["defaultConfiguration"]["level"] == "error"
    assert rule["properties"]["problem.severity"] == "error"
