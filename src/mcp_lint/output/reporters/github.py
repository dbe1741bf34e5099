"""`--output-format github`: GitHub Actions workflow commands, one annotation per finding.

    ::error file=src/server.py,line=14,col=20,endLine=14,endColumn=45,title=MCP101 (sql-string-formatting)::message

`file` is relative to the repository root (GitHub matches annotations to files of the checkout),
even when mcp-lint runs in a subdirectory. Values are escaped per the workflow-command rules:
`%`, CR and LF everywhere, and `:` and `,` in properties.
"""

from __future__ import annotations

from typing import TextIO

from mcp_lint.model.findings import Severity
from mcp_lint.output.reporters.report import Report

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


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
