"""The project stage: rules about a project as a whole, run once after every file is linted.

Some rules judge a file other than Python source, from what the code of a whole project
does: MCP601 reads the `pyproject.toml` / `requirements*.txt` that governs the linted
server and reports at a dependency line. Their primitives (`ProjectPrimitive`) gather
per-file facts in the workers like any rule (`FileResult.facts`, plain data); this stage
groups the files by the manifests that govern them (`manifests.ManifestIndex`: nearest
project root up the tree, each manifest parsed once), asks each project primitive for
issues, and turns every issue into an ordinary `Finding` located in the manifest: its path,
the requirement's span, a fingerprint of the manifest line, the rule's severity. Comments in
the manifest suppress as in Python (`# noqa: MCP601` on the dependency line, an own-line
`# mcp-lint: ignore[...]` above it, `# mcp-lint: file-ignore[...]`); per-file-ignores apply
to the manifest's path when the runner collects the results. The engine knows nothing of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from mcp_lint.source import suppressions
from mcp_lint.check.factory import MANIFEST_SCOPE, FindingFactory, render_message
from mcp_lint.source.discovery import display
from mcp_lint.model.findings import FileError, FileResult, Finding, Severity
from mcp_lint.source.manifests import ManifestIndex
from mcp_lint.source.lines import LineTable
from mcp_lint.check.primitives import PRIMITIVES
from mcp_lint.check.primitives.base import ProjectPrimitive
from mcp_lint.check.project_api import Project, ProjectIssue, SourceFacts
from mcp_lint.model.rules import Rule


def project_rules(rules: Iterable[Rule]) -> list[tuple[Rule, ProjectPrimitive]]:
    out = []
    for rule in rules:
        cls = PRIMITIVES.get(rule.primitive)
        if cls is not None and issubclass(cls, ProjectPrimitive):
            out.append((rule, cls(rule)))
    return out


def check_projects(rules: Iterable[Rule], facts: Mapping[str, Mapping[str, Any]],
                   severity: Mapping[str, Severity] | None = None, known_codes: Iterable[str] = (),
                   cwd: Path | None = None) -> list[tuple[Path, FileResult]]:
    """Run the project rules over the facts of a run (linted path -> rule id -> facts).

    Returns (manifest path, result) per manifest with findings or errors, ready for the
    runner to collect like the result of a linted file.
    """
    selected = project_rules(rules)
    if not selected or not facts:
        return []
    severity = severity or {}
    cwd = cwd or Path.cwd()
    index = ManifestIndex()
    prefixes = suppressions.code_prefixes(set(known_codes) | {r.id for r, _ in selected})
    issues: dict[Path, list[tuple[Rule, ProjectIssue]]] = {}
    errors: dict[Path, list[FileError]] = {}
    for rule, prim in selected:
        projects: dict[tuple[Path, ...], Project] = {}
        for raw_path, by_rule in sorted(facts.items()):
            if rule.id not in by_rule:
                continue
            path = Path(raw_path)
            manifests = index.governing(path)
            if not manifests:
                continue
            key = tuple(m.path for m in manifests)
            project = projects.setdefault(key, Project(manifests))
            project.files.append(SourceFacts(path, display(path, cwd), by_rule[rule.id]))
        for project in projects.values():
            try:
                found = list(prim.check_project(project))
            except Exception as exc:  # noqa: BLE001 - a failing rule must not stop the run
                where = project.manifests[0].path
                errors.setdefault(where, []).append(FileError(
                    display(where, cwd), f"internal error in rule {rule.id} ({rule.name}): "
                                         f"{type(exc).__name__}: {exc}", rule_id=rule.id))
                continue
            for issue in found:
                issues.setdefault(issue.manifest.path, []).append((rule, issue))
    for path, (line, problem) in index.problems.items():  # a manifest that could not be read
        where = f" (line {line})" if line else ""
        errors.setdefault(path, []).append(FileError(display(path, cwd), f"not read for project rules: {problem}{where}",
                                                     line=line))
    out = []
    for path in sorted(set(issues) | set(errors)):
        shown = display(path, cwd)
        result = FileResult(shown, errors=errors.get(path, []))
        found_here = issues.get(path, [])
        if found_here:
            result.findings = _materialise(found_here, shown, severity, prefixes)
        out.append((path, result))
    return out


def _materialise(found: list[tuple[Rule, ProjectIssue]], shown: str, severity: Mapping[str, Severity],
                 prefixes: frozenset[str]) -> list[Finding]:
    manifest = found[0][1].manifest
    lines = LineTable(manifest.text)
    factory = FindingFactory(shown, severity)
    findings = []
    for rule, issue in sorted(found, key=lambda ri: (ri[1].span.start_offset, ri[0].id)):
        finding = factory.make(rule, issue.span, render_message(rule, issue.fields),
                               anchor=lines.line_text(issue.span.start_line), scope=MANIFEST_SCOPE)
        if finding is not None:
            findings.append(finding)
    comments = [(c.line, c.col, c.text, c.own_line) for c in manifest.comments]
    sups = suppressions.find(manifest.text, prefixes, comments=comments)
    if sups:
        sup = suppressions.Suppressor(sups)
        findings = [f for f in findings if not sup.suppressed(f)]
    findings.sort(key=Finding.sort_key)
    return findings
