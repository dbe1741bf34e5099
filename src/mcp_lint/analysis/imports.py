"""The file's own import-alias table: `resolve(expr) -> "httpx.get"`.

Measured to be about 8x cheaper than libcst's QualifiedNameProvider, and all rules need is
"which library callable does this name or attribute chain denote". Imports anywhere in the
file (module level or inside functions) feed one table: re-binding an alias to a different
module within one file is rare enough not to be worth scope tracking.
"""

from __future__ import annotations

import builtins

import libcst as cst

from mcp_lint.analysis.cst_utils import dotted

_BUILTINS = frozenset(dir(builtins))


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
        name = dotted(expr)
        return None if name is None else self.resolve_dotted(name)

    def imports_any(self, prefixes: tuple[str, ...]) -> bool:
        return any(m == p or m.startswith(p + ".") for m in self.modules for p in prefixes)
