"""The scorecard as plain data: statuses, evidence, item results and the score."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mcp_lint.model.findings import Finding

PASS = "pass"
PARTIAL = "partial"
FAIL = "fail"
NOT_APPLICABLE = "not-applicable"
MANUAL = "manual"
STATUSES = (PASS, PARTIAL, FAIL, NOT_APPLICABLE, MANUAL)

HIGH, MEDIUM, LOW = "high", "medium", "low"
CONFIDENCES = (HIGH, MEDIUM, LOW)

# What an item is worth in the score; not-applicable and manual items are not counted.
WEIGHTS = {PASS: 1.0, PARTIAL: 0.5, FAIL: 0.0}
SCORE_FORMULA = ("score = 100 x (passes + 0.5 x partials) / (passes + partials + fails); "
                 "not-applicable and manual items are left out")


@dataclass(frozen=True)
class Evidence:
    path: str  # relative to the project root, forward slashes
    line: int | None = None  # 1-based; None for a file as a whole
    note: str = ""

    def shown(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where} {self.note}".strip() if self.note else where


@dataclass
class ItemResult:
    id: str
    area: str
    title: str
    status: str
    verdict: str  # one line
    confidence: str
    evidence: list[Evidence] = field(default_factory=list)
    reason: str | None = None  # why not-applicable / manual


@dataclass
class Scorecard:
    root: str
    items: list[ItemResult]
    files_examined: int = 0
    servers: int = 0
    tools: int = 0
    transports: tuple[str, ...] = ()
    errors: list[tuple[str, str]] = field(default_factory=list)
    name: str = ""  # how titles show the project: PATH as given, or the directory's name for "."

    @property
    def title(self) -> str:
        return self.name or self.root

    @property
    def score(self) -> float | None:
        return score_of(self.items)

    def area_scores(self) -> dict[str, float | None]:
        areas: dict[str, list[ItemResult]] = {}
        for item in self.items:
            areas.setdefault(item.area, []).append(item)
        return {area: score_of(items) for area, items in areas.items()}

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in STATUSES}
        for item in self.items:
            out[item.status] += 1
        return out


def score_of(items: list[ItemResult]) -> float | None:
    counted = [WEIGHTS[i.status] for i in items if i.status in WEIGHTS]
    if not counted:
        return None
    return round(100.0 * sum(counted) / len(counted), 1)


@dataclass
class CheckRun:
    root: Path
    files: list[str] = field(default_factory=list)  # Python files examined, relative to root
    findings: list[Finding] = field(default_factory=list)  # paths relative to root
    facts: dict[str, dict[str, Any]] = field(default_factory=dict)  # relative path -> audit facts
    errors: list[tuple[str, str]] = field(default_factory=list)  # (path, message)
    enabled: frozenset[str] = frozenset()  # rule ids the configuration enables
    exclude: tuple[str, ...] = ()  # the configuration's exclude patterns (gitignore syntax)
