"""`--output-format github`: GitHub Actions workflow commands, one annotation per finding.

    ::error file=src/server.py,line=14,col=20,endLine=14,endColumn=45,title=MCP101 (sql-string-formatting)::message

`file` is relative to the repository root (GitHub matches annotations to files of the checkout),
even when mcp-lint runs in a subdirectory. Every value first goes through
`escape`, like any text mcp-lint prints, so a file name or message holding a newline, an ANSI
escape or a byte that is not UTF-8 can neither start a workflow command nor reach the log raw;
then the workflow-command rules apply: `%` encoded everywhere, `:` and `,` in properties, and
a message's own line breaks as `%0A` (one annotation over several lines, never a new command).
"""

from __future__ import annotations

from typing import TextIO

from mcp_lint.model.findings import Severity
from mcp_lint.model.text import escape
from mcp_lint.output.reporters.report import Report

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _data(text: str) -> str:
    """A message: line breaks stay line breaks of the annotation (`%0A`)."""
    return escape(text, newlines=True).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    """A property (the file, the title): nothing but visible text."""
    return escape(text).replace("%", "%25").replace(":", "%3A").replace(",", "%2C")


def render_github(report: Report, out: TextIO) -> None:
    for f in report.findings:
        props = [
            f"file={_prop(report.project_path(f.path) or f.path)}",
            f"line={f.span.start_line}",
            f"col={f.span.start_col}",
            f"endLine={f.span.end_line}",
            f"endColumn={f.span.end_col}",
            f"title={_prop(f'{f.rule_id} ({f.rule_name})')}",
        ]
        out.write(f"::{_COMMAND[f.severity]} {','.join(props)}::{_data(f.message)}\n")
