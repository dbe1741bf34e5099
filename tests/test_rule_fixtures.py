"""Realistic servers, one or more per SDK flavour, checked finding by finding.

Each server under tests/fixtures/rules/ is written like a real project file: true problems
for several rules next to the look-alikes those rules must leave alone. Every line where a
finding must be reported carries a trailing marker naming the rules, comma-separated:

    rows = conn.execute(f"SELECT ... '{name}'")  # expect: MCP101
    done = subprocess.run(argv)                  # expect: MCP401, MCP403

The marker sits on the line the rule reports at (see "reports at" in the rule catalogue).
The real CLI runs on each file with the default rule set; the (line, rule) pairs it reports
must equal the pairs the markers declare: a finding without a marker is a false positive,
a marker without a finding a false negative.
"""

from __future__ import annotations

import functools
import json
import re
import tokenize
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from conftest import FIXTURES, run_cli
from mcp_lint.packs.registry import default_registry

RULE_FIXTURES = FIXTURES / "rules"
FIXTURE_FILES = sorted(RULE_FIXTURES.glob("*.py"))

# The rules on by default that a server can trip (MCP001 and MCP900 are about the analysis
# itself). Each must be expected somewhere in the fixture set.
COVERED_RULES = ("MCP101", "MCP102", "MCP103", "MCP104", "MCP105", "MCP106", "MCP107", "MCP108", "MCP109", "MCP110",
                 "MCP111", "MCP112", "MCP113", "MCP114", "MCP115", "MCP116", "MCP117", "MCP118", "MCP201", "MCP202", "MCP203", "MCP204", "MCP205", "MCP301", "MCP302", "MCP303",
                 "MCP304", "MCP305", "MCP401", "MCP402", "MCP403", "MCP404", "MCP501")

_MARKER = re.compile(r"#\s*expect:\s*(?P<ids>.+?)\s*")
_ID = re.compile(r"MCP[0-9]{3}")
KNOWN_IDS = default_registry().all_codes()


# ---------------------------------------------------------------------------------------------
# Markers and findings
# ---------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def markers(path: Path) -> frozenset[tuple[int, str]]:
    """(line, rule id) for every `# expect: ...` comment (comments only, never strings)."""
    out: set[tuple[int, str]] = set()
    with path.open("rb") as fh:
        for tok in tokenize.tokenize(fh.readline):
            if tok.type != tokenize.COMMENT or not tok.string.lstrip("# ").startswith("expect"):
                continue
            line = tok.start[0]
            m = _MARKER.fullmatch(tok.string)
            if m is None:
                raise ValueError(f"{path.name}:{line}: malformed marker: {tok.string}")
            ids = [part.strip() for part in m.group("ids").split(",")]
            for rule_id in ids:
                if not _ID.fullmatch(rule_id) or rule_id not in KNOWN_IDS:
                    raise ValueError(f"{path.name}:{line}: unknown rule id {rule_id!r} in marker")
                out.add((line, rule_id))
    return frozenset(out)


@functools.lru_cache(maxsize=None)
def lint(path: Path) -> dict:
    result = run_cli(path, "--output-format", "json", "--exit-zero")
    assert result.exit_code == 0, f"mcp-lint exited {result.exit_code}:\n{result.stdout}\n{result.stderr}"
    doc = result.json()
    assert doc["errors"] == [], f"{path.name}: the run reported errors: {doc['errors']}"
    assert doc["files_examined"] == 1
    return doc


def reported(path: Path) -> dict[tuple[int, str], dict]:
    """(line, rule id) -> the finding (the first one, should a line have several)."""
    out: dict[tuple[int, str], dict] = {}
    for f in lint(path)["findings"]:
        out.setdefault((f["start"]["line"], f["id"]), f)
    return out


def source_line(path: Path, line: int) -> str:
    """The code on a line, without its marker."""
    lines = path.read_text(encoding="utf-8").splitlines()
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    return re.sub(r"\s*#\s*expect:.*$", "", text).strip()


