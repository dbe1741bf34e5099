"""`--output-format sarif`: SARIF 2.1.0 for GitHub code scanning, built with sarif-om.

Choices, following GitHub's ingestion rules:
- one run; every enabled rule is listed with short/full description, help text and
  markdown, CWE tags, precision, and `security-severity` (security rules) or
  `problem.severity` (the others);
- URIs are relative to the repository root (git top-level), no uriBaseId, percent-encoded from
  the name's bytes (a byte that is not UTF-8 is `%FF`, as RFC 3986 says);
- message texts are display text: control characters (but line breaks), bidi controls and
  bytes that are not UTF-8 are shown escaped (`escape`), so the log is valid, printable Unicode;
- regions count columns in UTF-16 code units (`columnKind: utf16CodeUnits`);
- our fingerprint (content and project-relative path, stable when lines move) goes in
  `partialFingerprints["mcp-lint/v1"]`, leaving `primaryLocationLineHash` to the upload action;
- `automationDetails.id` is the category (`--sarif-category`, default `mcp-lint`) plus `/`;
- tool-input traces become `codeFlows`, fixes become `fixes`.

sarif-om classes have no serialiser; `_to_json` walks the attrs fields, emitting the SARIF
property names and dropping defaults (sarif-om's -1 and None defaults must never appear),
except for fields whose default equals a meaningful value (a result's level).
"""

from __future__ import annotations

import os
import re
import urllib.parse
from pathlib import Path
from typing import Any, TextIO

import attr
import sarif_om as so

from mcp_lint.model.findings import Confidence, Finding, Severity, Span
from mcp_lint.source.lines import source_lines, utf16_column
from mcp_lint.output.docs import rule_markdown
from mcp_lint.model.rules import Rule
from mcp_lint.model.text import dumps_json, escape
from mcp_lint.output.reporters.report import Report, project_path

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/mcp-lint/mcp-lint"
FINGERPRINT_KEY = "mcp-lint/v1"
DOCS_URI = "https://github.com/mcp-lint/mcp-lint/blob/main/docs/rules/{id}.md"

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_PRECISION = {Confidence.HIGH: "high", Confidence.MEDIUM: "medium", Confidence.LOW: "low"}
_SECURITY_SEVERITY = {Severity.ERROR: "8.0", Severity.WARNING: "5.5", Severity.INFO: "3.0"}
_PROBLEM_SEVERITY = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "recommendation"}
_KEEP_DEFAULTS = {(so.Result, "level"), (so.ReportingConfiguration, "level"), (so.SarifLog, "schema_uri"),
                  (so.Run, "column_kind")}


def _to_json(obj: Any) -> Any:
    if attr.has(type(obj)):
        out = {}
        for field in attr.fields(type(obj)):
            value = getattr(obj, field.name)
            default = field.default
            if value is None:
                continue
            if default is not attr.NOTHING and value == default and (type(obj), field.name) not in _KEEP_DEFAULTS:
                continue
            out[field.metadata.get("schema_property_name", field.name)] = _to_json(value)
        return out
    if isinstance(obj, (list, tuple)):
        return [_to_json(v) for v in obj]
    if isinstance(obj, dict):
        return {k: _to_json(v) for k, v in obj.items()}
    return obj


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    end = text.find(". ")
    return text if end < 0 else text[: end + 1]


def _clip(text: str, limit: int = 1024) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _tags(rule: Rule) -> list[str]:
    """CWE tags in CodeQL's spelling (`external/cwe/cwe-089`), `security` on security rules,
    `mcp` on all; at most 20 (GitHub keeps 10)."""
    tags = {"mcp"}
    if _is_security(rule):
        tags.add("security")
    for t in rule.tags:
        m = re.fullmatch(r"cwe-0*(\d+)", t.lower())
        tags.add(f"external/cwe/cwe-{int(m.group(1)):03d}" if m else t)
    first = ("security", "mcp")
    ordered = sorted(tags, key=lambda t: (first.index(t) if t in first else 2, not t.startswith("external/"), t))
    return ordered[:20]


def _is_security(rule: Rule) -> bool:
    return "security" in rule.tags or rule.security_severity is not None


def _security_severity(rule: Rule, severity: Severity) -> str:
    """GitHub's score, a numeric string in (0, 10]: the pack's `security-severity`, else (or
    when the configuration changed the rule's severity) one derived from the severity
    (error: high, warning: medium, info: low)."""
    if rule.security_severity is not None and severity == rule.severity:
        return f"{rule.security_severity:.1f}"
    return _SECURITY_SEVERITY[severity]


def _descriptor(rule: Rule, severity: Severity) -> so.ReportingDescriptor:
    props: dict[str, Any] = {"tags": _tags(rule), "precision": _PRECISION[rule.confidence]}
    if _is_security(rule):
        props["security-severity"] = _security_severity(rule, severity)
    else:
        props["problem.severity"] = _PROBLEM_SEVERITY[severity]
    return so.ReportingDescriptor(
        id=rule.id,
        name=rule.name,
        short_description=so.MultiformatMessageString(text=_clip(_first_sentence(rule.docs.what), 1024)),
        full_description=so.MultiformatMessageString(text=_clip(rule.docs.what + " " + rule.docs.why)),
        help=so.MultiformatMessageString(text=_clip(rule.docs.why + " " + rule.docs.use_instead, 4000),
                                         markdown=rule_markdown(rule)),
        help_uri=DOCS_URI.format(id=rule.id),
        default_configuration=so.ReportingConfiguration(level=_LEVEL[severity]),
        properties=props,
    )


