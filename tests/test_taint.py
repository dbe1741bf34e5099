"""The untrusted-input analysis, observed through the real CLI.

A probe pack (tests/fixtures/packs/taint_probe.yaml) defines `tainted-call` rules on the sink
`probe.sink` (argument 0): PRB001 accepts no sanitizer, the others accept one sanitizer kind
each. The fixture servers under tests/fixtures/taint/ mark every line where a probe finding
must be reported with a trailing `# expect: IDS` comment:

    return sink(name)  # expect: PRB*            every probe fires
    return sink(p)     # expect: PRB*,-PRB002    every probe but the path one fires
    return sink(x)     # expect: PRB001, PRB003  exactly these two fire

Every other line must have no probe finding. Expectations are checked per top-level
function or class of a fixture (one test each), so a failure names the case it is about.
"""

from __future__ import annotations

import ast
import functools
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli
from mcp_lint.packs.loader import load_pack

PACK = FIXTURES / "packs" / "taint_probe.yaml"
TAINT = FIXTURES / "taint"
_RULES = load_pack(PACK).rules
PROBES: tuple[str, ...] = tuple(r.id for r in _RULES)
SANITIZER_OF: dict[str, tuple[str, ...]] = {r.id: tuple(r.params["sanitizers"]) for r in _RULES}

_MARKER = re.compile(r"#\s*expect:\s*(?P<ids>[A-Z0-9*,\s-]+?)\s*")
_ID = re.compile(r"[A-Z][A-Z0-9]*[0-9]{3}")


# ---------------------------------------------------------------------------------------------
# Reading fixtures and running the CLI
# ---------------------------------------------------------------------------------------------

def parse_ids(text: str, where: str) -> frozenset[str]:
    """`PRB*,-PRB002` -> every probe but PRB002; `PRB001, PRB003` -> those two."""
    out: set[str] = set()
    for raw in (part.strip() for part in text.split(",")):
        if not raw:
            continue
        if raw == "PRB*":
            out.update(PROBES)
        elif raw.startswith("-") and _ID.fullmatch(raw[1:]):
            if raw[1:] not in PROBES:
                raise ValueError(f"{where}: unknown probe id {raw[1:]!r} in marker")
            out.discard(raw[1:])
        elif _ID.fullmatch(raw):
            if raw not in PROBES:
                raise ValueError(f"{where}: unknown probe id {raw!r} in marker")
            out.add(raw)
        else:
            raise ValueError(f"{where}: cannot read marker item {raw!r}")
    if not out:
        raise ValueError(f"{where}: marker expects nothing")
    return frozenset(out)


@functools.lru_cache(maxsize=None)
def expectations(path: Path) -> dict[int, frozenset[str]]:
    """line -> probe ids that must fire there (read from comments, never from strings)."""
    out: dict[int, frozenset[str]] = {}
    with path.open("rb") as fh:
        for tok in tokenize.tokenize(fh.readline):
            if tok.type != tokenize.COMMENT or not tok.string.lstrip("# ").startswith("expect"):
                continue
            lineno = tok.start[0]
            m = _MARKER.fullmatch(tok.string)
            if m is None:
                raise ValueError(f"{path.name}:{lineno}: malformed marker: {tok.string}")
            out[lineno] = parse_ids(m.group("ids"), f"{path.name}:{lineno}")
    return out


@functools.lru_cache(maxsize=None)
def lint(path: Path) -> dict:
    result = run_cli(path, "--rule-pack", PACK, "--select", "PRB", "--output-format", "json")
    assert result.exit_code in (0, 1), f"mcp-lint exited {result.exit_code}:\n{result.stdout}\n{result.stderr}"
    doc = result.json()
    assert doc["errors"] == [], f"{path.name}: the run reported errors: {doc['errors']}"
    assert doc["files_examined"] == 1
    return doc


