"""Which code of a module runs while (or before) its server holds stdout: the paths to the server
run, and the functions reachable from them and from the handlers.

A module that runs a stdio server can still print safely: in a branch that runs an HTTP
transport instead, in a subcommand that never starts the server, after the server stopped, or
on a command-line path that exits first. This answers, for one node of the module, whether it
is on the way to the stdio server (or in code the server's handlers call):

- Runs: the transport calls of the server model, and calls of functions of the module that
  contain one (`asyncio.run(serve())`, `main()` calling `run_server()`), each with the kinds of
  transport it may run (stdio, http, unknown).
- Per statement, walking out from the node: the innermost block that holds a run decides. A
  statement after the (blocking) run has the server behind it; a block whose runs are all HTTP
  is an HTTP path; a branch of an `if`/`match` whose sibling branch runs the server is another
  path; the `except`/`else`/`finally` of a `try` whose body runs the server comes after it. A
  block that ends in `sys.exit`/`raise SystemExit` (or `return`, in a function that runs the
  server) leaves before the server starts.
- Reachability: the module's own code, the functions that run the server, the handlers and what
  other modules' handlers call here (`entries`) are roots. From handler code every reference
  counts (tables of tool implementations, callbacks); from code that runs before the server only
  calls and callables passed to calls do, on the paths above, so a subcommand table in `main()`
  does not make every subcommand part of the server's path.

Built once per module, in linear time: one walk, memoised decisions per statement and block.
"""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from mcp_lint.analysis import sdk
from mcp_lint.analysis.cst_utils import dotted
from mcp_lint.analysis.fields import child_nodes
from mcp_lint.analysis.mcp_model import ServerModel
from mcp_lint.analysis.module_index import ModuleIndex

# Why a node is not on the stdio server's path (None: it is).
AFTER = "after the server stopped"
HTTP_PATH = "on a path that runs an HTTP transport"
OTHER_BRANCH = "in a branch that does not run the server"
EXITS = "on a command-line path that exits before the server starts"
UNREACHED = "in a function the server's path never calls"

_BLOCKING = "+"  # marker in a run's kinds: the call blocks while the server runs
_UNKNOWN = "unknown"
_SUITES = (cst.IndentedBlock, cst.SimpleStatementSuite)
_UNITS = (cst.FunctionDef, cst.Module)
_NON_BLOCKING_METHODS = frozenset({"sse_app", "streamable_http_app", "http_app"})
_NON_BLOCKING_FUNCTIONS = frozenset({"mcp.server.sse.SseServerTransport",
                                     "mcp.server.streamable_http_manager.StreamableHTTPSessionManager"})
# Functions that take a callable and run it (as the server's entry point).
_RUNNERS = frozenset({"asyncio.run", "anyio.run", "trio.run", "uvloop.run"})
# Callables registered here run at interpreter exit, after the server.
_AT_EXIT = frozenset({"atexit.register"})
# What building an object runs (and a `with` of it).
_CONSTRUCTION = ("__new__", "__init__", "__post_init__", "__enter__", "__aenter__")
_EXITS = frozenset({"sys.exit", "builtins.exit", "builtins.quit", "os._exit", "os.abort"})
_EXIT_EXCEPTIONS = frozenset({"builtins.SystemExit", "builtins.KeyboardInterrupt"})


