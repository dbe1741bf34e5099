"""Property: for any program generated from Python's grammar (hypothesmith), linting never
raises, no rule fails internally, and the SARIF and JSON reports are valid.

Programs are linted as they are and embedded in a tool handler of an MCP server (so the
rules that only look inside handlers see them too), with every rule enabled.

The default example count keeps CI fast. A long campaign:

    MCP_LINT_FUZZ_EXAMPLES=2000 python -m pytest tests/test_fuzz.py -p no:cacheprovider

(`MCP_LINT_FUZZ_SEED=<n>` replays a campaign; a failure prints the program that caused it.)
"""

from __future__ import annotations

import io
import json
import os
import textwrap
import warnings
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
hypothesmith = pytest.importorskip("hypothesmith")

from conftest import sarif_schema_errors  # noqa: E402
from hypothesis import HealthCheck, given, seed, settings, strategies as st  # noqa: E402

from mcp_lint import __version__  # noqa: E402
from mcp_lint.check.engine import Engine  # noqa: E402
from mcp_lint.model.selection import Layer
from mcp_lint.packs.registry import load_registry  # noqa: E402
from mcp_lint.output.reporters import Report, render  # noqa: E402

# hypothesmith compiles what it generates: its SyntaxWarnings are not ours.
pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")

EXAMPLES = int(os.environ.get("MCP_LINT_FUZZ_EXAMPLES", "30"))
SEED = os.environ.get("MCP_LINT_FUZZ_SEED")

HANDLER = '''\
import subprocess
import sqlite3
from mcp.server.fastmcp import FastMCP

mcp = FastMCP("fuzz")

@mcp.tool()
async def handler(query: str, path, limit: int = 10) -> str:
    """A tool whose body is generated."""
{body}
    return query
'''

_REGISTRY = load_registry(())
_RULES = _REGISTRY.select_layers([Layer(("ALL",), (), ())])
_ENGINE = Engine(_RULES, {}, _REGISTRY.all_codes())
_ENGINE.lint_text("", "warm.py")  # starts the lint thread (it raises the recursion limit) before any example
_SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, database=None, derandomize=SEED is None and EXAMPLES <= 100,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

programs = st.one_of(hypothesmith.from_grammar(), hypothesmith.from_node())


def _embedded(source: str) -> str:
    body = textwrap.indent(source, "    ", lambda line: True) or "    pass\n"
    return HANDLER.format(body=body if body.endswith("\n") else body + "\n")


def _lint_and_report(tmp: Path, source: str) -> None:
    path = tmp / "generated.py"
    path.write_text(source, encoding="utf-8", newline="")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = _ENGINE.lint_path(str(path), "generated.py")
    leaked = [str(w.message) for w in caught if w.filename == "<source>"]  # the pre-parse's own
    assert not leaked, leaked
    internal = [e for e in result.errors if e.rule_id]
    assert not internal, internal
    report = Report(findings=sorted(result.findings, key=lambda f: f.sort_key()), files=["generated.py"],
                    rules={r.id: r for r in _REGISTRY.rules}, enabled=_RULES, errors=result.errors,
                    version=__version__, sarif_root=tmp, cwd=tmp)
    for fmt in ("json", "full"):
        out = io.StringIO()
        render(fmt, report, out, color=False)
    sarif = io.StringIO()
    render("sarif", report, sarif)
    doc = json.loads(sarif.getvalue())
    assert sarif_schema_errors(doc) == []
    for f in result.findings:
        assert f.span.start_line >= 1 and f.span.start_col >= 1


def _maybe_seed(fn):
    return seed(int(SEED))(fn) if SEED is not None else fn


@_maybe_seed
@_SETTINGS
@given(source=programs, embed=st.booleans())
def test_generated_programs_lint_without_error_and_give_valid_sarif(tmp_path_factory, source, embed):
    tmp = tmp_path_factory.mktemp("fuzz", numbered=True)
    _lint_and_report(tmp, _embedded(source) if embed else source)
