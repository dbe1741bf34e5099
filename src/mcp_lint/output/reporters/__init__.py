"""Reporters turn a finished run into text: full, concise, json, sarif, github."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, TextIO

from mcp_lint.model.findings import FileError, Finding, Severity, located_fingerprint
from mcp_lint.model.rules import Rule


@dataclass
class Report:
    findings: list[Finding]
    files: list[str]
    rules: dict[str, Rule]  # every known rule, by id
    enabled: list[Rule]
    errors: list[FileError] = field(default_factory=list)
    version: str = ""
    sarif_root: Path | None = None  # the repo root: SARIF URIs, annotations, fingerprints are relative to it
    cwd: Path = field(default_factory=Path.cwd)
    fixable_hint: bool = True
    sarif_category: str | None = None  # SARIF automationDetails.id (the code-scanning category)
    severity: dict[str, Severity] = field(default_factory=dict)  # the configuration's severity overrides

    def project_path(self, path: str) -> str | None:
        """`path` (as shown, relative to cwd) relative to the project root, with forward
        slashes; None when it lies outside the root."""
        return project_path(self.sarif_root or self.cwd, self.cwd, path)

    def fingerprint(self, finding: Finding) -> str:
        rel = self.project_path(finding.path)
        return located_fingerprint(finding.fingerprint, rel if rel is not None else Path(finding.path).as_posix())


def project_path(root: Path, cwd: Path, path: str) -> str | None:
    import os
    absolute = Path(os.path.realpath(cwd / path))
    try:
        return absolute.relative_to(Path(os.path.realpath(root))).as_posix()
    except ValueError:
        return None


def render(fmt: str, report: Report, out: TextIO, color: bool | None = None, statistics: bool = False) -> None:
    if statistics:
        from mcp_lint.output.reporters.text import render_statistics
        render_statistics(report, out, color)
        return
    renderers: dict[str, Callable] = {}
    if fmt in ("full", "concise"):
        from mcp_lint.output.reporters.text import render_concise, render_full
        renderers = {"full": render_full, "concise": render_concise}
        renderers[fmt](report, out, color)
        return
    if fmt == "json":
        from mcp_lint.output.reporters.json import render_json
        render_json(report, out)
    elif fmt == "sarif":
        from mcp_lint.output.reporters.sarif import render_sarif
        render_sarif(report, out)
    elif fmt == "github":
        from mcp_lint.output.reporters.github import render_github
        render_github(report, out)
    else:  # pragma: no cover - the CLI validates the choice
        raise ValueError(f"unknown output format {fmt}")
