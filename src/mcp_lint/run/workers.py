"""Worker processes that a crash or a hang cannot take the run down with them.

Each worker is a process with its own engine, fed one file at a time over a pipe. The parent
knows which file each worker holds and since when: a worker that dies (a segfault in native
code, `os._exit`, the kernel's out-of-memory killer) or outlives the file's time budget (it
is killed) costs that file only, which is reported as MCP001 with the reason; the worker is
replaced and the run goes on. Workers start with fork where the platform has it (cheap, and
nothing to import again), else spawn.
"""

from __future__ import annotations

import copyreg
import faulthandler
import multiprocessing
import os
import signal
import time
import types
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import wait

from mcp_lint.check.engine import OUT_OF_MEMORY, Engine, timeout_message
from mcp_lint.source.guard import STACK_BYTES
from mcp_lint.model.findings import FileError, FileResult

Job = tuple[str, str]  # (path, shown)


def _mapping_proxy(items: dict) -> types.MappingProxyType:
    return types.MappingProxyType(items)


# Rules hold read-only mappings; a spawned worker receives them pickled.
copyreg.pickle(types.MappingProxyType, lambda proxy: (_mapping_proxy, (dict(proxy),)))

# Waits for a worker that was told to stop, or killed, before giving up on it.
_GRACE = 5.0
# Workers that die before they are ready, in a row, before the platform is judged unable to run them.
_STARTUP_FAILURES = 3
_READY = "ready"


class WorkersUnavailable(Exception):
    """Worker processes cannot be started here (the caller lints in-process instead)."""


def context() -> multiprocessing.context.BaseContext:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


# A worker's memory budget: what it may add to the address space it starts with (a fork shares
# its parent's pages). A file that needs more is MCP001 ("ran out of memory") instead of taking
# the machine's memory; about 250 MB per MB of ordinary source is what libcst's tree costs.
MEMORY_BUDGET = 3 << 30
ENV_MEMORY = "MCP_LINT_WORKER_MEMORY"  # bytes, for a machine with less (or more) to give


def _limit_memory() -> None:
    try:
        import resource
    except ImportError:  # not a POSIX system: no limit
        return
    try:
        budget = int(os.environ.get(ENV_MEMORY, MEMORY_BUDGET))
        with open("/proc/self/statm", encoding="ascii") as fh:
            current = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = current + STACK_BYTES + budget  # the parse thread's stack is reserved, not used
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        if soft == resource.RLIM_INFINITY or limit < soft:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (OSError, ValueError, AttributeError):
        return  # no /proc, no limit support: the budget is not enforced here


def _serve(conn, make_engine: Callable[[], Engine], setup: Callable[[], None] | None) -> None:
    faulthandler.disable()  # a crash is the parent's to report, on the file, without a dump
    _limit_memory()
    if setup is not None:
        setup()
    engine = make_engine()
    conn.send(_READY)
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        path, shown = job
        try:
            result = engine.lint_path(path, shown)
        except MemoryError:
            result = engine.failure(shown, OUT_OF_MEMORY)
        except Exception as exc:  # noqa: BLE001 - reported like the engine's own internal errors
            result = FileResult(shown, errors=[FileError(
                shown, f"internal error while analysing this file: {type(exc).__name__}: {exc}", rule_id="analysis")])
        conn.send(result)


class _Worker:
    def __init__(self, pool: Workers) -> None:
        parent, child = pool.ctx.Pipe()
        self.conn = parent
        self.process = pool.ctx.Process(target=_serve, args=(child, pool.make_engine, pool.setup),
                                        name="mcp-lint-worker", daemon=True)
        try:
            self.process.start()
        except (OSError, RuntimeError) as exc:
            parent.close()
            raise WorkersUnavailable(str(exc)) from None
        finally:
            child.close()
        self.ready = False
        self.job: Job | None = None
        self.deadline = 0.0

    def stop(self, kill: bool = False) -> None:
        if not kill:
            try:
                self.conn.send(None)
            except (OSError, ValueError):
                kill = True
        if not kill:
            self.process.join(_GRACE)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(_GRACE)
        self.conn.close()


