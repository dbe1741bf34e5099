"""One run of `check`, as value-returning stages called once each, top to bottom:

1. plan:    the files to lint, each with the path it is opened by and the path it is shown as;
            the findings cache answers for the unchanged ones (hits), the rest are misses;
2. lint:    the scheduler lints the misses (serially, isolated or in a pool; it knows nothing
            of caches);
3. merge:   cached and fresh results, in the order the files were given;
4. project: rules about the project as a whole (findings in manifests), from the per-file facts,
            answered by the cache when the facts and manifests are unchanged; and flows across
            modules (project/flows.py): findings at sinks other modules' tools reach, findings that
            other modules' sanitizers refute;
5. filter:  per-file-ignores and `min-confidence`, applied once to every result, fresh or cached;
then the cache is written once. Reporting is the caller's (cli/commands.py).

Results are unfiltered until stage 5 (the cache keeps them so), and every stage returns plain
data, so a stage that joins per-file facts across the whole project can sit between 3 and 5.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mcp_lint.model.findings import FileResult
from mcp_lint.model.results import RunResult
from mcp_lint.run.cache import FindingsCache, digest_of
from mcp_lint.run.filters import PerFileIgnores, confident_enough
from mcp_lint.run.scheduler import LintJob, lint
from mcp_lint.source.discovery import display


@dataclass(frozen=True)
class SourceFile:
    """A file of the run: the path it is opened by, and the path reports show (relative to cwd)."""

    path: Path
    shown: str


@dataclass
class Plan:
    files: list[SourceFile]
    hits: dict[str, FileResult] = field(default_factory=dict)  # shown -> cached result
    misses: list[SourceFile] = field(default_factory=list)
    digests: dict[str, str | None] = field(default_factory=dict)  # shown -> content digest


@dataclass
class Progress:
    """Callbacks for a progress display: the number of files to lint, then one call per file."""

    start: Callable[[int], None]
    advance: Callable[[str, FileResult], None]


def run(paths: Sequence[Path], job: LintJob, cwd: Path, cache: FindingsCache | None = None,
        progress: Progress | None = None) -> RunResult:
    """Stages 1-5 over `paths` (already discovered)."""
    warnings: list[str] = []
    planned = plan(paths, cwd, cache, job.project, job.settings.max_file_size)
    fresh = lint_misses(planned, job, progress, warnings.append)
    results = merge(planned, fresh)
    manifests = project_stage(results, job, cwd, cache)
    joined = flow_stage(results + _context_results(planned, job, cwd, cache), job)
    linted = {str(item.path) for item in planned.files}
    joined.findings = {path: found for path, found in joined.findings.items() if path in linted}
    shown = {str(item.path): item.shown for item, _ in results}
    manifests += [(Path(path), FileResult(shown.get(path, path), findings=found))
                  for path, found in sorted(joined.findings.items())]
    if cache is not None:
        for item in planned.misses:
            cache.store(planned.digests.get(item.shown), fresh[item.shown])
        cache.save()
        warnings.extend(cache.warnings)
    out = apply_filters(planned.files, results, manifests, job, joined.dropped)
    out.warnings.extend(warnings)
    return out


def run_source(data: bytes, path: Path, shown: str, job: LintJob) -> RunResult:
    """Lint source that is not read from a file (stdin, an editor's buffer) as if it were `path`:
    no cache, per-file-ignores of `path`."""
    from mcp_lint.run.scheduler import make_engine

    engine = make_engine(job, timeout=job.settings.file_timeout)
    prepared = engine.prepare_data(data, shown)
    result = prepared if isinstance(prepared, FileResult) else engine.lint_source(prepared)
    return apply_filters([SourceFile(path, shown)], [(SourceFile(path, shown), result)], [], job)


def plan(paths: Sequence[Path], cwd: Path, cache: FindingsCache | None, project=None,
         max_file_size: int | None = None) -> Plan:
    files = [SourceFile(p, display(p, cwd)) for p in paths]
    out = Plan(files)
    for item in files:
        if cache is None:
            out.misses.append(item)
            continue
        digest = digest_of(item.path, max_file_size)  # a file over the limit is not read: linted (MCP001)
        if digest is not None and project is not None:  # what other modules say about this one
            digest = f"{digest}-{project.context_digest(item.path)}"
        try:
            size = os.stat(item.path).st_size
        except OSError:
            size = None
        hit = cache.lookup(item.shown, digest, size)
        if hit is None:
            out.digests[item.shown] = digest
            out.misses.append(item)
        else:
            out.hits[item.shown] = hit
    return out


def lint_misses(planned: Plan, job: LintJob, progress: Progress | None,
                warn: Callable[[str], None]) -> dict[str, FileResult]:
    shown_of = {str(item.path): item.shown for item in planned.misses}
    fresh: dict[str, FileResult] = {}

    def collect(path: str, result: FileResult) -> None:
        fresh[shown_of[path]] = result
        if progress is not None:
            progress.advance(path, result)

    if progress is not None:
        progress.start(len(planned.misses))
    lint([(str(item.path), item.shown) for item in planned.misses], job, collect, warn)
    return fresh


def merge(planned: Plan, fresh: dict[str, FileResult]) -> list[tuple[SourceFile, FileResult]]:
    return [(item, planned.hits.get(item.shown) or fresh[item.shown]) for item in planned.files]


def project_stage(results: list[tuple[SourceFile, FileResult]], job: LintJob, cwd: Path,
                  cache: FindingsCache | None) -> list[tuple[Path, FileResult]]:
    """Findings located in the manifests that govern the linted files (MCP601...)."""
    rule_ids = {rule.id for rule in job.rules}  # the facts the project rules read, not the flows
    facts = {str(item.path): kept for item, result in results
             if (kept := {k: v for k, v in result.facts.items() if k in rule_ids})}
    if not facts:
        return []
    key = cache.project_key(facts, cwd) if cache is not None else None
    outcomes = cache.lookup_project(key) if cache is not None else None
    if outcomes is None:
        from mcp_lint.project.stage import check_projects  # needs the primitives, so libcst

        outcomes = check_projects(job.rules, facts, job.settings.severity, job.known_codes, cwd)
        if cache is not None:
            cache.store_project(key, outcomes)
    return outcomes


def flow_stage(results: list[tuple[SourceFile, FileResult]], job: LintJob):
    """Flows across modules (project/flows.py): findings at sinks other modules' tools reach, and
    findings that other modules' sanitizers refute."""
    from mcp_lint.project.flows import join

    return join(results, job.rules, job.known_codes)


def _context_results(planned: Plan, job: LintJob, cwd: Path,
                     cache: FindingsCache | None) -> list[tuple[SourceFile, FileResult]]:
    """The cached results of the project's other modules, when only some files are linted (a
    pre-commit run): their facts take part in the flows join, their findings are not reported."""
    if cache is None or job.project is None:
        return []
    linted = {str(item.path) for item in planned.files}
    out = []
    for path in getattr(job.project, "facts", {}):
        if str(path) in linted:
            continue
        digest = digest_of(path, job.settings.max_file_size)
        if digest is None:
            continue
        item = SourceFile(Path(path), display(Path(path), cwd))
        hit = cache.lookup(item.shown, f"{digest}-{job.project.context_digest(path)}")
        if hit is not None and hit.facts:
            out.append((item, hit))
    return out


def apply_filters(files: list[SourceFile], results: list[tuple[SourceFile, FileResult]],
                  manifests: list[tuple[Path, FileResult]], job: LintJob,
                  dropped: set[tuple[str, str]] = frozenset()) -> RunResult:
    ignores = PerFileIgnores(job.settings)
    out = RunResult(files=[item.shown for item in files])
    for path, result in [(item.path, result) for item, result in results] + manifests:
        kept = [f for f in result.findings if (str(path), f.fingerprint) not in dropped] if dropped else result.findings
        out.findings.extend(confident_enough(ignores.filter(path, kept), job.settings.min_confidence))
        out.errors.extend(result.errors)
    for item, result in results:
        if result.facts:
            out.facts[str(item.path)] = result.facts
    out.sort()
    return out
