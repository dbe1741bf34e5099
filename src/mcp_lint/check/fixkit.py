"""The fix toolkit primitives share: edits on CST nodes resolved to exact positions, imports
that reuse what the module already has, and the loop that applies fixes to a fixpoint.

Edits are text edits, never re-rendered nodes: a fix touches the characters it changes and
nothing else, so comments, spacing, indentation (tabs included) and line endings (LF,
CRLF, CR) stay as written. An edit names nodes and a side of each (`At`); the text around
them (is there a trailing comma? is the closing bracket on a line of its own?) is read
when the file's findings are made, from the same spans (`SourceView`).

Imports follow ruff's importer. A name the fix needs from a module is taken from an
existing module-level import when one binds it and nothing closer to the use shadows it
(`import sys as _sys` gives `_sys.stderr`); otherwise a new import is added, but only under
a name that nothing in the module or in the scopes around the use binds. When neither is
possible the fix is not offered. A new import goes after a module docstring and
`from __future__` imports, within the file's leading imports (a plain `import x` among the
first group's plain imports, in order; `from x import y` after the import of the module
closest to `x`), as its own line in the file's line ending.

`apply_fixes` applies non-overlapping fixes; `fix_until_stable` applies them pass after pass
until no fixable finding remains or the text stops changing (a fixpoint), checking after
each pass that the text still parses and compiles. A fix that breaks it is dropped, with the
rule and line in `FixRun.dropped`, and the others are kept.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import libcst as cst

from mcp_lint.analysis.cst_utils import dotted
from mcp_lint.analysis.fields import child_nodes
from mcp_lint.check.context import At, FileContext, NodeEdit, NodeFix, SourceView
from mcp_lint.model.findings import Applicability, Edit, FileResult, Finding

# -- scopes and bindings ---------------------------------------------------------------------

_SCOPES = (cst.Module, cst.FunctionDef, cst.ClassDef, cst.Lambda, cst.ListComp, cst.SetComp, cst.DictComp,
           cst.GeneratorExp)
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


@dataclass
class Bindings:
    """The names one scope binds. For each name, what binds it: the qualified name an import
    binds (`import sys as s` -> "sys", `from os import path` -> "os.path"), None for anything
    else (an assignment, a parameter, a def)."""

    names: dict[str, list[str | None]] = field(default_factory=dict)
    declared_global: set[str] = field(default_factory=set)
    declared_nonlocal: set[str] = field(default_factory=set)
    _only: dict[str, list[str]] | None = field(default=None, repr=False, compare=False)

    def bind(self, name: str, target: str | None = None) -> None:
        self.names.setdefault(name, []).append(target)
        self._only = None

    def bound_only_to(self, target: str) -> list[str]:
        """The names every binding of which is an import of `target`, sorted (indexed once: each
        fix of a file asks, and a module binds many names)."""
        if self._only is None:
            only: dict[str, list[str]] = {}
            for local, binders in self.names.items():
                if binders and binders[0] is not None and all(b == binders[0] for b in binders):
                    only.setdefault(binders[0], []).append(local)
            for locals_ in only.values():
                locals_.sort()
            self._only = only
        return self._only.get(target, [])


def scope_chain(ancestors: Sequence[cst.CSTNode]) -> tuple[cst.CSTNode, ...]:
    """The scopes a name used at the end of `ancestors` is looked up in, innermost last: the
    module, enclosing functions, lambdas and comprehensions, and a class only when the use
    is directly in its body."""
    chain: list[cst.CSTNode] = []
    for i, node in enumerate(ancestors):
        if isinstance(node, _SCOPES):
            if isinstance(node, cst.FunctionDef) or isinstance(node, cst.ClassDef):
                # the def's own decorators, defaults and annotations belong to the outer scope
                nxt = ancestors[i + 1] if i + 1 < len(ancestors) else None
                if nxt is not None and nxt is not node.body:
                    continue
            chain.append(node)
    if not chain or not isinstance(chain[0], cst.Module):
        chain.insert(0, ancestors[0] if ancestors and isinstance(ancestors[0], cst.Module) else cst.Module([]))
    # class scopes are not visible from the functions nested in them
    return tuple(s for i, s in enumerate(chain) if not isinstance(s, cst.ClassDef) or i == len(chain) - 1)


class Scopes:
    """Bindings per scope node, computed on demand and kept for the file."""

    def __init__(self, module: cst.Module) -> None:
        self.module = module
        self._cache: dict[cst.CSTNode, Bindings] = {}

    def of(self, scope: cst.CSTNode) -> Bindings:
        found = self._cache.get(scope)
        if found is None:
            found = self._cache[scope] = _collect(scope)
        return found

    def lookup(self, name: str, chain: Sequence[cst.CSTNode]) -> list[str | None] | None:
        """What `name` denotes at a use whose scopes are `chain`: the binders of the scope that
        binds it, or None when nothing does (a builtin or an undefined name)."""
        for scope in reversed(chain[1:]):
            b = self.of(scope)
            if name in b.declared_global:
                break
            if name in b.declared_nonlocal:
                continue
            if name in b.names:
                return b.names[name]
        module = self.of(chain[0] if chain else self.module)
        return module.names.get(name)

    def bound_anywhere_on(self, name: str, chain: Sequence[cst.CSTNode]) -> bool:
        return any(name in self.of(s).names for s in chain)


def _collect(scope: cst.CSTNode) -> Bindings:
    out = Bindings()
    stack: list[cst.CSTNode] = []
    if isinstance(scope, cst.Module):
        stack.extend(scope.body)
    elif isinstance(scope, (cst.FunctionDef, cst.Lambda)):
        params = scope.params
        for p in (*params.posonly_params, *params.params, *params.kwonly_params):
            out.bind(p.name.value)
        for p in (params.star_arg, params.star_kwarg):
            if isinstance(p, cst.Param):
                out.bind(p.name.value)
        stack.append(scope.body)
    elif isinstance(scope, cst.ClassDef):
        stack.append(scope.body)
    elif isinstance(scope, _COMPREHENSIONS):
        comp = scope.for_in
        while comp is not None:
            _bind_target(out, comp.target)
            comp = comp.inner_for_in
        return out
    typing_only: set[int] = set()  # `if TYPE_CHECKING:` blocks: their imports bind nothing at run time
    while stack:
        n = stack.pop()
        tp = type(n)
        if tp is cst.If and (dotted(n.test) or "").rsplit(".", 1)[-1] == "TYPE_CHECKING":
            typing_only.update(id(s) for s in _statements_of(n.body))
        if (tp is cst.SimpleStatementLine and id(n) in typing_only):
            for small in n.body:
                if isinstance(small, (cst.Import, cst.ImportFrom)) and not isinstance(small.names, cst.ImportStar):
                    for alias in small.names:
                        local = alias.asname.name if alias.asname is not None else alias.name
                        name = dotted(local) or ""
                        out.bind(name.split(".")[0])
            continue
        if tp is cst.FunctionDef or tp is cst.ClassDef:
            out.bind(n.name.value)
            stack.extend(d.decorator for d in n.decorators)
            continue
        if tp is cst.Lambda or isinstance(n, _COMPREHENSIONS):
            continue
        if tp is cst.Import:
            for alias in n.names:
                full = dotted(alias.name) or ""
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    out.bind(alias.asname.name.value, full)
                else:
                    out.bind(full.split(".")[0], full.split(".")[0])
            continue
        if tp is cst.ImportFrom:
            if isinstance(n.names, cst.ImportStar):
                continue
            module = "." * len(n.relative) + (dotted(n.module) or "")
            for alias in n.names:
                name = dotted(alias.name) or ""
                local = alias.asname.name.value if alias.asname is not None and isinstance(
                    alias.asname.name, cst.Name) else name
                out.bind(local, f"{module}.{name}" if module and not module.endswith(".") else module + name)
            continue
        if tp is cst.Global:
            out.declared_global.update(a.name.value for a in n.names)
            continue
        if tp is cst.Nonlocal:
            out.declared_nonlocal.update(a.name.value for a in n.names)
            continue
        if tp is cst.AssignTarget:
            _bind_target(out, n.target)
            continue
        if tp is cst.AugAssign or tp is cst.AnnAssign:
            _bind_target(out, n.target)
        elif tp is cst.For or tp is cst.CompFor:
            _bind_target(out, n.target)
        elif tp is cst.WithItem:
            if n.asname is not None:
                _bind_target(out, n.asname.name)
        elif tp is cst.ExceptHandler or tp is cst.ExceptStarHandler:
            if n.name is not None:
                _bind_target(out, n.name.name)
        elif tp is cst.NamedExpr:
            _bind_target(out, n.target)
        elif tp is cst.Del:
            _bind_target(out, n.target)
        elif tp is cst.MatchAs or tp is cst.MatchStar:
            if n.name is not None:
                out.bind(n.name.value)
        elif tp is cst.MatchMapping:
            if n.rest is not None:
                out.bind(n.rest.value)
        elif tp is cst.TypeAlias:
            out.bind(n.name.value)
        stack.extend(child_nodes(n))
        if tp is cst.With:
            stack.extend(n.items)
    return out


def _statements_of(suite: cst.BaseSuite) -> list[cst.CSTNode]:
    return list(suite.body) if isinstance(suite, cst.IndentedBlock) else []


def _bind_target(out: Bindings, target: cst.CSTNode) -> None:
    if isinstance(target, cst.Name):
        out.bind(target.value)
    elif isinstance(target, (cst.Tuple, cst.List)):
        for el in target.elements:
            _bind_target(out, el.value)
    elif isinstance(target, (cst.StarredElement, cst.Element)):
        _bind_target(out, target.value)


# -- imports -----------------------------------------------------------------------------------

def _is_docstring(stmt: cst.CSTNode) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and \
        isinstance(stmt.body[0], cst.Expr) and isinstance(stmt.body[0].value, (cst.SimpleString,
                                                                                cst.ConcatenatedString))


def _import_line(stmt: cst.CSTNode) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and bool(stmt.body) and \
        all(isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body)


def _is_future(stmt: cst.CSTNode) -> bool:
    return _import_line(stmt) and any(isinstance(s, cst.ImportFrom) and s.module is not None and
                                      dotted(s.module) == "__future__" for s in stmt.body)


def _first_module(stmt: cst.SimpleStatementLine) -> tuple[str, str]:
    """("import" | "from", the module) of an import line's first statement."""
    first = stmt.body[0]
    if isinstance(first, cst.Import):
        return "import", dotted(first.names[0].name) or ""
    assert isinstance(first, cst.ImportFrom)
    return "from", "." * len(first.relative) + (dotted(first.module) or "")


