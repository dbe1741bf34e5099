"""Rules and packs as validated, immutable data (what `packs/` builds from YAML)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from mcp_lint.model.findings import Applicability, Confidence, Severity

RULE_ID = r"[A-Z][A-Z0-9]*[0-9]{3}"
RULE_NAME = r"[a-z][a-z0-9]*(-[a-z0-9]+)*"


@dataclass(frozen=True)
class Example:
    code: str
    lines: tuple[int, ...] = ()  # where an invalid example must fire (empty for valid ones)
    filename: str = "example.py"
    note: str = ""
    source_line: int = 0  # line of the example in the pack, for test failure messages
    # Other files of the example's project (relative path -> text), e.g. a pyproject.toml;
    # with them the example runs from a temporary directory, project rules included.
    files: Mapping[str, str] = field(default_factory=dict)
    lines_in: str = ""  # the file `lines` refer to (default: the Python snippet)
    fixed: str | None = None  # an INVALID example's code once its fixes are applied (None: not checked)


@dataclass(frozen=True)
class Docs:
    what: str
    why: str
    use_instead: str = ""
    references: tuple[str, ...] = ()
    fix_safety: str = ""  # why the rule's fix is safe or unsafe


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    pack: str
    message: str
    severity: Severity
    confidence: Confidence
    tags: tuple[str, ...]
    docs: Docs
    primitive: str
    params: Mapping[str, Any]
    invalid: tuple[Example, ...]
    valid: tuple[Example, ...]
    fix: Applicability | None = None
    enabled: bool = True  # on by default (unless deselected)
    source: str = ""  # pack file
    source_line: int = 0
    security_severity: float | None = None  # GitHub's 0-10 score; None: derived from severity
    # Run options that shape the rule's fixes (`fix-timeout`), from the configuration.
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def cwes(self) -> tuple[str, ...]:
        return tuple(t for t in self.tags if t.lower().startswith("cwe-"))


@dataclass(frozen=True)
class Pack:
    name: str
    description: str
    path: str
    rules: tuple[Rule, ...] = field(default=())
