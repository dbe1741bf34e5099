"""Output formats: full, concise, json (against report.schema.json), sarif (against the OASIS
SARIF 2.1.0 schema and GitHub's code-scanning rules) and github workflow commands."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from conftest import SARIF_SCHEMA, SERVER, findings, run_cli, sarif_schema_errors, write


# Non-ASCII text before the finding on line 9 (an astral character counts 2 in UTF-16).
EMOJI_LINE = """    note = "😀é"; conn.execute(f"SELECT * FROM t WHERE c = '{customer}'")"""
EMOJI_SERVER = f'''\
import sqlite3
from mcp.server.fastmcp import FastMCP

mcp = FastMCP("orders")

@mcp.tool()
def find_orders(customer: str) -> list:
    conn = sqlite3.connect("shop.db")
{EMOJI_LINE}
'''

# Two-statement form: the finding carries a trace from the tool parameter.
TWO_STATEMENTS = '''\
import asyncpg
from fastmcp import FastMCP

mcp = FastMCP("tables")

@mcp.tool
async def row_count(table: str) -> int:
    """Count the rows of a table."""
    conn = await asyncpg.connect("postgresql://localhost/app")
    query = "SELECT count(*) FROM %s" % table
    return await conn.fetchval(query)
'''

UNUSED_NOQA = 'import json\n\ndata = json.loads("{}")  # noqa: MCP101\n'

SYNTAX_ERROR = "def f(:\n    pass\n"


def _report_schema() -> dict:
    text = resources.files("mcp_lint").joinpath("output/reporters/report.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def _validate_json_report(doc: dict) -> None:
    schema = _report_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    errors = sorted(cls(schema).iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors]


def _validate_sarif(doc: dict) -> None:
    errors = sarif_schema_errors(doc)
    assert not errors, errors


def _mixed_tree(root: Path) -> None:
    write(root, "src/server.py", SERVER)
    write(root, "src/emoji.py", EMOJI_SERVER)
    write(root, "src/two.py", TWO_STATEMENTS)
    write(root, "src/unused.py", UNUSED_NOQA)
    write(root, "src/broken.py", SYNTAX_ERROR)


def _sarif(root: Path, *args: str) -> tuple[dict, object]:
    result = run_cli("--output-format", "sarif", *args, cwd=root)
    return json.loads(result.stdout), result


# -- full and concise --------------------------------------------------------------------------

def test_full_output_has_location_id_name_message_frame_caret_and_summary(tmp_path):
    write(tmp_path, "server.py", SERVER)
    result = run_cli("--select", "MCP101", "server.py", cwd=tmp_path)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    head = [i for i, line in enumerate(lines) if line.startswith("server.py:11:5: MCP101")]
    assert len(head) == 1, result.stdout
    i = head[0]
    assert "sql-string-formatting" in lines[i]
    assert "customer" in lines[i]
    source = next(line for line in lines[i:] if re.match(r"^\s*11 \| ", line))
    assert source.endswith("""cur.execute(f"SELECT * FROM orders WHERE customer = '{customer}'")""")
    caret = lines[lines.index(source) + 1]
    assert "^" in caret
    # the caret starts under the `c` of `cur.execute`
    assert caret.index("^") == source.index("cur.execute")
    assert re.match(r"^\s*10 \| ", lines[lines.index(source) - 1])  # one line of context above
    assert "Found 1 finding in 1 file examined" in result.stdout
    assert re.search(r"^\s*1\s+MCP101\s+sql-string-formatting\s*$", result.stdout, re.MULTILINE)


def test_full_output_when_clean(tmp_path):
    write(tmp_path, "a.py", "x = 1\n")
    write(tmp_path, "b.py", "y = 2\n")
    result = run_cli(".", cwd=tmp_path)
    assert result.exit_code == 0
    assert result.stdout.strip() == "All checks passed (2 files examined)."


def test_concise_output_is_one_line_per_finding(tmp_path):
    write(tmp_path, "a.py", SERVER)
    write(tmp_path, "b.py", SYNTAX_ERROR)
    result = run_cli("--output-format", "concise", "--select", "MCP101", ".", cwd=tmp_path)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "a.py:11:5: MCP101 [sql-string-formatting] " \
        "tool parameter `customer` flows into `cur.execute()` through an f-string: SQL built by string formatting"
    assert lines[1].startswith("b.py:1:7: MCP001 [parse-error] syntax error")
    assert lines[2] == "Found 2 findings."
    assert len(lines) == 3


def test_no_colour_codes_when_not_a_terminal(tmp_path):
    write(tmp_path, "server.py", SERVER)
    result = run_cli("server.py", cwd=tmp_path)
    assert "\x1b[" not in result.stdout


# -- json --------------------------------------------------------------------------------------

def test_json_validates_against_report_schema(tmp_path):
    _mixed_tree(tmp_path)
    result = run_cli("--output-format", "json", "--extend-select", "MCP900", "src", cwd=tmp_path)
    assert result.exit_code == 1
    doc = result.json()
    _validate_json_report(doc)
    assert doc["schema_version"].startswith("1.")
    assert doc["tool"]["name"] == "mcp-lint"
    assert doc["files_examined"] == 5
    ids = {f["id"] for f in doc["findings"]}
    assert {"MCP001", "MCP101", "MCP900"} <= ids
    assert doc["summary"]["findings"] == len(doc["findings"])
    assert doc["summary"]["by_rule"]["MCP101"] == len(findings(result, "MCP101"))
    # a trace and a fix are both represented
    assert any(f["trace"] for f in findings(result, "MCP101"))
    fix = findings(result, "MCP900")[0]["fix"]
    assert fix["applicability"] == "safe" and fix["edits"]


def test_json_positions_are_code_points(tmp_path):
    write(tmp_path, "emoji.py", EMOJI_SERVER)
    result = run_cli("--output-format", "json", "--select", "MCP101", "emoji.py", cwd=tmp_path)
    hit = findings(result, "MCP101")
    assert len(hit) == 1
    assert hit[0]["start"] == {"line": 9, "column": EMOJI_LINE.index("conn.execute") + 1}


def test_json_when_clean_validates(tmp_path):
    write(tmp_path, "ok.py", "x = 1\n")
    result = run_cli("--output-format", "json", "ok.py", cwd=tmp_path)
    assert result.exit_code == 0
    doc = result.json()
    _validate_json_report(doc)
    assert doc["findings"] == [] and doc["summary"] == {"findings": 0, "by_rule": {}}


def test_json_errors_entry_for_a_skipped_file_validates(tmp_path):
    from mcp_lint.check import engine

    big = tmp_path / "huge.py"
    big.write_bytes(b"x = 1\n" * (engine.MAX_FILE_BYTES // 6 + 10))
    write(tmp_path, "server.py", SERVER)
    result = run_cli("--output-format", "json", ".", cwd=tmp_path)
    doc = result.json()
    _validate_json_report(doc)
    assert [f["path"] for f in findings(result, "MCP001")] == ["huge.py"]
    assert "larger than" in findings(result, "MCP001")[0]["message"]
    assert [f["path"] for f in findings(result, "MCP101")] == ["server.py"]


def test_json_and_sarif_report_a_missing_path_as_a_failed_run(tmp_path):
    write(tmp_path, "server.py", SERVER)
    result = run_cli("--output-format", "json", "server.py", "nope.py", cwd=tmp_path)
    assert result.exit_code == 2
    doc = result.json()
    _validate_json_report(doc)
    assert [(e["path"], e["fatal"]) for e in doc["errors"]] == [("nope.py", True)]
    sarif = run_cli("--output-format", "sarif", "server.py", "nope.py", cwd=tmp_path)
    assert sarif.exit_code == 2
    invocation = json.loads(sarif.stdout)["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert "nope.py" in invocation["toolExecutionNotifications"][0]["message"]["text"]
    text = run_cli("nope.py", cwd=tmp_path)
    assert text.exit_code == 2 and "All checks passed" not in text.stdout


def test_json_fingerprints_are_stable_and_distinct(tmp_path):
    write(tmp_path, "a.py", SERVER)
    write(tmp_path, "b.py", SERVER)
    first = findings(run_cli("--output-format", "json", ".", cwd=tmp_path), "MCP101")
    # an unrelated edit above the finding does not change its fingerprint
    write(tmp_path, "a.py", "# a comment\n\n" + SERVER)
    second = findings(run_cli("--output-format", "json", ".", cwd=tmp_path), "MCP101")
    assert [f["start"]["line"] for f in second] == [13, 11]
    assert [f["fingerprint"] for f in first] == [f["fingerprint"] for f in second]
    assert first[0]["fingerprint"] != first[1]["fingerprint"]


# -- sarif -------------------------------------------------------------------------------------

def test_sarif_schema_file_is_the_oasis_errata_copy():
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert schema["id"].endswith("errata01/os/schemas/sarif-schema-2.1.0.json")


def test_sarif_validates_against_the_oasis_schema(tmp_path):
    _mixed_tree(tmp_path)
    doc, result = _sarif(tmp_path, "--extend-select", "MCP900", "src")
    assert result.exit_code == 1
    _validate_sarif(doc)
    assert doc["version"] == "2.1.0"
    assert doc["$schema"]


def test_sarif_with_no_findings_has_empty_results_and_validates(tmp_path):
    write(tmp_path, "ok.py", "x = 1\n")
    doc, result = _sarif(tmp_path, "ok.py")
    assert result.exit_code == 0
    _validate_sarif(doc)
    assert doc["runs"][0]["results"] == []
    assert doc["runs"][0]["tool"]["driver"]["name"] == "mcp-lint"


def test_sarif_has_github_essentials(tmp_path):
    _mixed_tree(tmp_path)
    doc, _ = _sarif(tmp_path, "--extend-select", "MCP900", "src")
    assert len(doc["runs"]) == 1
    run = doc["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "mcp-lint"
    assert run["columnKind"] == "utf16CodeUnits"
    rules = driver["rules"]
    rule_ids = [r["id"] for r in rules]
    assert len(set(rule_ids)) == len(rule_ids)
    for rule in rules:
        for key in ("shortDescription", "fullDescription", "help"):
            assert rule[key]["text"].strip(), (rule["id"], key)
            assert len(rule[key]["text"]) <= (4000 if key == "help" else 1024)
        props = rule.get("properties", {})
        if "security" in props.get("tags", []):
            sev = props["security-severity"]
            assert isinstance(sev, str)
            assert 0.0 < float(sev) <= 10.0
        if "precision" in props:
            assert props["precision"] in ("very-high", "high", "medium", "low")
        if "problem.severity" in props:
            assert props["problem.severity"] in ("error", "warning", "recommendation")
    results = run["results"]
    assert {r["ruleId"] for r in results} >= {"MCP001", "MCP101", "MCP900"}
    for res in results:
        assert 0 <= res["ruleIndex"] < len(rules)
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["message"]["text"].strip()
        assert res["partialFingerprints"] and all(isinstance(v, str) and v for v in res["partialFingerprints"].values())
        assert len(res["locations"]) >= 1
        loc = res["locations"][0]["physicalLocation"]
        uri = loc["artifactLocation"]["uri"]
        assert uri.startswith("src/"), uri
        assert "://" not in uri and not uri.startswith("/") and "\\" not in uri
        assert "uriBaseId" not in loc["artifactLocation"]
        region = loc["region"]
        assert region["startLine"] >= 1
        assert region.get("startColumn", 1) >= 1
        if region.get("endLine", region["startLine"]) == region["startLine"]:
            assert region.get("endColumn", region.get("startColumn", 1) + 1) > region.get("startColumn", 1)
    mcp101 = rules[rule_ids.index("MCP101")]
    assert "security" in mcp101["properties"]["tags"]
    assert "external/cwe/cwe-089" in mcp101["properties"]["tags"]  # CodeQL spelling
    assert float(mcp101["properties"]["security-severity"]) >= 7.0  # an error-level security rule is "high"


def test_sarif_trace_becomes_code_flow(tmp_path):
    write(tmp_path, "two.py", TWO_STATEMENTS)
    doc, _ = _sarif(tmp_path, "--select", "MCP101", "two.py")
    (res,) = [r for r in doc["runs"][0]["results"] if r["ruleId"] == "MCP101"]
    steps = res["codeFlows"][0]["threadFlows"][0]["locations"]
    lines = [s["location"]["physicalLocation"]["region"]["startLine"] for s in steps]
    assert lines[0] == 7  # the tool parameter
    assert lines == sorted(lines)
    assert res["locations"][0]["physicalLocation"]["region"]["startLine"] == 10


def test_sarif_columns_are_utf16_code_units(tmp_path):
    write(tmp_path, "emoji.py", EMOJI_SERVER)
    doc, _ = _sarif(tmp_path, "--select", "MCP101", "emoji.py")
    (res,) = [r for r in doc["runs"][0]["results"] if r["ruleId"] == "MCP101"]
    region = res["locations"][0]["physicalLocation"]["region"]
    idx = EMOJI_LINE.index("conn.execute")
    utf16_start = len(EMOJI_LINE[:idx].encode("utf-16-le")) // 2 + 1
    assert utf16_start == idx + 2  # the emoji is one code point but two UTF-16 code units
    assert region["startLine"] == 9
    assert region["startColumn"] == utf16_start
    utf16_end = len(EMOJI_LINE.encode("utf-16-le")) // 2 + 1
    assert region["endColumn"] == utf16_end


def test_sarif_uris_are_relative_to_the_repository_root(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    write(tmp_path, "services/api/server.py", SERVER)
    doc, result = _sarif(tmp_path / "services", "--select", "MCP101", ".")
    assert result.exit_code == 1
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in doc["runs"][0]["results"]]
    assert uris == ["services/api/server.py"]


def test_sarif_uris_are_percent_encoded(tmp_path):
    write(tmp_path, "my tools/server.py", SERVER)
    doc, _ = _sarif(tmp_path, "--select", "MCP101", ".")
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in doc["runs"][0]["results"]]
    assert uris == ["my%20tools/server.py"]
    _validate_sarif(doc)


def test_sarif_results_are_written_to_output_file(tmp_path):
    write(tmp_path, "server.py", SERVER)
    out = tmp_path / "mcp-lint.sarif"
    result = run_cli("--output-format", "sarif", "-o", out, "--select", "MCP101", "server.py", cwd=tmp_path)
    assert result.exit_code == 1
    assert result.stdout.strip() == ""
    doc = json.loads(out.read_text(encoding="utf-8"))
    _validate_sarif(doc)
    assert [r["ruleId"] for r in doc["runs"][0]["results"]] == ["MCP101"]


def test_sarif_fix_for_unused_suppression_validates(tmp_path):
    write(tmp_path, "unused.py", UNUSED_NOQA)
    doc, _ = _sarif(tmp_path, "--select", "MCP101,MCP900", "unused.py")
    _validate_sarif(doc)
    (res,) = doc["runs"][0]["results"]
    assert res["ruleId"] == "MCP900"
    assert res["level"] == "warning"
    change = res["fixes"][0]["artifactChanges"][0]
    assert change["artifactLocation"]["uri"] == "unused.py"
    assert change["replacements"][0]["deletedRegion"]["startLine"] == 3


# An external validator of SARIF against the OASIS schema and GitHub's ingestion rules, when
# one is available: SARIF_VALIDATOR=/path/to/validate_sarif.py (called with --github FILE).
EXTERNAL_VALIDATOR = os.environ.get("SARIF_VALIDATOR")


@pytest.mark.skipif(not EXTERNAL_VALIDATOR, reason="set SARIF_VALIDATOR to run an external SARIF validator")
def test_sarif_passes_an_external_github_validator(tmp_path):
    _mixed_tree(tmp_path)
    out = tmp_path / "out.sarif"
    run_cli("--output-format", "sarif", "-o", out, "--extend-select", "MCP900", "src", cwd=tmp_path)
    proc = subprocess.run([sys.executable, EXTERNAL_VALIDATOR, "--github", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "OK" in proc.stdout


# -- github ------------------------------------------------------------------------------------

def test_github_annotations(tmp_path):
    write(tmp_path, "server.py", SERVER)
    write(tmp_path, "unused.py", UNUSED_NOQA)
    result = run_cli("--output-format", "github", "--select", "MCP101,MCP900", ".", cwd=tmp_path)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines, result.stdout
    for line in lines:
        assert line.startswith(("::error ", "::warning ", "::notice ")), line
    assert lines[0].startswith("::error file=server.py,line=11,col=5,")
    assert "title=MCP101 (sql-string-formatting)::" in lines[0]
    assert lines[0].endswith("::tool parameter `customer` flows into `cur.execute()` through an f-string: "
                             "SQL built by string formatting")
    assert lines[1].startswith("::warning file=unused.py,line=3,")
    assert "title=MCP900 (unused-suppression)::" in lines[1]


ESCAPE_PACK = """\
pack: escapes
description: A rule whose message needs escaping in workflow commands.
rules:
  - id: TST501
    name: escape-probe
    message: "100% sure, really: {argument}\\nsecond line"
    severity: warning
    confidence: high
    tags: [test]
    docs:
      what: Reports tool input reaching probe.sink.
      why: To exercise escaping.
    check:
      primitive: tainted-call
      sinks:
        - call: probe.sink
          argument: 0
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

