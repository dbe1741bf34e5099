"""The parser guard: what CPython's own parser says about a source before libcst sees it.

libcst's native parser recurses on nesting: it overflows the C stack (a segfault, which no
`except` catches) on a few thousand nested brackets, and takes minutes on some long chains
(20,000 implicitly concatenated strings), while `compile(..., PyCF_ONLY_AST)` refuses or
accepts the same inputs in milliseconds, at 6-10% of libcst's parse time. So every file is
parsed by CPython first, which also gives the exact syntax error (message, line, column) for
MCP001. The resulting tree is then measured for what libcst finds hard: nesting depth and
implicit string concatenation (one `Constant` in the AST, one nested node per term in libcst).
Only expressions whose source extent could hide a deep tree are walked, which keeps the
measurement to a few percent of libcst's parse.

The tree's size is measured too, because libcst's tree is where a file's memory goes:
measured at 2.6-3.2 KB per CPython AST node on real servers (about 250 MB per MB of source)
and up to 5.1 KB per node on dense literal data (a dict or list of constants: about 1.2 GB
per MB), while everything mcp-lint computes on top of it adds 1-10% of that, and the AST
measured here 0.9-1.2 KB per node (dropped before libcst runs). Sources of more than
MAX_NODES nodes are refused before libcst runs, larger than RISKY_NODES risky.

The verdict is one of: refused (an MCP001 finding, libcst never runs), risky (lint it in an
isolated worker process with a time budget, see `workers`), or ordinary.

Also here: the large-stack thread every parse runs on, and the in-process time budget (a
`FileTimeout` raised in that thread; native code cannot be interrupted, which is why risky
files run in a child process the parent can kill).
"""

from __future__ import annotations

import ast
import io
import itertools
import os
import queue
import re
import sys
import threading
import tokenize
import warnings
from dataclasses import dataclass

STACK_BYTES = 512 * 1024 * 1024
PYTHON_RECURSION_LIMIT = 1000
MAX_NESTING = 1000  # libcst needs ~0.4 s at this depth and grows quadratically beyond
MAX_CONCATENATED = 1000  # implicitly concatenated string literals in one expression
# Above these, a file is linted in an isolated worker process (when the runner has one).
RISKY_NESTING = 300
RISKY_BYTES = 512 * 1024
RISKY_BROKEN_BYTES = 64 * 1024  # a source CPython rejects could not be measured
LONG_LINE = 2000
# CPython AST nodes (`ast.walk`, contexts included). libcst needs up to TREE_BYTES_PER_NODE
# per node (see above): MAX_NODES is at most about 750 MB of tree, RISKY_NODES 200 MB.
TREE_BYTES_PER_NODE = 5 * 1024
MAX_NODES = 150_000
RISKY_NODES = 40_000

# CPython's refusals that say "too big for a parser", not "a mistake": libcst is not tried.
_LIMIT_ERRORS = re.compile(r"too many nested|too many levels|too many statically nested|too complex|"
                           r"maximum recursion|too many expressions|too many arguments")
_NEWLINE = re.compile(rb"\r\n?|\n")


class FileTimeout(BaseException):
    """Raised in the lint thread when a file's time budget is spent. A BaseException so
    that the `except Exception` isolating each rule does not swallow it."""


@dataclass(frozen=True)
class Check:
    """What the pre-parse found. `refused`: (message, line, column) for MCP001, libcst is not
    run. `syntax_error`: CPython's error, kept in case libcst cannot parse it either (a source
    newer than the running interpreter parses with libcst). `risk`: why to isolate it."""

    refused: tuple[str, int, int] | None = None
    syntax_error: tuple[str, int, int] | None = None
    risk: str | None = None


def precheck(text: str) -> Check:
    return parse(text)[1]


