"""Rule packs: strict validation (file:line: what is wrong, exit 2) through --rule-pack and
validate-pack, duplicate ids, test-rules on the built-in packs and on a broken example, and
custom packs in check / rule / rules."""

from __future__ import annotations

import re

import pytest

from conftest import PROBE_SOURCE, ROOT, SERVER, findings, run_cli, write

GOOD_PACK = '''\
pack: probes
description: A custom project rule.
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
      use-instead: Validate the input first.
      references:
        - https://example.org/probe
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
                """Passes the input through."""
                return sink(name)
          lines: [9]
      valid:
        - code: |
            from probe import sink
            from mcp.server.fastmcp import FastMCP

            mcp = FastMCP("probe")

            @mcp.tool()
            def run(count: int) -> str:
                """Scalar input cannot carry text."""
                return sink(str(count))
'''

def _line_of(text: str, fragment: str) -> int:
    for i, line in enumerate(text.splitlines(), 1):
        if fragment in line:
            return i
    raise AssertionError(fragment)


def _broken(old: str, new: str) -> str:
    assert old in GOOD_PACK
    return GOOD_PACK.replace(old, new, 1)


# (id, pack text, expected line, words the message must contain)
BROKEN_PACKS = [
    ("unknown-key", _broken("    severity: warning", "    severty: warning"), "severty: warning",
     ["unknown key", "severty"]),
    ("unknown-primitive", _broken("primitive: tainted-call", "primitive: no-such-primitive"),
     "primitive: no-such-primitive", ["unknown primitive", "no-such-primitive"]),
    ("bad-type", _broken("    confidence: high", "    confidence: [high]"), "confidence: [high]",
     ["confidence", "expected a string"]),
    ("bad-choice", _broken("    severity: warning", "    severity: critical"), "severity: critical",
     ["severity", "critical"]),
    ("bad-id", _broken("  - id: TST201", "  - id: tst-1"), "id: tst-1", ["tst-1"]),
    ("unknown-parameter", _broken("        - call: probe.sink", "        - call: probe.sink\n          argumnt: 0"),
     "argumnt: 0", ["unknown key", "argumnt"]),
    ("bad-placeholder", _broken("{sink}", "{nope}"), "message:", ["nope"]),
    ("yaml-syntax", _broken('    message: "{source} reaches `{sink}`"', "    message: a: b"), "message: a: b",
     ["YAML"]),
    ("duplicate-yaml-key", _broken("    confidence: high", "    confidence: high\n    confidence: low"),
     "confidence: low", ["duplicate key", "confidence"]),
    ("missing-key", _broken("    message: \"{source} reaches `{sink}`\"\n", ""), "- id: TST201",
     ["missing", "message"]),
    ("lines-not-int", _broken("lines: [9]", "lines: [nine]"), "lines: [nine]", ["lines"]),
]


@pytest.mark.parametrize("text, fragment, words", [b[1:] for b in BROKEN_PACKS], ids=[b[0] for b in BROKEN_PACKS])
def test_validate_pack_reports_file_line_and_problem(tmp_path, text, fragment, words):
    pack = write(tmp_path, "broken.yaml", text)
    result = run_cli("validate-pack", "broken.yaml", cwd=tmp_path)
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    line = _line_of(text, fragment)
    assert f"broken.yaml:{line}:" in result.stderr, result.stderr
    for word in words:
        assert word in result.stderr, result.stderr
    assert pack.exists()


@pytest.mark.parametrize("text, fragment, words", [b[1:] for b in BROKEN_PACKS], ids=[b[0] for b in BROKEN_PACKS])
def test_rule_pack_option_reports_file_line_and_problem(tmp_path, text, fragment, words):
    write(tmp_path, "broken.yaml", text)
    write(tmp_path, "server.py", SERVER)
    result = run_cli("--rule-pack", "broken.yaml", "server.py", cwd=tmp_path)
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    assert f"broken.yaml:{_line_of(text, fragment)}:" in result.stderr, result.stderr
    assert "MCP101" not in result.stdout  # nothing was linted


