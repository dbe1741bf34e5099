"""Findings: the plain data every stage after the engine works with.

Nothing here refers to a CST node, so findings pickle across worker processes and can be
cached, sorted, filtered and rendered without the tree they came from.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import Enum


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]


class Confidence(str, Enum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        return {"high": 3, "medium": 2, "low": 1}[self.value]


class Applicability(str, Enum):
    SAFE = "safe"  # behaviour is kept: applied by --fix
    UNSAFE = "unsafe"  # behaviour may change: applied only with --unsafe-fixes


@dataclass(frozen=True, slots=True)
class Span:
    """A source range. Lines are 1-based; columns are 1-based code points, end exclusive."""

    start_line: int
    start_col: int
    end_line: int
    end_col: int
    # Character offsets into the decoded source, used to apply fixes.
    start_offset: int = 0
    end_offset: int = 0


@dataclass(frozen=True, slots=True)
class Edit:
    span: Span
    content: str


@dataclass(frozen=True, slots=True)
class Fix:
    description: str
    edits: tuple[Edit, ...]
    applicability: Applicability = Applicability.SAFE


@dataclass(frozen=True, slots=True)
class TraceStep:
    """One hop of a tool-input flow: the source, each propagation, the sink. `path` is the file
    of a step in another module than the finding's (a flow across modules); empty: the finding's."""

    span: Span
    message: str
    path: str = ""

    def file(self, finding_path: str) -> str:
        return self.path or finding_path


@dataclass(frozen=True, slots=True)
class Finding:
    rule_id: str
    rule_name: str
    severity: Severity
    confidence: Confidence
    path: str
    span: Span
    message: str
    trace: tuple[TraceStep, ...] = ()
    fix: Fix | None = None
    # First line of the statement holding the finding: suppressions may sit above it.
    statement_line: int = 0
    # Content fingerprint (see `fingerprint`): computed by the engine while the source is at
    # hand; reporters and baselines combine it with the project-relative path.
    fingerprint: str = ""

    def sort_key(self) -> tuple:
        return (self.path, self.span.start_line, self.span.start_col, self.rule_id, self.message)


@dataclass(frozen=True, slots=True)
class FileError:
    """A problem that is not a finding: an internal error in a rule, an unreadable path."""

    path: str
    message: str
    rule_id: str | None = None  # an internal error in this rule (or "analysis")
    line: int | None = None
    fatal: bool = False  # the run cannot be trusted (a path that does not exist): exit 2


@dataclass(slots=True)
class FileResult:
    path: str
    findings: list[Finding] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    # rule id -> plain, picklable data a project rule gathered from this file (e.g. which SDK
    # APIs it uses), combined across files by the project stage (project_stage.py).
    facts: dict[str, object] = field(default_factory=dict)
    # The outcome depends on the run, not only on the file (a crash, a time budget spent): do not cache it.
    transient: bool = False


def fingerprint(rule_id: str, scope: str, source: str, occurrence: int) -> str:
    """A content fingerprint that survives lines moving: the rule, the enclosing function's
    qualified name (`<module>` outside functions), the flagged node's source with all
    whitespace removed, and its rank among identical (rule, scope, source) findings of the file.
    It says nothing about the file: `located_fingerprint` adds the path."""
    norm = "".join(source.split())
    digest = hashlib.sha256(f"{rule_id}\0{scope}\0{norm}\0{occurrence}".encode()).hexdigest()
    return digest[:16]


def located_fingerprint(content: str, path: str) -> str:
    """A finding's fingerprint within a project: its content fingerprint and its path relative
    to the project root (forward slashes), so the same code in two files differs."""
    return hashlib.sha256(f"{path}\0{content}".encode()).hexdigest()[:16]