ESCAPE_SOURCE = '''\
from probe import sink
from mcp.server.fastmcp import FastMCP

mcp = FastMCP("probe")

@mcp.tool()
def run(name: str) -> str:
    """Passes the input through."""
    return sink(name)
'''


def test_github_escapes_properties_and_message(tmp_path):
    pack = write(tmp_path, "escapes.yaml", ESCAPE_PACK)
    write(tmp_path, "odd, na:me 100%.py", ESCAPE_SOURCE)
    result = run_cli("--output-format", "github", "--rule-pack", pack, "--select", "TST501", ".", cwd=tmp_path)
    assert result.exit_code == 1, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout  # the newline in the message is escaped
    line = lines[0]
    assert line.startswith("::warning file=odd%2C na%3Ame 100%25.py,line=9,col=12,")
    props, message = line[len("::warning "):].split("::", 1)
    assert "title=TST501 (escape-probe)" in props
    assert message == "100%25 sure, really: name%0Asecond line"


# -- severity styles are consistent across formats -------------------------------------------------

def test_all_formats_agree_on_the_findings(tmp_path):
    write(tmp_path, "a.py", SERVER)
    write(tmp_path, "b.py", TWO_STATEMENTS)
    args = ("--select", "MCP101", ".")
    doc = run_cli("--output-format", "json", *args, cwd=tmp_path).json()
    expected = [(f["path"], f["start"]["line"], f["start"]["column"]) for f in doc["findings"]]
    assert expected == [("a.py", 11, 5), ("b.py", 10, 13)]
    concise = run_cli("--output-format", "concise", *args, cwd=tmp_path).stdout
    assert [tuple(m.groups()) for m in re.finditer(r"^(\S+?):(\d+):(\d+): MCP101", concise, re.MULTILINE)] == \
        [(p, str(l), str(c)) for p, l, c in expected]
    github = run_cli("--output-format", "github", *args, cwd=tmp_path).stdout
    assert [tuple(m.groups()) for m in re.finditer(r"file=([^,]+),line=(\d+),col=(\d+)", github)] == \
        [(p, str(l), str(c)) for p, l, c in expected]
    sarif = json.loads(run_cli("--output-format", "sarif", *args, cwd=tmp_path).stdout)
    got = [(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["locations"][0]["physicalLocation"]["region"]["startColumn"]) for r in sarif["runs"][0]["results"]]
    assert got == expected


