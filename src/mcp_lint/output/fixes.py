"""Applying fixes: non-overlapping edits, applied from the end, to a fixpoint.

A fixed text that no longer parses is discarded: `--fix` never leaves a file broken.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass

import libcst as cst

from mcp_lint.check.engine import Engine
from mcp_lint.model.findings import Applicability, FileResult, Finding

MAX_PASSES = 8


@dataclass
class FixOutcome:
    path: str
    original: str
    fixed: str
    applied: int
    result: FileResult  # findings left after fixing
    broken: bool = False  # a pass produced unparsable code and was rolled back


def fixable(finding: Finding, unsafe: bool) -> bool:
    return finding.fix is not None and (unsafe or finding.fix.applicability == Applicability.SAFE)


def _overlaps(a: tuple[int, int, str], b: tuple[int, int, str]) -> bool:
    if a[0] == a[1] == b[0] == b[1]:
        return True  # two different insertions at one point: order would be a guess
    return a[0] < b[1] and b[0] < a[1]


def apply_edits(source: str, findings: list[Finding]) -> tuple[str, int]:
    """Apply each finding's edits, skipping a fix that overlaps one already taken. Identical
    edits from several fixes (the same `import sys` added twice) are applied once."""
    chosen: set[tuple[int, int, str]] = set()
    applied = 0
    for f in sorted(findings, key=lambda f: (f.span.start_offset, f.rule_id)):
        assert f.fix is not None
        edits = {(e.span.start_offset, e.span.end_offset, e.content) for e in f.fix.edits}
        new = edits - chosen
        if any(_overlaps(a, b) for a in new for b in chosen):
            continue
        chosen |= new
        applied += 1
    for start, end, content in sorted(chosen, key=lambda x: (x[0], x[1]), reverse=True):
        source = source[:start] + content + source[end:]
    return source, applied


def fix_text(engine: Engine, text: str, path: str, unsafe: bool,
             keep: Callable[[list[Finding]], list[Finding]] | None = None) -> FixOutcome:
    """Fix `text` to a fixpoint. `keep` filters each pass's findings as the run does (per-file
    ignores), so what a run would not report is not fixed either."""
    original = text
    total = 0
    broken = False
    result = engine.lint_text(text, path)
    for _ in range(MAX_PASSES):
        found = keep(result.findings) if keep is not None else result.findings
        todo = [f for f in found if fixable(f, unsafe)]
        if not todo:
            break
        new_text, applied = apply_edits(text, todo)
        if applied == 0 or new_text == text:
            break
        try:
            cst.parse_module(new_text)
        except Exception:  # noqa: BLE001 - any parse failure means: keep the last good text
            broken = True
            break
        text = new_text
        total += applied
        result = engine.lint_text(text, path)
    return FixOutcome(path, original, text, total, result, broken)


def unified_diff(outcome: FixOutcome) -> str:
    return "".join(difflib.unified_diff(outcome.original.splitlines(keepends=True),
                                        outcome.fixed.splitlines(keepends=True),
                                        fromfile=f"a/{outcome.path}", tofile=f"b/{outcome.path}"))
