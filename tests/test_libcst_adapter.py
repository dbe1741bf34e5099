"""analysis/positions.py is the one place mcp-lint uses libcst's private code generation state (to
place the few nodes findings mention without a PositionProvider pass over the whole module). If a
libcst release changes it, this fails loudly instead of positions silently going wrong or slow."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from mcp_lint.analysis import positions
from mcp_lint.source.lines import LineTable

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def test_the_private_codegen_state_is_there():
    assert positions._CodegenState is not None, "libcst no longer has libcst._nodes.internal.CodegenState"
    assert hasattr(cst.Module, "_codegen"), "libcst.Module no longer has _codegen"


def test_spans_equal_libcst_positions_on_real_servers():
    checked = 0
    for path in sorted((FIXTURES / "servers").glob("*.py"))[:12]:
        text = path.read_text(encoding="utf-8")
        module = cst.parse_module(text)
        expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        nodes = [n for n in expected if isinstance(n, (cst.Call, cst.FunctionDef, cst.Name, cst.SimpleString))]
        lines = LineTable(text)
        spans = positions.resolve_spans(module, nodes, lines)
        for node in nodes:
            want = expected[node]
            got = spans[node]
            assert (got.start_line, got.start_col - 1, got.end_line, got.end_col - 1) == (
                want.start.line, want.start.column, want.end.line, want.end.column), (path.name, node)
            checked += 1
    assert checked > 500


def test_scopes_placed_on_the_way_match_libcst_or_enclose_the_rest():
    """A function's range is libcst's (from `def` to the end of its body); one the pass stopped
    inside is left open, and then it encloses every wanted node placed after its start."""
    checked = opened = 0
    for path in sorted((FIXTURES / "servers").glob("*.py"))[:12]:
        text = path.read_text(encoding="utf-8")
        module = cst.parse_module(text)
        expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        functions = [n for n in expected if isinstance(n, cst.FunctionDef)]
        calls = [n for n in expected if isinstance(n, cst.Call)]
        if not functions or not calls:
            continue
        lines = LineTable(text)
        wanted = calls[: len(calls) // 2]  # the pass stops at the last of these
        placed = positions.place(module, wanted, lines, functions)
        for fn in functions:
            if id(fn) not in placed.scopes:
                continue
            start, end = placed.scopes[id(fn)]
            want = expected[fn]
            assert start == lines.offset(want.start.line, want.start.column + 1), (path.name, fn.name.value)
            if end is None:
                opened += 1
                inside = [n for n in wanted if placed.spans[n].start_offset >= start]
                assert all(expected[n].end.line <= expected[fn].end.line for n in inside), path.name
            else:
                assert end == lines.offset(want.end.line, want.end.column + 1), (path.name, fn.name.value)
            checked += 1
    assert checked > 20 and opened > 0