# -- SARIF for GitHub code scanning: every field the code-scanning docs rely on ---------------------

def _walk(value, path=""):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, f"{path}/{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, f"{path}/{i}")
    else:
        yield path, value


def test_every_sarif_document_of_the_suite_is_schema_checked(tmp_path, sarif_documents):
    from conftest import sarif_schema_errors
    write(tmp_path, "server.py", SERVER)
    _sarif(tmp_path, "server.py")
    assert len(sarif_documents) == 1  # the conftest hook saw it and validates it after the test
    assert sarif_schema_errors({"version": "2.1.0", "runs": [{"tool": {"driver": {}}, "columnKind": "x"}]})


def test_sarif_driver_and_every_enabled_rule_are_described(tmp_path):
    from mcp_lint import __version__
    from mcp_lint.output.docs import rule_markdown
    from mcp_lint.packs.registry import load_registry

    write(tmp_path, "server.py", SERVER)
    doc, _ = _sarif(tmp_path, "--select", "ALL", "server.py")
    driver = doc["runs"][0]["tool"]["driver"]
    assert driver["name"] == "mcp-lint"
    assert driver["semanticVersion"] == __version__
    assert driver["informationUri"].startswith("https://")
    registry = load_registry([])
    assert [r["id"] for r in driver["rules"]] == sorted(r.id for r in registry.rules)
    for desc in driver["rules"]:
        rule = registry.get(desc["id"])
        assert desc["name"] == rule.name
        assert desc["help"]["markdown"] == rule_markdown(rule)
        assert rule.docs.why.split()[0] in desc["help"]["text"]
        assert desc["helpUri"] == f"https://github.com/mcp-lint/mcp-lint/blob/main/docs/rules/{rule.id}.md"
        assert desc["defaultConfiguration"]["level"] == {"error": "error", "warning": "warning",
                                                         "info": "note"}[rule.severity.value]
        props = desc["properties"]
        assert "mcp" in props["tags"]
        assert props["precision"] == rule.confidence.value
        for cwe in rule.cwes:
            assert f"external/cwe/cwe-{int(cwe.split('-')[1]):03d}" in props["tags"]
        if "security" in rule.tags:
            assert "security" in props["tags"]
            assert "problem.severity" not in props
            assert 0 < float(props["security-severity"]) <= 10
        else:
            assert "security-severity" not in props
            assert props["problem.severity"] in ("error", "warning", "recommendation")
    (mcp101,) = [d for d in driver["rules"] if d["id"] == "MCP101"]
    assert mcp101["properties"]["security-severity"] == "8.8"  # from the pack's security-severity


