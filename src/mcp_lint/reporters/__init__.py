"""Reporters turn a finished run into text: full, concise, json, sarif, github."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, TextIO

from ..findings import FileError, Finding
from ..rulepack import Rule


@dataclass
class Report:
    findings: list[Finding]
    files: list[str]
    rules: dict[str, Rule]  # every known rule, by id
    enabled: list[Rule]
    errors: list[FileError] = field(default_factory=list)
    version: str = ""
    sarif_root: Path | None = None  # paths in SARIF are made relative to this (the repo root)
    cwd: Path = field(default_factory=Path.cwd)
    fixable_hint: bool = True


def render(fmt: str, report: Report, out: TextIO, color: bool | None = None, statistics: bool = False) -> None:
    if statistics:
        from .text import render_statistics
        render_statistics(report, out, color)
        return
    renderers: dict[str, Callable] = {}
    if fmt in ("full", "concise"):
        from .text import render_concise, render_full
        renderers = {"full": render_full, "concise": render_concise}
        renderers[fmt](report, out, color)
        return
    if fmt == "json":
        from .json import render_json
        render_json(report, out)
    elif fmt == "sarif":
        from .sarif import render_sarif
        render_sarif(report, out)
    elif fmt == "github":
        from .github import render_github
        render_github(report, out)
    else:  # pragma: no cover - the CLI validates the choice
        raise ValueError(f"unknown output format {fmt}")
