"""Filters applied once to a run's findings, fresh and cached alike: per-file-ignores."""

from __future__ import annotations

from pathlib import Path

from mcp_lint.model.findings import Finding
from mcp_lint.model.settings import Settings
from mcp_lint.source.globs import GlobSpec


class PerFileIgnores:
    """`per-file-ignores`: glob (relative to the config directory) -> rule selectors."""

    def __init__(self, settings: Settings) -> None:
        self.root = settings.root
        self.entries = [(GlobSpec.from_lines([pattern]), codes)
                        for pattern, codes in settings.per_file_ignores]

    def filter(self, path: Path, findings: list[Finding]) -> list[Finding]:
        if not self.entries or not findings:
            return findings
        try:
            rel = path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            rel = path.as_posix()
        codes = [c for spec, cs in self.entries if spec.match_file(rel) for c in cs]
        if not codes:
            return findings
        return [f for f in findings if not any(_matches(c, f) for c in codes)]


def _matches(code: str, finding: Finding) -> bool:
    return code in ("ALL", finding.rule_id, finding.rule_name) or (
        code.upper().startswith("MCP") and finding.rule_id.startswith(code.upper()))


def confident_enough(findings: list[Finding], minimum: str | None) -> list[Finding]:
    """`min-confidence`: drop findings reached with less confidence than `minimum`."""
    if minimum is None:
        return findings
    from mcp_lint.model.findings import Confidence

    floor = Confidence(minimum).rank
    return [f for f in findings if f.confidence.rank >= floor]