def _blank_before(stmt: cst.CSTNode) -> bool:
    return any(isinstance(line, cst.EmptyLine) for line in getattr(stmt, "leading_lines", ()))


def import_position(module: cst.Module, kind: str, name: str) -> At | None:
    """Where a new `import name` (kind "import") or `from name import ...` (kind "from") line
    goes: see the module docstring."""
    body = list(module.body)
    i = 0
    if body and _is_docstring(body[0]):
        i = 1
    while i < len(body) and _is_future(body[i]):
        i += 1
    run = []
    j = i
    while j < len(body) and _import_line(body[j]):
        run.append(body[j])
        j += 1
    if not run:
        if i < len(body):
            return At(body[i], "line")
        return At(body[i - 1], "next-line") if i > 0 else None
    groups: list[list[cst.SimpleStatementLine]] = []
    for stmt in run:
        if not groups or _blank_before(stmt):
            groups.append([])
        groups[-1].append(stmt)
    if kind == "import":
        for group in groups:
            plain = [s for s in group if _first_module(s)[0] == "import"]
            if not plain:
                continue
            for s in plain:
                if _first_module(s)[1] > name:
                    return At(s, "line")
            return At(plain[-1], "next-line")
        return At(run[0], "line")
    best, best_len = None, 0
    parts = name.split(".")
    for s in run:
        other = _first_module(s)[1].lstrip(".").split(".")
        common = 0
        while common < min(len(parts), len(other)) and parts[common] == other[common]:
            common += 1
        if common > best_len or (common == best_len and common > 0):
            best, best_len = s, common
    return At(best if best is not None else run[-1], "next-line")


