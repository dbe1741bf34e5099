"""The package's layers (docs/ARCHITECTURE.md): each imports only the layers below it.

Every import of an mcp_lint module counts, including imports inside functions and under
`if TYPE_CHECKING:` (a type-only import still ties the layers together). A new module goes in
a layer's folder; an import that points upwards or closes a cycle fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "mcp_lint"
# Lowest first. `mcp_lint` itself (the version) sits below everything; `__main__` above.
LAYERS = ("model", "source", "analysis", "check", "packs", "project", "run", "output", "cli")


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _rank(module: str) -> int:
    parts = module.split(".")
    if len(parts) == 1:
        return -1
    if parts[1] == "__main__":
        return len(LAYERS)
    return LAYERS.index(parts[1])


def _imports(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            targets = [target] + [f"{target}.{a.name}" for a in node.names]
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target.startswith("mcp_lint") and target != module:
                out.add(target)
    return out


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {m: _imports(m, p, modules) for m, p in modules.items()}


def test_every_module_sits_in_a_layer():
    unknown = [m for m in _modules() if "." in m and m.split(".")[1] not in LAYERS + ("__main__",)]
    assert not unknown, f"modules outside the layers {LAYERS}: {unknown}"


def test_no_import_points_to_a_higher_layer():
    upward = sorted(f"{m} -> {t}" for m, targets in _graph().items() for t in targets if _rank(t) > _rank(m))
    assert not upward, "imports of a higher layer:\n" + "\n".join(upward)


def test_no_import_cycles():
    graph = _graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles: {cycles}"


def test_the_layer_walk_sees_function_level_imports(tmp_path):
    """The check itself: an import inside a function is an edge like any other."""
    (tmp_path / "m.py").write_text("def f():\n    from mcp_lint.cli import app\n", encoding="utf-8")
    modules = {"mcp_lint.model.m": tmp_path / "m.py", "mcp_lint.cli.app": tmp_path / "m.py"}
    assert _imports("mcp_lint.model.m", tmp_path / "m.py", modules) == {"mcp_lint.cli.app"}
