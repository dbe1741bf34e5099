"""The file's own import-alias table: `resolve(expr) -> "httpx.get"`.

Measured to be about 8x cheaper than libcst's QualifiedNameProvider, and all rules need is
"which library callable does this name or attribute chain denote". Imports anywhere in the
file (module level or inside functions) feed one table: re-binding an alias to a different
module within one file is rare enough not to be worth scope tracking.
"""

from __future__ import annotations

import builtins
import re

import libcst as cst

from mcp_lint.analysis.cst_utils import dotted, string_value

_BUILTINS = frozenset(dir(builtins))
_IMPORTERS = frozenset({"builtins.__import__", "importlib.import_module", "importlib.__import__"})
_MODULE_NAME = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")


def _from_list(call: cst.Call) -> bool:
    """`__import__(name, globals, locals, fromlist)`: a non-empty fromlist returns the
    submodule itself rather than its top-level package."""
    value = next((a.value for a in call.args if a.keyword is not None and a.keyword.value == "fromlist"), None)
    if value is None:
        positional = [a for a in call.args if a.keyword is None]
        value = positional[3].value if len(positional) > 3 else None
    if value is None:
        return False
    return not (isinstance(value, (cst.List, cst.Tuple)) and not value.elements) and not (
        isinstance(value, cst.Name) and value.value == "None")


def _module_name(node: cst.BaseExpression | None) -> str:
    return dotted(node) or ""


class ImportTable:
    __slots__ = ("aliases", "modules", "shadowed", "nodes")

    def __init__(self) -> None:
        self.aliases: dict[str, str] = {}  # local name -> qualified name
        self.nodes: dict[str, cst.CSTNode] = {}  # local name -> the import statement binding it
        self.modules: set[str] = set()  # every module imported from or imported
        self.shadowed: set[str] = set()  # builtins the module redefines (def open(...))

    def add(self, node: cst.Import | cst.ImportFrom) -> None:
        if isinstance(node, cst.Import):
            for alias in node.names:
                full = _module_name(alias.name)
                self.modules.add(full)
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    self.aliases[alias.asname.name.value] = full
                    self.nodes[alias.asname.name.value] = node
                else:
                    head = full.split(".")[0]
                    self.aliases[head] = head
                    self.nodes[head] = node
            return
        module = "." * len(node.relative) + _module_name(node.module)
        self.modules.add(module)
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            name = _module_name(alias.name)
            local = alias.asname.name.value if alias.asname is not None and isinstance(
                alias.asname.name, cst.Name) else name
            joined = f"{module}.{name}" if module and not module.endswith(".") else module + name
            self.aliases[local] = joined
            self.nodes[local] = node
            self.modules.add(joined)

    def shadow(self, name: str) -> None:
        """A module-level def/class/assignment named like a builtin hides the builtin."""
        if name in _BUILTINS:
            self.shadowed.add(name)

    def resolve_dotted(self, name: str) -> str | None:
        head, _, rest = name.partition(".")
        target = self.aliases.get(head)
        if target is None:
            if head in _BUILTINS and head not in self.shadowed:
                target = f"builtins.{head}"
            else:
                return None
        return f"{target}.{rest}" if rest else target

    def resolve(self, expr: cst.BaseExpression) -> str | None:
        """The qualified name an expression denotes: a name or attribute chain through the
        imports, and also the same object reached dynamically, through a constant module name
        (`__import__("os")`, `importlib.import_module("subprocess")`) or a constant attribute
        (`getattr(os, "system")`): `__import__("os").system` is `os.system`."""
        return self._qualify(expr, 0)

    def _qualify(self, expr: cst.BaseExpression, depth: int) -> str | None:
        name = dotted(expr)
        if name is not None:
            return self.resolve_dotted(name)
        if depth > 16:
            return None
        if type(expr) is cst.Attribute:
            base = self._qualify(expr.value, depth + 1)
            return f"{base}.{expr.attr.value}" if base is not None else None
        if type(expr) is not cst.Call or not expr.args or any(a.star for a in expr.args):
            return None
        func = self._qualify(expr.func, depth + 1)
        if func in _IMPORTERS:
            module = string_value(expr.args[0].value) if expr.args[0].keyword is None else None
            if not module or not _MODULE_NAME.fullmatch(module):
                return None  # computed or relative: unknown
            if func.endswith("__import__") and not _from_list(expr):
                return module.split(".")[0]  # `__import__("os.path")` returns the package `os`
            return module
        if func == "builtins.getattr" and len(expr.args) in (2, 3) and all(a.keyword is None for a in expr.args):
            attr = string_value(expr.args[1].value)
            if attr is None or not attr.isidentifier():
                return None
            base = self._qualify(expr.args[0].value, depth + 1)
            return f"{base}.{attr}" if base is not None else None
        return None

    def imports_any(self, prefixes: tuple[str, ...]) -> bool:
        return any(m == p or m.startswith(p + ".") for m in self.modules for p in prefixes)