def explain(path: Path, missing: set[tuple[int, str]], unexpected: dict[tuple[int, str], dict]) -> str:
    """One line per disagreement, in line order: where, what was expected, what was found."""
    rows = []
    for line, rule in sorted(missing | set(unexpected)):
        where = f"{path.name}:{line}"
        if (line, rule) in missing:
            rows.append(f"  {where:<34} {rule}  expected, not reported\n"
                        f"  {'':<34}         | {source_line(path, line)}")
        else:
            finding = unexpected[(line, rule)]
            rows.append(f"  {where:<34} {rule}  reported, not expected: {finding['message']}\n"
                        f"  {'':<34}         | {source_line(path, line)}")
    return (f"{path.name}: {len(missing)} expected finding(s) not reported, "
            f"{len(unexpected)} reported without a marker:\n" + "\n".join(rows))


# ---------------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------------

def test_markers_are_read_from_comments_only(tmp_path: Path):
    path = tmp_path / "server.py"
    path.write_text('DOC = "# expect: MCP101"\nx = 1  # expect: MCP401, MCP403\n', encoding="utf-8")
    assert markers(path) == {(2, "MCP401"), (2, "MCP403")}
    for i, bad in enumerate(("# expect: MCP999", "# expect: MCP401,", "# expect:")):
        wrong = tmp_path / f"bad{i}.py"
        wrong.write_text(f"x = 1  {bad}\n", encoding="utf-8")
        with pytest.raises(ValueError):
            markers(wrong)


def test_there_are_fixtures():
    assert len(FIXTURE_FILES) >= 5, f"expected a fixture server per SDK flavour in {RULE_FIXTURES}"


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=[p.stem for p in FIXTURE_FILES])
def test_fixture_findings_match_markers(path: Path):
    expected = markers(path)
    assert expected, f"{path.name} has no `# expect:` markers"
    got = reported(path)
    missing = set(expected) - set(got)
    unexpected = {key: f for key, f in got.items() if key not in expected}
    assert not missing and not unexpected, explain(path, missing, unexpected)


def test_every_rule_is_expected_somewhere():
    """The fixture set keeps exercising each rule: removing its last marker fails here."""
    unknown = [r for r in COVERED_RULES if r not in KNOWN_IDS]
    assert not unknown, f"not registered rules: {unknown}"
    expected = {rule for path in FIXTURE_FILES for _, rule in markers(path)}
    uncovered = [r for r in COVERED_RULES if r not in expected]
    assert not uncovered, f"rules no fixture server expects: {uncovered}"


def test_sarif_results_match_markers():
    """The SARIF report of the whole directory puts every result on a marked line."""
    result = run_cli(RULE_FIXTURES, "--output-format", "sarif", "--exit-zero")
    assert result.exit_code == 0, f"mcp-lint exited {result.exit_code}:\n{result.stdout}\n{result.stderr}"
    sarif = json.loads(result.stdout)
    by_name = {p.name: p for p in FIXTURE_FILES}
    seen_files: set[str] = set()
    stray = []
    for run in sarif["runs"]:
        for res in run["results"]:
            location = res["locations"][0]["physicalLocation"]
            name = Path(unquote(urlparse(location["artifactLocation"]["uri"]).path)).name
            line = location["region"]["startLine"]
            assert name in by_name, f"SARIF result for a file outside the fixtures: {location}"
            seen_files.add(name)
            if (line, res["ruleId"]) not in markers(by_name[name]):
                stray.append(f"  {name}:{line} {res['ruleId']}: {res['message']['text']}\n"
                             f"  {'':<10}| {source_line(by_name[name], line)}")
    assert not stray, "SARIF results on lines without a matching marker:\n" + "\n".join(stray)
    assert seen_files == set(by_name), f"fixtures with no SARIF result: {sorted(set(by_name) - seen_files)}"