def test_sarif_results_have_explicit_levels_and_no_negative_defaults(tmp_path):
    _mixed_tree(tmp_path)
    doc, _ = _sarif(tmp_path, "--extend-select", "MCP900", "src")
    levels = {r["ruleId"]: r["level"] for r in doc["runs"][0]["results"]}
    assert levels["MCP900"] == "warning" and levels["MCP101"] == "error"  # warning is SARIF's default
    assert [p for p, v in _walk(doc) if v == -1] == []


def test_sarif_category_sets_automation_details(tmp_path):
    write(tmp_path, "server.py", SERVER)
    doc, _ = _sarif(tmp_path, "server.py")
    assert doc["runs"][0]["automationDetails"]["id"] == "mcp-lint/"
    doc, _ = _sarif(tmp_path, "--sarif-category", "mcp-lint/backend", "server.py")
    assert doc["runs"][0]["automationDetails"]["id"] == "mcp-lint/backend/"


def test_sarif_fingerprints_are_our_own_and_survive_moved_lines(tmp_path):
    write(tmp_path, "a.py", SERVER)
    write(tmp_path, "b.py", SERVER)
    doc, _ = _sarif(tmp_path, "--select", "MCP101", ".")
    before = [r["partialFingerprints"] for r in doc["runs"][0]["results"]]
    assert all(set(fp) == {"mcp-lint/v1"} for fp in before)  # primaryLocationLineHash is the uploader's
    assert before[0] != before[1]  # same code, different files
    write(tmp_path, "a.py", "import os\n\n\n" + SERVER)
    doc, _ = _sarif(tmp_path, "--select", "MCP101", ".")
    assert [r["partialFingerprints"] for r in doc["runs"][0]["results"]] == before


