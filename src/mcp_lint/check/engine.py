"""The engine: one parse, one pre-pass over statements, one walk, per file.

Dispatch tables (node type -> hooks of the enabled rules) are built once per process. The
walk is the engine's own: it iterates each node type's semantic child fields (whitespace,
punctuation, annotations and attribute names are never visited), which measured about 15x
cheaper than libcst's visitor machinery on real servers, and it owns all traversal state:
frames, block paths, loops, with/try/except stacks, the current statement. A rule that
raises is reported with its id, file and line and switched off for that file; the other
rules and files go on.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass

import libcst as cst

from mcp_lint.analysis.mcp_model import build_model
from mcp_lint.analysis.module_index import FunctionInfo, build_index
from mcp_lint.analysis.state import Frame, LoopInfo, TraversalState
from mcp_lint.analysis.cst_utils import dotted, target_names
from mcp_lint.analysis.fields import fields as _fields, is_node
from mcp_lint.check.context import FileContext, NodeFix, PendingFinding
from mcp_lint.model.findings import Edit, FileError, FileResult, Finding, Fix, Severity, Span, TraceStep, fingerprint
from mcp_lint.source.read import decode
from mcp_lint.source.guard import Check, FileTimeout, deep_stack, precheck
from mcp_lint.source.lines import LineTable
from mcp_lint.analysis.positions import resolve_spans
from mcp_lint.check.primitives import PRIMITIVES
from mcp_lint.check.primitives.base import Primitive
from mcp_lint.model.rules import Rule
from mcp_lint.source import suppressions
from mcp_lint.source.discovery import MAX_FILE_BYTES

PARSE_ERROR = "MCP001"
UNUSED_SUPPRESSION = "MCP900"
CORE_PRIMITIVES = frozenset({"parse-error", "unused-suppression"})

_MUTATING_METHODS = frozenset({"append", "extend", "insert", "add", "update", "appendleft", "extendleft",
                               "setdefault", "pop", "remove", "discard", "clear"})


@dataclass
class Source:
    """A decoded file that passed the pre-parse, ready for libcst."""

    path: str  # as shown
    text: str
    check: Check


class Engine:
    """The enabled rules, compiled into dispatch tables. Build once, lint many files."""

    def __init__(self, rules: Iterable[Rule], severity: dict[str, Severity] | None = None,
                 known_codes: Iterable[str] = (), always_walk: bool = False, project=None,
                 max_file_bytes: int = MAX_FILE_BYTES, timeout: float | None = None) -> None:
        self.max_file_bytes = max_file_bytes
        self.timeout = timeout  # seconds per file, enforced in-process (see guard.deep_stack)
        self.project = project  # servers other modules of the run create (project.ProjectIndex)
        self.always_walk = always_walk  # walk even with no rule hooks (benchmarks of the analysis cost)
        self.rules = list(rules)
        self.severity = severity or {}
        # Every rule id that exists (enabled or not): MCP900 tells unknown codes from disabled ones.
        self.known_codes = frozenset(known_codes) | frozenset(r.id for r in self.rules)
        # The letter prefixes of every known rule id (MCP, and those of custom packs): a
        # `# noqa:` code with another prefix belongs to another tool.
        self.known_prefixes = suppressions.code_prefixes(self.known_codes)
        self.enabled_ids = frozenset(r.id for r in self.rules)
        self.parse_rule = next((r for r in self.rules if r.primitive == "parse-error"), None)
        self.unused_rule = next((r for r in self.rules if r.primitive == "unused-suppression"), None)
        self.primitives: list[Primitive] = [PRIMITIVES[r.primitive](r) for r in self.rules
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
            if not stat.S_ISREG(os.stat(path).st_mode):
                return self.failure(shown, "not a regular file")
            with open(path, "rb") as fh:
                data = fh.read(self.max_file_bytes + 1)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            return self.failure(shown, f"cannot read file: {reason}")
        if len(data) > self.max_file_bytes:
            return FileResult(shown, errors=[FileError(
                shown, f"skipped: larger than {_size(self.max_file_bytes)} (max-file-size)")])
        text, problem, line = decode(data)
        if text is None:  # report on the offending line, shown from a lossy decoding
            return self._parse_failure(shown, problem, line or 1, 1, data.decode("utf-8", "replace"))
        check = deep_stack(precheck, text)
        if check.refused is not None:
            return self._parse_failure(shown, *check.refused, text)
        return Source(shown, text, check)

    def lint_source(self, source: Source) -> FileResult:
        return self._guarded(source.text, source.path, source.check)

    def lint_bytes(self, data: bytes, path: str) -> FileResult:
        text, problem, line = decode(data)
        if text is None:  # report on the offending line, shown from a lossy decoding
            return self._parse_failure(path, problem, line or 1, 1, data.decode("utf-8", "replace"))
        return self.lint_text(text, path)

    def lint_text(self, text: str, path: str) -> FileResult:
        """Lint one decoded source. Runs on a thread with a large stack: libcst's native
        parser recurses on nesting and would otherwise overflow the C stack (a segfault, which
        no `except` can catch) on inputs that are deep but legal."""
        return self._guarded(text, path, None)

    def _guarded(self, text: str, path: str, check: Check | None) -> FileResult:
        try:
            return deep_stack(self._lint_text, text, path, check, timeout=self.timeout)
        except FileTimeout:
            result = self.failure(path, timeout_message(self.timeout), text=text)
            result.transient = True
            return result

    def _lint_text(self, text: str, path: str, check: Check | None = None) -> FileResult:
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
            return self._analyse(module, text, path)
        except RecursionError:
            return self._parse_failure(path, "too deeply nested to analyse", 1, 1, text)
        except MemoryError:
            return self._parse_failure(path, OUT_OF_MEMORY, 1, 1, text)
        except Exception as exc:  # noqa: BLE001 - an analysis bug must not stop the run
            return FileResult(path, errors=[FileError(
                path, f"internal error while analysing this file: {type(exc).__name__}: {exc}",
                rule_id="analysis")])

    # -- failures -------------------------------------------------------------------------------
    def _parse_failure(self, path: str, message: str, line: int, col: int, text: str) -> FileResult:
        result = FileResult(path)
        rule = self.parse_rule
        if rule is None:
            return result
        lines = LineTable(text)
        line = max(1, min(line, len(lines.starts)))
        line_text = lines.line_text(line)
        col = max(1, min(col, len(line_text) + 1))
        span = _point_span(lines, line, col)
        finding = Finding(rule.id, rule.name, self.severity.get(rule.id, rule.severity), rule.confidence, path,
                          span, rule.message.format_map({"problem": message}), statement_line=line,
                          fingerprint=fingerprint(rule.id, "<module>", line_text, 0))
        sup = suppressions.Suppressor(suppressions.find(text, self.known_prefixes)) if text else None
        if sup is None or not [s for s in sup.file_level if s.matches(finding)]:
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
    def _analyse(self, module: cst.Module, text: str, path: str) -> FileResult:
        index = build_index(module, text)
        model = build_model(index, self.project)
        state = TraversalState(module)
        ctx = FileContext(path=path, source=text, module=module, index=index, model=model, state=state)
        ctx.flows.frames[module] = state.module_frame
        result = FileResult(path)
        failed: set[str] = set()
        if self.primitives or self.always_walk:
            walker = _Walker(self, ctx, result, failed)
            walker.walk(module)
            for rule, fn in ctx.deferred:
                if rule.id in failed:
                    continue
                try:
                    fn()
                except Exception as exc:  # noqa: BLE001 - isolate a failing rule
                    walker.rule_failed(rule, exc, None)
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
        pending = [p for p in ctx.pending if p.rule.id not in failed]
        need_comments = bool(pending) or self.unused_rule is not None
        if not need_comments:
            return result
        lines = LineTable(text)
        result.findings.extend(self._materialise(module, lines, path, pending, ctx.index.functions))
        sups = suppressions.find(text, self.known_prefixes)
        if sups:
            sup = suppressions.Suppressor(sups)
            result.findings = [f for f in result.findings if not sup.suppressed(f)]
            if self.unused_rule is not None:
                unused = self._unused(sups, lines, path)
                result.findings.extend(f for f in unused if not sup.suppressed(f))
        result.findings.sort(key=Finding.sort_key)
        return result

    def _materialise(self, module: cst.Module, lines: LineTable, path: str,
                     pending: list[PendingFinding], functions: list[FunctionInfo] = ()) -> list[Finding]:
        if not pending:
            return []
        nodes: set[cst.CSTNode] = set()
        for p in pending:
            nodes.add(p.node)
            if p.statement is not None:
                nodes.add(p.statement)
            nodes.update(s.node for s in p.trace)
            if p.fix is not None:
                nodes.update(e.node for e in p.fix.edits)
        nodes.update(fn.node for fn in functions)
        spans = resolve_spans(module, nodes, lines)
        scopes = sorted(((spans[fn.node].start_offset, spans[fn.node].end_offset, fn.qualname)
                         for fn in functions if fn.node in spans), key=lambda s: (s[0], -s[1]))
        placed = []
        seen: set[tuple] = set()
        for p in pending:
            span = spans.get(p.node)
            if span is None:
                continue
            key = (p.rule.id, span.start_offset, span.end_offset, p.message)
            if key in seen:
                continue
            seen.add(key)
            placed.append((p, span))
        placed.sort(key=lambda item: (item[1].start_offset, item[1].end_offset))
        out = []
        occurrences: dict[tuple[str, str, str], int] = {}
        for p, span in placed:
            stmt = spans.get(p.statement) if p.statement is not None else None
            scope = _enclosing(scopes, span)
            source = "".join(lines.source[span.start_offset:span.end_offset].split())
            occ_key = (p.rule.id, scope, source)
            occurrence = occurrences.get(occ_key, 0)
            occurrences[occ_key] = occurrence + 1
            trace = tuple(TraceStep(spans[s.node], s.text) for s in p.trace if s.node in spans)
            out.append(Finding(
                rule_id=p.rule.id, rule_name=p.rule.name,
                severity=self.severity.get(p.rule.id, p.rule.severity), confidence=p.confidence or p.rule.confidence,
                path=path, span=span, message=p.message, trace=trace,
                fix=_fix(p.fix, spans, lines) if p.fix is not None else None,
                statement_line=stmt.start_line if stmt is not None else span.start_line,
                fingerprint=fingerprint(p.rule.id, scope, source, occurrence),
            ))
        return out

    def _is_unused_rule_code(self, code: str) -> bool:
        rule = self.unused_rule
        return rule is not None and (code in (rule.id, rule.name) or (
            _looks_like_id(code) and rule.id.startswith(code.upper()) and len(code) > 3))

    def _unused(self, sups: list[suppressions.Suppression], lines: LineTable, path: str) -> list[Finding]:
        rule = self.unused_rule
        assert rule is not None
        out = []
        known_prefixes = {r.id for r in self.rules}
        names = self.known_codes
        occurrences: dict[str, int] = {}
        for s in sups:
            if s.codes is not None and all(self._is_unused_rule_code(c) for c in s.codes):
                continue  # a directive about MCP900 itself
            if s.codes is None:
                if s.kind == "noqa" or s.used:
                    continue  # a blanket `# noqa` may be meant for another tool
                unused = ["all rules"]
                remaining: list[str] = []
            else:
                unused = []
                remaining = []
                for code in s.codes:
                    if code in s.used:
                        remaining.append(code)
                    elif _looks_like_id(code) and not any(i.startswith(code.upper()) for i in names):
                        unused.append(f"{code} (unknown rule)")
                    elif not any(i == code or i.startswith(code.upper()) for i in known_prefixes) and \
                            code not in {r.name for r in self.rules}:
                        remaining.append(code)  # a rule that is not enabled in this run: not our call
                    else:
                        unused.append(code)
            if not unused:
                continue
            start = lines.offset(s.line, s.col)
            end = lines.offset(s.line, s.end_col)
            span = lines.span(start, end)
            line_text = lines.line_text(s.line)
            after = line_text[s.end_col - 1:]
            if remaining:
                edit = Edit(span, _rewrite_directive(s, remaining))
            elif after.strip():
                # text follows in the same comment: keep it a comment
                edit = Edit(span, "#" if s.comment_start else "")
            elif s.own_line and not line_text[: s.col - 1].strip():
                line_end = lines.starts[s.line] if s.line < len(lines.starts) else len(lines.source)
                edit = Edit(lines.span(lines.starts[s.line - 1], line_end), "")
            else:
                before = line_text[: s.col - 1]
                if s.comment_start:  # drop the whitespace before the comment too
                    cut = lines.offset(s.line, len(before.rstrip()) + 1)
                else:
                    cut = start
                edit = Edit(lines.span(cut, end), "")
            codes = ", ".join(unused)
            message = rule.message.format_map({"codes": codes, "directive": s.text})
            out.append(Finding(rule.id, rule.name, self.severity.get(rule.id, rule.severity), rule.confidence,
                               path, span, message, statement_line=s.line,
                               fix=Fix("Remove the unused suppression", (edit,)) if rule.fix else None,
                               fingerprint=fingerprint(rule.id, "<module>", lines.line_text(s.line),
                                                       _count(occurrences, lines.line_text(s.line)))))
        return out


def _enclosing(scopes: list[tuple[int, int, str]], span: Span) -> str:
    """The qualified name of the innermost function around `span` (`<module>` if none)."""
    name = "<module>"
    for start, end, qualname in scopes:
        if start > span.start_offset:
            break
        if span.end_offset <= end:
            name = qualname
    return name


def _count(seen: dict[str, int], text: str) -> int:
    """How many times `text` (whitespace-insensitive) was seen before; counts this one."""
    key = "".join(text.split())
    seen[key] = seen.get(key, 0) + 1
    return seen[key] - 1


def _looks_like_id(code: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z]+[0-9]+", code))


def _rewrite_directive(s: suppressions.Suppression, codes: list[str]) -> str:
    joined = ", ".join(codes)
    if s.kind == "noqa":
        return f"# noqa: {joined}"
    word = "file-ignore" if s.kind == "file" else "ignore"
    return f"# mcp-lint: {word}[{joined}]"


def _point_span(lines: LineTable, line: int, col: int) -> Span:
    start = lines.offset(line, col) if lines.source else 0
    text = lines.line_text(line)
    end = start + (1 if col <= len(text) else 0)
    return lines.span(start, end) if lines.source else Span(1, 1, 1, 1, 0, 0)


def _fix(fix: NodeFix, spans, lines: LineTable) -> Fix | None:
    edits = []
    for e in fix.edits:
        span = spans.get(e.node)
        if span is None:
            return None
        if e.mode == "insert-before":
            span = lines.span(span.start_offset, span.start_offset)
        elif e.mode == "insert-after":
            span = lines.span(span.end_offset, span.end_offset)
        edits.append(Edit(span, e.content))
    return Fix(fix.description, tuple(edits), fix.applicability)


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


class _Walker:
    """Walks one module, maintaining traversal state and dispatching to rule hooks."""

    def __init__(self, engine: Engine, ctx: FileContext, result: FileResult, failed: set[str]) -> None:
        self.ctx = ctx
        self.state = ctx.state
        self.recorder = ctx.recorder
        self.result = result
        self.failed = failed
        self.enter = engine.enter
        self.leave = engine.leave
        self.structural = {
            cst.FunctionDef: self._function, cst.Lambda: self._lambda, cst.ClassDef: self._class,
            cst.If: self._if, cst.For: self._for, cst.While: self._while, cst.Try: self._try,
            cst.TryStar: self._try, cst.ExceptHandler: self._except, cst.With: self._with, cst.Match: self._match,
            cst.ListComp: self._comp, cst.SetComp: self._comp, cst.GeneratorExp: self._comp,
            cst.DictComp: self._comp,
        }
        self.after = {
            cst.Assign: self._after_assign, cst.AnnAssign: self._after_ann_assign,
            cst.AugAssign: self._after_aug_assign, cst.NamedExpr: self.recorder.named_expr,
            cst.Return: self._after_return, cst.Call: self.recorder.call, cst.Expr: self._after_expr,
            cst.Break: self._exit_loop, cst.Await: self._after_await, cst.Import: self._after_import,
            cst.ImportFrom: self._after_import,
        }

    def rule_failed(self, rule: Rule, exc: BaseException, node: cst.CSTNode | None) -> None:
        self.failed.add(rule.id)
        where = ""
        if node is not None:
            spans = resolve_spans(self.ctx.module, [node], LineTable(self.ctx.source))
            if node in spans:
                where = f" at line {spans[node].start_line}"
        line = spans[node].start_line if node is not None and node in spans else None
        self.result.errors.append(FileError(
            self.ctx.path, f"internal error in rule {rule.id} ({rule.name}){where}: {type(exc).__name__}: {exc}",
            rule_id=rule.id, line=line))

    def _hooks(self, table, node: cst.CSTNode) -> None:
        for rule, fn in table:
            if rule.id in self.failed:
                continue
            try:
                fn(node, self.ctx)  # type: ignore[operator]
            except Exception as exc:  # noqa: BLE001 - isolate a failing rule
                self.rule_failed(rule, exc, node)

    # -- generic walk ---------------------------------------------------------------------------
    def walk(self, node: cst.CSTNode) -> None:
        tp = type(node)
        structural = self.structural.get(tp)
        ancestors = self.state.ancestors
        ancestors.append(node)
        is_statement = isinstance(node, (cst.SimpleStatementLine, cst.BaseCompoundStatement))
        if is_statement:
            self.state.statements.append(node)
        hooks = self.enter.get(tp)
        if hooks:
            self._hooks(hooks, node)
        if structural is not None:
            structural(node)
        else:
            self.children(node)
        after = self.after.get(tp)
        if after is not None:
            after(node)
        hooks = self.leave.get(tp)
        if hooks:
            self._hooks(hooks, node)
        if is_statement:
            self.state.statements.pop()
        ancestors.pop()

    def children(self, node: cst.CSTNode, fields: Iterable[str] | None = None) -> None:
        for name in fields if fields is not None else _fields(type(node)):
            self.field(getattr(node, name, None))

    def field(self, value) -> None:
        tp = type(value)
        if tp is tuple or tp is list:
            for child in value:
                if is_node(type(child)):
                    self.walk(child)
        elif is_node(tp):
            self.walk(value)

    def branch(self, compound: cst.CSTNode, index: int, body: cst.CSTNode | None) -> None:
        if body is None:
            return
        path = self.state.frame.path
        path.append((compound, index))
        try:
            self.walk(body)
        finally:
            path.pop()

    # -- structural walkers ---------------------------------------------------------------------
    def _function(self, node: cst.FunctionDef) -> None:
        for dec in node.decorators:
            self.walk(dec)
        self.field(node.params)
        parent = self._code_frame()
        info = self.ctx.index.function_of.get(node)
        frame = Frame(node=node, parent=parent, info=info, handler=self.ctx.model.handler(node),
                      is_async=node.asynchronous is not None, defined_at=parent.point())
        self._open_frame(frame)
        self.recorder.bind_params(frame)
        try:
            self.walk(node.body)
        finally:
            self.state.frames.pop()
        self.recorder.bind_opaque(node.name.value, node)

    def _lambda(self, node: cst.Lambda) -> None:
        self.field(node.params)
        parent = self._code_frame()
        frame = Frame(node=node, parent=parent, is_async=False, defined_at=parent.point())
        self._open_frame(frame)
        self.recorder.bind_params(frame)
        try:
            self.walk(node.body)
        finally:
            self.state.frames.pop()

    def _class(self, node: cst.ClassDef) -> None:
        for dec in node.decorators:
            self.walk(dec)
        self.field(node.bases)
        self.field(node.keywords)
        frame = Frame(node=node, parent=self._code_frame())
        self._open_frame(frame)
        try:
            self.walk(node.body)
        finally:
            self.state.frames.pop()
        self.recorder.bind_opaque(node.name.value, node)

    def _code_frame(self) -> Frame:
        """The innermost frame whose names a nested function can see (class bodies are not)."""
        for frame in reversed(self.state.frames):
            if not isinstance(frame.node, cst.ClassDef):
                return frame
        return self.state.module_frame

    def _open_frame(self, frame: Frame) -> None:
        self.state.frames.append(frame)
        self.ctx.flows.frames[frame.node] = frame

    def _if(self, node: cst.If) -> None:
        self.walk(node.test)
        path = self.state.frame.path
        path.append((node, 0))
        try:
            self.recorder.if_body(node)
            self.walk(node.body)
        finally:
            path.pop()
        self.branch(node, 1, node.orelse)
        self.recorder.if_done(node)

    def _loop(self, node: cst.For | cst.While, targets: frozenset[str]) -> LoopInfo:
        loop = LoopInfo(node=node, frame=self.state.frame, targets=targets)
        self.state.loops.append(loop)
        return loop

    def _for(self, node: cst.For) -> None:
        self.walk(node.iter)
        frame = self.state.frame
        frame.path.append((node, 0))
        loop = self._loop(node, frozenset(n.value for n in target_names(node.target)))
        try:
            self.recorder.for_target(node)
            self.walk(node.body)
        finally:
            self.state.loops.pop()
            self.state.finished_loops[node] = loop
            frame.path.pop()
        self.recorder.for_done(node)
        if node.orelse is not None:
            self.branch(node, 1, node.orelse)

    def _while(self, node: cst.While) -> None:
        frame = self.state.frame
        frame.path.append((node, 0))
        loop = self._loop(node, frozenset())
        try:
            self.walk(node.test)
            self.walk(node.body)
        finally:
            self.state.loops.pop()
            self.state.finished_loops[node] = loop
            frame.path.pop()
        if node.orelse is not None:
            self.branch(node, 1, node.orelse)

    def _try(self, node: cst.Try | cst.TryStar) -> None:
        trys = self.state.trys
        frame = self.state.frame
        frame.path.append((node, 0))
        trys.append((node, "body"))
        try:
            self.walk(node.body)
        finally:
            trys.pop()
            frame.path.pop()
        for i, handler in enumerate(node.handlers):
            frame.path.append((node, i + 1))
            trys.append((node, "handler"))
            self.state.excepts.append((handler, frame))
            try:
                self.walk(handler)
            finally:
                self.state.excepts.pop()
                trys.pop()
                frame.path.pop()
        if node.orelse is not None:
            frame.path.append((node, 0))
            trys.append((node, "else"))
            try:
                self.walk(node.orelse)
            finally:
                trys.pop()
                frame.path.pop()
        if node.finalbody is not None:
            trys.append((node, "finally"))
            try:
                self.walk(node.finalbody)
            finally:
                trys.pop()

    def _except(self, node: cst.ExceptHandler) -> None:
        if node.type is not None:
            self.walk(node.type)
        if node.name is not None and isinstance(node.name.name, cst.Name):
            self.recorder.bind_opaque(node.name.name.value, node)
        self.walk(node.body)

    def _with(self, node: cst.With) -> None:
        for item in node.items:
            self.walk(item.item)
            self.recorder.with_item(item)
        self.state.withs.append(node)
        try:
            self.walk(node.body)
        finally:
            self.state.withs.pop()

    def _match(self, node: cst.Match) -> None:
        self.walk(node.subject)
        for i, case in enumerate(node.cases):
            path = self.state.frame.path
            path.append((node, i))
            try:
                self.recorder.match_case(case, node.subject)
                if case.guard is not None:
                    self.walk(case.guard)
                self.walk(case.body)
            finally:
                path.pop()

    def _comp(self, node) -> None:
        path = self.state.frame.path
        path.append((node, 0))
        try:
            comp = node.for_in
            while comp is not None:
                self.walk(comp.iter)
                self.recorder.comp_for(comp, node)
                for cond in comp.ifs:
                    self.walk(cond)
                comp = comp.inner_for_in
            if isinstance(node, cst.DictComp):
                self.walk(node.key)
                self.walk(node.value)
            else:
                self.walk(node.elt)
        finally:
            path.pop()

    # -- bookkeeping after a node's children ----------------------------------------------------------
    def _after_assign(self, node: cst.Assign) -> None:
        self.recorder.assign(node)
        self.recorder.subscript_store(node)
        self.recorder.validation(node.value)
        loop = self.state.loop()
        if loop is not None:
            loop.seq += 1
            for t in node.targets:
                if isinstance(t.target, cst.Subscript) and isinstance(t.target.value, cst.Name):
                    loop.mutated.add(t.target.value.value)
            for t in node.targets:
                for name in target_names(t.target):
                    loop.assignments.append((loop.seq, name.value, node.value))

    def _after_ann_assign(self, node: cst.AnnAssign) -> None:
        self.recorder.ann_assign(node)
        loop = self.state.loop()
        if loop is not None and isinstance(node.target, cst.Name) and node.value is not None:
            loop.seq += 1
            loop.assignments.append((loop.seq, node.target.value, node.value))

    def _after_aug_assign(self, node: cst.AugAssign) -> None:
        self.recorder.aug_assign(node)
        loop = self.state.loop()
        if loop is not None:
            for name in target_names(node.target):
                loop.augmented.add(name.value)
            name = dotted(node.target)
            if name is not None:
                loop.augmented.add(name.split(".")[0])

    def _after_return(self, node: cst.Return) -> None:
        self.recorder.returned(node)
        for loop in self.state.loops:
            if loop.frame is self.state.frame:
                loop.exits = True

    def _exit_loop(self, node: cst.CSTNode) -> None:
        loop = self.state.loop()
        if loop is not None:
            loop.exits = True

    def _after_expr(self, node: cst.Expr) -> None:
        self.recorder.statement_guard(node.value)
        self.recorder.validation(node.value)
        loop = self.state.loop()
        value = node.value.expression if isinstance(node.value, cst.Await) else node.value
        if loop is not None and isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and \
                isinstance(value.func.value, cst.Name) and value.func.attr.value in _MUTATING_METHODS:
            loop.mutated.add(value.func.value.value)

    def _after_await(self, node: cst.Await) -> None:
        loop = self.state.loop()
        if loop is None:
            return
        loop.seq += 1
        loop.awaits.append((node, loop.seq, self.state.statement))

    def _after_import(self, node: cst.Import | cst.ImportFrom) -> None:
        if self.state.frame is self.state.module_frame or isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            local = alias.asname.name if alias.asname is not None else alias.name
            name = dotted(local)  # type: ignore[arg-type]
            if name:
                self.recorder.bind_opaque(name.split(".")[0], node)
