"""What each function of a module does when it is awaited, for rules that look through a call into
its callee in another module (the project scan records it; project/index.py joins it).

A loop that awaits `storage.store(item)` per item looks independent from the loop body alone,
but the callee may run every call on one connection under a lock, pace itself to a request rate,
or never suspend at all: then running the iterations concurrently gains nothing. Those facts sit
in the callee, often in another module, so each module records, per function (plain data, cached
by the file's content):

- flags: `a` an `async def`; `s` it suspends (an `await`, `async for` or `async with` of its own);
  `l` it holds a lock shared between calls around its work: `async with self._lock:` around an
  await, `with self._conn_lock:` around a call in a synchronous function (a worker it hands to a
  thread, nested or not), `await self._lock.acquire()`; a lock whose body is a single `if` (lazy
  initialisation) or only keeps an in-memory container does not count;
  `p` it paces itself: an unconditional `asyncio.sleep` outside loops and `except` blocks (a
  minimum interval between requests, not a retry or a poll), or a call on, or an `async with`
  of, a rate limiter (a name with `rate_limit`, `throttle` or `limiter` in it);
  `w` it works on something outside itself without suspending: a `with` block, or a call on an
  attribute of `self` other than its logger (`self.client.embed(...)`, a blocking client): such a
  function is not "idle" even when it never suspends;
  `F` every suspension of its own is local file I/O (`async with aiofiles.open(...) as f`,
  `await f.read()`, `aiofiles.os.*`, `anyio.open_file`, `asyncio.to_thread(path.read_text)`), apart
  from the project calls it awaits (the join decides those);
  `q` it only hands work over: its awaits are queue puts (`put`, `put_nowait`) and set-up calls;
- the imported callable whose result it returns (`return boto3.client("iam")`: `boto3.client`), so
  the type oracle can type calls on the result in other modules;
- the calls it awaits, each as a descriptor the join can resolve: `s:Class:name` for
  `self.name()`/`cls.name()`, `d:a.b` for a dotted callee whose head is an import or a name the
  module defines at top level, `m:name` for a method on any other receiver (or a local bound to
  `getattr(obj, "name")`).

Classes record their bases (as written), so `self.name()` resolves through the project's base
classes; a method not found there (a mixin's) is looked up by name.
"""

from __future__ import annotations

import ast
import re

from mcp_lint.project.syntax import children, walk

LOCK_NAME = re.compile(r"(?i)(lock|mutex)$")
PACING_NAME = re.compile(r"(?i)rate_?limit|throttl|limiter")
_SLEEPS = frozenset({"asyncio.sleep", "anyio.sleep", "trio.sleep"})
_WRAPPERS = frozenset({"asyncio.wait_for", "asyncio.shield"})
_FILE_OPENERS = frozenset({"aiofiles.open", "anyio.open_file", "aiofiles.threadpool.open"})
_FILE_MODULES = ("aiofiles.", "anyio.Path")
_THREADS = frozenset({"asyncio.to_thread", "anyio.to_thread.run_sync"})
_FILE_METHODS = frozenset({"read_text", "read_bytes", "write_text", "write_bytes", "unlink", "exists", "stat",
                           "iterdir", "glob", "rglob", "mkdir", "rmdir", "is_file", "is_dir", "touch"})
_HANDOFFS = frozenset({"put", "put_nowait"})
SETUP_NAME = re.compile(r"(?i)^_*(a?init|initiali[sz]e|ensure|setup|set_up|start|stop|a?close|connect|disconnect|"
                        r"reconnect|shutdown|open|teardown|get_client|get_session|get_connection|__aenter__|__aexit__)")
# Calls in a lock's body that only touch an in-memory container (a cache, a counter).
_CONTAINER_CALLS = frozenset({"get", "pop", "append", "extend", "setdefault", "update", "items", "keys", "values",
                              "clear", "add", "discard", "remove", "copy", "insert", "popleft", "appendleft",
                              "len", "list", "dict", "set", "tuple", "sorted", "min", "max", "time", "monotonic",
                              "isinstance", "hasattr", "getattr", "id", "str", "int", "float", "bool"})


def dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def describe(call: ast.Call, cls: str | None, known: set[str] | frozenset[str]) -> str | None:
    """The descriptor of an awaited call (see the module docstring), None when it names nothing
    the project could define (a local variable, a subscript, a call's result)."""
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in ("self", "cls"):
        return f"s:{cls}:{func.attr}" if cls else f"m:{func.attr}"
    name = dotted(func)
    if name is not None and name.split(".")[0] in known:
        return f"d:{name}"
    if isinstance(func, ast.Attribute):
        return f"m:{func.attr}"
    return None