def test_test_rules_rejects_a_malformed_pack(tmp_path):
    write(tmp_path, "broken.yaml", BROKEN_PACKS[0][1])
    result = run_cli("test-rules", "broken.yaml", cwd=tmp_path)
    assert result.exit_code == 2
    assert "broken.yaml:" in result.stderr


def test_validate_pack_good_pack(tmp_path):
    write(tmp_path, "good.yaml", GOOD_PACK)
    result = run_cli("validate-pack", "good.yaml", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert "good.yaml: ok (1 rule)" in result.stdout


def test_validate_pack_checks_every_pack_given(tmp_path):
    write(tmp_path, "good.yaml", GOOD_PACK)
    write(tmp_path, "bad.yaml", BROKEN_PACKS[0][1])
    result = run_cli("validate-pack", "bad.yaml", "good.yaml", cwd=tmp_path)
    assert result.exit_code == 2
    assert "bad.yaml:" in result.stderr
    assert "good.yaml: ok" in result.stdout


def test_validate_pack_builtin_packs():
    packs = sorted((ROOT / "rules").glob("*.yaml"))
    assert packs
    result = run_cli("validate-pack", *packs)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count(": ok (") == len(packs)


@pytest.mark.parametrize("text, problem", [
    ("", "empty"),
    ("- just\n- a list\n", "mapping"),
    ("pack: p\ndescription: d\nrules: []\n", "rules"),
])
def test_degenerate_packs_exit_2(tmp_path, text, problem):
    write(tmp_path, "odd.yaml", text)
    result = run_cli("validate-pack", "odd.yaml", cwd=tmp_path)
    assert result.exit_code == 2
    assert "odd.yaml" in result.stderr and problem in result.stderr


@pytest.mark.parametrize("data, line, words", [
    (GOOD_PACK.replace("    severity: warning", "\tseverity: warning").encode(), 7, ["invalid YAML", "tab"]),
    (GOOD_PACK.replace("A custom project rule.", "Une r\u00e8gle.").encode("latin-1"), 2, ["UTF-8", "0xe8"]),
    (GOOD_PACK.replace("    severity: warning", "    severity: warn\x00ing").encode(), 7, ["invalid YAML"]),
    (b"a: &x [*x]\n", 1, ["alias"]),
    (b"".join(b"%c: &%c [" % (97 + i, 97 + i) + b",".join([b"*%c" % (96 + i) if i else b"x"] * 9) + b"]\n"
              for i in range(9)), None, ["more than"]),
    (("a: " + "[" * 5000 + "]" * 5000 + "\n").encode(), 1, ["nested"]),
], ids=["tab-indent", "not-utf8", "nul-byte", "recursive-alias", "alias-bomb", "deep-nesting"])
def test_hostile_packs_exit_2_with_file_line_and_problem(tmp_path, data, line, words):
    (tmp_path / "hostile.yaml").write_bytes(data)
    result = run_cli("validate-pack", "hostile.yaml", cwd=tmp_path)
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    assert (f"hostile.yaml:{line}:" if line else "hostile.yaml:") in result.stderr, result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


def test_missing_pack_file_exits_2(tmp_path):
    write(tmp_path, "server.py", SERVER)
    result = run_cli("--rule-pack", "nope.yaml", "server.py", cwd=tmp_path)
    assert result.exit_code == 2
    assert "nope.yaml" in result.stderr
    result = run_cli("validate-pack", "nope.yaml", cwd=tmp_path)
    assert result.exit_code == 2


def test_yaml_tags_are_rejected(tmp_path):
    text = GOOD_PACK.replace("description: A custom project rule.", "description: !!python/object:os.system ls")
    write(tmp_path, "tagged.yaml", text)
    result = run_cli("validate-pack", "tagged.yaml", cwd=tmp_path)
    assert result.exit_code == 2
    assert "tagged.yaml:2:" in result.stderr


# -- duplicate ids and names -----------------------------------------------------------------------

def test_duplicate_rule_id_across_packs_exits_2(tmp_path):
    write(tmp_path, "one.yaml", GOOD_PACK)
    write(tmp_path, "two.yaml", GOOD_PACK.replace("pack: probes", "pack: others").replace("probe-sink", "other-sink"))
    write(tmp_path, "server.py", SERVER)
    result = run_cli("--rule-pack", "one.yaml", "--rule-pack", "two.yaml", "server.py", cwd=tmp_path)
    assert result.exit_code == 2
    assert "TST201" in result.stderr
    assert "two.yaml" in result.stderr and "one.yaml" in result.stderr
    assert re.search(r"two\.yaml:4:", result.stderr), result.stderr


def test_duplicate_rule_name_across_packs_exits_2(tmp_path):
    write(tmp_path, "one.yaml", GOOD_PACK)
    write(tmp_path, "two.yaml", GOOD_PACK.replace("TST201", "TST202"))
    result = run_cli("--rule-pack", "one.yaml", "--rule-pack", "two.yaml", ".", cwd=tmp_path)
    assert result.exit_code == 2
    assert "probe-sink" in result.stderr


def test_pack_reusing_a_builtin_id_exits_2(tmp_path):
    write(tmp_path, "clash.yaml", GOOD_PACK.replace("TST201", "MCP101"))
    result = run_cli("validate-pack", "clash.yaml", cwd=tmp_path)
    assert result.exit_code == 2
    assert "MCP101" in result.stderr and "clash.yaml:4:" in result.stderr
    result = run_cli("--rule-pack", "clash.yaml", ".", cwd=tmp_path)
    assert result.exit_code == 2


def test_duplicate_rule_id_in_one_pack_exits_2(tmp_path):
    body = GOOD_PACK.split("rules:\n", 1)[1]
    second = body.replace("probe-sink", "probe-sink-again")
    text = GOOD_PACK + second
    write(tmp_path, "twice.yaml", text)
    result = run_cli("validate-pack", "twice.yaml", cwd=tmp_path)
    assert result.exit_code == 2
    assert "TST201" in result.stderr
    second_line = [i for i, line in enumerate(text.splitlines(), 1) if "- id: TST201" in line][1]
    assert f"twice.yaml:{second_line}:" in result.stderr


# -- test-rules ------------------------------------------------------------------------------------

def test_test_rules_passes_on_the_builtin_packs():
    packs = sorted((ROOT / "rules").glob("*.yaml"))
    assert {p.name for p in packs} >= {"core.yaml", "security.yaml"}
    result = run_cli("test-rules", *packs)
    assert result.exit_code == 0, result.stdout
    m = re.search(r"(\d+) passed, (\d+) failed", result.stdout)
    assert m and int(m.group(2)) == 0 and int(m.group(1)) >= 12, result.stdout
    assert "FAIL" not in result.stdout


def test_test_rules_passes_on_a_good_custom_pack(tmp_path):
    write(tmp_path, "good.yaml", GOOD_PACK)
    result = run_cli("test-rules", "good.yaml", cwd=tmp_path)
    assert result.exit_code == 0, result.stdout
    assert "2 passed, 0 failed" in result.stdout


def test_test_rules_fails_on_a_wrong_invalid_example(tmp_path):
    text = GOOD_PACK.replace("lines: [9]", "lines: [3]")
    write(tmp_path, "wrong.yaml", text)
    result = run_cli("test-rules", "wrong.yaml", cwd=tmp_path)
    assert result.exit_code == 1
    assert "FAIL TST201-invalid-0" in result.stdout
    assert "expected findings on lines [3], got [9]" in result.stdout
    assert f"wrong.yaml:{_line_of(text, '- code: |')}" in result.stdout
    assert "1 passed, 1 failed" in result.stdout


def test_test_rules_fails_when_a_valid_example_fires(tmp_path):
    text = GOOD_PACK.replace("return sink(str(count))", "return sink(f\"{count}\" + name)") \
        .replace("def run(count: int) -> str:", "def run(count: int, name: str) -> str:")
    write(tmp_path, "firing.yaml", text)
    result = run_cli("test-rules", "firing.yaml", cwd=tmp_path)
    assert result.exit_code == 1
    assert "FAIL TST201-valid-0" in result.stdout
    assert "expected no finding" in result.stdout


# -- custom packs at work ----------------------------------------------------------------------------

def test_custom_pack_findings(tmp_path):
    write(tmp_path, "lint/probes.yaml", GOOD_PACK)
    write(tmp_path, "tool.py", PROBE_SOURCE)
    result = run_cli("--rule-pack", "lint/probes.yaml", "--output-format", "json", "tool.py", cwd=tmp_path)
    assert result.exit_code == 1, result.stderr
    hits = findings(result, "TST201")
    assert [(f["start"]["line"], f["start"]["column"]) for f in hits] == [(9, 12)]
    assert hits[0]["name"] == "probe-sink" and hits[0]["severity"] == "warning"
    assert hits[0]["message"] == "tool parameter `name` reaches `sink()`"


def test_custom_pack_rules_are_selectable(tmp_path):
    write(tmp_path, "probes.yaml", GOOD_PACK)
    write(tmp_path, "tool.py", PROBE_SOURCE)
    ignored = run_cli("--rule-pack", "probes.yaml", "--ignore", "TST2", "--output-format", "json", "tool.py",
                      cwd=tmp_path)
    assert findings(ignored, "TST201") == []
    by_pack = run_cli("--rule-pack", "probes.yaml", "--select", "probes", "--output-format", "json", "tool.py",
                      cwd=tmp_path)
    assert len(findings(by_pack, "TST201")) == 1
    by_name = run_cli("--rule-pack", "probes.yaml", "--select", "probe-sink", "--output-format", "json", "tool.py",
                      cwd=tmp_path)
    assert len(findings(by_name, "TST201")) == 1


@pytest.mark.parametrize("comment", [
    "  # mcp-lint: ignore[TST201]",
    "  # mcp-lint: ignore[probe-sink]",
    "  # noqa: probe-sink",
    "  # noqa: TST201",
])
def test_custom_pack_rules_are_suppressible(tmp_path, comment):
    write(tmp_path, "probes.yaml", GOOD_PACK)
    write(tmp_path, "tool.py", PROBE_SOURCE.replace("return sink(name)", "return sink(name)" + comment))
    result = run_cli("--rule-pack", "probes.yaml", "--output-format", "json", "tool.py", cwd=tmp_path)
    assert findings(result, "TST201") == []


def test_rule_and_rules_see_custom_packs(tmp_path):
    write(tmp_path, "probes.yaml", GOOD_PACK)
    explained = run_cli("rule", "TST201", "--rule-pack", "probes.yaml", cwd=tmp_path)
    assert explained.exit_code == 0, explained.stderr
    for heading in ("What it does", "Why is this bad", "Example", "Use instead", "References"):
        assert heading in explained.stdout
    assert "https://example.org/probe" in explained.stdout
    listed = run_cli("rules", "--output-format", "json", "--rule-pack", "probes.yaml", cwd=tmp_path)
    row = {r["id"]: r for r in listed.json()}["TST201"]
    assert row == {"id": "TST201", "name": "probe-sink", "pack": "probes", "severity": "warning",
                   "fixable": "no", "enabled": True}


def test_custom_rule_in_sarif_has_metadata(tmp_path):
    import json

    write(tmp_path, "probes.yaml", GOOD_PACK)
    write(tmp_path, "tool.py", PROBE_SOURCE)
    result = run_cli("--rule-pack", "probes.yaml", "--output-format", "sarif", "tool.py", cwd=tmp_path)
    run = json.loads(result.stdout)["runs"][0]
    (res,) = [r for r in run["results"] if r["ruleId"] == "TST201"]
    rule = run["tool"]["driver"]["rules"][res["ruleIndex"]]
    assert rule["id"] == "TST201"
    assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"] and rule["help"]["text"]
    assert "security-severity" not in rule["properties"]  # not tagged security
    assert rule["properties"]["problem.severity"] == "warning"

