"""Human output: `full` (code frames, traces, a summary) and `concise` (one line each).

Built on rich; colour only when the stream is a terminal (and NO_COLOR is unset). Paths,
messages and quoted source lines go through `escape`: a file name or a string literal holding
a newline or an escape sequence is shown, never obeyed.
"""

from __future__ import annotations

from collections import Counter
from typing import TextIO

from rich.console import Console
from rich.text import Text

from mcp_lint.model.findings import Finding, Severity
from mcp_lint.model.text import escape
from mcp_lint.source.lines import source_lines
from mcp_lint.output.reporters.report import Report
from mcp_lint.output.reporters.console import make_console

_SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def _console(out: TextIO, color: bool | None) -> Console:
    return make_console(out, color)


def _location(f: Finding) -> str:
    return f"{escape(f.path)}:{f.span.start_line}:{f.span.start_col}"


class _Sources:
    """Lines of the files findings point into, read once each."""

    def __init__(self) -> None:
        self.cache: dict[str, list[str]] = {}

    def lines(self, path: str) -> list[str]:
        if path not in self.cache:
            self.cache[path] = source_lines(path)
        return self.cache[path]


def render_full(report: Report, out: TextIO, color: bool | None) -> None:
    console = _console(out, color)
    sources = _Sources()
    for f in report.findings:
        head = Text()
        head.append(_location(f), style="bold")
        head.append(": ")
        head.append(f.rule_id, style=_SEVERITY_STYLE.get(f.severity, ""))
        head.append(f" [{f.rule_name}] ", style="dim")
        head.append(escape(f.message))
        console.print(head)
        _frame(console, f, sources.lines(f.path))
        if f.trace:
            console.print(Text("   = flow: ", style="cyan") + Text(
                " -> ".join(f"{escape(s.message)} ({_step_place(f, s)})" for s in f.trace)))
        if f.fix is not None:
            label = "fix" if f.fix.applicability.value == "safe" else "unsafe fix"
            console.print(Text(f"   = {label}: ", style="green") + Text(escape(f.fix.description)))
        console.print()
    _summary(console, report)


def _frame(console: Console, f: Finding, lines: list[str]) -> None:
    if not lines or f.span.start_line > len(lines):
        return
    first = max(1, f.span.start_line - 1)
    last = min(len(lines), f.span.end_line if f.span.end_line - f.span.start_line < 4 else f.span.start_line + 2)
    width = len(str(last))
    gutter = " " * width
    console.print(Text(f"{gutter} |", style="blue"))
    for n in range(first, last + 1):
        text = escape(lines[n - 1].replace("\t", "    "))
        console.print(Text(f"{n:>{width}} | ", style="blue") + Text(text))
        if n == f.span.start_line:
            raw = lines[n - 1]
            start = f.span.start_col - 1
            end = f.span.end_col - 1 if f.span.end_line == n else len(raw)
            end = max(end, start + 1)
            pad = len(escape(raw[:start].replace("\t", "    ")))
            marks = max(1, len(escape(raw[start:end].replace("\t", "    "))))
            console.print(Text(f"{gutter} | ", style="blue") + Text(" " * pad + "^" * marks,
                                                                   style=_SEVERITY_STYLE.get(f.severity, "")))
    console.print(Text(f"{gutter} |", style="blue"))


def _step_place(f: Finding, step) -> str:
    """`line 12` in the finding's file; `tools/db.py:12` in another module's."""
    if step.path and step.path != f.path:
        return f"{escape(step.path)}:{step.span.start_line}"
    return f"line {step.span.start_line}"


def _summary(console: Console, report: Report) -> None:
    if report.quiet:
        return
    n = len(report.findings)
    files = len(report.files)
    if n == 0:
        if report.execution_successful:
            console.print(Text(f"All checks passed ({files} file{'s' if files != 1 else ''} examined).",
                               style="green"))
        else:
            console.print(Text(f"No findings in {files} file{'s' if files != 1 else ''} examined, but the run "
                               "did not complete: see the errors above.", style="red"))
        return
    counts = Counter(f.rule_id for f in report.findings)
    names = {f.rule_id: f.rule_name for f in report.findings}
    console.print(Text(f"Found {n} finding{'s' if n != 1 else ''} in {files} file{'s' if files != 1 else ''} "
                       f"examined:", style="bold"))
    width = max(len(str(c)) for c in counts.values())
    for rule_id, count in sorted(counts.items()):
        console.print(f"  {count:>{width}}  {rule_id}  {names[rule_id]}")
    fixable = sum(1 for f in report.findings if f.fix is not None and f.fix.applicability.value == "safe")
    hidden = sum(1 for f in report.findings if f.fix is not None and f.fix.applicability.value != "safe")
    if (fixable or hidden) and report.fixable_hint:
        parts = [f"{fixable} fixable with the `--fix` option."] if fixable else []
        if hidden:
            parts.append(f"{hidden} hidden fix{'es' if hidden != 1 else ''} can be enabled with the "
                         "`--unsafe-fixes` option.")
        console.print(Text(" ".join(parts), style="green"))


def render_concise(report: Report, out: TextIO, color: bool | None) -> None:
    console = _console(out, color)
    for f in report.findings:
        line = Text()
        line.append(_location(f), style="bold")
        line.append(": ")
        line.append(f.rule_id, style=_SEVERITY_STYLE.get(f.severity, ""))
        line.append(f" [{f.rule_name}] {escape(f.message)}")
        console.print(line)
    n = len(report.findings)
    if n and not report.quiet:
        console.print(f"Found {n} finding{'s' if n != 1 else ''}.")


def render_statistics(report: Report, out: TextIO, color: bool | None) -> None:
    console = _console(out, color)
    counts = Counter(f.rule_id for f in report.findings)
    fixable = Counter(f.rule_id for f in report.findings if f.fix is not None)
    names = {f.rule_id: f.rule_name for f in report.findings}
    if not counts:
        return
    width = max(len(str(c)) for c in counts.values())
    for rule_id, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        mark = "[*]" if fixable.get(rule_id) else "   "
        console.print(f"{count:>{width}}\t{rule_id}\t{mark} {names[rule_id]}")