# The escape pack's rule, scored: a `security-severity` makes it a security rule.
SEVERITY_PACK = ESCAPE_PACK.replace("pack: escapes", "pack: scored").replace("TST501", "TST601").replace(
    "escape-probe", "scored-probe").replace("confidence: high\n    tags: [test]",
                                            "confidence: medium\n    security-severity: 9.5\n    tags: [cwe-78]")
assert "security-severity: 9.5" in SEVERITY_PACK


def test_sarif_security_severity_comes_from_the_pack_field(tmp_path):
    pack = write(tmp_path, "scored.yaml", SEVERITY_PACK)
    write(tmp_path, "tool.py", ESCAPE_SOURCE)
    doc, result = _sarif(tmp_path, "--rule-pack", pack, "--select", "TST601", "tool.py")
    assert result.exit_code == 1, result.stderr
    (desc,) = [d for d in doc["runs"][0]["tool"]["driver"]["rules"] if d["id"] == "TST601"]
    assert desc["properties"]["security-severity"] == "9.5"
    assert desc["properties"]["tags"][0] == "security"  # a scored rule is a security rule
    assert "external/cwe/cwe-078" in desc["properties"]["tags"]
    assert desc["properties"]["precision"] == "medium"


def test_pack_security_severity_must_be_a_score(tmp_path):
    pack = write(tmp_path, "scored.yaml", SEVERITY_PACK.replace("security-severity: 9.5", "security-severity: 11"))
    result = run_cli("validate-pack", pack)
    assert result.exit_code == 2
    assert "security-severity" in result.stderr and "at most 10" in result.stderr


