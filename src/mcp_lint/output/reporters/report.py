"""The finished run a reporter renders: findings, files, rules, and where paths are relative to."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from mcp_lint.model.findings import FileError, Finding, Severity, located_fingerprint
from mcp_lint.model.rules import Rule
from mcp_lint.model.text import display_bytes


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
    quiet: bool = False  # findings only: no summary lines
    _real_root: tuple[Path, Path] | None = field(default=None, repr=False, compare=False)

    @property
    def execution_successful(self) -> bool:
        """False when the run cannot be trusted: an internal error, a path that does not exist."""
        return not any(e.rule_id or e.fatal for e in self.errors)

    def project_path(self, path: str) -> str | None:
        """`path` (as shown, relative to cwd) relative to the project root, with forward
        slashes; None when it lies outside the root."""
        root = self.sarif_root or self.cwd
        if self._real_root is None or self._real_root[0] != root:  # resolved once per report
            self._real_root = (root, Path(os.path.realpath(root)))
        return project_path(root, self.cwd, path, self._real_root[1])

    def fingerprint(self, finding: Finding) -> str:
        rel = self.project_path(finding.path)
        shown = rel if rel is not None else Path(finding.path).as_posix()
        return located_fingerprint(finding.fingerprint, display_bytes(shown))  # a non-UTF-8 name hashes too


def project_path(root: Path, cwd: Path, path: str, real_root: Path | None = None) -> str | None:
    absolute = Path(os.path.realpath(cwd / path))
    try:
        return absolute.relative_to(real_root or Path(os.path.realpath(root))).as_posix()
    except ValueError:
        return None
