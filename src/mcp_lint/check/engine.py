"""The engine: lint one file. Read and decode it (source/read.py), pre-parse it with CPython
(source/guard.py), parse it once with libcst on a thread with a large stack, build the file's
analysis (index, server model, flows), walk it once (check/walker.py), make the findings
(check/factory.py) and apply the file's suppression comments (check/suppress.py).

Dispatch tables (node type -> hooks of the enabled rules) are built once per process. A file
that cannot be read or parsed is an MCP001 finding; an analysis bug is an internal error on
that file; neither stops the run.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from collections.abc import Iterable
from dataclasses import dataclass

import libcst as cst

from mcp_lint.analysis.mcp_model import build_model
from mcp_lint.analysis.positions import place
from mcp_lint.analysis.module_index import build_index
from mcp_lint.analysis.state import TraversalState
from mcp_lint.check.context import FileContext
from mcp_lint.check import flow_facts
from mcp_lint.check.factory import FindingFactory, render_message
from mcp_lint.check.materialise import materialise, wanted
from mcp_lint.check.primitives import PRIMITIVES
from mcp_lint.check.primitives.base import Primitive
from mcp_lint.check.suppress import SuppressionPass
from mcp_lint.check.walker import Walker
from mcp_lint.model.findings import FileError, FileResult, Finding, Severity
from mcp_lint.model.knowledge import EMPTY, Knowledge
from mcp_lint.model.rules import Rule
from mcp_lint.source.discovery import MAX_FILE_BYTES
from mcp_lint.source.guard import Check, FileTimeout, deep_stack, precheck
from mcp_lint.source.lines import LineTable
from mcp_lint.source.manifests import ManifestIndex, declared_requirements
from mcp_lint.source.read import content_digest, decode

PARSE_ERROR = "MCP001"
UNUSED_SUPPRESSION = "MCP900"
CORE_PRIMITIVES = frozenset({"parse-error", "unused-suppression"})

@dataclass
class Source:
    """A decoded file that passed the pre-parse, ready for libcst."""

    path: str  # as shown
    text: str
    check: Check
    origin: str | None = None  # the path it was read from (None: not read from a file)


class Engine:
    """The enabled rules, compiled into dispatch tables. Build once, lint many files."""

    def __init__(self, rules: Iterable[Rule], severity: dict[str, Severity] | None = None,
                 known_codes: Iterable[str] = (), always_walk: bool = False, project=None,
                 max_file_bytes: int = MAX_FILE_BYTES, timeout: float | None = None,
                 knowledge: Knowledge | None = None) -> None:
        self.max_file_bytes = max_file_bytes
        # What the analysis and the primitives know of libraries (packs/knowledge.py builds it).
        self.knowledge = knowledge if knowledge is not None else EMPTY
        self._manifests: ManifestIndex | None = None  # the manifests that govern each file, read once
        self.timeout = timeout  # seconds per file, enforced in-process (see guard.deep_stack)
        self.project = project  # servers other modules of the run create (project.ProjectIndex)
        self.always_walk = always_walk  # walk even with no rule hooks (benchmarks of the analysis cost)
        self.rules = list(rules)
        self.severity = severity or {}
        self.parse_rule = next((r for r in self.rules if r.primitive == "parse-error"), None)
        self.unused_rule = next((r for r in self.rules if r.primitive == "unused-suppression"), None)
        self.suppression = SuppressionPass(self.rules, known_codes, self.unused_rule)
        # Rules that follow values (their flows across modules are joined by project/flows.py).
        self.taint_rules = any(r.primitive in ("tainted-call", "formatted-string-sink") for r in self.rules)
        self.primitives: list[Primitive] = [PRIMITIVES[r.primitive](r, self.knowledge) for r in self.rules
                                            if r.primitive not in CORE_PRIMITIVES]
        self.enter: dict[type, list[tuple[Rule, object]]] = {}
        self.leave: dict[type, list[tuple[Rule, object]]] = {}
        for prim in self.primitives:
            for tp, fn in prim.enter().items():
                self.enter.setdefault(tp, []).append((prim.rule, fn))
            for tp, fn in prim.leave().items():
                self.leave.setdefault(tp, []).append((prim.rule, fn))

    # -- entry points ---------------------------------------------------------------------------
    def lint_path(self, path: str, shown: str | None = None) -> FileResult:
        prepared = self.prepare(path, shown)
        return prepared if isinstance(prepared, FileResult) else self.lint_source(prepared)

    def prepare(self, path: str, shown: str | None = None) -> FileResult | Source:
        """Read, decode and pre-parse one file (cheap): a FileResult when that already decides
        it (unreadable, too large, not text, refused by the parser guard), else the Source
        to parse, whose `check.risk` says whether it deserves an isolated process."""
        shown = shown or path
        try:
            st = os.stat(path)
            if not stat.S_ISREG(st.st_mode):
                return self.failure(shown, "not a regular file")
            if st.st_size > self.max_file_bytes:  # refused before reading a byte of it
                return self.failure(shown, f"skipped: larger than {_size(self.max_file_bytes)} (max-file-size)")
            with open(path, "rb") as fh:
                data = fh.read(self.max_file_bytes + 1)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            return self.failure(shown, f"cannot read file: {reason}")
        prepared = self.prepare_data(data, shown)
        if isinstance(prepared, Source):
            prepared.origin = path
        return prepared

    def prepare_data(self, data: bytes, shown: str) -> FileResult | Source:
        """As `prepare`, for bytes already read (a file, stdin, an editor's buffer)."""
        if len(data) > self.max_file_bytes:
            return self.failure(shown, f"skipped: larger than {_size(self.max_file_bytes)} (max-file-size)")
        text, problem, line = decode(data)
        if text is None:  # report on the offending line, shown from a lossy decoding
            return self._parse_failure(shown, problem, line or 1, 1, data.decode("utf-8", "replace"))
        check = self._known_check(data) or deep_stack(precheck, text)
        if check.refused is not None:
            return self._parse_failure(shown, *check.refused, text)
        return Source(shown, text, check)

    def _known_check(self, data: bytes) -> Check | None:
        """The guard's verdict the project scan reached on these same bytes, if it scanned them."""
        checks = getattr(self.project, "checks", None)
        if not checks:
            return None
        return checks.get(content_digest(data))

    def lint_source(self, source: Source) -> FileResult:
        return self._guarded(source.text, source.path, source.check, source.origin)

    def lint_text(self, text: str, path: str) -> FileResult:
        """Lint one decoded source. Runs on a thread with a large stack: libcst's native
        parser recurses on nesting and would otherwise overflow the C stack (a segfault, which
        no `except` can catch) on inputs that are deep but legal."""
        return self._guarded(text, path, None)

    def _guarded(self, text: str, path: str, check: Check | None, origin: str | None = None) -> FileResult:
        try:
            return deep_stack(self._lint_text, text, path, check, origin, timeout=self.timeout)
        except FileTimeout:
            result = self.failure(path, timeout_message(self.timeout), text=text)
            result.transient = True
            return result

    def _lint_text(self, text: str, path: str, check: Check | None = None, origin: str | None = None) -> FileResult:
        if check is None:
            check = precheck(text)
        if check.refused is not None:
            return self._parse_failure(path, *check.refused, text)
        try:
            module = cst.parse_module(text)
        except cst.ParserSyntaxError as exc:
            message, line, col = check.syntax_error or _libcst_limit(exc)
            return self._parse_failure(path, message, line, col, text)
        except RecursionError:
            return self._parse_failure(path, "too deeply nested to parse", 1, 1, text)
        except MemoryError:
            return self._parse_failure(path, OUT_OF_MEMORY, 1, 1, text)
        except Exception as exc:  # the native parser's other failures
            return self._parse_failure(path, f"cannot parse: {exc}", 1, 1, text)
        try:
            return self._analyse(module, text, path, origin)
        except RecursionError:
            return self._parse_failure(path, "too deeply nested to analyse", 1, 1, text)
        except MemoryError:
            return self._parse_failure(path, OUT_OF_MEMORY, 1, 1, text)
        except Exception as exc:  # noqa: BLE001 - an analysis bug must not stop the run
            return FileResult(path, errors=[FileError(
                path, f"internal error while analysing this file: {type(exc).__name__}: {exc}",
                rule_id="analysis")])

    def _requirements(self, path: str):
        """What the manifests governing the file declare (the findings cache keys a file's
        results by the same: project/index.py `context_digest`)."""
        if self._manifests is None:
            self._manifests = ManifestIndex()
        try:
            return declared_requirements(self._manifests, Path(path))
        except (OSError, ValueError):
            return None

    # -- failures -------------------------------------------------------------------------------
    def _parse_failure(self, path: str, message: str, line: int, col: int, text: str) -> FileResult:
        result = FileResult(path)
        rule = self.parse_rule
        if rule is None:
            return result
        factory = FindingFactory(path, self.severity)
        finding = factory.at_line(rule, LineTable(text), line, col, render_message(rule, {"problem": message}))
        if finding is not None and not self.suppression.file_level(finding, text):
            result.findings.append(finding)
        return result

    def failure(self, path: str, message: str, line: int = 1, col: int = 1, text: str = "") -> FileResult:
        """An MCP001 finding (or, with MCP001 off, an error message) for a file that could not
        be read or analysed, e.g. one whose worker crashed or ran out of time."""
        result = self._parse_failure(path, message, line, col, text)
        if not result.findings and self.parse_rule is None:
            result.errors.append(FileError(path, message))
        return result

    # -- analysis -------------------------------------------------------------------------------
    def _analyse(self, module: cst.Module, text: str, path: str, origin: str | None = None) -> FileResult:
        index = build_index(module, text)
        context = self.project.context(path) if self.project else None
        model = build_model(index, self.project, context)
        state = TraversalState(module)
        ctx = FileContext(path=path, source=text, module=module, index=index, model=model, state=state,
                          knowledge=self.knowledge, requirements=self._requirements(origin or path),
                          project=self.project or None, context=context)
        ctx.flows.frames[module] = state.module_frame
        result = FileResult(path)
        failed: set[str] = set()
        if self.primitives or self.always_walk:
            walker = Walker(self.enter, self.leave, ctx, result, failed)
            walker.walk(module)
            self._deferred(ctx, walker, failed)
            self._finish_rules(ctx, walker, failed, result)
        pending = [p for p in ctx.pending if p.rule.id not in failed]
        crosses = bool(self.project) and bool(context or ctx.conditional_sinks or
                                              any(f.project_calls for f in ctx.flows.frames.values()))
        if not pending and self.unused_rule is None and not crosses:
            return result
        lines = LineTable(text)
        factory = FindingFactory(path, self.severity)
        conditions: dict[str, list] = {}
        # One positions pass for the findings and the flow facts (analysis/positions.py).
        gathered = flow_facts.gather(ctx) if crosses and self.taint_rules else None
        nodes = wanted(pending) | (gathered.nodes if gathered is not None else set())
        placed = place(module, nodes, lines, [fn.node for fn in ctx.index.functions] if pending else ())
        findings = materialise(factory, module, lines, pending, ctx.index.functions, conditions, placed)
        result.findings = self.suppression.apply(findings, text, lines, factory)
        result.findings.sort(key=Finding.sort_key)
        if gathered is not None:
            flows = flow_facts.collect(ctx, lines, conditions, gathered, placed.spans)
            if flows is not None:
                result.facts[flow_facts.KEY] = flows
        return result


    def _deferred(self, ctx: FileContext, walker: Walker, failed: set[str]) -> None:
        """The checks rules deferred until the walk was over (they need the whole file's flows)."""
        for rule, fn in ctx.deferred:
            if rule.id in failed:
                continue
            try:
                fn()
            except Exception as exc:  # noqa: BLE001 - isolate a failing rule
                walker.rule_failed(rule, exc, None)

    def _finish_rules(self, ctx: FileContext, walker: Walker, failed: set[str], result: FileResult) -> None:
        """Each rule's end-of-file checks, and the facts it keeps for the project stage."""
        for prim in self.primitives:
            if prim.rule.id in failed:
                continue
            try:
                prim.finish(ctx)
                facts = prim.facts(ctx)
            except Exception as exc:  # noqa: BLE001
                walker.rule_failed(prim.rule, exc, None)
                continue
            if facts is not None:
                result.facts[prim.rule.id] = facts


OUT_OF_MEMORY = "ran out of memory while analysing this file"


def timeout_message(seconds: float | None) -> str:
    return f"took longer than {seconds or 0:g} s to analyse (the `file-timeout` setting)"


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale and n % scale == 0:
            return f"{n // scale} {unit}"
    return f"{n} bytes"


def _libcst_limit(exc: cst.ParserSyntaxError) -> tuple[str, int, int]:
    """libcst refuses what CPython accepted: a limit of libcst's, not the author's mistake."""
    return f"cannot be analysed: libcst cannot parse it ({exc.message})", exc.raw_line, exc.raw_column + 1
