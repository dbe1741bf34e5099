"""`--fix` / `--diff`: a file's fixes applied to a fixpoint (`check.fixkit.fix_until_stable`).

The file is read as Python reads it (byte-order mark, coding cookie) and written back the
same way, atomically (`source.write`). Every pass must leave code that parses and compiles;
a fix that does not is dropped (`FixOutcome.dropped` says which, for a warning) and the
others are kept, so `--fix` never leaves a file broken. A second run changes nothing.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field

from mcp_lint.check.engine import Engine
from mcp_lint.check.fixkit import Dropped, apply_fixes, fix_until_stable, fixable
from mcp_lint.model.findings import FileResult, Finding

__all__ = ["FixOutcome", "apply_edits", "fix_text", "fixable", "unified_diff"]


@dataclass
class FixOutcome:
    path: str
    original: str
    fixed: str
    applied: int
    result: FileResult  # findings left after fixing
    broken: bool = False  # some fix produced invalid code and was left out (see `dropped`)
    dropped: list[Dropped] = field(default_factory=list)
    converged: bool = True


def apply_edits(source: str, findings) -> tuple[str, int]:
    text, applied = apply_fixes(source, findings)
    return text, len(applied)


def fix_text(engine: Engine, text: str, path: str, unsafe: bool,
             keep: Callable[[list[Finding]], list[Finding]] | None = None) -> FixOutcome:
    """Fix `text` to a fixpoint. `keep` filters each pass's findings as the run does (per-file
    ignores), so what a run would not report is not fixed either."""
    def lint(t: str) -> FileResult:
        result = engine.lint_text(t, path)
        if keep is not None:
            result.findings = keep(result.findings)
        return result

    run = fix_until_stable(text, lint, unsafe, path)
    return FixOutcome(path, text, run.text, len(run.applied), run.result, bool(run.dropped), run.dropped,
                      run.converged)


def unified_diff(outcome: FixOutcome) -> str:
    return "".join(difflib.unified_diff(outcome.original.splitlines(keepends=True),
                                        outcome.fixed.splitlines(keepends=True),
                                        fromfile=f"a/{outcome.path}", tofile=f"b/{outcome.path}"))
