"""Reporters turn a finished run into text: full, concise, json, sarif, github."""

from __future__ import annotations

from typing import Callable, TextIO

from mcp_lint.output.reporters.report import Report, project_path

__all__ = ["Report", "project_path", "render"]


def render(fmt: str, report: Report, out: TextIO, color: bool | None = None, statistics: bool = False) -> None:
    if statistics:
        if fmt == "json":
            from mcp_lint.output.reporters.json import render_statistics_json
            render_statistics_json(report, out)
            return
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