class _Uris:
    def __init__(self, root: Path | None, cwd: Path) -> None:
        self.root = (root or cwd).resolve()
        self.cwd = cwd
        self.lines: dict[str, list[str]] = {}

    def uri(self, path: str) -> str:
        rel = project_path(self.root, self.cwd, path)
        if rel is None:  # outside the repository: an absolute file URI
            return (self.cwd / path).resolve().as_uri()  # quotes the name's bytes
        return urllib.parse.quote(os.fsencode(rel), safe="/")

    def line(self, path: str, n: int) -> str:
        if path not in self.lines:
            self.lines[path] = source_lines(str(self.cwd / path))
        lines = self.lines[path]
        return lines[n - 1] if 0 < n <= len(lines) else ""


def _region(uris: _Uris, path: str, span: Span) -> so.Region:
    start = utf16_column(uris.line(path, span.start_line), span.start_col)
    end = utf16_column(uris.line(path, span.end_line), span.end_col)
    if span.end_line == span.start_line and end <= start:
        end = start + 1
    return so.Region(start_line=span.start_line, start_column=start, end_line=span.end_line, end_column=end)


def _location(uris: _Uris, path: str, span: Span, message: str | None = None) -> so.Location:
    loc = so.Location(physical_location=so.PhysicalLocation(
        artifact_location=so.ArtifactLocation(uri=uris.uri(path)), region=_region(uris, path, span)))
    if message:
        loc.message = so.Message(text=escape(message, newlines=True))
    return loc


def _result(f: Finding, index: int, uris: _Uris, report: Report) -> so.Result:
    result = so.Result(
        rule_id=f.rule_id, rule_index=index, level=_LEVEL[f.severity], message=so.Message(text=escape(f.message, newlines=True)),
        locations=[_location(uris, f.path, f.span)],
        partial_fingerprints={FINGERPRINT_KEY: report.fingerprint(f)},
    )
    if f.trace:
        steps = [so.ThreadFlowLocation(location=_location(uris, s.file(f.path), s.span, s.message), nesting_level=0)
                 for s in f.trace[:1000]]
        result.code_flows = [so.CodeFlow(message=so.Message(text=escape(f.message, newlines=True)),
                                         thread_flows=[so.ThreadFlow(locations=steps)])]
    if f.fix is not None and f.fix.edits:
        kind = "" if f.fix.applicability.value == "safe" else " (unsafe: behaviour may change)"
        result.fixes = [so.Fix(
            description=so.Message(text=escape(f.fix.description + kind, newlines=True)),
            artifact_changes=[so.ArtifactChange(
                artifact_location=so.ArtifactLocation(uri=uris.uri(f.path)),
                replacements=[_replacement(uris, f.path, e) for e in
                              sorted(f.fix.edits, key=lambda e: (e.span.start_offset, e.span.end_offset))])])]
    return result


def _replacement(uris: _Uris, path: str, edit) -> so.Replacement:
    """One edit: the region it replaces (empty for an insertion: start and end columns equal,
    in UTF-16 code units like every region) and the text it puts there (none for a deletion)."""
    span = edit.span
    region = so.Region(start_line=span.start_line,
                       start_column=utf16_column(uris.line(path, span.start_line), span.start_col),
                       end_line=span.end_line, end_column=utf16_column(uris.line(path, span.end_line), span.end_col))
    content = so.ArtifactContent(text=edit.content) if edit.content else None
    return so.Replacement(deleted_region=region, inserted_content=content)


def automation_id(category: str | None) -> str:
    """`category/`: GitHub reads everything before the last `/` as the category."""
    category = (category or "mcp-lint").strip()
    return category if category.endswith("/") else category + "/"


def build_sarif(report: Report) -> dict[str, Any]:
    uris = _Uris(report.sarif_root, report.cwd)
    rules = {r.id: r for r in report.enabled}
    for f in report.findings:  # a rule that fired is always described, enabled or not
        if f.rule_id not in rules and f.rule_id in report.rules:
            rules[f.rule_id] = report.rules[f.rule_id]
    ordered = sorted(rules.values(), key=lambda r: r.id)
    index = {r.id: i for i, r in enumerate(ordered)}
    severity = {**report.severity, **{f.rule_id: f.severity for f in report.findings}}
    descriptors = [_descriptor(r, severity.get(r.id, r.severity)) for r in ordered]
    notifications = [so.Notification(level="error", message=so.Message(text=escape(f"{e.path}: {e.message}", newlines=True)))
                     for e in report.errors]
    run = so.Run(
        tool=so.Tool(driver=so.ToolComponent(name="mcp-lint", semantic_version=report.version,
                                             information_uri=INFORMATION_URI, rules=descriptors)),
        results=[_result(f, index[f.rule_id], uris, report) for f in report.findings],
        column_kind="utf16CodeUnits",
        automation_details=so.RunAutomationDetails(id=automation_id(report.sarif_category)),
        invocations=[so.Invocation(execution_successful=report.execution_successful,
                                   tool_execution_notifications=notifications or None)],
    )
    log = so.SarifLog(version="2.1.0", schema_uri=SCHEMA_URI, runs=[run])
    doc = _to_json(log)
    doc["runs"][0].setdefault("results", [])  # GitHub needs `results: []` to close old alerts
    return doc


def render_sarif(report: Report, out: TextIO) -> None:
    out.write(dumps_json(build_sarif(report)))
    out.write("\n")
