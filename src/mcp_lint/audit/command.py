"""`mcp-lint audit [PATH]`: run the check with the audit's facts, read the repository, judge
every checklist item, print the scorecard.

Exit codes: 0, or 1 when `--fail-under N` is given and the score is below N (a project with
no countable item scores 0), 2 on a usage, configuration or rule-pack error.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

OK, BELOW, USAGE = 0, 1, 2
FORMATS = ("table", "markdown", "json")


@dataclass
class AuditOptions:
    path: Path
    output_format: str = "table"
    output_file: Path | None = None
    fail_under: int | None = None
    config: Path | None = None
    no_cache: bool = False
    cache_dir: Path | None = None
    jobs: int = 0
    quiet: bool = False


def _err(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


def explain_item(name: str) -> int:
    from .items import ITEMS, explain, find_item

    item = find_item(name)
    if item is None:
        _err(f"unknown checklist item '{name}'; one of: {', '.join(i.id for i in ITEMS)}")
        return USAGE
    text = explain(item)
    try:
        terminal = sys.stdout.isatty()
    except (AttributeError, ValueError):
        terminal = False
    if terminal:
        from rich.console import Console
        from rich.markdown import Markdown
        Console().print(Markdown(text))
    else:
        sys.stdout.write(text)
    return OK


def build_scorecard(opts: AuditOptions):
    """Run the check and judge every item (raises AuditUsageError on a usage problem)."""
    from .adapter import read_dependencies, run_check
    from .evidence import Project
    from .items import judge_all
    from .model import Scorecard
    from .repo import scan_repo

    root = opts.path.resolve()
    progress = opts.output_format == "table" and not opts.quiet and opts.output_file is None
    run = run_check(root, config=opts.config, no_cache=opts.no_cache, cache_dir=opts.cache_dir, jobs=opts.jobs,
                    progress=progress)
    repo = scan_repo(root, run.exclude, read_dependencies)
    project = Project(run, repo)
    card = Scorecard(root=str(opts.path), items=judge_all(project), files_examined=len(run.files),
                     servers=sum(1 for s in project.servers if s.defined), tools=len(project.tools),
                     transports=tuple(sorted({t.kind for t in project.transports})), errors=run.errors,
                     name=root.name if str(opts.path) in (".", "./") else "")
    if repo.truncated:
        card.errors.append((str(opts.path), "more files than the audit reads; the repository scan stopped early"))
    return card


def run_audit(opts: AuditOptions) -> int:
    from .adapter import AuditUsageError, version

    if opts.output_format not in FORMATS:
        _err(f"--output-format: expected one of {', '.join(FORMATS)}, got {opts.output_format!r}")
        return USAGE
    if opts.fail_under is not None and not 0 <= opts.fail_under <= 100:
        _err(f"--fail-under: expected a score between 0 and 100, got {opts.fail_under}")
        return USAGE
    if not opts.path.exists():
        _err(f"{opts.path}: no such file or directory")
        return USAGE
    if not opts.path.is_dir():
        _err(f"{opts.path}: the audit takes a project directory (its root), not a file")
        return USAGE
    try:
        card = build_scorecard(opts)
    except AuditUsageError as exc:
        _err(str(exc))
        return USAGE
    _write(card, opts, version())
    score = card.score if card.score is not None else 0.0
    if opts.fail_under is not None and score < opts.fail_under:
        if not opts.quiet:
            print(f"mcp-lint audit: score {score:g} is below --fail-under {opts.fail_under}", file=sys.stderr)
        return BELOW
    return OK


def _write(card, opts: AuditOptions, version: str) -> None:
    from . import render

    def emit(stream: TextIO, color: bool | None) -> None:
        if opts.output_format == "json":
            render.render_json(card, stream, version)
        elif opts.output_format == "markdown":
            render.render_markdown(card, stream)
        else:
            render.render_table(card, stream, color)

    if opts.output_file is not None:
        opts.output_file.parent.mkdir(parents=True, exist_ok=True)
        with open(opts.output_file, "w", encoding="utf-8") as fh:
            emit(fh, False)
        return
    emit(sys.stdout, None)
