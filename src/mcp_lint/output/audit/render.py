"""The scorecard on a terminal (a rich table), in Markdown (a pull-request comment,
`$GITHUB_STEP_SUMMARY`) and as JSON (described by `audit.schema.json`).

JSON versioning: `schema_version` is "MAJOR.MINOR"; new optional fields bump MINOR, renaming
or removing a field or changing its meaning bumps MAJOR.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from mcp_lint.output.audit.items import AREAS
from mcp_lint.output.audit.model import SCORE_FORMULA, STATUSES, Scorecard

SCHEMA_VERSION = "1.0"
_MARK = {"pass": "✅", "partial": "🟡", "fail": "❌", "not-applicable": "➖", "manual": "👀"}
_STYLE = {"pass": "green", "partial": "yellow", "fail": "red", "not-applicable": "dim", "manual": "cyan"}


def _score(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:g}"


def summary_line(card: Scorecard) -> str:
    counts = card.counts()
    shown = ", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s])
    return f"score {_score(card.score)}/100 ({shown})"


def to_dict(card: Scorecard, version: str) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "mcp-lint", "version": version},
        "project": {"root": card.root, "files_examined": card.files_examined, "servers": card.servers,
                    "tools": card.tools, "transports": sorted(card.transports)},
        "score": {"value": card.score, "formula": SCORE_FORMULA,
                  "by_area": {area: score for area, score in card.area_scores().items()}},
        "summary": card.counts(),
        "items": [{
            "id": item.id, "area": item.area, "title": item.title, "status": item.status,
            "verdict": item.verdict, "confidence": item.confidence, "reason": item.reason,
            "evidence": [{"path": e.path, "line": e.line or None, "note": e.note} for e in item.evidence],
        } for item in card.items],
        "errors": [{"path": path, "message": message} for path, message in card.errors],
    }


def render_json(card: Scorecard, out: TextIO, version: str) -> None:
    json.dump(to_dict(card, version), out, indent=2, ensure_ascii=False)
    out.write("\n")


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def render_markdown(card: Scorecard, out: TextIO) -> None:
    counts = card.counts()
    tally = " · ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s])
    areas = card.area_scores()
    out.write(f"## mcp-lint audit: `{_cell(card.title)}`\n\n")
    out.write(f"**Score: {_score(card.score)}/100** · {tally}\n\n")
    out.write(" · ".join(f"{area} {_score(areas.get(area))}" for area in AREAS if area in areas) + "\n\n")
    out.write("| Area | Item | Status | Confidence | Verdict | Evidence |\n|---|---|---|---|---|---|\n")
    for item in card.items:
        evidence = "<br>".join(f"`{_cell(e.path)}{':' + str(e.line) if e.line else ''}` {_cell(e.note)}".strip()
                               for e in item.evidence[:4])
        if len(item.evidence) > 4:
            evidence += f"<br>+{len(item.evidence) - 4} more"
        out.write(f"| {item.area} | {_cell(item.title)} | {_MARK[item.status]} {item.status} | {item.confidence} | "
                  f"{_cell(item.verdict)} | {evidence} |\n")
    out.write(f"\n<sub>{SCORE_FORMULA}. `mcp-lint audit --explain ITEM` says how an item is judged. "
              f"{card.files_examined} Python files examined.</sub>\n")
    for path, message in card.errors:
        out.write(f"\n> warning: `{_cell(path)}`: {_cell(message)}\n")


def render_table(card: Scorecard, out: TextIO | None = None, color: bool | None = None) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(file=out, force_terminal=color, no_color=color is False, highlight=False, emoji=False,
                      markup=False)
    if not console.is_terminal:
        console.width = 160  # piped: wide enough for the verdicts, still a table
    table = Table(title=f"mcp-lint audit: {card.title}", title_justify="left", show_lines=False, header_style="bold",
                  expand=False)
    for name, kwargs in (("area", {"no_wrap": True}), ("item", {"no_wrap": True}), ("status", {"no_wrap": True}),
                         ("conf.", {"no_wrap": True}), ("verdict", {"ratio": 3}), ("evidence", {"ratio": 2})):
        table.add_column(name, **kwargs)
    last_area = None
    for item in card.items:
        area = item.area if item.area != last_area else ""
        last_area = item.area
        evidence = "\n".join(e.shown() for e in item.evidence[:3])
        if len(item.evidence) > 3:
            evidence += f"\n+{len(item.evidence) - 3} more"
        table.add_row(area, item.title, Text(item.status, style=_STYLE[item.status]), item.confidence,
                      Text(item.verdict), Text(evidence, style="dim"))
    console.print(table)
    console.print(Text(summary_line(card), style="bold"))
    console.print(Text(SCORE_FORMULA + ". `mcp-lint audit --explain ITEM` says how an item is judged.", style="dim"))
    for path, message in card.errors:
        console.print(Text(f"warning: {path}: {message}", style="yellow"))