def _from_statement(module: cst.Module, name: str) -> cst.ImportFrom | None:
    """The module's own top-level `from name import a, b` (no star, no relative dots) that a
    new name can join."""
    for stmt in module.body:
        if not _import_line(stmt):
            continue
        for small in stmt.body:
            if isinstance(small, cst.ImportFrom) and not small.relative and small.module is not None and \
                    dotted(small.module) == name and not isinstance(small.names, cst.ImportStar):
                return small
    return None


@dataclass(frozen=True, eq=False)
class _ExtendImport:
    """`from m import a, b` -> `from m import a, b, name`; in a parenthesised list written one
    name per line, a line of its own."""

    statement: cst.ImportFrom
    name: str

    def nodes(self) -> tuple[cst.CSTNode, ...]:
        names = self.statement.names
        assert not isinstance(names, cst.ImportStar)
        last = names[-1]
        return (self.statement, last) + ((last.comma,) if isinstance(last.comma, cst.Comma) else ())

    def resolve(self, view: SourceView) -> list[Edit] | None:
        names = self.statement.names
        assert not isinstance(names, cst.ImportStar)
        last = names[-1]
        if self.statement.rpar is not None and isinstance(last.comma, cst.Comma):
            close = view.end(self.statement) - 1
            start = view.start(last)
            if view.only_space_before(close) and view.only_space_before(start) and view.line_start(close) > start:
                at = view.line_start(close)
                return [Edit(view.lines.span(at, at), view.indent_at(start) + self.name + "," + view.newline)]
            end = view.end(last.comma)
            return [Edit(view.lines.span(end, end), f" {self.name},")]
        end = view.end(last)
        return [Edit(view.lines.span(end, end), f", {self.name}")]