class RunPaths:
    def __init__(self, module: cst.Module, index: ModuleIndex, model: ServerModel,
                 entries: Iterable[str] = (), serves: bool = True) -> None:
        """`serves`: the module runs the server itself (its own code, handlers and server calls
        are roots); `entries`: qualnames of functions other modules' stdio handlers reach."""
        self.module = module
        self.serves = serves
        self.index = index
        self.model = model
        self.resolve = index.imports.resolve
        self.parent: dict[int, cst.CSTNode] = {}  # statement-level nodes -> enclosing node
        self.member_of: dict[int, cst.CSTNode] = {}  # call -> the statement of a block that holds it
        self.unit_of: dict[int, cst.CSTNode] = {}  # call -> innermost def (or the module)
        self.calls: dict[int, list[cst.Call]] = {}  # unit -> calls in it (nested defs excluded)
        self.names: dict[int, set[str]] = {}  # unit -> names read in it
        self.attrs: dict[int, set[str]] = {}  # unit -> attribute names used in it
        self.units: dict[int, cst.CSTNode] = {id(module): module}
        self.nested: dict[tuple[int, str], cst.FunctionDef] = {}  # (enclosing function, name) -> def
        self.inner: dict[int, list[cst.FunctionDef]] = {}  # function -> defs nested directly in it
        for info in index.functions:
            if info.parent is not None and info.class_name is None:
                self.nested.setdefault((id(info.parent), info.name), info.node)
                self.inner.setdefault(id(info.parent.node), []).append(info.node)
        self._walk()
        self.runs: dict[int, frozenset[str]] = {}  # call -> kinds (+ blocking marker)
        self.unit_kinds: dict[int, frozenset[str]] = {}  # unit -> kinds of the runs it holds
        self._find_runs()
        self.holding: dict[int, frozenset[str]] = {}  # node -> kinds of the runs inside it
        for key, kinds in self.runs.items():
            self._hold(key, kinds)
        self._decisions: dict[int, str | None] = {}
        self._blocks: dict[int, tuple[dict[int, int], int, int]] = {}
        self._exit_above: dict[int, bool] = {}
        self.reached = self._reach(entries)

    # -- the walk ------------------------------------------------------------------------------
    def _walk(self) -> None:
        stack: list[tuple[cst.CSTNode, cst.CSTNode | None, cst.CSTNode]] = [(self.module, None, self.module)]
        parent = self.parent
        while stack:
            node, member, unit = stack.pop()
            tp = type(node)
            uid = id(unit)
            if tp is cst.Call:
                self.member_of[id(node)] = member
                self.unit_of[id(node)] = unit
                self.calls.setdefault(uid, []).append(node)
            elif tp is cst.Name:
                self.names.setdefault(uid, set()).add(node.value)
            elif tp is cst.Attribute:
                self.attrs.setdefault(uid, set()).add(node.attr.value)
            if tp is cst.Module or tp is cst.IndentedBlock or tp is cst.SimpleStatementSuite:
                for child in node.body:
                    parent[id(child)] = node
                    stack.append((child, child, unit))
                continue
            if tp is cst.FunctionDef:
                self.units[id(node)] = node
                for dec in node.decorators:
                    stack.append((dec, member, unit))
                parent[id(node.body)] = node
                stack.append((node.params, member, unit))
                stack.append((node.body, member, node))
                continue
            for child in child_nodes(node):
                ct = type(child)
                if ct in _STATEMENT_PARTS or isinstance(child, _SUITES):
                    parent[id(child)] = node
                stack.append((child, member, unit))

    # -- runs ------------------------------------------------------------------------------------
    def _scope(self, unit: cst.CSTNode):
        return self.index.function_of.get(unit) if isinstance(unit, cst.FunctionDef) else None

    def _find(self, name: str, scope) -> cst.FunctionDef | None:
        """The def `name` denotes in `scope`: nested in an enclosing function, else module-level."""
        while scope is not None:
            found = self.nested.get((id(scope), name))
            if found is not None:
                return found
            scope = scope.parent
        return self.index.module_functions.get(name)

    def _callee_units(self, call: cst.Call, unit: cst.CSTNode) -> list[cst.CSTNode]:
        """The functions of this module a call runs, by name: `f()`, `self.m()`, `C()` (its
        special methods), and a function handed to `asyncio.run`/`anyio.run`."""
        func = call.func
        scope = self._scope(unit)
        if isinstance(func, cst.Name):
            found = self._find(func.value, scope)
            if found is not None:
                return [found]
            cls = self.index.classes.get(func.value)
            return [cls.methods[n] for n in _CONSTRUCTION if n in cls.methods] if cls is not None else []
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and \
                func.value.value in ("self", "cls") and scope is not None and scope.class_name is not None:
            found = self.index.method(scope.class_name, func.attr.value)
            return [found] if found is not None else []
        if call.args and isinstance(call.args[0].value, cst.Name) and self.resolve(func) in _RUNNERS:
            found = self._find(call.args[0].value.value, scope)
            return [found] if found is not None else []
        return []

    def _find_runs(self) -> None:
        direct: dict[int, set[str]] = {}
        for t in self.model.transports:
            kinds = {t.kind if t.kind in (sdk.STDIO, sdk.HTTP) else _UNKNOWN}
            if _blocking(t.node, self.resolve):
                kinds.add(_BLOCKING)
            self.runs[id(t.node)] = frozenset(kinds)
            unit = self.unit_of.get(id(t.node))
            if unit is not None:
                direct.setdefault(id(unit), set()).update(kinds)
        # callers of functions that run the server run it too
        callers: dict[int, list[tuple[cst.Call, int]]] = {}
        for uid, calls in self.calls.items():
            for call in calls:
                if id(call) in self.runs:
                    continue
                for callee in self._callee_units(call, self.units[uid]):
                    callers.setdefault(id(callee), []).append((call, uid))
        kinds_of = {uid: frozenset(k) for uid, k in direct.items()}
        work = list(kinds_of)
        while work:
            uid = work.pop()
            kinds = kinds_of[uid]
            for call, caller in callers.get(uid, ()):
                old = self.runs.get(id(call), frozenset())
                if not kinds <= old:
                    self.runs[id(call)] = old | kinds
                before = kinds_of.get(caller, frozenset())
                if not kinds <= before:
                    kinds_of[caller] = before | kinds
                    work.append(caller)
        self.unit_kinds = kinds_of

    def _hold(self, call: int, kinds: frozenset[str]) -> None:
        """Mark the statements and blocks around a run (up to its function) as holding it."""
        node = self.member_of.get(call)
        if node is None:
            return
        while node is not None:
            old = self.holding.get(id(node))
            if old is not None and kinds <= old:
                return
            self.holding[id(node)] = kinds if old is None else old | kinds
            if isinstance(node, cst.FunctionDef):
                return  # defining a function does not run it
            node = self.parent.get(id(node))

    def runs_server(self, unit: cst.CSTNode | None) -> bool:
        """The function holds a run (or calls one that does)."""
        return unit is not None and id(unit) in self.unit_kinds

    # -- decisions -----------------------------------------------------------------------------
    def why_not(self, call: cst.Call) -> str | None:
        """Why output at this call is not on the stdio server's path (None: it is)."""
        unit = self.unit_of.get(id(call))
        if unit is None:
            return None
        if id(unit) not in self.reached:
            return UNREACHED
        return self._off_path(call, unit)

    def _off_path(self, call: cst.Call, unit: cst.CSTNode) -> str | None:
        if isinstance(unit, cst.FunctionDef) and self.model.handler(unit) is not None:
            return None
        member = self.member_of.get(id(call))
        if member is None:
            return None
        why = self._decide(member, from_inside=False)
        if why is None and self._exits_before(member, unit):
            why = EXITS
        return why

    def _decide(self, member: cst.CSTNode, from_inside: bool) -> str | None:
        """Walk out from a statement to the innermost block that holds a run."""
        key = id(member) * 2 + from_inside
        if key in self._decisions:
            return self._decisions[key]
        result = self._decide_uncached(member, from_inside)
        self._decisions[key] = result
        return result

    def _decide_uncached(self, member: cst.CSTNode, from_inside: bool) -> str | None:
        block = self.parent.get(id(member))
        if block is None:
            return None
        if id(block) in self.holding:
            if id(member) in self.holding and not from_inside:
                return None  # the node is in the header of a statement that runs the server
            positions, first_blocking, _ = self._block(block)
            if first_blocking < positions[id(member)]:
                return AFTER
            kinds = self.holding[id(block)] - {_BLOCKING}
            return HTTP_PATH if kinds == {sdk.HTTP} else None
        owner = self.parent.get(id(block))
        if owner is None or isinstance(owner, _UNITS):
            return None
        if isinstance(owner, cst.ClassDef):
            return self._decide(owner, False)
        statement = owner
        while type(statement) in _CLAUSES or (isinstance(statement, cst.If) and
                                              isinstance(self.parent.get(id(statement)), cst.If)):
            statement = self.parent.get(id(statement))
            if statement is None:
                return None
        if id(statement) not in self.holding:
            return self._decide(statement, False)
        # another part of this statement runs the server
        if isinstance(statement, (cst.If, cst.Match)):
            return OTHER_BRANCH if not self._run_follows(statement) else None
        if isinstance(statement, (cst.Try, cst.TryStar)):
            if block is not statement.body and id(statement.body) in self.holding and \
                    _BLOCKING in self.holding[id(statement.body)] and not self._in_loop(statement):
                return AFTER
            return self._decide(statement, True)
        if isinstance(statement, (cst.For, cst.While)):
            if statement.orelse is not None and owner is statement.orelse and \
                    id(statement.body) in self.holding:
                return AFTER
            return self._decide(statement, True)
        return None  # inside `with stdio_server()`, or the run is in the statement's header

    def _block(self, block) -> tuple[dict[int, int], int, int]:
        """Per block, once: each statement's position, the first statement holding a blocking
        run, and the last statement holding any run."""
        facts = self._blocks.get(id(block))
        if facts is None:
            positions = {}
            first, last = len(block.body), -1
            for i, stmt in enumerate(block.body):
                positions[id(stmt)] = i
                kinds = self.holding.get(id(stmt))
                if kinds is not None:
                    last = i
                    if _BLOCKING in kinds and first == len(block.body):
                        first = i
            facts = self._blocks[id(block)] = (positions, first, last)
        return facts

    def _run_follows(self, statement: cst.CSTNode) -> bool:
        block = self.parent.get(id(statement))
        if not isinstance(block, (*_SUITES, cst.Module)):
            return False
        positions, _, last = self._block(block)
        return last > positions[id(statement)]

    def _in_loop(self, statement: cst.CSTNode) -> bool:
        node = self.parent.get(id(statement))
        while node is not None and not isinstance(node, _UNITS):
            if isinstance(node, (cst.For, cst.While)):
                return True
            node = self.parent.get(id(node))
        return False

    def _exits_before(self, member: cst.CSTNode, unit: cst.CSTNode) -> bool:
        """Some block between the statement and its function ends by leaving the process (or,
        in a function that runs the server, by returning) and does not run the server."""
        chain = []
        block = self.parent.get(id(member))
        found = False
        while isinstance(block, _SUITES):
            if id(block) in self._exit_above:
                found = self._exit_above[id(block)]
                break
            chain.append(block)
            owner = self.parent.get(id(block))
            if owner is None or isinstance(owner, _UNITS):
                break
            block = self.parent.get(id(owner))
            while block is not None and not isinstance(block, (*_SUITES, cst.Module)):
                block = self.parent.get(id(block))
        returns = self.runs_server(unit)
        for b in reversed(chain):
            if not found and id(b) not in self.holding and b.body:
                last = b.body[-1]
                if isinstance(last, cst.SimpleStatementLine) and last.body:
                    last = last.body[-1]
                found = self._ends_process(last) or (returns and isinstance(last, cst.Return))
            self._exit_above[id(b)] = found
        return found

    def _ends_process(self, stmt: cst.CSTNode) -> bool:
        if isinstance(stmt, cst.Raise):
            exc = stmt.exc.func if isinstance(stmt.exc, cst.Call) else stmt.exc
            return exc is not None and self.resolve(exc) in _EXIT_EXCEPTIONS
        return isinstance(stmt, cst.Expr) and isinstance(stmt.value, cst.Call) and \
            self.resolve(stmt.value.func) in _EXITS

    # -- reachability ----------------------------------------------------------------------------
    def _reach(self, entries: Iterable[str]) -> set[int]:
        """Units on the server's path: generous from handlers (every reference), strict from code
        that runs before the server (calls, and callables passed to calls, on its paths). Each
        unit, attribute name and class is expanded once per mode: linear in the references."""
        self._methods: dict[str, list[cst.FunctionDef]] = {}  # every def of a class body, redefinitions too
        self._by_class: dict[str, list[cst.FunctionDef]] = {}
        self._class_of: dict[int, str] = {}
        for info in self.index.functions:
            if info.class_name is not None:
                self._methods.setdefault(info.name, []).append(info.node)
                self._by_class.setdefault(info.class_name, []).append(info.node)
                self._class_of[id(info.node)] = info.class_name
        self._used = set().union(*self.attrs.values()) if self.attrs else set()
        self._expanded: set[tuple[bool, str]] = set()  # (generous, "." + attribute / class name)
        self._live: set[str] = set()  # classes whose objects are on the path
        wanted = set(entries)
        generous: list[cst.CSTNode] = [f.node for f in self.index.functions if f.qualname in wanted]
        strict: list[cst.CSTNode] = []
        if self.serves:
            generous.extend(h.function for h in self.model.handlers)
            strict.append(self.module)
            strict.extend(self.units[uid] for uid in self.unit_kinds)
        reached_generous: set[int] = set()
        reached: set[int] = set()
        while generous or strict:
            if generous:
                unit = generous.pop()
                if id(unit) in reached_generous:
                    continue
                reached_generous.add(id(unit))
                reached.add(id(unit))
                generous.extend(self._references(unit))
            else:
                unit = strict.pop()
                if id(unit) in reached:
                    continue
                reached.add(id(unit))
                strict.extend(self._strict_callees(unit))
            generous.extend(self._liven(unit))
        return reached

    def _liven(self, unit: cst.CSTNode) -> list[cst.CSTNode]:
        """An object on the server's path may have any method called by code this module does
        not show: when a class is first reached (one of its methods, or its name), its methods
        the module never names itself count as reached."""
        out: list[cst.CSTNode] = []
        classes = [self._class_of[id(unit)]] if id(unit) in self._class_of else []
        classes.extend(n for n in self.names.get(id(unit), ()) if n in self._by_class)
        for cls in classes:
            if cls not in self._live:
                self._live.add(cls)
                out.extend(d for d in self._by_class[cls] if d.name.value not in self._used)
        return out

    def _once(self, generous: bool, key: str) -> bool:
        mark = (generous, key)
        if mark in self._expanded:
            return False
        self._expanded.add(mark)
        return True

    def _special(self, name: str, generous: bool) -> list[cst.CSTNode]:
        """Constructing or naming a class runs its special methods."""
        cls = self.index.classes.get(name)
        if cls is None or not self._once(generous, name):
            return []
        return [m for n, m in cls.methods.items() if n.startswith("__")]

    def _named_methods(self, attr: str, generous: bool) -> list[cst.CSTNode]:
        return self._methods.get(attr, []) if self._once(generous, "." + attr) else []

    def _references(self, unit: cst.CSTNode) -> list[cst.CSTNode]:
        out: list[cst.CSTNode] = []
        scope = self._scope(unit)
        for name in self.names.get(id(unit), ()):
            found = self._find(name, scope)
            if found is not None:
                out.append(found)
            out.extend(self._special(name, True))
        for attr in self.attrs.get(id(unit), ()):
            out.extend(self._named_methods(attr, True))
        out.extend(self.inner.get(id(unit), ()))  # functions defined inside run when it does
        return out

    def _strict_callees(self, unit: cst.CSTNode) -> list[cst.CSTNode]:
        out: list[cst.CSTNode] = []
        scope = self._scope(unit)
        for call in self.calls.get(id(unit), ()):
            if self._off_path(call, unit) is not None:
                continue
            func = call.func
            if isinstance(func, cst.Name) and func.value in self.index.classes:
                out.extend(self._special(func.value, False))
            else:
                out.extend(self._callee_units(call, unit))
            if isinstance(func, cst.Attribute) and not (isinstance(func.value, cst.Name) and
                                                        func.value.value in ("self", "cls")):
                out.extend(self._named_methods(func.attr.value, False))
            if self.resolve(func) in _AT_EXIT:
                continue
            for arg in call.args:  # callables handed on: threads, signal handlers, executors
                value = arg.value
                if isinstance(value, cst.Name):
                    found = self._find(value.value, scope)
                    if found is not None:
                        out.append(found)
                elif isinstance(value, cst.Attribute):
                    out.extend(self._named_methods(value.attr.value, False))
        return out


# Nodes below a statement that hold statements: clauses and the statements themselves.
_CLAUSES = frozenset({cst.Else, cst.ExceptHandler, cst.ExceptStarHandler, cst.Finally, cst.MatchCase})
_STATEMENT_PARTS = frozenset({cst.Else, cst.ExceptHandler, cst.ExceptStarHandler, cst.Finally, cst.MatchCase,
                              cst.If, cst.SimpleStatementLine})


def _blocking(node: cst.CSTNode, resolve) -> bool:
    """The transport call blocks while the server runs (not an app or transport object built
    for a server started elsewhere)."""
    if not isinstance(node, cst.Call):
        return False
    func = node.func
    if isinstance(func, cst.Attribute) and func.attr.value in _NON_BLOCKING_METHODS:
        return False
    return resolve(func) not in _NON_BLOCKING_FUNCTIONS and (dotted(func) or "").rsplit(".", 1)[-1] not in (
        "SseServerTransport", "StreamableHTTPSessionManager")