def _git_repo(path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    subprocess.run(["git", "init", "-q", str(path)], check=True)


def test_github_annotation_paths_are_relative_to_the_repository_root(tmp_path):
    _git_repo(tmp_path)
    write(tmp_path, "services/api/server.py", SERVER)
    result = run_cli("--output-format", "github", "--select", "MCP101", ".", cwd=tmp_path / "services")
    (line,) = result.stdout.splitlines()
    assert line.startswith("::error file=services/api/server.py,line=11,col=5,endLine=11,endColumn=71,"), line


def _subdirectory_sarif(tmp_path: Path) -> Path:
    """SARIF from a run in a subdirectory of a git repository: a taint flow, an emoji line,
    a security rule and a non-security one."""
    _git_repo(tmp_path)
    _mixed_tree(tmp_path / "pkg")
    out = tmp_path / "out.sarif"
    result = run_cli("--output-format", "sarif", "-o", out, "--extend-select", "MCP900", "src",
                     cwd=tmp_path / "pkg")
    assert result.exit_code == 1, result.stderr
    return out


def test_sarif_from_a_repository_subdirectory(tmp_path):
    doc = json.loads(_subdirectory_sarif(tmp_path).read_text(encoding="utf-8"))
    results = doc["runs"][0]["results"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert uris == {"pkg/src/server.py", "pkg/src/emoji.py", "pkg/src/two.py", "pkg/src/unused.py",
                    "pkg/src/broken.py"}
    assert any("codeFlows" in r for r in results)
    emoji = [r for r in results if r["ruleId"] == "MCP101"
             and r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("emoji.py")]
    idx = EMOJI_LINE.index("conn.execute")
    assert emoji[0]["locations"][0]["physicalLocation"]["region"]["startColumn"] == idx + 2


@pytest.mark.skipif(not EXTERNAL_VALIDATOR, reason="set SARIF_VALIDATOR to run an external SARIF validator")
def test_sarif_from_a_repository_subdirectory_passes_the_strict_github_validator(tmp_path):
    out = _subdirectory_sarif(tmp_path)
    proc = subprocess.run([sys.executable, EXTERNAL_VALIDATOR, "--github", "--strict", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