@dataclass(frozen=True, eq=False)
class InsertLine:
    """A whole line of code inserted at `at` (a line start), indented like `indent_from`'s line
    (nothing by default), ending in the file's line break."""

    at: At
    code: str
    indent_from: cst.CSTNode | None = None

    def nodes(self) -> tuple[cst.CSTNode, ...]:
        return (self.at.node,) + ((self.indent_from,) if self.indent_from is not None else ())

    def resolve(self, view: SourceView) -> list[Edit] | None:
        offset = view.offset(self.at)
        indent = view.indent_at(view.start(self.indent_from)) if self.indent_from is not None else ""
        content = indent + self.code + view.newline
        if offset == len(view.text) and view.text and view.text[-1] not in "\r\n":
            content = view.newline + content[: -len(view.newline)]
        return [Edit(view.lines.span(offset, offset), content)]


# -- argument lists ----------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class AddArgument:
    """`text` (say `timeout=30`) added as the call's last argument, in the layout the call
    already has: `f(a, timeout=30)`; one argument per line when the arguments end with a
    trailing comma before a closing bracket on its own line."""

    call: cst.Call
    text: str

    def nodes(self) -> tuple[cst.CSTNode, ...]:
        out: tuple[cst.CSTNode, ...] = (self.call, self.call.func)
        if self.call.args:
            last = self.call.args[-1]
            out += (last,) + ((last.comma,) if isinstance(last.comma, cst.Comma) else ())
        return out

    def resolve(self, view: SourceView) -> list[Edit] | None:
        call = self.call
        close = view.end(call) - 1
        if view.text[close:close + 1] != ")":
            return None
        if not call.args:
            open_ = view.text.find("(", view.end(call.func), close + 1)
            if open_ < 0:
                return None
            inside = view.text[open_ + 1:close]
            if inside.strip():
                return None  # a comment between the brackets
            return [Edit(view.lines.span(open_ + 1, close), self.text)]
        last = call.args[-1]
        if isinstance(last.comma, cst.Comma):
            comma_end = view.end(last.comma)
            arg_start = view.start(last)
            if view.only_space_before(close) and view.only_space_before(arg_start) and \
                    view.line_start(close) > arg_start:
                at = view.line_start(close)
                content = view.indent_at(arg_start) + self.text + "," + view.newline
                return [Edit(view.lines.span(at, at), content)]
            return [Edit(view.lines.span(comma_end, comma_end), f" {self.text},")]
        end = view.end(last)
        return [Edit(view.lines.span(end, end), f", {self.text}")]


