"""The pre-pass: a statement-level index of one file.

It visits statements only (never descending into ordinary expressions), plus the call
chains at the top of each statement's expressions, which is where servers are built,
handlers registered and transports started. That is enough to know every tool handler and
every module constant before the main traversal starts, at a few percent of its cost.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from mcp_lint.analysis.cst_utils import dotted, target_names
from mcp_lint.analysis.imports import ImportTable
from mcp_lint.analysis.names import normalize_names


@dataclass(eq=False)
class FunctionInfo:
    node: cst.FunctionDef
    name: str
    qualname: str
    class_name: str | None  # set for methods (directly in a class body)
    parent: FunctionInfo | None  # enclosing function for nested defs
    is_async: bool


@dataclass(eq=False)
class ClassInfo:
    node: cst.ClassDef
    name: str
    bases: tuple[str, ...]  # resolved where possible, else dotted source text
    methods: dict[str, cst.FunctionDef] = field(default_factory=dict)
    constants: dict[str, cst.BaseExpression] = field(default_factory=dict)  # class-body NAME = value
    self_attrs: dict[str, list[cst.BaseExpression]] = field(default_factory=dict)  # self.x = value


@dataclass(eq=False)
class CallSite:
    """A call found at the top of a statement's expression (or nested in its arguments)."""

    call: cst.Call
    function: FunctionInfo | None  # the enclosing function
    class_name: str | None
    targets: tuple[str, ...] = ()  # dotted names the call's value is assigned to
    in_with: bool = False  # used as a `with` item


@dataclass(eq=False)
class ModuleIndex:
    module: cst.Module
    imports: ImportTable = field(default_factory=ImportTable)
    functions: list[FunctionInfo] = field(default_factory=list)
    function_of: dict[cst.FunctionDef, FunctionInfo] = field(default_factory=dict)
    module_functions: dict[str, cst.FunctionDef] = field(default_factory=dict)
    classes: dict[str, ClassInfo] = field(default_factory=dict)
    # module-level NAME -> every value assigned to it (None: bound by something else)
    module_bindings: dict[str, list[cst.BaseExpression | None]] = field(default_factory=dict)
    calls: list[CallSite] = field(default_factory=list)
    # `a.b.c = value` assignments anywhere (e.g. `mcp.settings.host = "0.0.0.0"`)
    attribute_assigns: list[tuple[str, cst.BaseExpression, FunctionInfo | None]] = field(default_factory=list)
    # local NAME -> value, per function (first assignment wins), for resolving registrations
    local_values: dict[tuple[FunctionInfo | None, str], cst.BaseExpression] = field(default_factory=dict)

    _nested: dict[tuple[int, str], cst.FunctionDef] | None = field(default=None, init=False, repr=False)

    def find_function(self, name: str, scope: FunctionInfo | None) -> cst.FunctionDef | None:
        """A def called `name` visible from `scope`: nested in an enclosing function first,
        then at module level."""
        if scope is not None:
            nested = self._nested
            if nested is None:
                nested = self._nested = {}
                for info in self.functions:
                    if info.parent is not None and info.class_name is None:
                        nested.setdefault((id(info.parent), info.name), info.node)
            while scope is not None:
                found = nested.get((id(scope), name))
                if found is not None:
                    return found
                scope = scope.parent
        return self.module_functions.get(name)

    def method(self, class_name: str | None, name: str) -> cst.FunctionDef | None:
        if class_name is not None and class_name in self.classes:
            found = self.classes[class_name].methods.get(name)
            if found is not None:
                return found
            for base in self.classes[class_name].bases:  # same-module base classes
                base_info = self.classes.get(base.rsplit(".", 1)[-1])
                if base_info is not None and name in base_info.methods:
                    return base_info.methods[name]
        return None

    _methods: dict[str, list[cst.FunctionDef]] | None = field(default=None, init=False, repr=False)

    def unique_method(self, name: str) -> cst.FunctionDef | None:
        methods = self._methods
        if methods is None:
            methods = self._methods = {}
            for c in self.classes.values():
                for method_name, node in c.methods.items():
                    methods.setdefault(method_name, []).append(node)
        found = methods.get(name, ())
        return found[0] if len(found) == 1 else None