class Workers:
    """`count` isolated workers, started on first use."""

    def __init__(self, count: int, make_engine: Callable[[], Engine], timeout: float | None,
                 setup: Callable[[], None] | None = None) -> None:
        self.count = max(1, count)
        self.make_engine = make_engine  # runs in the worker (pickled under spawn)
        self.setup = setup
        self.timeout = timeout
        self.ctx = context()
        self.workers: list[_Worker] = []
        self._reporter: Engine | None = None
        self._startup_failures = 0

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for worker in self.workers:
            worker.stop(kill=worker.job is not None)
        self.workers = []

    def lint(self, job: Job) -> FileResult:
        [(_, result)] = self.map([job])
        return result

    def map(self, jobs: Iterable[Job]) -> Iterator[tuple[Job, FileResult]]:
        """Lint every job; yield (job, result) as each completes (in completion order)."""
        pending = deque(jobs)
        while len(self.workers) < min(self.count, len(pending)):
            self.workers.append(_Worker(self))
        while True:
            done = self._step(pending)
            if done is None:
                return
            yield from done

    def _step(self, pending: deque) -> list[tuple[Job, FileResult]] | None:
        """Hand out jobs, wait for something to happen, and settle it (all state is updated
        before anything is yielded, so a caller that stops early leaves no worker behind)."""
        done: list[tuple[Job, FileResult]] = []
        for i, worker in enumerate(self.workers):
            if worker.job is None and pending:
                job = pending.popleft()
                if not (self._send(i, job) or self._send(i, job)):  # the second on a fresh worker
                    pending.appendleft(job)
                    raise WorkersUnavailable("a new worker process does not take work")
        busy = [w for w in self.workers if w.job is not None]
        if not busy:
            return done or None
        timeout = None if self.timeout is None else max(0.0, min(w.deadline for w in busy) - time.monotonic())
        ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout))
        for worker in busy:
            i = self.workers.index(worker)
            job = worker.job
            assert job is not None
            if worker.conn in ready:
                try:
                    result = worker.conn.recv()
                except (EOFError, OSError):
                    result = None
                if result == _READY:
                    worker.ready = True
                    worker.deadline = time.monotonic() + (self.timeout or 0.0)
                    self._startup_failures = 0
                    continue
                if result is not None:
                    worker.job = None
                    done.append((job, result))
                    continue
            if worker.conn in ready or worker.process.sentinel in ready:
                worker.process.join(_GRACE)
                if not worker.ready:  # it died starting, not on this file
                    self._startup_failures += 1
                    worker.job = None
                    pending.appendleft(job)
                    if self._startup_failures >= _STARTUP_FAILURES:
                        raise WorkersUnavailable(self._death(worker).replace("analysing this file", "starting"))
                else:
                    done.append((job, self._report(job, self._death(worker))))
                self._replace(i)
            elif self.timeout is not None and time.monotonic() >= worker.deadline:
                done.append((job, self._report(job, timeout_message(self.timeout))))
                self._replace(i)
        return done

    def _send(self, i: int, job: Job) -> bool:
        worker = self.workers[i]
        try:
            worker.conn.send(job)
        except (OSError, ValueError):  # it died between two files: the job never ran
            self._replace(i)
            return False
        worker.job = job
        worker.deadline = time.monotonic() + (self.timeout or 0.0)
        return True

    def _replace(self, i: int) -> None:
        self.workers[i].stop(kill=True)
        self.workers[i] = _Worker(self)

    @staticmethod
    def _death(worker: _Worker) -> str:
        code = worker.process.exitcode
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            if name == "SIGKILL":
                return f"the process analysing this file was killed ({name}; out of memory?)"
            return f"the parser crashed on this file (the process analysing it died with {name})"
        if code in (None, 0):
            return "the process analysing this file stopped without a result"
        return f"the process analysing this file exited with status {code}"

    def _report(self, job: Job, message: str) -> FileResult:
        if self._reporter is None:
            self._reporter = self.make_engine()
        result = self._reporter.failure(job[1], message)
        result.transient = True
        return result