@dataclass(frozen=True, eq=False)
class RemoveArgument:
    """One argument removed with its separator, whatever the layout: `f(a, verify=False)` ->
    `f(a)`, a line of its own removed whole."""

    call: cst.Call
    arg: cst.Arg

    def nodes(self) -> tuple[cst.CSTNode, ...]:
        args = list(self.call.args)
        i = next(k for k, a in enumerate(args) if a is self.arg)
        out: list[cst.CSTNode] = [self.call, self.call.func, self.arg]
        if i + 1 < len(args):
            out.append(args[i + 1])
        if i > 0:
            out.append(args[i - 1])
        return tuple(out)

    def resolve(self, view: SourceView) -> list[Edit] | None:
        args = list(self.call.args)
        i = next(k for k, a in enumerate(args) if a is self.arg)
        if len(args) == 1:
            close = view.end(self.call) - 1
            open_ = view.text.find("(", view.end(self.call.func), close + 1)
            if open_ < 0 or view.text[close:close + 1] != ")":
                return None
            return [Edit(view.lines.span(open_ + 1, close), "")]
        if i + 1 < len(args):
            start, end = view.start(self.arg), view.start(args[i + 1])
            if view.only_space_before(start) and view.only_space_before(end) and view.line_start(end) > start:
                start, end = view.line_start(start), view.line_start(end)  # whole lines
            return [Edit(view.lines.span(start, end), "")]
        start, end = view.end(args[i - 1]), view.end(self.arg)
        return [Edit(view.lines.span(start, end), "")]


@dataclass(frozen=True, eq=False)
class InsertStatement:
    """A statement inserted before `stmt` (a small statement or a statement line): on a line
    of its own with `stmt`'s indentation, or `code; ` when `stmt` shares its line."""

    stmt: cst.CSTNode
    code: str

    def nodes(self) -> tuple[cst.CSTNode, ...]:
        return (self.stmt,)

    def resolve(self, view: SourceView) -> list[Edit] | None:
        start = view.start(self.stmt)
        if view.only_space_before(start):
            at = view.line_start(start)
            return [Edit(view.lines.span(at, at), view.indent_at(start) + self.code + view.newline)]
        return [Edit(view.lines.span(start, start), self.code + "; ")]


# -- building a fix ------------------------------------------------------------------------------