def build_index(module: cst.Module, source: str | None = None) -> ModuleIndex:
    """The index of a parsed module. With its `source`, identifiers are first normalised as
    Python reads them (see `names`), so that everything after sees Python's names."""
    if source is not None:
        normalize_names(module, source)
    index = ModuleIndex(module=module)
    _Indexer(index).block(module.body, None, None, top=True)
    return index


class _Indexer:
    def __init__(self, index: ModuleIndex) -> None:
        self.index = index

    # -- statements -------------------------------------------------------------------
    def block(self, body, fn: FunctionInfo | None, cls: ClassInfo | None, top: bool = False) -> None:
        for stmt in body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    self.small(small, fn, cls, top)
            else:
                self.compound(stmt, fn, cls, top)

    def suite(self, suite: cst.BaseSuite, fn, cls, top=False) -> None:
        if isinstance(suite, cst.IndentedBlock):
            self.block(suite.body, fn, cls, top)
        else:
            for small in suite.body:
                self.small(small, fn, cls, top)

    def small(self, stmt: cst.BaseSmallStatement, fn, cls, top) -> None:
        index = self.index
        if isinstance(stmt, (cst.Import, cst.ImportFrom)):
            index.imports.add(stmt)
            if top and isinstance(stmt, cst.ImportFrom) and not isinstance(stmt.names, cst.ImportStar):
                for alias in stmt.names:
                    local = alias.asname.name if alias.asname else alias.name
                    if isinstance(local, cst.Name):
                        index.module_bindings.setdefault(local.value, []).append(None)
        elif isinstance(stmt, cst.Assign):
            targets = [t.target for t in stmt.targets]
            self.bind(targets, stmt.value, fn, cls, top)
            self.scan(stmt.value, fn, cls, tuple(filter(None, (dotted(t) for t in targets))))
        elif isinstance(stmt, cst.AnnAssign):
            if stmt.value is not None:
                self.bind([stmt.target], stmt.value, fn, cls, top)
                self.scan(stmt.value, fn, cls, tuple(filter(None, [dotted(stmt.target)])))
        elif isinstance(stmt, cst.AugAssign):
            if top:
                for name in target_names(stmt.target):
                    index.module_bindings.setdefault(name.value, []).append(None)
            self.scan(stmt.value, fn, cls)
        elif isinstance(stmt, cst.Expr):
            self.scan(stmt.value, fn, cls)
        elif isinstance(stmt, cst.Return) and stmt.value is not None:
            self.scan(stmt.value, fn, cls)

    def compound(self, stmt: cst.BaseCompoundStatement, fn, cls, top) -> None:
        index = self.index
        if isinstance(stmt, cst.FunctionDef):
            name = stmt.name.value
            qual = f"{cls.name}.{name}" if cls else (f"{fn.qualname}.<locals>.{name}" if fn else name)
            info = FunctionInfo(node=stmt, name=name, qualname=qual, class_name=cls.name if cls else None,
                                parent=fn, is_async=stmt.asynchronous is not None)
            index.functions.append(info)
            index.function_of[stmt] = info
            if cls is not None:
                cls.methods.setdefault(name, stmt)
            elif fn is None:
                index.module_functions[name] = stmt
                index.imports.shadow(name)
                index.module_bindings.setdefault(name, []).append(None)
            for dec in stmt.decorators:
                self.scan(dec.decorator, fn, cls)
            self.suite(stmt.body, info, None)
        elif isinstance(stmt, cst.ClassDef):
            bases = tuple(index.imports.resolve(a.value) or dotted(a.value) or "" for a in stmt.bases)
            info_c = ClassInfo(node=stmt, name=stmt.name.value, bases=bases)
            if fn is None and cls is None:
                index.classes.setdefault(info_c.name, info_c)
                index.imports.shadow(info_c.name)
                index.module_bindings.setdefault(info_c.name, []).append(None)
            for dec in stmt.decorators:
                self.scan(dec.decorator, fn, cls)
            self.suite(stmt.body, fn, info_c)
        elif isinstance(stmt, cst.If):
            self.scan(stmt.test, fn, cls)
            self.suite(stmt.body, fn, cls, top)
            orelse = stmt.orelse
            while orelse is not None:
                if isinstance(orelse, cst.If):
                    self.scan(orelse.test, fn, cls)
                    self.suite(orelse.body, fn, cls, top)
                    orelse = orelse.orelse
                else:
                    self.suite(orelse.body, fn, cls, top)
                    orelse = None
        elif isinstance(stmt, (cst.For, cst.While)):
            if isinstance(stmt, cst.For):
                self.scan(stmt.iter, fn, cls)
                if top:
                    for name in target_names(stmt.target):
                        index.module_bindings.setdefault(name.value, []).append(None)
            self.suite(stmt.body, fn, cls, top)
            if stmt.orelse is not None:
                self.suite(stmt.orelse.body, fn, cls, top)
        elif isinstance(stmt, cst.With):
            for item in stmt.items:
                targets = ()
                if item.asname is not None:
                    targets = tuple(filter(None, [dotted(item.asname.name)]))
                    if top:
                        for name in target_names(item.asname.name):
                            index.module_bindings.setdefault(name.value, []).append(None)
                self.scan(item.item, fn, cls, targets, in_with=True)
            self.suite(stmt.body, fn, cls, top)
        elif isinstance(stmt, (cst.Try, cst.TryStar)):
            self.suite(stmt.body, fn, cls, top)
            for handler in stmt.handlers:
                self.suite(handler.body, fn, cls, top)
            if stmt.orelse is not None:
                self.suite(stmt.orelse.body, fn, cls, top)
            if stmt.finalbody is not None:
                self.suite(stmt.finalbody.body, fn, cls, top)
        elif isinstance(stmt, cst.Match):
            self.scan(stmt.subject, fn, cls)
            for case in stmt.cases:
                self.suite(case.body, fn, cls, top)

    # -- bindings -----------------------------------------------------------------------
    def bind(self, targets, value: cst.BaseExpression, fn, cls, top) -> None:
        index = self.index
        for target in targets:
            name = dotted(target)
            if top:
                for n in target_names(target):
                    index.module_bindings.setdefault(n.value, []).append(value if n is target else None)
                    index.imports.shadow(n.value)
            elif cls is not None and fn is None and isinstance(target, cst.Name):
                cls.constants.setdefault(target.value, value)
            if isinstance(target, cst.Name):
                index.local_values.setdefault((fn, target.value), value)
            elif name is not None and "." in name:
                index.attribute_assigns.append((name, value, fn))
                if name.startswith("self.") and fn is not None and fn.class_name is not None:
                    owner = index.classes.get(fn.class_name)
                    if owner is not None and name.count(".") == 1:
                        owner.self_attrs.setdefault(name[5:], []).append(value)

    # -- shallow call scan ----------------------------------------------------------------
    def scan(self, expr: cst.BaseExpression, fn, cls, targets: tuple[str, ...] = (), in_with: bool = False) -> None:
        """Record calls at the top of an expression and inside their arguments, without
        entering lambdas, comprehensions, f-strings or operators."""
        class_name = cls.name if cls else (fn.class_name if fn else None)
        stack: list[tuple[cst.BaseExpression, bool]] = [(expr, True)]
        calls = self.index.calls
        while stack:
            node, is_top = stack.pop()
            t = type(node)
            if t is cst.Call:
                calls.append(CallSite(call=node, function=fn, class_name=class_name,
                                      targets=targets if is_top else (), in_with=in_with and is_top))
                stack.append((node.func, False))
                stack.extend((a.value, False) for a in node.args)
            elif t is cst.Await:
                stack.append((node.expression, is_top))
            elif t is cst.Attribute or t is cst.Subscript:
                stack.append((node.value, False))
            elif t is cst.BooleanOperation:
                stack.append((node.left, False))
                stack.append((node.right, False))
            elif t is cst.IfExp:
                stack.append((node.body, False))
                stack.append((node.orelse, False))
            elif t is cst.List or t is cst.Tuple or t is cst.Set:
                stack.extend((e.value, False) for e in node.elements)
            elif t is cst.Dict:
                for e in node.elements:
                    if isinstance(e, cst.DictElement):
                        stack.append((e.key, False))
                    stack.append((e.value, False))
