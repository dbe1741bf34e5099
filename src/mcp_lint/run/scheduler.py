"""Lint files with the engine: serially for small jobs, in worker processes otherwise.

A worker costs a fork (or, where fork is unavailable, a fresh interpreter that must import
libcst), so jobs under a size threshold run in-process. Even then, a file the parser guard
calls risky (large, deeply nested, a syntax error it could not measure) is linted in an
isolated worker, so that a crash or a hang in native code costs that file only. Large files
are scheduled first so the pool does not end waiting on one big file. Results are plain
data and come back in completion order (the pipeline orders them). The scheduler knows
nothing of caches or filters: it lints what it is given.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from mcp_lint.model.findings import FileResult
from mcp_lint.model.rules import Rule
from mcp_lint.model.settings import Settings

# Below this much source, forking workers costs more than it saves.
SERIAL_BYTES = 400_000
SERIAL_FILES = 24


@dataclass(frozen=True)
class LintJob:
    """What the engine needs besides the file: the rules and the settings that govern them."""

    rules: Sequence[Rule]
    settings: Settings
    known_codes: frozenset[str]
    project: Any = None  # what other modules say about each file (project.index.ProjectIndex)
    jobs: int = 0  # worker processes (0: one per CPU)
    knowledge: Any = None  # what the analysis knows of libraries (model.knowledge.Knowledge; None: nothing)


def tune_gc() -> None:
    """Parsing allocates millions of short-lived, acyclic nodes; the collector's default of a
    generation-0 pass every 700 allocations costs ~8% of a run for nothing. Freeze what is
    already loaded and collect less often."""
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)


def make_engine(job: LintJob, timeout: float | None = None):
    """An engine for `job` (imported here: a run the cache answers needs no parser)."""
    from mcp_lint.check.engine import Engine

    return Engine(job.rules, job.settings.severity, job.known_codes, project=job.project, knowledge=job.knowledge,
                  max_file_bytes=job.settings.max_file_size, timeout=timeout)


def lint(files: Sequence[tuple[str, str]], job: LintJob, on_result: Callable[[str, FileResult], None],
         warn: Callable[[str], None]) -> None:
    """Lint each (path, shown) of `files`; `on_result(path, result)` is called once per file, in
    this process, as each completes. `warn` receives what the user should know about how the
    run went (a platform that cannot start workers)."""
    work = list(files)
    if not work:
        return
    sizes = {}
    for path, _ in work:
        try:
            sizes[path] = os.stat(path).st_size
        except OSError:
            sizes[path] = 0
    workers = job.jobs if job.jobs > 0 else (os.cpu_count() or 1)
    serial = workers <= 1 or len(work) < SERIAL_FILES or sum(sizes.values()) < SERIAL_BYTES
    # Workers get no in-process budget: the parent kills one that outlives it.
    worker_engine = partial(make_engine, job)
    timeout = job.settings.file_timeout
    if not serial:
        from mcp_lint.run.workers import Workers, WorkersUnavailable

        work.sort(key=lambda item: -sizes[item[0]])
        done: set[str] = set()
        try:
            with Workers(min(workers, len(work)), worker_engine, timeout, setup=tune_gc) as pool:
                for (path, _), result in pool.map(work):
                    on_result(path, result)
                    done.add(path)
            return
        except WorkersUnavailable as exc:
            warn(f"worker processes are unavailable ({exc}); linting in this process")
            work = [item for item in work if item[0] not in done]
    _lint_serially(work, job, worker_engine, on_result)


def _lint_serially(work: list[tuple[str, str]], job: LintJob, worker_engine: Callable[[], Any],
                   on_result: Callable[[str, FileResult], None]) -> None:
    tune_gc()
    engine = make_engine(job, timeout=job.settings.file_timeout)
    isolated = None  # one worker for risky files, started at the first
    can_isolate = True
    try:
        for path, shown in work:
            prepared = engine.prepare(path, shown)
            if isinstance(prepared, FileResult):
                on_result(path, prepared)
                continue
            if prepared.check.risk is not None and can_isolate:
                from mcp_lint.run.workers import Workers, WorkersUnavailable

                try:
                    if isolated is None:
                        isolated = Workers(1, worker_engine, job.settings.file_timeout, setup=tune_gc)
                    on_result(path, isolated.lint((path, shown)))
                    continue
                except WorkersUnavailable:
                    if isolated is not None:
                        isolated.close()
                    isolated, can_isolate = None, False
            on_result(path, engine.lint_source(prepared))
    finally:
        if isolated is not None:
            isolated.close()