def fix_builder(fn):
    """A fix builder that cannot cost its finding: on an unexpected failure the finding is
    reported without a fix."""
    import functools

    @functools.wraps(fn)
    def guarded(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception:  # noqa: BLE001 - the finding stands without its fix
            return None
    return guarded


class Fixer:
    """Builds one fix for a finding: edits, plus the imports the new code needs. `ancestors`
    are the nodes from the module down to the use (the walk's ancestor stack), so names are
    looked up where the new code will run."""

    def __init__(self, ctx: FileContext, ancestors: Sequence[cst.CSTNode] | None = None,
                 chain: Sequence[cst.CSTNode] | None = None) -> None:
        self.ctx = ctx
        self.chain = tuple(chain) if chain is not None else scope_chain(
            ancestors if ancestors is not None else ctx.state.ancestors)
        if not self.chain or not isinstance(self.chain[0], cst.Module) or self.chain[0] is not ctx.module:
            self.chain = (ctx.module,) + tuple(s for s in self.chain if not isinstance(s, cst.Module))
        # the top-level statement holding the use: at module level, a name imported further
        # down is not bound yet when the use runs
        path = ancestors if ancestors is not None else (ctx.state.ancestors if chain is None else ())
        self.top = path[1] if len(path) > 1 and path[0] is ctx.module else None
        self.edits: list = []
        self.failed = False

    @property
    def scopes(self) -> Scopes:
        scopes = self.ctx.scratch.get("fixkit:scopes")
        if scopes is None:
            scopes = self.ctx.scratch["fixkit:scopes"] = Scopes(self.ctx.module)
        return scopes

    # edits
    def replace(self, node: cst.CSTNode, text: str) -> Fixer:
        self.edits.append(NodeEdit.replace(node, text))
        return self

    def insert_before(self, node: cst.CSTNode, text: str) -> Fixer:
        self.edits.append(NodeEdit.before(node, text))
        return self

    def insert_after(self, node: cst.CSTNode, text: str) -> Fixer:
        self.edits.append(NodeEdit.after(node, text))
        return self

    def remove_between(self, start: At, end: At) -> Fixer:
        self.edits.append(NodeEdit(start, end, ""))
        return self

    def add_argument(self, call: cst.Call, text: str) -> Fixer:
        self.edits.append(AddArgument(call, text))
        return self

    def remove_argument(self, call: cst.Call, arg: cst.Arg) -> Fixer:
        self.edits.append(RemoveArgument(call, arg))
        return self

    def insert_statement(self, stmt: cst.CSTNode, code: str) -> Fixer:
        self.edits.append(InsertStatement(stmt, code))
        return self

    # names
    def _visible(self, local: str, binders) -> bool:
        """The module-level binding `binders` of `local` is what the use sees, and is bound by
        the time it runs."""
        if self.scopes.lookup(local, self.chain) is not binders:
            return False
        if len(self.chain) > 1 or self.top is None:
            return True  # in a function: it runs after the module's top level
        for stmt in self.ctx.module.body:
            if stmt is self.top:
                return False
            if _import_line(stmt) and any(
                    not isinstance(small.names, cst.ImportStar) and any(
                        (dotted(a.asname.name if a.asname is not None else a.name) or "").split(".")[0] == local
                        for a in small.names) for small in stmt.body):
                return True
        return True

    def available(self, name: str) -> bool:
        """A new module-level binding of `name` would be what the use sees, and would change
        nothing else: nothing in the module, or in the scopes around the use, binds it."""
        return not self.scopes.bound_anywhere_on(name, self.chain)

    def module(self, module: str) -> str | None:
        """An expression for the module `module` at the use: an existing import's name
        (its alias included), else a new `import module`; None when the name is taken."""
        top = self.scopes.of(self.ctx.module)
        candidates = sorted(top.bound_only_to(module), key=lambda local: (local != module.split(".")[-1], local))
        for local in candidates:
            if self._visible(local, top.names[local]):
                return local
        if "." in module:
            return None
        if not self.available(module):
            self.failed = True
            return None
        self._add_import("import", module, f"import {module}")
        return module

    def attribute(self, module: str, name: str) -> str | None:
        """An expression for `module.name` written as an attribute of the module (`sys.stderr`,
        `_sys.stderr`), or the name an existing `from module import name` binds; a new import
        is `import module`."""
        existing = self._from_import(module, name)
        if existing is not None:
            return existing
        mod = self.module(module)
        return None if mod is None else f"{mod}.{name}"

    def _from_import(self, module: str, name: str) -> str | None:
        top = self.scopes.of(self.ctx.module)
        for local in top.bound_only_to(f"{module}.{name}"):
            if self._visible(local, top.names[local]):
                return local
        return None

    def symbol(self, module: str, name: str) -> str | None:
        """An expression for `module.name` at the use: `name` (or its alias) from an existing
        `from module import name`, `alias.name` from an existing `import module as alias` (or a
        parent package's import, when the file imports `module` itself too), else `name`
        imported by the module's own `from module import ...` line or a new one; None when
        the name is taken."""
        existing = self._from_import(module, name)
        if existing is not None:
            return existing
        top = self.scopes.of(self.ctx.module)
        exact = [local for local in top.bound_only_to(module) if self._visible(local, top.names[local])]
        parent = []
        if module in self.ctx.imports.modules:  # `import a` binds `a`, through which `a.b` is reached
            parts = module.split(".")
            for i in range(1, len(parts)):
                target = ".".join(parts[:i])
                parent += [(local, local + module[len(target):]) for local in top.bound_only_to(target)
                           if self._visible(local, top.names[local])]
        for found in exact + [shown for _, shown in sorted(parent)]:
            return f"{found}.{name}"
        if not self.available(name):
            self.failed = True
            return None
        statement = _from_statement(self.ctx.module, module)
        if statement is not None:
            self.edits.append(_ExtendImport(statement, name))
        else:
            self._add_import("from", module, f"from {module} import {name}")
        return name

    def _add_import(self, kind: str, module: str, code: str) -> None:
        at = import_position(self.ctx.module, kind, module)
        if at is None:
            self.failed = True
            return
        self.edits.append(InsertLine(at, code))

    def fix(self, description: str, applicability: Applicability = Applicability.UNSAFE) -> NodeFix | None:
        if self.failed or not self.edits:
            return None
        return NodeFix(description, tuple(self.edits), applicability)


# -- applying fixes ----------------------------------------------------------------------------

MAX_PASSES = 10


def fixable(finding: Finding, unsafe: bool) -> bool:
    return finding.fix is not None and bool(finding.fix.edits) and (
        unsafe or finding.fix.applicability == Applicability.SAFE)


def _overlaps(a: tuple[int, int, str], b: tuple[int, int, str]) -> bool:
    """Edits of two different fixes that cannot both be applied in one pass: they overlap, or
    one inserts at a point the other replaces up to or from (`f(verify=False)` losing its only
    argument while another fix appends one), where their order would be a guess. The later fix
    is applied in the next pass, against the new text."""
    if a[0] == a[1]:
        return b[0] <= a[0] <= b[1]
    if b[0] == b[1]:
        return a[0] <= b[0] <= a[1]
    return a[0] < b[1] and b[0] < a[1]


def apply_fixes(source: str, findings: Iterable[Finding]) -> tuple[str, list[Finding]]:
    """Apply each finding's fix unless it overlaps one already taken (in source order).
    Identical edits of several fixes (the same `import sys` added twice) are applied once.
    Returns the new text and the findings whose fixes were applied."""
    chosen: set[tuple[int, int, str]] = set()
    applied: list[Finding] = []
    for f in sorted(findings, key=lambda f: (f.span.start_offset, f.rule_id)):
        assert f.fix is not None
        edits = {(e.span.start_offset, e.span.end_offset, e.content) for e in f.fix.edits}
        if any(e[1] > len(source) or e[0] > e[1] for e in edits):
            continue
        new = edits - chosen
        if any(_overlaps(a, b) for a in new for b in chosen):
            continue
        chosen |= new
        applied.append(f)
    for start, end, content in sorted(chosen, key=lambda x: (x[0], x[1]), reverse=True):
        source = source[:start] + content + source[end:]
    return source, applied


def check_code(text: str, path: str = "<fixed>", must_compile: bool = True) -> str | None:
    """Why `text` is not a valid module (None if it is): libcst must parse it and, when
    `must_compile`, CPython must compile it."""
    try:
        cst.parse_module(text)
    except Exception as exc:  # noqa: BLE001 - any parser failure means the text is not valid
        return f"does not parse ({type(exc).__name__})"
    if must_compile:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                compile(text, path, "exec", dont_inherit=True)
        except (SyntaxError, ValueError, OverflowError) as exc:
            return f"does not compile ({getattr(exc, 'msg', None) or exc})"
        except (RecursionError, MemoryError):
            return "does not compile (too complex)"
    return None


def _compiles(text: str, path: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, path, "exec", dont_inherit=True)
        return True
    except Exception:  # noqa: BLE001
        return False


@dataclass
class Dropped:
    rule_id: str
    line: int
    reason: str


@dataclass
class FixRun:
    text: str
    applied: list[Finding]  # the findings fixed, over all passes
    result: FileResult  # the findings of the final text
    dropped: list[Dropped] = field(default_factory=list)  # fixes that broke the code and were left out
    passes: int = 0
    converged: bool = True  # False: the last pass still changed the text (MAX_PASSES reached)


def fix_until_stable(text: str, lint: Callable[[str], FileResult], unsafe: bool, path: str = "<fixed>",
                     result: FileResult | None = None, max_passes: int = MAX_PASSES) -> FixRun:
    """Apply fixes pass after pass (see the module docstring)."""
    must_compile = _compiles(text, path)  # a module CPython refuses today is held to libcst's parse only
    result = result if result is not None else lint(text)
    run = FixRun(text, [], result)
    seen = {text}
    refused: set[tuple[str, int, int, str]] = set()  # fixes known to break the code
    for _ in range(max_passes):
        todo = [f for f in run.result.findings if fixable(f, unsafe) and _key(f) not in refused]
        if not todo:
            return run
        new_text, applied = apply_fixes(run.text, todo)
        if not applied or new_text == run.text:
            return run
        problem = check_code(new_text, path, must_compile)
        if problem is not None:
            # Keep the fixes that leave valid code, one at a time, in source order.
            kept: list[Finding] = []
            new_text = run.text
            for f in applied:
                trial, done = apply_fixes(run.text, kept + [f])
                if len(done) != len(kept) + 1:
                    continue
                why = check_code(trial, path, must_compile)
                if why is None:
                    kept.append(f)
                    new_text = trial
                else:
                    refused.add(_key(f))
                    run.dropped.append(Dropped(f.rule_id, f.span.start_line, why))
            applied = kept
            if not applied:
                continue
        if new_text in seen:
            run.converged = False
            return run  # a cycle: stop at the first text of it
        seen.add(new_text)
        run.text = new_text
        run.applied.extend(applied)
        run.passes += 1
        run.result = lint(new_text)
    run.converged = not any(fixable(f, unsafe) and _key(f) not in refused for f in run.result.findings)
    return run


def _key(f: Finding) -> tuple[str, int, int, str]:
    assert f.fix is not None
    return (f.rule_id, f.span.start_offset, f.span.end_offset,
            "\0".join(f"{e.span.start_offset}:{e.span.end_offset}:{e.content}" for e in f.fix.edits))


def check_example_fix(engine, rule, code: str, expected: str, path: str = "example.py") -> str:
    """A rule example's `fixed:` check: the rule's fixes (safe and unsafe) applied to `code`
    give exactly `expected`, which parses and compiles, and fixing it again changes nothing.
    Returns what is wrong, or "" when all holds."""
    def lint(text: str) -> FileResult:
        result = engine.lint_text(text, path)
        result.findings = [f for f in result.findings if f.rule_id == rule.id]
        return result

    run = fix_until_stable(code, lint, unsafe=True, path=path)
    if run.dropped:
        d = run.dropped[0]
        return f"the fix on line {d.line} {d.reason}"
    if run.text != expected:
        import difflib
        diff = "".join(difflib.unified_diff(expected.splitlines(keepends=True), run.text.splitlines(keepends=True),
                                            fromfile="fixed (expected)", tofile="fixed (got)"))
        return "the fixes do not give the example's `fixed:` code:\n" + diff
    problem = check_code(expected, path)
    if problem is not None:
        return f"the `fixed:` code {problem}"
    again = fix_until_stable(expected, lint, unsafe=True, path=path)
    if again.text != expected:
        return "fixing the `fixed:` code again changes it: the fix is not idempotent"
    return ""