def parse(text: str) -> tuple[ast.Module | None, Check]:
    """CPython's syntax tree of `text` (None when it refuses it) and the verdict on it. The project
    scan (project/scan.py) reads the same tree, so a file is parsed by CPython once per run."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(PYTHON_RECURSION_LIMIT)  # judge as a default interpreter would
    try:
        with warnings.catch_warnings():  # SyntaxWarnings about the linted code are not ours to print
            warnings.simplefilter("ignore")
            tree = compile(text, "<source>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except RecursionError:
        return None, Check(refused=("too deeply nested to analyse (Python's own parser refuses it too)", 1, 1))
    except MemoryError:
        return None, Check(refused=("ran out of memory while analysing this file (the memory budget of a worker)", 1, 1))
    except SyntaxError as err:
        where = (f"syntax error: {err.msg or 'invalid syntax'}", err.lineno or 1, err.offset or 1)
        if err.msg and _LIMIT_ERRORS.search(err.msg):
            return None, Check(refused=where)
        long_line = len(text) > LONG_LINE and max(map(len, text.splitlines()), default=0) >= LONG_LINE
        risky = len(text) > RISKY_BROKEN_BYTES or long_line
        return None, Check(syntax_error=where, risk="a syntax error in a large source" if risky else None)
    except ValueError as err:  # e.g. NUL bytes: decode() refuses them first
        return None, Check(refused=(f"cannot be parsed: {err}", 1, 1))
    finally:
        sys.setrecursionlimit(limit)
    return tree, _measure(tree, text)


def _measure(tree: ast.AST, text: str) -> Check:
    """Nesting depth and concatenated strings, walking only expressions long enough to hold
    RISKY_NESTING levels (each level takes at least one character of source)."""
    data = text.encode("utf-8", "surrogatepass")
    starts = _line_starts(data)  # AST columns are UTF-8 byte offsets

    def extent(node) -> int:
        try:
            return starts[node.end_lineno - 1] + node.end_col_offset - starts[node.lineno - 1] - node.col_offset
        except (IndexError, TypeError, AttributeError):
            return len(data)

    deepest = 0
    risk = f"larger than {RISKY_BYTES // 1024} KiB" if len(data) > RISKY_BYTES else None
    if len(data) > RISKY_NODES:  # a node takes at least one byte of source: smaller files cannot be
        nodes = _count_nodes(tree, MAX_NODES)
        if nodes > MAX_NODES:
            return Check(refused=(
                f"too large to analyse: more than {MAX_NODES:,} syntax nodes, whose syntax tree would "
                f"take more than {MAX_NODES * TREE_BYTES_PER_NODE // (1 << 20)} MB of memory", 1, 1))
        if nodes > RISKY_NODES:
            risk = risk or f"{nodes:,} syntax nodes"
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    expr = ast.expr
    while stack:
        node, depth = stack.pop()
        if depth > deepest:
            deepest = depth
            if depth > MAX_NESTING:
                return Check(refused=(f"too deeply nested to analyse (more than {MAX_NESTING} levels)",
                                      getattr(node, "lineno", 1), 1))
        for child in ast.iter_child_nodes(node):
            if isinstance(child, expr):
                span = extent(child)
                if span < 2 * RISKY_NESTING:
                    if depth + span < RISKY_NESTING:
                        continue
                elif isinstance(child, (ast.Constant, ast.JoinedStr)):
                    terms = _concatenated(child, data, starts, span)
                    if terms > MAX_CONCATENATED:
                        return Check(refused=(f"too many implicitly concatenated strings to analyse ({terms}, "
                                              f"more than {MAX_CONCATENATED})", child.lineno, child.col_offset + 1))
                    if terms > RISKY_NESTING:
                        risk = risk or f"{terms} implicitly concatenated strings"
            stack.append((child, depth + 1))
    if deepest > RISKY_NESTING:
        risk = risk or f"nested {deepest} levels deep"
    return Check(risk=risk)


def _count_nodes(tree: ast.AST, limit: int) -> int:
    """The nodes of the tree, counting stopped past `limit`."""
    count = 0
    for _ in ast.walk(tree):
        count += 1
        if count > limit:
            break
    return count


def _line_starts(data: bytes) -> list[int]:
    if b"\r" in data:
        return [0, *(m.end() for m in _NEWLINE.finditer(data))]
    return [0, *itertools.accumulate(len(line) + 1 for line in data.split(b"\n"))]


def _concatenated(node: ast.Constant | ast.JoinedStr, data: bytes, starts: list[int], span: int) -> int:
    """How many string literals make up this constant (each has at least its two quotes and
    one source character per character of value, so most are ruled out without tokenizing)."""
    value = node.value if isinstance(node, ast.Constant) else None
    if isinstance(value, (str, bytes)):
        bound = (span - len(value)) // 2
    elif isinstance(node, ast.JoinedStr):
        bound = span // 2
    else:
        return 1
    if bound <= RISKY_NESTING:
        return 1
    begin = starts[node.lineno - 1] + node.col_offset
    segment = data[begin:begin + span].decode("utf-8", "replace")
    kinds = {tokenize.STRING, getattr(tokenize, "FSTRING_START", -1)}
    count = 0
    try:
        for tok in tokenize.generate_tokens(io.StringIO(segment).readline):
            if tok.type in kinds:
                count += 1
    except (tokenize.TokenError, SyntaxError, ValueError):
        return max(count, 1)
    return count


# -- the large-stack thread -----------------------------------------------------------------------
class _StackThread:
    """One daemon thread with a large stack. Daemon: a thread stuck in native code past its
    budget is abandoned, and must not keep the process from exiting."""

    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.lock = threading.Lock()
        self.current: threading.Event | None = None  # the job running now
        previous = threading.stack_size()
        try:
            threading.stack_size(STACK_BYTES)
        except (ValueError, RuntimeError):  # a platform that caps thread stacks
            pass
        try:
            self.thread = threading.Thread(target=self._loop, name="mcp-lint", daemon=True)
            self.thread.start()
        finally:
            threading.stack_size(previous)

    def _loop(self) -> None:
        sys.setrecursionlimit(20_000)
        while True:
            try:
                self._one()
            except FileTimeout:  # an interrupt that arrived as a job ended
                pass

    def _one(self) -> None:
        fn, args, box, done = self.jobs.get()
        self.current = done
        try:
            box.append((True, fn(*args)))
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller
            box.append((False, exc))
        finally:
            try:
                with self.lock:  # no interrupt may land after this job
                    self.current = None
                    _interrupt(self.thread, None)
            finally:
                done.set()

    def call(self, fn, args, timeout: float | None):
        box: list = []
        done = threading.Event()
        self.jobs.put((fn, args, box, done))
        if not done.wait(timeout):
            with self.lock:
                if self.current is done:
                    _interrupt(self.thread, FileTimeout)
            if not done.wait(min(10.0, max(1.0, timeout or 0))):  # stuck in native code
                raise _Abandoned
        if not box:
            raise FileTimeout
        ok, value = box[0]
        if ok:
            return value
        raise value


class _Abandoned(Exception):
    pass


_stack_thread: tuple[int, _StackThread] | None = None


def deep_stack(fn, *args, timeout: float | None = None):
    """Run `fn(*args)` on this process's large-stack thread (created on first use, and again
    after a fork, since threads do not survive one). With a timeout, a `FileTimeout` is
    raised inside `fn` when it runs out (and in the caller if `fn` does not return then)."""
    global _stack_thread
    if _stack_thread is None or _stack_thread[0] != os.getpid():
        _stack_thread = (os.getpid(), _StackThread())
    try:
        return _stack_thread[1].call(fn, args, timeout)
    except _Abandoned:
        _stack_thread = None  # the next file gets a fresh thread
        raise FileTimeout from None


def _interrupt(thread: threading.Thread, exc: type[BaseException] | None) -> None:
    """Raise `exc` in `thread` at its next Python instruction (None: cancel a pending one)."""
    if thread.ident is None:
        return
    try:
        import ctypes
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident),
                                                   ctypes.py_object(exc) if exc is not None else None)
    except (ImportError, AttributeError, ValueError):  # an interpreter without ctypes or the C API
        pass
