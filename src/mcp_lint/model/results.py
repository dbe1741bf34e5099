"""The outcome of linting a set of files, as plain data."""

from __future__ import annotations

from dataclasses import dataclass, field

from mcp_lint.model.findings import FileError, Finding


@dataclass
class RunResult:
    files: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    facts: dict[str, dict[str, object]] = field(default_factory=dict)  # path -> rule id -> facts
    warnings: list[str] = field(default_factory=list)  # how the run went, for the user (not findings)

    def extend(self, other: RunResult) -> None:
        self.files.extend(other.files)
        self.findings.extend(other.findings)
        self.errors.extend(other.errors)
        self.facts.update(other.facts)
        self.warnings.extend(other.warnings)

    def sort(self) -> None:
        self.findings.sort(key=Finding.sort_key)
        self.errors.sort(key=lambda e: (e.path, e.line or 0, e.message))