def found(path: Path) -> dict[int, dict[str, dict]]:
    """line -> rule id -> finding (the first one, should there be several)."""
    out: dict[int, dict[str, dict]] = {}
    for f in lint(path)["findings"]:
        out.setdefault(f["start"]["line"], {}).setdefault(f["id"], f)
    return out


@dataclass(frozen=True)
class Case:
    fixture: Path
    name: str
    first: int  # first line (decorators included)
    last: int

    @property
    def id(self) -> str:
        return f"{self.fixture.name}::{self.name}"


def cases_of(path: Path) -> list[Case]:
    """One case per top-level def/class, plus `<module>` for the lines outside them."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            out.append(Case(path, node.name, first, node.end_lineno or node.lineno))
    out.append(Case(path, "<module>", 0, 0))
    return out


FIXTURE_FILES = sorted(TAINT.glob("*.py"))
CASES = [c for f in FIXTURE_FILES for c in cases_of(f)]


def lines_of(case: Case) -> set[int]:
    if case.name != "<module>":
        return set(range(case.first, case.last + 1))
    covered = {n for c in cases_of(case.fixture) if c.name != "<module>" for n in range(c.first, c.last + 1)}
    total = len(case.fixture.read_text(encoding="utf-8").splitlines())
    return set(range(1, total + 1)) - covered


def source_line(path: Path, line: int) -> str:
    return path.read_text(encoding="utf-8").splitlines()[line - 1].strip()


def line_of(path: Path, needle: str) -> int:
    """The one line of a fixture containing `needle`."""
    hits = [i for i, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in text]
    assert len(hits) == 1, f"{path.name}: {needle!r} is on lines {hits}, expected exactly one"
    return hits[0]


def show_trace(finding: dict) -> str:
    return "\n".join(f"        line {s['start']['line']}: {s['message']}" for s in finding.get("trace", []))


# ---------------------------------------------------------------------------------------------
# The pack itself
# ---------------------------------------------------------------------------------------------

def test_probe_pack_is_valid():
    result = run_cli("validate-pack", PACK)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert f"ok ({len(PROBES)} rules)" in result.stdout


def test_probe_pack_examples_pass():
    result = run_cli("test-rules", PACK)
    assert result.exit_code == 0, result.stdout + result.stderr


def test_probe_pack_covers_each_sanitizer_kind():
    assert SANITIZER_OF["PRB001"] == ()
    kinds = sorted(k for ks in SANITIZER_OF.values() for k in ks)
    assert kinds == ["model", "option", "path", "pattern", "shell"]


# ---------------------------------------------------------------------------------------------
# Fixtures against their markers
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fixture", FIXTURE_FILES, ids=lambda p: p.name)
def test_fixture_is_well_formed(fixture: Path):
    """Markers parse, sit on lines that call the sink, and each file has clean sinks too."""
    marks = expectations(fixture)
    assert marks, f"{fixture.name} has no `# expect:` marker"
    text = fixture.read_text(encoding="utf-8").splitlines()
    for line in marks:
        assert "sink(" in text[line - 1], f"{fixture.name}:{line}: marker on a line without a sink call"
    unmarked_sinks = [i for i, t in enumerate(text, 1) if re.search(r"\bsink\(", t) and i not in marks
                      and not t.lstrip().startswith(("#", "def ", "async def ")) and "import" not in t]
    assert unmarked_sinks, f"{fixture.name} has no look-alike (a sink call that must stay clean)"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_expectations(case: Case):
    path = case.fixture
    marks = expectations(path)
    got = found(path)
    problems = []
    for line in sorted(lines_of(case)):
        want = marks.get(line, frozenset())
        have = got.get(line, {})
        if want == set(have):
            continue
        missing = sorted(want - set(have))
        extra = sorted(set(have) - want)
        text = [f"{path.name}:{line}: {source_line(path, line)}",
                f"    expected: {', '.join(sorted(want)) or 'no finding'}",
                f"    got:      {', '.join(sorted(have)) or 'no finding'}"]
        if missing:
            text.append(f"    missing:  {', '.join(missing)}")
        if extra:
            text.append(f"    extra:    {', '.join(extra)}")
            sample = have[extra[0]]
            text.append(f"    message:  {sample['message']}")
            if sample.get("trace"):
                text.append("    trace:\n" + show_trace(sample))
        problems.append("\n".join(text))
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


# ---------------------------------------------------------------------------------------------
# Traces
# ---------------------------------------------------------------------------------------------

HELPERS = TAINT / "helpers.py"
PROPAGATION = TAINT / "propagation.py"


def _finding_at(path: Path, line: int, rule: str = "PRB001") -> dict:
    here = found(path).get(line, {})
    assert rule in here, f"{path.name}:{line}: no {rule} finding (got {sorted(here) or 'none'})"
    return here[rule]


def test_helper_finding_is_credited_to_the_tool():
    sink_line = line_of(HELPERS, "return sink(command)  # expect:")
    param_line = line_of(HELPERS, "def run_report(report: str)")
    call_line = line_of(HELPERS, "return run_command(report)")
    finding = _finding_at(HELPERS, sink_line)
    trace = finding["trace"]
    assert "tool parameter `report`" in finding["message"], finding["message"]
    assert trace[0]["start"]["line"] == param_line, show_trace(finding)
    assert trace[0]["message"] == "tool parameter `report`", show_trace(finding)
    passed = [s for s in trace if s["message"] == "passed to `run_command()` as `command`"]
    assert passed and passed[0]["start"]["line"] == call_line, show_trace(finding)
    assert trace[-1]["start"]["line"] == sink_line, show_trace(finding)
    assert trace[-1]["message"] == "`sink()`", show_trace(finding)


def test_two_level_helper_trace_lists_both_calls():
    sink_line = line_of(HELPERS, "return sink(query)  # expect:")
    finding = _finding_at(HELPERS, sink_line)
    trace = finding["trace"]
    messages = [s["message"] for s in trace]
    assert trace[0]["start"]["line"] == line_of(HELPERS, "def search_index(term: str)"), show_trace(finding)
    outer = messages.index("passed to `build_query()` as `text`") if \
        "passed to `build_query()` as `text`" in messages else -1
    inner = messages.index("passed to `execute_query()` as `query`") if \
        "passed to `execute_query()` as `query`" in messages else -1
    assert 0 < outer < inner, show_trace(finding)
    assert trace[-1]["start"]["line"] == sink_line, show_trace(finding)


def test_two_statement_flow_lists_the_assignment():
    sink_line = line_of(PROPAGATION, "return sink(greeting)  # expect:")
    assign_line = line_of(PROPAGATION, 'greeting = "Hello, " + who')
    finding = _finding_at(PROPAGATION, sink_line)
    trace = finding["trace"]
    assert trace[0]["start"]["line"] == line_of(PROPAGATION, "def assignment(who: str)"), show_trace(finding)
    assert trace[0]["message"] == "tool parameter `who`", show_trace(finding)
    steps = [s for s in trace if s["start"]["line"] == assign_line]
    assert steps and steps[0]["message"] == "`greeting` = `+` concatenation", show_trace(finding)
    assert trace[-1]["start"]["line"] == sink_line, show_trace(finding)
    assert [s["start"]["line"] for s in trace] == sorted(s["start"]["line"] for s in trace), show_trace(finding)


def test_message_names_source_sink_and_argument():
    line = line_of(PROPAGATION, "return sink(greeting)  # expect:")
    finding = _finding_at(PROPAGATION, line)
    assert finding["message"] == "tool parameter `who` reaches `sink()` as `greeting` (no sanitizer accepted)"


def test_lowlevel_source_is_labelled_as_a_tool_argument():
    lowlevel = TAINT / "lowlevel.py"
    line = line_of(lowlevel, 'return sink(arguments["path"])  # expect:')
    finding = _finding_at(lowlevel, line)
    assert finding["message"].startswith("tool argument `arguments"), finding["message"]