def _getattr_name(call: ast.Call) -> str | None:
    """`getattr(obj, "name")` / `getattr(obj, "name", None)`: the attribute's name."""
    if isinstance(call.func, ast.Name) and call.func.id == "getattr" and len(call.args) >= 2 and \
            isinstance(call.args[1], ast.Constant) and isinstance(call.args[1].value, str):
        return call.args[1].value
    return None


class _Body:
    """One function's facts, from a walk of its body."""

    def __init__(self, fn: ast.FunctionDef | ast.AsyncFunctionDef, cls: str | None, aliases: dict,
                 known: set[str]) -> None:
        self.aliases = aliases
        self.known = known
        self.cls = cls
        self.suspends = False
        self.locks = False
        self.paces = False
        self.works = False
        self.file_only = True  # every own suspension so far is local file I/O (or a project call)
        self.handles: set[str] = set()  # names bound to open files (`async with aiofiles.open() as f`)
        self.handoffs = 0  # queue puts awaited
        self.other = False  # an await that is neither a queue put nor a set-up call
        self.calls: list[str] = []
        self.returns = ""  # the imported callable whose result it returns (`return boto3.client("iam")`)
        self.local_calls: set[str] = set()  # names bound to a call's result so far: this call's own objects
        self.bound_methods: dict[str, str] = {}  # `fn = getattr(obj, "name", None)`: fn -> name
        self.in_async = [isinstance(fn, ast.AsyncFunctionDef)]
        for stmt in fn.body:
            self.walk(stmt, own=True, looping=False)

    def qualified(self, node: ast.AST) -> str:
        name = dotted(node) or ""
        head, _, rest = name.partition(".")
        target = self.aliases.get(head)
        if target is None:
            return name
        return f"{target}.{rest}" if rest else target

    def walk(self, node: ast.AST, own: bool, looping: bool) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.in_async.append(isinstance(node, ast.AsyncFunctionDef))
            for stmt in node.body:  # a nested def (a worker for to_thread) may hold the lock
                self.walk(stmt, own=False, looping=False)
            self.in_async.pop()
            return
        if isinstance(node, (ast.ClassDef, ast.Lambda)):
            return
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            self.local_calls.update(t.id for t in node.targets if isinstance(t, ast.Name))
            method = _getattr_name(node.value)
            if method is not None:
                self.bound_methods.update((t.id, method) for t in node.targets if isinstance(t, ast.Name))
        if isinstance(node, (ast.With, ast.AsyncWith)):
            if own and isinstance(node, ast.With):
                self.works = True
            for item in node.items:
                self.with_item(item.context_expr, node, own)
        if own and isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            chain = dotted(node.func.value) or ""
            if chain.startswith("self.") and not re.search(r"(?i)log", chain.split(".")[1]):
                self.works = True
        if isinstance(node, ast.Return) and own and isinstance(node.value, ast.Call) and not self.returns:
            head = (dotted(node.value.func) or "").split(".")[0]
            if head in self.aliases:
                self.returns = self.qualified(node.value.func)
        if isinstance(node, ast.Await) and own:
            self.suspends = True
            self.awaited(node.value, looping)
        elif isinstance(node, (ast.AsyncFor, ast.AsyncWith)) and own:
            self.suspends = True
            self.other = True
            if isinstance(node, ast.AsyncFor) or not all(
                    isinstance(i.context_expr, ast.Call) and self.qualified(i.context_expr.func) in _FILE_OPENERS
                    for i in node.items):
                self.file_only = False
            else:
                self.handles.update(i.optional_vars.id for i in node.items if isinstance(i.optional_vars, ast.Name))
        if isinstance(node, ast.Await) and isinstance(node.value, ast.Call):
            func = node.value.func
            if isinstance(func, ast.Attribute) and func.attr == "acquire" and \
                    LOCK_NAME.search(dotted(func.value) or "") and not self.local(func.value):
                self.locks = True
        inner_loop = looping or isinstance(node, (ast.For, ast.AsyncFor, ast.While, ast.ExceptHandler))
        for child in children(node):
            self.walk(child, own, inner_loop)

    def awaited(self, value: ast.AST, looping: bool) -> None:
        while isinstance(value, ast.Call) and value.args and self.qualified(value.func) in _WRAPPERS:
            value = value.args[0]
        if not isinstance(value, ast.Call):
            self.file_only = False
            self.other = True
            return
        name = self.qualified(value.func)
        func = value.func
        method = func.attr if isinstance(func, ast.Attribute) else ""
        if method in _HANDOFFS:
            self.handoffs += 1
        elif not SETUP_NAME.match(method or (func.id if isinstance(func, ast.Name) else "")):
            self.other = True
        if self.file_call(value, name):
            return
        if name in _SLEEPS:
            if not looping and not (value.args and isinstance(value.args[0], ast.Constant) and
                                    not value.args[0].value):
                self.paces = True  # a minimum interval between calls, not a retry or a poll
            return
        if isinstance(value.func, ast.Attribute) and PACING_NAME.search(dotted(value.func.value) or ""):
            self.paces = True  # `await ARXIV_RATE_LIMITER.run(...)`, `await self._limiter.acquire()`
        desc = describe(value, self.cls, self.known)
        if desc is None and isinstance(value.func, ast.Name) and value.func.id in self.bound_methods:
            desc = f"m:{self.bound_methods[value.func.id]}"  # `fn = getattr(store, "save")`, `await fn(x)`
        if desc is None or desc.startswith("m:"):
            self.file_only = False  # a library call, or a method the join can only guess by name
        if desc is not None and desc not in self.calls:
            self.calls.append(desc)

    def file_call(self, call: ast.Call, name: str) -> bool:
        """Local file I/O: aiofiles and its handles, anyio paths, a path method run in a thread."""
        func = call.func
        if name.startswith(_FILE_MODULES) or name in _FILE_OPENERS:
            return True
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in self.handles:
            return True
        if name in _THREADS and call.args:
            target = call.args[0]
            if isinstance(target, ast.Attribute) and target.attr in _FILE_METHODS:
                return True
        return False

    def with_item(self, expr: ast.AST, node: ast.With | ast.AsyncWith, own: bool) -> None:
        name = dotted(expr) or ""
        called = dotted(expr.func) if isinstance(expr, ast.Call) else None
        if own and isinstance(node, ast.AsyncWith) and PACING_NAME.search(name or called or ""):
            self.paces = True  # `async with limiter:`, `async with self._throttle():`
        if not name or not LOCK_NAME.search(name.rsplit(".", 1)[-1]) or self.local(expr):
            return
        body = node.body
        if len(body) == 1 and isinstance(body[0], ast.If):
            return  # `with lock: if self._conn is None: ...`: lazy initialisation
        nodes = [n for stmt in body for n in walk(stmt)]
        if isinstance(node, ast.AsyncWith):
            # an asyncio lock serialises only what it holds across a suspension
            held = any(isinstance(n, (ast.Await, ast.AsyncFor, ast.AsyncWith)) for n in nodes)
        else:
            # a thread lock, held by a worker a thread runs (in async code it would block the loop)
            held = not self.in_async[-1] and any(self.working(n) for n in nodes)
        if held:
            self.locks = True

    def working(self, node: ast.AST) -> bool:
        """Work worth serialising under a lock: a call that is not container upkeep."""
        if not isinstance(node, ast.Call):
            return False
        func = node.func
        last = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        return last not in _CONTAINER_CALLS and not last.startswith(("log", "_log"))

    def local(self, expr: ast.AST) -> bool:
        """A lock made in this very call (`lock = asyncio.Lock()`) is not shared with other calls."""
        return isinstance(expr, ast.Name) and expr.id in self.local_calls

    def flags(self, is_async: bool) -> str:
        handoff = self.handoffs > 0 and not self.other
        return "".join(f for f, on in (("a", is_async), ("s", self.suspends), ("l", self.locks),
                                         ("p", self.paces), ("w", self.works), ("F", self.file_only),
                                         ("q", handoff)) if on)


def scan_functions(tree: ast.Module, aliases: dict, defined: set[str], functions) -> tuple[dict, dict]:
    """(qualname -> [flags, awaited-call descriptors, returned imported callable], class name ->
    [base names as written])."""
    known = set(aliases) | set(defined)
    out: dict = {}
    for qualname, fn in functions:
        cls = qualname.rsplit(".", 1)[0] if "." in qualname else None
        body = _Body(fn, cls, aliases, known)
        out[qualname] = [body.flags(isinstance(fn, ast.AsyncFunctionDef)), body.calls, body.returns]
    classes: dict = {}
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.ClassDef):
            classes.setdefault(node.name, [b for b in (dotted(base) for base in node.bases) if b])
            stack.extend(node.body)
    return out, classes
