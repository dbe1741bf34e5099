"""What a project rule sees and returns: the rule API of the project stage.

A project primitive gathers plain per-file facts in the walk; the project stage groups the files
by the manifests that govern them and hands each primitive a `Project`; the primitive returns
`ProjectIssue`s located in a manifest, which become ordinary findings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mcp_lint.model.findings import Span
from mcp_lint.source.manifests import Manifest


@dataclass(frozen=True)
class SourceFacts:
    """What one rule gathered from one linted file."""

    path: Path
    shown: str  # the file as reports show it
    facts: Any


@dataclass
class Project:
    """A project root: its manifests and the linted files they govern (for one rule)."""

    manifests: tuple[Manifest, ...]
    files: list[SourceFacts] = field(default_factory=list)


@dataclass(frozen=True)
class ProjectIssue:
    """A problem located in a manifest: the rule's message fields and where to report."""

    manifest: Manifest
    span: Span
    fields: Mapping[str, Any]
