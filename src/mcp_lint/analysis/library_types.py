"""What common library calls return, so rules can name methods on typed receivers.

`conn = sqlite3.connect(p); cur = conn.cursor(); cur.execute(q)` resolves the last call to
`sqlite3.Cursor.execute`; `async with httpx.AsyncClient() as c: c.get(u)` to
`httpx.AsyncClient.get`. Types come from constructor calls bound to names (assignments,
`with ... as`, awaits), `self.x = Ctor()` in the class, and parameter annotations. Unknown
stays unknown: rules then fall back to what they can see (a method name, a SQL keyword).

What each library call returns is knowledge (`types:` in rules/knowledge/*.yaml, read into
`Knowledge.returns` and `Knowledge.aliases`), not code.
"""

from __future__ import annotations

import libcst as cst

from mcp_lint.analysis.cst_utils import dotted
from mcp_lint.analysis.state import ASSIGN, PARAM, WITH, Point

# Values whose type the oracle can work out: calls (constructors, factories), awaits of them,
# and members of typed objects (`client.db`, `client["db"]`).
_TYPED = (cst.Call, cst.Await, cst.Attribute, cst.Subscript)


class TypeOracle:
    """Receiver types for one file, from the flow analysis' bindings."""

    def __init__(self, ctx) -> None:
        self.ctx = ctx
        known = ctx.knowledge
        self.returns = known.returns
        self.canonical = known.canonical
        self.known_types = known.types
        self.memo: dict[int, str | None] = {}
        self.targets: dict[int, str | None] = {}

    def call_target(self, call: cst.Call, point: Point) -> str | None:
        """`requests.get`, `sqlite3.Cursor.execute`, ... or None when unknown. A call is at one
        program point, so its target is computed once per file whichever rule asks."""
        key = id(call)
        if key in self.targets:
            return self.targets[key]
        target = self._call_target(call, point)
        self.targets[key] = target
        return target

    def _call_target(self, call: cst.Call, point: Point) -> str | None:
        func = call.func
        name = self.ctx.imports.resolve(func)
        if name is not None and not self._locally_bound(func, point):
            return self.canonical(name)
        if isinstance(func, cst.Attribute):
            recv = self.type_of(func.value, point)
            if recv is not None:
                return f"{recv}.{func.attr.value}"
        if isinstance(func, cst.Name):
            return self._alias(func, point)
        return None

    def _alias(self, name: cst.Name, point: Point) -> str | None:
        """`run = subprocess.run` (or `= getattr(subprocess, "run")`, `= cur.execute`) and
        then `run(...)`: the one value the name is bound to, when that names a callable."""
        bindings = self.ctx.flows.reaching(name.value, point)
        if bindings:
            if len(bindings) != 1 or bindings[0].kind != ASSIGN or bindings[0].index:
                return None
            value, at = bindings[0].node, bindings[0].point
        else:
            values = self.ctx.index.module_bindings.get(name.value) or ()
            if len(values) != 1 or values[0] is None:
                return None
            value, at = values[0], self.ctx.state.module_frame.point()
        if not isinstance(value, (cst.Attribute, cst.Call)):
            return None
        qual = self.ctx.imports.resolve(value)
        if qual is not None:
            return self.canonical(qual)
        if isinstance(value, cst.Attribute):
            recv = self.type_of(value.value, at)
            return f"{recv}.{value.attr.value}" if recv is not None else None
        return None

    def type_of(self, expr: cst.BaseExpression, point: Point, depth: int = 0) -> str | None:
        if depth > 8:
            return None
        if isinstance(expr, cst.Await):
            return self.type_of(expr.expression, point, depth + 1)
        if isinstance(expr, cst.Call):
            module = self.ctx.imports.resolve(expr)  # `importlib.import_module("subprocess")`: the module
            if module is not None:
                return module
            target = self.call_target(expr, point)
            if target is None:
                return self._local_return_type(expr, point)
            return self.returns.get(target) or (target if target in self.known_types else None) or \
                self._project_class(target) or self._project_return_type(expr)
        if isinstance(expr, cst.Name):
            bindings = self.ctx.flows.reaching(expr.value, point)
            for b in bindings:
                found = self._binding_type(b, depth)
                if found is not None:
                    return found
            if not bindings:  # a module-level object used inside a function
                module_point = self.ctx.state.module_frame.point()
                for value in self.ctx.index.module_bindings.get(expr.value) or ():
                    if isinstance(value, _TYPED):
                        found = self.type_of(value, module_point, depth + 1)
                        if found is not None:
                            return found
            return None
        if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and expr.value.value == "self":
            cls_name = _class_of(point)
            cls = self.ctx.index.classes.get(cls_name) if cls_name else None
            if cls is not None:
                for value in cls.self_attrs.get(expr.attr.value, ()):
                    if isinstance(value, _TYPED):
                        found = self.type_of(value, self.ctx.state.module_frame.point(), depth + 1)
                        if found is not None:
                            return found
            return None
        if isinstance(expr, cst.Attribute):  # `client.mydb`, `repo.git`, `docker_client.containers`
            recv = self.type_of(expr.value, point, depth + 1)
            if recv is not None:
                return self.returns.get(f"{recv}.{expr.attr.value}") or self.returns.get(f"{recv}.__getattr__")
            return None
        if isinstance(expr, cst.Subscript):  # `client["db"]["collection"]`
            recv = self.type_of(expr.value, point, depth + 1)
            if recv is not None:
                return self.returns.get(f"{recv}.__getitem__")
        return None

    def _project_class(self, qualname: str) -> str | None:
        """An instance of a class another module of the project defines (`db = Database(path)`)."""
        project = getattr(self.ctx, "project", None)
        return project.class_name(qualname, self.ctx.path) if project is not None else None

    def _local_return_type(self, call: cst.Call, point: Point) -> str | None:
        """`make_client(...)` where the same-file `def make_client(...) -> httpx.AsyncClient`."""
        if not isinstance(call.func, cst.Name):
            return None
        fn = self.ctx.index.find_function(call.func.value, point.frame.info)
        if fn is None or fn.returns is None:
            return None
        ann = fn.returns.annotation
        name = self.canonical(self.ctx.imports.resolve(ann) or dotted(ann))
        return name if name in self.known_types else None

    def _project_return_type(self, call: cst.Call) -> str | None:
        """`get_client()` imported from a module of the project whose `get_client` returns
        `boto3.client(...)` (the project's facts, when the file is linted with them)."""
        returns = getattr(getattr(self.ctx, "context", None), "returns", None)
        name = dotted(call.func) if returns else None
        made = returns.get(name) if name else None
        return self.returns.get(self.canonical(made) or "") if made else None

    def _binding_type(self, b, depth: int) -> str | None:
        key = id(b)
        if key in self.memo:
            return self.memo[key]
        self.memo[key] = None
        found = None
        if b.kind in (ASSIGN, WITH) and isinstance(b.node, cst.BaseExpression) and not b.index:
            found = self.type_of(b.node, b.point, depth + 1)
            if found is None and b.kind == WITH and isinstance(b.node, cst.Call):
                found = None
        elif b.kind == PARAM and isinstance(b.node, cst.Param) and b.node.annotation is not None:
            ann = b.node.annotation.annotation
            name = self.ctx.imports.resolve(ann) or dotted(ann)
            found = self.canonical(name) if name and self.canonical(name) in self.known_types else None
            if found is None and name:
                found = self._project_class(name)
        self.memo[key] = found
        return found

    def _locally_bound(self, func: cst.BaseExpression, point: Point) -> bool:
        """A local variable that shadows an imported name (`requests = make_client()`)."""
        head = func
        while isinstance(head, cst.Attribute):
            head = head.value
        if not isinstance(head, cst.Name):
            return False
        return any(b.kind != "opaque" for b in self.ctx.flows.reaching(head.value, point)
                   if b.point.frame is not self.ctx.state.module_frame)


def _class_of(point: Point) -> str | None:
    info = point.frame.info
    while info is not None:
        if info.class_name is not None:
            return info.class_name
        info = info.parent
    return None
