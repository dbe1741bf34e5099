"""`mcp-lint audit [PATH]`: run the check with the audit's facts, read the repository, judge
every checklist item, print the scorecard.

Exit codes: 0, or 1 when `--fail-under N` is given and the score is below N (a project with
no countable item scores 0), 2 on a usage, configuration or rule-pack error.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, TextIO

from mcp_lint.cli.outcome import ExitCode, note
from mcp_lint.model.errors import UsageError
from mcp_lint.output.audit.model import CheckRun

FORMATS = ("table", "markdown", "json")
FACTS_RULE_ID = "MCP000"  # the id the audit's facts travel under in FileResult.facts (never a finding)
FACTS_PRIMITIVE = "audit-facts"  # check/primitives/audit_facts.py (not imported: a warm audit needs no parser)


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


def explain_item(name: str) -> int:
    from mcp_lint.output.audit.items import ITEMS, explain, find_item

    item = find_item(name)
    if item is None:
        raise UsageError(f"unknown checklist item '{name}'; one of: {', '.join(i.id for i in ITEMS)}")
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
    return ExitCode.CLEAN


def build_scorecard(opts: AuditOptions):
    """Run the check and judge every item."""
    from mcp_lint.output.audit.evidence import Project
    from mcp_lint.output.audit.items import judge_all
    from mcp_lint.output.audit.model import Scorecard
    from mcp_lint.output.audit.repo import scan_repo

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
    from mcp_lint import __version__

    if opts.output_format not in FORMATS:
        raise UsageError(f"--output-format: expected one of {', '.join(FORMATS)}, got {opts.output_format!r}")
    if opts.fail_under is not None and not 0 <= opts.fail_under <= 100:
        raise UsageError(f"--fail-under: expected a score between 0 and 100, got {opts.fail_under}")
    if not opts.path.exists():
        raise UsageError("no such file or directory", str(opts.path))
    if not opts.path.is_dir():
        raise UsageError("the audit takes a project directory (its root), not a file", str(opts.path))
    card = build_scorecard(opts)
    _write(card, opts, __version__)
    score = card.score if card.score is not None else 0.0
    if opts.fail_under is not None and score < opts.fail_under:
        note(f"mcp-lint audit: score {score:g} is below --fail-under {opts.fail_under}", opts.quiet)
        return ExitCode.FINDINGS
    return ExitCode.CLEAN


def _write(card, opts: AuditOptions, version: str) -> None:
    import io

    from mcp_lint.output.audit import render
    from mcp_lint.source.write import write_text

    def emit(stream: TextIO, color: bool | None) -> None:
        if opts.output_format == "json":
            render.render_json(card, stream, version)
        elif opts.output_format == "markdown":
            render.render_markdown(card, stream)
        else:
            render.render_table(card, stream, color)

    if opts.output_file is not None:
        buffer = io.StringIO()
        emit(buffer, False)
        write_text(opts.output_file, buffer.getvalue(), make_parents=True)
        return
    emit(sys.stdout, None)


# -- the check the audit runs ----------------------------------------------------------------

def run_check(root: Path, *, config: Path | None = None, no_cache: bool = False, cache_dir: Path | None = None,
              jobs: int = 0, progress: bool = False) -> CheckRun:
    """`mcp-lint check ROOT` with the audit's facts gathered in the same walk: the configuration's
    rules, the findings cache, the project stage, plus one rule whose primitive, `audit-facts`,
    reports nothing and returns the audit's facts for each file. Paths come back relative to ROOT."""
    from mcp_lint.cli.check import CheckOptions, _lint, project_index
    from mcp_lint.cli.settings import base_settings, scope_for
    from mcp_lint.source.discovery import discover

    root = root.resolve()
    opts = CheckOptions(paths=[str(root)], output_format="full" if progress else "json", jobs=jobs,
                        no_cache=no_cache, cache_dir=cache_dir, quiet=not progress, config=config)
    settings = base_settings(opts, [str(root)])
    scope = scope_for(settings, opts)
    rules = list(scope.rules)
    found = discover([str(root)], settings)
    scope.files = list(found.files)
    scope.rules = [*rules, facts_rule(scope.registry)]
    project = project_index(found.files, [str(root)], settings)
    result = _lint([scope], project, opts, root, [])
    run = CheckRun(root=root, files=list(result.files), findings=list(result.findings),
                   enabled=frozenset(r.id for r in rules),
                   exclude=tuple(settings.exclude) + tuple(settings.extend_exclude))
    for raw, by_rule in result.facts.items():
        facts = by_rule.get(FACTS_RULE_ID)
        if isinstance(facts, dict):
            run.facts[_relative(Path(raw), root)] = facts
    run.errors = [(e.path, e.message) for e in result.errors] + [(p, m) for p, m in found.errors]
    return run


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def facts_rule(registry=None):
    """The rule that carries the `audit-facts` primitive. Which constructors make a network
    client or a connection pool is read from MCP404's own list when that rule is loaded, so
    the audit and the rule agree."""
    from mcp_lint.model.findings import Confidence, Severity
    from mcp_lint.model.rules import Docs, Rule

    clients: list[str] = []
    rule = registry.get("MCP404") if registry is not None else None
    if rule is not None and rule.primitive == "call-check":
        for entry in rule.params.get("calls", ()):
            calls = entry.get("call", ())
            clients.extend([calls] if isinstance(calls, str) else calls)
    params: dict[str, Any] = {}
    if clients:
        params["clients"] = tuple(clients)
    return Rule(id=FACTS_RULE_ID, name="audit-facts", pack="audit", message="", severity=Severity.INFO,
                confidence=Confidence.LOW, tags=(), docs=Docs(what="Facts for `mcp-lint audit`.", why=""),
                primitive=FACTS_PRIMITIVE, params=MappingProxyType(params), invalid=(), valid=(), enabled=False)


def read_dependencies(path: Path) -> list[tuple[str, int]] | None:
    """(canonical name, line) of each requirement a pyproject.toml / requirements*.txt declares
    (None: not a manifest this reader knows, or unreadable)."""
    from mcp_lint.source.manifests import read_manifest

    manifest = read_manifest(path)
    if manifest is None:
        return None
    return [(d.name, d.span.start_line) for d in manifest.dependencies]
