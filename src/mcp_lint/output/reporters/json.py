"""`--output-format json`: a stable, versioned document (schema: report.schema.json).

Versioning: `schema_version` is "MAJOR.MINOR". New optional fields bump MINOR; renaming or
removing a field, or changing its meaning, bumps MAJOR.

Strings are exact (a path is the file's name, a message what the rule said); characters that
are not printable text are JSON `\\uXXXX` escapes, and a byte of a file name that is not UTF-8
is its lone surrogate (`\\udcff` for 0xff, Python's `surrogateescape`).
"""

from __future__ import annotations

from typing import Any, TextIO

from mcp_lint.model.findings import Finding, Span
from mcp_lint.model.text import dumps_json
from mcp_lint.output.reporters.report import Report

SCHEMA_VERSION = "1.0"


def _pos(span: Span, end: bool = False) -> dict[str, int]:
    return {"line": span.end_line if end else span.start_line, "column": span.end_col if end else span.start_col}


def finding_to_dict(f: Finding, report: Report) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": f.rule_id,
        "name": f.rule_name,
        "severity": f.severity.value,
        "confidence": f.confidence.value,
        "path": f.path,
        "start": _pos(f.span),
        "end": _pos(f.span, end=True),
        "message": f.message,
        "fingerprint": report.fingerprint(f),
        "trace": [{"start": _pos(s.span), "end": _pos(s.span, end=True), "message": s.message,
                   **({"path": s.path} if s.path else {})} for s in f.trace],
        "fix": None,
    }
    if f.fix is not None:
        out["fix"] = {
            "description": f.fix.description,
            "applicability": f.fix.applicability.value,
            "edits": [{"start": _pos(e.span), "end": _pos(e.span, end=True), "content": e.content}
                      for e in f.fix.edits],
        }
    return out


def render_json(report: Report, out: TextIO) -> None:
    by_rule: dict[str, int] = {}
    for f in report.findings:
        by_rule[f.rule_id] = by_rule.get(f.rule_id, 0) + 1
    doc = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "mcp-lint", "version": report.version},
        "files_examined": len(report.files),
        "summary": {"findings": len(report.findings), "by_rule": dict(sorted(by_rule.items()))},
        "findings": [finding_to_dict(f, report) for f in report.findings],
        "errors": [{"path": e.path, "message": e.message, "rule": e.rule_id, "line": e.line, "fatal": e.fatal}
                   for e in report.errors],
    }
    out.write(dumps_json(doc))  # control characters and non-UTF-8 bytes of names as \u escapes
    out.write("\n")


def render_statistics_json(report: Report, out: TextIO) -> None:
    """`--statistics --output-format json`: one object per rule with findings, most frequent first."""
    counts: dict[str, list] = {}
    for f in report.findings:
        entry = counts.setdefault(f.rule_id, [f.rule_name, 0, 0])
        entry[1] += 1
        entry[2] += f.fix is not None
    rows = [{"code": code, "name": name, "count": count, "fixable": fixable}
            for code, (name, count, fixable) in sorted(counts.items(), key=lambda kv: (-kv[1][1], kv[0]))]
    out.write(dumps_json(rows))
    out.write("\n")
