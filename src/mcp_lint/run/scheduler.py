"""Run the engine over files: serially for small jobs, in worker processes otherwise.

A worker costs a fork (or, where fork is unavailable, a fresh interpreter that must import
libcst), so jobs under a size threshold run in-process. Even then, a file the parser guard
calls risky (large, deeply nested, a syntax error it could not measure) is linted in an
isolated worker, so that a crash or a hang in native code costs that file only. Large files
are scheduled first so the pool does not end waiting on one big file. Results are plain
data and come back in any order; they are sorted, so a run's output does not depend on it.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path


from mcp_lint.source.discovery import display
from mcp_lint.model.results import RunResult
from mcp_lint.run.filters import PerFileIgnores
from mcp_lint.model.findings import FileResult
from mcp_lint.model.rules import Rule
from mcp_lint.model.settings import Settings

# Below this much source, forking workers costs more than it saves.
SERIAL_BYTES = 400_000
SERIAL_FILES = 24


def _tune_gc() -> None:
    """Parsing allocates millions of short-lived, acyclic nodes; the collector's default of a
    generation-0 pass every 700 allocations costs ~8% of a run for nothing. Freeze what is
    already loaded and collect less often."""
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)


def run(files: Iterable[Path], rules: list[Rule], settings: Settings, known_codes: frozenset[str],
        jobs: int = 0, cwd: Path | None = None, project=None,
        on_result: Callable[[str, FileResult], None] | None = None) -> RunResult:
    """Lint `files`. `on_result(path, file_result)` is called in this process once per file as
    it completes (in completion order, which varies in parallel runs), with the result before
    per-file-ignores are applied (what a cache keeps)."""
    # Imported here: a run the findings cache answers needs neither the parser nor processes,
    # and a serial run starts a worker only for a file the parser guard calls risky.
    from mcp_lint.check.engine import Engine

    files = list(files)
    shown = {f: display(f, cwd) for f in files}
    result = RunResult(files=[shown[f] for f in files])
    ignores = PerFileIgnores(settings)
    work = [(str(f), shown[f]) for f in files]
    sizes = {}
    for f in files:
        try:
            sizes[str(f)] = f.stat().st_size
        except OSError:
            sizes[str(f)] = 0
    workers = jobs if jobs > 0 else (os.cpu_count() or 1)
    serial = workers <= 1 or len(work) < SERIAL_FILES or sum(sizes.values()) < SERIAL_BYTES

    def collect(file_result: FileResult, path: str) -> None:
        if on_result is not None:
            on_result(path, file_result)
        kept = ignores.filter(Path(path), file_result.findings)
        result.findings.extend(kept)
        result.errors.extend(file_result.errors)
        if file_result.facts:
            result.facts[path] = file_result.facts

    # Workers get no in-process budget: the parent kills one that outlives it.
    worker_engine = partial(Engine, rules, settings.severity, known_codes, project=project,
                            max_file_bytes=settings.max_file_size)
    if not serial:
        from mcp_lint.run.workers import Workers, WorkersUnavailable

        work.sort(key=lambda job: -sizes[job[0]])
        done: set[str] = set()
        try:
            with Workers(min(workers, len(work)), worker_engine, settings.file_timeout, setup=_tune_gc) as pool:
                for (path, _), file_result in pool.map(work):
                    collect(file_result, path)
                    done.add(path)
        except WorkersUnavailable as exc:
            print(f"warning: worker processes are unavailable ({exc}); linting in this process", file=sys.stderr)
            work = [job for job in work if job[0] not in done]
            serial = True
    if serial:
        _tune_gc()
        engine = Engine(rules, settings.severity, known_codes, project=project,
                        max_file_bytes=settings.max_file_size, timeout=settings.file_timeout)
        isolated = None  # one worker for risky files, started at the first
        can_isolate = True
        try:
            for path, name in work:
                prepared = engine.prepare(path, name)
                if isinstance(prepared, FileResult):
                    collect(prepared, path)
                    continue
                if prepared.check.risk is not None and can_isolate:
                    from mcp_lint.run.workers import Workers, WorkersUnavailable

                    try:
                        if isolated is None:
                            isolated = Workers(1, worker_engine, settings.file_timeout, setup=_tune_gc)
                        collect(isolated.lint((path, name)), path)
                        continue
                    except WorkersUnavailable:
                        if isolated is not None:
                            isolated.close()
                        isolated, can_isolate = None, False
                collect(engine.lint_source(prepared), path)
        finally:
            if isolated is not None:
                isolated.close()
    result.sort()
    return result


def run_project_rules(result: RunResult, rules: list[Rule], settings: Settings, known_codes: frozenset[str],
                      cwd: Path | None = None, cache=None) -> None:
    """Rules about the project as a whole (findings located in its manifests), from the facts
    every file's result carried, fresh or cached: once per run, after every file. The findings
    cache, when given, answers for unchanged facts and manifests."""
    if not result.facts:
        return
    cwd = cwd or Path.cwd()
    key = cache.project_key(result.facts, cwd) if cache is not None else None
    outcomes = cache.lookup_project(key) if cache is not None else None
    if outcomes is None:
        from mcp_lint.project.stage import check_projects

        outcomes = check_projects(rules, result.facts, settings.severity, known_codes, cwd)
        if cache is not None:
            cache.store_project(key, outcomes)
            cache.save()
    ignores = PerFileIgnores(settings)
    for manifest, manifest_result in outcomes:
        result.findings.extend(ignores.filter(manifest, manifest_result.findings))
        result.errors.extend(manifest_result.errors)
    result.sort()
